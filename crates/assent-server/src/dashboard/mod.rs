//! The site owners' dashboard at `/admin/`: server-rendered HTML and SVG, no JavaScript (docs/dashboard.md).
//!
//! | Route | |
//! |---|---|
//! | `GET /admin/signin`, `GET /admin/dashboard.css` | the sign-in page and the style sheet (no session needed) |
//! | `POST /v1/admin/session` | admin token (form or JSON) → session cookie; `DELETE` or `POST …/session/delete` signs out |
//! | `GET /admin/`, `/admin/records[/{id}]`, `/admin/subject[/export]`, `/admin/email`, `/admin/keys` | views |
//! | `GET/POST /admin/subject/erase` | the confirmation page, then the erasure |
//! | `GET /v1/admin/stats/timeseries` | the overview's figures as JSON (admin token or session) |
//!
//! Every response carries a strict CSP; every state-changing request needs the session cookie (SameSite=Strict),
//! the session's CSRF token and a same-origin `Origin`/`Sec-Fetch-Site`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use sha2::{Digest, Sha256};

use crate::http::error::ApiError;
use crate::http::{App, Plugin};

pub mod bench;
pub mod chart;
pub mod html;
pub mod seed;
pub mod session;
pub mod timeseries;
pub mod views;

use html::Html;
use session::{Session, Sessions};

/// The Content-Security-Policy of every dashboard response: no script at all, styles from our own file.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("assets/dashboard.css");

/// What every dashboard request shares: the session key and sign-outs, the admin token's digest, the public URL.
#[derive(Debug)]
pub struct Shared {
    /// Session signing and sign-outs.
    pub sessions: Sessions,
    token_digest: Option<[u8; 32]>,
    public_origin: Option<String>,
    public_https: bool,
}

/// A handler's view of the dashboard: the server's state and [`Shared`] (an extractor).
#[derive(Clone, Debug)]
pub struct Dashboard {
    /// The server's state.
    pub app: App,
    shared: Arc<Shared>,
}

/// Handle passed to handlers.
pub type Dash = Dashboard;

impl FromRequestParts<App> for Dashboard {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &App,
    ) -> Result<Dashboard, Self::Rejection> {
        let shared = parts
            .extensions
            .get::<Arc<Shared>>()
            .cloned()
            .expect("the dashboard's routes carry its Extension layer");
        Ok(Dashboard {
            app: Arc::clone(app),
            shared,
        })
    }
}

/// The dashboard as a plugin of the HTTP API (`crate::server::run` registers it): its pages at `/admin/`, the
/// session and time-series endpoints under `/v1/admin/`. `admin_token` `None` (admin disabled) disables it;
/// `public_url` is `--public-url` (the `Secure` cookie flag and the accepted `Origin`).
pub fn plugin(admin_token: Option<&str>, public_url: Option<&str>) -> Plugin {
    let token_digest: Option<[u8; 32]> = admin_token.map(|t| Sha256::digest(t.as_bytes()).into());
    let public_origin = public_url.and_then(|url| {
        let (scheme, rest) = url.split_once("://")?;
        Some(format!("{scheme}://{}", rest.split('/').next()?))
    });
    let shared = Arc::new(Shared {
        sessions: Sessions::new(token_digest.as_ref()),
        token_digest,
        public_https: public_url.is_some_and(|u| u.starts_with("https://")),
        public_origin,
    });
    let root_routes = Router::new()
        .route("/admin", get(|| async { see_other("/admin/") }))
        .route("/admin/", get(views::overview::page))
        .route("/admin/signin", get(views::signin::page))
        .route("/admin/dashboard.css", get(css))
        .route("/admin/records", get(views::records::list))
        .route("/admin/records/{id}", get(views::records::one))
        .route("/admin/subject", get(views::subject::page))
        .route("/admin/subject/export", get(views::subject::export))
        .route(
            "/admin/subject/erase",
            get(views::subject::confirm).post(views::subject::erase),
        )
        .route("/admin/email", get(views::email::page))
        .route(
            "/admin/email/suppressions.csv",
            get(views::email::suppressions),
        )
        .route("/admin/keys", get(views::keys::page))
        .route(
            "/v1/admin/session",
            post(views::signin::sign_in).delete(views::signin::sign_out_api),
        )
        .route("/v1/admin/session/delete", post(views::signin::sign_out))
        .route("/v1/admin/stats/timeseries", get(timeseries::api))
        .layer(middleware::from_fn(headers))
        .layer(Extension(shared));
    Plugin {
        root_routes,
        ..Plugin::default()
    }
}

/// Security headers on every dashboard response. The referrer policy is `same-origin`, not `no-referrer`: under
/// `no-referrer` the browser sends `Origin: null` with the dashboard's own form posts, and the same-origin check
/// could not tell them from a foreign page's.
async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        CSS,
    )
        .into_response()
}

/// `303 See Other` to `to`.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Unix seconds now.
pub fn now() -> i64 {
    crate::time::now_ms().div_euclid(1000)
}

impl Dashboard {
    /// The request's session, if any.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        self.shared.sessions.from_headers(headers, now())
    }

    /// The session of a page request, or the answer to give instead: the sign-in page (303), or 403 when the
    /// admin endpoints are disabled.
    pub fn page_session(&self, headers: &HeaderMap) -> Result<Session, Box<Response>> {
        if !self.app.admin_enabled() {
            return Err(Box::new(disabled().into_response()));
        }
        self.session(headers)
            .ok_or_else(|| Box::new(see_other("/admin/signin")))
    }

    /// The session of a state-changing request with its CSRF token, after the same-origin check: 403 JSON for a
    /// cross-origin request or a missing/wrong CSRF token, 401 without a session.
    pub fn write_session(
        &self,
        headers: &HeaderMap,
        csrf: Option<&str>,
    ) -> Result<Session, ApiError> {
        if !self.app.admin_enabled() {
            return Err(disabled());
        }
        self.check_origin(headers)?;
        let session = self.session(headers).ok_or_else(|| {
            ApiError::unauthorized("unauthorized", "sign in to the dashboard first")
        })?;
        if !session::csrf_ok(&session, csrf) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "csrf: missing or wrong; reload the page and try again",
            ));
        }
        Ok(session)
    }

    /// 403 JSON unless the request is same-origin.
    pub fn check_origin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if session::same_origin(headers, self.public_origin().as_deref()) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "state-changing dashboard requests must come from the dashboard's own origin",
            ))
        }
    }

    /// `scheme://host[:port]` of `--public-url`, when configured.
    fn public_origin(&self) -> Option<String> {
        self.shared.public_origin.clone()
    }

    /// The session key and sign-outs.
    pub fn sessions(&self) -> &Sessions {
        &self.shared.sessions
    }

    /// The admin token's SHA-256, `None` when admin is disabled.
    pub fn token_digest(&self) -> Option<&[u8; 32]> {
        self.shared.token_digest.as_ref()
    }

    /// Whether the cookie must be `Secure`: the public URL is https, or the request came through a proxy that
    /// says https.
    pub fn secure(&self, headers: &HeaderMap) -> bool {
        self.shared.public_https
            || headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
    }
}

pub(crate) fn disabled() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "admin_disabled",
        "the dashboard is disabled: start the server with ASSENT_ADMIN_TOKEN set",
    )
}

/// Decodes `application/x-www-form-urlencoded` text (also a query string) into its pairs, last one winning.
pub fn form(text: &str) -> HashMap<String, String> {
    crate::web_text::form_pairs(text).collect()
}

/// Which view a page belongs to (the navigation marks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// Overview.
    Overview,
    /// Records.
    Records,
    /// Subject.
    Subject,
    /// E-mail.
    Email,
    /// Keys.
    Keys,
}

/// A whole page: head, navigation (when signed in), `<main>` with the body.
pub fn render(
    status: StatusCode,
    title: &str,
    session: Option<(&Session, Nav)>,
    body: &str,
) -> Response {
    let mut h = Html::new();
    h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<meta name=\"color-scheme\" content=\"light dark\">")
        .open("title", &[])
        .text(title)
        .text(" · Assent dashboard")
        .close("title")
        .raw("<link rel=\"stylesheet\" href=\"/admin/dashboard.css\"></head><body>")
        .raw("<a class=\"skip\" href=\"#main\">Skip to content</a><header class=\"top\">")
        .raw("<p class=\"brand\">Assent</p>");
    if let Some((session, current)) = session {
        h.open("nav", &[("aria-label", "Dashboard")])
            .open("ul", &[]);
        for (nav, href, label) in [
            (Nav::Overview, "/admin/", "Overview"),
            (Nav::Records, "/admin/records", "Records"),
            (Nav::Subject, "/admin/subject", "Subject"),
            (Nav::Email, "/admin/email", "E-mail"),
            (Nav::Keys, "/admin/keys", "Keys"),
        ] {
            h.open("li", &[]);
            if nav == current {
                h.el("a", &[("href", href), ("aria-current", "page")], label);
            } else {
                h.link(href, label);
            }
            h.close("li");
        }
        h.close("ul").close("nav");
        h.open(
            "form",
            &[
                ("method", "post"),
                ("action", "/v1/admin/session/delete"),
                ("class", "signout"),
            ],
        )
        .open(
            "input",
            &[
                ("type", "hidden"),
                ("name", "csrf"),
                ("value", &session.csrf),
            ],
        )
        .raw("<button type=\"submit\">Sign out</button></form>");
    }
    h.raw("</header><main id=\"main\">")
        .el("h1", &[], title)
        .raw(body)
        .raw("</main></body></html>");
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        h.finish(),
    )
        .into_response()
}

/// A page with an error message (bad parameters): `status`, the message in an alert.
pub fn error_page(
    status: StatusCode,
    title: &str,
    session: Option<(&Session, Nav)>,
    message: &str,
) -> Response {
    let mut h = Html::new();
    h.el("p", &[("class", "error"), ("role", "alert")], message);
    render(status, title, session, &h.finish())
}

/// `YYYY-MM-DD` → Unix seconds at 00:00 UTC.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // H. Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400;
    // Refuse dates that do not exist (31 February): they would not format back to themselves.
    (crate::time::date(secs) == text).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_dates() {
        let f = form("site=a+b&x=%26%3D&bad=%zz&csrf=1");
        assert_eq!(f["site"], "a b");
        assert_eq!(f["x"], "&=");
        assert_eq!(f["bad"], "%zz");
        assert_eq!(parse_date("2026-12-01"), Some(1_796_083_200));
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(parse_date("2026-1-01"), None);
    }
}
