//! Property tests of the inline-config scanner (`src/html_scan.rs`): it never panics on any text, in
//! particular multi-byte characters next to the delimiters it looks for, and finds a config however its tag is
//! written. Runs in every `cargo test`; the cargo-fuzz target `html_config_scanner` in `fuzz/` explores further,
//! and `cargo xtask fuzz --target html_config_scanner` falls back to this harness (with `PROPTEST_CASES` scaled
//! to the time budget) when cargo-fuzz is unavailable.

use assent_server::sites::inline_configs;
use proptest::prelude::*;

/// `PROPTEST_CASES` when set (so `cargo xtask fuzz` can scale the run), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

/// Text made of the scanner's delimiters, multi-byte characters and tag fragments, so that random strings hit
/// its edge cases rather than plain letters.
fn tagish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<script".to_owned()),
        Just("</script>".to_owned()),
        Just(">".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just(" ".to_owned()),
        Just("/".to_owned()),
        Just("id=\"assent-config\"".to_owned()),
        Just("type=application/json".to_owned()),
        Just("é".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("😀".to_owned()),
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn check(html: &str) -> Result<(), TestCaseError> {
    for found in inline_configs(html) {
        prop_assert!(
            !found.to_ascii_lowercase().contains("</script"),
            "{found:?}"
        );
        prop_assert!(html.contains(found));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn never_panics_on_tag_like_text(html in tagish()) {
        check(&html)?;
    }

    #[test]
    fn never_panics_on_any_text(html in "\\PC{0,200}") {
        check(&html)?;
    }

    #[test]
    fn finds_the_config_whatever_comes_before_it(junk in "[^<>\"'=]{0,20}", body in "[a-z0-9{}:,]{0,20}") {
        // Junk attributes (with any characters) before the two that matter do not hide the config.
        let html = format!("<script {junk} id=\"assent-config\" type=\"application/json\">{body}</script>");
        prop_assume!(!junk.to_ascii_lowercase().contains("id") && !junk.to_ascii_lowercase().contains("type"));
        prop_assert_eq!(inline_configs(&html), vec![body.trim()]);
    }
}

#[test]
fn the_reported_start_up_panic_is_gone() {
    let html = "<script =\"x\"é id=\"assent-config\" type=\"application/json\">{}</script>";
    assert_eq!(inline_configs(html), vec!["{}"]);
}
