//! Reading the token from an HTTP `Cookie` header.

/// The cookie name the Assent server and browser SDK use for the signed token.
pub const DEFAULT_COOKIE_NAME: &str = "assent_token";

/// The value of the first cookie called `name` in a `Cookie` request header value (`a=1; b=2`), without
/// surrounding double quotes. `None` when absent: treat that as "no consent" (fail closed).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k.trim() != name {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_cookie() {
        let h = "_ga=GA1.2.3; assent_token=AQID-_x; theme=dark";
        assert_eq!(cookie_value(h, "assent_token"), Some("AQID-_x"));
        assert_eq!(cookie_value(h, "theme"), Some("dark"));
        assert_eq!(cookie_value(h, "missing"), None);
        assert_eq!(
            cookie_value("assent_token=\"abc\"", "assent_token"),
            Some("abc")
        );
        assert_eq!(cookie_value("xassent_token=abc", "assent_token"), None);
        assert_eq!(
            cookie_value("assent_token=a; assent_token=b", "assent_token"),
            Some("a")
        );
        assert_eq!(cookie_value("", "assent_token"), None);
        assert_eq!(cookie_value("assent_token", "assent_token"), None);
    }
}
