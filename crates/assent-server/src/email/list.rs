//! Mailing lists: their ids, and the registry of lists a server accepts subscriptions for.
//!
//! The registry comes from `--email-lists FILE` (JSON), or is the single list `newsletter` when none is given:
//!
//! ```json
//! {"lists": [{"id": "newsletter", "name": "Our newsletter",
//!             "click_urls": ["https://example.com/blog/", "https://example.com/offers"]}]}
//! ```
//!
//! `click_urls` are the only targets the click-tracking endpoint redirects to for that list (exact match), so
//! the endpoint is never an open redirect.

use core::fmt;
use core::str::FromStr;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Longest list id.
pub const MAX_LIST_ID_LEN: usize = 64;

/// A list id: 1 to 64 of `a-z 0-9 _ -`, starting with a letter or digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListId(String);

/// Why a list id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidListId;

impl fmt::Display for InvalidListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("list must be 1 to 64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit")
    }
}

impl std::error::Error for InvalidListId {}

impl ListId {
    /// Validates a list id.
    pub fn new(id: &str) -> Result<ListId, InvalidListId> {
        let ok = !id.is_empty()
            && id.len() <= MAX_LIST_ID_LEN
            && id
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(ListId(id.to_owned()))
        } else {
            Err(InvalidListId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ListId {
    type Err = InvalidListId;

    fn from_str(s: &str) -> Result<ListId, InvalidListId> {
        ListId::new(s)
    }
}

impl fmt::Display for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListId({})", self.0)
    }
}

/// One list a server accepts subscriptions for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailingList {
    /// Its id (in API calls, tokens and records).
    pub id: ListId,
    /// Its name as shown to people (confirmation mail, unsubscribe page).
    pub name: String,
    /// Registered click-tracking targets (exact URLs).
    pub click_urls: Vec<String>,
}

/// The lists of a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRegistry {
    lists: BTreeMap<ListId, MailingList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListsFile {
    lists: Vec<ListEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListEntry {
    id: String,
    name: String,
    #[serde(default)]
    click_urls: Vec<String>,
}

impl Default for ListRegistry {
    /// The single list `newsletter` ("Newsletter"), with no click targets.
    fn default() -> ListRegistry {
        let id = ListId::new("newsletter").expect("valid id");
        ListRegistry {
            lists: BTreeMap::from([(
                id.clone(),
                MailingList {
                    id,
                    name: "Newsletter".to_owned(),
                    click_urls: Vec::new(),
                },
            )]),
        }
    }
}

impl ListRegistry {
    /// Parses the lists file (see the module documentation). Errors name the offending entry.
    pub fn from_json(json: &str) -> Result<ListRegistry, String> {
        let file: ListsFile = serde_json::from_str(json).map_err(|e| format!("lists file: {e}"))?;
        let mut lists = BTreeMap::new();
        if file.lists.is_empty() {
            return Err("lists file: `lists` is empty".to_owned());
        }
        for (i, entry) in file.lists.into_iter().enumerate() {
            let id = ListId::new(&entry.id).map_err(|e| format!("lists[{i}].id: {e}"))?;
            let name = entry.name.trim().to_owned();
            if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                return Err(format!(
                    "lists[{i}].name: 1 to 200 characters, no control characters"
                ));
            }
            for (j, url) in entry.click_urls.iter().enumerate() {
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.chars().any(|c| c.is_control() || c.is_whitespace())
                {
                    return Err(format!(
                        "lists[{i}].click_urls[{j}]: not an absolute http(s) URL"
                    ));
                }
            }
            let list = MailingList {
                id: id.clone(),
                name,
                click_urls: entry.click_urls,
            };
            if lists.insert(id.clone(), list).is_some() {
                return Err(format!("lists[{i}].id: duplicate list {id}"));
            }
        }
        Ok(ListRegistry { lists })
    }

    /// Reads a lists file.
    pub fn from_file(path: &Path) -> Result<ListRegistry, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        ListRegistry::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The list with this id.
    pub fn get(&self, id: &str) -> Option<&MailingList> {
        let id = ListId::new(id).ok()?;
        self.lists.get(&id)
    }

    /// All lists, by id.
    pub fn iter(&self) -> impl Iterator<Item = &MailingList> {
        self.lists.values()
    }

    /// True when `url` is a registered click target of list `id`.
    pub fn is_click_target(&self, id: &ListId, url: &str) -> bool {
        self.lists
            .get(id)
            .is_some_and(|l| l.click_urls.iter().any(|u| u == url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_ids() {
        for ok in ["newsletter", "a", "product-news_2", "9lives"] {
            assert!(ListId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "News", "-x", "_x", "a b", "a/b", &"x".repeat(65)] {
            assert!(ListId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_from_json_and_click_targets() {
        let reg = ListRegistry::from_json(
            r#"{"lists":[{"id":"news","name":"News","click_urls":["https://example.com/a"]},
                         {"id":"offers","name":"Offers"}]}"#,
        )
        .unwrap();
        let news = ListId::new("news").unwrap();
        let offers = ListId::new("offers").unwrap();
        assert!(reg.is_click_target(&news, "https://example.com/a"));
        assert!(!reg.is_click_target(&news, "https://example.com/a/../evil"));
        assert!(!reg.is_click_target(&offers, "https://example.com/a"));
        assert_eq!(reg.get("offers").unwrap().name, "Offers");
        assert!(reg.get("other").is_none());
    }

    #[test]
    fn registry_errors_name_the_field() {
        let err = ListRegistry::from_json(r#"{"lists":[{"id":"News","name":"x"}]}"#).unwrap_err();
        assert!(err.contains("lists[0].id"), "{err}");
        let err = ListRegistry::from_json(
            r#"{"lists":[{"id":"a","name":"x","click_urls":["javascript:alert(1)"]}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("lists[0].click_urls[0]"), "{err}");
        let err =
            ListRegistry::from_json(r#"{"lists":[{"id":"a","name":"x"},{"id":"a","name":"y"}]}"#)
                .unwrap_err();
        assert!(err.contains("duplicate"), "{err}");
        assert!(ListRegistry::from_json(r#"{"lists":[{"id":"a","name":"x","extra":1}]}"#).is_err());
    }
}
