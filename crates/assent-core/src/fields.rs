//! The rules for field values that the browser, the server and e-mail consent all check, in one place: a
//! language tag, a SHA-256 in hex, a site id, a subject id. The config reader, the consent server's
//! `POST /v1/consents`, `POST /v1/subscriptions`, the site registry and the token format call these, so a value
//! one part accepts is never refused by another.

use crate::text::split_first_byte;

/// Longest language tag accepted (RFC 5646 §4.4.1: implementations must handle at least 35 characters).
pub const MAX_LANGUAGE_TAG_LEN: usize = 35;
/// Longest site id (what a token's `site_len` byte can carry, and what the server stores).
pub const MAX_SITE_ID_LEN: usize = 64;
/// Length of a subject id as text: 16 bytes in unpadded base64url.
pub const SUBJECT_ID_TEXT_LEN: usize = 22;

/// Whether `tag` is a BCP 47 language tag as Assent uses them: a primary language subtag of 2–3 ASCII letters
/// (`en`, `pt`, `fil`), then any number of subtags of 1–8 ASCII letters or digits (`pt-BR`, `zh-Hant-TW`,
/// `es-419`), at most [`MAX_LANGUAGE_TAG_LEN`] characters. Case is not checked (`pt-br` is accepted); `1`,
/// `e`, `en--US`, `en_US` and `en US` are refused.
pub fn is_language_tag(tag: &str) -> bool {
    // `split_first_byte`, not `str::split`: the browser build reads config languages with this, and the
    // pattern machinery of `split` costs wasm bytes.
    let (primary, mut rest) = split_first_byte(tag, b'-');
    if tag.len() > MAX_LANGUAGE_TAG_LEN
        || !(2..=3).contains(&primary.len())
        || !primary.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return false;
    }
    while let Some(r) = rest {
        let (subtag, next) = split_first_byte(r, b'-');
        if !(1..=8).contains(&subtag.len()) || !subtag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return false;
        }
        rest = next;
    }
    true
}

/// Whether `text` is a SHA-256 digest as Assent writes them: 64 lowercase hexadecimal digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `site` is a site id: 1–[`MAX_SITE_ID_LEN`] bytes of visible ASCII (no space, no control
/// character), e.g. `example.com`.
pub fn is_site_id(site: &str) -> bool {
    (1..=MAX_SITE_ID_LEN).contains(&site.len()) && site.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `text` is a subject id: [`SUBJECT_ID_TEXT_LEN`] characters of unpadded base64url that decode to 16
/// bytes.
pub fn is_subject_id(text: &str) -> bool {
    text.len() == SUBJECT_ID_TEXT_LEN
        && crate::base64url::decode(text).is_ok_and(|bytes| bytes.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for good in [
            "en",
            "pt-BR",
            "pt-br",
            "zh-Hant-TW",
            "es-419",
            "fil",
            "sr-Latn",
        ] {
            assert!(is_language_tag(good), "{good}");
        }
        let long = format!("en-{}", ["abcdefgh"; 4].join("-"));
        assert_eq!(long.len(), 38);
        for bad in [
            "",
            "1",
            "e",
            "1en",
            "e1",
            "engl",
            "en--US",
            "en-",
            "-en",
            "en_US",
            "en US",
            "en-abcdefghi",
            "ü",
            &long,
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn digests_sites_and_subjects() {
        assert!(is_sha256_hex(&"0a".repeat(32)));
        assert!(!is_sha256_hex(&"0A".repeat(32)));
        assert!(!is_sha256_hex(&"0a".repeat(31)));
        assert!(!is_sha256_hex(&"g0".repeat(32)));
        assert!(is_site_id("example.com"));
        assert!(is_site_id(&"a".repeat(64)));
        for bad in ["", "exa mple", "a\u{7f}", "é.example", &"a".repeat(65)] {
            assert!(!is_site_id(bad), "{bad:?}");
        }
        assert!(is_subject_id("AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(is_subject_id("_-_-_-_-_-_-_-_-_-_-_w"));
        for bad in [
            "",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA==",
        ] {
            assert!(!is_subject_id(bad), "{bad:?}");
        }
    }
}
