//! Marketing-email subscriptions (double opt-in).

use crate::support::*;

/// SHA-256 hex of "Yes please", of the built-in text of `assent.subscribe` and of the form's collapsed label.
const HASH_YES_PLEASE: &str = "7abcb369669d5468cd9989af14380159a20cd233cc2cf57fddec4f116ffa316a";
const HASH_DEFAULT_TEXT: &str = "7e5cdf98625d4fb8f777c200d53111bf757a57e3fba054a84883d0a778384dd5";
const HASH_FORM_LABEL: &str = "e0754d5d5663791ade9e4f55dd06d1cec3ab94c582340c12835d9103163e1a26";

const SUBSCRIBE_FORM: &str = r#"<form data-assent-subscribe="newsletter" id="sub">
  <input type="email" value="ann@example.com">
  <input type="checkbox" id="sub-consent" data-assent-subscribe-consent>
  <label for="sub-consent">  Send me the
     newsletter. </label>
  <label><input type="checkbox" id="sub-tracking" data-assent-subscribe-tracking> Count my opens</label>
  <button type="submit" id="sub-button">Subscribe</button>
  <p data-assent-subscribe-status id="sub-status"></p>
</form>"#;

/// Awaits `assent.subscribe(...args)`: `Ok(outcome)` when it resolves, `Err(reason)` when it rejects.
async fn subscribe(args: &[JsValue]) -> Result<JsValue, JsValue> {
    let p: Promise = api("subscribe", args).unwrap().dyn_into().unwrap();
    JsFuture::from(p).await
}

/// The `n`th captured request: its URL and parsed JSON body.
fn captured(calls: &Array, n: u32) -> (String, JsValue) {
    let call = Array::from(&calls.get(n));
    (
        call.get(0).as_string().unwrap(),
        js_sys::JSON::parse(&call.get(1).as_string().unwrap()).unwrap(),
    )
}

fn input(selector: &str) -> HtmlInputElement {
    q(selector).unwrap().dyn_into().unwrap()
}

/// `form.requestSubmit()`: the real submission path (submit event, then navigation unless prevented).
fn request_submit(selector: &str) {
    let form = q(selector).unwrap();
    let f: Function = get(&form, "requestSubmit").dyn_into().unwrap();
    f.call0(&form).unwrap();
}

fn text_of(selector: &str) -> String {
    q(selector).unwrap().text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn subscribe_posts_the_exact_body_and_resolves_ok() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        202,
        r#"{"status": "accepted", "message": "Check your inbox."}"#,
    );
    boot();
    let opts = Object::new();
    set(&opts, "tracking", &JsValue::TRUE);
    set(&opts, "text", &"Yes please".into());
    let r = subscribe(&["ann@example.com".into(), "newsletter".into(), opts.into()]).await;
    let r2 = subscribe(&["bob@example.com".into(), "news".into()]).await;
    set(&win(), "fetch", &original);
    let r = r.unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    assert_eq!(get(&r, "status").as_f64(), Some(202.0));
    assert!(get(&r, "code").is_undefined());
    assert_eq!(get(&r2.unwrap(), "ok"), JsValue::TRUE);
    assert_eq!(calls.length(), 2);
    let (url, body) = captured(&calls, 0);
    assert_eq!(url, "/consent/v1/subscriptions");
    assert_eq!(
        js_sys::JSON::stringify(&body).unwrap().as_string().unwrap(),
        format!(
            r#"{{"email":"ann@example.com","list":"newsletter","site":"shop.example","language":"en","tracking":true,"notice_hash":"{HASH_YES_PLEASE}"}}"#
        )
    );
    // Without opts: the built-in text, no tracking.
    let (_, body) = captured(&calls, 1);
    assert_eq!(
        get(&body, "notice_hash").as_string().as_deref(),
        Some(HASH_DEFAULT_TEXT)
    );
    assert_eq!(get(&body, "tracking"), JsValue::FALSE);
    assert_eq!(get(&body, "list").as_string().as_deref(), Some("news"));
    // Nothing went into the consent-record queue.
    assert_eq!(queue_len(), 0);
}

#[wasm_bindgen_test]
async fn subscribe_resolves_server_errors_and_rejects_bad_arguments() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        422,
        r#"{"error": {"code": "invalid_email", "message": "That is not an e-mail address."}}"#,
    );
    boot();
    let r = subscribe(&["nope".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(422.0));
    assert_eq!(
        get(&r, "code").as_string().as_deref(),
        Some("invalid_email")
    );
    assert_eq!(
        get(&r, "message").as_string().as_deref(),
        Some("That is not an e-mail address.")
    );
    // An error page that is not JSON, and an unreachable server: still resolved, with a generic message.
    stub_fetch(502, "<html>Bad gateway</html>");
    let r = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "status").as_f64(), Some(502.0));
    assert_eq!(get(&r, "code").as_string().as_deref(), Some("http_error"));
    assert!(
        get(&r, "message")
            .as_string()
            .unwrap()
            .contains("try again")
    );
    stub_fetch(0, "");
    let r = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(0.0));
    assert_eq!(
        get(&r, "code").as_string().as_deref(),
        Some("network_error")
    );
    // Bad arguments reject, and send nothing.
    let calls2 = stub_fetch(202, "{}");
    let e = subscribe(&[JsValue::from(1), "newsletter".into()])
        .await
        .unwrap_err();
    assert!(e.is_instance_of::<js_sys::Error>());
    assert!(subscribe(&["a@b.example".into()]).await.is_err());
    assert_eq!(calls2.length(), 0);
    // No endpoint configured: rejects.
    setup(CONFIG, "");
    boot();
    let e = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap_err();
    assert!(
        get(&e, "message").as_string().unwrap().contains("endpoint"),
        "{e:?}"
    );
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 1);
    assert_eq!(calls2.length(), 0);
}

#[wasm_bindgen_test]
async fn subscribe_form_without_consent_sends_nothing_and_says_why() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, SUBSCRIBE_FORM);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    boot();
    let status = q("#sub-status").unwrap();
    assert_eq!(status.get_attribute("role").as_deref(), Some("status"));
    request_submit("#sub");
    // The submit handler answers synchronously when the box is not ticked.
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 0, "nothing sent without the box ticked");
    assert_eq!(text_of("#sub-status"), "Please tick the box to subscribe.");
    assert!(
        q("#sub").is_some(),
        "still on the page: the submission was prevented"
    );
    assert!(!q("#sub-button").unwrap().has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn pre_ticked_subscribe_boxes_are_unticked_on_discovery() {
    let original = get(&win(), "fetch");
    let ticked = SUBSCRIBE_FORM
        .replace(
            "id=\"sub-consent\" data-assent-subscribe-consent",
            "id=\"sub-consent\" data-assent-subscribe-consent checked",
        )
        .replace(
            "id=\"sub-tracking\" data-assent-subscribe-tracking",
            "id=\"sub-tracking\" data-assent-subscribe-tracking checked",
        );
    setup(SERVER_CONFIG, &ticked);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    assert!(input("#sub-consent").checked());
    boot();
    assert!(!input("#sub-consent").checked(), "unticked at boot");
    assert!(!input("#sub-tracking").checked());
    assert!(!input("#sub-consent").has_attribute("checked"));
    // A form added later, pre-ticked: unticked by the observer, and a submit sends nothing.
    let late = doc().create_element("div").unwrap();
    late.set_inner_html(
        r#"<form data-assent-subscribe="newsletter" id="late"><input type="email" value="a@b.example">
           <label><input type="checkbox" id="late-consent" data-assent-subscribe-consent checked> Yes</label>
           <output data-assent-subscribe-status role="alert" id="late-status"></output></form>"#,
    );
    q("[data-test]").unwrap().append_child(&late).unwrap();
    assert!(until(|| !input("#late-consent").checked()).await);
    assert_eq!(
        q("#late-status").unwrap().get_attribute("role").as_deref(),
        Some("alert"),
        "an existing role is kept"
    );
    request_submit("#late");
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 0);
    assert_eq!(text_of("#late-status"), "Please tick the box to subscribe.");
}

#[wasm_bindgen_test]
async fn ticked_subscribe_form_posts_once_with_tracking_and_shows_the_outcome() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, SUBSCRIBE_FORM);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    boot();
    input("#sub-consent").click();
    click("#sub-button");
    // Sending: the button is disabled and a second submit is ignored.
    assert!(q("#sub-button").unwrap().has_attribute("disabled"));
    request_submit("#sub");
    assert!(
        until(|| text_of("#sub-status") == "Check your inbox to confirm your subscription.").await,
        "{}",
        text_of("#sub-status")
    );
    assert!(!q("#sub-button").unwrap().has_attribute("disabled"));
    assert_eq!(calls.length(), 1);
    let (url, body) = captured(&calls, 0);
    assert_eq!(url, "/consent/v1/subscriptions");
    assert_eq!(
        get(&body, "email").as_string().as_deref(),
        Some("ann@example.com")
    );
    assert_eq!(
        get(&body, "list").as_string().as_deref(),
        Some("newsletter")
    );
    assert_eq!(
        get(&body, "notice_hash").as_string().as_deref(),
        Some(HASH_FORM_LABEL),
        "SHA-256 of the collapsed label text"
    );
    assert_eq!(get(&body, "tracking"), JsValue::FALSE);
    // With the tracking box ticked too.
    input("#sub-tracking").click();
    request_submit("#sub");
    assert!(until(|| calls.length() == 2).await);
    assert_eq!(get(&captured(&calls, 1).1, "tracking"), JsValue::TRUE);
    // A server error shows the server's message.
    stub_fetch(
        422,
        r#"{"error": {"code": "unknown_list", "message": "There is no list \"newsletter\"."}}"#,
    );
    assert!(until(|| !q("#sub-button").unwrap().has_attribute("disabled")).await);
    request_submit("#sub");
    assert!(until(|| text_of("#sub-status") == "There is no list \"newsletter\".").await);
    set(&win(), "fetch", &original);
}
