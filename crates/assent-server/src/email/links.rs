//! The pages behind the links in messages: the double opt-in confirmation, the unsubscribe page and its
//! one-click POST (RFC 8058), and the tracking links (open pixel, click redirect). Routes in `http.rs`.
//!
//! Every link a message carries is opened by machines too (mail scanners, link checkers, previews), so a `GET`
//! never changes anything: confirming and unsubscribing take a `POST`, from a button on the page the `GET` shows.
//! Form actions are built from `--public-url`, so they keep a proxy's path prefix.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::address::EmailAddress;
use super::confirm;
use super::message::welcome_message;
use super::service::EmailService;
use super::store::{ConfirmResult, TrackKind, UnsubscribeMethod};
use super::texts::{self, EmailTexts};
use super::token::{self, LinkKind};
use crate::http::body;
use crate::http::error::ApiError;
use crate::http::state::{App, AppState};
use crate::web_text::{escape_html as escape, form_decode};

/// The e-mail service as the handlers take it (an `Extension` on the e-mail routes, `http.rs`).
type Email = Extension<Arc<EmailService>>;

fn now_ms() -> i64 {
    crate::time::now_ms()
}

#[derive(Debug, Deserialize)]
pub(super) struct ConfirmQuery {
    #[serde(default)]
    t: String,
}

/// `GET /v1/subscriptions/confirm?t=TOKEN` (and `HEAD`): never confirms. Mail scanners and link checkers open
/// every link in a message; if opening the link confirmed, they would confirm subscriptions nobody asked for
/// (and re-subscribe people who had unsubscribed). The page shows a button that POSTs the token to the public
/// URL (`--public-url`, path prefix kept).
pub(super) async fn confirm_page(
    Extension(email): Email,
    headers: HeaderMap,
    q: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let asked = browser_language(&headers);
    let token = q.map(|Query(q)| q.t).unwrap_or_default();
    if confirm::hash_token(&token).is_none() {
        return Ok(text_page(
            asked,
            StatusCode::NOT_FOUND,
            "invalid_title",
            "confirm_invalid_text",
        ));
    }
    let body = format!(
        "<p>{text}</p><form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"t\" value=\"{token}\">\
         <button type=\"submit\">{button}</button></form>",
        text = escape(asked.get("confirm_text")),
        action = escape(&format!("{}/v1/subscriptions/confirm", email.public_url())),
        token = escape(&token),
        button = escape(asked.get("confirm_button")),
    );
    Ok(form_target(
        &email,
        page(asked, StatusCode::OK, asked.get("confirm_title"), &body),
    ))
}

/// `POST /v1/subscriptions/confirm` with the token as form field `t` (the confirmation page's button) or as
/// query parameter `?t=`: confirms, once, before the link expires.
pub(super) async fn confirm_post(
    State(app): State<App>,
    Extension(email): Email,
    headers: HeaderMap,
    q: Result<Query<ConfirmQuery>, QueryRejection>,
    body_: Body,
) -> Result<Response, ApiError> {
    // Until the token finds a subscription, the page speaks the browser's language.
    let asked = browser_language(&headers);
    let bytes = body::read(
        body_,
        &headers,
        app.limits.small_body,
        app.limits.body_timeout,
    )
    .await?;
    let token = form_value(&bytes, "t")
        .or_else(|| q.ok().map(|Query(q)| q.t))
        .unwrap_or_default();
    let Some(hash) = confirm::hash_token(&token) else {
        return Ok(text_page(
            asked,
            StatusCode::NOT_FOUND,
            "invalid_title",
            "confirm_invalid_text",
        ));
    };
    let now = now_ms();
    let result = app
        .store
        .email_confirm(hash, now)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(match result {
        ConfirmResult::Confirmed(sub) => {
            tracing::info!(subject = %sub.subject, list = %sub.list, "subscription confirmed");
            let list = email.lists.get(&sub.list).cloned();
            let address = sub
                .address
                .as_deref()
                .and_then(|a| EmailAddress::parse(a).ok());
            if let (Some(list), Some(address)) = (list, address) {
                match welcome_message(
                    &email.sender(),
                    &email.keys,
                    &list,
                    &address,
                    (now / 1000) as u64,
                    sub.language.as_deref(),
                ) {
                    Ok(message) => {
                        let subject = sub.subject.clone();
                        tokio::spawn(async move {
                            if let Err(e) = email.mailer.send(message, &subject).await {
                                tracing::error!(%subject, error = %e, "welcome message not sent");
                            }
                        });
                    }
                    Err(e) => tracing::error!(error = %e, "welcome message not built"),
                }
            }
            let t = texts::for_language(sub.language.as_deref());
            text_page(t, StatusCode::OK, "confirmed_title", "confirmed_text")
        }
        ConfirmResult::Used => text_page(asked, StatusCode::GONE, "used_title", "used_text"),
        ConfirmResult::Expired => {
            text_page(asked, StatusCode::GONE, "expired_title", "expired_text")
        }
        ConfirmResult::Unknown => text_page(
            asked,
            StatusCode::NOT_FOUND,
            "invalid_title",
            "confirm_invalid_text",
        ),
    })
}

fn not_found_page(t: &EmailTexts) -> Response {
    text_page(
        t,
        StatusCode::NOT_FOUND,
        "invalid_title",
        "unsubscribe_invalid_text",
    )
}

/// The texts for the browser's `Accept-Language` (pages with no subscription behind them).
fn browser_language(headers: &HeaderMap) -> &'static EmailTexts {
    texts::for_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The texts for the language recorded with the address's subscription to `list`, else the browser's.
async fn subscription_language(
    app: &AppState,
    subject: super::Pseudonym,
    list: &str,
    headers: &HeaderMap,
) -> &'static EmailTexts {
    match app.store.email_subscriptions(Some(subject)).await {
        Ok(subs) => match subs
            .into_iter()
            .find(|s| s.list == list)
            .and_then(|s| s.language)
        {
            Some(lang) => texts::for_language(Some(&lang)),
            None => browser_language(headers),
        },
        Err(e) => {
            tracing::warn!(error = %e, "subscription language not read");
            browser_language(headers)
        }
    }
}

/// `GET /u/{token}`: never unsubscribes (link scanners fetch links); shows a page with a button that POSTs.
pub(super) async fn unsubscribe_page(
    State(app): State<App>,
    Extension(email): Email,
    Path(token_text): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now_s = (now_ms() / 1000) as u64;
    let Ok(t) = token::verify(&email.keys, LinkKind::Unsubscribe, &token_text, now_s) else {
        return Ok(not_found_page(browser_language(&headers)));
    };
    let words = subscription_language(&app, t.subject(), t.list().as_str(), &headers).await;
    let name = email
        .lists
        .get(t.list().as_str())
        .map_or_else(|| t.list().to_string(), |l| l.name.clone());
    let body = format!(
        "<p>{question}</p>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <input type=\"hidden\" name=\"source\" value=\"page\">\
         <button type=\"submit\">{button}</button></form>",
        question = html_fill(words, "unsubscribe_text", &name),
        button = escape(words.get("unsubscribe_button")),
        action = escape(&format!("{}/u/{token_text}", email.public_url())),
    );
    Ok(form_target(
        &email,
        page(words, StatusCode::OK, words.get("unsubscribe_title"), &body),
    ))
}

/// `POST /u/{token}`: RFC 8058 one-click unsubscribe. Acts on the POST alone: no cookie, no login, no redirect;
/// answers 200 every time for a valid token (idempotent), 404 for anything else.
pub(super) async fn unsubscribe_post(
    State(app): State<App>,
    Extension(email): Email,
    Path(token_text): Path<String>,
    headers: HeaderMap,
    body_: Body,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let Ok(t) = token::verify(
        &email.keys,
        LinkKind::Unsubscribe,
        &token_text,
        (now / 1000) as u64,
    ) else {
        return Ok(not_found_page(browser_language(&headers)));
    };
    // The body is read only to tell the RFC 8058 POST from the page's button; any POST with a valid token
    // unsubscribes (an unsubscribe is never refused on a technicality).
    let bytes = body::read(
        body_,
        &headers,
        app.limits.small_body,
        app.limits.body_timeout,
    )
    .await
    .unwrap_or_default();
    let method = if form_has(&bytes, "source", "page") {
        UnsubscribeMethod::Page
    } else if form_has(&bytes, "List-Unsubscribe", "One-Click")
        || multipart_one_click(&headers, &bytes)
    {
        UnsubscribeMethod::OneClick
    } else {
        UnsubscribeMethod::Post
    };
    let changed = app
        .store
        .email_unsubscribe(t.subject(), t.list().clone(), method, now)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(subject = %t.subject(), list = %t.list(), method = method.as_str(), changed, "unsubscribe");
    let name = email
        .lists
        .get(t.list().as_str())
        .map_or_else(|| t.list().to_string(), |l| l.name.clone());
    let words = subscription_language(&app, t.subject(), t.list().as_str(), &headers).await;
    Ok(page(
        words,
        StatusCode::OK,
        words.get("unsubscribed_title"),
        &format!("<p>{}</p>", html_fill(words, "unsubscribed_text", &name)),
    ))
}

/// Whether an `application/x-www-form-urlencoded` body has `key=value`.
fn form_has(body: &[u8], key: &str, value: &str) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    text.trim().split('&').any(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        form_decode(k) == key && form_decode(v) == value
    })
}

/// The value of `key` in an `application/x-www-form-urlencoded` body, if present.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.trim().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k) == key).then(|| form_decode(v))
    })
}

/// Whether a `multipart/form-data` body (RFC 8058 allows it) has the field `List-Unsubscribe` = `One-Click`.
fn multipart_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    is_multipart
        && text
            .split("\r\n\r\n")
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| {
                w[0].contains("name=\"List-Unsubscribe\"")
                    && w[1].trim_start().starts_with("One-Click")
            })
}

/// A 1×1 transparent GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `GET /e/o/{token}`: records an open only for a confirmed subscriber who consented to tracking; the answer is
/// the same pixel whatever happened.
pub(super) async fn open_pixel(
    State(app): State<App>,
    Extension(email): Email,
    Path(token_text): Path<String>,
) -> Response {
    let now = now_ms();
    if let Ok(t) = token::verify(
        &email.keys,
        LinkKind::Tracking,
        &token_text,
        (now / 1000) as u64,
    ) {
        if let Err(e) = app
            .store
            .email_track(t.subject(), t.list().clone(), TrackKind::Open, None, now)
            .await
        {
            tracing::warn!(error = %e, "open not recorded");
        }
    }
    let mut r = (StatusCode::OK, PIXEL).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    r
}

#[derive(Debug, Deserialize)]
pub(super) struct ClickQuery {
    #[serde(default)]
    u: String,
}

/// `GET /e/c/{token}?u=URL`: redirects (302) to `URL` when it is a registered click target of the token's list,
/// whether or not anything is recorded; anything else is 404 (never an open redirect).
pub(super) async fn click(
    State(app): State<App>,
    Extension(email): Email,
    Path(token_text): Path<String>,
    q: Result<Query<ClickQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let target = q.map(|Query(q)| q.u).unwrap_or_default();
    let registered = token::untrusted_list(&token_text)
        .is_some_and(|list| email.lists.is_click_target(&list, &target));
    if !registered {
        return Err(ApiError::not_found("no such link"));
    }
    let now = now_ms();
    if let Ok(t) = token::verify(
        &email.keys,
        LinkKind::Tracking,
        &token_text,
        (now / 1000) as u64,
    ) {
        if let Err(e) = app
            .store
            .email_track(
                t.subject(),
                t.list().clone(),
                TrackKind::Click,
                Some(target.clone()),
                now,
            )
            .await
        {
            tracing::warn!(error = %e, "click not recorded");
        }
    }
    let location =
        HeaderValue::from_str(&target).map_err(|_| ApiError::not_found("no such link"))?;
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert(header::LOCATION, location);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(r)
}

/// A page of a title and one paragraph, both texts of `t`.
fn text_page(t: &EmailTexts, status: StatusCode, title: &str, text: &str) -> Response {
    page(
        t,
        status,
        t.get(title),
        &format!("<p>{}</p>", escape(t.get(text))),
    )
}

/// A text of `t` as HTML, its `{list}` the list's name in bold.
fn html_fill(t: &EmailTexts, key: &str, list_name: &str) -> String {
    let name = format!("<strong>{}</strong>", escape(list_name));
    // Escaping leaves the braces, so the placeholder survives it; the value is already HTML.
    texts::fill(&escape(t.get(key)), &[("list", &name)])
}

/// A page with a form that posts to this server's public URL (`--public-url`, which may be another origin and
/// carry a path prefix when a proxy sits in front): its CSP allows exactly that form target.
fn form_target(email: &EmailService, mut r: Response) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {}; frame-ancestors 'none'",
        public_origin(email.public_url())
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// `scheme://host[:port]` of a URL.
fn public_origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// A small self-contained page in the language of `t` (`lang`, `dir`): no script, no external resource, readable
/// without CSS.
fn page(t: &EmailTexts, status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111;\
         background:#fff}}button{{font:inherit;padding:.6rem 1.4rem;border:2px solid #111;border-radius:.4rem;\
         background:#111;color:#fff;cursor:pointer}}button:focus-visible{{outline:3px solid #1a5fb4;outline-offset:2px}}\
         </style></head><body><main><h1>{title}</h1>{body_html}</main></body></html>",
        lang = t.lang,
        dir = t.dir(),
        title = escape(title),
    );
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies() {
        assert!(form_has(
            b"List-Unsubscribe=One-Click",
            "List-Unsubscribe",
            "One-Click"
        ));
        assert!(form_has(
            b"List-Unsubscribe=One-Click&source=page",
            "source",
            "page"
        ));
        assert!(form_has(
            b"List-Unsubscribe%3DX=x&List-Unsubscribe=One%2DClick\r\n",
            "List-Unsubscribe",
            "One-Click"
        ));
        assert!(!form_has(
            b"List-Unsubscribe=Two-Click",
            "List-Unsubscribe",
            "One-Click"
        ));
        assert!(!form_has(b"%", "List-Unsubscribe", "One-Click"));
        assert_eq!(form_decode("a%2"), "a%2");
        assert_eq!(form_decode("a+b%41"), "a bA");
    }

    #[test]
    fn form_values_and_origins() {
        assert_eq!(
            public_origin("https://mail.example/news"),
            "https://mail.example"
        );
        assert_eq!(
            public_origin("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(form_value(b"a=1&t=abc%2Dd", "t").as_deref(), Some("abc-d"));
        assert_eq!(form_value(b"a=1", "t"), None);
    }

    #[test]
    fn multipart_bodies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XX"),
        );
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XX--\r\n";
        assert!(multipart_one_click(&h, body));
        assert!(!multipart_one_click(&HeaderMap::new(), body));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
