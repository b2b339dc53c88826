//! Every transition of the e-mail state machine, natively, without a database.

use super::*;
use crate::email::secret::EmailKeys;

const T0: i64 = 1_790_000_000_000;

fn request(over_limit: bool) -> SubscribeRequest {
    let address = EmailAddress::parse("Ann@example.com").unwrap();
    SubscribeRequest {
        subject: EmailKeys::from_secret(&[1; 32]).pseudonym(&address),
        address,
        list: ListId::new("newsletter").unwrap(),
        site: "example.com".into(),
        notice_hash: "ab".repeat(32),
        language: "en".into(),
        tracking: true,
        confirm_hash: [7; 32],
        confirm_expires_ms: T0 + 60_000,
        now_ms: T0,
        over_limit,
    }
}

/// The row of `request(false)` in each state (as the transitions leave it).
fn in_state(state: SubscriptionState) -> Subscription {
    let pending = subscribe(None, &request(false)).save.unwrap();
    match state {
        SubscriptionState::Pending => pending,
        SubscriptionState::Confirmed => confirm(Some(&pending), T0 + 1).save.unwrap(),
        SubscriptionState::Unsubscribed => {
            let r = request(false);
            unsubscribe(
                Some(&pending),
                r.subject,
                &r.list,
                UnsubscribeMethod::OneClick,
                T0 + 1,
            )
            .save
            .unwrap()
        }
    }
}

#[test]
fn subscribe_makes_new_pending_and_unsubscribed_rows_pending_with_the_new_token() {
    let r = request(false);
    let t = subscribe(None, &r);
    assert_eq!(t.answer, SubscribeOutcome::Pending);
    let row = t.save.unwrap();
    assert_eq!(row.state, SubscriptionState::Pending);
    assert_eq!(row.address.as_deref(), Some("Ann@example.com"));
    assert_eq!(row.confirm_hash.as_deref(), Some(&*"07".repeat(32)));
    assert_eq!(
        (
            row.requested_ms,
            row.confirm_expires_ms,
            row.confirm_used_ms
        ),
        (Some(T0), Some(T0 + 60_000), None)
    );
    assert!(!row.can_send());
    let detail = &t.event.unwrap().detail;
    assert_eq!(detail["outcome"], "pending");
    assert_eq!(detail["previous_state"], serde_json::Value::Null);
    assert_eq!(detail["confirm_hash"], "07".repeat(32));

    // Unsubscribed: pending again, still suppressed (its unsubscribe is kept) until it confirms.
    let gone = in_state(SubscriptionState::Unsubscribed);
    let mut again = request(false);
    again.confirm_hash = [8; 32];
    again.now_ms = T0 + 5;
    let t = subscribe(Some(&gone), &again);
    let row = t.save.unwrap();
    assert_eq!(row.state, SubscriptionState::Pending);
    assert_eq!(row.unsubscribed_ms, Some(T0 + 1));
    assert!(row.suppressed());
    assert_eq!(row.confirm_hash.as_deref(), Some(&*"08".repeat(32)));
    assert_eq!(t.event.unwrap().detail["previous_state"], "unsubscribed");
}

#[test]
fn subscribe_does_the_same_work_whatever_the_addresses_state() {
    let states = [
        None,
        Some(in_state(SubscriptionState::Pending)),
        Some(in_state(SubscriptionState::Confirmed)),
        Some(in_state(SubscriptionState::Unsubscribed)),
    ];
    for over_limit in [false, true] {
        for current in &states {
            let r = request(over_limit);
            let t = subscribe(current.as_ref(), &r);
            let event = t.event.expect("every request writes one event");
            assert_eq!(
                (event.kind, event.ts_ms, &*event.subject, &*event.list),
                (
                    EventKind::Requested,
                    T0,
                    &*r.subject.to_string(),
                    "newsletter"
                )
            );
            let confirmed = current.as_ref().map(|s| s.state) == Some(SubscriptionState::Confirmed);
            let (outcome, expected) = match (over_limit, confirmed) {
                (true, _) => ("over_limit", SubscribeOutcome::OverLimit),
                (false, true) => ("already_confirmed", SubscribeOutcome::AlreadyConfirmed),
                (false, false) => ("pending", SubscribeOutcome::Pending),
            };
            assert_eq!(t.answer, expected, "{current:?} over_limit={over_limit}");
            assert_eq!(event.detail["outcome"], outcome);
            assert_eq!(t.save.is_some(), expected == SubscribeOutcome::Pending);
        }
    }
}

#[test]
fn confirm_once_before_expiry_and_only_while_pending() {
    let pending = in_state(SubscriptionState::Pending);
    assert_eq!(confirm(None, T0).answer, ConfirmResult::Unknown);
    // Expired at the end of the window: nothing changes.
    let late = confirm(Some(&pending), T0 + 60_000);
    assert_eq!(
        (late.answer, late.save, late.event),
        (ConfirmResult::Expired, None, None)
    );
    let t = confirm(Some(&pending), T0 + 2);
    let ConfirmResult::Confirmed(sub) = &t.answer else {
        panic!("{:?}", t.answer)
    };
    assert!(sub.can_send());
    assert_eq!(
        (sub.confirmed_ms, sub.confirm_used_ms, sub.updated_ms),
        (Some(T0 + 2), Some(T0 + 2), T0 + 2)
    );
    assert_eq!(t.save.as_ref(), Some(&**sub));
    let event = t.event.unwrap();
    assert_eq!(event.kind, EventKind::Confirmed);
    assert_eq!(event.detail["confirm_hash"], "07".repeat(32));
    assert_eq!(event.detail["requested_ms"], T0);
    assert_eq!(event.detail["tracking"], true);
    // Used once: the same link again is `Used`.
    assert_eq!(confirm(t.save.as_ref(), T0 + 3).answer, ConfirmResult::Used);
    // An unsubscribe since the request voids the link.
    let gone = in_state(SubscriptionState::Unsubscribed);
    assert_eq!(confirm(Some(&gone), T0 + 3).answer, ConfirmResult::Expired);
}

#[test]
fn unsubscribe_is_idempotent_and_suppresses_unknown_addresses() {
    let r = request(false);
    let confirmed = in_state(SubscriptionState::Confirmed);
    let t = unsubscribe(
        Some(&confirmed),
        r.subject,
        &r.list,
        UnsubscribeMethod::Mailto,
        T0 + 9,
    );
    assert!(t.answer);
    let row = t.save.unwrap();
    assert_eq!(row.state, SubscriptionState::Unsubscribed);
    assert_eq!(row.address.as_deref(), Some("Ann@example.com"));
    assert_eq!(row.unsubscribe_method.as_deref(), Some("mailto"));
    assert!(row.suppressed() && !row.can_send());
    let detail = t.event.unwrap().detail;
    assert_eq!(
        detail,
        serde_json::json!({ "method": "mailto", "previous_state": "confirmed" })
    );
    let again = unsubscribe(
        Some(&row),
        r.subject,
        &r.list,
        UnsubscribeMethod::OneClick,
        T0 + 10,
    );
    assert_eq!((again.answer, again.save, again.event), (false, None, None));

    let stranger = unsubscribe(None, r.subject, &r.list, UnsubscribeMethod::Page, T0);
    let row = stranger.save.unwrap();
    assert_eq!(
        (row.address, row.state, row.unsubscribed_ms),
        (None, SubscriptionState::Unsubscribed, Some(T0))
    );
    assert_eq!(
        stranger.event.unwrap().detail["previous_state"],
        serde_json::Value::Null
    );
}

#[test]
fn tracking_only_for_confirmed_subscribers_who_consented() {
    let r = request(false);
    let track_on =
        |sub: Option<&Subscription>, kind, url| track(sub, r.subject, &r.list, kind, url, T0 + 5);
    assert_eq!(track_on(None, TrackKind::Open, None), None);
    let pending = in_state(SubscriptionState::Pending);
    assert_eq!(track_on(Some(&pending), TrackKind::Open, None), None);
    let mut confirmed = in_state(SubscriptionState::Confirmed);
    let click = track_on(
        Some(&confirmed),
        TrackKind::Click,
        Some("https://e.example/a"),
    )
    .unwrap();
    assert_eq!(click.kind, EventKind::Click);
    assert_eq!(
        click.detail,
        serde_json::json!({ "url": "https://e.example/a" })
    );
    let open = track_on(Some(&confirmed), TrackKind::Open, None).unwrap();
    assert_eq!(
        (open.kind, open.detail),
        (EventKind::Open, serde_json::json!({}))
    );
    confirmed.tracking = false;
    assert_eq!(track_on(Some(&confirmed), TrackKind::Open, None), None);
    let gone = in_state(SubscriptionState::Unsubscribed);
    assert_eq!(track_on(Some(&gone), TrackKind::Open, None), None);
    let hour_start = T0 - T0.rem_euclid(3_600_000);
    assert_eq!(
        tracking_hour(hour_start + 10),
        (hour_start, hour_start + 3_600_000)
    );
}

#[test]
fn stored_names_round_trip() {
    for kind in [
        EventKind::Requested,
        EventKind::Confirmed,
        EventKind::Unsubscribed,
        EventKind::Open,
        EventKind::Click,
    ] {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::json!(kind), kind.as_str());
    }
    assert_eq!(EventKind::parse("x"), None);
    for state in [
        SubscriptionState::Pending,
        SubscriptionState::Confirmed,
        SubscriptionState::Unsubscribed,
    ] {
        assert_eq!(SubscriptionState::parse(state.as_str()), Some(state));
    }
    assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
}
