//! Dashboard sessions: an HMAC-signed, expiring cookie, a CSRF token bound to it, and the same-origin check of
//! every state-changing request.
//!
//! The cookie is `<session id>.<expiry>.<MAC>`, signed with a key derived from the admin token, so every
//! instance sharing the token (PostgreSQL set-ups) accepts it without shared session storage, and changing
//! `ASSENT_ADMIN_TOKEN` ends every session everywhere. Signing out puts the session id in this instance's
//! revocation set until the cookie would have expired anyway (docs/dashboard.md: with several instances, the
//! other instances learn of a sign-out only when the cookie is gone from the browser, which sign-out also
//! does).

use std::collections::HashMap;
use std::sync::Mutex;

use assent_core::base64url;
use axum::http::{HeaderMap, header};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "assent_admin";

/// How long a session lasts (8 hours).
pub const MAX_AGE_SECS: i64 = 8 * 3600;

type HmacSha256 = Hmac<Sha256>;

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Random id (base64url of 16 bytes).
    pub id: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

/// The session key and this instance's sign-outs.
#[derive(Debug)]
pub struct Sessions {
    key: Option<[u8; 32]>,
    revoked: Mutex<HashMap<String, i64>>,
}

impl Sessions {
    /// Sessions keyed by the admin token's digest; `None` (admin disabled) accepts none.
    pub fn new(admin_token_digest: Option<&[u8; 32]>) -> Sessions {
        let key = admin_token_digest.map(|digest| {
            let mut mac = HmacSha256::new_from_slice(digest).expect("any key length");
            mac.update(b"assent dashboard sessions v1");
            mac.finalize().into_bytes().into()
        });
        Sessions {
            key,
            revoked: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self, parts: &[&str]) -> Option<[u8; 32]> {
        let mut mac = HmacSha256::new_from_slice(self.key.as_ref()?).expect("any key length");
        for p in parts {
            mac.update(p.as_bytes());
            mac.update(b"\0");
        }
        Some(mac.finalize().into_bytes().into())
    }

    fn session(&self, id: String, expires_at: i64) -> Option<Session> {
        let csrf = base64url::encode(&self.mac(&["csrf", &id])?);
        Some(Session {
            id,
            expires_at,
            csrf,
        })
    }

    /// A new session from now (`now` in Unix seconds) and its cookie value.
    pub fn issue(&self, now: i64) -> Option<(Session, String)> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).expect("the operating system's random generator works");
        let id = base64url::encode(&bytes);
        let expires_at = now + MAX_AGE_SECS;
        let exp = expires_at.to_string();
        let mac = base64url::encode(&self.mac(&["session", &id, &exp])?);
        let value = format!("{id}.{exp}.{mac}");
        Some((self.session(id, expires_at)?, value))
    }

    /// The session of a request's cookie, when it is signed by us, not expired and not signed out.
    pub fn from_headers(&self, headers: &HeaderMap, now: i64) -> Option<Session> {
        let value = cookie(headers, COOKIE)?;
        let mut parts = value.split('.');
        let (id, exp, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let expected = self.mac(&["session", id, exp])?;
        let given = base64url::decode(mac).ok()?;
        if !bool::from(given.as_slice().ct_eq(&expected)) {
            return None;
        }
        let expires_at: i64 = exp.parse().ok()?;
        if expires_at <= now {
            return None;
        }
        if self.revoked.lock().expect("sessions lock").contains_key(id) {
            return None;
        }
        self.session(id.to_owned(), expires_at)
    }

    /// Ends a session on this instance (kept until it would have expired).
    pub fn revoke(&self, session: &Session, now: i64) {
        let mut revoked = self.revoked.lock().expect("sessions lock");
        revoked.retain(|_, exp| *exp > now);
        revoked.insert(session.id.clone(), session.expires_at);
    }
}

/// Whether `given` is the session's CSRF token (constant time).
pub fn csrf_ok(session: &Session, given: Option<&str>) -> bool {
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(session.csrf.as_bytes())))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether a state-changing request comes from the dashboard's own origin: `Sec-Fetch-Site`, when sent, must
/// be `same-origin` (or `none`: typed by the user); `Origin`, when sent, must be this server as the request
/// names it (`Host`) or the configured public URL. A client that sends neither (not a browser) passes this
/// check; it still needs the cookie and the CSRF token.
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let own = host.is_some_and(|host| {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host)
    });
    own || public_origin == Some(origin)
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE}={value}")).unwrap(),
        );
        h
    }

    #[test]
    fn a_cookie_is_valid_until_it_expires_or_is_revoked_and_cannot_be_forged() {
        let sessions = Sessions::new(Some(&[7; 32]));
        let (session, value) = sessions.issue(1000).unwrap();
        let h = with_cookie(&value);
        assert_eq!(sessions.from_headers(&h, 1001), Some(session.clone()));
        assert_eq!(sessions.from_headers(&h, 1000 + MAX_AGE_SECS), None);
        // Another token's key, a longer expiry, a flipped MAC: refused.
        assert_eq!(Sessions::new(Some(&[8; 32])).from_headers(&h, 1001), None);
        let (id, rest) = value.split_once('.').unwrap();
        let mac = rest.split_once('.').unwrap().1;
        let longer = format!("{id}.{}.{mac}", 1000 + 2 * MAX_AGE_SECS);
        assert_eq!(sessions.from_headers(&with_cookie(&longer), 1001), None);
        assert!(csrf_ok(&session, Some(&session.csrf)));
        assert!(!csrf_ok(&session, Some("x")));
        assert!(!csrf_ok(&session, None));
        sessions.revoke(&session, 1002);
        assert_eq!(sessions.from_headers(&h, 1003), None);
        assert!(Sessions::new(None).issue(1).is_none());
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h, None));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h, None));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, None));
        h.remove("sec-fetch-site");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h, None));
        assert!(same_origin(&h, Some("http://evil.example")));
    }
}
