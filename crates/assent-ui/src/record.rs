//! Consent records sent to the consent server (`POST {endpoint}/v1/consents`). Plain Rust, tested natively.
//!
//! The body is written by hand (no serde in the browser build):
//!
//! ```json
//! {"site": "shop.example", "revision": 3, "categories": {"analytics": true, "remarketing": false},
//!  "signals": {"dnt": false, "gpc": true}, "language": "en", "method": "banner",
//!  "notice_hash": "<64 hex>", "subject": "<22 chars base64url>", "decided_at": 1764000000, "sdk_version": "0.1.0"}
//! ```

use assent_core::state::ConsentState;
use assent_core::text::{push_json_str, push_u64};

use crate::model::CategoryView;

/// The SDK version sent in records.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Most records kept for retry while the server is unreachable; the oldest is dropped first.
pub const MAX_QUEUE: usize = 20;

pub use assent_dom::keys::{PROOF as PROOF_KEY, QUEUE as QUEUE_KEY, SUBJECT as SUBJECT_KEY};

/// Most bytes the retry queue may hold (a record is about 300 B); beyond it the oldest go first.
pub const MAX_QUEUE_BYTES: usize = 16 * 1024;

/// What a record says beyond the stored state.
#[derive(Clone, Debug)]
pub struct RecordContext<'a> {
    /// `config.site`, or the page's host name.
    pub site: &'a str,
    pub language: &'a str,
    /// 64 lowercase hex characters.
    pub notice_hash: &'a str,
    pub subject: Option<&'a str>,
    /// The region whose rules applied, when the site uses regions.
    pub region: Option<&'a str>,
}

/// The JSON body of one record for a stored choice: every non-essential category of the config with its state,
/// the signals and method stored with the choice.
pub fn body(categories: &[CategoryView], state: &ConsentState, ctx: &RecordContext<'_>) -> String {
    let mut s = String::with_capacity(320);
    s.push_str("{\"site\":");
    push_json_str(&mut s, ctx.site);
    s.push_str(",\"revision\":");
    push_u64(&mut s, u64::from(state.revision));
    s.push_str(",\"categories\":{");
    let mut first = true;
    for c in categories {
        if c.name == "essential" {
            continue;
        }
        if !first {
            s.push(',');
        }
        first = false;
        push_json_str(&mut s, &c.name);
        s.push(':');
        s.push_str(if state.granted.contains(c.index) {
            "true"
        } else {
            "false"
        });
    }
    let flag = |on: bool| if on { "true" } else { "false" };
    s.push_str("},\"signals\":{\"dnt\":");
    s.push_str(flag(state.signals.dnt));
    s.push_str(",\"gpc\":");
    s.push_str(flag(state.signals.gpc));
    s.push_str("},\"language\":");
    push_json_str(&mut s, ctx.language);
    s.push_str(",\"method\":");
    push_json_str(&mut s, state.method.as_str());
    if let Some(region) = ctx.region {
        s.push_str(",\"region\":");
        push_json_str(&mut s, region);
    }
    s.push_str(",\"notice_hash\":");
    push_json_str(&mut s, ctx.notice_hash);
    if let Some(subject) = ctx.subject {
        s.push_str(",\"subject\":");
        push_json_str(&mut s, subject);
    }
    s.push_str(",\"decided_at\":");
    push_u64(&mut s, state.decided_at);
    s.push_str(",\"sdk_version\":");
    push_json_str(&mut s, SDK_VERSION);
    s.push('}');
    s
}

/// `{endpoint}/v1/consents` (one slash between).
pub fn consents_url(endpoint: &str) -> String {
    let mut url = assent_core::text::trim_end_byte(endpoint, b'/').to_owned();
    url.push_str("/v1/consents");
    url
}

/// What to do with a queued record after the server answered with `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (2xx): remove from the queue, keep the token.
    Stored,
    /// Refused for good (4xx except 429): remove from the queue and report.
    Refused,
    /// Try again later (429, 5xx, anything else).
    Retry,
}

/// Classifies a response status.
pub fn outcome(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Stored,
        429 => Outcome::Retry,
        400..=499 => Outcome::Refused,
        _ => Outcome::Retry,
    }
}

/// Adds a record to the retry queue, dropping the oldest ones beyond the bounds.
pub fn enqueue(queue: &mut Vec<String>, body: String) {
    if queue.contains(&body) {
        return;
    }
    queue.push(body);
    bound_queue(queue);
}

/// Keeps the retry queue within [`MAX_QUEUE`] entries and [`MAX_QUEUE_BYTES`] bytes, oldest dropped first, and
/// drops entries no live record could be: over 2 KiB (a live one is about 300 B with a few categories; a page
/// writing into `assent.queue` cannot make the SDK post more than it would itself).
pub fn bound_queue(queue: &mut Vec<String>) {
    queue.retain(|b| b.len() <= 2048 && b.starts_with("{\"site\":"));
    let mut bytes: usize = queue.iter().map(String::len).sum();
    while queue.len() > MAX_QUEUE || bytes > MAX_QUEUE_BYTES {
        bytes -= queue.remove(0).len();
    }
}

/// The queue as stored in localStorage: a JSON array of the record objects.
pub fn queue_json(queue: &[String]) -> String {
    let mut s = String::from("[");
    for (i, body) in queue.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(body);
    }
    s.push(']');
    s
}

/// Whether a subject id is what the contract says: 22 characters of base64url (16 bytes), the rule of
/// `assent_core::fields`.
pub fn is_subject(s: &str) -> bool {
    assent_core::fields::is_subject_id(s)
}

/// Seconds the token cookie should live: until `expires_at`, at most 13 months; `None` when already expired.
pub fn token_max_age(expires_at: u64, now: u64) -> Option<u64> {
    let left = expires_at.checked_sub(now).filter(|s| *s > 0)?;
    Some(left.min(u64::from(assent_core::config::MAX_DAYS) * 86_400))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use assent_core::{CategorySet, Method, Signals};

    fn categories() -> Vec<CategoryView> {
        let view = |name: &str, index: u8| CategoryView {
            name: name.into(),
            index,
            ..CategoryView::default()
        };
        vec![
            view("essential", 0),
            view("analytics", 1),
            view("remarketing", 2),
            view("functional", 4),
        ]
    }

    #[test]
    fn body_lists_every_non_essential_category_and_escapes() {
        let c = categories();
        let mut granted = CategorySet::EMPTY;
        granted.insert(0);
        granted.insert(1);
        let state = ConsentState {
            revision: 3,
            decided_at: 1_764_000_000,
            presented: granted,
            granted,
            signals: Signals {
                dnt: false,
                gpc: true,
            },
            method: Method::Banner,
            region: None,
        };
        let ctx = RecordContext {
            site: "shop.\"x\"",
            language: "de",
            notice_hash: "ab",
            subject: Some("s"),
            region: None,
        };
        let b = body(&c, &state, &ctx);
        assert_eq!(
            b,
            "{\"site\":\"shop.\\\"x\\\"\",\"revision\":3,\"categories\":{\"analytics\":true,\"remarketing\":false,\
             \"functional\":false},\"signals\":{\"dnt\":false,\"gpc\":true},\"language\":\"de\",\"method\":\"banner\",\
             \"notice_hash\":\"ab\",\"subject\":\"s\",\"decided_at\":1764000000,\"sdk_version\":\"0.1.0\"}"
        );
        // The body is valid JSON by the core reader.
        assert!(assent_core::json::parse(&b).is_ok());
        let no_subject = RecordContext {
            subject: None,
            ..ctx
        };
        assert!(!body(&c, &state, &no_subject).contains("subject"));
        let in_region = RecordContext {
            region: Some("us_states"),
            ..ctx
        };
        assert!(
            body(&c, &state, &in_region)
                .contains(",\"method\":\"banner\",\"region\":\"us_states\",")
        );
    }

    #[test]
    fn outcomes_follow_the_contract() {
        assert_eq!(outcome(201), Outcome::Stored);
        assert_eq!(outcome(400), Outcome::Refused);
        assert_eq!(outcome(422), Outcome::Refused);
        assert_eq!(outcome(429), Outcome::Retry);
        assert_eq!(outcome(500), Outcome::Retry);
        assert_eq!(outcome(503), Outcome::Retry);
        assert_eq!(outcome(0), Outcome::Retry);
    }

    #[test]
    fn queue_is_bounded_and_deduplicated() {
        let mut q = Vec::new();
        for i in 0..(MAX_QUEUE + 5) {
            enqueue(&mut q, format!("{{\"site\":\"s\",\"n\":{i}}}"));
        }
        assert_eq!(q.len(), MAX_QUEUE);
        assert_eq!(q[0], "{\"site\":\"s\",\"n\":5}");
        enqueue(&mut q, "{\"site\":\"s\",\"n\":24}".into());
        assert_eq!(q.len(), MAX_QUEUE);
        assert!(assent_core::json::parse(&queue_json(&q)).is_ok());
        assert_eq!(queue_json(&[]), "[]");
    }

    #[test]
    fn queue_drops_what_no_live_record_would_be_and_caps_bytes() {
        let mut q = vec![
            "{\"evil\":1}".to_string(),
            format!("{{\"site\":\"{}\"}}", "x".repeat(3000)),
            "{\"site\":\"ok\"}".to_string(),
        ];
        bound_queue(&mut q);
        assert_eq!(q, ["{\"site\":\"ok\"}"]);
        let big = format!("{{\"site\":\"{}\"}}", "y".repeat(1500));
        let mut q = vec![big; 15];
        bound_queue(&mut q);
        assert!(q.iter().map(String::len).sum::<usize>() <= MAX_QUEUE_BYTES);
        assert_eq!(q.len(), MAX_QUEUE_BYTES / 1512);
    }

    #[test]
    fn urls_subjects_and_token_lifetime() {
        assert_eq!(
            consents_url("https://c.example/"),
            "https://c.example/v1/consents"
        );
        assert_eq!(consents_url("/consent"), "/consent/v1/consents");
        assert!(is_subject(&assent_core::base64url::encode(&[7; 16])));
        assert!(!is_subject("short"));
        assert!(!is_subject(&assent_core::base64url::encode(&[7; 17])));
        assert_eq!(token_max_age(1_000, 400), Some(600));
        assert_eq!(token_max_age(400, 400), None);
        assert_eq!(token_max_age(10, 400), None);
        assert_eq!(token_max_age(u64::MAX, 0), Some(395 * 86_400));
    }
}
