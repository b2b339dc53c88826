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

use std::sync::Arc;

use assent_core::fields::{is_language_tag, is_sha256_hex};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::address::EmailAddress;
use super::confirm::ConfirmToken;
use super::links;
use super::message::confirmation_message;
use super::service::EmailService;
use super::store::{SubscribeOutcome, SubscribeRequest, Suppression, UnsubscribeMethod};
use super::token::{self, LinkKind};
use crate::http::auth::authorize;
use crate::http::body::{self, json};
use crate::http::client::{self, ClientIp};
use crate::http::error::ApiError;
use crate::http::plugin::{Plugin, SecretPath};
use crate::http::state::{App, AppState};
use crate::store::{RecordFilter, Store};

/// The e-mail service as the handlers take it (an `Extension` on the e-mail routes).
type Email = Extension<Arc<EmailService>>;

/// E-mail consent as the HTTP API sees it: its routes (with `service` for their handlers), its lines in the
/// admin export (read from `store`), the link paths that carry tokens (never logged) and the one-click
/// unsubscribe that is never refused for its body. Built by the composition root (`crate::server::run`).
pub fn plugin(service: Arc<EmailService>, store: Arc<dyn Store>) -> Plugin {
    let with_service = Extension(service);
    Plugin {
        public_routes: public_routes().layer(with_service.clone()),
        admin_routes: admin_routes().layer(with_service.clone()),
        root_routes: root_routes().layer(with_service),
        export: Some(Arc::new(move |filter| {
            export_stream(Arc::clone(&store), filter).boxed()
        })),
        secret_paths: vec![
            SecretPath {
                prefix: "/u/",
                logged_as: "/u/{token}",
            },
            SecretPath {
                prefix: "/e/o/",
                logged_as: "/e/o/{token}",
            },
            SecretPath {
                prefix: "/e/c/",
                logged_as: "/e/c/{token}",
            },
        ],
        // One-click unsubscribe is never refused on a technicality (RFC 8058): its body only tells how.
        body_optional: vec!["/u/"],
    }
}

/// Routes under `/v1` reachable from browsers (CORS applies): `POST /subscriptions`, `GET /subscriptions/confirm`.
fn public_routes() -> Router<App> {
    Router::new()
        .route("/subscriptions", axum::routing::post(subscribe))
        .route(
            "/subscriptions/confirm",
            get(links::confirm_page).post(links::confirm_post),
        )
}

/// Admin routes under `/v1`.
fn admin_routes() -> Router<App> {
    Router::new()
        .route("/admin/subscriptions/status", get(status))
        .route("/admin/suppressions.csv", get(suppressions_csv))
        .route("/admin/suppressions.jsonl", get(suppressions_jsonl))
        .route("/admin/subscribers", axum::routing::delete(erase))
        .route("/admin/unsubscribe", axum::routing::post(admin_unsubscribe))
}

/// Routes at the root: unsubscribe links and tracking.
fn root_routes() -> Router<App> {
    Router::new()
        .route(
            "/u/{token}",
            get(links::unsubscribe_page).post(links::unsubscribe_post),
        )
        .route("/e/o/{token}", get(links::open_pixel))
        .route("/e/c/{token}", get(links::click))
}

fn now_ms() -> i64 {
    crate::time::now_ms()
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

const ACCEPTED: &str = "if this address can receive mail, a confirmation message is on its way; the subscription \
                        starts when the link in it is opened";

/// `POST /v1/subscriptions`: stores a pending subscription and sends the confirmation message. The answer is the
/// same whether the address is new, pending, confirmed, unsubscribed or over its limit, and so is the work done
/// before it (one store write and durable commit, see [`super::store::unchanged_request`]); the message is built
/// and sent in the background.
async fn subscribe(
    State(app): State<App>,
    Extension(email): Email,
    ClientIp(client): ClientIp,
    req: Request,
) -> Result<Response, ApiError> {
    // Counted as every limiter counts clients (an IPv6 client by its /64).
    let ip = client::rate_key(client);
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
    if !is_sha256_hex(&input.notice_hash) {
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
    Extension(email): Email,
    headers: HeaderMap,
    q: Result<Query<EmailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
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
async fn admin_unsubscribe(
    State(app): State<App>,
    Extension(email): Email,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, body_) = req.into_parts();
    authorize(&app, &parts.headers)?;
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
        .email_unsubscribe(
            t.subject(),
            t.list().clone(),
            UnsubscribeMethod::Mailto,
            now,
        )
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
    Extension(email): Email,
    headers: HeaderMap,
    q: Result<Query<EmailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
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
fn export_stream(
    store: Arc<dyn Store>,
    filter: RecordFilter,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold(ExportCursor::Subscriptions(None), move |cursor| {
        let store = Arc::clone(&store);
        let filter = filter.clone();
        async move {
            let mut out = Vec::new();
            let next = match cursor {
                ExportCursor::Done => return None,
                ExportCursor::Subscriptions(after) => {
                    match store
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
                    match store.email_events_page(filter, after, EXPORT_PAGE).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        assert_eq!(csv_field("plain@example.com"), "plain@example.com");
        assert_eq!(csv_field("a,\"b"), "\"a,\"\"b\"");
    }
}
