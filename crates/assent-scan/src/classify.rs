//! What a cookie, storage key or request host is: from the site's own config first, then Assent's own names,
//! then the shipped Open Cookie Database and tracker-host list (`data/README.md` says where they come from).

use std::sync::OnceLock;

use assent_core::config::Config;
use serde::Serialize;

/// The Open Cookie Database version shipped in `data/`.
pub const DATABASE_VERSION: &str = "Open Cookie Database f62992b (2026-01-21, Apache-2.0)";

const DATABASE_CSV: &str = include_str!("../data/open-cookie-database.csv");
const TRACKER_HOSTS: &str = include_str!("../data/tracker-hosts.txt");

/// The category name for things that need no consent.
pub const ESSENTIAL: &str = "essential";

/// Where a classification came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A `categories.<name>.cookies` / `local_storage` pattern of the site's config.
    SiteConfig,
    /// Assent's own choice and token cookies.
    Assent,
    /// The Open Cookie Database.
    Database,
    /// Not known: neither the config nor the database names it.
    Unknown,
}

/// What a cookie or storage key is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    /// The Assent category (`essential`, `analytics`, …); `None` when unknown.
    pub category: Option<String>,
    /// The vendor, from the database ("Google Analytics").
    pub vendor: Option<String>,
    /// The database's description.
    pub description: Option<String>,
    /// The pattern that matched (`_ga_*`), for a draft config.
    pub pattern: Option<String>,
    pub source: Source,
}

impl Class {
    /// Whether it needs consent. Unknown names are not counted as violations (they are listed for review).
    pub fn needs_consent(&self) -> bool {
        self.category.as_deref().is_some_and(|c| c != ESSENTIAL)
    }
}

#[derive(Debug)]
struct Entry {
    name: String,
    prefix: bool,
    vendor: String,
    category: &'static str,
    description: String,
}

#[derive(Debug)]
struct Database {
    entries: Vec<Entry>,
    tracker_hosts: Vec<String>,
}

fn database() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| parse_database(DATABASE_CSV, TRACKER_HOSTS))
}

/// Maps the database's categories to Assent's.
fn map_category(category: &str) -> Option<&'static str> {
    match category {
        "Functional" | "Necessary" | "Security" => Some(ESSENTIAL),
        "Analytics" => Some("analytics"),
        "Marketing" => Some("remarketing"),
        "Personalization" => Some("personalization"),
        _ => None,
    }
}

fn parse_database(csv: &str, hosts: &str) -> Database {
    let mut entries = Vec::new();
    let mut tracker_hosts: Vec<String> = hosts
        .lines()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|l| !l.is_empty())
        .collect();
    for row in csv_rows(csv).skip(1) {
        // ID, Platform, Category, Cookie / Data Key name, Domain, Description, Retention, Controller, Portal,
        // Wildcard match
        if row.len() < 10 {
            continue;
        }
        let Some(category) = map_category(row[2].trim()) else {
            continue;
        };
        let name = row[3].trim();
        if name.is_empty() {
            continue;
        }
        let domain = row[4].trim();
        if matches!(category, "analytics" | "remarketing") && domain.contains("(3rd party)") {
            for part in domain.split(" or ") {
                let host = part
                    .replace("(3rd party)", "")
                    .trim()
                    .trim_start_matches('.')
                    .to_ascii_lowercase();
                if host.contains('.') && !host.contains(' ') && !tracker_hosts.contains(&host) {
                    tracker_hosts.push(host);
                }
            }
        }
        entries.push(Entry {
            name: name.to_string(),
            prefix: row[9].trim() == "1",
            vendor: row[1].trim().to_string(),
            category,
            description: row[5].trim().to_string(),
        });
    }
    // Exact names before prefixes, longer prefixes first: `_ga_` must not hide behind a shorter prefix.
    entries.sort_by(|a, b| {
        a.prefix
            .cmp(&b.prefix)
            .then(b.name.len().cmp(&a.name.len()))
    });
    Database {
        entries,
        tracker_hosts,
    }
}

/// The rows of an RFC 4180 CSV text (quoted fields may hold commas, newlines and doubled quotes).
fn csv_rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        chars.peek()?;
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => break,
                (_, c) => field.push(c),
            }
        }
        row.push(field);
        Some(row)
    })
}

/// Classifies names and hosts for one site.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    config: Option<Config>,
}

impl Classifier {
    pub fn new(config: Option<Config>) -> Classifier {
        Classifier { config }
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    /// Classifies a cookie name.
    pub fn cookie(&self, name: &str) -> Class {
        self.classify(name, false)
    }

    /// Classifies a localStorage or sessionStorage key.
    pub fn storage_key(&self, name: &str) -> Class {
        self.classify(name, true)
    }

    fn classify(&self, name: &str, storage: bool) -> Class {
        let own_cookie = self
            .config
            .as_ref()
            .map_or_else(|| "assent".to_string(), |c| c.cookie.name.clone());
        if let Some(config) = &self.config {
            for category in &config.categories {
                let patterns = if storage {
                    &category.local_storage
                } else {
                    &category.cookies
                };
                if let Some(p) = patterns.iter().find(|p| p.matches(name)) {
                    // The site decides the category; the database still says whose it is.
                    let known = lookup(name);
                    return Class {
                        category: Some(category.category.name().to_string()),
                        vendor: known.map(|e| e.vendor.clone()),
                        description: known.map(|e| e.description.clone()),
                        pattern: Some(p.text.clone()),
                        source: Source::SiteConfig,
                    };
                }
            }
        }
        let token = format!("{own_cookie}_token");
        if name == own_cookie || name == token || (storage && name.starts_with("assent")) {
            return Class {
                category: Some(ESSENTIAL.to_string()),
                vendor: Some("Assent".to_string()),
                description: Some(
                    "The visitor's consent choice (the consent manager itself)".to_string(),
                ),
                pattern: Some(name.to_string()),
                source: Source::Assent,
            };
        }
        match lookup(name) {
            Some(e) => Class {
                category: Some(e.category.to_string()),
                vendor: Some(e.vendor.clone()),
                description: Some(e.description.clone()),
                pattern: Some(if e.prefix {
                    format!("{}*", e.name)
                } else {
                    e.name.clone()
                }),
                source: Source::Database,
            },
            None => Class {
                category: None,
                vendor: None,
                description: None,
                pattern: None,
                source: Source::Unknown,
            },
        }
    }
}

/// The database entry for a name: an exact name first, then the longest matching prefix.
fn lookup(name: &str) -> Option<&'static Entry> {
    database().entries.iter().find(|e| {
        if e.prefix {
            name.starts_with(&e.name)
        } else {
            name == e.name
        }
    })
}

/// Whether a host is a known tracker (equal to or under a listed host).
pub fn is_tracker_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    database().tracker_hosts.iter().any(|t| {
        host == *t
            || host
                .strip_suffix(t.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// The site a host belongs to, for "same site" and "third party": its registrable domain, approximated as the
/// last two labels, or three under a two-letter country code with a short second level (`example.co.uk`).
/// IP addresses and single-label hosts are their own site.
pub fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return host;
    }
    let take = if labels[n - 1].len() == 2 && labels[n - 2].len() <= 3 {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_knows_common_trackers() {
        let c = Classifier::default();
        let ga = c.cookie("_ga");
        assert_eq!(ga.category.as_deref(), Some("analytics"));
        assert_eq!(ga.vendor.as_deref(), Some("Google Analytics"));
        let ga4 = c.cookie("_ga_ABC123");
        assert_eq!(ga4.category.as_deref(), Some("analytics"));
        assert_eq!(ga4.pattern.as_deref(), Some("_ga_*"));
        assert_eq!(c.cookie("_fbp").category.as_deref(), Some("remarketing"));
        assert_eq!(c.cookie("IDE").category.as_deref(), Some("remarketing"));
        assert_eq!(c.cookie("assent").category.as_deref(), Some(ESSENTIAL));
        assert_eq!(c.cookie("no_such_cookie_xyz").source, Source::Unknown);
        assert!(!c.cookie("no_such_cookie_xyz").needs_consent());
    }

    #[test]
    fn site_config_wins_over_database() {
        let config = Config::from_json(
            r#"{"revision":1,"policy_url":"/p","categories":{"essential":{"cookies":["_ga"]},
                "analytics":{"cookies":["shop_*"]}}}"#,
        )
        .unwrap();
        let c = Classifier::new(Some(config));
        assert_eq!(c.cookie("_ga").category.as_deref(), Some(ESSENTIAL));
        assert_eq!(c.cookie("_ga").source, Source::SiteConfig);
        assert_eq!(c.cookie("_ga").vendor.as_deref(), Some("Google Analytics"));
        assert_eq!(
            c.cookie("shop_views").category.as_deref(),
            Some("analytics")
        );
    }

    #[test]
    fn tracker_hosts_and_sites() {
        assert!(is_tracker_host("www.google-analytics.com"));
        assert!(is_tracker_host("stats.g.doubleclick.net"));
        assert!(!is_tracker_host("notdoubleclick.net"));
        assert!(!is_tracker_host("example.org"));
        assert_eq!(site_of("www.example.co.uk"), "example.co.uk");
        assert_eq!(site_of("a.b.example.com"), "example.com");
        assert_eq!(site_of("127.0.0.1"), "127.0.0.1");
        assert_eq!(site_of("localhost"), "localhost");
    }

    #[test]
    fn csv_quotes() {
        let rows: Vec<_> = csv_rows("a,\"b,\"\"c\"\"\nd\",e\nf,g\n").collect();
        assert_eq!(rows, vec![vec!["a", "b,\"c\"\nd", "e"], vec!["f", "g"]]);
    }
}
