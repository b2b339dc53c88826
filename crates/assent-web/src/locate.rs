//! The visitor's region, for a config with `regions` (the engine's `regions` build only): found before anything
//! else happens, so nothing optional runs meanwhile. In order: the page's `data-region`, the region stored with
//! the visitor's choice (a returning visitor waits for nothing), the consent server's `GET /v1/region`; unknown,
//! unreachable, slow or garbage → the strictest region (fail closed).

use std::cell::RefCell;
use std::rc::Rc;

use assent_core::region::{resolve, resolve_hint};
use assent_core::{Config, ConsentState};
use wasm_bindgen::JsValue;

/// How long the consent server's `GET /v1/region` may take before the strictest region applies.
const REGION_TIMEOUT_MS: i32 = 3_000;

/// With `regions`, finds the region before anything else happens (nothing optional runs meanwhile): the page's
/// `data-region`, else the region stored with the visitor's choice (a returning visitor waits for nothing), else
/// the consent server's `GET /v1/region`; unknown, unreachable, slow or garbage → the strictest region.
pub(crate) fn find_region(
    mut config: Config,
    stored: Option<ConsentState>,
    hint: Option<String>,
    start: Start,
) {
    let known = match hint {
        Some(h) => resolve_hint(&h, &config.regions),
        None => stored
            .and_then(|s| s.region)
            .map(usize::from)
            .filter(|&i| i < config.regions.len()),
    };
    let endpoint = config.endpoint.clone();
    match (known, endpoint) {
        (Some(i), _) => {
            config.apply_region(i);
            start(config, stored);
        }
        (None, Some(endpoint)) => ask_server(config, stored, &endpoint, start),
        (None, None) => {
            config.apply_region(resolve(None, None, &config.regions).unwrap_or(0));
            start(config, stored);
        }
    }
}

/// What runs once the region is applied: the engine's `start` (passed in, so this module does not import `app`).
pub(crate) type Start = fn(Config, Option<ConsentState>);

type Waiting = Rc<RefCell<Option<(Config, Option<ConsentState>, Start)>>>;

/// `GET {endpoint}/v1/region` → `{country, subdivision}`; whichever comes first of the answer, a failure or the
/// timeout decides, once.
fn ask_server(config: Config, stored: Option<ConsentState>, endpoint: &str, start: Start) {
    let waiting: Waiting = Rc::new(RefCell::new(Some((config, stored, start))));
    let w = waiting.clone();
    let on_failure = move || {
        let w = w.clone();
        crate::dom::once(move |_| located(&w, &JsValue::NULL))
    };
    let url = assent_core::text::concat(&[endpoint, "/v1/region"]);
    let response = crate::dom::call(&crate::dom::win(), "fetch", &[&JsValue::from_str(&url)]);
    let w = waiting.clone();
    let fail = on_failure.clone();
    let on_response = crate::dom::once(move |r: JsValue| {
        let body = if crate::dom::get(&r, "ok") == JsValue::TRUE {
            crate::dom::call(&r, "json", &[])
        } else {
            JsValue::NULL
        };
        let w2 = w.clone();
        crate::dom::then(
            &body,
            &crate::dom::once(move |answer| located(&w2, &answer)),
            Some(&fail()),
        );
        if body.is_null() {
            located(&w, &JsValue::NULL);
        }
    });
    crate::dom::then(&response, &on_response, Some(&on_failure()));
    crate::dom::call(
        &crate::dom::win(),
        "setTimeout",
        &[&on_failure(), &JsValue::from(REGION_TIMEOUT_MS)],
    );
}

fn located(waiting: &Waiting, answer: &JsValue) {
    let Some((mut config, stored, start)) = waiting.borrow_mut().take() else {
        return;
    };
    let country = crate::dom::get_str(answer, "country");
    let subdivision = crate::dom::get_str(answer, "subdivision");
    let i = resolve(country.as_deref(), subdivision.as_deref(), &config.regions).unwrap_or(0);
    config.apply_region(i);
    start(config, stored);
}
