//! Cookie strings, and the domain and path variants a tracker cookie may have been set with.
//!
//! Plain Rust (no DOM), tested natively. A cookie can only be deleted with the same `Domain` and `Path` it was set
//! with, and a script cannot read those back, so opt-out enforcement writes an expired cookie for every plausible
//! combination: host-only, the host and each parent domain (also in the legacy leading-dot form), and the paths
//! `/`, each directory of the current path (with and without a trailing slash) and the current path itself.

use crate::text::{contains_byte, split_first_byte, split_once_byte, trim_end_byte};

/// Most path segments considered (bounds the number of deletion writes on deep URLs).
const MAX_PATH_SEGMENTS: usize = 6;

/// Whether `host` is an IP address (v4 or bracketed/colon v6): such hosts have no parent domains.
fn is_ip(host: &str) -> bool {
    contains_byte(host, b':')
        || (!host.is_empty() && host.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// Every `Domain` attribute value a cookie visible on `host` may carry: `a.b.example.com` gives
/// `a.b.example.com`, `.a.b.example.com`, `b.example.com`, `.b.example.com`, `example.com`, `.example.com`.
///
/// A bare top-level label (`com`) is never listed; IP addresses and single-label hosts (`localhost`) get none
/// (their cookies are host-only, deleted without a `Domain` attribute).
pub fn domain_candidates(host: &str) -> Vec<String> {
    let host = trim_end_byte(host, b'.').to_ascii_lowercase();
    let mut out = Vec::new();
    if is_ip(&host) {
        return out;
    }
    let mut rest = host.as_str();
    while let Some((_, parent)) = split_once_byte(rest, b'.') {
        out.push(rest.to_owned());
        let mut dotted = String::with_capacity(rest.len() + 1);
        dotted.push('.');
        dotted.push_str(rest);
        out.push(dotted);
        rest = parent;
    }
    out
}

/// Every `Path` attribute value a cookie visible at `path` may carry: `/blog/2024/post` gives `/`, `/blog`,
/// `/blog/`, `/blog/2024`, `/blog/2024/`, `/blog/2024/post`.
pub fn path_variants(path: &str) -> Vec<String> {
    let mut out = vec![String::from("/")];
    let mut segments: Vec<&str> = Vec::new();
    let mut rest = Some(path);
    while let Some(r) = rest {
        let (seg, next) = split_first_byte(r, b'/');
        if !seg.is_empty() {
            segments.push(seg);
        }
        rest = next;
    }
    let n = segments.len().min(MAX_PATH_SEGMENTS);
    let mut current = String::new();
    for (i, seg) in segments.iter().take(n).enumerate() {
        current.push('/');
        current.push_str(seg);
        out.push(current.clone());
        let last = i + 1 == segments.len();
        if !last || path.ends_with('/') {
            let mut dir = current.clone();
            dir.push('/');
            out.push(dir);
        }
    }
    out
}

/// The `(name, value)` pairs of a `document.cookie` string, in order (duplicates kept).
pub fn pairs(cookie_string: &str) -> impl Iterator<Item = (&str, &str)> {
    // By bytes (`;` and `=` are ASCII): no generic `char` pattern searcher in the wasm.
    let mut rest = Some(cookie_string);
    core::iter::from_fn(move || {
        loop {
            let (part, next) = split_first_byte(rest?, b';');
            rest = next;
            let part = part.trim();
            if !part.is_empty() {
                return Some(match split_once_byte(part, b'=') {
                    Some((n, v)) => (n.trim(), v.trim()),
                    None => ("", part),
                });
            }
        }
    })
}

/// Whether a value can be written into a cookie as it is (RFC 6265 cookie-octets).
pub fn is_cookie_value(value: &str) -> bool {
    value.bytes().all(|b| {
        b == 0x21
            || (0x23..=0x2b).contains(&b)
            || (0x2d..=0x3a).contains(&b)
            || (0x3c..=0x5b).contains(&b)
            || (0x5d..=0x7e).contains(&b)
    })
}

/// The attributes shared by the SDK's own cookies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieAttrs<'a> {
    /// `Domain` (shares the cookie with subdomains); `None` for host-only.
    pub domain: Option<&'a str>,
    /// Add `Secure` (the page is served over https).
    pub secure: bool,
}

/// A `document.cookie` assignment that sets a first-party cookie: `Path=/`, `SameSite=Lax`.
pub fn set_string(name: &str, value: &str, max_age_secs: u64, attrs: &CookieAttrs<'_>) -> String {
    let mut s = String::with_capacity(96);
    s.push_str(name);
    s.push('=');
    s.push_str(value);
    s.push_str("; Max-Age=");
    crate::text::push_u64(&mut s, max_age_secs);
    s.push_str("; Path=/");
    if let Some(d) = attrs.domain {
        s.push_str("; Domain=");
        s.push_str(d);
    }
    s.push_str("; SameSite=Lax");
    if attrs.secure {
        s.push_str("; Secure");
    }
    s
}

/// A `document.cookie` assignment that deletes `name` set with this domain (`None`: host-only) and path.
pub fn delete_string(name: &str, domain: Option<&str>, path: &str, secure: bool) -> String {
    let mut s = String::with_capacity(64);
    s.push_str(name);
    s.push_str("=; Max-Age=0; Path=");
    s.push_str(path);
    if let Some(d) = domain {
        s.push_str("; Domain=");
        s.push_str(d);
    }
    if secure {
        s.push_str("; Secure");
    }
    s
}

/// Every assignment needed to delete `name` wherever it may have been set for `host` and `path`.
pub fn delete_strings(name: &str, host: &str, path: &str, secure: bool) -> Vec<String> {
    let domains = domain_candidates(host);
    let mut out = Vec::new();
    for p in path_variants(path) {
        out.push(delete_string(name, None, &p, secure));
        for d in &domains {
            out.push(delete_string(name, Some(d), &p, secure));
        }
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn parent_domains_with_and_without_leading_dot() {
        assert_eq!(
            domain_candidates("a.b.example.com"),
            [
                "a.b.example.com",
                ".a.b.example.com",
                "b.example.com",
                ".b.example.com",
                "example.com",
                ".example.com"
            ]
        );
        assert_eq!(
            domain_candidates("Example.COM."),
            ["example.com", ".example.com"]
        );
    }

    #[test]
    fn ip_and_single_label_hosts_are_host_only() {
        assert!(domain_candidates("127.0.0.1").is_empty());
        assert!(domain_candidates("[::1]").is_empty());
        assert!(domain_candidates("localhost").is_empty());
        assert!(domain_candidates("").is_empty());
    }

    #[test]
    fn path_variants_cover_root_directories_and_page() {
        assert_eq!(path_variants("/"), ["/"]);
        assert_eq!(path_variants(""), ["/"]);
        assert_eq!(
            path_variants("/blog/2024/post"),
            [
                "/",
                "/blog",
                "/blog/",
                "/blog/2024",
                "/blog/2024/",
                "/blog/2024/post"
            ]
        );
        assert_eq!(path_variants("/shop/"), ["/", "/shop", "/shop/"]);
        assert!(path_variants(&"/x".repeat(100)).len() <= 1 + 2 * MAX_PATH_SEGMENTS);
    }

    #[test]
    fn parses_cookie_string_keeping_duplicates() {
        let v: Vec<_> = pairs("a=1; _ga=GA1.2.3;b=; assent=x ; assent=y; junk").collect();
        assert_eq!(
            v,
            [
                ("a", "1"),
                ("_ga", "GA1.2.3"),
                ("b", ""),
                ("assent", "x"),
                ("assent", "y"),
                ("", "junk")
            ]
        );
        assert_eq!(pairs("").count(), 0);
    }

    #[test]
    fn set_and_delete_strings() {
        let attrs = CookieAttrs {
            domain: Some("example.com"),
            secure: true,
        };
        assert_eq!(
            set_string("assent", "AQ", 3600, &attrs),
            "assent=AQ; Max-Age=3600; Path=/; Domain=example.com; SameSite=Lax; Secure"
        );
        let host_only = CookieAttrs {
            domain: None,
            secure: false,
        };
        assert_eq!(
            set_string("a", "b", 1, &host_only),
            "a=b; Max-Age=1; Path=/; SameSite=Lax"
        );
        let all = delete_strings("_ga", "www.example.com", "/p", false);
        // paths "/" and "/p", each host-only plus four domain forms.
        assert_eq!(all.len(), 2 * 5);
        assert!(all.contains(&"_ga=; Max-Age=0; Path=/; Domain=.example.com".to_string()));
        assert!(all.contains(&"_ga=; Max-Age=0; Path=/p".to_string()));
        assert!(all.contains(&"_ga=; Max-Age=0; Path=/p; Domain=www.example.com".to_string()));
    }

    #[test]
    fn cookie_value_check() {
        assert!(is_cookie_value("eyJhbGciOiJFZERTQSJ9.abc-_~"));
        for bad in ["a b", "a;b", "a,b", "a\"b", "a\\b", "é"] {
            assert!(!is_cookie_value(bad), "{bad}");
        }
    }
}
