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

    proptest! {
        #[test]
        fn decimals_match_display(n: i64) {
            let mut s = String::new();
            push_i64(&mut s, n);
            prop_assert_eq!(s, n.to_string());
        }
    }
}
