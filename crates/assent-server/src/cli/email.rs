//! `assent email headers` and the e-mail flags of `assent serve` (manual: `docs/email.md`).

use std::path::PathBuf;

use assent_server::email::{EmailAddress, EmailKeys, EmailOptions, ListId, unsubscribe_headers};
use clap::{Args, Subcommand};

use super::defaults::{DEFAULT_KEYS, DEFAULT_LISTEN};
use super::output::{CmdResult, Failure, Io, say};

#[derive(Debug, Subcommand)]
pub(crate) enum EmailCommand {
    /// Print the one-click unsubscribe headers (RFC 2369 + RFC 8058) to add to a marketing message.
    Headers(HeadersArgs),
}

#[derive(Debug, Args)]
pub(crate) struct HeadersArgs {
    /// The recipient's address.
    #[arg(long, value_name = "ADDRESS")]
    to: String,
    /// The list the message is from.
    #[arg(long, value_name = "LIST")]
    list: String,
    /// The server's public base URL [default: http://127.0.0.1:8080, the address `assent serve` listens on].
    #[arg(long, env = "ASSENT_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Key directory (holds the e-mail secret) [default: ./data/keys, as `assent serve`].
    #[arg(long, env = "ASSENT_KEYS", value_name = "DIR")]
    keys: Option<PathBuf>,
    /// A mailbox that processes unsubscribe e-mails: adds a mailto: URI to List-Unsubscribe.
    #[arg(long, env = "ASSENT_UNSUBSCRIBE_MAILTO", value_name = "ADDRESS")]
    mailto: Option<String>,
}

pub(crate) fn run(cmd: EmailCommand, io: &mut Io<'_>) -> CmdResult {
    match cmd {
        EmailCommand::Headers(args) => headers(args, io),
    }
}

fn headers(args: HeadersArgs, io: &mut Io<'_>) -> CmdResult {
    let to = EmailAddress::parse(&args.to).map_err(|e| Failure::error(format!("--to: {e}")))?;
    let list = ListId::new(&args.list).map_err(|e| Failure::error(format!("--list: {e}")))?;
    let mailto = match &args.mailto {
        Some(m) => {
            Some(EmailAddress::parse(m).map_err(|e| Failure::error(format!("--mailto: {e}")))?)
        }
        None => None,
    };
    let public_url = args
        .public_url
        .unwrap_or_else(|| format!("http://{DEFAULT_LISTEN}"));
    let dir = args.keys.unwrap_or_else(|| PathBuf::from(DEFAULT_KEYS));
    let keys = EmailKeys::load_or_create(&dir)
        .map_err(|e| Failure::error(format!("--keys {}: {e}", dir.display())))?;
    let now = assent_verify::unix_now();
    let h = unsubscribe_headers(&keys, &public_url, mailto.as_ref(), &to, &list, now)
        .map_err(|e| Failure::error(format!("--{e}")))?;
    if !h.url.starts_with("https://") {
        say!(
            io.err,
            "assent: note: mailbox providers accept only https:// one-click unsubscribe URLs"
        )?;
    }
    say!(io.out, "List-Unsubscribe: {}", h.list_unsubscribe)?;
    say!(io.out, "List-Unsubscribe-Post: {}", h.list_unsubscribe_post)
}

/// The e-mail flags of `assent serve`.
#[derive(Debug, Args)]
pub(crate) struct EmailServeArgs {
    /// SMTP server for outgoing mail: smtp://HOST:PORT (plain), smtp://HOST:587?tls=required (STARTTLS),
    /// smtps://USER:PASSWORD@HOST:465. Without it, messages are written as .eml files to --outbox.
    #[arg(long, env = "ASSENT_SMTP", value_name = "URL")]
    smtp: Option<String>,
    /// Directory for .eml files when no --smtp is given [default: ./data/outbox].
    #[arg(long, env = "ASSENT_OUTBOX", value_name = "DIR")]
    outbox: Option<PathBuf>,
    /// From: of the messages the server sends [default: Assent <no-reply@localhost>].
    #[arg(long = "email-from", env = "ASSENT_EMAIL_FROM", value_name = "MAILBOX")]
    from: Option<String>,
    /// This server's public base URL, for links in e-mail [default: http://<listen address>].
    #[arg(long = "public-url", env = "ASSENT_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Mailing lists (JSON: {"lists":[{"id","name","click_urls"}]}) [default: one list, newsletter].
    #[arg(long = "email-lists", env = "ASSENT_EMAIL_LISTS", value_name = "FILE")]
    lists: Option<PathBuf>,
    /// The sender's postal address, printed in list messages (CAN-SPAM).
    #[arg(
        long = "email-postal-address",
        env = "ASSENT_EMAIL_POSTAL_ADDRESS",
        value_name = "TEXT"
    )]
    postal_address: Option<String>,
    /// A mailbox that processes unsubscribe e-mails, for the mailto: of List-Unsubscribe.
    #[arg(
        long = "unsubscribe-mailto",
        env = "ASSENT_UNSUBSCRIBE_MAILTO",
        value_name = "ADDRESS"
    )]
    unsubscribe_mailto: Option<String>,
    /// Subscribe requests per client (IPv4 address, IPv6 /64) per hour; 0 = unlimited [default: 10].
    #[arg(
        long = "subscribe-limit",
        env = "ASSENT_SUBSCRIBE_LIMIT",
        value_name = "N"
    )]
    per_client: Option<u32>,
    /// Confirmation messages per address per day; 0 = unlimited [default: 3].
    #[arg(
        long = "subscribe-limit-per-address",
        env = "ASSENT_SUBSCRIBE_LIMIT_PER_ADDRESS",
        value_name = "N"
    )]
    per_address: Option<u32>,
}

impl EmailServeArgs {
    /// The options, defaults filled in.
    pub(crate) fn into_options(self) -> EmailOptions {
        let d = EmailOptions::default();
        EmailOptions {
            smtp: self.smtp.filter(|s| !s.is_empty()),
            outbox: self.outbox.unwrap_or(d.outbox),
            from: self.from.unwrap_or(d.from),
            public_url: self.public_url.filter(|s| !s.is_empty()),
            lists_file: self.lists,
            postal_address: self.postal_address,
            unsubscribe_mailto: self.unsubscribe_mailto,
            per_client_per_hour: self.per_client.unwrap_or(d.per_client_per_hour),
            per_address_per_day: self.per_address.unwrap_or(d.per_address_per_day),
            ..d
        }
    }
}
