//! Small decisions on browser values, kept out of the DOM code so they are tested natively.

/// Whether a Do Not Track value means "on": `"1"` (current browsers) or `"yes"` (old Gecko).
pub fn is_dnt_on(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "yes"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn dnt_values() {
        assert!(is_dnt_on(Some("1")));
        assert!(is_dnt_on(Some("yes")));
        for off in [None, Some("0"), Some("no"), Some("unspecified"), Some("")] {
            assert!(!is_dnt_on(off), "{off:?}");
        }
    }
}
