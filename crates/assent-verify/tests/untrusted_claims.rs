//! ARCHITECTURE.md invariant 4: no product code outside assent-verify reads a token's claims before its
//! signature is checked. `UntrustedToken::untrusted_claims` exists for logging and debugging; this searches
//! every crate's `src/` for it (tests may inspect tokens, product code must verify them).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_code_outside_assent_verify_reads_unverified_claims() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let krate = krate.unwrap().path();
        let src = krate.join("src");
        if src.is_dir() && !krate.ends_with("assent-verify") {
            rust_files(&src, &mut files);
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("assent-server/src/tokens.rs")),
        "the search reached the server: {} files",
        files.len()
    );
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("untrusted_claims"),
            "{} reads unverified claims: verify the token (Verifier::verify or verify_at_issue_time)",
            file.display()
        );
    }
}
