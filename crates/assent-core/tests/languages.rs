//! The built-in language files (`crates/assent-core/i18n/<tag>.json`): complete, nothing unknown, placeholders
//! intact, writing direction right, and English identical to the texts built into the code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assent_core::category::Category;
use assent_core::i18n::{BUILT_IN_LANGUAGES, UI_KEYS, builtin_category_text, is_rtl};
use assent_core::json::{self, Json};

/// What issue 14 asks for: the 24 official EU languages, then the others.
const REQUIRED: [&str; 38] = [
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "nb", "is", "uk", "ru", "tr", "ar", "he", "fa",
    "hi", "ja", "ko", "zh-Hans", "zh-Hant", "pt-BR",
];

const RIGHT_TO_LEFT: [&str; 3] = ["ar", "he", "fa"];

const TOP_KEYS: [&str; 5] = ["lang", "dir", "ui", "categories", "email"];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n")
}

/// Every `<tag>.json` in the directory, by tag.
fn files() -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir()).expect("crates/assent-core/i18n exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().expect("UTF-8 file name");
        let tag = name
            .strip_suffix(".json")
            .unwrap_or_else(|| panic!("{name}: only <tag>.json files belong in i18n/"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let value = json::parse(&text).unwrap_or_else(|e| {
            panic!("{name}: not valid JSON at byte {}: {}", e.offset, e.message)
        });
        out.insert(tag.to_owned(), value);
    }
    out
}

fn object<'a>(v: &'a Json, what: &str) -> &'a [(String, Json)] {
    match v {
        Json::Object(members) => members,
        other => panic!("{what}: must be an object, is {}", other.type_name()),
    }
}

fn member<'a>(v: &'a Json, key: &str, what: &str) -> &'a Json {
    object(v, what)
        .iter()
        .find(|(k, _)| k == key)
        .map_or_else(|| panic!("{what}: `{key}` missing"), |(_, v)| v)
}

fn string<'a>(v: &'a Json, what: &str) -> &'a str {
    match v {
        Json::String(s) => s,
        other => panic!("{what}: must be a string, is {}", other.type_name()),
    }
}

fn keys(v: &Json, what: &str) -> Vec<String> {
    object(v, what).iter().map(|(k, _)| k.clone()).collect()
}

/// Every text of a file by its path (`ui.title`, `categories.analytics.description`, `email.confirm_body`).
fn texts(file: &Json, tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for section in ["ui", "email"] {
        for (k, v) in object(member(file, section, tag), &format!("{tag}: {section}")) {
            let path = format!("{section}.{k}");
            out.insert(
                path.clone(),
                string(v, &format!("{tag}: {path}")).to_owned(),
            );
        }
    }
    for (name, c) in object(
        member(file, "categories", tag),
        &format!("{tag}: categories"),
    ) {
        for (k, v) in object(c, &format!("{tag}: categories.{name}")) {
            let path = format!("categories.{name}.{k}");
            out.insert(
                path.clone(),
                string(v, &format!("{tag}: {path}")).to_owned(),
            );
        }
    }
    out
}

/// The `{name}` placeholders of a text, sorted; a brace that does not open or close one is an error.
fn placeholders(text: &str, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        assert!(
            rest[i..].starts_with('{'),
            "{what}: a `}}` closes no placeholder"
        );
        let after = &rest[i + 1..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("{what}: a `{{` is never closed"));
        let name = &after[..end];
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{what}: `{{{name}}}` is not a placeholder name"
        );
        out.push(name.to_owned());
        rest = &after[end + 1..];
    }
    out.sort();
    out
}

#[test]
fn every_required_language_has_a_file_and_nothing_else_does() {
    let files = files();
    let mut required: Vec<&str> = REQUIRED.to_vec();
    required.sort_unstable();
    let mut built_in: Vec<&str> = BUILT_IN_LANGUAGES.to_vec();
    built_in.sort_unstable();
    assert_eq!(
        built_in, required,
        "BUILT_IN_LANGUAGES is the required list"
    );
    let on_disk: Vec<&str> = files.keys().map(String::as_str).collect();
    let mut on_disk_sorted = on_disk.clone();
    on_disk_sorted.sort_unstable();
    assert_eq!(on_disk_sorted, required, "one file per built-in language");
}

#[test]
fn every_file_has_exactly_the_keys_of_english() {
    let files = files();
    let english = texts(&files["en"], "en");
    let ui_names: Vec<&str> = UI_KEYS.iter().map(|(k, _)| *k).collect();
    let categories: Vec<&str> = Category::BUILT_IN.iter().map(Category::name).collect();
    for (tag, file) in &files {
        assert_eq!(
            keys(file, tag),
            TOP_KEYS,
            "{tag}: top-level keys, in this order"
        );
        assert_eq!(
            keys(member(file, "ui", tag), tag),
            ui_names,
            "{tag}: ui keys (in UI_KEYS order)"
        );
        let cats = member(file, "categories", tag);
        assert_eq!(keys(cats, tag), categories, "{tag}: categories");
        for c in &categories {
            assert_eq!(
                keys(member(cats, c, tag), tag),
                ["title", "description"],
                "{tag}: categories.{c}"
            );
        }
        let t = texts(file, tag);
        let mine: Vec<&String> = t.keys().collect();
        let theirs: Vec<&String> = english.keys().collect();
        assert_eq!(mine, theirs, "{tag}: same texts as en.json");
        for (path, text) in &t {
            assert!(!text.trim().is_empty(), "{tag}: {path} is empty");
            assert_eq!(
                text.trim_end_matches('\n'),
                text.trim_end_matches('\n').trim(),
                "{tag}: {path} has stray leading or trailing spaces"
            );
        }
    }
}

#[test]
fn placeholders_are_those_of_english() {
    let files = files();
    let english = texts(&files["en"], "en");
    for (tag, file) in &files {
        for (path, text) in texts(file, tag) {
            assert_eq!(
                placeholders(&text, &format!("{tag}: {path}")),
                placeholders(&english[&path], &format!("en: {path}")),
                "{tag}: {path} must keep English's placeholders, each once"
            );
        }
    }
    // The e-mail placeholders this check protects.
    assert_eq!(
        placeholders(&english["email.confirm_body"], "en"),
        ["hours", "link", "list", "site"]
    );
}

#[test]
fn tag_and_direction_are_right() {
    for (tag, file) in &files() {
        assert_eq!(
            string(member(file, "lang", tag), tag),
            tag,
            "{tag}: `lang` is the file name"
        );
        let dir = string(member(file, "dir", tag), tag);
        let rtl = RIGHT_TO_LEFT.contains(&tag.as_str());
        assert_eq!(dir, if rtl { "rtl" } else { "ltr" }, "{tag}: dir");
        assert_eq!(is_rtl(tag), rtl, "{tag}: assent_core::i18n::is_rtl agrees");
    }
}

#[test]
fn english_is_the_built_in_wording() {
    let files = files();
    let en = &files["en"];
    let ui = member(en, "ui", "en");
    for (key, text) in UI_KEYS {
        assert_eq!(string(member(ui, key, "en.ui"), key), text, "en: ui.{key}");
    }
    let cats = member(en, "categories", "en");
    for category in &Category::BUILT_IN {
        let (title, description) = builtin_category_text(category);
        let file = member(cats, category.name(), "en.categories");
        assert_eq!(string(member(file, "title", "en"), "title"), title);
        assert_eq!(
            string(member(file, "description", "en"), "description"),
            description
        );
    }
}

#[test]
fn translations_are_translated_and_reject_is_as_plain_as_accept() {
    let files = files();
    let english = texts(&files["en"], "en");
    for (tag, file) in files.iter().filter(|(t, _)| t.as_str() != "en") {
        let t = texts(file, tag);
        for path in [
            "ui.title",
            "ui.accept_all",
            "ui.reject_all",
            "ui.gpc_honored",
            "ui.do_not_sell",
            "email.confirm_body",
        ] {
            assert_ne!(t[path], english[path], "{tag}: {path} is still English");
        }
        // Same visual weight (EDPB 03/2022, CNIL): the reject label is no longer or wordier than the accept label.
        let (accept, reject) = (&t["ui.accept_all"], &t["ui.reject_all"]);
        let words = |s: &str| s.split_whitespace().count();
        assert!(
            words(reject) <= words(accept) && reject.chars().count() <= accept.chars().count() + 3,
            "{tag}: \"{reject}\" is heavier than \"{accept}\""
        );
    }
}

#[test]
fn the_do_not_sell_link_is_in_the_visitors_language() {
    let files = files();
    let link = |tag: &str| texts(&files[tag], tag)["ui.do_not_sell"].clone();
    // English is the wording CCPA §1798.135 names; the others translate it (California's Spanish usage first).
    assert_eq!(link("en"), "Do Not Sell or Share My Personal Information");
    assert_eq!(link("es"), "No vender ni compartir mi información personal");
    assert_eq!(link("zh-Hant"), "請勿出售或分享我的個人資訊");
    assert_eq!(link("ko"), "내 개인정보를 판매하거나 공유하지 마십시오");
    // No two languages share a wording (a copy-pasted line would).
    let mut seen = BTreeMap::new();
    for tag in files.keys() {
        if let Some(other) = seen.insert(link(tag), tag.clone()) {
            panic!("{tag} and {other} have the same do_not_sell text");
        }
    }
}
