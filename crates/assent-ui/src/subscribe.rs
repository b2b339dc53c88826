//! Marketing-email double opt-in from the browser (docs/email.md, "From the browser"):
//!
//! - `assent.subscribe(email, list, {tracking, text})` posts `{email, list, site, language, tracking,
//!   notice_hash}` to `{endpoint}/v1/subscriptions` and resolves to `{ok: true, status}` or `{ok: false, status,
//!   code, message}` (`status` 0 when the server was unreachable); it rejects only for bad arguments or when no
//!   `endpoint` is configured. `notice_hash` is the SHA-256 of `text`, by default [`DEFAULT_TEXT`].
//! - `<form data-assent-subscribe="LIST">`: one capture-phase `submit` listener on `document` handles every such
//!   form, present at boot or added later. It needs an `input[type=email]` and a labelled
//!   `input[type=checkbox][data-assent-subscribe-consent]` (else a console error); nothing is sent unless the
//!   visitor ticked that box.
//!   `notice_hash` is the SHA-256 of the box's label text (ASCII whitespace collapsed). An optional
//!   `data-assent-subscribe-tracking` checkbox sets `tracking`; `[data-assent-subscribe-status]` (given
//!   `role="status"`) shows the outcome; the submit button (the event's `submitter`) is disabled and the form
//!   `aria-busy` while sending, and a second submission meanwhile is ignored.
//! - Consent and tracking checkboxes found ticked when they appear (at boot, or added later, through the
//!   `MutationObserver` of `blocking`) are unticked, with a console error: a pre-ticked box is no consent.

use js_sys::{Function, Object, Uint8Array};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use assent_core::text::{hex, push_json_str};
use assent_dom::{
    Callback, call, callback, closest, doc, error, get, get_el, get_str, post, query_all, set,
    sha256, then,
};

/// The consent text hashed by `assent.subscribe` when no `opts.text` is given.
pub(crate) const DEFAULT_TEXT: &str =
    "Yes, send me marketing emails. I can unsubscribe at any time.";

const FORM: &str = "form[data-assent-subscribe]";
const CONSENT: &str = "[data-assent-subscribe-consent]";
const STATUS: &str = "[data-assent-subscribe-status]";

/// `{endpoint}/v1/subscriptions` (one slash between).
pub(crate) fn subscriptions_url(endpoint: &str) -> String {
    assent_core::text::concat(&[
        assent_core::text::trim_end_byte(endpoint, b'/'),
        "/v1/subscriptions",
    ])
}

/// The JSON body of `POST /v1/subscriptions` up to the notice hash, which comes last (see [`body`]): exactly the
/// fields the server takes.
pub(crate) fn head(email: &str, list: &str, site: &str, language: &str, tracking: bool) -> String {
    let mut s = String::from("{\"email\":");
    push_json_str(&mut s, email);
    s.push_str(",\"list\":");
    push_json_str(&mut s, list);
    s.push_str(",\"site\":");
    push_json_str(&mut s, site);
    s.push_str(",\"language\":");
    push_json_str(&mut s, language);
    s.push_str(if tracking {
        ",\"tracking\":true,\"notice_hash\":"
    } else {
        ",\"tracking\":false,\"notice_hash\":"
    });
    s
}

/// [`head`] completed with the notice hash.
pub(crate) fn body(mut head: String, notice_hash: &str) -> String {
    push_json_str(&mut head, notice_hash);
    head.push('}');
    head
}

/// `text` without leading and trailing ASCII whitespace, every inner run of it one space (HTML's "strip and
/// collapse ASCII whitespace").
pub(crate) fn collapse(text: &str) -> String {
    let mut s = String::new();
    for word in text.split_ascii_whitespace() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(word);
    }
    s
}

/// A step of the request: `f(ctx, value)`, with `ctx` a JS object carrying the state.
type Step = fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>;

/// `f` bound to `ctx` as a JS function. Every step is the one `Callback` closure type around a plain `fn`
/// pointer (a Rust closure per step would cost its own instantiation of the closure machinery).
fn step(f: Step, ctx: &JsValue) -> JsValue {
    let c = Closure::<Callback>::new(f).into_js_value();
    call(&c, "bind", &[&JsValue::UNDEFINED, ctx])
}

/// Posts a subscription and calls `done` with the outcome (see [`on_end`]); `Err` when it cannot be sent.
fn request(
    email: &str,
    list: &str,
    tracking: bool,
    text: &str,
    done: &JsValue,
) -> Result<(), &'static str> {
    const NO: &str = "assent.subscribe needs an endpoint and https";
    let m = crate::model();
    let url = subscriptions_url(m.endpoint.as_deref().ok_or(NO)?);
    let digest = sha256(text).ok_or(NO)?;
    let ctx: JsValue = Object::new().into();
    set(&ctx, "done", done);
    set(&ctx, "url", &JsValue::from_str(&url));
    let head = head(email, list, &m.site, &m.lang, tracking);
    set(&ctx, "head", &JsValue::from_str(&head));
    then(&digest, &step(on_hash, &ctx), None);
    Ok(())
}

#[allow(clippy::unnecessary_wraps)] // the one signature of `Step`
fn on_hash(ctx: JsValue, buf: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    let hash = hex(&Uint8Array::new(&buf).to_vec());
    let body = body(get_str(&ctx, "head").unwrap_or_default(), &hash);
    let url = get_str(&ctx, "url").unwrap_or_default();
    then(
        &post(&url, &body, &[]),
        &step(on_response, &ctx),
        Some(&step(on_end, &ctx)),
    );
    Ok(JsValue::UNDEFINED)
}

#[allow(clippy::unnecessary_wraps)] // the one signature of `Step`
fn on_response(ctx: JsValue, resp: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    set(&ctx, "status", &get(&resp, "status"));
    let end = step(on_end, &ctx);
    then(&call(&resp, "text", &[]), &end, Some(&end));
    Ok(JsValue::UNDEFINED)
}

/// Calls `ctx.done` with `{ok, status}`, plus `{code, message}` (from the server's JSON error body `text` when
/// it has one) when `status` is not 2xx; `status` 0: the server was not reached.
#[allow(clippy::unnecessary_wraps)] // the one signature of `Step`
fn on_end(ctx: JsValue, text: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    let status = get(&ctx, "status").as_f64().unwrap_or(0.0);
    let o = Object::new();
    let ok = (200.0..300.0).contains(&status);
    set(&o, "ok", &JsValue::from_bool(ok));
    set(&o, "status", &JsValue::from_f64(status));
    if !ok {
        let e = text
            .as_string()
            .and_then(|t| js_sys::JSON::parse(&t).ok())
            .map_or(JsValue::UNDEFINED, |v| get(&v, "error"));
        let mut code = get(&e, "code");
        if !code.is_string() {
            code = JsValue::from_str(if status == 0.0 {
                "network_error"
            } else {
                "http_error"
            });
        }
        let mut message = get(&e, "message");
        if !message.is_string() {
            message = JsValue::from_str("Please try again later.");
        }
        set(&o, "code", &code);
        set(&o, "message", &message);
    }
    if let Some(done) = get(&ctx, "done").dyn_ref::<Function>() {
        let _ = done.call1(&JsValue::UNDEFINED, &o);
    }
    Ok(JsValue::UNDEFINED)
}

/// `assent.subscribe(email, list, opts)` (the engine forwards it here): a promise of the outcome.
pub(crate) fn api(email: JsValue, list: JsValue, opts: JsValue) -> JsValue {
    let text = get_str(&opts, "text");
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let r = match (email.as_string(), list.as_string()) {
            (Some(e), Some(l)) => request(
                &e,
                &l,
                flag(&opts, "tracking"),
                text.as_deref().unwrap_or(DEFAULT_TEXT),
                &resolve,
            ),
            _ => Err("assent.subscribe: email and list must be strings"),
        };
        if let Err(m) = r {
            let _ = reject.call1(&JsValue::UNDEFINED, &js_sys::Error::new(m));
        }
    });
    promise.into()
}

/// Installs the form handler (once per page).
pub(crate) fn listen() {
    call(
        &doc(),
        "addEventListener",
        &[
            &JsValue::from_str("submit"),
            &callback(on_submit),
            &JsValue::TRUE,
        ],
    );
}

/// The elements matching `selector` in `root`, `root` itself included.
fn found(root: &JsValue, selector: &str) -> Vec<Element> {
    let mut v = query_all(root, selector);
    if call(root, "matches", &[&JsValue::from_str(selector)]).as_bool() == Some(true) {
        v.push(root.clone().unchecked_into());
    }
    v
}

/// `root.querySelector(selector)` (`null` when there is none).
fn query(root: &JsValue, selector: &str) -> JsValue {
    call(root, "querySelector", &[&JsValue::from_str(selector)])
}

/// `v[key] === true`.
fn flag(v: &JsValue, key: &str) -> bool {
    get(v, key).as_bool() == Some(true)
}

fn checked(e: &JsValue) -> bool {
    flag(e, "checked")
}

/// New elements (the page at boot, or what was added): untick pre-ticked consent and tracking boxes, give
/// status elements `role="status"`.
pub(crate) fn discover(root: &JsValue) {
    for b in found(
        root,
        "[data-assent-subscribe-consent],[data-assent-subscribe-tracking],[data-assent-subscribe-status]",
    ) {
        if b.get_attribute("data-assent-subscribe-status").is_some() {
            if b.get_attribute("role").is_none() {
                let _ = b.set_attribute("role", "status");
            }
        } else {
            if checked(&b) {
                set(&b, "checked", &JsValue::FALSE);
                error("pre-ticked consent checkbox is not allowed");
            }
            // No `checked` attribute either, so that a form reset does not tick it again.
            set(&b, "defaultChecked", &JsValue::FALSE);
        }
    }
}

/// While sending: `aria-busy` on the form, its submit button (the event's `submitter`) disabled.
fn busy(form: &JsValue, submitter: &JsValue, on: bool) {
    set(
        form,
        "ariaBusy",
        &if on {
            JsValue::from_str("true")
        } else {
            JsValue::NULL
        },
    );
    set(submitter, "disabled", &JsValue::from_bool(on));
}

fn on_submit(e: JsValue) {
    let Some(form) = get_el(&e, "target").and_then(|t| closest(&t, FORM)) else {
        return;
    };
    call(&e, "preventDefault", &[]);
    if get_str(&form, "ariaBusy").as_deref() == Some("true") {
        return;
    }
    let status = query(&form, STATUS);
    let consent = query(&form, CONSENT);
    let email = get_str(&query(&form, "input[type=email]"), "value");
    let label = get_str(&get(&get(&consent, "labels"), "0"), "textContent").unwrap_or_default();
    let text = collapse(&label);
    let (Some(email), false) = (email, text.is_empty()) else {
        error("subscribe form without an email field or labelled consent box");
        return;
    };
    if !checked(&consent) {
        let m = JsValue::from_str("Please tick the box to subscribe.");
        set(&status, "textContent", &m);
        return;
    }
    let tracking = checked(&query(&form, "[data-assent-subscribe-tracking]"));
    let list = form
        .get_attribute("data-assent-subscribe")
        .unwrap_or_default();
    let submitter = get(&e, "submitter");
    let ctx: JsValue = Object::new().into();
    set(&ctx, "form", &form);
    set(&ctx, "status", &status);
    set(&ctx, "submitter", &submitter);
    match request(&email, &list, tracking, &text, &step(on_done, &ctx)) {
        Ok(()) => busy(&form, &submitter, true),
        Err(m) => set(&status, "textContent", &JsValue::from_str(m)),
    }
}

/// The form's request ended with the outcome `r`: show it.
#[allow(clippy::unnecessary_wraps)] // the one signature of `Step`
fn on_done(ctx: JsValue, r: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    busy(&get(&ctx, "form"), &get(&ctx, "submitter"), false);
    let m = if flag(&r, "ok") {
        JsValue::from_str("Check your inbox to confirm your subscription.")
    } else {
        get(&r, "message")
    };
    set(&get(&ctx, "status"), "textContent", &m);
    Ok(JsValue::UNDEFINED)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn body_has_exactly_the_server_fields_escaped() {
        let hash = "ab".repeat(32);
        let b = body(
            head("ann\"@example.com", "news", "shop.example", "de", false),
            &hash,
        );
        assert_eq!(
            b,
            format!(
                "{{\"email\":\"ann\\\"@example.com\",\"list\":\"news\",\"site\":\"shop.example\",\
                 \"language\":\"de\",\"tracking\":false,\"notice_hash\":\"{hash}\"}}"
            )
        );
        assert!(assent_core::json::parse(&b).is_ok());
        let b2 = body(head("a@b.c", "l\n", "s", "en", true), &hash);
        assert!(b2.contains(",\"tracking\":true,"));
        assert!(b2.contains("\"list\":\"l\\n\""));
        assert!(assent_core::json::parse(&b2).is_ok());
    }

    #[test]
    fn url_has_one_slash() {
        assert_eq!(
            subscriptions_url("https://c.example/"),
            "https://c.example/v1/subscriptions"
        );
        assert_eq!(subscriptions_url("/consent"), "/consent/v1/subscriptions");
    }

    #[test]
    fn collapse_strips_and_collapses_ascii_whitespace() {
        assert_eq!(
            collapse("\n  Send me\tthe   newsletter.\r\n "),
            "Send me the newsletter."
        );
        assert_eq!(collapse("a\u{a0}b"), "a\u{a0}b");
        assert_eq!(collapse(" \n\t"), "");
        assert_eq!(collapse("é  ü"), "é ü");
    }
}
