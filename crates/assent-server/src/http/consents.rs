//! `POST /v1/consents` (record a choice), `GET /v1/consents/{id}` (receipt), `POST /v1/verify`.

use core::fmt;

use assent_core::fields::{is_language_tag, is_sha256_hex};
use assent_core::{Config, Method};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::auth::bearer;
use super::body::{self, json};
use super::error::ApiError;
use super::state::{App, AppState};
use crate::store::{ConsentRecord, Purpose, RecordSignals, Subject};

/// Seconds in a day.
const DAY: u64 = 86_400;
/// Latest `decided_at` accepted (9999-12-31T23:59:59Z).
const MAX_DECIDED_AT: u64 = 253_402_300_799;

/// The browser SDK's record of one choice (the body of `POST /v1/consents`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// The site id (config `site`).
    pub site: String,
    /// Config revision the visitor saw.
    pub revision: u32,
    /// Every declared non-essential category → granted.
    pub categories: Choices,
    /// DNT / GPC as the page saw them.
    pub signals: InputSignals,
    /// Language of the notice shown.
    pub language: String,
    /// banner | preferences | api | withdraw.
    pub method: Method,
    /// SHA-256 of the notice text shown, 64 lowercase hex digits.
    pub notice_hash: String,
    /// The visitor's subject id from an earlier record; absent on the first.
    #[serde(default)]
    pub subject: Option<String>,
    /// The browser's clock at the choice, Unix seconds.
    #[serde(default)]
    pub decided_at: Option<u64>,
    /// Browser SDK version.
    pub sdk_version: String,
    /// The region whose rules applied (`eu`, `us_states`, …), when the site uses regions.
    #[serde(default, deserialize_with = "region_field")]
    pub region: Option<String>,
}

/// `region` as an optional string, with the field named when it is something else.
fn region_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
        .map_err(|_| de::Error::custom("region: expected a region name (a string) or null"))
}

/// Signals in the body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSignals {
    /// Do Not Track.
    pub dnt: bool,
    /// Global Privacy Control.
    pub gpc: bool,
}

/// Category name → granted, in body order; a name given twice is refused.
#[derive(Debug, Default)]
pub struct Choices(pub Vec<(String, bool)>);

impl<'de> Deserialize<'de> for Choices {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Choices, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Choices;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of category name → true/false")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choices, A::Error> {
                let mut out: Vec<(String, bool)> = Vec::new();
                while let Some((name, on)) = map.next_entry::<String, bool>()? {
                    if out.iter().any(|(n, _)| *n == name) {
                        return Err(de::Error::custom(format_args!(
                            "category `{name}` given twice in `categories`"
                        )));
                    }
                    if out.len() >= assent_core::category::MAX_CATEGORIES {
                        return Err(de::Error::custom("too many categories"));
                    }
                    out.push((name, on));
                }
                Ok(Choices(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn header_is_one(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

fn is_version(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
}

/// Checks a body against its site's config and builds the record (without id, time, token).
fn purposes(config: &Config, choices: &Choices) -> Result<Vec<Purpose>, ApiError> {
    for (name, on) in &choices.0 {
        let Some(c) = config.category_by_name(name) else {
            return Err(ApiError::unprocessable(
                "unknown_category",
                format!(
                    "categories.{name}: site {} (revision {}) declares no such category",
                    config.site, config.revision
                ),
            ));
        };
        if c.category.is_essential() && !on {
            return Err(ApiError::unprocessable(
                "essential_required",
                "categories.essential: essential is always granted and cannot be false",
            ));
        }
    }
    config
        .categories
        .iter()
        .map(|c| {
            let name = c.category.name();
            let given = choices.0.iter().find(|(n, _)| n == name).map(|(_, on)| *on);
            let granted = if c.category.is_essential() {
                true
            } else {
                given.ok_or_else(|| {
                    ApiError::unprocessable(
                        "missing_category",
                        format!("categories.{name}: every declared category needs true or false"),
                    )
                })?
            };
            Ok(Purpose {
                category: name.to_owned(),
                index: c.index,
                granted,
            })
        })
        .collect()
}

/// Whether `token` proves that the sender is the visitor `claimed` on `site`: a token this server signed (with
/// a published key; an expired token still counts, since a visitor keeps their subject after the consent
/// lapses), for the same site, whose subject id is the claimed subject's prefix. The subject id is readable by
/// any script on the page, the token's signature is not forgeable, so a record may extend a subject's history
/// only with its token. `Err` says why not (for the log).
fn subject_proof(
    keys: &crate::tokens::Keys,
    token: Option<&str>,
    claimed: &Subject,
    site: &str,
) -> Result<(), &'static str> {
    let token = token.ok_or("no Authorization: Bearer token")?;
    let claims = keys
        .verify_ignoring_expiry(token)
        .map_err(|_| "the token is not valid")?
        .into_inner();
    if claims.site_id != site {
        return Err("the token is for another site");
    }
    let prefix = &claimed.0[..claims.subject_id.0.len().min(Subject::LEN)];
    if claims.subject_id.0.as_slice() != prefix {
        return Err("the token is for another subject");
    }
    Ok(())
}

/// Validates a choice and turns it into a record stamped at `now_ms` (token not yet minted). A `subject` in
/// the body is kept only with proof (`Authorization: Bearer <that subject's token>`, see [`subject_proof`]);
/// without it the record gets a fresh subject.
pub fn validate(
    app: &AppState,
    input: ConsentInput,
    headers: &HeaderMap,
    now_ms: i64,
) -> Result<ConsentRecord, ApiError> {
    let Some(site) = app.sites.get(&input.site) else {
        return Err(ApiError::unprocessable(
            "unknown_site",
            format!("site: this server has no config for site {:?}", input.site),
        ));
    };
    let config = &site.config;
    if input.revision != config.revision {
        let (code, how) = if input.revision < config.revision {
            ("stale_revision", "older than")
        } else {
            ("unknown_revision", "newer than")
        };
        return Err(ApiError::unprocessable(
            code,
            format!(
                "revision: {} is {how} the current revision {} of {}; reload the page's config",
                input.revision, config.revision, config.site
            ),
        ));
    }
    let purposes = purposes(config, &input.categories)?;
    if !is_language_tag(&input.language) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "language: expected a BCP 47 language tag such as \"en\" or \"pt-BR\"",
        ));
    }
    if !is_sha256_hex(&input.notice_hash) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "notice_hash: expected the SHA-256 of the notice text as 64 lowercase hex digits",
        ));
    }
    if !is_version(&input.sdk_version) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "sdk_version: expected 1-32 characters of letters, digits, '.', '-', '+', '_'",
        ));
    }
    if input
        .region
        .as_deref()
        .is_some_and(|r| !assent_verify::format::is_valid_region(r))
    {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "region: expected a region name of 1-32 characters of a-z, 0-9 and _, starting with a letter",
        ));
    }
    if input.decided_at.is_some_and(|d| d > MAX_DECIDED_AT) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "decided_at: expected Unix seconds",
        ));
    }
    let subject = match &input.subject {
        None => Subject::random(),
        Some(s) => {
            let claimed = s
                .parse::<Subject>()
                .map_err(|e| ApiError::unprocessable("invalid_field", format!("subject: {e}")))?;
            match subject_proof(&app.keys(), bearer(headers), &claimed, &config.site) {
                Ok(()) => claimed,
                Err(why) => {
                    // Not an error: the visitor's choice is stored all the same, under a subject of its own, so
                    // that nobody can write into another visitor's history. The answer names the new subject.
                    tracing::info!(site = %config.site, why, "subject not proven; assigned a fresh subject");
                    Subject::random()
                }
            }
        }
    };
    let gpc_header = header_is_one(headers, "sec-gpc");
    let signals = RecordSignals {
        dnt: input.signals.dnt || header_is_one(headers, "dnt"),
        gpc: input.signals.gpc || gpc_header,
        gpc_header,
    };
    let issued_at = now_ms.div_euclid(1000) as u64;
    let expires_at = issued_at
        .saturating_add(u64::from(config.reconsent_days.max(1)) * DAY)
        .min(u64::from(u32::MAX));
    Ok(ConsentRecord {
        id: Uuid::now_v7(),
        site: config.site.clone(),
        subject,
        ts_ms: now_ms,
        decided_at: input.decided_at,
        expires_at,
        revision: config.revision,
        notice_hash: input.notice_hash,
        policy_url: config.policy_url.clone(),
        purposes,
        signals,
        language: input.language,
        method: input.method,
        sdk_version: input.sdk_version,
        kid: String::new(),
        token: String::new(),
        region: input.region,
    })
}

/// `POST /v1/consents`: validate, sign, commit durably, then answer 201. Nothing is stored on any error.
pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    body::require_json(&headers)?;
    let bytes = body::read(
        body,
        &headers,
        app.limits.consent_body,
        app.limits.body_timeout,
    )
    .await?;
    let input: ConsentInput = body::parse(&bytes)?;
    let mut record = validate(&app, input, &headers, crate::time::now_ms())?;
    let keys = app.keys();
    record.token = keys.mint(&record).map_err(|e| {
        tracing::error!(error = %e, "cannot mint a token");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "token_failed",
            "could not sign the token; nothing was stored",
        )
    })?;
    record.kid = keys.kid();
    let answer = serde_json::json!({
        "id": record.id.to_string(),
        "token": record.token,
        "expires_at": record.expires_at,
        "subject": record.subject.to_string(),
    });
    let location = format!("/v1/consents/{}", record.id);
    if let Err(e) = app.store.insert(record).await {
        app.metrics.store_failed();
        return Err(ApiError::store(&e));
    }
    app.metrics.record_stored();
    let mut response = json(StatusCode::CREATED, &answer);
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/consents/{id}` with the visitor's own token: the stored record (their receipt). The token must
/// have been issued for this record; an expired token still works (the signature proves it is theirs).
pub async fn receipt(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(token) = bearer(&headers) else {
        return Err(ApiError::unauthorized(
            "missing_token",
            "send the consent token issued for this record as Authorization: Bearer <token>",
        ));
    };
    let claims = match app.keys().verify_ignoring_expiry(token) {
        Ok(v) => {
            app.metrics.verify_result("valid");
            v.into_inner()
        }
        Err(e) => {
            app.metrics.verify_result(e.code());
            return Err(ApiError::unauthorized(
                "invalid_token",
                format!("the token is not valid: {e}"),
            ));
        }
    };
    let id = Uuid::parse_str(&id)
        .ok()
        .filter(|u| u.as_hyphenated().to_string() == id.to_ascii_lowercase())
        .ok_or_else(|| ApiError::not_found("no such record"))?;
    if claims.record_id.0 != *id.as_bytes() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "token_mismatch",
            "this token was issued for another record",
        ));
    }
    match app.store.get(id).await {
        Ok(Some(record)) => Ok(json(StatusCode::OK, &record.to_json())),
        Ok(None) => Err(ApiError::not_found(
            "no such record (it may have been erased)",
        )),
        Err(e) => Err(ApiError::store(&e)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyInput {
    token: String,
}

/// `POST /v1/verify {token}` → 200 `{"valid": true, "kid", "claims"}` or `{"valid": false, "error": {code,
/// message}}` (the request was fine; the token is what is invalid).
pub async fn verify(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    body::require_json(&headers)?;
    let bytes = body::read(
        body,
        &headers,
        app.limits.small_body,
        app.limits.body_timeout,
    )
    .await?;
    let input: VerifyInput = body::parse(&bytes)?;
    let answer = match app.keys().verify(&input.token) {
        Ok(v) => {
            app.metrics.verify_result("valid");
            serde_json::json!({ "valid": true, "kid": v.kid().to_string(), "claims": v.claims().to_json() })
        }
        Err(e) => {
            app.metrics.verify_result(e.code());
            serde_json::json!({ "valid": false, "error": { "code": e.code(), "message": e.to_string() } })
        }
    };
    Ok(json(StatusCode::OK, &answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks() {
        assert!(is_version("0.1.0-beta+1"));
        assert!(!is_version(""));
        assert!(!is_version("1 0"));
    }

    #[test]
    fn choices_refuse_duplicates() {
        let ok: Choices =
            serde_json::from_str(r#"{"analytics": true, "remarketing": false}"#).unwrap();
        assert_eq!(
            ok.0,
            vec![("analytics".into(), true), ("remarketing".into(), false)]
        );
        let err = serde_json::from_str::<Choices>(r#"{"analytics": true, "analytics": false}"#)
            .unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        assert!(serde_json::from_str::<Choices>(r#"{"analytics": 1}"#).is_err());
    }

    #[test]
    fn subject_proof_accepts_expired_tokens_of_the_same_site_and_subject_only() {
        use assent_verify::{KeyStatus, SigningKey};
        let signing = SigningKey::from_seed(&[9; 32]);
        let keys = crate::tokens::Keys::new(signing.clone(), signing.key_set(KeyStatus::Active));
        let mut record = crate::store::test_record(Subject([5; 16]), "test.example", true);
        // Issued and expired long ago: still proof of the subject.
        record.ts_ms = 1_000_000_000_000;
        record.expires_at = 1_000_086_400;
        let token = keys.mint(&record).unwrap();
        let site = record.site.clone();
        assert_eq!(
            subject_proof(&keys, Some(&token), &Subject([5; 16]), &site),
            Ok(())
        );
        // The token carries the first 12 bytes: a subject that differs only after them still matches.
        let mut same_prefix = [5; 16];
        same_prefix[15] = 6;
        assert_eq!(
            subject_proof(&keys, Some(&token), &Subject(same_prefix), &site),
            Ok(())
        );
        let mut other = [5; 16];
        other[0] = 6;
        assert!(subject_proof(&keys, Some(&token), &Subject(other), &site).is_err());
        assert!(subject_proof(&keys, Some(&token), &Subject([5; 16]), "other.example").is_err());
        assert!(subject_proof(&keys, None, &Subject([5; 16]), &site).is_err());
        // Signed by a key this server does not publish.
        let stranger = SigningKey::from_seed(&[8; 32]);
        let foreign =
            crate::tokens::Keys::new(stranger.clone(), stranger.key_set(KeyStatus::Active))
                .mint(&record)
                .unwrap();
        assert!(subject_proof(&keys, Some(&foreign), &Subject([5; 16]), &site).is_err());
    }
}
