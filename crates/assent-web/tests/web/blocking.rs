//! Blocking: scripts and embeds run only after consent; opt-out enforcement clears cookies and storage.

use crate::support::*;

#[wasm_bindgen_test]
async fn blocked_scripts_run_only_after_consent_and_in_order() {
    let html = format!(
        r#"<script type="text/plain" data-assent="analytics" src="{}"></script>
<script type="text/plain" data-assent="analytics">window.__order.push('2')</script>
<script type="text/plain" data-assent="analytics" src="{}"></script>
<script type="text/plain" data-assent="analytics">window.__order.push('4')</script>
<script type="text/plain" data-assent="remarketing">window.__order.push('never')</script>
<script type="text/plain" data-assent="analytics" data-assent-type="module">window.__order.push('module:' + typeof import.meta)</script>"#,
        pushing_src("1"),
        pushing_src("3")
    );
    setup(CONFIG, &html);
    boot();
    // The decision is made synchronously at boot: nothing was queued, so nothing can run later either.
    assert!(qa("script[data-assent-state]").is_empty());
    assert!(
        order().is_empty(),
        "nothing runs before consent: {:?}",
        order()
    );
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::TRUE);
    api("set", &[obj.into()]).unwrap();
    assert!(until(|| order().len() >= 5).await, "{:?}", order());
    // Every analytics script has left the queue: nothing more can run.
    assert!(until(|| qa("script[data-assent-state=queued]").is_empty()).await);
    assert_eq!(order(), ["1", "2", "3", "4", "module:object"]);
    assert_eq!(
        qa("script[data-assent=analytics][data-assent-state=activated]")
            .iter()
            .filter(|s| s.get_attribute("type").as_deref() == Some("module"))
            .count(),
        1
    );
    // The remarketing script is still inert.
    assert_eq!(
        qa("script[type='text/plain'][data-assent=remarketing]").len(),
        1
    );
}

#[wasm_bindgen_test]
async fn scripts_added_later_are_handled_by_the_observer() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    let fixture = q("[data-test]").unwrap();
    let s = doc().create_element("script").unwrap();
    s.set_attribute("type", "text/plain").unwrap();
    s.set_attribute("data-assent", "analytics").unwrap();
    s.set_text_content(Some("window.__order.push('late')"));
    fixture.append_child(&s).unwrap();
    let denied = doc().create_element("script").unwrap();
    denied.set_attribute("type", "text/plain").unwrap();
    denied
        .set_attribute("data-assent", "unknown_category")
        .unwrap();
    denied.set_text_content(Some("window.__order.push('unknown')"));
    fixture.append_child(&denied).unwrap();
    // Both were added in one task, so one observer callback saw both: once "late" ran, the other was judged.
    assert!(until(|| !order().is_empty()).await);
    assert!(denied.get_attribute("data-assent-state").is_none());
    assert_eq!(order(), ["late"]);
}

#[wasm_bindgen_test]
fn nonce_is_copied_to_activated_scripts() {
    setup(
        CONFIG,
        r#"<script type="text/plain" data-assent="analytics" nonce="abc123" data-x="y">window.__order.push('n')</script>"#,
    );
    boot();
    api("acceptAll", &[]).unwrap();
    let s: HtmlElement = q("script[data-assent=analytics][data-assent-state=activated]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(s.nonce(), "abc123");
    assert_eq!(s.get_attribute("data-x").as_deref(), Some("y"));
    assert!(s.get_attribute("type").is_none());
    assert_eq!(order(), ["n"]);
}

#[wasm_bindgen_test]
async fn iframes_get_a_placeholder_and_load_on_consent() {
    setup(
        CONFIG,
        r#"<iframe data-assent="remarketing" data-src="/embed/video#video" title="Video" width="320" height="180"></iframe>
<img data-assent="analytics" data-src="/pixel.gif" alt="pixel">"#,
    );
    boot();
    let iframe = q("iframe[data-assent=remarketing]").unwrap();
    assert!(iframe.get_attribute("src").is_none());
    assert!(iframe.has_attribute("hidden"));
    let placeholder = q("[data-assent-placeholder=remarketing]").expect("placeholder");
    let button = placeholder
        .query_selector("button[data-assent-load=remarketing]")
        .unwrap()
        .unwrap();
    assert_eq!(
        button.text_content().unwrap(),
        "Load content (Advertising and remarketing)"
    );
    assert!(
        q("[data-assent-placeholder=analytics]").is_some(),
        "images too"
    );
    button.dyn_into::<HtmlElement>().unwrap().click();
    assert_eq!(
        iframe.get_attribute("src").as_deref(),
        Some("/embed/video#video")
    );
    assert!(!iframe.has_attribute("hidden"));
    assert!(q("[data-assent-placeholder=remarketing]").is_none());
    assert!(granted("remarketing") && !granted("analytics"));
    // The image's category is still denied.
    assert!(
        q("img[data-assent=analytics]")
            .unwrap()
            .get_attribute("src")
            .is_none()
    );
    // Withdrawn: the embed is unloaded and blocked again.
    api("withdraw", &[]).unwrap();
    assert_eq!(iframe.get_attribute("src").as_deref(), Some("about:blank"));
    assert_eq!(
        iframe.get_attribute("data-src").as_deref(),
        Some("/embed/video#video")
    );
    assert!(iframe.has_attribute("hidden"));
    assert!(q("[data-assent-placeholder=remarketing]").is_some());
    // Embeds added later get a placeholder too.
    let late = doc().create_element("iframe").unwrap();
    late.set_attribute("data-assent", "analytics").unwrap();
    late.set_attribute("data-src", "/embed/late").unwrap();
    q("[data-test]").unwrap().append_child(&late).unwrap();
    assert!(until(|| late.has_attribute("hidden")).await);
}

#[wasm_bindgen_test]
fn reject_and_withdraw_delete_category_cookies_and_storage() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    // Trackers ran and set their cookies and storage.
    set_cookie("_ga=GA1.1.1; Path=/");
    set_cookie("_ga_ABC=GS1.1; Path=/");
    set_cookie("_gcl_au=1.1; Path=/");
    set_cookie("keep_me=1; Path=/");
    local_storage().set_item("amp_device", "x").unwrap();
    local_storage().set_item("app_state", "x").unwrap();
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::FALSE);
    api("set", &[obj.into()]).unwrap();
    assert!(cookie_value("_ga").is_none(), "{}", cookie());
    assert!(cookie_value("_ga_ABC").is_none(), "{}", cookie());
    assert!(
        cookie_value("_gcl_au").is_some(),
        "remarketing still granted"
    );
    assert!(cookie_value("keep_me").is_some());
    assert!(local_storage().get_item("amp_device").unwrap().is_none());
    assert_eq!(
        local_storage().get_item("app_state").unwrap().as_deref(),
        Some("x")
    );
    api("withdraw", &[]).unwrap();
    assert!(cookie_value("_gcl_au").is_none());
    assert!(
        cookie_value("assent").is_some(),
        "the choice cookie itself stays"
    );
}

#[wasm_bindgen_test]
fn denied_category_cookies_are_cleared_on_load() {
    setup(CONFIG, "");
    set_cookie("_gid=GA1.1.2; Path=/");
    boot();
    assert!(cookie_value("_gid").is_none(), "{}", cookie());
}
