//! `--suggest`: a config draft from what the scan saw — each non-essential cookie and storage key under its
//! category (patterns ordered by vendor), starting from the site's own config — and the scripts to mark with
//! `data-assent`. The draft is checked with the config reader before it is printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use assent_core::Category;
use assent_core::config::{CategoryConfig, Config, Texts};
use serde_json::{Map, Value, json};

use crate::classify::{Class, Source};
use crate::model::Report;

/// A config draft and the advice that does not fit in a config.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// Config JSON the config reader accepts.
    pub config: String,
    /// `category → vendor → patterns`, for the reader of the draft.
    pub vendors: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// `(script, category)`: scripts that set or sent something non-essential before consent.
    pub scripts_to_mark: Vec<(String, String)>,
    /// Names neither the config nor the database knows: decide their category by hand.
    pub unclassified: Vec<String>,
}

#[derive(Debug, Default)]
struct Draft {
    /// vendor → patterns, per category and kind (`cookies` / `local_storage`).
    patterns: BTreeMap<String, BTreeMap<&'static str, BTreeMap<String, Vec<String>>>>,
}

impl Draft {
    fn add(&mut self, category: &str, kind: &'static str, vendor: &str, pattern: &str) {
        let list = self
            .patterns
            .entry(category.to_string())
            .or_default()
            .entry(kind)
            .or_default()
            .entry(vendor.to_string())
            .or_default();
        if !list.iter().any(|p| p == pattern) {
            list.push(pattern.to_string());
        }
    }
}

fn texts(t: &Texts) -> Value {
    let mut m = Map::new();
    for (lang, text) in &t.0 {
        m.insert(lang.clone(), json!(text));
    }
    Value::Object(m)
}

fn custom_title(name: &str) -> String {
    let mut title: String = name.replace('_', " ");
    if let Some(first) = title.get(..1) {
        title = first.to_ascii_uppercase() + &title[1..];
    }
    title
}

/// Builds the draft from a scan and, when known, the site's current config.
pub fn suggest(report: &Report, base: Option<&Config>) -> Result<Suggestion, String> {
    let mut draft = Draft::default();
    let own = "your config";
    if let Some(config) = base {
        for c in &config.categories {
            for p in &c.cookies {
                draft.add(c.category.name(), "cookies", own, &p.text);
            }
            for p in &c.local_storage {
                draft.add(c.category.name(), "local_storage", own, &p.text);
            }
        }
    }
    let mut unclassified = Vec::new();
    let mut observe = |name: &str, class: &Class, kind: &'static str| match &class.category {
        Some(category) if class.needs_consent() || class.source == Source::SiteConfig => {
            let vendor = class.vendor.as_deref().unwrap_or(own);
            draft.add(
                category,
                kind,
                vendor,
                class.pattern.as_deref().unwrap_or(name),
            );
        }
        Some(_) => {}
        None => {
            if !unclassified.iter().any(|n| n == name) {
                unclassified.push(name.to_string());
            }
        }
    };
    let mut scripts_to_mark: Vec<(String, String)> = Vec::new();
    for page in &report.pages {
        for phase in &page.phases {
            for c in &phase.cookies {
                observe(&c.name, &c.class, "cookies");
            }
            for k in phase.local_storage.iter().chain(&phase.session_storage) {
                observe(&k.name, &k.class, "local_storage");
            }
        }
        for s in &page.unmarked_scripts {
            for category in &s.categories {
                let entry = (s.source.clone(), category.clone());
                if !scripts_to_mark.contains(&entry) {
                    scripts_to_mark.push(entry);
                }
            }
        }
    }

    let mut categories = Map::new();
    // Keep the site's own order (custom categories' ids are their position), then any new ones.
    let mut order: Vec<String> = base
        .map(|c| {
            c.categories
                .iter()
                .map(|c| c.category.name().to_string())
                .collect()
        })
        .unwrap_or_default();
    for name in draft.patterns.keys() {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    let mut vendors = BTreeMap::new();
    for name in &order {
        let declared: Option<&CategoryConfig> = base.and_then(|c| c.category_by_name(name));
        let mut entry = Map::new();
        let builtin = Category::parse(name).is_ok_and(|c| c.builtin_index().is_some());
        if !builtin {
            match declared {
                Some(d) => {
                    entry.insert("title".into(), texts(&d.title));
                    if !d.description.0.is_empty() {
                        entry.insert("description".into(), texts(&d.description));
                    }
                }
                None => {
                    entry.insert("title".into(), json!(custom_title(name)));
                }
            }
        }
        if let Some(kinds) = draft.patterns.get(name) {
            for (kind, by_vendor) in kinds {
                let list: Vec<&String> = by_vendor.values().flatten().collect();
                entry.insert((*kind).to_string(), json!(list));
            }
            let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for by_vendor in kinds.values() {
                for (vendor, patterns) in by_vendor {
                    merged
                        .entry(vendor.clone())
                        .or_default()
                        .extend(patterns.iter().cloned());
                }
            }
            vendors.insert(name.clone(), merged);
        }
        categories.insert(name.clone(), Value::Object(entry));
    }
    let mut config = Map::new();
    config.insert("revision".into(), json!(base.map_or(1, |c| c.revision)));
    let mode = match base.map(|c| c.mode) {
        Some(assent_core::Mode::OptOut) => "opt-out",
        _ => "opt-in",
    };
    config.insert("mode".into(), json!(mode));
    config.insert(
        "policy_url".into(),
        json!(base.map_or("/privacy", |c| c.policy_url.as_str())),
    );
    if let Some(endpoint) = base.and_then(|c| c.endpoint.as_deref()) {
        config.insert("endpoint".into(), json!(endpoint));
    }
    config.insert("categories".into(), Value::Object(categories));
    let text = serde_json::to_string_pretty(&Value::Object(config))
        .map_err(|e| format!("cannot write the draft: {e}"))?;
    // The draft is only offered if our own reader accepts it.
    Config::from_json(&text)
        .map_err(|e| format!("the drafted config is not accepted by the config reader: {e}"))?;
    Ok(Suggestion {
        config: text,
        vendors,
        scripts_to_mark,
        unclassified,
    })
}

impl Suggestion {
    /// The advice that goes with the draft, for standard error.
    pub fn advice(&self) -> String {
        let mut out = String::new();
        for (category, vendors) in &self.vendors {
            for (vendor, patterns) in vendors {
                let _ = writeln!(out, "# {category}: {vendor}: {}", patterns.join(", "));
            }
        }
        for (script, category) in &self.scripts_to_mark {
            let _ = writeln!(
                out,
                "# mark this script: <script type=\"text/plain\" data-assent=\"{category}\" src=\"{script}\">"
            );
        }
        if !self.unclassified.is_empty() {
            let _ = writeln!(
                out,
                "# unknown, decide their category: {}",
                self.unclassified.join(", ")
            );
        }
        out
    }
}
