//! Link tokens: the opaque, MAC-protected token in one-click unsubscribe links (`/u/TOKEN`) and in the tracking
//! pixel and click links (`/e/o/TOKEN`, `/e/c/TOKEN`).
//!
//! A token binds a list and an address pseudonym (never the address) to a validity window. Layout, then
//! base64url without padding (canonical: exactly one encoding is accepted):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, `1` |
//! | 1 | kind: `U` (0x55) unsubscribe, `T` (0x54) tracking |
//! | 1 | length `n` of the list id (1..=64) |
//! | n | list id (ASCII) |
//! | 16 | address pseudonym (see [`Pseudonym`]) |
//! | 8 | issued at, Unix seconds, big-endian |
//! | 8 | expires at, Unix seconds, big-endian |
//! | 16 | tag: the first 16 bytes of HMAC-SHA256(link key, all bytes above) |
//!
//! The link key is derived from the installation's e-mail secret ([`EmailKeys`]). The kind byte is inside the MAC,
//! so a tracking token is never accepted as an unsubscribe token or the reverse. Unsubscribe tokens are valid for
//! [`UNSUBSCRIBE_VALIDITY_SECS`] (180 days; CAN-SPAM asks for at least 30 days after sending, our floor is 60).

use core::fmt;

use subtle::ConstantTimeEq;

use super::list::{ListId, MAX_LIST_ID_LEN};
use super::secret::{EmailKeys, PSEUDONYM_LEN, Pseudonym};

/// Token format version.
pub const VERSION: u8 = 1;
/// How long an unsubscribe link works: 180 days.
pub const UNSUBSCRIBE_VALIDITY_SECS: u64 = 180 * 24 * 60 * 60;
/// The shortest validity accepted when a caller asks for another one: 60 days.
pub const MIN_UNSUBSCRIBE_VALIDITY_SECS: u64 = 60 * 24 * 60 * 60;
/// How long tracking links work: 180 days.
pub const TRACKING_VALIDITY_SECS: u64 = 180 * 24 * 60 * 60;
const TAG_LEN: usize = 16;
const FIXED_LEN: usize = 3 + PSEUDONYM_LEN + 8 + 8 + TAG_LEN;

/// What a link token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// One-click unsubscribe (`/u/TOKEN`).
    Unsubscribe,
    /// Open pixel and click redirect (`/e/o/TOKEN`, `/e/c/TOKEN`).
    Tracking,
}

impl LinkKind {
    fn byte(self) -> u8 {
        match self {
            LinkKind::Unsubscribe => b'U',
            LinkKind::Tracking => b'T',
        }
    }
}

/// A token whose tag and validity have been checked: only [`verify`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkToken {
    kind: LinkKind,
    list: ListId,
    subject: Pseudonym,
    issued_at: u64,
    expires_at: u64,
}

impl LinkToken {
    /// Unsubscribe or tracking.
    pub fn kind(&self) -> LinkKind {
        self.kind
    }
    /// The list.
    pub fn list(&self) -> &ListId {
        &self.list
    }
    /// The address pseudonym.
    pub fn subject(&self) -> Pseudonym {
        self.subject
    }
    /// Issued at (Unix seconds).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// Expires at (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

/// Why a token was refused. The HTTP layer answers all of them the same way (404), so that nothing can be learnt
/// from the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token of this format.
    Malformed,
    /// The tag does not match: altered, or made with another secret.
    BadTag,
    /// Another kind of token.
    WrongKind,
    /// Past its expiry.
    Expired,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "malformed link token",
            TokenError::BadTag => "link token tag does not verify",
            TokenError::WrongKind => "link token of the wrong kind",
            TokenError::Expired => "link token expired",
        })
    }
}

impl std::error::Error for TokenError {}

/// Issues a token of `kind` for (`list`, `subject`), valid from `now` for `validity_secs`.
pub fn issue(
    keys: &EmailKeys,
    kind: LinkKind,
    list: &ListId,
    subject: Pseudonym,
    now: u64,
    validity_secs: u64,
) -> String {
    let list = list.as_str().as_bytes();
    let mut bytes = Vec::with_capacity(FIXED_LEN + list.len());
    bytes.push(VERSION);
    bytes.push(kind.byte());
    bytes.push(list.len() as u8);
    bytes.extend_from_slice(list);
    bytes.extend_from_slice(&subject.0);
    bytes.extend_from_slice(&now.to_be_bytes());
    bytes.extend_from_slice(&now.saturating_add(validity_secs).to_be_bytes());
    let tag = keys.link_mac(&bytes);
    bytes.extend_from_slice(&tag[..TAG_LEN]);
    assent_core::base64url::encode(&bytes)
}

struct Parsed {
    kind: u8,
    list: ListId,
    subject: Pseudonym,
    issued_at: u64,
    expires_at: u64,
    body_len: usize,
    bytes: Vec<u8>,
}

fn parse(token: &str) -> Result<Parsed, TokenError> {
    if token.len() > 4 * (FIXED_LEN + MAX_LIST_ID_LEN) / 3 + 4 {
        return Err(TokenError::Malformed);
    }
    let bytes = assent_core::base64url::decode(token).map_err(|_| TokenError::Malformed)?;
    if bytes.len() < FIXED_LEN + 1 || bytes[0] != VERSION {
        return Err(TokenError::Malformed);
    }
    let n = usize::from(bytes[2]);
    if n == 0 || n > MAX_LIST_ID_LEN || bytes.len() != FIXED_LEN + n {
        return Err(TokenError::Malformed);
    }
    let list = std::str::from_utf8(&bytes[3..3 + n]).map_err(|_| TokenError::Malformed)?;
    let list = ListId::new(list).map_err(|_| TokenError::Malformed)?;
    let mut at = 3 + n;
    let subject = Pseudonym(
        bytes[at..at + PSEUDONYM_LEN]
            .try_into()
            .expect("length checked"),
    );
    at += PSEUDONYM_LEN;
    let issued_at = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("length checked"));
    at += 8;
    let expires_at = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("length checked"));
    at += 8;
    Ok(Parsed {
        kind: bytes[1],
        list,
        subject,
        issued_at,
        expires_at,
        body_len: at,
        bytes,
    })
}

/// The list a token names, read WITHOUT verifying it. Only for choosing which list's click targets apply to a
/// redirect (every list's targets are ours, so a forged list name gains nothing); never for recording anything.
pub fn untrusted_list(token: &str) -> Option<ListId> {
    parse(token).ok().map(|p| p.list)
}

/// Checks a token's format, tag, kind and expiry at `now`.
pub fn verify(
    keys: &EmailKeys,
    kind: LinkKind,
    token: &str,
    now: u64,
) -> Result<LinkToken, TokenError> {
    let p = parse(token)?;
    let tag = keys.link_mac(&p.bytes[..p.body_len]);
    if !bool::from(tag[..TAG_LEN].ct_eq(&p.bytes[p.body_len..])) {
        return Err(TokenError::BadTag);
    }
    if p.kind != kind.byte() {
        return Err(TokenError::WrongKind);
    }
    if now >= p.expires_at {
        return Err(TokenError::Expired);
    }
    Ok(LinkToken {
        kind,
        list: p.list,
        subject: p.subject,
        issued_at: p.issued_at,
        expires_at: p.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::address::EmailAddress;

    const NOW: u64 = 1_790_000_000;

    fn setup() -> (EmailKeys, ListId, Pseudonym) {
        let keys = EmailKeys::from_secret(&[3; 32]);
        let addr = EmailAddress::parse("ann@example.com").unwrap();
        let subject = keys.pseudonym(&addr);
        (keys, ListId::new("newsletter").unwrap(), subject)
    }

    #[test]
    fn round_trip_and_validity_window() {
        let (keys, list, subject) = setup();
        let t = issue(
            &keys,
            LinkKind::Unsubscribe,
            &list,
            subject,
            NOW,
            UNSUBSCRIBE_VALIDITY_SECS,
        );
        let v = verify(&keys, LinkKind::Unsubscribe, &t, NOW).unwrap();
        assert_eq!(
            (v.list(), v.subject(), v.issued_at()),
            (&list, subject, NOW)
        );
        // Still valid after 60 days and just before the end; expired at the end.
        let sixty_days = 60 * 24 * 3600;
        assert!(verify(&keys, LinkKind::Unsubscribe, &t, NOW + sixty_days).is_ok());
        let end = NOW + UNSUBSCRIBE_VALIDITY_SECS;
        assert!(verify(&keys, LinkKind::Unsubscribe, &t, end - 1).is_ok());
        assert_eq!(
            verify(&keys, LinkKind::Unsubscribe, &t, end),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn carries_no_address_in_clear() {
        let (keys, list, subject) = setup();
        let t = issue(
            &keys,
            LinkKind::Unsubscribe,
            &list,
            subject,
            NOW,
            UNSUBSCRIBE_VALIDITY_SECS,
        );
        let raw = assent_core::base64url::decode(&t).unwrap();
        let raw = String::from_utf8_lossy(&raw).to_lowercase();
        assert!(!raw.contains("ann") && !raw.contains("example"), "{raw}");
        assert!(!t.to_lowercase().contains("ann"));
    }

    #[test]
    fn every_altered_byte_is_refused() {
        let (keys, list, subject) = setup();
        let t = issue(
            &keys,
            LinkKind::Unsubscribe,
            &list,
            subject,
            NOW,
            UNSUBSCRIBE_VALIDITY_SECS,
        );
        let raw = assent_core::base64url::decode(&t).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let bad = assent_core::base64url::encode(&bad);
            assert!(
                verify(&keys, LinkKind::Unsubscribe, &bad, NOW).is_err(),
                "byte {i}"
            );
        }
        // Truncated, extended, another secret, garbage.
        assert!(verify(&keys, LinkKind::Unsubscribe, &t[..t.len() - 2], NOW).is_err());
        assert!(verify(&keys, LinkKind::Unsubscribe, &format!("{t}AA"), NOW).is_err());
        let other = EmailKeys::from_secret(&[4; 32]);
        assert_eq!(
            verify(&other, LinkKind::Unsubscribe, &t, NOW),
            Err(TokenError::BadTag)
        );
        for junk in ["", "x", "!!!", &"A".repeat(5000)] {
            assert_eq!(
                verify(&keys, LinkKind::Unsubscribe, junk, NOW),
                Err(TokenError::Malformed)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_verifies_and_never_panics(text in ".{0,200}") {
            let (keys, _, _) = setup();
            proptest::prop_assert!(verify(&keys, LinkKind::Unsubscribe, &text, NOW).is_err());
            let _ = untrusted_list(&text);
        }

        #[test]
        fn arbitrary_bytes_with_a_valid_header_never_verify(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..120),
        ) {
            let (keys, _, _) = setup();
            let mut bytes = vec![VERSION, b'U'];
            bytes.extend(body);
            let text = assent_core::base64url::encode(&bytes);
            proptest::prop_assert!(verify(&keys, LinkKind::Unsubscribe, &text, NOW).is_err());
        }

        #[test]
        fn every_list_and_time_round_trips(list in "[a-z0-9][a-z0-9_-]{0,63}", now in 0u64..4_000_000_000) {
            let (keys, _, subject) = setup();
            let list = ListId::new(&list).unwrap();
            let t = issue(&keys, LinkKind::Unsubscribe, &list, subject, now, UNSUBSCRIBE_VALIDITY_SECS);
            let v = verify(&keys, LinkKind::Unsubscribe, &t, now).unwrap();
            proptest::prop_assert_eq!(v.list(), &list);
            proptest::prop_assert_eq!(v.expires_at(), now + UNSUBSCRIBE_VALIDITY_SECS);
        }
    }

    #[test]
    fn kinds_are_not_interchangeable() {
        let (keys, list, subject) = setup();
        let t = issue(
            &keys,
            LinkKind::Tracking,
            &list,
            subject,
            NOW,
            TRACKING_VALIDITY_SECS,
        );
        assert_eq!(
            verify(&keys, LinkKind::Unsubscribe, &t, NOW),
            Err(TokenError::WrongKind)
        );
        assert!(verify(&keys, LinkKind::Tracking, &t, NOW).is_ok());
        assert_eq!(untrusted_list(&t), Some(list));
    }
}
