//! Consent records: when the config has `endpoint`, each choice is posted to `{endpoint}/v1/consents` (fetch with
//! `keepalive`, never blocking the interface), the returned token goes into the `<cookie.name>_token` cookie,
//! the subject id into localStorage `assent.subject`, and records the server could not take yet wait in
//! localStorage `assent.queue` (at most 20) until the next page load or the `online` event.
//!
//! `notice_hash` is the SHA-256 (`crypto.subtle.digest`, so no hashing code in the wasm) of
//! [`record::notice_text`]: banner title, description, then each category's title and description in the chosen
//! language, joined with newlines.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use assent_core::{Config, ConsentState, Signals};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use crate::app::{App, current};
use crate::cookie;
use crate::dom::{call, error, get, listen as add_listener, now, once, post, sha256, then, win};
use crate::record::{self, Outcome, QUEUE_KEY, RecordContext, SUBJECT_KEY};
use crate::storage::{
    attrs, local_storage, location_str, ls_get, ls_remove, ls_set, token_cookie_name, write_cookie,
};

thread_local! {
    /// Bodies being sent right now (not sent twice when `online` fires meanwhile).
    static INFLIGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// `decided_at` of the record whose token is in the cookie (an older record's late answer never replaces it).
    static TOKEN_AT: Cell<f64> = const { Cell::new(0.0) };
}

/// Flushes the queue when the browser comes back online (installed once).
pub(crate) fn listen() {
    add_listener(&win(), "online", |_| flush());
}

fn read_queue() -> Vec<String> {
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
        if let Some(s) = e
            .is_object()
            .then(|| js_sys::JSON::stringify(&e).ok()?.as_string())
            .flatten()
        {
            out.push(s);
        }
    }
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

fn reload_page() {
    call(&get(&win(), "location"), "reload", &[]);
}

pub(crate) fn site(config: &Config) -> String {
    if config.site.is_empty() {
        location_str("hostname").unwrap_or_default()
    } else {
        config.site.clone()
    }
}

/// Records a choice (when an endpoint is configured); reloads the page afterwards when `reload` is set. The
/// notice text and the language are the ones the interface part shows (it is loaded for this if it is not yet).
pub(crate) fn record(app: &Rc<App>, state: &ConsentState, reload: bool) {
    if app.config.endpoint.is_none() {
        if reload {
            reload_page();
        }
        return;
    }
    let config = app.config.clone();
    let signals: Signals = app.signals;
    let state = *state;
    crate::ui_link::notice(
        move |lang, text| {
            let Some(digest) = sha256(&text) else {
                if reload {
                    reload_page();
                }
                return;
            };
            let on_hash = once(move |buf: JsValue| {
                let hash = record::hex(&Uint8Array::new(&buf).to_vec());
                let site = site(&config);
                let subject = subject();
                let ctx = RecordContext {
                    site: &site,
                    language: &lang,
                    notice_hash: &hash,
                    subject: subject.as_deref(),
                };
                let body = record::body(&config, &state, state.method, signals, &ctx);
                let mut q = read_queue();
                record::enqueue(&mut q, body);
                write_queue(&q);
                flush();
                if reload {
                    reload_page();
                }
            });
            then(&digest, &on_hash, None);
        },
        Box::new(move || {
            error("the choice was applied but not recorded: the notice text is unavailable");
            if reload {
                reload_page();
            }
        }),
    );
}

/// Sends every queued record that is not on its way already.
pub(crate) fn flush() {
    let Some(endpoint) = current().and_then(|a| a.config.endpoint.clone()) else {
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

fn send(url: &str, body: String) {
    let promise = post(url, &body, &[]);
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
    let Some(app) = current() else { return };
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
    write_cookie(&cookie::set_string(
        &token_cookie_name(&app.config),
        &token,
        max_age,
        &attrs(&app.config),
    ));
}
