//! Walks a parsed JSON tree into a [`Config`], collecting every error with its path.

use super::reference::allowed_keys;
use super::{
    CategoryConfig, Config, ConfigError, ConsentModeConfig, CookieConfig, FieldError, MAX_DAYS,
    Mode, NamePattern, SignalConfig, SignalHandling, Texts,
};
use crate::category::CategorySet;
use crate::fields::is_language_tag;
use crate::i18n::{UI_KEY_NAMES, UiText};
use crate::json::{self, Json};
use crate::text::{
    concat, contains_byte, join as join_all, push_i64, push_u64, split_once_byte, trim_end_byte,
    trim_start_byte,
};

type Members = [(String, Json)];

/// Whether error messages are compiled in (feature `messages`, on for the server and `assent check`). The browser
/// build leaves them out: its console names the field's path only, and `assent check` gives the full message.
const MESSAGES: bool = cfg!(feature = "messages");

/// A message literal, or nothing without the `messages` feature (the literal is then not in the binary).
macro_rules! msg {
    ($m:expr) => {
        if MESSAGES { $m } else { "" }
    };
}

/// A built message, or nothing (and no building code) without the `messages` feature.
macro_rules! msg_owned {
    ($m:expr) => {
        if MESSAGES { $m } else { String::new() }
    };
}

mod categories;
#[cfg(feature = "regions")]
mod regions;

struct Reader {
    errors: Vec<FieldError>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        let mut p = String::with_capacity(path.len() + key.len() + 1);
        p.push_str(path);
        p.push('.');
        p.push_str(key);
        p
    }
}

fn get<'a>(members: &'a Members, key: &str) -> Option<&'a Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Reader {
    fn error(&mut self, path: &str, message: &str) {
        self.error_owned(path, msg_owned!(message.to_owned()));
    }

    fn error_owned(&mut self, path: &str, message: String) {
        self.errors.push(FieldError {
            path: path.to_owned(),
            message,
        });
    }

    fn wrong_type(&mut self, path: &str, expected: &str, got: &Json) {
        self.error_owned(
            path,
            msg_owned!(concat(&[
                "expected ",
                expected,
                ", found ",
                got.type_name()
            ])),
        );
    }

    /// An object whose keys must all appear in the reference under `doc_prefix`.
    fn object<'a>(&mut self, v: &'a Json, path: &str, doc_prefix: &str) -> Option<&'a Members> {
        let known = allowed_keys(doc_prefix);
        self.object_with_keys(v, path, &known)
    }

    fn object_with_keys<'a>(
        &mut self,
        v: &'a Json,
        path: &str,
        known: &[&str],
    ) -> Option<&'a Members> {
        let Json::Object(members) = v else {
            self.wrong_type(path, "an object", v);
            return None;
        };
        for (key, _) in members {
            if !known.contains(&key.as_str()) {
                let mut m = String::from("unknown field (expected one of: ");
                m.push_str(&join_all(known, ", "));
                m.push(')');
                self.error_owned(&join(path, key), msg_owned!(m));
            }
        }
        Some(members)
    }

    fn string(&mut self, v: &Json, path: &str) -> Option<String> {
        match v {
            Json::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, members: &Members, path: &str, key: &str, default: bool) -> bool {
        match get(members, key) {
            None => default,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                self.wrong_type(&join(path, key), "true or false", other);
                default
            }
        }
    }

    fn integer(
        &mut self,
        members: &Members,
        path: &str,
        key: &str,
        range: (u32, u32),
    ) -> Option<u32> {
        let p = join(path, key);
        match get(members, key)? {
            Json::Int(n) if (i64::from(range.0)..=i64::from(range.1)).contains(n) => {
                Some(*n as u32)
            }
            Json::Int(n) => {
                let mut m = String::new();
                push_i64(&mut m, *n);
                m.push_str(" is out of range ");
                push_u64(&mut m, u64::from(range.0));
                m.push_str("..=");
                push_u64(&mut m, u64::from(range.1));
                self.error_owned(&p, msg_owned!(m));
                None
            }
            other => {
                self.wrong_type(&p, "an integer", other);
                None
            }
        }
    }

    /// One of two names; `true` when it is the second (absent or wrong: the first, the default).
    fn choice(&mut self, members: &Members, path: &str, key: &str, options: [&str; 2]) -> bool {
        let p = join(path, key);
        match get(members, key) {
            None => false,
            Some(Json::String(s)) => {
                if s == options[1] {
                    true
                } else {
                    if s != options[0] {
                        self.error_owned(
                            &p,
                            msg_owned!(concat(&[
                                "\"",
                                s,
                                "\" is not one of \"",
                                options[0],
                                "\", \"",
                                options[1],
                                "\"",
                            ])),
                        );
                    }
                    false
                }
            }
            Some(other) => {
                self.wrong_type(&p, "a string", other);
                false
            }
        }
    }

    fn string_array(&mut self, v: &Json, path: &str) -> Vec<(String, String)> {
        let Json::Array(items) = v else {
            self.wrong_type(path, "an array", v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut p = String::from(path);
            p.push('[');
            push_u64(&mut p, i as u64);
            p.push(']');
            if let Some(s) = self.string(item, &p) {
                out.push((p, s));
            }
        }
        out
    }

    fn texts(&mut self, v: &Json, path: &str) -> Texts {
        match v {
            Json::String(s) => Texts(vec![("en".into(), s.clone())]),
            Json::Object(members) => {
                let mut out = Vec::new();
                for (lang, text) in members {
                    let p = join(path, lang);
                    if !is_language_tag(lang) {
                        self.error(&p, msg!("not a language tag (e.g. \"en\", \"pt-BR\")"));
                    }
                    if let Some(s) = self.string(text, &p) {
                        out.push((lang.clone(), s));
                    }
                }
                Texts(out)
            }
            other => {
                self.wrong_type(path, "a string or an object of language → text", other);
                Texts::default()
            }
        }
    }

    fn patterns(
        &mut self,
        members: &Members,
        path: &str,
        key: &str,
        cookie_names: bool,
    ) -> Vec<NamePattern> {
        let Some(v) = get(members, key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (p, text) in self.string_array(v, &join(path, key)) {
            let body = text.strip_suffix('*').unwrap_or(&text);
            let valid = !text.is_empty()
                && !contains_byte(body, b'*')
                && (!cookie_names || body.bytes().all(is_cookie_name_byte));
            if valid {
                out.push(NamePattern { text });
            } else {
                self.error_owned(
                    &p,
                    msg_owned!(concat(&[
                        "\"",
                        &text,
                        "\" is not a name, or a name prefix ending in '*'",
                    ])),
                );
            }
        }
        out
    }
}

fn is_cookie_name_byte(b: u8) -> bool {
    // RFC 6265 token: visible ASCII except separators.
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

fn is_region(code: &str) -> bool {
    let (country, sub) = split_once_byte(code, b'-').unwrap_or((code, ""));
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && (code.len() == 2
            || ((1..=3).contains(&sub.len())
                && sub
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())))
}

pub(super) fn read(text: &str) -> Result<Config, ConfigError> {
    let root = json::parse(text).map_err(|e| {
        let mut message = String::from("invalid JSON at byte ");
        push_u64(&mut message, e.offset as u64);
        message.push_str(": ");
        message.push_str(e.message);
        ConfigError {
            errors: vec![FieldError {
                path: String::new(),
                message,
            }],
        }
    })?;
    read_value(&root)
}

pub(super) fn read_value(root: &Json) -> Result<Config, ConfigError> {
    let mut r = Reader { errors: Vec::new() };
    let config = read_root(&mut r, root);
    match config {
        Some(config) if r.errors.is_empty() => Ok(config),
        _ => Err(ConfigError { errors: r.errors }),
    }
}

fn read_root(r: &mut Reader, root: &Json) -> Option<Config> {
    let top = r.object(root, "", "")?;

    let revision = match get(top, "revision") {
        None => {
            r.error(
                "revision",
                msg!("required (an integer ≥ 1; raise it when your purposes change)"),
            );
            1
        }
        Some(_) => r.integer(top, "", "revision", (1, u32::MAX)).unwrap_or(1),
    };
    let mode = if r.choice(top, "", "mode", ["opt-in", "opt-out"]) {
        Mode::OptOut
    } else {
        Mode::OptIn
    };
    let site = match get(top, "site") {
        Some(v) => r.string(v, "site").unwrap_or_default(),
        None => String::new(),
    };
    let policy_url = match get(top, "policy_url") {
        Some(v) => r.string(v, "policy_url").unwrap_or_default(),
        None => String::new(),
    };
    if policy_url.trim().is_empty() {
        r.error(
            "policy_url",
            msg!("required: visitors must be able to read your privacy policy from the banner"),
        );
    } else if !crate::url::is_activatable_url(&policy_url) {
        r.error(
            "policy_url",
            msg!("must be an http(s):// URL or a path (no javascript:, data: or other schemes)"),
        );
    }
    let reconsent_days = r
        .integer(top, "", "reconsent_days", (1, MAX_DAYS))
        .unwrap_or(182);
    let reload_on_withdraw = r.boolean(top, "", "reload_on_withdraw", false);
    let activate_added_elements = r.boolean(top, "", "activate_added_elements", true);
    let endpoint = match get(top, "endpoint") {
        None | Some(Json::Null) => None,
        Some(v) => r.string(v, "endpoint").and_then(|e| {
            let ok = e.starts_with("https://")
                || e.starts_with("http://")
                || (e.starts_with('/') && !e.starts_with("//"));
            if ok {
                Some(trim_end_byte(&e, b'/').to_owned())
            } else {
                r.error(
                    "endpoint",
                    msg!("must be an http(s):// URL or a path starting with '/'"),
                );
                None
            }
        }),
    };

    let cookie = read_cookie(r, top, reconsent_days);
    let categories = if let Some(v) = get(top, "categories") {
        categories::read_categories(r, v, mode)
    } else {
        r.error(
            "categories",
            msg!("required: declare at least the categories your site uses"),
        );
        Vec::new()
    };
    let signals = read_signals(r, top, &categories);
    let consent_mode = read_consent_mode(r, top);
    let translations = read_translations(r, top);
    let (languages, default_language) = read_languages(r, top, &translations);
    #[cfg(feature = "regions")]
    let (regions, region_rules) = regions::read_regions(r, top, &categories, &signals, mode);
    #[cfg(not(feature = "regions"))]
    let (regions, region_rules) = without_regions(r, top);

    Some(Config {
        revision,
        mode,
        site,
        policy_url,
        reconsent_days,
        reload_on_withdraw,
        activate_added_elements,
        endpoint,
        cookie,
        signals,
        consent_mode,
        categories,
        translations,
        languages,
        default_language,
        regions,
        region_rules,
        region: None,
        show: crate::region::Show::Banner,
    })
}

/// A build without the `regions` feature (the browser engine for sites without regions) refuses the field
/// instead of ignoring it: ignoring it would apply the top-level policy everywhere. The bootstrap loads the
/// regions build for a config that has `regions`, so this is only met by a build used on its own.
#[cfg(not(feature = "regions"))]
fn without_regions(
    r: &mut Reader,
    top: &Members,
) -> (Vec<crate::region::RegionSpec>, Vec<super::RegionRules>) {
    if get(top, "regions").is_some() {
        r.error(
            "regions",
            msg!("this build reads no regions: load assent.js, which picks the regions build"),
        );
    }
    (Vec::new(), Vec::new())
}

/// `languages` and `default_language`: each must have texts (built in, or every key in `translations`). A tag
/// the site does not translate itself stands for the built-in language it resolves to, as a visitor's tag does
/// (`en-US` → `en`, `de-DE` → `de`, `zh-CN` → `zh-Hans`), and is kept in that spelling.
fn read_languages(
    r: &mut Reader,
    top: &Members,
    translations: &[UiText],
) -> (Vec<String>, Option<String>) {
    let mut languages = Vec::new();
    if let Some(v) = get(top, "languages") {
        for (p, tag) in r.string_array(v, "languages") {
            if !is_language_tag(&tag) {
                r.error(&p, msg!("not a language tag (e.g. \"en\", \"pt-BR\")"));
            } else if let Some(offered) = with_texts(tag, translations) {
                languages.push(offered);
            } else {
                r.error(&p, msg!("not a built-in language and not in translations"));
            }
        }
    }
    let mut default_language = None;
    if let Some(v) = get(top, "default_language") {
        if let Some(tag) = r.string(v, "default_language") {
            default_language = if is_language_tag(&tag) {
                with_texts(tag, translations)
            } else {
                None
            };
            if default_language.is_none() {
                r.error(
                    "default_language",
                    msg!("not a built-in language and not in translations"),
                );
            }
        }
    }
    (languages, default_language)
}

/// `tag` if the site translates it, else the built-in language it stands for; `None` when neither has texts.
fn with_texts(tag: String, translations: &[UiText]) -> Option<String> {
    for t in translations {
        if t.lang.eq_ignore_ascii_case(&tag) {
            return Some(tag);
        }
    }
    crate::i18n::builtin_language_of(&tag).map(String::from)
}

fn read_cookie(r: &mut Reader, top: &Members, reconsent_days: u32) -> CookieConfig {
    let mut cookie = CookieConfig {
        name: "assent".into(),
        domain: None,
        max_age_days: reconsent_days,
    };
    let Some(v) = get(top, "cookie") else {
        return cookie;
    };
    let Some(m) = r.object(v, "cookie", "cookie") else {
        return cookie;
    };
    if let Some(v) = get(m, "name") {
        if let Some(name) = r.string(v, "cookie.name") {
            if name.is_empty() || !name.bytes().all(is_cookie_name_byte) {
                r.error("cookie.name", msg!("not a valid cookie name"));
            } else {
                cookie.name = name;
            }
        }
    }
    if let Some(v) = get(m, "domain") {
        if let Some(domain) = r.string(v, "cookie.domain") {
            let d = trim_start_byte(&domain, b'.');
            let valid = !d.is_empty()
                && d.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                })
                && !d.as_bytes().windows(2).any(|w| w == b"..");
            if valid {
                cookie.domain = Some(d.to_owned());
            } else {
                r.error(
                    "cookie.domain",
                    msg!("not a lowercase host name such as \"example.com\""),
                );
            }
        }
    }
    if get(m, "max_age_days").is_some() {
        match r.integer(m, "cookie", "max_age_days", (1, u32::MAX)) {
            Some(days) if days > MAX_DAYS => {
                let mut m = String::new();
                push_u64(&mut m, u64::from(days));
                m.push_str(" days is above 13 months (");
                push_u64(&mut m, u64::from(MAX_DAYS));
                m.push_str(" days), the longest a consent cookie may live");
                r.error_owned("cookie.max_age_days", msg_owned!(m));
            }
            Some(days) => cookie.max_age_days = days,
            None => {}
        }
    }
    cookie
}

fn read_signals(r: &mut Reader, top: &Members, categories: &[CategoryConfig]) -> SignalConfig {
    let index_of = |name: &str| {
        categories
            .iter()
            .find(|c| c.category.name() == name)
            .map(|c| c.index)
    };
    let mut dnt_categories = CategorySet::EMPTY;
    for name in ["analytics", "remarketing"] {
        if let Some(i) = index_of(name) {
            dnt_categories.insert(i);
        }
    }
    let mut signals = SignalConfig {
        dnt: SignalHandling::Honor,
        dnt_categories,
        gpc: SignalHandling::Honor,
    };
    let Some(v) = get(top, "signals") else {
        return signals;
    };
    let Some(m) = r.object(v, "signals", "signals") else {
        return signals;
    };
    let mut handling = |key| {
        if r.choice(m, "signals", key, ["honor", "ignore"]) {
            SignalHandling::Ignore
        } else {
            SignalHandling::Honor
        }
    };
    signals.dnt = handling("dnt");
    signals.gpc = handling("gpc");
    if let Some(v) = get(m, "dnt_categories") {
        signals.dnt_categories = CategorySet::EMPTY;
        for (p, name) in r.string_array(v, "signals.dnt_categories") {
            match index_of(&name) {
                Some(0) => r.error(&p, msg!("essential cannot be denied")),
                Some(i) => signals.dnt_categories.insert(i),
                None => r.error_owned(
                    &p,
                    msg_owned!(concat(&[
                        "unknown category \"",
                        &name,
                        "\" (not declared in categories)",
                    ])),
                ),
            }
        }
    }
    signals
}

fn read_consent_mode(r: &mut Reader, top: &Members) -> ConsentModeConfig {
    let mut cm = ConsentModeConfig {
        enabled: false,
        wait_for_update: 500,
        region: Vec::new(),
        ads_data_redaction: false,
        url_passthrough: false,
    };
    let Some(v) = get(top, "consent_mode") else {
        return cm;
    };
    let Some(m) = r.object(v, "consent_mode", "consent_mode") else {
        return cm;
    };
    cm.enabled = r.boolean(m, "consent_mode", "enabled", false);
    cm.wait_for_update = r
        .integer(m, "consent_mode", "wait_for_update", (0, 10_000))
        .unwrap_or(500);
    cm.ads_data_redaction = r.boolean(m, "consent_mode", "ads_data_redaction", false);
    cm.url_passthrough = r.boolean(m, "consent_mode", "url_passthrough", false);
    if let Some(v) = get(m, "region") {
        for (p, code) in r.string_array(v, "consent_mode.region") {
            if is_region(&code) {
                cm.region.push(code);
            } else {
                r.error_owned(
                    &p,
                    msg_owned!(concat(&[
                        "\"",
                        &code,
                        "\" is not an ISO 3166 code such as \"DE\" or \"US-CA\"",
                    ])),
                );
            }
        }
    }
    cm
}

fn read_translations(r: &mut Reader, top: &Members) -> Vec<UiText> {
    let mut out = Vec::new();
    let Some(v) = get(top, "translations") else {
        return out;
    };
    let Json::Object(langs) = v else {
        r.wrong_type("translations", "an object of language → texts", v);
        return out;
    };
    for (lang, texts) in langs {
        let path = join("translations", lang);
        if !is_language_tag(lang) {
            r.error(&path, msg!("not a language tag (e.g. \"en\", \"pt-BR\")"));
            continue;
        }
        let Some(m) = r.object_with_keys(texts, &path, &UI_KEY_NAMES) else {
            continue;
        };
        let english = lang.eq_ignore_ascii_case("en");
        let mut values = Vec::with_capacity(UI_KEY_NAMES.len());
        for key in UI_KEY_NAMES {
            let p = join(&path, key);
            let value = match get(m, key) {
                Some(v) => r.string(v, &p),
                // Keys left out of a built-in language keep its built-in text (filled in by the UI part).
                None if english || crate::i18n::is_builtin(lang) => None,
                // Newer than the "every text" rule: a site's own language shows its `description` there.
                None if key == "notice_description" => None,
                None => {
                    let why = if key == "reject_all" {
                        "missing: the reject button must be labelled in every language you offer"
                    } else {
                        "missing: every language you offer must translate every text"
                    };
                    // `en-US`, `de-DE`: a site language of its own; changing a few built-in texts is `en`, `de`.
                    if MESSAGES && let Some(b) = crate::i18n::builtin_language_of(lang) {
                        let hint = concat(&[
                            why,
                            " (",
                            lang,
                            " is not a built-in language; to change some of the built-in ",
                            b,
                            " texts, write them under translations.",
                            b,
                            ")",
                        ]);
                        r.error_owned(&p, hint);
                    } else {
                        r.error(&p, msg!(why));
                    }
                    None
                }
            };
            let value = value.unwrap_or_default();
            if value.trim().is_empty() && get(m, key).is_some() {
                r.error(&p, msg!("must not be empty"));
            }
            values.push(value);
        }
        let ui = UiText::from_parts(lang.clone(), values);
        if english {
            out.insert(0, ui);
        } else {
            out.push(ui);
        }
    }
    out
}

// `translations.<lang>` objects list their keys in UI_KEYS, not in FIELDS; make the reference agree.
#[cfg(test)]
mod tests {
    #[test]
    fn reference_lists_every_ui_key() {
        let doc = super::super::reference::FIELDS
            .iter()
            .find(|f| f.path == "translations.<lang>.<key>")
            .unwrap()
            .doc;
        for key in crate::i18n::UI_KEY_NAMES {
            assert!(
                doc.contains(&format!("`{key}`")),
                "{key} missing from the reference"
            );
        }
    }
}
