//! Small decisions on browser values, kept out of the DOM code so they are tested natively.

/// Whether a Do Not Track value means "on": `"1"` (current browsers) or `"yes"` (old Gecko).
pub fn is_dnt_on(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "yes"))
}

pub use assent_core::lifecycle::guard_allows;

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

    #[test]
    fn guards_need_every_named_category() {
        let granted = |n: &str| n == "analytics" || n == "essential";
        assert!(guard_allows("analytics", granted));
        assert!(guard_allows(" analytics  essential ", granted));
        assert!(!guard_allows("analytics remarketing", granted));
        assert!(!guard_allows("", granted));
        assert!(!guard_allows("   ", granted));
        assert!(!guard_allows("unknown", granted));
    }
}
