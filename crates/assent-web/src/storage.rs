//! The choice cookie, and opt-out enforcement: deleting a denied category's cookies and localStorage keys.

use assent_core::{Config, ConsentState, Decision};
use wasm_bindgen::JsValue;

use assent_core::cookie::{self, CookieAttrs};
use wasm_bindgen::JsCast;

use crate::dom::{call, cookie_string, local_storage, secure, write_cookie};

/// The stored choice. With duplicates (e.g. after `cookie.domain` changed), the most recent valid one wins;
/// unreadable values count as no choice.
pub(crate) fn read_state(name: &str) -> Option<ConsentState> {
    let cookies = cookie_string();
    let mut values = Vec::new();
    for (n, v) in cookie::pairs(&cookies) {
        if n == name {
            values.push(v);
        }
    }
    assent_core::lifecycle::stored_choice(values)
}

pub(crate) use crate::dom::location_str;

/// Attributes of the SDK's own cookies.
pub(crate) fn attrs(config: &Config) -> CookieAttrs<'_> {
    CookieAttrs {
        domain: config.cookie.domain.as_deref(),
        secure: secure(),
    }
}

/// Writes the choice cookie.
pub(crate) fn write_state(config: &Config, state: &ConsentState) {
    let max_age = u64::from(config.cookie.max_age_days) * 86_400;
    write_cookie(&cookie::set_string(
        &config.cookie.name,
        &state.encode(),
        max_age,
        &attrs(config),
    ));
}

/// The name of the token cookie: `<cookie.name>_token`.
pub(crate) fn token_cookie_name(config: &Config) -> String {
    let mut n = config.cookie.name.clone();
    n.push_str("_token");
    n
}

/// Deletes the cookies and localStorage keys of every denied category (on this host and each parent domain,
/// for every path variant). The SDK's own cookie and keys are never touched.
pub(crate) fn enforce(config: &Config, decision: &Decision) {
    let granted = decision.granted_set();
    let mut denied = Vec::new();
    for c in &config.categories {
        if !granted.contains(c.index) {
            denied.push(c);
        }
    }
    let has_cookies = denied.iter().any(|c| !c.cookies.is_empty());
    let has_keys = denied.iter().any(|c| !c.local_storage.is_empty());
    if has_cookies {
        let token = token_cookie_name(config);
        let jar = cookie_string();
        let mut host_path = None;
        let mut previous = "";
        for (name, _) in cookie::pairs(&jar) {
            // The same name twice in a row (one per domain or path it was set on) is deleted once.
            if name.is_empty() || name == config.cookie.name || name == token || name == previous {
                continue;
            }
            if !denied
                .iter()
                .any(|c| c.cookies.iter().any(|p| p.matches(name)))
            {
                continue;
            }
            previous = name;
            let (host, path) = host_path.get_or_insert_with(|| {
                (
                    location_str("hostname").unwrap_or_default(),
                    location_str("pathname").unwrap_or_default(),
                )
            });
            for assignment in cookie::delete_strings(name, host, path, secure()) {
                write_cookie(&assignment);
            }
        }
    }
    if has_keys {
        if let Some(ls) = local_storage() {
            let keys = js_sys::Object::keys(ls.unchecked_ref::<js_sys::Object>());
            for k in keys.iter().filter_map(|k| k.as_string()) {
                if !k.starts_with("assent.")
                    && denied
                        .iter()
                        .any(|c| c.local_storage.iter().any(|p| p.matches(&k)))
                {
                    call(&ls, "removeItem", &[&JsValue::from_str(&k)]);
                }
            }
        }
    }
}

/// Deletes the consent token cookie on this host, every parent domain and every path variant it may have been
/// written with: after a narrowing choice no stored token may still grant what was withdrawn.
pub(crate) fn delete_token(config: &Config) {
    // Still the proof that the next record is this subject's (never consent: backends read only the cookie).
    let name = token_cookie_name(config);
    let jar = cookie_string();
    for (n, v) in cookie::pairs(&jar) {
        if n == name && !v.is_empty() {
            crate::dom::ls_set(crate::dom::keys::PROOF, v);
        }
    }
    let host = location_str("hostname").unwrap_or_default();
    let path = location_str("pathname").unwrap_or_default();
    for assignment in cookie::delete_strings(&token_cookie_name(config), &host, &path, secure()) {
        write_cookie(&assignment);
    }
}
