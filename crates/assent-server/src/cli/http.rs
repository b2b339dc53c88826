//! HTTP GET for commands that read a document from a URL (`token verify --keys`, `check`).

use std::time::Duration;

use super::output::Failure;

/// A fetched document.
pub(crate) struct Fetched {
    pub(crate) body: String,
    /// The `content-type` header, lower-cased (empty when absent).
    pub(crate) content_type: String,
}

/// Fetches `url` (10 s overall timeout, at most `limit` bytes). A non-2xx status, a network error or a body over
/// the limit is a failure (exit 2) naming the URL.
pub(crate) fn get(url: &str, limit: u64) -> Result<Fetched, Failure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| Failure::error(format!("{url}: {e}")))?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .map_err(|e| Failure::error(format!("{url}: {e}")))?;
    Ok(Fetched { body, content_type })
}
