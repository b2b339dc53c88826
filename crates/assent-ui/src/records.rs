//! Consent records: when the config has `endpoint`, each choice is posted to `{endpoint}/v1/consents` (fetch with
//! `keepalive`, never blocking the interface), the returned token goes into the `<cookie.name>_token` cookie,
//! the subject id into localStorage `assent.subject`, and records the server could not take yet wait in
//! localStorage `assent.queue` (at most 20 entries, 16 KiB) until the next page load or the `online` event.
//!
//! This lives in the interface part, not in the engine: a record is made only after a choice, and its
//! `notice_hash` is the SHA-256 (`crypto.subtle.digest`) of the notice text this part shows
//! ([`Model::notice_text`](crate::model::Model::notice_text)). The engine applies the choice first (cookie, token
//! deletion, enforcement) and hands the stored state over ([`record`]); it loads this part to flush a non-empty
//! queue.
//!
//! Each record carries `Authorization: Bearer <token>`: the visitor's current token, or the one the engine set
//! aside in localStorage `assent.proof` when a narrowing choice deleted the token cookie. It proves to the server
//! that the record belongs to the subject it names (docs/server.md); the server answers with a new token.

use std::cell::{Cell, RefCell};

use assent_core::ConsentState;
use assent_core::cookie::{self, CookieAttrs};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use crate::record::{self, Outcome, PROOF_KEY, QUEUE_KEY, RecordContext, SUBJECT_KEY};
use assent_dom::{
    call, cookie_string, error, get, local_storage, ls_get, ls_remove, ls_set, now, once, post,
    reload_page, secure, sha256, then, win, write_cookie,
};

thread_local! {
    /// Bodies being sent right now (not sent twice when `online` fires meanwhile).
    static INFLIGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// `decided_at` of the record whose token is in the cookie (an older record's late answer never replaces it).
    static TOKEN_AT: Cell<f64> = const { Cell::new(0.0) };
}

fn read_queue() -> Vec<String> {
    let m = crate::model();
    let own = ls_get(SUBJECT_KEY);
    let Some(text) = ls_get(QUEUE_KEY) else {
        return Vec::new();
    };
    let Ok(v) = js_sys::JSON::parse(&text) else {
        return Vec::new();
    };
    if !Array::is_array(&v) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in Array::from(&v).iter() {
        // Only objects that are records by shape, of this site and naming no other subject; anything else (a page
        // wrote garbage, or records meant to pass as someone else's) is dropped.
        if !e.is_object()
            || Array::is_array(&e)
            || get(&e, "site").as_string() != Some(m.site.clone())
        {
            continue;
        }
        let subject = get(&e, "subject");
        if !subject.is_undefined() && subject.as_string() != own {
            continue;
        }
        if let Some(s) = js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()) {
            out.push(s);
        }
    }
    record::bound_queue(&mut out);
    out
}

fn write_queue(q: &[String]) {
    if q.is_empty() {
        ls_remove(QUEUE_KEY);
    } else {
        ls_set(QUEUE_KEY, &record::queue_json(q));
    }
}

fn remove_from_queue(body: &str) {
    let mut q = read_queue();
    q.retain(|b| b != body);
    write_queue(&q);
}

/// The subject id: the stored one, else 16 random bytes made now (and stored).
fn subject() -> Option<String> {
    local_storage()?;
    if let Some(s) = ls_get(SUBJECT_KEY) {
        if record::is_subject(&s) {
            return Some(s);
        }
    }
    let bytes = Uint8Array::new_with_length(16);
    let crypto = get(&win(), "crypto");
    if crypto.is_undefined() {
        return None;
    }
    call(&crypto, "getRandomValues", &[&bytes]);
    let s = assent_core::base64url::encode(&bytes.to_vec());
    ls_set(SUBJECT_KEY, &s);
    Some(s)
}

/// Records a stored choice (`state`: its cookie encoding, from the engine); reloads the page afterwards when
/// `reload` is set.
pub(crate) fn record(state: &str, reload: bool) {
    let m = crate::model();
    let (Some(_), Ok(state)) = (m.endpoint.as_ref(), ConsentState::decode(state)) else {
        if reload {
            reload_page();
        }
        return;
    };
    let Some(digest) = sha256(&m.notice_text()) else {
        if reload {
            reload_page();
        }
        return;
    };
    let on_hash = once(move |buf: JsValue| {
        let m = crate::model();
        let hash = assent_core::text::hex(&Uint8Array::new(&buf).to_vec());
        let subject = subject();
        let ctx = RecordContext {
            site: &m.site,
            language: &m.lang,
            notice_hash: &hash,
            subject: subject.as_deref(),
            region: m.region.as_deref(),
        };
        let body = record::body(&m.categories, &state, &ctx);
        let mut q = read_queue();
        record::enqueue(&mut q, body);
        write_queue(&q);
        flush();
        if reload {
            reload_page();
        }
    });
    then(&digest, &on_hash, None);
}

/// Sends every queued record that is not on its way already.
pub(crate) fn flush() {
    let Some(endpoint) = crate::model().endpoint.clone() else {
        return;
    };
    let url = record::consents_url(&endpoint);
    for body in read_queue() {
        let fresh = INFLIGHT.with(|f| {
            let mut f = f.borrow_mut();
            if f.contains(&body) {
                false
            } else {
                f.push(body.clone());
                true
            }
        });
        if fresh {
            send(&url, body);
        }
    }
}

fn done(body: &str) {
    INFLIGHT.with(|f| f.borrow_mut().retain(|b| b != body));
}

/// The token that proves the subject: the token cookie, else the one set aside when it was deleted.
fn proof() -> Option<String> {
    let name = crate::model().token_cookie();
    for (n, v) in cookie::pairs(&cookie_string()) {
        if n == name && !v.is_empty() {
            return Some(v.to_owned());
        }
    }
    ls_get(PROOF_KEY).filter(|t| cookie::is_cookie_value(t))
}

fn send(url: &str, body: String) {
    let auth = proof().map(|t| assent_core::text::concat(&["Bearer ", &t]));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    let promise = post(url, &body, &headers);
    let decided_at =
        js_sys::JSON::parse(&body).map_or(0.0, |v| get(&v, "decided_at").as_f64().unwrap_or(0.0));
    let b2 = body.clone();
    let on_response = once(move |resp: JsValue| {
        let status = get(&resp, "status").as_f64().unwrap_or(0.0) as u16;
        match record::outcome(status) {
            Outcome::Stored => {
                remove_from_queue(&body);
                let store = once(move |v: JsValue| store_token(&v, decided_at));
                then(&call(&resp, "json", &[]), &store, None);
            }
            Outcome::Refused => {
                remove_from_queue(&body);
                let mut m = String::from("the consent server refused a record with HTTP status ");
                assent_core::text::push_u64(&mut m, u64::from(status));
                error(&m);
            }
            Outcome::Retry => {}
        }
        done(&body);
    });
    let on_failure = once(move |_: JsValue| done(&b2));
    then(&promise, &on_response, Some(&on_failure));
}

/// Keeps the token (cookie `<cookie.name>_token`, until `expires_at`) and the subject id from a 201 answer.
fn store_token(v: &JsValue, decided_at: f64) {
    let m = crate::model();
    if let Some(subject) = get(v, "subject")
        .as_string()
        .filter(|s| record::is_subject(s))
    {
        ls_set(SUBJECT_KEY, &subject);
    }
    if decided_at < TOKEN_AT.with(Cell::get) {
        return;
    }
    let (Some(token), Some(expires_at)) =
        (get(v, "token").as_string(), get(v, "expires_at").as_f64())
    else {
        return;
    };
    if token.is_empty() || !cookie::is_cookie_value(&token) {
        return;
    }
    let Some(max_age) = record::token_max_age(expires_at as u64, now()) else {
        return;
    };
    TOKEN_AT.with(|t| t.set(decided_at));
    ls_remove(PROOF_KEY);
    let attrs = CookieAttrs {
        domain: m.cookie_domain.as_deref(),
        secure: secure(),
    };
    write_cookie(&cookie::set_string(
        &m.token_cookie(),
        &token,
        max_age,
        &attrs,
    ));
}
