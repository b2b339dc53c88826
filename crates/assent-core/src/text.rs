//! String building without `core::fmt`: the browser build has no `format!`/`Display` on its paths, so the
//! formatting machinery (and its panic and padding code) stays out of the wasm.

/// Appends the decimal form of `n`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Appends the decimal form of `n` (with a leading `-` when negative).
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// The decimal form of `n`.
pub fn u64_string(n: u64) -> String {
    let mut s = String::new();
    push_u64(&mut s, n);
    s
}

/// `s.split_once(c)` for an ASCII `c`, by bytes: the generic `char` pattern searchers (and `memchr`) stay out of
/// the wasm. (An ASCII byte is never part of a multi-byte character, so both halves are valid `str`.)
pub fn split_once_byte(s: &str, c: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == c)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The first piece of `s` split at the ASCII `c`, and the rest after it (`None` when `c` does not occur): one
/// step of `s.split(c)`.
pub fn split_first_byte(s: &str, c: u8) -> (&str, Option<&str>) {
    match split_once_byte(s, c) {
        Some((first, rest)) => (first, Some(rest)),
        None => (s, None),
    }
}

/// `s.contains(c)` for an ASCII `c`.
pub fn contains_byte(s: &str, c: u8) -> bool {
    s.bytes().any(|b| b == c)
}

/// `s.trim_start_matches(c)` for an ASCII `c`.
pub fn trim_start_byte(s: &str, c: u8) -> &str {
    let n = s.bytes().take_while(|&b| b == c).count();
    s.get(n..).unwrap_or(s)
}

/// `s.trim_end_matches(c)` for an ASCII `c`.
pub fn trim_end_byte(s: &str, c: u8) -> &str {
    let mut end = s.len();
    while end > 0 && s.as_bytes()[end - 1] == c {
        end -= 1;
    }
    s.get(..end).unwrap_or(s)
}

/// The pieces concatenated.
pub fn concat(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
    }
    s
}

/// The items joined with `sep`.
pub fn join(items: &[&str], sep: &str) -> String {
    let mut s = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(item);
    }
    s
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Appends `s` as a JSON string literal (the browser builds its request bodies by hand: no serde there).
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push_str(&hex(&[c as u8]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals_and_joins() {
        assert_eq!(u64_string(0), "0");
        assert_eq!(u64_string(u64::MAX), u64::MAX.to_string());
        let mut s = String::new();
        push_i64(&mut s, i64::MIN);
        assert_eq!(s, i64::MIN.to_string());
        assert_eq!(join(&["a", "b", "c"], ", "), "a, b, c");
        assert_eq!(join(&[], ", "), "");
        assert_eq!(concat(&["x", "", "yz"]), "xyz");
    }

    #[test]
    fn byte_helpers_match_str_methods() {
        for s in [
            "", "a", "-", "a-b", "-a-", "ab--c", "é-ü-", "..x..", "//p//",
        ] {
            assert_eq!(split_once_byte(s, b'-'), s.split_once('-'), "{s:?}");
            assert_eq!(contains_byte(s, b'-'), s.contains('-'), "{s:?}");
            assert_eq!(trim_start_byte(s, b'.'), s.trim_start_matches('.'), "{s:?}");
            assert_eq!(trim_end_byte(s, b'/'), s.trim_end_matches('/'), "{s:?}");
            let mut parts = Vec::new();
            let mut rest = Some(s);
            while let Some(r) = rest {
                let (first, next) = split_first_byte(r, b'-');
                parts.push(first);
                rest = next;
            }
            assert_eq!(parts, s.split('-').collect::<Vec<_>>(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn decimals_match_display(n: i64) {
            let mut s = String::new();
            push_i64(&mut s, n);
            prop_assert_eq!(s, n.to_string());
        }
    }
}
