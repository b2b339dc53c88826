//! Languages: messages and pages in the language recorded with the subscription.

use crate::smtp::{SmtpServer, body, header, link_after};
use crate::support::{NOTICE, Reply, Server, start};

// Languages: messages and pages in the language recorded with the subscription.

/// Standard base64 (RFC 4648 §4), whitespace ignored.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let v = ALPHABET.iter().position(|a| *a == b).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7): soft line breaks and `=XX` octets.
fn quoted_printable_decode(text: &str) -> Vec<u8> {
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 3 <= bytes.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
fn decoded_header(message: &str, name: &str) -> String {
    let value = header(message, name).unwrap_or_else(|| panic!("no {name} header"));
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        let encoded = parts.len() == 5 && parts[0] == "=" && parts[4] == "=";
        // RFC 2047 §6.2: white space between two encoded words is not part of the text.
        let joined = encoded && previous_encoded;
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        if encoded {
            let bytes = if parts[2].eq_ignore_ascii_case("b") {
                base64_decode(parts[3])
            } else {
                quoted_printable_decode(&parts[3].replace('_', " "))
            };
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else {
            out.push_str(word);
        }
        previous_encoded = encoded;
    }
    out
}

/// The text of a received message's body, whatever its transfer encoding.
fn decoded_body(message: &str) -> String {
    let raw = message.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let encoding = header(message, "Content-Transfer-Encoding").unwrap_or_default();
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64_decode(raw),
        "quoted-printable" => quoted_printable_decode(raw),
        _ => raw.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).unwrap()
}

fn subscribe_in(server: &Server, email: &str, language: &str) -> Reply {
    let body = serde_json::json!({
        "email": email, "list": "newsletter", "site": "news.example", "notice_hash": NOTICE, "language": language,
    });
    server.request(
        "POST",
        "/v1/subscriptions",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

#[test]
fn a_german_subscription_gets_german_messages_and_pages() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    let email = "anna@mail.example";

    // The browser sent `de-DE` (the banner's language): the confirmation is German, subject and body.
    let r = subscribe_in(&server, email, "de-DE");
    assert_eq!(r.status, 202, "{}", r.body);
    let confirmation = smtp.wait_for(email, "Subject:");
    assert_eq!(
        decoded_header(&confirmation.data, "Subject"),
        "Bitte bestätigen Sie Ihr Abonnement von The Example Newsletter"
    );
    let text = decoded_body(&confirmation.data);
    assert!(
        text.contains("jemand, hoffentlich Sie, hat beantragt, diese Adresse für „The Example Newsletter“ auf news.example anzumelden."),
        "{text}"
    );
    assert!(text.contains("ist 48 Stunden gültig"), "{text}");
    assert!(!text.contains("Hello"), "{text}");
    let link = link_after(
        &text,
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );

    // The confirmation page (after the button's POST) is German too, marked as such.
    let page = server.confirm(&link);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<html lang=\"de\" dir=\"ltr\">"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<h1>Abonnement bestätigt</h1>"),
        "{}",
        page.body
    );

    // The welcome message: German, with its unsubscribe link.
    let welcome = smtp.wait_for(email, "List-Unsubscribe");
    assert_eq!(
        decoded_header(&welcome.data, "Subject"),
        "Willkommen bei The Example Newsletter"
    );
    let text = decoded_body(&welcome.data);
    assert!(
        text.contains("Ihr Abonnement von „The Example Newsletter“ ist bestätigt. Vielen Dank!"),
        "{text}"
    );
    let unsubscribe = link_after(&text, &format!("{}/u/", server.base()));

    // The unsubscribe page and its answer follow the recorded language, whatever the browser says.
    let page = server.request("GET", &unsubscribe, &[("Accept-Language", "fr")], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<html lang=\"de\" dir=\"ltr\">"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Von <strong>The Example Newsletter</strong> abmelden?"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<button type=\"submit\">Abmelden</button>"),
        "{}",
        page.body
    );
    let done = server.request(
        "POST",
        &unsubscribe,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"List-Unsubscribe=One-Click&source=page",
    );
    assert_eq!(done.status, 200);
    assert!(done.body.contains("<h1>Abgemeldet</h1>"), "{}", done.body);
    assert_eq!(
        server.state(email, "newsletter"),
        ("unsubscribed".into(), false)
    );

    // A used link has no subscription behind it any more: the page follows the browser's language. (Opening
    // the link shows the confirmation page, in the browser's language too; its POST answers 410.)
    let opened = server.request("GET", &link, &[("Accept-Language", "de-AT, en;q=0.5")], b"");
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("<html lang=\"de\""), "{}", opened.body);
    let token = link.split_once("?t=").unwrap().1;
    let used_post = |accept: &str| {
        server.request(
            "POST",
            "/v1/subscriptions/confirm",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept-Language", accept),
            ],
            format!("t={token}").as_bytes(),
        )
    };
    let used = used_post("de-AT, en;q=0.5");
    assert_eq!(used.status, 410);
    assert!(
        used.body.contains("<h1>Link bereits verwendet</h1>"),
        "{}",
        used.body
    );
    let used = used_post("en");
    assert!(
        used.body.contains("<h1>Link already used</h1>"),
        "{}",
        used.body
    );
    let invalid = server.request(
        "GET",
        "/v1/subscriptions/confirm?t=nope",
        &[("Accept-Language", "ar")],
        b"",
    );
    assert_eq!(invalid.status, 404);
    assert!(
        invalid.body.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        invalid.body
    );
}

#[test]
fn a_language_without_built_in_texts_gets_english() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    let email = "kiswahili@mail.example";
    assert_eq!(subscribe_in(&server, email, "sw-KE").status, 202);
    let confirmation = smtp.wait_for(email, "Subject:");
    assert_eq!(
        header(&confirmation.data, "Subject").as_deref(),
        Some("Please confirm your subscription to The Example Newsletter")
    );
    assert!(
        body(&confirmation.data)
            .contains("someone, hopefully you, asked to subscribe this address"),
        "{}",
        confirmation.data
    );
}
