//! Fuzz the HTML scanner that finds inline site configs (`--www` pages) at server start-up.
//!
//! Oracles: no panic (a panic stops the server from starting); every config found is a slice of the input
//! that sits inside a `<script …>…</script>` element, so it never contains the closing tag.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The scanner depends on nothing but std: include it rather than build the whole server under libFuzzer.
#[path = "../../crates/assent-server/src/html_scan.rs"]
mod html_scan;

fn check(html: &str) {
    for found in html_scan::inline_configs(html) {
        let start = found.as_ptr() as usize - html.as_ptr() as usize;
        assert!(start + found.len() <= html.len(), "not a slice of the input");
        assert!(!found.to_ascii_lowercase().contains("</script"), "{found:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
        // The same text inside a tag that names the config, to reach the attribute scanner more often.
        check(&format!("<script id=\"assent-config\" {text}>{{}}</script>"));
        check(&format!("<script {text} type=application/json id=assent-config>{{}}</script>"));
    }
});
