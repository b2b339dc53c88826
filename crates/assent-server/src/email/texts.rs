//! The words of the server's own messages and pages (confirmation and welcome e-mails, the confirm and
//! unsubscribe pages) in every built-in language.
//!
//! The texts are the `email` section of the language files `crates/assent-core/i18n/<tag>.json`, embedded here at
//! build time, so the binary needs no data directory. A message goes out in the language recorded with the
//! subscription (`de-AT` → German, by [`builtin_language_for`]); a page without a subscription behind it (an
//! invalid or used link) follows the browser's `Accept-Language`; anything else is English.
//!
//! Placeholders: `{list}` the list's name, `{site}` the site that asked, `{link}` the confirmation or unsubscribe
//! URL, `{hours}` how long the confirmation link works. The language-file test in assent-core checks that every
//! translation keeps exactly English's placeholders.

use std::collections::HashMap;
use std::sync::LazyLock;

use assent_core::i18n::{BUILT_IN_LANGUAGES, builtin_language_for};

/// The keys of the `email` section.
pub const KEYS: [&str; 21] = [
    "confirm_subject",
    "confirm_body",
    "welcome_subject",
    "welcome_body",
    "confirm_title",
    "confirm_text",
    "confirm_button",
    "confirmed_title",
    "confirmed_text",
    "used_title",
    "used_text",
    "expired_title",
    "expired_text",
    "invalid_title",
    "confirm_invalid_text",
    "unsubscribe_invalid_text",
    "unsubscribe_title",
    "unsubscribe_text",
    "unsubscribe_button",
    "unsubscribed_title",
    "unsubscribed_text",
];

macro_rules! language_files {
    ($($tag:literal),* $(,)?) => {
        &[$(($tag, include_str!(concat!("../../../assent-core/i18n/", $tag, ".json")))),*]
    };
}

/// Every built-in language file, by tag (a unit test checks this is [`BUILT_IN_LANGUAGES`]).
const FILES: &[(&str, &str)] = language_files![
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "nb", "is", "uk", "ru", "tr", "ar", "he", "fa",
    "hi", "ja", "ko", "zh-Hans", "zh-Hant", "pt-BR",
];

/// The e-mail texts of one language.
#[derive(Debug)]
pub struct EmailTexts {
    /// The language tag, for `<html lang>`.
    pub lang: &'static str,
    /// Whether pages are written right to left (`<html dir="rtl">`).
    pub rtl: bool,
    texts: HashMap<String, String>,
}

impl EmailTexts {
    /// The text for a key of [`KEYS`] (English's for a key the file lacks, which the tests rule out).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        match self.texts.get(key) {
            Some(t) => t,
            None if self.lang != "en" => english().get(key),
            None => key,
        }
    }

    /// The text with its placeholders (`{list}`, …) replaced, in one pass: a value containing braces is not
    /// read again.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        fill(self.get(key), values)
    }

    /// `dir` of the pages.
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }
}

/// `template` with its placeholders replaced (see [`EmailTexts::fill`]).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        if let Some((v, close)) = value {
            out.push_str(v);
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

static ALL: LazyLock<Vec<EmailTexts>> =
    LazyLock::new(|| FILES.iter().map(|(tag, text)| parse(tag, text)).collect());

fn parse(tag: &'static str, text: &str) -> EmailTexts {
    // The files are checked by assent-core's language-file test; a broken one fails every e-mail test here.
    let file: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("i18n/{tag}.json: {e}"));
    let texts = file["email"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    EmailTexts {
        lang: tag,
        rtl: file["dir"] == "rtl",
        texts,
    }
}

/// English.
pub fn english() -> &'static EmailTexts {
    language("en")
}

fn language(tag: &str) -> &'static EmailTexts {
    ALL.iter()
        .find(|t| t.lang == tag)
        .or_else(|| ALL.iter().find(|t| t.lang == "en"))
        .expect("en.json is embedded")
}

/// The texts for a language recorded with a subscription (any BCP 47 tag; English when it has no built-in
/// language).
pub fn for_language(tag: Option<&str>) -> &'static EmailTexts {
    let preferred: Vec<&str> = tag.into_iter().collect();
    language(builtin_language_for(&preferred, None, None))
}

/// The texts for a browser's `Accept-Language` header (`de-CH, fr;q=0.8, en;q=0.5`), best weight first; English
/// without one.
pub fn for_accept_language(header: Option<&str>) -> &'static EmailTexts {
    let mut weighted: Vec<(&str, u16)> = Vec::new();
    for item in header.unwrap_or_default().split(',').take(16) {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, quality);
        if !tag.is_empty() && weight > 0 {
            weighted.push((tag, weight));
        }
    }
    // Stable: equal weights keep the header's order.
    weighted.sort_by_key(|w| std::cmp::Reverse(w.1));
    let preferred: Vec<&str> = weighted.iter().map(|(t, _)| *t).collect();
    language(builtin_language_for(&preferred, None, None))
}

/// An RFC 9110 `q` value in thousandths (`0.8` → 800); anything unreadable counts as 0 (not acceptable).
fn quality(q: &str) -> u16 {
    let (int, frac) = q.trim().split_once('.').unwrap_or((q.trim(), ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().unwrap_or(0);
    match int {
        "1" if thousandths == 0 => 1000,
        "0" => thousandths,
        _ => 0,
    }
}

/// Every embedded language tag (for tests and diagnostics).
pub fn languages() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(tag, _)| *tag)
}

const _: () = assert!(FILES.len() == BUILT_IN_LANGUAGES.len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_language_is_embedded_with_every_key() {
        let mut embedded: Vec<&str> = languages().collect();
        embedded.sort_unstable();
        let mut built_in = BUILT_IN_LANGUAGES.to_vec();
        built_in.sort_unstable();
        assert_eq!(embedded, built_in);
        for t in ALL.iter() {
            let mut keys: Vec<&str> = t.texts.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let mut want = KEYS.to_vec();
            want.sort_unstable();
            assert_eq!(keys, want, "{}", t.lang);
        }
        assert!(language("ar").rtl && language("he").rtl && language("fa").rtl);
        assert!(!language("de").rtl && !english().rtl);
    }

    #[test]
    fn recorded_language_picks_the_texts_with_english_fallback() {
        assert_eq!(for_language(Some("de")).lang, "de");
        assert_eq!(for_language(Some("de-AT")).lang, "de");
        assert_eq!(for_language(Some("pt-BR")).lang, "pt-BR");
        assert_eq!(for_language(Some("zh-TW")).lang, "zh-Hant");
        assert_eq!(for_language(Some("sw")).lang, "en");
        assert_eq!(for_language(Some("")).lang, "en");
        assert_eq!(for_language(None).lang, "en");
        assert_eq!(
            for_language(Some("de")).get("unsubscribe_button"),
            "Abmelden"
        );
    }

    #[test]
    fn accept_language_is_read_by_weight() {
        let pick = |h: &str| for_accept_language(Some(h)).lang;
        assert_eq!(pick("de-CH, fr;q=0.8, en;q=0.5"), "de");
        assert_eq!(pick("sw, fr;q=0.8, de;q=0.9"), "de");
        assert_eq!(pick("fr;q=0, nl"), "nl");
        assert_eq!(pick("es;q=0.500, it;q=0.5"), "es");
        assert_eq!(pick("de;q=1.5, pl;q=0.1"), "pl");
        assert_eq!(pick(""), "en");
        assert_eq!(for_accept_language(None).lang, "en");
    }

    #[test]
    fn placeholders_are_filled_once() {
        let en = english();
        assert_eq!(
            en.fill("welcome_subject", &[("list", "{site} News")]),
            "Welcome to {site} News"
        );
        assert_eq!(fill("a {x} {y} {", &[("x", "1")]), "a 1 {y} {");
        assert_eq!(fill("{x}{x}", &[("x", "é")]), "éé");
    }

    /// English is today's wording, to the character.
    #[test]
    fn english_is_the_wording_before_translations() {
        let en = english();
        let body = en.fill(
            "confirm_body",
            &[
                ("list", "News"),
                ("site", "example.com"),
                ("link", "https://x/y"),
                ("hours", "48"),
            ],
        );
        assert_eq!(
            body,
            "Hello,\n\nsomeone, hopefully you, asked to subscribe this address to \"News\" on example.com.\n\n\
             To confirm, open this link:\n\nhttps://x/y\n\nThe link works once, for 48 hours. If you did not ask for \
             this, ignore this message: you will not be subscribed and will get no further email about it.\n"
        );
        assert_eq!(
            en.fill("welcome_body", &[("list", "News"), ("link", "https://u")]),
            "Hello,\n\nyour subscription to \"News\" is confirmed. Thank you!\n\nYou can unsubscribe at any time, \
             with one click, here:\nhttps://u\n"
        );
        assert_eq!(
            en.fill("confirm_subject", &[("list", "News")]),
            "Please confirm your subscription to News"
        );
        assert_eq!(en.get("invalid_title"), "Link not valid");
        assert_eq!(
            en.fill("unsubscribed_text", &[("list", "<strong>N</strong>")]),
            "You are unsubscribed from <strong>N</strong>. You will get no more messages from this list."
        );
    }
}
