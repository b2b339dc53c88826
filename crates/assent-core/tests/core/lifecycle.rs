//! The browser SDK's life cycle as data (`assent_core::lifecycle`): what happens at boot and on a choice, which
//! stored cookie wins, and the blocked-element state machine.

use super::{GPC, NONE, NOW, config};
use assent_core::lifecycle::{
    Effect, ElementKind, ElementStep, element_step, guard_allows, is_activatable_url, on_boot,
    on_choice, stored_choice,
};
use assent_core::{Choice, Method};

fn position(effects: &[Effect], pred: impl Fn(&Effect) -> bool) -> Option<usize> {
    effects.iter().position(pred)
}

#[test]
fn first_visit_shows_the_banner_activates_and_is_ready() {
    let c = config("");
    let plan = on_boot(&c, None, NONE, NOW);
    assert!(plan.decision.banner.is_some());
    assert!(plan.effects.contains(&Effect::ShowBanner));
    assert!(plan.effects.contains(&Effect::Activate));
    // No stored choice and nothing granted: no Consent Mode update on top of the default.
    assert!(
        !plan
            .effects
            .iter()
            .any(|e| matches!(e, Effect::ConsentModeUpdate(_)))
    );
    assert_eq!(plan.effects.last(), Some(&Effect::FlushQueue));
    assert!(
        !plan
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Record { .. }))
    );
}

#[test]
fn returning_visitor_gets_an_update_and_no_banner() {
    let c = config("");
    let accepted = on_choice(
        &c,
        &on_boot(&c, None, NONE, NOW).decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    let Effect::WriteChoice(state) = accepted.effects[0] else {
        panic!("{:?}", accepted.effects)
    };
    let plan = on_boot(&c, Some(&state), NONE, NOW + 10);
    assert!(plan.decision.banner.is_none());
    assert!(!plan.effects.contains(&Effect::ShowBanner));
    let update = position(&plan.effects, |e| matches!(e, Effect::ConsentModeUpdate(_))).unwrap();
    let activate = position(&plan.effects, |e| *e == Effect::Activate).unwrap();
    assert!(
        update < activate,
        "Consent Mode update before tags run: {:?}",
        plan.effects
    );
}

#[test]
fn narrowing_deletes_the_token_before_anything_else() {
    let c = config("");
    let boot = on_boot(&c, None, NONE, NOW);
    let accepted = on_choice(
        &c,
        &boot.decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    // Widening: no token deletion (the new token replaces it on the server's answer).
    assert!(!accepted.effects.contains(&Effect::DeleteToken));
    for choice in [
        Choice::Withdraw,
        Choice::RejectAll,
        Choice::Set(vec![("analytics".into(), false)]),
    ] {
        let plan = on_choice(
            &c,
            &accepted.decision,
            &choice,
            Method::Preferences,
            NONE,
            NOW + 5,
        )
        .unwrap();
        assert_eq!(plan.effects[0], Effect::DeleteToken, "{choice:?}");
        let record = position(&plan.effects, |e| matches!(e, Effect::Record { .. })).unwrap();
        assert_eq!(
            record,
            plan.effects.len() - 1,
            "the record (network) comes last"
        );
        assert!(!plan.decision.granted_name("analytics"));
    }
}

#[test]
fn reload_on_withdraw_only_when_narrowing() {
    let c = config(r#""reload_on_withdraw": true,"#);
    let boot = on_boot(&c, None, NONE, NOW);
    let accepted = on_choice(
        &c,
        &boot.decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    assert!(
        accepted
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Record { reload: false, .. }))
    );
    let withdrawn = on_choice(
        &c,
        &accepted.decision,
        &Choice::Withdraw,
        Method::Api,
        NONE,
        NOW,
    )
    .unwrap();
    assert!(withdrawn.effects.iter().any(
        |e| matches!(e, Effect::Record { reload: true, state } if state.method == Method::Withdraw)
    ));
}

#[test]
fn gpc_over_a_stored_grant_is_stored_and_recorded_as_a_withdrawal() {
    let c = config("");
    let boot = on_boot(&c, None, NONE, NOW);
    let accepted = on_choice(
        &c,
        &boot.decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    let Effect::WriteChoice(state) = accepted.effects[0] else {
        panic!()
    };
    let plan = on_boot(&c, Some(&state), GPC, NOW + 60);
    let record = plan
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Record { state, .. } => Some(*state),
            _ => None,
        })
        .expect("the opt-out is recorded");
    assert_eq!(record.method, Method::Withdraw);
    assert!(record.signals.gpc);
    assert!(plan.effects.contains(&Effect::DeleteToken));
    assert!(!plan.decision.granted_name("remarketing"));
    // Analytics is not a sale/share: the visitor's grant stays.
    assert!(plan.decision.granted_name("analytics"));
    // Ready comes after the withdrawal is applied.
    let ready = position(&plan.effects, |e| *e == Effect::EmitReady).unwrap();
    let write = position(&plan.effects, |e| matches!(e, Effect::WriteChoice(_))).unwrap();
    assert!(write < ready);
    // On the next load the stored withdrawal is followed: nothing to override any more.
    let again = on_boot(&c, Some(&record), GPC, NOW + 120);
    assert!(
        !again
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Record { .. }))
    );
}

#[test]
fn unknown_category_choice_is_an_error() {
    let c = config("");
    let boot = on_boot(&c, None, NONE, NOW);
    assert!(
        on_choice(
            &c,
            &boot.decision,
            &Choice::Set(vec![("nope".into(), true)]),
            Method::Api,
            NONE,
            NOW
        )
        .is_err()
    );
}

#[test]
fn most_recent_readable_cookie_wins() {
    let c = config("");
    let boot = on_boot(&c, None, NONE, NOW);
    let older = on_choice(
        &c,
        &boot.decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    let newer = on_choice(
        &c,
        &boot.decision,
        &Choice::RejectAll,
        Method::Banner,
        NONE,
        NOW + 1,
    )
    .unwrap();
    let (Effect::WriteChoice(o), Effect::WriteChoice(n)) = (&older.effects[0], &newer.effects[0])
    else {
        panic!()
    };
    let (o, n) = (o.encode(), n.encode());
    assert_eq!(
        stored_choice([o.as_str(), "garbage", n.as_str()])
            .unwrap()
            .decided_at,
        NOW + 1
    );
    assert_eq!(
        stored_choice([n.as_str(), o.as_str()]).unwrap().decided_at,
        NOW + 1
    );
    assert!(stored_choice(["", "%%%"]).is_none());
}

#[test]
fn element_state_machine() {
    use ElementKind::{BlockedScript, Embed, Other};
    use ElementStep::*;
    assert_eq!(element_step(BlockedScript, None, None, true), QueueScript);
    assert_eq!(element_step(BlockedScript, None, None, false), Nothing);
    assert_eq!(
        element_step(BlockedScript, Some("queued"), None, true),
        Nothing
    );
    assert_eq!(
        element_step(BlockedScript, Some("activated"), None, true),
        Nothing
    );
    assert_eq!(
        element_step(Embed, None, Some("https://v.example/1"), true),
        LoadEmbed
    );
    assert_eq!(
        element_step(Embed, None, Some("https://v.example/1"), false),
        BlockEmbed
    );
    assert_eq!(
        element_step(Embed, Some("blocked"), Some("/embed"), false),
        Nothing
    );
    assert_eq!(
        element_step(Embed, Some("blocked"), Some("/embed"), true),
        LoadEmbed
    );
    assert_eq!(
        element_step(Embed, Some("loaded"), None, false),
        UnloadEmbed
    );
    assert_eq!(element_step(Embed, Some("loaded"), None, true), Nothing);
    assert_eq!(
        element_step(Embed, None, Some("javascript:alert(1)"), true),
        Refuse
    );
    assert_eq!(element_step(Other, None, None, true), Nothing);
}

#[test]
fn only_http_https_and_relative_urls_are_activatable() {
    for ok in [
        "https://video.example/embed/1",
        "http://a.example",
        "HTTPS://A.EXAMPLE",
        "/embed/1",
        "embed.html",
        "./a:b",
        "//cdn.example/x",
        "?q=1",
        "#top",
        "",
        " https://a.example",
    ] {
        assert!(is_activatable_url(ok), "{ok:?}");
    }
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " \u{1}javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "blob:https://a.example/uuid",
        "file:///etc/passwd",
        "httpx:foo",
        "https-evil:foo",
    ] {
        assert!(!is_activatable_url(bad), "{bad:?}");
    }
}

#[test]
fn guards_need_every_named_category() {
    let granted = |n: &str| n == "analytics" || n == "essential";
    assert!(guard_allows("analytics", granted));
    assert!(guard_allows(" analytics  essential ", granted));
    assert!(!guard_allows("analytics remarketing", granted));
    assert!(!guard_allows("", granted));
    assert!(!guard_allows("   ", granted));
}
