//! A small HTML writer: text and attribute values are always escaped, markup is only what the code writes.

use core::fmt::Write as _;

pub use crate::web_text::escape_html as escape;
use crate::web_text::escape_html_into as escape_into;

/// An HTML document being written.
#[derive(Debug, Default)]
pub struct Html {
    buf: String,
}

impl Html {
    /// An empty document.
    pub fn new() -> Html {
        Html::default()
    }

    /// Markup written by the code itself (never data).
    pub fn raw(&mut self, markup: &str) -> &mut Html {
        self.buf.push_str(markup);
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        escape_into(&mut self.buf, text);
        self
    }

    /// A number as text.
    pub fn num(&mut self, n: impl core::fmt::Display) -> &mut Html {
        let _ = write!(self.buf, "{n}");
        self
    }

    /// `<tag attr="value"…>` with escaped values.
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Html {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (name, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, value);
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Html {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag attrs…>text</tag>`.
    pub fn el(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Html {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A link.
    pub fn link(&mut self, href: &str, text: &str) -> &mut Html {
        self.el("a", &[("href", href)], text)
    }

    /// The document so far.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// A query string of escaped-for-URL pairs (`a=b&c=d`), empty values left out.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&url_encode(v));
    }
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        let mut h = Html::new();
        h.open("a", &[("href", "/x?a=1&b=\"2\"")])
            .text("<script>'")
            .close("a");
        assert_eq!(
            h.finish(),
            "<a href=\"/x?a=1&amp;b=&quot;2&quot;\">&lt;script&gt;&#39;</a>"
        );
        assert_eq!(query(&[("site", "a b&c"), ("x", "")]), "site=a%20b%26c");
    }
}
