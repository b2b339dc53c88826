//! E-mail addresses in one normal form, so that storage, comparison, pseudonyms and tokens agree.
//!
//! Normalization, applied everywhere an address enters Assent (HTTP, CLI, library):
//!
//! - surrounding whitespace is trimmed; the address is split at its last `@`;
//! - the **domain** is lowercased (domains are case-insensitive, RFC 5321 §2.4). IDNA is not applied: an
//!   internationalized domain is kept in Unicode and lowercased, so `bücher.example` and its punycode form
//!   `xn--bcher-kva.example` are different addresses to Assent;
//! - the **local part** is kept exactly as given for delivery (RFC 5321 allows a server to treat it
//!   case-sensitively), but it is **compared case-insensitively**: `Ann@Example.com` and `ann@example.com` are the
//!   same subscriber. Practically every mailbox provider ignores case, and treating the two spellings as one
//!   errs on the safe side: an unsubscribe through either spelling suppresses both;
//! - no provider-specific rewriting: dots and `+tags` are kept (`ann+news@…` is its own address).
//!
//! [`EmailAddress::key`] is the comparison form (local part and domain lowercased); it is what the address
//! pseudonym is computed over. Debug output never shows the address.

use core::fmt;
use core::str::FromStr;

/// Longest address accepted (RFC 5321 §4.5.3.1: a path is at most 256 octets including the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;
/// Longest local part accepted (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_LEN: usize = 64;

/// A syntactically valid e-mail address in Assent's normal form. See the module documentation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    delivery: String,
    key: String,
}

/// Why an address was refused. The message never repeats the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// Empty after trimming.
    Empty,
    /// Longer than [`MAX_ADDRESS_LEN`] bytes, or a local part longer than [`MAX_LOCAL_LEN`].
    TooLong,
    /// No `@`, an empty local part or domain, or characters that are not allowed in an address.
    Invalid,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressError::Empty => "email is empty",
            AddressError::TooLong => "email is too long (at most 254 bytes, local part at most 64)",
            AddressError::Invalid => "email is not a valid address of the form local@domain",
        })
    }
}

impl std::error::Error for AddressError {}

impl EmailAddress {
    /// Normalizes and validates `input` (see the module documentation).
    pub fn parse(input: &str) -> Result<EmailAddress, AddressError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(AddressError::Empty);
        }
        if trimmed.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(AddressError::Invalid)?;
        if local.len() > MAX_LOCAL_LEN {
            return Err(AddressError::TooLong);
        }
        if local.is_empty() || domain.is_empty() {
            return Err(AddressError::Invalid);
        }
        let domain = domain.to_lowercase();
        let delivery = format!("{local}@{domain}");
        // lettre's parser is the one that will put the address on the wire: accept exactly what it accepts
        // (dot-atom local parts, no quoted strings with spaces, a domain of labels or an address literal).
        if lettre::Address::from_str(&delivery).is_err()
            || delivery
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(AddressError::Invalid);
        }
        let key = format!("{}@{domain}", local.to_lowercase());
        Ok(EmailAddress { delivery, key })
    }

    /// The address to deliver to: the local part as given, the domain lowercased.
    pub fn as_str(&self) -> &str {
        &self.delivery
    }

    /// The comparison key: local part and domain lowercased. Two addresses are the same subscriber exactly when
    /// their keys are equal; the pseudonym is computed over this.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The address as a lettre mailbox.
    pub fn to_mailbox(&self) -> lettre::message::Mailbox {
        let address = lettre::Address::from_str(&self.delivery).expect("validated in parse");
        lettre::message::Mailbox::new(None, address)
    }

    /// True when both addresses are the same subscriber (equal keys).
    pub fn same_subscriber(&self, other: &EmailAddress) -> bool {
        self.key == other.key
    }
}

impl FromStr for EmailAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<EmailAddress, AddressError> {
        EmailAddress::parse(s)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the address itself: Debug output ends up in logs.
        f.write_str("EmailAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases_the_domain_only() {
        let a = EmailAddress::parse("  Ann.Lee+News@Example.COM \n").unwrap();
        assert_eq!(a.as_str(), "Ann.Lee+News@example.com");
        assert_eq!(a.key(), "ann.lee+news@example.com");
    }

    #[test]
    fn compares_local_part_case_insensitively() {
        let a = EmailAddress::parse("Ann@example.com").unwrap();
        let b = EmailAddress::parse("ann@EXAMPLE.com").unwrap();
        assert!(a.same_subscriber(&b));
        assert_ne!(a.as_str(), b.as_str());
        let c = EmailAddress::parse("ann+x@example.com").unwrap();
        assert!(!a.same_subscriber(&c));
    }

    #[test]
    fn refuses_invalid_addresses() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.com",
            "ann@",
            "ann @example.com",
            "ann@exa mple.com",
            "a\u{0}b@example.com",
            "ann@@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(EmailAddress::parse(&long_local), Err(AddressError::TooLong));
        let long = format!("a@{}.com", "b".repeat(260));
        assert_eq!(EmailAddress::parse(&long), Err(AddressError::TooLong));
    }

    proptest::proptest! {
        #[test]
        fn normalization_is_idempotent_and_never_panics(input in "\\PC{0,80}") {
            if let Ok(a) = EmailAddress::parse(&input) {
                let again = EmailAddress::parse(a.as_str()).unwrap();
                proptest::prop_assert_eq!(&again, &a);
                proptest::prop_assert!(a.same_subscriber(&EmailAddress::parse(&a.as_str().to_uppercase()).unwrap()));
            }
        }

        #[test]
        fn plain_addresses_are_accepted(
            atoms in proptest::collection::vec("[A-Za-z0-9_+-]{1,10}", 1..4),
            domain in "[A-Za-z0-9]{1,20}\\.[a-z]{2,6}",
        ) {
            // A dot-atom local part: atoms joined by single dots.
            let local = atoms.join(".");
            let a = EmailAddress::parse(&format!(" {local}@{domain} ")).unwrap();
            proptest::prop_assert_eq!(a.as_str(), format!("{local}@{}", domain.to_lowercase()));
        }
    }

    #[test]
    fn debug_never_shows_the_address() {
        let a = EmailAddress::parse("secret.person@example.com").unwrap();
        let shown = format!("{a:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("example"), "{shown}");
    }
}
