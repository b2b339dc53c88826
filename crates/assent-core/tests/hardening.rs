//! Config fields a hostile or careless page could turn against its visitors: a policy link that runs code, and
//! more categories than the 64-bit bitmap holds (they used to be dropped without a word).

use assent_core::{Category, Config};
use std::fmt::Write as _;

fn with_policy(url: &str) -> Result<Config, assent_core::ConfigError> {
    let mut text = String::from(r#"{"revision": 1, "policy_url": "#);
    write!(text, "{url:?}").unwrap();
    text.push_str(r#", "categories": {"analytics": {}}}"#);
    Config::from_json(&text)
}

#[test]
fn policy_url_with_a_script_scheme_is_refused_with_the_field_named() {
    for bad in [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ] {
        let e = with_policy(bad).expect_err(bad);
        assert!(e.has("policy_url"), "{bad:?}: {e}");
        assert!(
            e.to_string()
                .contains("policy_url: must be an http(s):// URL or a path"),
            "{e}"
        );
    }
    for ok in ["https://shop.example/privacy", "/privacy", "privacy.html"] {
        let c = with_policy(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(c.policy_url, ok);
    }
}

fn with_custom(n: usize) -> Result<Config, assent_core::ConfigError> {
    let mut text =
        String::from(r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {}"#);
    for i in 0..n {
        write!(text, r#", "c{i}": {{"title": "C{i}"}}"#).unwrap();
    }
    text.push_str("}}");
    Config::from_json(&text)
}

#[test]
fn sixty_custom_categories_fit_and_take_indices_4_to_63() {
    let c = with_custom(60).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.categories.len(), 62); // essential, analytics, 60 custom
    let last = c.categories.last().unwrap();
    assert_eq!(last.category, Category::parse("c59").unwrap());
    assert_eq!(last.index, 63);
    assert!(c.declared().contains(63));
}

#[test]
fn sixty_one_custom_categories_are_a_clear_error_not_a_silent_drop() {
    let e = with_custom(61).expect_err("61 custom categories do not fit");
    assert!(e.has("categories"), "{e}");
    assert_eq!(
        e.to_string(),
        "categories: at most 64 categories, the 4 built-in ones included: 60 custom ones, not 61"
    );
}
