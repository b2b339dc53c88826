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
use js_sys::{Array, Function, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{RequestInit, Response};

use crate::app::{App, current};
use crate::cookie;
use crate::dom::{error, get, listen as add_listener, now, once, set, win};
use crate::record::{self, Outcome, QUEUE_KEY, RecordContext, SUBJECT_KEY};
use crate::storage::{attrs, local_storage, token_cookie_name, write_cookie};

thread_local! {
    /// Bodies being sent right now (not sent twice when `online` fires meanwhile).
    static INFLIGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// `decided_at` of the record whose token is in the cookie (an older record's late answer never replaces it).
    static TOKEN_AT: Cell<f64> = const { Cell::new(0.0) };
}

/// `promise.then(ok, err)` with plain JS functions.
fn then(promise: &JsValue, ok: &JsValue, err: Option<&JsValue>) {
    if let Some(f) = get(promise, "then").dyn_ref::<Function>() {
        let _ = match err {
            Some(e) => f.call2(promise, ok, e),
            None => f.call1(promise, ok),
        };
    }
}

/// Flushes the queue when the browser comes back online (installed once).
pub(crate) fn listen() {
    add_listener(&win(), "online", |_| flush());
}

fn read_queue() -> Vec<String> {
    let Some(ls) = local_storage() else {
        return Vec::new();
    };
    let Ok(Some(text)) = ls.get_item(QUEUE_KEY) else {
        return Vec::new();
    };
    let Ok(v) = js_sys::JSON::parse(&text) else {
        return Vec::new();
    };
    if !Array::is_array(&v) {
        return Vec::new();
    }
    Array::from(&v)
        .iter()
        .filter(JsValue::is_object)
        .filter_map(|e| js_sys::JSON::stringify(&e).ok()?.as_string())
        .collect()
}

fn write_queue(q: &[String]) {
    if let Some(ls) = local_storage() {
        let _ = if q.is_empty() {
            ls.remove_item(QUEUE_KEY)
        } else {
            ls.set_item(QUEUE_KEY, &record::queue_json(q))
        };
    }
}

fn remove_from_queue(body: &str) {
    let mut q = read_queue();
    q.retain(|b| b != body);
    write_queue(&q);
}

/// The subject id: the stored one, else 16 random bytes made now (and stored).
fn subject() -> Option<String> {
    let ls = local_storage()?;
    if let Ok(Some(s)) = ls.get_item(SUBJECT_KEY) {
        if record::is_subject(&s) {
            return Some(s);
        }
    }
    let mut bytes = [0u8; 16];
    win()
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    let s = assent_core::base64url::encode(&bytes);
    let _ = ls.set_item(SUBJECT_KEY, &s);
    Some(s)
}

fn reload_page() {
    let _ = win().location().reload();
}

fn site(config: &Config) -> String {
    if config.site.is_empty() {
        win().location().hostname().unwrap_or_default()
    } else {
        config.site.clone()
    }
}

/// Records a choice (when an endpoint is configured); reloads the page afterwards when `reload` is set.
pub(crate) fn record(app: &Rc<App>, state: &ConsentState, reload: bool) {
    if app.config.endpoint.is_none() {
        if reload {
            reload_page();
        }
        return;
    }
    let text = record::notice_text(&app.config, &app.lang).into_bytes();
    let digest = win()
        .crypto()
        .ok()
        .filter(|c| !get(c, "subtle").is_undefined())
        .and_then(|c| {
            c.subtle()
                .digest_with_str_and_u8_array("SHA-256", &text)
                .ok()
        });
    let Some(digest) = digest else {
        error("consent records need a secure context (https): crypto.subtle is unavailable");
        if reload {
            reload_page();
        }
        return;
    };
    let config = app.config.clone();
    let lang = app.lang.clone();
    let signals: Signals = app.signals;
    let state = *state;
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
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = Object::new();
    set(
        &headers,
        "Content-Type",
        &JsValue::from_str("application/json"),
    );
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    set(&init, "keepalive", &JsValue::TRUE);
    let promise: JsValue = win().fetch_with_str_and_init(url, &init).into();
    let decided_at =
        js_sys::JSON::parse(&body).map_or(0.0, |v| get(&v, "decided_at").as_f64().unwrap_or(0.0));
    let b2 = body.clone();
    let on_response = once(move |resp: JsValue| {
        let resp: Response = resp.unchecked_into();
        let status = resp.status();
        match record::outcome(status) {
            Outcome::Stored => {
                remove_from_queue(&body);
                if let Ok(json) = resp.json() {
                    let store = once(move |v: JsValue| store_token(&v, decided_at));
                    then(&json.into(), &store, None);
                }
            }
            Outcome::Refused => {
                remove_from_queue(&body);
                let mut m = String::from("the consent server refused a record with HTTP status ");
                m.push_str(&status.to_string());
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
        if let Some(ls) = local_storage() {
            let _ = ls.set_item(SUBJECT_KEY, &subject);
        }
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
