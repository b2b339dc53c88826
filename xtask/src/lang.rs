//! `cargo xtask dist`: the built-in languages for the browser, one small file each in `www/dist/lang/<tag>.json`.
//!
//! The source is `crates/assent-core/i18n/<tag>.json`. The browser copy keeps `lang`, `dir`, `ui` and `categories`
//! (the server's `email` texts stay out) and is minified. A page fetches only the file of the language it shows,
//! and an English page none (English is built into the SDK), so these files belong to no set of `size.json`: they
//! are listed there with `"sets": []` (on demand) and counted in no set's total.

use std::fmt::Write as _;
use std::path::Path;

use assent_core::json::{self, Json};

use crate::size::{FileSize, gzip_len};
use crate::util::{Result, bail, err};

/// The sections the browser needs, in this order.
const BROWSER_KEYS: [&str; 4] = ["lang", "dir", "ui", "categories"];

/// Writes `out/lang/<tag>.json` for every `src/<tag>.json` and returns their sizes, sorted by name.
pub(crate) fn copy_languages(src: &Path, out: &Path) -> Result<Vec<FileSize>> {
    let dest = out.join("lang");
    std::fs::create_dir_all(&dest).map_err(|e| err!("{}: {e}", dest.display()))?;
    let mut entries: Vec<_> = std::fs::read_dir(src)
        .map_err(|e| err!("{}: {e}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let mut sizes = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| err!("{}: not a UTF-8 file name", path.display()))?
            .to_owned();
        let text = std::fs::read_to_string(&path).map_err(|e| err!("{}: {e}", path.display()))?;
        let compact = compact(&text).map_err(|e| err!("{}: {e}", path.display()))?;
        std::fs::write(dest.join(&name), &compact)?;
        sizes.push(FileSize {
            name: format!("lang/{name}"),
            raw: compact.len() as u64,
            gzip: gzip_len(compact.as_bytes()),
        });
    }
    if sizes.is_empty() {
        bail!("no language files in {}", src.display());
    }
    Ok(sizes)
}

/// The browser's part of a language file, minified.
pub(crate) fn compact(text: &str) -> std::result::Result<String, String> {
    let value = json::parse(text).map_err(|e| format!("byte {}: {}", e.offset, e.message))?;
    let Json::Object(members) = value else {
        return Err("not a JSON object".into());
    };
    let mut kept = Vec::new();
    for key in BROWSER_KEYS {
        let (k, v) = members
            .iter()
            .find(|(k, _)| k == key)
            .ok_or_else(|| format!("`{key}` missing"))?;
        kept.push((k.clone(), v.clone()));
    }
    let mut out = String::with_capacity(text.len() / 2);
    write(&Json::Object(kept), &mut out);
    Ok(out)
}

fn write(v: &Json, out: &mut String) {
    match v {
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(n) => out.push_str(&n.to_string()),
        // Only trees converted from a browser value carry `Fraction`; `json::parse` refuses fractions.
        Json::Null | Json::Fraction => out.push_str("null"),
        Json::String(s) => write_str(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string: UTF-8 as it is (smallest), only `"`, `\` and control characters escaped.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `38 files, gzip 1,234 B min / 1,456 B median / 1,789 B max (lang/xx.json)`.
pub(crate) fn summary(files: &[FileSize]) -> String {
    let mut gz: Vec<&FileSize> = files.iter().collect();
    gz.sort_by_key(|f| f.gzip);
    let (Some(min), Some(max)) = (gz.first(), gz.last()) else {
        return "no language files".into();
    };
    let median = gz[gz.len() / 2];
    format!(
        "{} language files (fetched on demand, in no set): gzip {} B min ({}), {} B median, {} B max ({})",
        files.len(),
        min.gzip,
        min.name,
        median.gzip,
        max.gzip,
        max.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_the_browser_sections_and_drops_email() {
        let text = r#"{"lang": "de", "dir": "ltr",
            "ui": {"title": "Zwei \"Wörter\"\n"}, "categories": {"essential": {"title": "Notwendig"}},
            "email": {"confirm_subject": "secret"}}"#;
        let c = compact(text).unwrap();
        assert_eq!(
            c,
            r#"{"lang":"de","dir":"ltr","ui":{"title":"Zwei \"Wörter\"\n"},"categories":{"essential":{"title":"Notwendig"}}}"#
        );
        // Round trip: the same tree as the source's sections.
        assert!(json::parse(&c).is_ok());
        assert!(compact(r#"{"lang": "de"}"#).unwrap_err().contains("dir"));
        assert!(compact("[1]").is_err());
    }

    #[test]
    fn every_built_in_language_gets_a_browser_file() {
        let src = crate::util::repo_root().join("crates/assent-core/i18n");
        let out = tempfile::tempdir().unwrap();
        let sizes = copy_languages(&src, out.path()).unwrap();
        assert_eq!(sizes.len(), assent_core::i18n::BUILT_IN_LANGUAGES.len());
        for tag in assent_core::i18n::BUILT_IN_LANGUAGES {
            let file =
                std::fs::read_to_string(out.path().join(format!("lang/{tag}.json"))).unwrap();
            assert!(
                file.starts_with(&format!("{{\"lang\":\"{tag}\",\"dir\":")),
                "{file}"
            );
            assert!(!file.contains("\"email\"") && !file.contains('\n'), "{tag}");
        }
        let s = summary(&sizes);
        assert!(s.starts_with("38 language files"), "{s}");

        // In size.json they are listed, in no set, so no page's budget counts them.
        let report = crate::size::SizeReport::measure(out.path(), crate::size::SETS).unwrap();
        let json = report.to_json();
        let de = sizes.iter().find(|f| f.name == "lang/de.json").unwrap();
        assert!(
            json.contains(&format!(
                "{{\"name\": \"lang/de.json\", \"raw\": {}, \"gzip\": {}, \"sets\": []}}",
                de.raw, de.gzip
            )),
            "{json}"
        );
        assert!(report.sets.iter().all(|set| set.gzip == 0), "{json}");
    }
}
