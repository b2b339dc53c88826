//! `assent token mint|verify`.

use std::io::Read;
use std::path::{Path, PathBuf};

use assent_core::{Category, CategorySet};
use assent_server::keys::{KEY_SET_FILE, KeyDir, read_private_key};
use assent_verify::{
    ConsentClaims, KeySet, RecordId, Signals, SigningKey, SubjectId, Verifier, unix_now,
};
use clap::{Args, Subcommand};

use super::output::{CmdResult, Failure, Io, say};

/// Default token lifetime: 180 days.
const DEFAULT_TTL_SECS: u64 = 180 * 24 * 3600;
/// Largest key set document fetched from a URL.
const MAX_KEY_SET_BYTES: u64 = 1 << 20;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Sign a consent token and print it.
    Mint(MintArgs),
    /// Verify a token; print its claims as JSON (exit 0), or the reason it is invalid (exit 1).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    /// Private key file (PKCS#8 PEM, from `assent keygen`), or a key directory (its active key).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Granted categories, comma-separated: analytics, remarketing, marketing_email, or a custom category's
    /// index (4-63). Essential is always granted.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    categories: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TTL_SECS)]
    ttl: u64,
    /// Site id (1-64 visible ASCII characters).
    #[arg(long, value_name = "S", default_value = "localhost")]
    site: String,
    /// Subject id: 16 base64url characters (12 bytes). Random when omitted.
    #[arg(long, value_name = "ID")]
    subject: Option<String>,
    /// Record id (UUID). A new UUIDv7 when omitted.
    #[arg(long, value_name = "UUID")]
    record: Option<String>,
    /// Site config revision.
    #[arg(long, value_name = "N", default_value_t = 1)]
    revision: u32,
    /// Record that Do Not Track was seen.
    #[arg(long)]
    dnt: bool,
    /// Record that Global Privacy Control was seen.
    #[arg(long)]
    gpc: bool,
    /// Issue time in unix seconds (default: now).
    #[arg(long, value_name = "SECS")]
    issued_at: Option<u64>,
    /// The region whose rules applied (e.g. eu, us_states); makes a format version 2 token.
    #[arg(long, value_name = "NAME")]
    region: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The token, or `-` to read it from standard input.
    token: String,
    /// Public keys: a key set JSON file, a key directory, a file holding one base64url public key, or an
    /// http(s) URL of a key set (e.g. https://consent.example.com/.well-known/assent-keys.json).
    #[arg(long, value_name = "FILE_OR_URL")]
    keys: String,
    /// Check at this time (unix seconds) instead of now.
    #[arg(long, value_name = "SECS")]
    now: Option<u64>,
    /// Clock leeway in seconds.
    #[arg(long, value_name = "SECS", default_value_t = assent_verify::DEFAULT_LEEWAY_SECS)]
    leeway: u64,
    /// The site this backend serves: a valid token issued for another site is refused (`wrong_site`).
    #[arg(long, value_name = "SITE")]
    site: Option<String>,
}

pub(crate) fn run(cmd: TokenCommand, io: &mut Io<'_>) -> CmdResult {
    match cmd {
        TokenCommand::Mint(args) => mint(&args, io),
        TokenCommand::Verify(args) => verify(&args, io),
    }
}

fn load_signing_key(path: &Path) -> Result<SigningKey, Failure> {
    if path.is_dir() {
        KeyDir::load(path)
            .map(|k| k.signing_key().clone())
            .map_err(|e| Failure::error(e.to_string()))
    } else {
        read_private_key(path).map_err(|e| Failure::error(e.to_string()))
    }
}

fn parse_categories(list: &[String]) -> Result<CategorySet, Failure> {
    let mut set = CategorySet(1);
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let index = if let Ok(i) = item.parse::<u8>() {
            if i >= 64 {
                return Err(Failure::error(format!("category index {i} is over 63")));
            }
            i
        } else {
            let category = Category::parse(item)
                .map_err(|e| Failure::error(format!("category `{item}`: {e}")))?;
            category.builtin_index().ok_or_else(|| {
                Failure::error(format!(
                    "`{item}` is a custom category: give its index from the site config (4-63) instead"
                ))
            })?
        };
        set.insert(index);
    }
    Ok(set)
}

fn random_subject() -> Result<SubjectId, Failure> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(|e| Failure::error(format!("random: {e}")))?;
    Ok(SubjectId(bytes))
}

fn mint(args: &MintArgs, io: &mut Io<'_>) -> CmdResult {
    if args.ttl == 0 {
        return Err(Failure::error("--ttl must be at least 1 second"));
    }
    let key = load_signing_key(&args.key)?;
    let issued_at = args.issued_at.unwrap_or_else(unix_now);
    let subject_id = match &args.subject {
        Some(s) => s
            .parse()
            .map_err(|e| Failure::error(format!("--subject {s}: {e}")))?,
        None => random_subject()?,
    };
    let record_id = match &args.record {
        Some(r) => r
            .parse()
            .map_err(|e| Failure::error(format!("--record {r}: {e}")))?,
        None => RecordId(*uuid::Uuid::now_v7().as_bytes()),
    };
    let claims = ConsentClaims {
        record_id,
        subject_id,
        issued_at,
        expires_at: issued_at.saturating_add(args.ttl),
        config_revision: args.revision,
        granted: parse_categories(&args.categories)?,
        signals: Signals {
            dnt: args.dnt,
            gpc: args.gpc,
        },
        site_id: args.site.clone(),
        region: args.region.clone(),
    };
    let token = key
        .sign(&claims)
        .map_err(|e| Failure::error(format!("cannot mint: {e}")))?;
    say!(io.out, "{token}")
}

/// Reads a key set from a file, key directory or URL.
pub(crate) fn load_keys(source: &str) -> Result<KeySet, Failure> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        super::http::get(source, MAX_KEY_SET_BYTES)?.body
    } else {
        let mut path = PathBuf::from(source);
        if path.is_dir() {
            path.push(KEY_SET_FILE);
        }
        std::fs::read_to_string(&path)
            .map_err(|e| Failure::error(format!("{}: {e}", path.display())))?
    };
    let text = text.trim();
    let parsed = if text.starts_with('{') {
        KeySet::from_json(text)
    } else {
        KeySet::from_public_key_base64url(text)
    };
    parsed.map_err(|e| Failure::error(format!("{source}: {e}")))
}

fn verify(args: &VerifyArgs, io: &mut Io<'_>) -> CmdResult {
    let token = if args.token == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::error(format!("stdin: {e}")))?;
        s.trim().to_owned()
    } else {
        args.token.clone()
    };
    let keys = load_keys(&args.keys)?;
    let verifier = Verifier::new(keys).with_leeway(args.leeway);
    let now = args.now.unwrap_or_else(unix_now);
    let verified = match &args.site {
        Some(site) => verifier.verify_for_site(&token, site, now),
        None => verifier.verify(&token, now),
    }
    .map_err(|e| Failure::invalid(format!("invalid token ({}): {e}", e.code())))?;
    let mut json = verified.to_json();
    json["kid"] = verified.kid().to_string().into();
    json["categories"] = verified
        .granted
        .indices()
        .map(|i| match Category::BUILT_IN.get(usize::from(i)) {
            Some(c) => c.name().to_owned(),
            None => format!("custom#{i}"),
        })
        .collect::<Vec<_>>()
        .into();
    let pretty =
        serde_json::to_string_pretty(&json).map_err(|e| Failure::error(format!("json: {e}")))?;
    say!(io.out, "{pretty}")
}
