//! The messages the server sends itself: the double opt-in confirmation request (transactional: no
//! `List-Unsubscribe`) and the welcome message after confirmation (the first message of the list: marketing, so
//! it carries the one-click unsubscribe headers like every other list message must).

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MessageBuilder};

use super::address::EmailAddress;
use super::headers::{HeaderError, unsubscribe_headers};
use super::list::MailingList;
use super::secret::EmailKeys;
use super::texts;

/// Who sends, and what every message says about the sender.
#[derive(Clone, Debug)]
pub struct Sender {
    /// `From:` of every message.
    pub from: Mailbox,
    /// The sender's postal address, printed at the end of list messages (CAN-SPAM 15 USC 7704(a)(5)).
    pub postal_address: Option<String>,
    /// The server's public base URL (links in messages).
    pub public_url: String,
    /// A mailbox that processes unsubscribe requests, for the `mailto:` in `List-Unsubscribe`.
    pub unsubscribe_mailto: Option<EmailAddress>,
}

/// A message could not be built.
#[derive(Debug)]
pub struct MessageError(pub String);

impl core::fmt::Display for MessageError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "cannot build message: {}", self.0)
    }
}

impl std::error::Error for MessageError {}

impl From<HeaderError> for MessageError {
    fn from(e: HeaderError) -> MessageError {
        MessageError(e.to_string())
    }
}

/// The confirmation request. `confirm_url` is the single-use link; `valid_hours` how long it works; `language` the
/// subscription's (its built-in language, else English: [`texts::for_language`]).
pub fn confirmation_message(
    sender: &Sender,
    list: &MailingList,
    site: &str,
    to: &EmailAddress,
    confirm_url: &str,
    valid_hours: u64,
    language: Option<&str>,
) -> Result<Message, MessageError> {
    let t = texts::for_language(language);
    let hours = valid_hours.to_string();
    let body = t.fill(
        "confirm_body",
        &[
            ("list", &list.name),
            ("site", site),
            ("link", confirm_url),
            ("hours", &hours),
        ],
    );
    let subject = t.fill("confirm_subject", &[("list", &list.name)]);
    finish(Message::builder(), sender, to, subject, body)
}

/// The welcome message sent once a subscription is confirmed: a list message, with `List-Unsubscribe` and
/// `List-Unsubscribe-Post`, an unsubscribe link in the body and the sender's postal address; in the
/// subscription's `language` like the confirmation.
pub fn welcome_message(
    sender: &Sender,
    keys: &EmailKeys,
    list: &MailingList,
    to: &EmailAddress,
    now: u64,
    language: Option<&str>,
) -> Result<Message, MessageError> {
    let headers = unsubscribe_headers(
        keys,
        &sender.public_url,
        sender.unsubscribe_mailto.as_ref(),
        to,
        &list.id,
        now,
    )?;
    let t = texts::for_language(language);
    let mut body = t.fill(
        "welcome_body",
        &[("list", &list.name), ("link", &headers.url)],
    );
    if let Some(postal) = &sender.postal_address {
        body.push_str("\r\n-- \r\n");
        body.push_str(postal);
        body.push_str("\r\n");
    }
    finish(
        headers.apply(Message::builder()),
        sender,
        to,
        t.fill("welcome_subject", &[("list", &list.name)]),
        body,
    )
}

/// From, To, Subject, a `Message-ID` in the sender's domain, and a text/plain body: 7bit when it is ASCII (links
/// stay readable in the raw message), otherwise whatever encoding lettre finds best.
fn finish(
    builder: MessageBuilder,
    sender: &Sender,
    to: &EmailAddress,
    subject: String,
    body: String,
) -> Result<Message, MessageError> {
    let domain = sender.from.email.domain().to_owned();
    let crlf = body
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let seven_bit =
        crlf.is_ascii() && !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    let body = if seven_bit {
        // Valid 7bit (RFC 5322 §2.1.1: ASCII, CRLF, lines of at most 998 characters). lettre would pick
        // quoted-printable for lines over 76 characters, which breaks links for anyone reading the raw message.
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(crlf)
    };
    builder
        .from(sender.from.clone())
        .to(to.to_mailbox())
        .subject(subject)
        .message_id(Some(format!("<{}@{domain}>", uuid::Uuid::now_v7())))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| MessageError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::list::ListRegistry;

    fn sender() -> Sender {
        Sender {
            from: "News <news@example.com>".parse().unwrap(),
            postal_address: Some("1 Main St, Springfield".into()),
            public_url: "https://c.example.com".into(),
            unsubscribe_mailto: None,
        }
    }

    #[test]
    fn confirmation_is_transactional_and_welcome_is_a_list_message() {
        let reg = ListRegistry::default();
        let list = reg.get("newsletter").unwrap();
        let to = EmailAddress::parse("ann@example.com").unwrap();
        let confirm = confirmation_message(
            &sender(),
            list,
            "example.com",
            &to,
            "https://c.example.com/x",
            48,
            Some("en"),
        )
        .unwrap();
        let text = String::from_utf8(confirm.formatted()).unwrap();
        assert!(!text.contains("List-Unsubscribe"), "{text}");
        assert!(text.contains("\r\nhttps://c.example.com/x\r\n"), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: 7bit"), "{text}");
        assert!(
            text.contains("Message-ID: <") && text.contains("@example.com>"),
            "{text}"
        );
        assert!(text.contains("Content-Type: text/plain"), "{text}");

        // A non-ASCII list name: not 7bit, still a valid message.
        let reg =
            ListRegistry::from_json(r#"{"lists":[{"id":"cafe","name":"Café news"}]}"#).unwrap();
        let cafe = confirmation_message(
            &sender(),
            reg.get("cafe").unwrap(),
            "example.com",
            &to,
            "https://x/y",
            48,
            None,
        )
        .unwrap();
        let text = String::from_utf8(cafe.formatted()).unwrap();
        assert!(!text.contains("Content-Transfer-Encoding: 7bit"), "{text}");

        let keys = EmailKeys::from_secret(&[1; 32]);
        let welcome = welcome_message(&sender(), &keys, list, &to, 1_790_000_000, None).unwrap();
        let text = String::from_utf8(welcome.formatted()).unwrap();
        assert!(
            text.contains("List-Unsubscribe: <https://c.example.com/u/"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{text}"
        );
        assert!(text.contains("1 Main St, Springfield"), "{text}");
    }

    #[test]
    fn messages_are_in_the_subscription_language() {
        let reg = ListRegistry::default();
        let list = reg.get("newsletter").unwrap();
        let to = EmailAddress::parse("anna@example.de").unwrap();
        let confirm = confirmation_message(
            &sender(),
            list,
            "example.de",
            &to,
            "https://c.example.com/x",
            48,
            Some("de-AT"),
        )
        .unwrap();
        let subject = confirm
            .headers()
            .get_raw("Subject")
            .map(str::to_owned)
            .unwrap_or_default();
        assert_eq!(
            subject,
            "Bitte bestätigen Sie Ihr Abonnement von Newsletter"
        );

        let keys = EmailKeys::from_secret(&[1; 32]);
        let welcome =
            welcome_message(&sender(), &keys, list, &to, 1_790_000_000, Some("fr")).unwrap();
        let subject = welcome
            .headers()
            .get_raw("Subject")
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(subject.starts_with("Bienvenue"), "{subject}");
        // An unknown language is English, word for word.
        let welcome =
            welcome_message(&sender(), &keys, list, &to, 1_790_000_000, Some("tlh")).unwrap();
        let text = String::from_utf8(welcome.formatted()).unwrap();
        assert!(text.contains("Subject: Welcome to "), "{text}");
        assert!(text.contains("is confirmed. Thank you!"), "{text}");
    }
}
