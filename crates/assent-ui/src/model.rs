//! What the engine hands the interface part (the "model", a plain JS object built by `assent-web`'s
//! `ui_link::model`), read once into Rust, and how a shown text is chosen. Plain Rust below the JS reading, tested
//! natively.
//!
//! ```js
//! {lang: "de", texts: {reject_all: "…", …},           // the site's own texts for that language, if any
//!  categories: [{name: "essential", index: 0, title: "", description: ""}, …],   // "" = built-in text
//!  policy: "/privacy", endpoint: "/", site: "shop.example", cookie: "assent", cookie_domain: "example.com"}
//! ```
//!
//! A text is the site's own (`translations.<lang>`), else the built-in text of the language shown, else English.

use assent_core::Category;
use assent_core::i18n::{UI_KEY_NAMES, UiKey, builtin_category_text, is_rtl};

/// One category as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CategoryView {
    pub name: String,
    /// Its bitmap index (records list categories by the stored state's bits).
    pub index: u8,
    /// The site's title in the shown language, or empty for the built-in one.
    pub title: String,
    pub description: String,
}

/// Everything the interface shows that does not change with the decision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// The language shown (a BCP 47 tag).
    pub lang: String,
    /// The site's own texts, by [`UiKey`] index; empty = not given.
    pub texts: Vec<String>,
    pub categories: Vec<CategoryView>,
    pub policy: String,
    pub endpoint: Option<String>,
    pub site: String,
    /// `cookie.name` and `cookie.domain` of the config (the token cookie is `<name>_token`).
    pub cookie: String,
    pub cookie_domain: Option<String>,
    /// The name of the region whose rules apply, when the site uses regions (records carry it).
    pub region: Option<String>,
    /// The applied region shows the opt-out notice instead of the banner (its text is what `notice_hash` hashes).
    pub notice: bool,
    /// Where the built-in texts of `lang` are (`…/lang/<tag>.json`), when it is a built-in language other than
    /// English; the interface fetches it before it shows anything.
    pub lang_url: Option<String>,
    /// The built-in texts of `lang` once fetched, by [`UiKey`] index (empty: English).
    pub builtin: Vec<String>,
    /// The built-in categories' title and description in `lang`, by built-in index (empty: English).
    pub builtin_categories: Vec<(String, String)>,
}

impl Model {
    /// The token cookie's name.
    pub fn token_cookie(&self) -> String {
        let mut n = self.cookie.clone();
        n.push_str("_token");
        n
    }

    /// The text shown for a key.
    pub fn text(&self, key: UiKey) -> &str {
        for list in [&self.texts, &self.builtin] {
            if let Some(t) = list.get(key as usize).filter(|t| !t.is_empty()) {
                return t;
            }
        }
        // A site's own language (no built-in file) may leave the notice text out: its banner description, in
        // that language, beats an English sentence in the middle of it.
        // (A built-in language whose file did not load has no site description either: English, as elsewhere.)
        if key == UiKey::NoticeDescription
            && self.builtin.is_empty()
            && !self.lang.starts_with("en")
        {
            let own_description = self
                .texts
                .get(UiKey::Description as usize)
                .map_or("", String::as_str);
            if !own_description.is_empty() {
                return own_description;
            }
        }
        key.english()
    }

    /// The built-in title and description of a built-in category, in `lang`.
    fn builtin_text(&self, name: &str) -> (&str, &str) {
        let Ok(cat) = Category::parse(name) else {
            return ("", "");
        };
        if let Some((t, d)) = cat
            .builtin_index()
            .and_then(|i| self.builtin_categories.get(usize::from(i)))
            .filter(|(t, _)| !t.is_empty())
        {
            return (t, d);
        }
        builtin_category_text(&cat)
    }

    /// A category's title as shown (the site's, else the built-in one, else its name).
    pub fn title<'a>(&'a self, c: &'a CategoryView) -> &'a str {
        if !c.title.is_empty() {
            return &c.title;
        }
        match self.builtin_text(&c.name).0 {
            "" => &c.name,
            t => t,
        }
    }

    /// A category's description as shown.
    pub fn description<'a>(&'a self, c: &'a CategoryView) -> &'a str {
        if !c.description.is_empty() {
            return &c.description;
        }
        self.builtin_text(&c.name).1
    }

    /// The title of a category by name.
    pub fn title_of<'a>(&'a self, name: &'a str) -> &'a str {
        for c in &self.categories {
            if c.name == name {
                return self.title(c);
            }
        }
        name
    }

    /// `dir` of the interface.
    pub fn dir(&self) -> &'static str {
        if is_rtl(&self.lang) { "rtl" } else { "ltr" }
    }

    /// The exact notice text whose SHA-256 goes into a record's `notice_hash`: the banner title, the banner
    /// description, then each category's title and description in display order (essential included), all as
    /// shown, joined with `"\n"`. In a region that shows the opt-out notice instead of the banner, the notice's
    /// text (it has no title) stands for the banner's title and description.
    pub fn notice_text(&self) -> String {
        let mut s = String::new();
        if self.notice {
            s.push_str(self.text(UiKey::NoticeDescription));
        } else {
            s.push_str(self.text(UiKey::Title));
            s.push('\n');
            s.push_str(self.text(UiKey::Description));
        }
        for c in &self.categories {
            s.push('\n');
            s.push_str(self.title(c));
            s.push('\n');
            s.push_str(self.description(c));
        }
        s
    }

    /// The placeholder texts for a category: (blocked message, button label).
    pub fn embed_texts(&self, category: &str) -> (String, String) {
        let title = self.title_of(category);
        let mut msg = String::from(self.text(UiKey::EmbedBlocked));
        msg.push(' ');
        msg.push_str(title);
        let mut label = String::from(self.text(UiKey::EmbedLoad));
        label.push_str(" (");
        label.push_str(title);
        label.push(')');
        (msg, label)
    }
}

/// Reads the engine's model object.
pub(crate) fn read(v: &wasm_bindgen::JsValue) -> Model {
    use assent_dom::{get, get_str};
    let texts_obj = get(v, "texts");
    let mut texts = Vec::with_capacity(UI_KEY_NAMES.len());
    for k in UI_KEY_NAMES {
        texts.push(get_str(&texts_obj, k).unwrap_or_default());
    }
    let mut categories = Vec::new();
    for c in js_sys::Array::from(&get(v, "categories")).iter() {
        categories.push(CategoryView {
            name: get_str(&c, "name").unwrap_or_default(),
            index: get(&c, "index").as_f64().unwrap_or(255.0) as u8,
            title: get_str(&c, "title").unwrap_or_default(),
            description: get_str(&c, "description").unwrap_or_default(),
        });
    }
    Model {
        lang: get_str(v, "lang").unwrap_or_else(|| String::from("en")),
        texts,
        categories,
        policy: get_str(v, "policy").unwrap_or_default(),
        endpoint: get_str(v, "endpoint"),
        site: get_str(v, "site").unwrap_or_default(),
        cookie: get_str(v, "cookie").unwrap_or_else(|| String::from("assent")),
        cookie_domain: get_str(v, "cookie_domain"),
        region: get_str(v, "region"),
        notice: get(v, "notice").is_truthy(),
        lang_url: get_str(v, "lang_url"),
        builtin: Vec::new(),
        builtin_categories: Vec::new(),
    }
}

/// The built-in texts of a fetched language file (`{lang, dir, ui: {key: text}, categories: {name: {title,
/// description}}}`, parsed by `JSON.parse`) into the model.
pub(crate) fn apply_language(m: &mut Model, file: &wasm_bindgen::JsValue) {
    use assent_dom::{get, get_str};
    // Plain loops, not iterator chains: each chain is its own generic code in the wasm.
    let ui = get(file, "ui");
    m.builtin.clear();
    for k in UI_KEY_NAMES {
        m.builtin.push(get_str(&ui, k).unwrap_or_default());
    }
    let cats = get(file, "categories");
    m.builtin_categories.clear();
    for c in &Category::BUILT_IN {
        let v = get(&cats, c.name());
        m.builtin_categories.push((
            get_str(&v, "title").unwrap_or_default(),
            get_str(&v, "description").unwrap_or_default(),
        ));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn model() -> Model {
        let mut texts = vec![String::new(); UI_KEY_NAMES.len()];
        texts[UiKey::RejectAll as usize] = "Alles ablehnen".into();
        Model {
            lang: "de".into(),
            texts,
            categories: vec![
                CategoryView {
                    name: "essential".into(),
                    ..CategoryView::default()
                },
                CategoryView {
                    name: "functional".into(),
                    index: 4,
                    title: "Functional \"extras\"".into(),
                    description: "Chat".into(),
                },
            ],
            ..Model::default()
        }
    }

    #[test]
    fn site_texts_win_then_built_in() {
        let mut m = model();
        let mut builtin = vec![String::new(); UI_KEY_NAMES.len()];
        builtin[UiKey::AcceptAll as usize] = "Alle akzeptieren".into();
        builtin[UiKey::RejectAll as usize] = "Alle ablehnen".into();
        builtin[UiKey::DoNotSell as usize] =
            "Meine personenbezogenen Daten nicht verkaufen oder weitergeben".into();
        assert_eq!(
            m.title(&m.categories[0]),
            "Essential",
            "no language file yet: English"
        );
        m.builtin = builtin;
        m.builtin_categories = vec![("Notwendig".into(), "Nötig.".into())];
        assert_eq!(
            m.text(UiKey::AcceptAll),
            "Alle akzeptieren",
            "the language file"
        );
        assert_eq!(
            m.text(UiKey::DoNotSell),
            "Meine personenbezogenen Daten nicht verkaufen oder weitergeben",
            "the notice's link follows the language too"
        );
        assert_eq!(m.title(&m.categories[0]), "Notwendig");
        assert_eq!(m.description(&m.categories[0]), "Nötig.");
        m.builtin.clear();
        m.builtin_categories.clear();
        assert_eq!(m.text(UiKey::RejectAll), "Alles ablehnen");
        assert_eq!(m.text(UiKey::AcceptAll), "Accept all");
        assert_eq!(
            m.text(UiKey::DoNotSell),
            "Do Not Sell or Share My Personal Information"
        );
        assert_eq!(m.title(&m.categories[0]), "Essential");
        assert_eq!(m.title_of("functional"), "Functional \"extras\"");
        assert_eq!(m.title_of("unknown"), "unknown");
        assert_eq!(m.dir(), "ltr");
        assert_eq!(
            Model {
                lang: "ar".into(),
                ..Model::default()
            }
            .dir(),
            "rtl"
        );
    }

    #[test]
    fn the_notice_text_of_a_site_s_own_language_falls_back_to_its_description_not_to_english() {
        let mut m = model();
        m.lang = "lb".into();
        m.texts[UiKey::Description as usize] = "Mir benotzen Cookien.".into();
        assert_eq!(m.text(UiKey::NoticeDescription), "Mir benotzen Cookien.");
        m.texts[UiKey::NoticeDescription as usize] = "Dir kënnt refuséieren.".into();
        assert_eq!(m.text(UiKey::NoticeDescription), "Dir kënnt refuséieren.");
        // English (and a built-in language whose file did not load, with no site text): the built-in English.
        let mut en = model();
        en.lang = "en".into();
        en.texts[UiKey::Description as usize] = "Our own banner text.".into();
        assert_eq!(
            en.text(UiKey::NoticeDescription),
            UiKey::NoticeDescription.english()
        );
        assert_eq!(
            model().text(UiKey::NoticeDescription),
            UiKey::NoticeDescription.english()
        );
    }

    #[test]
    fn notice_text_is_title_description_and_each_category() {
        let m = model();
        let text = m.notice_text();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], "We value your privacy");
        assert_eq!(lines.len(), 2 + 2 * m.categories.len());
        assert_eq!(lines[2], "Essential");
        assert_eq!(lines[lines.len() - 2], "Functional \"extras\"");
        assert_eq!(lines[lines.len() - 1], "Chat");
    }

    #[test]
    fn in_a_notice_region_the_notice_text_is_the_notice_s_then_each_category() {
        let mut m = model();
        m.notice = true;
        let text = m.notice_text();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], UiKey::NoticeDescription.english());
        assert_eq!(lines.len(), 1 + 2 * m.categories.len(), "no title line");
        assert_eq!(lines[1], "Essential");
        assert_ne!(text, model().notice_text());
    }

    #[test]
    fn embed_texts_name_the_category() {
        let (msg, label) = model().embed_texts("functional");
        assert!(msg.ends_with("Functional \"extras\""));
        assert_eq!(label, "Load content (Functional \"extras\")");
    }
}
