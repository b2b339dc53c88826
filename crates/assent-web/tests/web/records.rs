//! Consent records to the consent server and the retry queue.

use crate::support::*;

#[wasm_bindgen_test]
async fn choices_are_recorded_with_token_and_subject() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        201,
        r#"{"id": "0190c5a4-0000-7000-8000-000000000000", "token": "v1.eyJ0.sig", "expires_at": 4102444800,
            "subject": "AAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    boot();
    click("[data-assent-ui=banner] [data-assent-action=accept-all]");
    assert!(
        until(|| cookie_value("assent_token").is_some()).await,
        "{}",
        cookie()
    );
    set(&win(), "fetch", &original);
    assert_eq!(cookie_value("assent_token").as_deref(), Some("v1.eyJ0.sig"));
    assert_eq!(calls.length(), 1);
    let call = Array::from(&calls.get(0));
    assert_eq!(
        call.get(0).as_string().as_deref(),
        Some("/consent/v1/consents")
    );
    assert_eq!(call.get(2), JsValue::TRUE, "keepalive");
    let body = js_sys::JSON::parse(&call.get(1).as_string().unwrap()).unwrap();
    assert_eq!(
        get(&body, "site").as_string().as_deref(),
        Some("shop.example")
    );
    assert_eq!(get(&body, "revision").as_f64(), Some(4.0));
    assert_eq!(get(&body, "method").as_string().as_deref(), Some("banner"));
    assert_eq!(get(&get(&body, "categories"), "analytics"), JsValue::TRUE);
    assert_eq!(get(&get(&body, "categories"), "remarketing"), JsValue::TRUE);
    assert!(get(&get(&body, "categories"), "essential").is_undefined());
    let hash = get(&body, "notice_hash").as_string().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(get(&body, "subject").as_string().unwrap().len(), 22);
    assert_eq!(
        get(&body, "sdk_version").as_string().as_deref(),
        Some("0.1.0")
    );
    assert_eq!(get(&body, "language").as_string().as_deref(), Some("en"));
    // The server's subject is kept for the next records; nothing left to retry.
    assert_eq!(
        local_storage()
            .get_item("assent.subject")
            .unwrap()
            .as_deref(),
        Some("AAAAAAAAAAAAAAAAAAAAAA")
    );
    assert_eq!(queue_len(), 0);
}

#[wasm_bindgen_test]
async fn unreachable_server_queues_and_online_flushes() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let failed = stub_fetch(0, "");
    boot();
    api("rejectAll", &[]).unwrap();
    assert!(until(|| failed.length() == 1).await);
    settle().await;
    assert_eq!(queue_len(), 1, "kept for retry");
    // 5xx: still kept.
    let busy = stub_fetch(
        503,
        r#"{"error": {"code": "unavailable", "message": "later"}}"#,
    );
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    assert!(until(|| busy.length() == 1).await);
    settle().await;
    assert_eq!(queue_len(), 1);
    // Back online for real: flushed.
    let ok = stub_fetch(
        201,
        r#"{"id": "x", "token": "t.k", "expires_at": 4102444800, "subject": "AAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    assert!(until(|| queue_len() == 0).await);
    assert_eq!(ok.length(), 1);
    set(&win(), "fetch", &original);
}

#[wasm_bindgen_test]
async fn client_errors_are_not_retried() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(422, r#"{"error": {"code": "invalid", "message": "bad"}}"#);
    boot();
    api("acceptAll", &[]).unwrap();
    assert!(until(|| calls.length() == 1).await);
    assert!(until(|| queue_len() == 0).await);
    // Provoke a retry: `online` flushes the queue at once. A refused record is no longer in it, so nothing is sent.
    let online = web_sys::Event::new("online").unwrap();
    web_sys::window().unwrap().dispatch_event(&online).unwrap();
    assert_eq!(calls.length(), 1, "a 4xx answer is final");
    set(&win(), "fetch", &original);
    assert!(cookie_value("assent_token").is_none());
}
