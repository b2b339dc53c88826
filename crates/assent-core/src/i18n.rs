//! Interface texts, language choice and writing direction.

mod builtin;

pub use builtin::{
    BUILT_IN_LANGUAGES, builtin_language_for, builtin_language_of, builtin_match, is_builtin,
};

/// The keys of the banner and dialog texts, with their built-in English wording.
///
/// A config may override English texts one by one; any other language it offers must translate every key, so a
/// visitor never sees a banner that is half in one language (and never one without a labelled reject button).
pub const UI_KEYS: [(&str, &str); 16] = [
    ("title", "We value your privacy"),
    (
        "description",
        "We use essential cookies to make this site work. With your consent we would also use cookies to measure \
         audience and personalise advertising. You can accept, reject, or choose by purpose, and change your mind at \
         any time.",
    ),
    ("accept_all", "Accept all"),
    ("reject_all", "Reject all"),
    ("preferences", "Preferences"),
    ("preferences_title", "Privacy preferences"),
    (
        "preferences_description",
        "Choose which purposes you allow. Essential cookies are always on because the site cannot work without them.",
    ),
    ("save", "Save choices"),
    ("close", "Close"),
    ("policy_link", "Privacy policy"),
    ("always_on", "Always on"),
    ("gpc_honored", "Opt-Out Request Honored"),
    (
        "embed_blocked",
        "This content is blocked until you allow this purpose:",
    ),
    ("embed_load", "Load content"),
    (
        "do_not_sell",
        "Do Not Sell or Share My Personal Information",
    ),
    (
        "notice_description",
        "We use essential cookies to make this site work, and cookies that measure audience and personalise \
         advertising. You can opt out of them at any time.",
    ),
];

/// The key names alone, in [`UiKey`] order. The browser engine validates translations with these and never links
/// the English texts of [`UI_KEYS`] (they live in the UI part only).
pub const UI_KEY_NAMES: [&str; 16] = [
    "title",
    "description",
    "accept_all",
    "reject_all",
    "preferences",
    "preferences_title",
    "preferences_description",
    "save",
    "close",
    "policy_link",
    "always_on",
    "gpc_honored",
    "embed_blocked",
    "embed_load",
    "do_not_sell",
    "notice_description",
];

/// The built-in English title and description of a built-in category (empty for custom ones, which must have a
/// title in config).
pub fn builtin_category_text(c: &crate::Category) -> (&'static str, &'static str) {
    use crate::Category;
    match c {
        Category::Essential => (
            "Essential",
            "Needed for the site to work: security, load balancing, remembering this choice.",
        ),
        Category::Analytics => (
            "Analytics",
            "Helps us understand how the site is used, so we can improve it.",
        ),
        Category::Remarketing => (
            "Advertising and remarketing",
            "Lets us and our advertising partners show you relevant ads on other sites. This may count as a sale or \
             sharing of personal information.",
        ),
        Category::MarketingEmail => (
            "Marketing e-mail",
            "Measures and personalises our marketing e-mails, and may share your address with advertising platforms.",
        ),
        Category::Custom(_) => ("", ""),
    }
}

/// Index of a key in [`UI_KEYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum UiKey {
    Title,
    Description,
    AcceptAll,
    RejectAll,
    Preferences,
    PreferencesTitle,
    PreferencesDescription,
    Save,
    Close,
    PolicyLink,
    AlwaysOn,
    GpcHonored,
    EmbedBlocked,
    EmbedLoad,
    /// The link of an opt-out region's notice (CCPA §1798.135 names the English wording).
    DoNotSell,
    /// The text of an opt-out region's notice: what already runs and that the visitor can opt out (the banner's
    /// `description` asks for consent, which an opt-out region does not).
    NoticeDescription,
}

impl UiKey {
    /// The key's name in config (`translations.<lang>.<name>`).
    pub fn name(self) -> &'static str {
        UI_KEY_NAMES[self as usize]
    }

    /// The built-in English text.
    pub fn english(self) -> &'static str {
        UI_KEYS[self as usize].1
    }
}

/// The interface texts a site gives for one language (`translations.<lang>`). A key it leaves out is empty here;
/// the UI part fills it from the built-in texts of that language ([`UiText::get`] does so for English).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiText {
    /// BCP 47 language tag as written in config (`en`, `de`, `pt-BR`).
    pub lang: String,
    texts: Vec<String>,
}

impl UiText {
    /// The built-in English texts.
    pub fn english() -> UiText {
        UiText {
            lang: "en".into(),
            texts: UI_KEYS.iter().map(|(_, en)| (*en).to_owned()).collect(),
        }
    }

    pub(crate) fn from_parts(lang: String, texts: Vec<String>) -> UiText {
        debug_assert_eq!(texts.len(), UI_KEY_NAMES.len());
        UiText { lang, texts }
    }

    /// The site's own text for a key, if it gave one.
    pub fn site_text(&self, key: UiKey) -> Option<&str> {
        let t = self.texts[key as usize].as_str();
        (!t.is_empty()).then_some(t)
    }

    /// The site's own texts in [`UiKey`] order; an empty string is a key it left out.
    pub fn site_texts(&self) -> &[String] {
        &self.texts
    }

    /// The text for a key: the site's own, else the built-in English one.
    pub fn get(&self, key: UiKey) -> &str {
        self.site_text(key).unwrap_or(key.english())
    }

    /// Whether the language is written right to left (the banner then gets `dir="rtl"`).
    pub fn is_rtl(&self) -> bool {
        is_rtl(&self.lang)
    }
}

/// Whether a language tag names a right-to-left language (script subtags `Arab`/`Hebr` are honoured too).
pub fn is_rtl(tag: &str) -> bool {
    const RTL_LANGS: &[&str] = &[
        "ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "sd", "ug", "ckb", "syr",
    ];
    const RTL_SCRIPTS: &[&str] = &["arab", "hebr", "thaa", "syrc", "nkoo"];
    const LTR_SCRIPTS: &[&str] = &["latn", "cyrl"];
    let one_of = |p: &str, list: &[&str]| list.iter().any(|l| p.eq_ignore_ascii_case(l));
    let primary = primary_subtag(tag);
    let mut script_rtl = false;
    let mut script_ltr = one_of(primary, LTR_SCRIPTS);
    // The other subtags, split at `-` and `_` by bytes.
    let mut start = primary.len() + 1;
    while let Some(rest) = tag.get(start..) {
        let p = primary_subtag(rest);
        script_rtl |= one_of(p, RTL_SCRIPTS);
        script_ltr |= one_of(p, LTR_SCRIPTS);
        start += p.len() + 1;
    }
    (one_of(primary, RTL_LANGS) && !script_ltr) || script_rtl
}

/// The primary subtag of a language tag: `pt` for `pt-BR` (or `pt_BR`).
pub fn primary_subtag(tag: &str) -> &str {
    let end = tag
        .bytes()
        .position(|b| b == b'-' || b == b'_')
        .unwrap_or(tag.len());
    tag.get(..end).unwrap_or(tag)
}

/// Picks the best available language for a visitor's preference list (`navigator.languages`).
///
/// An exact tag match wins, then a match on the primary subtag (`de-AT` → `de`, or `pt` → `pt-BR`), in the
/// visitor's order; with no match the answer is `en`.
pub fn negotiate<'a>(preferred: &[&str], available: &'a [&'a str]) -> &'a str {
    for want in preferred {
        if let Some(found) = available.iter().find(|a| a.eq_ignore_ascii_case(want)) {
            return found;
        }
        let primary = primary_subtag(want);
        if let Some(found) = available
            .iter()
            .find(|a| primary_subtag(a).eq_ignore_ascii_case(primary))
        {
            return found;
        }
    }
    "en"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_in_enum_order() {
        assert_eq!(UiKey::RejectAll.name(), "reject_all");
        assert_eq!(UiKey::EmbedLoad.name(), "embed_load");
        assert_eq!(UiKey::DoNotSell.name(), "do_not_sell");
        assert_eq!(
            UiText::english().get(UiKey::DoNotSell),
            "Do Not Sell or Share My Personal Information"
        );
        assert_eq!(
            UiText::english().get(UiKey::GpcHonored),
            "Opt-Out Request Honored"
        );
    }

    #[test]
    fn rtl_detection() {
        for rtl in ["ar", "he", "fa-IR", "ur", "az-Arab"] {
            assert!(is_rtl(rtl), "{rtl}");
        }
        for ltr in ["en", "de-DE", "fr", "az", "ku-Latn"] {
            assert!(!is_rtl(ltr), "{ltr}");
        }
    }

    #[test]
    fn negotiation_prefers_visitor_order_then_primary_subtag() {
        let available = ["en", "de", "pt-BR"];
        assert_eq!(negotiate(&["fr", "de-AT", "en"], &available), "de");
        assert_eq!(negotiate(&["pt"], &available), "pt-BR");
        assert_eq!(negotiate(&["ja"], &available), "en");
        assert_eq!(negotiate(&[], &available), "en");
        assert_eq!(negotiate(&["EN-us"], &available), "en");
    }
}
