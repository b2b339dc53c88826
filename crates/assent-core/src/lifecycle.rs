//! What the browser SDK does, as data: [`on_boot`] and [`on_choice`] return the new decision and the ordered list
//! of [`Effect`]s the glue executes in one place (`assent-web`'s `app::execute`). The glue executes; it does not
//! decide. Everything here is natively tested (`tests/lifecycle.rs`).
//!
//! Rules kept here rather than in the DOM code:
//! - which stored choice cookie wins when several are present ([`stored_choice`]);
//! - a choice that removes any grant deletes the token cookie **first and synchronously**, before anything that
//!   could wait for the network: backends must stop seeing "granted" at once, whatever the consent server answers
//!   ([`Effect::DeleteToken`]);
//! - a honoured GPC signal over a stored grant of a sale/share category is processed as a withdrawal made with the
//!   signal on, stored and recorded (CCPA 11 CCR §7025(c)(3));
//! - what a blocked element becomes (`data-assent-state`: `queued` → `activated` for scripts, `blocked` ⇄ `loaded`
//!   for embeds), and which URLs an embed may be activated with ([`element_step`], [`is_activatable_url`]).

use crate::config::Config;
use crate::consent_mode::ConsentModeState;
use crate::decision::{Choice, ChoiceError, Decision, Reason, apply_choice, decide};
use crate::region::Show;
use crate::state::{ConsentState, Method, Signals};
pub use crate::url::is_activatable_url;

/// One thing the glue does, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Delete the consent token cookie (every domain and path it may have been written with), now.
    DeleteToken,
    /// Write the choice cookie.
    WriteChoice(ConsentState),
    /// Remove the banner and the preferences dialog.
    CloseUi,
    /// Delete the cookies and storage keys of every denied category.
    Enforce,
    /// `gtag('consent', 'update', …)` with this state.
    ConsentModeUpdate(ConsentModeState),
    /// Apply the decision to blocked scripts and embeds (at boot: and start watching the page).
    Activate,
    /// Show the first layer.
    ShowBanner,
    /// Show the non-blocking notice (an opt-out region's "Do Not Sell or Share" link).
    ShowNotice,
    /// `assent:change` and the `assent_change` dataLayer event.
    EmitChange,
    /// Resolve `assent.ready`, `assent:ready`.
    EmitReady,
    /// Post a record of this choice to the consent server; reload the page afterwards when `reload`.
    Record { state: ConsentState, reload: bool },
    /// Send the records waiting in the retry queue.
    FlushQueue,
}

/// A decision and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub decision: Decision,
    pub effects: Vec<Effect>,
}

/// The stored choice among every value of the choice cookie (several after `cookie.domain` changed): the most
/// recent valid one, the last of equally recent ones; unreadable values count as no choice.
pub fn stored_choice<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<ConsentState> {
    let mut best: Option<ConsentState> = None;
    for v in values {
        if let Ok(s) = ConsentState::decode(v) {
            if best.is_none_or(|b| s.decided_at >= b.decided_at) {
                best = Some(s);
            }
        }
    }
    best
}

/// Page load: decide from the stored choice and the signals.
pub fn on_boot(config: &Config, stored: Option<&ConsentState>, signals: Signals, now: u64) -> Plan {
    let decision = decide(config, stored, signals, now);
    let mut effects = Vec::new();
    if decision.state.is_some() || decision.consent_mode != ConsentModeState::DEFAULT {
        effects.push(Effect::ConsentModeUpdate(decision.consent_mode));
    }
    effects.push(Effect::Enforce);
    // Returning visitors: allowed scripts start now, before the page has finished parsing.
    effects.push(Effect::Activate);
    if decision.banner.is_some() {
        match config.show {
            Show::Banner => effects.push(Effect::ShowBanner),
            Show::Notice => effects.push(Effect::ShowNotice),
            Show::Nothing => {}
        }
    }
    // GPC on top of a stored "allow" of a sale/share category: decide() already denies it; store and record the
    // opt-out as a withdrawal made with the signal on, so both it and a later re-grant are on record.
    let mut overridden: Vec<(String, bool)> = Vec::new();
    for c in &decision.categories {
        if c.reason == Reason::Gpc && decision.state.is_some_and(|s| s.granted.contains(c.index)) {
            overridden.push((c.category.name().to_owned(), false));
        }
    }
    let decision = if overridden.is_empty() {
        decision
    } else {
        match on_choice(
            config,
            &decision,
            &Choice::Set(overridden),
            Method::Withdraw,
            signals,
            now,
        ) {
            Ok(plan) => {
                // The stored grant's token still says "granted": narrowing against what the token holds.
                effects.push(Effect::DeleteToken);
                effects.extend(plan.effects);
                plan.decision
            }
            // Every name came from the config itself.
            Err(_) => decision,
        }
    };
    effects.push(Effect::EmitReady);
    effects.push(Effect::FlushQueue);
    Plan { decision, effects }
}

/// A visitor's (or the page's) choice on top of the `current` decision.
pub fn on_choice(
    config: &Config,
    current: &Decision,
    choice: &Choice,
    method: Method,
    signals: Signals,
    now: u64,
) -> Result<Plan, ChoiceError> {
    let state = apply_choice(config, current, choice, method, signals, now)?;
    let decision = decide(config, Some(&state), signals, now);
    let mut narrowed = false;
    for old in &current.categories {
        narrowed |= old.granted && !decision.granted_name(old.category.name());
    }
    // A stored token may still grant what was just withdrawn: it goes before anything else (narrowing never
    // waits for the network); the record's answer brings the new one.
    let mut effects = Vec::with_capacity(9);
    if narrowed {
        effects.push(Effect::DeleteToken);
    }
    effects.push(Effect::WriteChoice(state));
    effects.push(Effect::CloseUi);
    effects.push(Effect::Enforce);
    effects.push(Effect::ConsentModeUpdate(decision.consent_mode));
    effects.push(Effect::Activate);
    effects.push(Effect::EmitChange);
    effects.push(Effect::Record {
        state,
        reload: narrowed && config.reload_on_withdraw,
    });
    Ok(Plan { decision, effects })
}

/// Whether an element guarded by `data-assent="…"` may run or load: every category named (space-separated) must
/// be granted. An empty attribute or an unknown category keeps it blocked (fail closed).
pub fn guard_allows(attr: &str, granted: impl Fn(&str) -> bool) -> bool {
    let mut any = false;
    for name in attr.split_ascii_whitespace() {
        if !granted(name) {
            return false;
        }
        any = true;
    }
    any
}

/// What a blocked element is, as far as activation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementKind {
    /// `<script type="text/plain" data-assent>`.
    BlockedScript,
    /// Any other element with `data-assent` and `data-src` (iframe, img, …), or one loaded earlier.
    Embed,
    /// Anything else (a live script, an element without `data-src` that was never loaded): left alone.
    Other,
}

/// What to do with a `data-assent` element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementStep {
    Nothing,
    /// Queue the script to run in document order (`data-assent-state="queued"`).
    QueueScript,
    /// Set `src` from `data-src`, remove the placeholder (`loaded`).
    LoadEmbed,
    /// Hide it behind a placeholder (`blocked`).
    BlockEmbed,
    /// Withdrawn after loading: unload it (`about:blank`) and show the placeholder again.
    UnloadEmbed,
    /// Its `data-src` is not an http(s) or relative URL: refuse it (console error), never load it.
    Refuse,
}

/// The `data-assent-state` machine. `state` is the element's current `data-assent-state`, `data_src` its
/// `data-src` (for embeds), `allowed` whether every category it names is granted.
pub fn element_step(
    kind: ElementKind,
    state: Option<&str>,
    data_src: Option<&str>,
    allowed: bool,
) -> ElementStep {
    match kind {
        ElementKind::BlockedScript if state.is_none() && allowed => ElementStep::QueueScript,
        ElementKind::Embed => match data_src {
            Some(src) if !is_activatable_url(src) => ElementStep::Refuse,
            Some(_) if allowed => ElementStep::LoadEmbed,
            Some(_) if state == Some("blocked") => ElementStep::Nothing,
            Some(_) => ElementStep::BlockEmbed,
            None if state == Some("loaded") && !allowed => ElementStep::UnloadEmbed,
            None => ElementStep::Nothing,
        },
        _ => ElementStep::Nothing,
    }
}
