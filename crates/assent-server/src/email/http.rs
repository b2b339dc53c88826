//! The e-mail endpoints (manual: `docs/email.md`).
//!
//! | Route | |
//! |---|---|
//! | `POST /v1/subscriptions` | `{email, list, site, notice_hash, language, tracking?}` → 202, always the same body |
//! | `GET /v1/subscriptions/confirm?t=TOKEN` | a page with a Confirm button; changes nothing |
//! | `POST /v1/subscriptions/confirm` | form `t=TOKEN`: confirms (200 page); used or expired 410, unknown 404 |
//! | `GET /u/{token}` | a page with a confirm button; changes nothing |
//! | `POST /u/{token}` | one-click unsubscribe (RFC 8058): 200, no redirect, idempotent; bad token 404 |
//! | `GET /e/o/{token}` | open pixel: always the same 1×1 GIF |
//! | `GET /e/c/{token}?u=URL` | click: 302 to a registered URL of the list, else 404 |
//! | `GET /v1/admin/subscriptions/status?email=` | an address's records and `can_send` per list — admin |
//! | `GET /v1/admin/suppressions.csv`, `.jsonl` | the suppression list — admin |
//! | `DELETE /v1/admin/subscribers?email=` | erase every e-mail record of an address — admin |
//! | `POST /v1/admin/unsubscribe` | `{token}` from a `mailto:` unsubscribe e-mail → unsubscribes — admin |

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::address::EmailAddress;
use super::confirm::{self, ConfirmToken};
use super::message::{confirmation_message, welcome_message};
use super::service::EmailService;
use super::store::{ConfirmResult, SubscribeOutcome, SubscribeRequest, Suppression};
use super::texts::{self, EmailTexts};
use super::token::{self, LinkKind};
use crate::http::admin::authorize;
use crate::http::client::ClientIp;
use crate::http::error::ApiError;
use crate::http::{App, AppState, body, json};

/// Routes under `/v1` reachable from browsers (CORS applies): `POST /subscriptions`, `GET /subscriptions/confirm`.
pub fn public_routes() -> Router<App> {
    Router::new()
        .route("/subscriptions", axum::routing::post(subscribe))
        .route(
            "/subscriptions/confirm",
            get(confirm_page).post(confirm_post),
        )
}

/// Admin routes under `/v1`.
pub fn admin_routes() -> Router<App> {
    Router::new()
        .route("/admin/subscriptions/status", get(status))
        .route("/admin/suppressions.csv", get(suppressions_csv))
        .route("/admin/suppressions.jsonl", get(suppressions_jsonl))
        .route("/admin/subscribers", axum::routing::delete(erase))
        .route("/admin/unsubscribe", axum::routing::post(admin_unsubscribe))
}

/// Routes at the root: unsubscribe links and tracking.
pub fn root_routes() -> Router<App> {
    Router::new()
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe_post))
        .route("/e/o/{token}", get(open_pixel))
        .route("/e/c/{token}", get(click))
}

fn service(app: &AppState) -> Result<&Arc<EmailService>, ApiError> {
    app.email()
        .ok_or_else(|| ApiError::not_found("e-mail consent is not enabled on this server"))
}

fn now_ms() -> i64 {
    crate::time::now_ms()
}

/// The client the guard resolved (the peer, or behind a trusted proxy its `X-Forwarded-For`), keyed as the
/// limiters count it (an IPv6 client's /64).
fn client_key(req_ext: &axum::http::Extensions) -> IpAddr {
    let ip = req_ext
        .get::<ClientIp>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0);
    crate::http::client::rate_key(ip)
}

/// The body of `POST /v1/subscriptions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscribeInput {
    email: String,
    list: String,
    site: String,
    notice_hash: String,
    language: String,
    #[serde(default)]
    tracking: bool,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

const ACCEPTED: &str = "if this address can receive mail, a confirmation message is on its way; the subscription \
                        starts when the link in it is opened";

/// `POST /v1/subscriptions`: stores a pending subscription and sends the confirmation message. The answer is the
/// same whether the address is new, pending, confirmed, unsubscribed or over its limit, and so is the work done
/// before it (one store write and durable commit, see [`super::store::unchanged_request`]); the message is built
/// and sent in the background.
async fn subscribe(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let email = service(&app)?.clone();
    let ip = client_key(req.extensions());
    let (parts, body_) = req.into_parts();
    body::require_json(&parts.headers)?;
    let bytes = body::read(
        body_,
        &parts.headers,
        app.limits.small_body,
        app.limits.body_timeout,
    )
    .await?;
    let input: SubscribeInput = body::parse(&bytes)?;
    let address = EmailAddress::parse(&input.email)
        .map_err(|e| ApiError::unprocessable("invalid_email", format!("email: {e}")))?;
    let list = email
        .lists
        .get(&input.list)
        .ok_or_else(|| {
            ApiError::unprocessable("unknown_list", "list: no such list on this server")
        })?
        .clone();
    if app.sites.get(&input.site).is_none() {
        return Err(ApiError::unprocessable(
            "unknown_site",
            "site: no config for this site on this server",
        ));
    }
    if !is_hex64(&input.notice_hash) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "notice_hash: must be the SHA-256 of the notice text, 64 lowercase hex digits",
        ));
    }
    if !is_language_tag(&input.language) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "language: must be a BCP 47 tag such as en or pt-BR",
        ));
    }
    let now = now_ms();
    let now_s = (now / 1000) as u64;
    if let Err(wait) = email.per_client.check(&ip, now_s) {
        return Err(ApiError::too_many_requests(wait));
    }
    let subject = email.keys.pseudonym(&address);
    let accepted = || {
        json(
            StatusCode::ACCEPTED,
            &serde_json::json!({ "status": "accepted", "message": ACCEPTED }),
        )
    };
    // Over the per-address limit the request still goes through the store (an event, a commit) and is answered
    // alike: a different answer, or a faster one, would say someone asked for this address recently.
    let over_limit = email.per_address.check(&subject, now_s).is_err();
    let token = ConfirmToken::generate().map_err(|e| {
        tracing::error!(error = %e, "no randomness");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "could not create a confirmation token",
        )
    })?;
    let request = SubscribeRequest {
        subject,
        address: address.clone(),
        list: list.id.clone(),
        site: input.site.clone(),
        notice_hash: input.notice_hash,
        language: input.language.clone(),
        tracking: input.tracking,
        confirm_hash: token.hash,
        confirm_expires_ms: now + (email.confirm_validity_secs as i64) * 1000,
        now_ms: now,
        over_limit,
    };
    let outcome = app
        .store
        .email_subscribe(request)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(%subject, list = %list.id, ?outcome, "subscribe request");
    if outcome == SubscribeOutcome::Pending {
        // Built and sent in the background: the answer must not depend on the mail system (or on the address),
        // and building the message costs time only a new or pending address would otherwise spend.
        let (site, language) = (input.site.clone(), input.language.clone());
        tokio::spawn(async move {
            let url = format!(
                "{}/v1/subscriptions/confirm?t={}",
                email.public_url(),
                token.token
            );
            let hours = email.confirm_validity_secs.div_ceil(3600);
            let built = confirmation_message(
                &email.sender(),
                &list,
                &site,
                &address,
                &url,
                hours,
                Some(language.as_str()),
            );
            match built {
                Ok(message) => match email.mailer.send(message, &subject.to_string()).await {
                    Ok(()) => tracing::info!(%subject, "confirmation message sent"),
                    Err(e) => {
                        tracing::error!(%subject, error = %e, "confirmation message not sent");
                    }
                },
                Err(e) => tracing::error!(%subject, error = %e, "confirmation message not built"),
            }
        });
    }
    Ok(accepted())
}

#[derive(Debug, Deserialize)]
struct ConfirmQuery {
    #[serde(default)]
    t: String,
}

/// `GET /v1/subscriptions/confirm?t=TOKEN` (and `HEAD`): never confirms. Mail scanners and link checkers open
/// every link in a message; if opening the link confirmed, they would confirm subscriptions nobody asked for
/// (and re-subscribe people who had unsubscribed). The page shows a button that POSTs the token to the public
/// URL (`--public-url`, path prefix kept).
async fn confirm_page(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let email = service(&app)?;
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
        email,
        page(asked, StatusCode::OK, asked.get("confirm_title"), &body),
    ))
}

/// `POST /v1/subscriptions/confirm` with the token as form field `t` (the confirmation page's button) or as
/// query parameter `?t=`: confirms, once, before the link expires.
async fn confirm_post(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<ConfirmQuery>, QueryRejection>,
    body_: axum::body::Body,
) -> Result<Response, ApiError> {
    let email = service(&app)?.clone();
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
async fn unsubscribe_page(
    State(app): State<App>,
    Path(token_text): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let email = service(&app)?;
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
        email,
        page(words, StatusCode::OK, words.get("unsubscribe_title"), &body),
    ))
}

/// `POST /u/{token}`: RFC 8058 one-click unsubscribe. Acts on the POST alone: no cookie, no login, no redirect;
/// answers 200 every time for a valid token (idempotent), 404 for anything else.
async fn unsubscribe_post(
    State(app): State<App>,
    Path(token_text): Path<String>,
    headers: HeaderMap,
    body_: Body,
) -> Result<Response, ApiError> {
    let email = service(&app)?;
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
        "page"
    } else if form_has(&bytes, "List-Unsubscribe", "One-Click")
        || multipart_one_click(&headers, &bytes)
    {
        "one_click"
    } else {
        "post"
    };
    let changed = app
        .store
        .email_unsubscribe(t.subject(), t.list().clone(), method, now)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(subject = %t.subject(), list = %t.list(), method, changed, "unsubscribe");
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
        url_decode(k) == key && url_decode(v) == value
    })
}

/// The value of `key` in an `application/x-www-form-urlencoded` body, if present.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.trim().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(k) == key).then(|| url_decode(v))
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

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A 1×1 transparent GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `GET /e/o/{token}`: records an open only for a confirmed subscriber who consented to tracking; the answer is
/// the same pixel whatever happened.
async fn open_pixel(State(app): State<App>, Path(token_text): Path<String>) -> Response {
    if let Some(email) = app.email() {
        let now = now_ms();
        if let Ok(t) = token::verify(
            &email.keys,
            LinkKind::Tracking,
            &token_text,
            (now / 1000) as u64,
        ) {
            if let Err(e) = app
                .store
                .email_track(t.subject(), t.list().clone(), "open", None, now)
                .await
            {
                tracing::warn!(error = %e, "open not recorded");
            }
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
struct ClickQuery {
    #[serde(default)]
    u: String,
}

/// `GET /e/c/{token}?u=URL`: redirects (302) to `URL` when it is a registered click target of the token's list,
/// whether or not anything is recorded; anything else is 404 (never an open redirect).
async fn click(
    State(app): State<App>,
    Path(token_text): Path<String>,
    q: Result<Query<ClickQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let email = service(&app)?;
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
                "click",
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

#[derive(Debug, Deserialize)]
struct EmailQuery {
    #[serde(default)]
    email: String,
}

fn query_address(q: Result<Query<EmailQuery>, QueryRejection>) -> Result<EmailAddress, ApiError> {
    let text = q.map(|Query(q)| q.email).unwrap_or_default();
    EmailAddress::parse(&text)
        .map_err(|e| ApiError::bad_request("invalid_email", format!("email: {e}")))
}

/// `GET /v1/admin/subscriptions/status?email=`: every list of the server with the address's state and whether
/// list mail may be sent, plus its stored records and history (GDPR Art. 15).
async fn status(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<EmailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let email = service(&app)?;
    let address = query_address(q)?;
    let subject = email.keys.pseudonym(&address);
    let subs = app
        .store
        .email_subscriptions(Some(subject))
        .await
        .map_err(|e| ApiError::store(&e))?;
    let events = app
        .store
        .email_events(Some(subject))
        .await
        .map_err(|e| ApiError::store(&e))?;
    let lists: Vec<serde_json::Value> = email
        .lists
        .iter()
        .map(|l| {
            let sub = subs.iter().find(|s| s.list == l.id.as_str());
            serde_json::json!({
                "list": l.id.as_str(),
                "state": sub.map_or("none", |s| match s.state {
                    super::store::SubscriptionState::Pending => "pending",
                    super::store::SubscriptionState::Confirmed => "confirmed",
                    super::store::SubscriptionState::Unsubscribed => "unsubscribed",
                }),
                "can_send": sub.is_some_and(super::store::Subscription::can_send),
                "suppressed": sub.is_some_and(super::store::Subscription::suppressed),
            })
        })
        .collect();
    tracing::info!(%subject, "admin e-mail status");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "subject": subject.to_string(), "lists": lists, "records": subs, "events": events }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsubscribeInput {
    token: String,
}

/// `POST /v1/admin/unsubscribe` `{"token": "…"}`: for whoever processes the `mailto:` of `List-Unsubscribe` (the
/// token is in the subject, `unsubscribe TOKEN`). Same effect as the one-click POST; method `mailto`. Answers
/// `{"unsubscribed": true, "changed": bool}`; an invalid or expired token is 422.
async fn admin_unsubscribe(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let (parts, body_) = req.into_parts();
    authorize(&app, &parts.headers)?;
    let email = service(&app)?;
    body::require_json(&parts.headers)?;
    let bytes = body::read(
        body_,
        &parts.headers,
        app.limits.small_body,
        app.limits.body_timeout,
    )
    .await?;
    let input: UnsubscribeInput = body::parse(&bytes)?;
    let text = input.token.trim().trim_start_matches("unsubscribe").trim();
    let now = now_ms();
    let t = token::verify(
        &email.keys,
        LinkKind::Unsubscribe,
        text,
        (now / 1000) as u64,
    )
    .map_err(|e| ApiError::unprocessable("invalid_token", format!("token: {e}")))?;
    let changed = app
        .store
        .email_unsubscribe(t.subject(), t.list().clone(), "mailto", now)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(subject = %t.subject(), list = %t.list(), changed, "unsubscribe (mailto)");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "unsubscribed": true, "changed": changed }),
    ))
}

/// `DELETE /v1/admin/subscribers?email=`: erases every e-mail record of the address (GDPR Art. 17).
async fn erase(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<EmailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let email = service(&app)?;
    let address = query_address(q)?;
    let subject = email.keys.pseudonym(&address);
    let erased = app
        .store
        .email_erase(subject)
        .await
        .map_err(|e| ApiError::store(&e))?;
    // The outbox keeps copies of the messages (the address, a working confirmation link): they go too.
    let outbox_messages = email
        .mailer
        .erase(&subject.to_string())
        .await
        .map_err(|e| {
            tracing::error!(%subject, error = %e, "outbox messages of an erased address not deleted");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "outbox_erase_failed",
                "the records were erased but the outbox messages to the address could not be deleted; retry",
            )
        })?;
    tracing::info!(%subject, erased, outbox_messages, "admin erasure of an e-mail address");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "subject": subject.to_string(), "erased": erased, "outbox_messages": outbox_messages }),
    ))
}

async fn load_suppressions(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Vec<Suppression>, ApiError> {
    authorize(app, headers)?;
    service(app)?;
    app.store
        .email_suppressions()
        .await
        .map_err(|e| ApiError::store(&e))
}

fn download(content_type: &'static str, body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /v1/admin/suppressions.csv`: `email,list,unsubscribed_at,method,subject` (RFC 4180, CRLF); `email` is
/// empty for an address known only by its pseudonym.
async fn suppressions_csv(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rows = load_suppressions(&app, &headers).await?;
    let mut out = String::from("email,list,unsubscribed_at,method,subject\r\n");
    for s in &rows {
        let fields = [
            s.email.clone().unwrap_or_default(),
            s.list.clone(),
            crate::time::rfc3339_millis(s.unsubscribed_ms),
            s.method.clone().unwrap_or_default(),
            s.subject.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    tracing::info!(rows = rows.len(), "admin suppression export (csv)");
    Ok(download("text/csv; charset=utf-8", out))
}

/// `GET /v1/admin/suppressions.jsonl`: one `{email, list, unsubscribed_at, unsubscribed_ms, method, subject}` per
/// line.
async fn suppressions_jsonl(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rows = load_suppressions(&app, &headers).await?;
    let mut out = String::new();
    for s in &rows {
        let line = serde_json::json!({
            "email": s.email,
            "list": s.list,
            "unsubscribed_at": crate::time::rfc3339_millis(s.unsubscribed_ms),
            "unsubscribed_ms": s.unsubscribed_ms,
            "method": s.method,
            "subject": s.subject,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    tracing::info!(rows = rows.len(), "admin suppression export (jsonl)");
    Ok(download("application/x-ndjson", out))
}

/// Subscriptions or events fetched per store round trip while exporting.
const EXPORT_PAGE: usize = 500;

/// Where the e-mail part of an export is.
enum ExportCursor {
    Subscriptions(Option<(String, String)>),
    Events(Option<String>),
    Done,
}

/// The e-mail records for the admin export (`GET /v1/admin/records`), as JSON lines that follow the consent
/// records: every subscription (`"record_type": "email_subscription"`) and every event
/// (`"record_type": "email_event"`) matching the filter (`site` compares the subscription's site, for events
/// that of their subscription; `since`/`until` the last change of a subscription and the time of an event).
/// Streamed in pages of [`EXPORT_PAGE`], like the consent records, so memory does not grow with the number of
/// records. A backend without e-mail support contributes nothing.
pub fn export_stream(
    app: App,
    filter: crate::store::RecordFilter,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold(ExportCursor::Subscriptions(None), move |cursor| {
        let app = app.clone();
        let filter = filter.clone();
        async move {
            let mut out = Vec::new();
            let next = match cursor {
                ExportCursor::Done => return None,
                ExportCursor::Subscriptions(after) => {
                    match app
                        .store
                        .email_subscriptions_page(filter, after, EXPORT_PAGE)
                        .await
                    {
                        Ok(page) => {
                            for s in &page {
                                let mut v = serde_json::to_value(s).expect("serializable");
                                v["record_type"] = "email_subscription".into();
                                v["updated_at"] = crate::time::rfc3339_millis(s.updated_ms).into();
                                serde_json::to_writer(&mut out, &v).expect("JSON to memory");
                                out.push(b'\n');
                            }
                            if page.len() < EXPORT_PAGE {
                                ExportCursor::Events(None)
                            } else {
                                ExportCursor::Subscriptions(
                                    page.last().map(|s| (s.subject.clone(), s.list.clone())),
                                )
                            }
                        }
                        Err(crate::store::StoreError::Config(why)) => {
                            tracing::warn!(%why, "export without e-mail records");
                            return None;
                        }
                        Err(e) => return Some((Err(export_failed(&e)), ExportCursor::Done)),
                    }
                }
                ExportCursor::Events(after) => {
                    match app
                        .store
                        .email_events_page(filter, after, EXPORT_PAGE)
                        .await
                    {
                        Ok(page) => {
                            for e in &page {
                                let mut v = serde_json::to_value(e).expect("serializable");
                                v["record_type"] = "email_event".into();
                                v["ts"] = crate::time::rfc3339_millis(e.ts_ms).into();
                                serde_json::to_writer(&mut out, &v).expect("JSON to memory");
                                out.push(b'\n');
                            }
                            if page.len() < EXPORT_PAGE {
                                ExportCursor::Done
                            } else {
                                ExportCursor::Events(page.last().map(|e| e.id.clone()))
                            }
                        }
                        Err(e) => return Some((Err(export_failed(&e)), ExportCursor::Done)),
                    }
                }
            };
            Some((Ok(axum::body::Bytes::from(out)), next))
        }
    })
}

fn export_failed(e: &crate::store::StoreError) -> std::io::Error {
    tracing::error!(error = %e, "e-mail export failed part-way; the response is cut short");
    std::io::Error::other(e.to_string())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// HTML-escapes text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
        assert_eq!(url_decode("a%2"), "a%2");
        assert_eq!(url_decode("a+b%41"), "a bA");
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
    fn escaping_and_csv() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(csv_field("plain@example.com"), "plain@example.com");
        assert_eq!(csv_field("a,\"b"), "\"a,\"\"b\"");
    }
}
