//! The decision engine: what is allowed right now, and what a visitor's choice becomes.
//!
//! Rules, in order of precedence for each category:
//! 1. `essential` is always granted.
//! 2. A valid stored choice (same revision, younger than `reconsent_days`, covering the category) is followed,
//!    except that a honoured GPC signal overrides a stored grant of a sale/share category unless that grant was
//!    itself made while GPC was on (CCPA 11 CCR §7025(c)(3): process the opt-out; an explicit later choice wins).
//! 3. Without a choice: a honoured GPC denies sale/share categories, a honoured DNT denies its categories,
//!    otherwise the mode's default applies (opt-in: denied; opt-out: the category's `default`).
//!
//! Anything unknown (no config category, a garbage cookie, a clock far behind the stored choice) is treated as
//! "no choice", which in opt-in mode means denied: the engine fails closed.

use core::fmt;

use crate::category::{Category, CategorySet};
use crate::config::{Config, Mode, SignalHandling};
use crate::consent_mode::ConsentModeState;
use crate::state::{ConsentState, Method, Signals};

/// Seconds in a day.
const DAY: u64 = 86_400;

/// Why a category is granted or denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Reason {
    /// Strictly necessary, always granted.
    Essential,
    /// No choice yet: the mode's default.
    Default,
    /// The visitor's explicit choice.
    Choice,
    /// A honoured Do Not Track signal.
    Dnt,
    /// A honoured Global Privacy Control signal.
    Gpc,
}

impl Reason {
    /// The name used in APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Essential => "essential",
            Reason::Default => "default",
            Reason::Choice => "choice",
            Reason::Dnt => "dnt",
            Reason::Gpc => "gpc",
        }
    }
}

/// Why the banner must be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BannerReason {
    /// No stored choice, or one that could not be read.
    NoChoice,
    /// The choice was made under an older config revision.
    RevisionChanged,
    /// The choice is older than `reconsent_days` (or dated in the future).
    Expired,
    /// The site declares a category the visitor was never asked about.
    NewCategory,
}

/// The decision for one category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryDecision {
    pub category: Category,
    pub index: u8,
    pub granted: bool,
    pub reason: Reason,
}

/// Everything the browser needs to act on: per-category grants, banner, Consent Mode, GPC notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// In the config's display order, essential first.
    pub categories: Vec<CategoryDecision>,
    /// `Some` when the banner must be shown.
    pub banner: Option<BannerReason>,
    /// The Consent Mode v2 state matching `categories`.
    pub consent_mode: ConsentModeState,
    /// A GPC signal was honoured: every sale/share category is denied. The interface must say so.
    pub gpc_honored: bool,
    /// The stored choice that was followed, if any.
    pub state: Option<ConsentState>,
}

impl Decision {
    /// Whether a category is granted. Categories the site does not declare are denied.
    pub fn granted(&self, category: &Category) -> bool {
        self.categories
            .iter()
            .any(|c| c.category == *category && c.granted)
    }

    /// Whether a category is granted, by name.
    pub fn granted_name(&self, name: &str) -> bool {
        self.categories
            .iter()
            .any(|c| c.category.name() == name && c.granted)
    }

    /// The granted categories as a bitmap.
    pub fn granted_set(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for c in self.categories.iter().filter(|c| c.granted) {
            set.insert(c.index);
        }
        set
    }
}

fn stored_state_problem(config: &Config, state: &ConsentState, now: u64) -> Option<BannerReason> {
    if state.revision != config.revision {
        return Some(BannerReason::RevisionChanged);
    }
    let lifetime = u64::from(config.reconsent_days) * DAY;
    // A choice dated more than a day ahead of our clock cannot be trusted to be recent.
    if state.decided_at > now.saturating_add(DAY)
        || now >= state.decided_at.saturating_add(lifetime)
    {
        return Some(BannerReason::Expired);
    }
    if !config.declared().is_subset(state.presented) {
        return Some(BannerReason::NewCategory);
    }
    None
}

/// Decides what is allowed now.
///
/// `stored` is the visitor's decoded cookie, if any (pass `None` for a missing or unreadable one); `signals` are
/// the browser's current DNT/GPC; `now` is Unix seconds.
pub fn decide(
    config: &Config,
    stored: Option<&ConsentState>,
    signals: Signals,
    now: u64,
) -> Decision {
    let (state, banner) = match stored {
        None => (None, Some(BannerReason::NoChoice)),
        Some(s) => match stored_state_problem(config, s, now) {
            None => (Some(*s), None),
            Some(problem) => (None, Some(problem)),
        },
    };
    let gpc_on = signals.gpc && config.signals.gpc == SignalHandling::Honor;
    let dnt_on = signals.dnt && config.signals.dnt == SignalHandling::Honor;

    // Plain loops, not iterator adapters: this runs in the browser build, where every adapter chain is its own
    // generic code.
    let mut categories: Vec<CategoryDecision> = Vec::with_capacity(config.categories.len());
    for c in &config.categories {
        let (granted, reason) = if c.category.is_essential() {
            (true, Reason::Essential)
        } else if let Some(s) = &state {
            let chosen = s.granted.contains(c.index);
            if chosen && gpc_on && c.sale_or_share && !s.signals.gpc {
                (false, Reason::Gpc)
            } else {
                (chosen, Reason::Choice)
            }
        } else if gpc_on && c.sale_or_share {
            (false, Reason::Gpc)
        } else if dnt_on && config.signals.dnt_categories.contains(c.index) {
            (false, Reason::Dnt)
        } else {
            (config.mode == Mode::OptOut && c.default, Reason::Default)
        };
        categories.push(CategoryDecision {
            category: c.category.clone(),
            index: c.index,
            granted,
            reason,
        });
    }
    let granted_index = |i: u8| categories.iter().any(|d| d.index == i && d.granted);

    let mut consent_mode = ConsentModeState::DEFAULT;
    for t in crate::consent_mode::ConsentModeType::ALL {
        // Granted when at least one category maps the type and every category mapping it is granted.
        let mut mapped = false;
        let mut all_granted = true;
        for c in &config.categories {
            if c.consent_mode.contains(&t) {
                mapped = true;
                all_granted &= granted_index(c.index);
            }
        }
        if mapped && all_granted {
            consent_mode.grant(t);
        }
    }

    let mut has_sale_or_share = false;
    let mut none_granted = true;
    for c in &config.categories {
        if c.sale_or_share {
            has_sale_or_share = true;
            none_granted &= !granted_index(c.index);
        }
    }
    // "Opt-Out Request Honored" is a US notice: with regions, only opt-out regions show it (never Europe).
    let gpc_honored = gpc_on
        && has_sale_or_share
        && none_granted
        && (config.region.is_none() || config.mode == Mode::OptOut);

    Decision {
        categories,
        banner,
        consent_mode,
        gpc_honored,
        state,
    }
}

/// A visitor's action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Grant every category.
    AcceptAll,
    /// Deny every non-essential category.
    RejectAll,
    /// Set the named categories; the others keep their current decision.
    Set(Vec<(String, bool)>),
    /// Withdraw consent: deny every non-essential category (recorded with [`Method::Withdraw`]).
    Withdraw,
}

/// A choice that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChoiceError {
    /// The site does not declare this category.
    UnknownCategory(String),
    /// Essential cannot be denied.
    EssentialRequired,
}

impl ChoiceError {
    /// The [`Display`](fmt::Display) text, built without `core::fmt` (for the browser build).
    pub fn message(&self) -> String {
        match self {
            ChoiceError::UnknownCategory(name) => {
                crate::text::concat(&["unknown category \"", name, "\""])
            }
            ChoiceError::EssentialRequired => {
                String::from("essential is always granted and cannot be denied")
            }
        }
    }
}

impl fmt::Display for ChoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ChoiceError {}

/// Turns a choice into the state to store. `current` is the decision the visitor was looking at.
///
/// `method` says where the choice was made; a [`Choice::Withdraw`] is always recorded as [`Method::Withdraw`].
pub fn apply_choice(
    config: &Config,
    current: &Decision,
    choice: &Choice,
    method: Method,
    signals: Signals,
    now: u64,
) -> Result<ConsentState, ChoiceError> {
    let all = config.declared();
    let mut granted = CategorySet::EMPTY;
    granted.insert(0);
    let method = match choice {
        Choice::AcceptAll => {
            granted = all;
            method
        }
        Choice::RejectAll => method,
        Choice::Withdraw => Method::Withdraw,
        Choice::Set(changes) => {
            granted = current.granted_set();
            granted.insert(0);
            for (name, on) in changes {
                let c = config
                    .category_by_name(name)
                    .ok_or_else(|| ChoiceError::UnknownCategory(name.clone()))?;
                if c.category.is_essential() {
                    if !on {
                        return Err(ChoiceError::EssentialRequired);
                    }
                } else if *on {
                    granted.insert(c.index);
                } else {
                    granted.remove(c.index);
                }
            }
            method
        }
    };
    Ok(ConsentState {
        revision: config.revision,
        decided_at: now,
        presented: all,
        granted,
        signals,
        method,
        region: config.region,
    })
}
