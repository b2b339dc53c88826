//! Text rules the server's HTML pages share — the e-mail confirmation/unsubscribe pages (`email/links.rs`) and the
//! dashboard (`dashboard/`): HTML escaping and `application/x-www-form-urlencoded` decoding. A leaf: it imports
//! nothing of the crate, so neither part depends on the other for them.

/// `&`, `<`, `>`, `"` and `'` escaped: safe in text and in quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html_into(&mut out, text);
    out
}

/// [`escape_html`], appended to `out`.
pub fn escape_html_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// One name or value of a form body or query string decoded: `+` is a space, `%XX` a byte; a `%` not followed by
/// two hex digits stays as it is; bytes that are not UTF-8 become U+FFFD.
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or(""), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded `(name, value)` pairs of a form body or query string, in order (empty pairs skipped).
pub fn form_pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k), form_decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(form_decode("a%2"), "a%2");
        assert_eq!(form_decode("a+b%41"), "a bA");
        assert_eq!(form_decode("%zz%"), "%zz%");
        assert_eq!(
            form_pairs("a=1&&b&c=%2D").collect::<Vec<_>>(),
            [
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "-".into())
            ]
        );
    }
}
