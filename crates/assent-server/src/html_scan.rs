//! Finding the inline site configs of HTML pages (`<script id="assent-config" type="application/json">`).
//!
//! A deliberately small scanner, not an HTML parser: it runs on the operator's own pages at start-up. It must
//! never panic whatever the bytes (a panic stops the server from starting), so every index it slices at is a
//! character boundary. It depends on nothing but `std`, so the cargo-fuzz target in `fuzz/` includes this file
//! directly (`fuzz/fuzz_targets/html_config_scanner.rs`).

/// The contents of every `<script … id="assent-config" …>…</script>` element whose type is `application/json`.
pub fn inline_configs(html: &str) -> Vec<&str> {
    // ASCII lower-casing keeps every byte offset (and so every character boundary) where it was.
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script") {
        let tag_start = at + start;
        let Some(tag_len) = lower[tag_start..].find('>') else {
            break;
        };
        let tag_end = tag_start + tag_len;
        let attrs = &html[tag_start + "<script".len()..tag_end];
        let Some(close) = lower[tag_end..].find("</script") else {
            break;
        };
        let body_end = tag_end + close;
        if attr(attrs, "id").as_deref() == Some("assent-config")
            && attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("application/json"))
        {
            out.push(html[tag_end + 1..body_end].trim());
        }
        at = body_end;
    }
    out
}

/// The value of an attribute in a tag's attribute text (quoted with `"` or `'`, or bare).
///
/// Works on `char`s: the delimiters it looks for are ASCII, but an attribute name or value may hold any
/// character, and a byte-wise scan that stepped over a delimiter it did not expect (`="x"é`) used to land
/// inside a multi-byte character and panic when slicing.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let this = &rest[..name_len];
        rest = rest[name_len..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let mut value = "";
        if let Some(after_eq) = rest.strip_prefix('=') {
            rest = after_eq.trim_start_matches(|c: char| c.is_ascii_whitespace());
            if let Some(q) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) {
                let inner = &rest[1..];
                let len = inner.find(q).unwrap_or(inner.len());
                value = &inner[..len];
                rest = inner.get(len + 1..).unwrap_or("");
            } else {
                let len = rest
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                value = &rest[..len];
                rest = &rest[len..];
            }
        } else if this.is_empty() {
            // Neither a name nor `=`: skip one character so the loop always advances.
            let skip = rest.chars().next().map_or(0, char::len_utf8);
            rest = &rest[skip..];
        }
        if !this.is_empty() && this.eq_ignore_ascii_case(name) {
            return Some(value.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_configs_in_any_attribute_order() {
        let html = r#"<html><script src="/assent/assent.js"></script>
            <SCRIPT id='assent-config' type="application/json">{"a":1}</SCRIPT>
            <script type=application/json data-x="y" id="assent-config"> {"b":2} </script>
            <script type="application/json" id="other">{"c":3}</script>
            <script id="assent-config">{"d":4}</script>"#;
        assert_eq!(inline_configs(html), vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert!(
            inline_configs("<script id=\"assent-config\" type=\"application/json\">").is_empty()
        );
    }

    #[test]
    fn multibyte_characters_next_to_delimiters_do_not_panic() {
        // The start-up panic of the issue: a value with no name, then a multi-byte character.
        let html =
            "<script =\"x\"é id=\"assent-config\" type=\"application/json\">{\"e\":5}</script>";
        assert_eq!(inline_configs(html), vec!["{\"e\":5}"]);
        for html in [
            "<script é=\"é\" id=é type='é'>x</script>",
            "<script =é>x</script>",
            "<script id=\"assent-config\" type=\"application/jsoné>x</script>",
            "<script \u{00a0}id=\"assent-config\"\u{3000}type=application/json>x</script>",
            "<script ='",
            "<script =\"",
        ] {
            let _ = inline_configs(html);
        }
    }
}
