//! The config reference: every field a site config may contain.
//!
//! This table is the single source of truth. The reader refuses any key that is not listed here, and README.md's
//! config reference is generated from it (a test checks README.md carries exactly this text), so the documentation
//! cannot drift from what the code accepts.

/// One documented config field.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Dotted path; `<name>` stands for a category name, `<lang>` for a language tag, `<key>` for a UI text key.
    pub path: &'static str,
    /// The JSON type and allowed values.
    pub kind: &'static str,
    /// The default when absent (`required` when it must be given).
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

/// Every config field.
pub const FIELDS: &[Field] = &[
    Field {
        path: "revision",
        kind: "integer ≥ 1",
        default: "required",
        doc: "Version of your notice and purposes. Raise it when purposes change: every visitor with an older choice is asked again.",
    },
    Field {
        path: "mode",
        kind: "`\"opt-in\"` \\| `\"opt-out\"`",
        default: "`\"opt-in\"`",
        doc: "Opt-in (GDPR/ePrivacy): non-essential categories are denied until the visitor chooses. Opt-out (US state laws): granted by default unless a honoured signal or the visitor says otherwise.",
    },
    Field {
        path: "site",
        kind: "string",
        default: "the page's host name",
        doc: "Site id carried in consent records and tokens.",
    },
    Field {
        path: "policy_url",
        kind: "string (http(s) URL or path)",
        default: "required",
        doc: "Link to your privacy policy, shown on the banner. `javascript:`, `data:` and other schemes are refused.",
    },
    Field {
        path: "reconsent_days",
        kind: "integer 1–395",
        default: "`182`",
        doc: "A choice is kept this many days, then the visitor is asked again (CNIL recommends about 6 months; 13 months at most).",
    },
    Field {
        path: "reload_on_withdraw",
        kind: "boolean",
        default: "`false`",
        doc: "Reload the page after a withdrawal, so scripts that already ran stop.",
    },
    Field {
        path: "activate_added_elements",
        kind: "boolean",
        default: "`true`",
        doc: "Also activate blocked scripts and embeds added to the page after its HTML was parsed. Set `false` on pages that insert untrusted HTML: then only elements in the page's own HTML are activated (see Content Security Policy).",
    },
    Field {
        path: "endpoint",
        kind: "string (URL or `/path`)",
        default: "none",
        doc: "Consent server base URL. When set, each choice is recorded there and a signed token is stored in a cookie.",
    },
    Field {
        path: "cookie.name",
        kind: "string",
        default: "`\"assent\"`",
        doc: "Name of the first-party cookie holding the visitor's choice.",
    },
    Field {
        path: "cookie.domain",
        kind: "string",
        default: "current host only",
        doc: "Cookie domain, e.g. `example.com` to share the choice across subdomains.",
    },
    Field {
        path: "cookie.max_age_days",
        kind: "integer 1–395",
        default: "`reconsent_days`",
        doc: "Lifetime of the choice cookie; at most 13 months.",
    },
    Field {
        path: "signals.dnt",
        kind: "`\"honor\"` \\| `\"ignore\"`",
        default: "`\"honor\"`",
        doc: "Whether Do Not Track denies `signals.dnt_categories` by default. Use `ignore` if your policy says you do not respond to DNT.",
    },
    Field {
        path: "signals.dnt_categories",
        kind: "array of category names",
        default: "`[\"analytics\", \"remarketing\"]`",
        doc: "Categories a honoured DNT signal denies by default.",
    },
    Field {
        path: "signals.gpc",
        kind: "`\"honor\"` \\| `\"ignore\"`",
        default: "`\"honor\"`",
        doc: "Whether Global Privacy Control denies every category marked `sale_or_share`; the banner then shows \"Opt-Out Request Honored\".",
    },
    Field {
        path: "consent_mode.enabled",
        kind: "boolean",
        default: "`false`",
        doc: "Drive Google Consent Mode v2: `consent default` before any Google tag, `consent update` after each decision.",
    },
    Field {
        path: "consent_mode.wait_for_update",
        kind: "integer 0–10000 (ms)",
        default: "`500`",
        doc: "`wait_for_update` in the default command.",
    },
    Field {
        path: "consent_mode.region",
        kind: "array of ISO 3166 codes",
        default: "`[]` (everywhere)",
        doc: "Limit the default command to these regions, e.g. `[\"DE\", \"US-CA\"]`.",
    },
    Field {
        path: "consent_mode.ads_data_redaction",
        kind: "boolean",
        default: "`false`",
        doc: "`gtag('set', 'ads_data_redaction', true)`: redact ad click ids while `ad_storage` is denied.",
    },
    Field {
        path: "consent_mode.url_passthrough",
        kind: "boolean",
        default: "`false`",
        doc: "`gtag('set', 'url_passthrough', true)`: pass click ids through URLs instead of cookies.",
    },
    Field {
        path: "categories",
        kind: "object: name → category",
        default: "required",
        doc: "The purposes you ask consent for, in display order. Built in: `essential` (always on; added if absent), `analytics`, `remarketing`, `marketing_email`; any other name (`a-z0-9_`) is a custom category. Append new custom categories at the end: their position is their id in tokens. At most 64 categories, the four built-in ones included: 60 custom ones.",
    },
    Field {
        path: "categories.<name>.title",
        kind: "string or object lang → string",
        default: "built-in for core categories; required for custom",
        doc: "Title shown next to the switch.",
    },
    Field {
        path: "categories.<name>.description",
        kind: "string or object lang → string",
        default: "built-in for core categories; empty for custom",
        doc: "What the category is used for.",
    },
    Field {
        path: "categories.<name>.default",
        kind: "boolean",
        default: "`false` in opt-in, `true` in opt-out",
        doc: "Granted before any choice. Must be `false` in opt-in mode (no pre-ticked boxes).",
    },
    Field {
        path: "categories.<name>.cookies",
        kind: "array of cookie names, `*` at the end for a prefix",
        default: "`[]`",
        doc: "Cookies deleted (on this host and every parent domain) when the category is rejected or withdrawn, e.g. `[\"_ga\", \"_ga_*\", \"_gid\"]`.",
    },
    Field {
        path: "categories.<name>.local_storage",
        kind: "array of keys, `*` at the end for a prefix",
        default: "`[]`",
        doc: "localStorage keys removed on reject or withdrawal.",
    },
    Field {
        path: "categories.<name>.consent_mode",
        kind: "array of Consent Mode types",
        default: "analytics → `analytics_storage`; remarketing → `ad_storage`, `ad_user_data`, `ad_personalization`; essential → `security_storage`; others none",
        doc: "Consent Mode v2 types this category grants. A type is granted only when every category mapping it is granted.",
    },
    Field {
        path: "categories.<name>.sale_or_share",
        kind: "boolean",
        default: "`true` for remarketing and marketing_email, else `false`",
        doc: "Counts as a sale/sharing of personal data: denied by a honoured GPC signal.",
    },
    Field {
        path: "languages",
        kind: "array of language tags",
        default: "every built-in language and every language in `translations`",
        doc: "The languages the banner may be shown in. The visitor's `navigator.languages` picks one (full tag, then base language: `en-GB` → `en`, `pt-PT` → `pt`, `zh-TW` → `zh-Hant`), then `default_language`, then `en`. A tag you do not translate yourself stands for its built-in language, as a visitor's does (`en-US` → `en`, `zh-CN` → `zh-Hans`).",
    },
    Field {
        path: "default_language",
        kind: "language tag",
        default: "`en`",
        doc: "The language shown when none of the visitor's languages is offered (`de-AT` stands for `de`, as in `languages`).",
    },
    Field {
        path: "translations",
        kind: "object: lang → texts",
        default: "38 languages built in",
        doc: "Your own interface texts per language (BCP 47 tag), overriding the built-in ones key by key; a language that is not built in needs every key.",
    },
    Field {
        path: "translations.<lang>.<key>",
        kind: "string",
        default: "the built-in text for built-in languages; required for others",
        doc: "Keys: `title`, `description`, `accept_all`, `reject_all`, `preferences`, `preferences_title`, `preferences_description`, `save`, `close`, `policy_link`, `always_on`, `gpc_honored`, `embed_blocked`, `embed_load`, `do_not_sell` (the link of an opt-out region's notice), `notice_description` (that notice's text; a language that is not built in may leave it out and shows its `description` there).",
    },
    Field {
        path: "regions",
        kind: "object: region name → region",
        default: "none (one policy everywhere: `mode`)",
        doc: "Rules by place (see Regions). A region named `eu`, `us_states` or `default` is that preset unless it says otherwise: `\"regions\": {\"eu\": {}, \"us_states\": {}, \"default\": {}}`. The visitor's place picks one (`data-region` on the script tag, else the consent server's `GET /v1/region`); unknown → the strictest region. Names as category names (`a-z0-9_`); the first region that lists a place wins; at most 32 regions.",
    },
    Field {
        path: "regions.<region>.places",
        kind: "preset name, or array of ISO 3166 codes",
        default: "the preset's (required for a region not named after one)",
        doc: "Where the region applies: `\"eu\"`, `\"us_states\"`, `\"default\"` (everywhere no other region claims) or codes such as `[\"DE\", \"US-CA\"]` (a subdivision beats its country).",
    },
    Field {
        path: "regions.<region>.mode",
        kind: "`\"opt-in\"` \\| `\"opt-out\"`",
        default: "the preset's, else `mode`",
        doc: "As the top-level `mode`, in this region.",
    },
    Field {
        path: "regions.<region>.show",
        kind: "`\"banner\"` \\| `\"notice\"` \\| `\"none\"`",
        default: "the preset's while its `mode` is kept, else `banner` (opt-in) / `notice` (opt-out)",
        doc: "Before a choice: the banner; a non-blocking notice with a \"Do Not Sell or Share My Personal Information\" link to the preferences (and \"Opt-Out Request Honored\" when GPC is honoured); or nothing. An opt-in region cannot show the notice (it has no accept button).",
    },
    Field {
        path: "regions.<region>.defaults",
        kind: "object: category → boolean",
        default: "opt-out: each category's `default` (granted when `mode` is opt-in); opt-in: all `false`",
        doc: "Granted before any choice in this region. `true` is refused in an opt-in region (no pre-ticked boxes).",
    },
    Field {
        path: "regions.<region>.signals.gpc",
        kind: "`\"honor\"` \\| `\"ignore\"`",
        default: "`signals.gpc`",
        doc: "Global Privacy Control in this region. \"Opt-Out Request Honored\" is shown only in opt-out regions.",
    },
    Field {
        path: "regions.<region>.signals.dnt",
        kind: "`\"honor\"` \\| `\"ignore\"`",
        default: "`signals.dnt`",
        doc: "Do Not Track in this region (denies `signals.dnt_categories` by default).",
    },
    Field {
        path: "regions.<region>.gpp",
        kind: "boolean",
        default: "`true` for the `us_states` preset, else `false`",
        doc: "Offer the IAB Global Privacy Platform API (`window.__gpp`, section 7 `usnat`) in this region: its opt-outs follow the categories marked `sale_or_share`, its `Gpc` the browser's signal. Visitors of other regions download none of it.",
    },
    Field {
        path: "regions.<region>.mspa_covered_transaction",
        kind: "boolean",
        default: "`false`",
        doc: "`usnat` `MspaCoveredTransaction`: the site signed the IAB Multi-State Privacy Agreement and this is a covered transaction.",
    },
    Field {
        path: "regions.<region>.mspa_opt_out_option_mode",
        kind: "boolean",
        default: "`false`",
        doc: "`usnat` `MspaOptOutOptionMode` (needs `mspa_covered_transaction`; excludes service provider mode).",
    },
    Field {
        path: "regions.<region>.mspa_service_provider_mode",
        kind: "boolean",
        default: "`false`",
        doc: "`usnat` `MspaServiceProviderMode` (needs `mspa_covered_transaction`; excludes opt-out option mode).",
    },
];

/// The paths of [`FIELDS`], in the same order (a test checks it). The reader uses this list, so the browser build
/// does not carry the documentation texts of [`FIELDS`] (about 5 KB).
const PATHS: &[&str] = &[
    "revision",
    "mode",
    "site",
    "policy_url",
    "reconsent_days",
    "reload_on_withdraw",
    "activate_added_elements",
    "endpoint",
    "cookie.name",
    "cookie.domain",
    "cookie.max_age_days",
    "signals.dnt",
    "signals.dnt_categories",
    "signals.gpc",
    "consent_mode.enabled",
    "consent_mode.wait_for_update",
    "consent_mode.region",
    "consent_mode.ads_data_redaction",
    "consent_mode.url_passthrough",
    "categories",
    "categories.<name>.title",
    "categories.<name>.description",
    "categories.<name>.default",
    "categories.<name>.cookies",
    "categories.<name>.local_storage",
    "categories.<name>.consent_mode",
    "categories.<name>.sale_or_share",
    "languages",
    "default_language",
    "translations",
    "translations.<lang>.<key>",
    "regions",
    "regions.<region>.places",
    "regions.<region>.mode",
    "regions.<region>.show",
    "regions.<region>.defaults",
    "regions.<region>.signals.gpc",
    "regions.<region>.signals.dnt",
    "regions.<region>.gpp",
    "regions.<region>.mspa_covered_transaction",
    "regions.<region>.mspa_opt_out_option_mode",
    "regions.<region>.mspa_service_provider_mode",
];

/// The config reference as a Markdown table (embedded in README.md).
pub fn markdown() -> String {
    let mut out = String::from("| Field | Type | Default | Meaning |\n|---|---|---|---|\n");
    for f in FIELDS {
        out.push_str("| `");
        out.push_str(f.path);
        out.push_str("` | ");
        out.push_str(f.kind);
        out.push_str(" | ");
        out.push_str(f.default);
        out.push_str(" | ");
        out.push_str(f.doc);
        out.push_str(" |\n");
    }
    out
}

/// The keys allowed directly under an object whose path is `prefix` (`""` for the top level), derived from
/// [`FIELDS`]. Wildcard segments are matched by the caller passing `<name>` / `<lang>` in the prefix.
/// Each key once, in reference order. (A plain loop: the browser build carries no iterator adapters for it.)
pub(crate) fn allowed_keys(prefix: &str) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for path in PATHS {
        let rest = if prefix.is_empty() {
            Some(*path)
        } else {
            path.strip_prefix(prefix).and_then(|r| r.strip_prefix('.'))
        };
        let Some(rest) = rest else { continue };
        let key = crate::text::split_first_byte(rest, b'.').0;
        if !key.starts_with('<') && keys.last() != Some(&key) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_fields() {
        let from_fields: Vec<&str> = FIELDS.iter().map(|f| f.path).collect();
        assert_eq!(from_fields, PATHS);
    }
}
