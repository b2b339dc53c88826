//! The languages whose texts ship with Assent, and the choice among them.
//!
//! Each language is one data file, `crates/assent-core/i18n/<tag>.json`: the interface texts ([`UI_KEYS`]), the
//! built-in categories' titles and descriptions, and the server's e-mail texts. This module only names the
//! languages and picks one; it does not embed the files (the browser fetches the one it shows, the server embeds
//! them itself), so code that never asks for a language pays nothing for the 38 of them.
//!
//! [`UI_KEYS`]: super::UI_KEYS

use super::primary_subtag;

/// The tags of the built-in languages, each spelt as its file name: the 24 official EU languages, then the
/// others. Matching against them is case-insensitive; the answer is always one of these spellings.
pub const BUILT_IN_LANGUAGES: &[&str] = &[
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "nb", "is", "uk", "ru", "tr", "ar", "he", "fa",
    "hi", "ja", "ko", "zh-Hans", "zh-Hant", "pt-BR",
];

/// Picks the built-in language for a visitor.
///
/// - `preferred`: the visitor's languages, best first (`navigator.languages`, or an `Accept-Language` list).
/// - `allowed`: the languages the site offers (config `languages`); `None` offers every built-in language. An
///   entry counts for the built-in language it resolves to (`de-DE` offers `de`).
/// - `default_language`: the site's choice when none of the visitor's languages is offered (config
///   `default_language`); used even when `allowed` leaves it out, ignored when it is not a built-in language.
///
/// For each preferred language in turn: the full tag (`pt-BR`), then the base language (`en-GB` → `en`, `pt-PT` →
/// `pt`); Chinese goes by script or region (`zh-TW`, `zh-HK`, `zh-MO`, `zh-Hant-*` → `zh-Hant`; `zh`, `zh-CN`,
/// `zh-SG`, `zh-Hans-*` → `zh-Hans`), Norwegian `no`/`nn` → `nb`, the old code `iw` → `he`. Then the default, then
/// `en`. Tags compare case-insensitively and `_` counts as `-`.
pub fn builtin_language_for(
    preferred: &[&str],
    allowed: Option<&[&str]>,
    default_language: Option<&str>,
) -> &'static str {
    for want in preferred {
        for found in [exact(want), base(want)].into_iter().flatten() {
            if is_allowed(found, allowed) {
                return found;
            }
        }
    }
    if let Some(found) = default_language.and_then(resolve) {
        return found;
    }
    "en"
}

/// The built-in language one visitor language stands for, if the site allows it (full tag, then base language).
pub fn builtin_match(want: &str, allowed: Option<&[&str]>) -> Option<&'static str> {
    [exact(want), base(want)]
        .into_iter()
        .flatten()
        .find(|found| is_allowed(found, allowed))
}

/// The built-in language a tag stands for: the same tag, else its base language (`de-AT` → `de`, `zh-CN` →
/// `zh-Hans`, `nn` → `nb`), as for a visitor's tag; `None` for a language that is not built in.
pub fn builtin_language_of(tag: &str) -> Option<&'static str> {
    resolve(tag)
}

/// Whether a tag names a built-in language (`de`, `DE`, `pt_BR`).
pub fn is_builtin(tag: &str) -> bool {
    exact(tag).is_some()
}

fn is_allowed(lang: &str, allowed: Option<&[&str]>) -> bool {
    let Some(allowed) = allowed else {
        return true;
    };
    for entry in allowed {
        if resolve(entry) == Some(lang) {
            return true;
        }
    }
    false
}

/// The built-in language a single tag stands for, if any: the same tag, else its base language.
fn resolve(tag: &str) -> Option<&'static str> {
    exact(tag).or_else(|| base(tag))
}

/// The built-in language spelt like `tag`.
fn exact(tag: &str) -> Option<&'static str> {
    let tag = tag.trim();
    BUILT_IN_LANGUAGES
        .iter()
        .copied()
        .find(|lang| same_tag(lang, tag))
}

/// The built-in language of `tag`'s primary subtag (with the Chinese, Norwegian and Hebrew rules).
fn base(tag: &str) -> Option<&'static str> {
    let tag = tag.trim();
    let primary = primary_subtag(tag);
    if primary.eq_ignore_ascii_case("zh") {
        return Some(chinese(tag));
    }
    let base = if primary.eq_ignore_ascii_case("no") || primary.eq_ignore_ascii_case("nn") {
        "nb"
    } else if primary.eq_ignore_ascii_case("iw") {
        "he"
    } else {
        primary
    };
    BUILT_IN_LANGUAGES
        .iter()
        .copied()
        .find(|lang| lang.eq_ignore_ascii_case(base))
}

/// Traditional characters for a `Hant` script subtag or the regions that write them (Taiwan, Hong Kong, Macau);
/// simplified otherwise (`Hans`, mainland China, Singapore, or no subtag). The script subtag wins over the region.
fn chinese(tag: &str) -> &'static str {
    let mut traditional_region = false;
    let mut rest = tag;
    while let Some(i) = rest.bytes().position(|b| b == b'-' || b == b'_') {
        rest = rest.get(i + 1..).unwrap_or("");
        let sub = primary_subtag(rest);
        if sub.eq_ignore_ascii_case("hant") {
            return "zh-Hant";
        }
        if sub.eq_ignore_ascii_case("hans") {
            return "zh-Hans";
        }
        traditional_region |= ["tw", "hk", "mo"]
            .iter()
            .any(|r| sub.eq_ignore_ascii_case(r));
    }
    if traditional_region {
        "zh-Hant"
    } else {
        "zh-Hans"
    }
}

/// Case-insensitive tag equality with `_` read as `-`.
fn same_tag(a: &str, b: &str) -> bool {
    let norm = |c: u8| {
        if c == b'_' {
            b'-'
        } else {
            c.to_ascii_lowercase()
        }
    };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(preferred: &[&str]) -> &'static str {
        builtin_language_for(preferred, None, None)
    }

    #[test]
    fn full_tag_first_then_base_language() {
        assert_eq!(pick(&["pt-BR"]), "pt-BR");
        assert_eq!(pick(&["pt-PT"]), "pt");
        assert_eq!(pick(&["pt"]), "pt");
        assert_eq!(pick(&["en-GB"]), "en");
        assert_eq!(pick(&["de-AT", "en"]), "de");
        assert_eq!(pick(&["fr-CA"]), "fr");
        assert_eq!(pick(&["sr", "hr-HR"]), "hr");
    }

    #[test]
    fn case_and_separator_do_not_matter() {
        assert_eq!(pick(&["PT-br"]), "pt-BR");
        assert_eq!(pick(&["pt_BR"]), "pt-BR");
        assert_eq!(pick(&["DE"]), "de");
        assert_eq!(pick(&["ZH-hant"]), "zh-Hant");
        assert_eq!(pick(&[" nl-BE "]), "nl");
    }

    #[test]
    fn chinese_by_script_then_region() {
        for traditional in ["zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-TW", "zh_tw"] {
            assert_eq!(pick(&[traditional]), "zh-Hant", "{traditional}");
        }
        for simplified in ["zh", "zh-CN", "zh-SG", "zh-Hans", "zh-Hans-HK", "ZH-cn"] {
            assert_eq!(pick(&[simplified]), "zh-Hans", "{simplified}");
        }
    }

    #[test]
    fn aliases_for_norwegian_and_hebrew() {
        assert_eq!(pick(&["no"]), "nb");
        assert_eq!(pick(&["nn-NO"]), "nb");
        assert_eq!(pick(&["nb-NO"]), "nb");
        assert_eq!(pick(&["iw"]), "he");
        assert_eq!(pick(&["he-IL"]), "he");
    }

    #[test]
    fn visitor_order_then_default_then_english() {
        assert_eq!(pick(&["xx", "eo", "it"]), "it");
        assert_eq!(pick(&["sw"]), "en");
        assert_eq!(pick(&[]), "en");
        assert_eq!(pick(&["", "*"]), "en");
        assert_eq!(builtin_language_for(&["sw"], None, Some("de")), "de");
        assert_eq!(builtin_language_for(&["sw"], None, Some("DE-ch")), "de");
        // A default that is not built in is ignored, not trusted.
        assert_eq!(builtin_language_for(&["sw"], None, Some("tlh")), "en");
        assert_eq!(builtin_language_for(&["fr"], None, Some("de")), "fr");
    }

    #[test]
    fn only_allowed_languages_are_chosen() {
        let site: &[&str] = &["de", "en", "pt-BR"];
        assert_eq!(
            builtin_language_for(&["fr", "de-AT"], Some(site), None),
            "de"
        );
        assert_eq!(builtin_language_for(&["pt-PT"], Some(site), None), "en");
        // A pt-BR visitor on a site that offers European Portuguese only reads that.
        assert_eq!(builtin_language_for(&["pt-BR"], Some(&["pt"]), None), "pt");
        assert_eq!(builtin_language_for(&["pt-BR"], Some(site), None), "pt-BR");
        assert_eq!(builtin_language_for(&["fr"], Some(site), Some("de")), "de");
        assert_eq!(
            builtin_language_for(&["fr"], Some(&["de-DE", "fr-FR"]), None),
            "fr"
        );
        assert_eq!(builtin_language_for(&["ja"], Some(&[]), Some("fi")), "fi");
        assert_eq!(builtin_language_for(&["ja"], Some(&[]), None), "en");
        // zh-TW visitors are not served simplified Chinese by a site that offers only zh-Hans.
        assert_eq!(
            builtin_language_for(&["zh-TW"], Some(&["zh-Hans"]), None),
            "en"
        );
    }

    #[test]
    fn every_answer_is_a_built_in_spelling() {
        for lang in BUILT_IN_LANGUAGES {
            assert_eq!(pick(&[lang]), *lang);
            assert_eq!(pick(&[&lang.to_ascii_uppercase()]), *lang);
        }
        assert_eq!(BUILT_IN_LANGUAGES.len(), 38);
    }
}
