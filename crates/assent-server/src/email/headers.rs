//! The headers a sender adds to every marketing message (RFC 2369 `List-Unsubscribe`, RFC 8058
//! `List-Unsubscribe-Post`), and the tracking links.
//!
//! ```
//! use assent_server::email::{EmailAddress, EmailKeys, ListId, unsubscribe_headers};
//! let keys = EmailKeys::from_secret(&[1; 32]); // in a server: EmailKeys::load_or_create(key_dir)
//! let to = EmailAddress::parse("ann@example.com")?;
//! let list = ListId::new("newsletter")?;
//! let h = unsubscribe_headers(&keys, "https://consent.example.com", None, &to, &list, 1_790_000_000)?;
//! assert!(h.list_unsubscribe.starts_with("<https://consent.example.com/u/"));
//! assert_eq!(h.list_unsubscribe_post, "List-Unsubscribe=One-Click");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use lettre::message::header::{Header, HeaderName, HeaderValue};

use super::address::EmailAddress;
use super::list::ListId;
use super::secret::EmailKeys;
use super::token::{self, LinkKind};

/// The value of `List-Unsubscribe-Post` (RFC 8058 §3.1).
pub const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// The two one-click unsubscribe headers of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeHeaders {
    /// The HTTPS one-click URL, `{public_url}/u/{token}`.
    pub url: String,
    /// The `mailto:` URI, when a mailbox for unsubscribe requests was given.
    pub mailto: Option<String>,
    /// The `List-Unsubscribe` value: `<https://…/u/TOKEN>` and, when given, `, <mailto:…>`.
    pub list_unsubscribe: String,
    /// The `List-Unsubscribe-Post` value: always `List-Unsubscribe=One-Click`.
    pub list_unsubscribe_post: &'static str,
}

/// Why headers could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The public URL is not an absolute `http(s)://` URL without query or fragment.
    PublicUrl(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::PublicUrl(why) => write!(f, "public URL: {why}"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Checks a public base URL and returns it without a trailing `/`.
pub fn normalize_public_url(url: &str) -> Result<String, HeaderError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            HeaderError::PublicUrl("must start with https:// (or http:// for local demos)".into())
        })?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(HeaderError::PublicUrl("has no host".into()));
    }
    if url.contains(['?', '#', '<', '>', '"', ','])
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(HeaderError::PublicUrl(
            "must not contain a query, fragment, whitespace or any of < > \" ,".into(),
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The one-click unsubscribe headers for a message from `list` to `to`, issued at `now` (Unix seconds) and
/// working for [`token::UNSUBSCRIBE_VALIDITY_SECS`]. `mailto` is a mailbox that processes unsubscribe requests
/// (its messages carry the token in the subject); leave it `None` if nobody reads such a mailbox.
pub fn unsubscribe_headers(
    keys: &EmailKeys,
    public_url: &str,
    mailto: Option<&EmailAddress>,
    to: &EmailAddress,
    list: &ListId,
    now: u64,
) -> Result<UnsubscribeHeaders, HeaderError> {
    let base = normalize_public_url(public_url)?;
    let token = token::issue(
        keys,
        LinkKind::Unsubscribe,
        list,
        keys.pseudonym(to),
        now,
        token::UNSUBSCRIBE_VALIDITY_SECS,
    );
    let url = format!("{base}/u/{token}");
    let mailto = mailto.map(|m| format!("mailto:{}?subject=unsubscribe%20{token}", m.as_str()));
    let list_unsubscribe = match &mailto {
        Some(m) => format!("<{url}>, <{m}>"),
        None => format!("<{url}>"),
    };
    Ok(UnsubscribeHeaders {
        url,
        mailto,
        list_unsubscribe,
        list_unsubscribe_post: ONE_CLICK,
    })
}

/// Tracking links for one message (use them only where the message may track; the server records an event
/// only when the subscriber's consent covers tracking, and answers the same way otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingLinks {
    base: String,
    token: String,
}

impl TrackingLinks {
    /// The open-tracking pixel: `{public_url}/e/o/{token}` (a 1×1 GIF).
    pub fn pixel_url(&self) -> String {
        format!("{}/e/o/{}", self.base, self.token)
    }

    /// A tracked link to `target`, which must be one of the list's registered `click_urls` (otherwise the
    /// server answers 404 instead of redirecting).
    pub fn click_url(&self, target: &str) -> String {
        format!(
            "{}/e/c/{}?u={}",
            self.base,
            self.token,
            percent_encode(target)
        )
    }
}

/// Tracking links for a message from `list` to `to`, issued at `now`.
pub fn tracking_links(
    keys: &EmailKeys,
    public_url: &str,
    to: &EmailAddress,
    list: &ListId,
    now: u64,
) -> Result<TrackingLinks, HeaderError> {
    let base = normalize_public_url(public_url)?;
    let token = token::issue(
        keys,
        LinkKind::Tracking,
        list,
        keys.pseudonym(to),
        now,
        token::TRACKING_VALIDITY_SECS,
    );
    Ok(TrackingLinks { base, token })
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

/// The `List-Unsubscribe` header for lettre's message builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The `List-Unsubscribe-Post` header for lettre's message builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim() == ONE_CLICK {
            Ok(ListUnsubscribePost)
        } else {
            Err("not List-Unsubscribe=One-Click".into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), ONE_CLICK.to_owned())
    }
}

impl UnsubscribeHeaders {
    /// Adds both headers to a message being built.
    pub fn apply(
        &self,
        builder: lettre::message::MessageBuilder,
    ) -> lettre::message::MessageBuilder {
        builder
            .header(ListUnsubscribe(self.list_unsubscribe.clone()))
            .header(ListUnsubscribePost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_790_000_000;

    #[test]
    fn header_values_follow_rfc_2369_and_8058() {
        let keys = EmailKeys::from_secret(&[9; 32]);
        let to = EmailAddress::parse("Ann@Example.com").unwrap();
        let list = ListId::new("newsletter").unwrap();
        let mailbox = EmailAddress::parse("unsubscribe@example.com").unwrap();
        let h = unsubscribe_headers(
            &keys,
            "https://c.example.com/",
            Some(&mailbox),
            &to,
            &list,
            NOW,
        )
        .unwrap();
        let token = h.url.strip_prefix("https://c.example.com/u/").unwrap();
        assert!(token::verify(&keys, LinkKind::Unsubscribe, token, NOW).is_ok());
        assert_eq!(
            h.list_unsubscribe,
            format!(
                "<https://c.example.com/u/{token}>, <mailto:unsubscribe@example.com?subject=unsubscribe%20{token}>"
            )
        );
        assert_eq!(h.list_unsubscribe_post, "List-Unsubscribe=One-Click");
        assert!(!h.list_unsubscribe.to_lowercase().contains("ann"));
        let plain =
            unsubscribe_headers(&keys, "https://c.example.com", None, &to, &list, NOW).unwrap();
        assert_eq!(plain.list_unsubscribe, format!("<{}>", plain.url));
    }

    #[test]
    fn public_url_is_checked() {
        assert_eq!(
            normalize_public_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "ftp://x",
            "https://",
            "https:///x",
            "https://x/?a=1",
            "https://x/#f",
            "https://a b",
            "x",
        ] {
            assert!(normalize_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_end_up_in_a_built_message() {
        let keys = EmailKeys::from_secret(&[9; 32]);
        let to = EmailAddress::parse("ann@example.com").unwrap();
        let list = ListId::new("newsletter").unwrap();
        let h = unsubscribe_headers(&keys, "https://c.example.com", None, &to, &list, NOW).unwrap();
        let msg = h
            .apply(lettre::Message::builder())
            .from("news@example.com".parse().unwrap())
            .to(to.to_mailbox())
            .subject("Hello")
            .body(String::from("Hi"))
            .unwrap();
        let text = String::from_utf8(msg.formatted()).unwrap();
        let unfolded = text.replace("\r\n ", " ");
        assert!(
            unfolded.contains(&format!("List-Unsubscribe: {}\r\n", h.list_unsubscribe)),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            "{text}"
        );
    }

    #[test]
    fn tracking_links_encode_the_target() {
        let keys = EmailKeys::from_secret(&[9; 32]);
        let to = EmailAddress::parse("ann@example.com").unwrap();
        let list = ListId::new("newsletter").unwrap();
        let links = tracking_links(&keys, "https://c.example.com", &to, &list, NOW).unwrap();
        assert!(links.pixel_url().starts_with("https://c.example.com/e/o/"));
        let click = links.click_url("https://example.com/a?b=c&d");
        assert!(
            click.ends_with("?u=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc%26d"),
            "{click}"
        );
    }
}
