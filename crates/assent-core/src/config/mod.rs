//! The site owner's configuration: types, reader and validation.
//!
//! [`Config::from_json`] is the only way to get a `Config`, and it refuses any set-up a regulator would object to
//! (pre-ticked boxes in opt-in mode, a missing reject label, cookie lifetimes above 13 months, …) with the exact
//! path of the offending field. Every accepted field is listed in [`reference::FIELDS`].

mod reader;
pub mod reference;

use core::fmt;

use crate::category::{Category, CategorySet};
use crate::consent_mode::ConsentModeType;
use crate::i18n::UiText;
pub use crate::mode::Mode;
use crate::region::{RegionSpec, Show};

/// Longest choice lifetime and cookie lifetime accepted: 13 months (CNIL, EDPB).
pub const MAX_DAYS: u32 = 395;

/// Whether a browser privacy signal is honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalHandling {
    Honor,
    Ignore,
}

/// Text in several languages. The first entry is the fallback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Texts(pub Vec<(String, String)>);

impl Texts {
    /// The text in `lang`, else in its primary language, else in English, else the first one given.
    pub fn get(&self, lang: &str) -> &str {
        let primary = crate::text::split_first_byte(lang, b'-').0;
        self.0
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(lang))
            .or_else(|| self.0.iter().find(|(l, _)| l.eq_ignore_ascii_case(primary)))
            .or_else(|| self.0.iter().find(|(l, _)| l == "en"))
            .or_else(|| self.0.first())
            .map_or("", |(_, t)| t.as_str())
    }
}

/// A cookie name or localStorage key, or a prefix when written with a trailing `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern {
    pub text: String,
}

impl NamePattern {
    /// Whether a cookie name or storage key matches.
    pub fn matches(&self, name: &str) -> bool {
        match self.text.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.text,
        }
    }
}

/// One category as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryConfig {
    pub category: Category,
    /// Stable bitmap index (fixed for built-ins, declaration order for custom ones).
    pub index: u8,
    pub title: Texts,
    pub description: Texts,
    /// Granted before any choice (opt-out mode only; always `false` in opt-in mode except essential).
    pub default: bool,
    pub cookies: Vec<NamePattern>,
    pub local_storage: Vec<NamePattern>,
    pub consent_mode: Vec<ConsentModeType>,
    pub sale_or_share: bool,
}

/// The choice cookie's attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieConfig {
    pub name: String,
    pub domain: Option<String>,
    pub max_age_days: u32,
}

/// Browser signal handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalConfig {
    pub dnt: SignalHandling,
    pub dnt_categories: CategorySet,
    pub gpc: SignalHandling,
}

/// Google Consent Mode v2 settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentModeConfig {
    pub enabled: bool,
    pub wait_for_update: u32,
    pub region: Vec<String>,
    pub ads_data_redaction: bool,
    pub url_passthrough: bool,
}

/// What a configured region changes beyond its [`RegionSpec`] (mode, show, places).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionRules {
    /// Categories granted before a choice (always empty in an opt-in region but essential).
    pub defaults: CategorySet,
    /// Signal handling in this region (`dnt_categories` is the site's).
    pub signals: SignalConfig,
    /// Whether the page offers the IAB GPP API (`window.__gpp`, section `usnat`) in this region (`gpp`; the
    /// `us_states` preset's default).
    pub gpp: bool,
    /// The site's MSPA status for the `usnat` section (`mspa_covered_transaction`, …).
    pub mspa: MspaConfig,
}

/// `regions.<region>.mspa_*`: the site's Multi-State Privacy Agreement status. Mirrors `gpp::Mspa` (kept here so
/// that `config` does not import `gpp`, which imports `config`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MspaConfig {
    pub covered_transaction: bool,
    pub opt_out_option_mode: bool,
    pub service_provider_mode: bool,
}

/// A validated site configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub revision: u32,
    pub mode: Mode,
    /// Empty when not configured (the browser then uses the page's host name).
    pub site: String,
    pub policy_url: String,
    pub reconsent_days: u32,
    pub reload_on_withdraw: bool,
    /// `activate_added_elements`: whether elements added after the page's HTML was parsed may be activated.
    pub activate_added_elements: bool,
    pub endpoint: Option<String>,
    pub cookie: CookieConfig,
    pub signals: SignalConfig,
    pub consent_mode: ConsentModeConfig,
    /// In display order; `essential` is always first.
    pub categories: Vec<CategoryConfig>,
    /// The site's own interface texts (`translations`), its English ones first when it gives any.
    pub translations: Vec<UiText>,
    /// `languages`: the languages the banner may be shown in (empty: every built-in and translated one).
    pub languages: Vec<String>,
    /// `default_language`, if set.
    pub default_language: Option<String>,
    /// `regions`, in config order (empty: one policy everywhere, the top-level `mode`).
    pub regions: Vec<RegionSpec>,
    /// The rules of each region, same order as `regions`.
    pub region_rules: Vec<RegionRules>,
    /// The region whose rules are applied ([`apply_region`](Self::apply_region)); `None` without regions.
    pub region: Option<u8>,
    /// What is shown before a choice: the banner, unless a region says otherwise.
    pub show: Show,
}

impl Config {
    /// Reads and validates a JSON config. All problems found are reported, each with its path.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        reader::read(text)
    }

    /// Validates a config already parsed into a [`Json`](crate::json::Json) tree (the browser parses with its own
    /// `JSON.parse` and converts, so the wasm carries no JSON tokenizer). Same rules and messages as
    /// [`from_json`](Self::from_json), except what only text shows (duplicate keys, syntax).
    pub fn from_value(root: &crate::json::Json) -> Result<Config, ConfigError> {
        reader::read_value(root)
    }

    /// Makes region `index`'s rules this config's: its mode, what it shows, its per-category defaults and its
    /// signal handling. Out of range: nothing changes (callers pass what [`region::resolve`](crate::region) gave).
    pub fn apply_region(&mut self, index: usize) {
        let (Some(spec), Some(rules)) = (self.regions.get(index), self.region_rules.get(index))
        else {
            return;
        };
        self.mode = spec.mode;
        self.show = spec.show;
        self.signals = rules.signals.clone();
        for c in &mut self.categories {
            c.default = c.category.is_essential() || rules.defaults.contains(c.index);
        }
        self.region = u8::try_from(index).ok();
    }

    /// The name of the applied region.
    pub fn region_name(&self) -> Option<&str> {
        let i = usize::from(self.region?);
        self.regions.get(i).map(|r| r.name.as_str())
    }

    /// The applied region's rules when it offers GPP (`gpp: true`), else `None` (no regions, no region applied, or
    /// a region without GPP): the engine loads the GPP part only then.
    pub fn gpp_rules(&self) -> Option<&RegionRules> {
        let rules = self.region_rules.get(usize::from(self.region?))?;
        rules.gpp.then_some(rules)
    }

    /// The configuration of a category, if the site declares it.
    pub fn category(&self, category: &Category) -> Option<&CategoryConfig> {
        self.categories.iter().find(|c| c.category == *category)
    }

    /// The configuration of a category by name.
    pub fn category_by_name(&self, name: &str) -> Option<&CategoryConfig> {
        self.categories.iter().find(|c| c.category.name() == name)
    }

    /// The set of all declared categories.
    pub fn declared(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for c in &self.categories {
            set.insert(c.index);
        }
        set
    }

    /// The site's own interface texts for a language tag: the exact tag, else one with the same primary subtag.
    /// `None` when the site gives none for it (the built-in texts apply).
    pub fn ui_text(&self, lang: &str) -> Option<&UiText> {
        let primary = crate::i18n::primary_subtag(lang);
        self.translations
            .iter()
            .find(|t| t.lang.eq_ignore_ascii_case(lang))
            .or_else(|| {
                self.translations
                    .iter()
                    .find(|t| crate::i18n::primary_subtag(&t.lang).eq_ignore_ascii_case(primary))
            })
    }

    /// The language tags the site translates itself, in config order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.translations.iter().map(|t| t.lang.as_str())
    }

    /// The language to show a visitor whose languages are `preferred` (best first). For each of them in turn: a
    /// language the site translates itself (full tag, then base language), then a built-in one (see
    /// [`builtin_language_for`](crate::i18n::builtin_language_for)) — both only if `languages` allows it; then
    /// `default_language`, then `en`.
    pub fn language_for(&self, preferred: &[&str]) -> String {
        let allowed: Vec<&str> = self.languages.iter().map(String::as_str).collect();
        let allowed = (!allowed.is_empty()).then_some(allowed.as_slice());
        let offered =
            |tag: &str| allowed.is_none_or(|a| a.iter().any(|l| l.eq_ignore_ascii_case(tag)));
        for want in preferred {
            let primary = crate::i18n::primary_subtag(want);
            let site = self
                .translations
                .iter()
                .find(|t| t.lang.eq_ignore_ascii_case(want))
                .or_else(|| {
                    self.translations
                        .iter()
                        .find(|t| t.lang.eq_ignore_ascii_case(primary))
                });
            if let Some(t) = site.filter(|t| offered(&t.lang)) {
                return t.lang.clone();
            }
            if let Some(b) = crate::i18n::builtin_match(want, allowed) {
                return b.to_owned();
            }
        }
        match &self.default_language {
            Some(d) => d.clone(),
            None => String::from("en"),
        }
    }
}

/// One problem in a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `categories.analytics.default`.
    pub path: String,
    pub message: String,
}

/// Every problem found in a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub errors: Vec<FieldError>,
}

impl ConfigError {
    /// Whether a problem was reported at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.errors.iter().any(|e| e.path == path)
    }

    /// Every problem as `path: message`, separated by `; ` (the [`Display`](fmt::Display) text, built without
    /// `core::fmt` so the browser build carries no formatting code).
    pub fn message(&self) -> String {
        let mut s = String::new();
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                s.push_str("; ");
            }
            s.push_str(&e.path);
            // Without the `messages` feature (the browser build) an error is its path alone.
            if !e.message.is_empty() {
                if !e.path.is_empty() {
                    s.push_str(": ");
                }
                s.push_str(&e.message);
            }
        }
        s
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ConfigError {}
