//! E-mail consent records: the types the [`EmailStore`](crate::store::EmailStore) trait takes and returns, and
//! the subscription state machine as pure functions ([`subscribe`], [`confirm`], [`unsubscribe`], [`track`]).
//!
//! Each transition takes the current row (loaded by the backend inside its transaction) and the request, and
//! returns a [`Transition`]: the answer, the row to save (if it changes) and the history event to append, its
//! JSON built here once. Backends only load and save (`src/store/sqlite/email.rs`, `src/store/postgres/email.rs`).
//!
//! Two tables:
//!
//! - `email_subscriptions`: the current state of one address on one list — `pending`, `confirmed` or
//!   `unsubscribed` — with the double opt-in evidence (request and confirmation times, SHA-256 of the
//!   confirmation token, site, notice hash, language) and the unsubscribe time and method. Keyed by
//!   (pseudonym, list); the address itself is kept for delivery and for the suppression export, and is `NULL`
//!   for an address known only by its pseudonym (unsubscribed through a link, never subscribed here).
//! - `email_events`: the append-only history (UUIDv7 ids): `requested`, `confirmed`, `unsubscribed`, `open`,
//!   `click`. Nothing updates an event; only erasure of the address deletes them.
//!
//! Timestamps are server time, Unix milliseconds.

use serde::Serialize;

use super::address::EmailAddress;
use super::confirm::{self, ConfirmOutcome};
use super::list::ListId;
use super::secret::Pseudonym;

/// What an e-mail history event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A subscribe request (whatever its outcome).
    Requested,
    /// A double opt-in confirmation.
    Confirmed,
    /// An unsubscribe.
    Unsubscribed,
    /// A tracked open (pixel).
    Open,
    /// A tracked click.
    Click,
}

impl EventKind {
    /// The name stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Requested => "requested",
            EventKind::Confirmed => "confirmed",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::Open => "open",
            EventKind::Click => "click",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::Requested,
            EventKind::Confirmed,
            EventKind::Unsubscribed,
            EventKind::Open,
            EventKind::Click,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a tracking link saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    /// The open pixel was fetched.
    Open,
    /// A click link was followed.
    Click,
}

impl TrackKind {
    /// The history event it becomes.
    pub fn event(self) -> EventKind {
        match self {
            TrackKind::Open => EventKind::Open,
            TrackKind::Click => EventKind::Click,
        }
    }
}

/// How an address unsubscribed (stored as `unsubscribe_method` and in the event's `method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsubscribeMethod {
    /// RFC 8058 one-click POST from the mail client (`one_click`).
    OneClick,
    /// The unsubscribe page's button (`page`).
    Page,
    /// Another POST to the unsubscribe link (`post`).
    Post,
    /// A `mailto:` unsubscribe e-mail, handed over by the operator (`mailto`).
    Mailto,
}

impl UnsubscribeMethod {
    /// The name stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            UnsubscribeMethod::OneClick => "one_click",
            UnsubscribeMethod::Page => "page",
            UnsubscribeMethod::Post => "post",
            UnsubscribeMethod::Mailto => "mailto",
        }
    }
}

/// The state of an address on a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// Asked to subscribe, not confirmed yet: no list mail may be sent.
    Pending,
    /// Confirmed (double opt-in): list mail may be sent.
    Confirmed,
    /// Unsubscribed: suppressed.
    Unsubscribed,
}

impl SubscriptionState {
    /// The name stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Pending => "pending",
            SubscriptionState::Confirmed => "confirmed",
            SubscriptionState::Unsubscribed => "unsubscribed",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<SubscriptionState> {
        match s {
            "pending" => Some(SubscriptionState::Pending),
            "confirmed" => Some(SubscriptionState::Confirmed),
            "unsubscribed" => Some(SubscriptionState::Unsubscribed),
            _ => None,
        }
    }
}

/// One address on one list, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Address pseudonym.
    pub subject: String,
    /// List id.
    pub list: String,
    /// The address (delivery form), when known.
    pub address: Option<String>,
    /// Current state.
    pub state: SubscriptionState,
    /// Site the request came from.
    pub site: Option<String>,
    /// SHA-256 (hex) of the notice text shown with the subscribe form.
    pub notice_hash: Option<String>,
    /// Language of that notice.
    pub language: Option<String>,
    /// Whether the subscriber consented to open and click tracking.
    pub tracking: bool,
    /// Latest subscribe request.
    pub requested_ms: Option<i64>,
    /// Confirmation (double opt-in) time.
    pub confirmed_ms: Option<i64>,
    /// Latest unsubscribe.
    pub unsubscribed_ms: Option<i64>,
    /// How, as stored (see [`UnsubscribeMethod`]).
    pub unsubscribe_method: Option<String>,
    /// SHA-256 (hex) of the latest confirmation token (evidence; the token itself is never stored).
    pub confirm_hash: Option<String>,
    /// When that token expires.
    pub confirm_expires_ms: Option<i64>,
    /// When that token was used.
    pub confirm_used_ms: Option<i64>,
    /// Last change.
    pub updated_ms: i64,
}

impl Subscription {
    /// True when list mail may be sent: confirmed and not unsubscribed since.
    pub fn can_send(&self) -> bool {
        self.state == SubscriptionState::Confirmed
    }

    /// True when the address belongs on the suppression list: it unsubscribed and has not confirmed again.
    pub fn suppressed(&self) -> bool {
        self.unsubscribed_ms.is_some() && self.state != SubscriptionState::Confirmed
    }
}

/// One entry of the append-only history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmailEvent {
    /// UUIDv7.
    pub id: String,
    /// Address pseudonym.
    pub subject: String,
    /// List id.
    pub list: String,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub ts_ms: i64,
    /// Details (JSON object): notice, method, URL clicked…
    pub detail: serde_json::Value,
}

/// A subscribe request, validated, with its fresh confirmation token's hash.
#[derive(Clone, Debug)]
pub struct SubscribeRequest {
    /// Address pseudonym.
    pub subject: Pseudonym,
    /// The address.
    pub address: EmailAddress,
    /// The list.
    pub list: ListId,
    /// Site the form is on.
    pub site: String,
    /// SHA-256 (hex) of the notice shown.
    pub notice_hash: String,
    /// Its language.
    pub language: String,
    /// Consent to open/click tracking (a separate, unticked checkbox).
    pub tracking: bool,
    /// SHA-256 of the confirmation token.
    pub confirm_hash: [u8; 32],
    /// When the token expires.
    pub confirm_expires_ms: i64,
    /// Now.
    pub now_ms: i64,
    /// Over the per-address limit: change nothing and send nothing, but do the same store work (one event,
    /// one durable commit) as any other request, so the answer's timing does not tell.
    pub over_limit: bool,
}

/// What a subscribe request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// Stored as pending: send the confirmation message.
    Pending,
    /// Already confirmed: nothing changed, nothing to send.
    AlreadyConfirmed,
    /// Over the per-address limit: nothing changed, nothing to send.
    OverLimit,
}

/// What a confirmation attempt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmResult {
    /// Confirmed now.
    Confirmed(Box<Subscription>),
    /// The link was used before.
    Used,
    /// The link expired, or was replaced by a newer request or an unsubscribe.
    Expired,
    /// No such link.
    Unknown,
}

/// An entry of the suppression export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The address, when known.
    pub email: Option<String>,
    /// Its pseudonym.
    pub subject: String,
    /// The list.
    pub list: String,
    /// When it unsubscribed (Unix ms).
    pub unsubscribed_ms: i64,
    /// How.
    pub method: Option<String>,
}

/// An event to append to the history (the backend assigns its UUIDv7 id when it saves it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Address pseudonym.
    pub subject: String,
    /// List id.
    pub list: String,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub ts_ms: i64,
    /// Details (JSON object).
    pub detail: serde_json::Value,
}

/// The outcome of a state-machine step: the caller's answer, and what the backend saves in the same
/// transaction — the subscription row (upserted whole, keyed by subject and list) and the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition<T> {
    /// What the store method answers.
    pub answer: T,
    /// The subscription as it is after the step, when it changed.
    pub save: Option<Subscription>,
    /// The history event, when there is one.
    pub event: Option<NewEvent>,
}

impl<T> Transition<T> {
    fn nothing(answer: T) -> Transition<T> {
        Transition {
            answer,
            save: None,
            event: None,
        }
    }
}

/// Lowercase hex, as the confirmation-token hashes are stored.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// A subscribe request for the address's `current` subscription to the list.
///
/// A new, pending or unsubscribed record becomes pending with the new token (an older confirmation link stops
/// working); an unsubscribed address stays suppressed until it confirms again. A confirmed address, or a request
/// over the per-address limit, changes nothing.
///
/// Identical answer whatever the address's state: every valid request costs the same store work before it is
/// answered — a read of the subscription, one `requested` event, one durable commit. If a confirmed address cost
/// only a SELECT while a new one cost an INSERT and a commit, the 202's latency would tell a stranger who is
/// subscribed. The event is also evidence of the request.
pub fn subscribe(
    current: Option<&Subscription>,
    r: &SubscribeRequest,
) -> Transition<SubscribeOutcome> {
    let subject = r.subject.to_string();
    let previous_state = current.map(|s| s.state.as_str());
    let unchanged = if r.over_limit {
        Some(SubscribeOutcome::OverLimit)
    } else if current.is_some_and(|s| s.state == SubscriptionState::Confirmed) {
        Some(SubscribeOutcome::AlreadyConfirmed)
    } else {
        None
    };
    if let Some(outcome) = unchanged {
        let detail = serde_json::json!({
            "site": r.site,
            "notice_hash": r.notice_hash,
            "language": r.language,
            "tracking": r.tracking,
            "previous_state": previous_state,
            "outcome": match outcome {
                SubscribeOutcome::OverLimit => "over_limit",
                _ => "already_confirmed",
            },
        });
        return Transition {
            answer: outcome,
            save: None,
            event: Some(NewEvent {
                subject,
                list: r.list.as_str().to_owned(),
                kind: EventKind::Requested,
                ts_ms: r.now_ms,
                detail,
            }),
        };
    }
    let confirm_hash = hex(&r.confirm_hash);
    let kept = current.cloned();
    let row = Subscription {
        subject: subject.clone(),
        list: r.list.as_str().to_owned(),
        address: Some(r.address.as_str().to_owned()),
        state: SubscriptionState::Pending,
        site: Some(r.site.clone()),
        notice_hash: Some(r.notice_hash.clone()),
        language: Some(r.language.clone()),
        tracking: r.tracking,
        requested_ms: Some(r.now_ms),
        // The history of the address on the list stays: when it last confirmed and unsubscribed.
        confirmed_ms: kept.as_ref().and_then(|s| s.confirmed_ms),
        unsubscribed_ms: kept.as_ref().and_then(|s| s.unsubscribed_ms),
        unsubscribe_method: kept.and_then(|s| s.unsubscribe_method),
        confirm_hash: Some(confirm_hash.clone()),
        confirm_expires_ms: Some(r.confirm_expires_ms),
        confirm_used_ms: None,
        updated_ms: r.now_ms,
    };
    let detail = serde_json::json!({
        "site": r.site,
        "notice_hash": r.notice_hash,
        "language": r.language,
        "tracking": r.tracking,
        "confirm_hash": confirm_hash,
        "confirm_expires_ms": r.confirm_expires_ms,
        "previous_state": previous_state,
        "outcome": "pending",
    });
    Transition {
        answer: SubscribeOutcome::Pending,
        save: Some(row),
        event: Some(NewEvent {
            subject,
            list: r.list.as_str().to_owned(),
            kind: EventKind::Requested,
            ts_ms: r.now_ms,
            detail,
        }),
    }
}

/// A confirmation at `now_ms` of the subscription whose confirmation-token hash matched (`found`, `None` when
/// no subscription has that hash): it confirms when the token is unused and unexpired and the record is still
/// pending.
pub fn confirm(found: Option<&Subscription>, now_ms: i64) -> Transition<ConfirmResult> {
    let Some(sub) = found else {
        return Transition::nothing(ConfirmResult::Unknown);
    };
    let expires = sub.confirm_expires_ms.unwrap_or(0);
    match confirm::check(
        expires as u64,
        sub.confirm_used_ms.map(|t| t as u64),
        now_ms as u64,
    ) {
        ConfirmOutcome::Used => return Transition::nothing(ConfirmResult::Used),
        ConfirmOutcome::Expired => return Transition::nothing(ConfirmResult::Expired),
        ConfirmOutcome::Confirm if sub.state != SubscriptionState::Pending => {
            return Transition::nothing(ConfirmResult::Expired);
        }
        ConfirmOutcome::Confirm => {}
    }
    let mut row = sub.clone();
    row.state = SubscriptionState::Confirmed;
    row.confirmed_ms = Some(now_ms);
    row.confirm_used_ms = Some(now_ms);
    row.updated_ms = now_ms;
    let detail = serde_json::json!({
        "confirm_hash": sub.confirm_hash,
        "requested_ms": sub.requested_ms,
        "site": sub.site,
        "notice_hash": sub.notice_hash,
        "language": sub.language,
        "tracking": sub.tracking,
    });
    Transition {
        answer: ConfirmResult::Confirmed(Box::new(row.clone())),
        event: Some(NewEvent {
            subject: row.subject.clone(),
            list: row.list.clone(),
            kind: EventKind::Confirmed,
            ts_ms: now_ms,
            detail,
        }),
        save: Some(row),
    }
}

/// An unsubscribe of (`subject`, `list`), whose `current` record is given. Idempotent: answers `false` when it
/// was already unsubscribed. An address with no record gets one (state `unsubscribed`, address unknown), so it
/// is suppressed from now on.
pub fn unsubscribe(
    current: Option<&Subscription>,
    subject: Pseudonym,
    list: &ListId,
    method: UnsubscribeMethod,
    now_ms: i64,
) -> Transition<bool> {
    if current.is_some_and(|s| s.state == SubscriptionState::Unsubscribed) {
        return Transition::nothing(false);
    }
    let mut row = current.cloned().unwrap_or_else(|| Subscription {
        subject: subject.to_string(),
        list: list.as_str().to_owned(),
        address: None,
        state: SubscriptionState::Unsubscribed,
        site: None,
        notice_hash: None,
        language: None,
        tracking: false,
        requested_ms: None,
        confirmed_ms: None,
        unsubscribed_ms: None,
        unsubscribe_method: None,
        confirm_hash: None,
        confirm_expires_ms: None,
        confirm_used_ms: None,
        updated_ms: now_ms,
    });
    row.state = SubscriptionState::Unsubscribed;
    row.unsubscribed_ms = Some(now_ms);
    row.unsubscribe_method = Some(method.as_str().to_owned());
    row.updated_ms = now_ms;
    let detail = serde_json::json!({
        "method": method.as_str(),
        "previous_state": current.map(|s| s.state.as_str()),
    });
    Transition {
        answer: true,
        event: Some(NewEvent {
            subject: row.subject.clone(),
            list: row.list.clone(),
            kind: EventKind::Unsubscribed,
            ts_ms: now_ms,
            detail,
        }),
        save: Some(row),
    }
}

/// The hour `now_ms` falls in, `[from, to)` in Unix milliseconds: tracking records at most one open per hour
/// and one click per URL per hour for an address on a list.
pub fn tracking_hour(now_ms: i64) -> (i64, i64) {
    const HOUR_MS: i64 = 3_600_000;
    let from = now_ms - now_ms.rem_euclid(HOUR_MS);
    (from, from + HOUR_MS)
}

/// An open or click for (`subject`, `list`), whose `current` record is given: an event only for a confirmed
/// subscriber who consented to tracking (`None` otherwise).
///
/// The backend appends it only when the same event (kind and detail) is not already recorded within its
/// [`tracking_hour`]: a replayed or prefetched tracking link adds no row, so it can neither fill the disk nor
/// fake engagement. Every tracking token names one address and list, so this is also at most one per (token,
/// hour).
pub fn track(
    current: Option<&Subscription>,
    subject: Pseudonym,
    list: &ListId,
    kind: TrackKind,
    url: Option<&str>,
    now_ms: i64,
) -> Option<NewEvent> {
    let allowed = current.is_some_and(|s| s.state == SubscriptionState::Confirmed && s.tracking);
    allowed.then(|| NewEvent {
        subject: subject.to_string(),
        list: list.as_str().to_owned(),
        kind: kind.event(),
        ts_ms: now_ms,
        detail: match url {
            Some(u) => serde_json::json!({ "url": u }),
            None => serde_json::json!({}),
        },
    })
}

#[cfg(test)]
mod tests;
