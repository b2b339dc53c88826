//! URL rules shared by the config reader (`policy_url`) and the life cycle (an embed's `data-src`). A leaf: it
//! imports nothing of the crate, so both can use it without importing each other.

/// Whether an embed may be activated with this URL: `http:`, `https:` or a relative URL. Anything with another
/// scheme (`javascript:`, `data:`, `vbscript:`, `blob:`, …) is refused: a `data-src` survives HTML sanitizers that
/// allow `data-*` attributes, so it must never become script. Browsers ignore ASCII tab and newline inside a
/// scheme and leading spaces/controls, so those are skipped before the scheme is read.
pub fn is_activatable_url(url: &str) -> bool {
    let bytes = url.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] <= b' ' {
        i += 1;
    }
    let mut scheme = [0u8; 5];
    let mut len = 0usize;
    for &b in &bytes[i..] {
        match b {
            b'\t' | b'\n' | b'\r' => {}
            b':' => return len <= scheme.len() && matches!(&scheme[..len], b"http" | b"https"),
            // A relative URL: a `/`, `?` or `#` comes before any `:`.
            b'/' | b'?' | b'#' => return true,
            _ => {
                if len < scheme.len() {
                    scheme[len] = b.to_ascii_lowercase();
                }
                len += 1;
            }
        }
    }
    true
}
