//! The interface part as a second wasm module, loaded through the bootstrap's loader (the engine build).

use std::cell::RefCell;

use assent_core::i18n::UI_KEY_NAMES;
use js_sys::{Array, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{call, error, once, set, then};
use crate::state::{App, current};

/// Where the interface part is.
enum Link {
    /// Not asked for yet.
    Idle,
    /// Being loaded (or started).
    Loading,
    /// Loaded and started: its exports.
    Ready(JsValue),
    /// Could not be loaded: calls are dropped.
    Failed,
}

type Job = Box<dyn FnOnce(&JsValue)>;
type Fallback = Box<dyn FnOnce()>;

thread_local! {
    static LINK: RefCell<Link> = const { RefCell::new(Link::Idle) };
    static PENDING: RefCell<Vec<(Job, Option<Fallback>)>> = const { RefCell::new(Vec::new()) };
    static LOADER: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

/// The bootstrap's loader (`() => Promise<exports>`).
pub(crate) fn set_loader(loader: JsValue) {
    LOADER.with(|l| *l.borrow_mut() = loader);
}

/// Test support: the interface part is already here (linked into the same wasm).
pub(crate) fn provide(exports: JsValue) {
    LINK.with(|l| *l.borrow_mut() = Link::Ready(exports));
}

/// Test support: forget the interface part.
pub(crate) fn reset() {
    close();
    LINK.with(|l| *l.borrow_mut() = Link::Idle);
    PENDING.with(|p| p.borrow_mut().clear());
}

/// A new configuration: an interface already loaded gets the new model.
pub(crate) fn configure() {
    let ready = LINK.with(|l| match &*l.borrow() {
        Link::Ready(ui) => Some(ui.clone()),
        _ => None,
    });
    if let (Some(ui), Some(app)) = (ready, current()) {
        call(&ui, "start", &[&model(&app)]);
    }
}

/// What the interface shows that does not change with the decision (see `assent_ui::model`).
pub(crate) fn model(app: &App) -> JsValue {
    let o = Object::new();
    set(&o, "lang", &JsValue::from_str(&app.lang));
    if let Some(u) = super::lang_url(&app.lang) {
        set(&o, "lang_url", &JsValue::from_str(&u));
    }
    let texts = Object::new();
    if let Some(t) = app.config.ui_text(&app.lang) {
        for (i, text) in t.site_texts().iter().enumerate() {
            if !text.is_empty() {
                set(&texts, UI_KEY_NAMES[i], &JsValue::from_str(text));
            }
        }
    }
    set(&o, "texts", &texts);
    let cats = Array::new();
    for c in &app.config.categories {
        let v = Object::new();
        set(&v, "name", &JsValue::from_str(c.category.name()));
        set(&v, "index", &JsValue::from(c.index));
        set(&v, "title", &JsValue::from_str(c.title.get(&app.lang)));
        set(
            &v,
            "description",
            &JsValue::from_str(c.description.get(&app.lang)),
        );
        cats.push(&v);
    }
    set(&o, "categories", &cats);
    set(&o, "policy", &JsValue::from_str(&app.config.policy_url));
    if let Some(e) = &app.config.endpoint {
        set(&o, "endpoint", &JsValue::from_str(e));
    }
    set(&o, "site", &JsValue::from_str(&super::site(&app.config)));
    set(&o, "cookie", &JsValue::from_str(&app.config.cookie.name));
    if let Some(d) = &app.config.cookie.domain {
        set(&o, "cookie_domain", &JsValue::from_str(d));
    }
    if let Some(r) = app.config.region_name() {
        set(&o, "region", &JsValue::from_str(r));
    }
    if super::shows_notice(&app.config) {
        set(&o, "notice", &JsValue::TRUE);
    }
    o.into()
}

/// Runs `job` with the interface's exports: now when it is ready, else once it is (loading it if needed).
/// `fallback` runs instead when it cannot be loaded.
pub(crate) fn with(job: impl FnOnce(&JsValue) + 'static, fallback: Option<Fallback>) {
    let ready = LINK.with(|l| match &*l.borrow() {
        Link::Ready(ui) => Some(Ok(ui.clone())),
        Link::Failed => Some(Err(())),
        Link::Idle | Link::Loading => None,
    });
    match ready {
        Some(Ok(ui)) => job(&ui),
        Some(Err(())) => {
            if let Some(f) = fallback {
                f();
            }
        }
        None => {
            PENDING.with(|p| p.borrow_mut().push((Box::new(job), fallback)));
            load();
        }
    }
}

fn load() {
    let idle = LINK.with(|l| {
        let mut l = l.borrow_mut();
        if matches!(*l, Link::Idle) {
            *l = Link::Loading;
            true
        } else {
            false
        }
    });
    if !idle {
        return;
    }
    let loader = LOADER.with(|l| l.borrow().clone());
    let promise = match loader.dyn_ref::<js_sys::Function>() {
        Some(f) => f.call0(&JsValue::UNDEFINED).unwrap_or(JsValue::UNDEFINED),
        None => JsValue::UNDEFINED,
    };
    if !promise.is_instance_of::<Promise>() {
        failed(JsValue::from_str("no loader"));
        return;
    }
    then(&promise, &once(loaded), Some(&once(failed)));
}

/// The module is loaded: start it with the model, then run what waited.
fn loaded(exports: JsValue) {
    let Some(app) = current() else {
        failed(JsValue::from_str("not configured"));
        return;
    };
    let started = call(&exports, "start", &[&model(&app)]);
    if started.is_instance_of::<Promise>() {
        let e2 = exports.clone();
        then(&started, &once(move |_| ready(e2)), Some(&once(failed)));
    } else {
        ready(exports);
    }
}

fn ready(exports: JsValue) {
    LINK.with(|l| *l.borrow_mut() = Link::Ready(exports.clone()));
    let jobs = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for (job, _) in jobs {
        job(&exports);
    }
}

fn failed(why: JsValue) {
    LINK.with(|l| *l.borrow_mut() = Link::Failed);
    let mut m = String::from(
        "the interface part (assent_ui.js / assent_ui_bg.wasm) could not be loaded; nothing was unblocked: ",
    );
    m.push_str(&call(&why, "toString", &[]).as_string().unwrap_or_default());
    error(&m);
    let jobs = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for (_, fallback) in jobs {
        if let Some(f) = fallback {
            f();
        }
    }
}

/// Shows the banner, if the decision still asks for it when the interface is there.
pub(crate) fn show_banner() {
    show_first("banner");
}

/// Shows the non-blocking notice (an opt-out region), if the decision still asks for it.
pub(crate) fn show_notice() {
    show_first("notice");
}

fn show_first(surface: &'static str) {
    with(
        move |ui| {
            if current().is_some_and(|a| a.decision.banner.is_some()) {
                call(ui, "show", &[&JsValue::from_str(surface)]);
            }
        },
        None,
    );
}

/// Opens the preferences dialog.
pub(crate) fn show_preferences() {
    if current().is_none() {
        return;
    }
    with(
        |ui| {
            call(ui, "show", &[&JsValue::from_str("preferences")]);
        },
        None,
    );
}

/// Removes the banner and dialog, if the interface is loaded (if it is loading, nothing is shown yet and
/// [`show_banner`] checks the decision first).
pub(crate) fn close() {
    LINK.with(|l| {
        if let Link::Ready(ui) = &*l.borrow() {
            call(ui, "close", &[]);
        }
    });
}

/// A placeholder before a blocked embed.
pub(crate) fn placeholder(embed: &web_sys::Element) {
    let e = embed.clone();
    with(
        move |ui| {
            call(ui, "placeholder", &[&e]);
        },
        None,
    );
}

/// Subscribe forms in `root` (pre-ticked boxes unticked).
pub(crate) fn discover(root: &JsValue) {
    let r = root.clone();
    with(
        move |ui| {
            call(ui, "discover", &[&r]);
        },
        None,
    );
}

/// Records a stored choice (the interface part owns records: their notice text is the one it shows); reloads the
/// page afterwards when `reload`, also when the interface part cannot be loaded.
pub(crate) fn record(state: &assent_core::ConsentState, reload: bool) {
    let encoded = JsValue::from_str(&state.encode());
    with(
        move |ui| {
            call(ui, "record", &[&encoded, &JsValue::from_bool(reload)]);
        },
        Some(Box::new(move || {
            error("the choice was applied but not recorded: the interface part is unavailable");
            if reload {
                crate::dom::reload_page();
            }
        })),
    );
}

/// Sends the records waiting in the retry queue, if there are any (only then is the interface part loaded).
pub(crate) fn flush() {
    if crate::dom::ls_get(crate::dom::keys::QUEUE).is_some() {
        with(
            |ui| {
                call(ui, "flush", &[]);
            },
            None,
        );
    }
}

/// `assent.subscribe(email, list, opts)`: a promise, rejected when the interface cannot be loaded.
pub(crate) fn subscribe(email: JsValue, list: JsValue, opts: JsValue) -> JsValue {
    Promise::new(&mut |resolve, reject| {
        let (email, list, opts) = (email.clone(), list.clone(), opts.clone());
        with(
            move |ui| {
                let p = call(ui, "subscribe", &[&email, &list, &opts]);
                let _ = resolve.call1(&JsValue::UNDEFINED, &p);
            },
            Some(Box::new(move || {
                let e =
                    js_sys::Error::new("assent.subscribe: the interface part could not be loaded");
                let _ = reject.call1(&JsValue::UNDEFINED, &e);
            })),
        );
    })
    .into()
}
