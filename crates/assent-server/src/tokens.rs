//! Minting and checking consent tokens with the server's keys.
//!
//! A token is minted for every stored record: it names the record, the visitor's subject, the site, the config
//! revision, the granted categories and the signals, and expires when the site asks again
//! (`reconsent_days`). The format and the signature belong to `assent-verify`; this module only maps records to
//! claims.

use assent_verify::format::SUBJECT_ID_LEN;
use assent_verify::{
    ConsentClaims, EncodeError, KeySet, RecordId, Signals, SigningKey, SubjectId, Verified,
    Verifier, VerifyError,
};

use crate::keys::KeyDir;
use crate::store::ConsentRecord;

/// The keys a running server signs and verifies with.
#[derive(Debug)]
pub struct Keys {
    signing: SigningKey,
    verifier: Verifier,
    published: String,
}

impl Keys {
    /// The active key and every published key of a key directory.
    pub fn from_dir(dir: &KeyDir) -> Keys {
        Keys::new(dir.signing_key().clone(), dir.key_set().clone())
    }

    /// An explicit signing key and published set (the set should contain the signing key's public half).
    pub fn new(signing: SigningKey, published: KeySet) -> Keys {
        Keys {
            published: published.to_json(),
            verifier: Verifier::new(published),
            signing,
        }
    }

    /// The key id new tokens carry.
    pub fn kid(&self) -> String {
        self.signing.kid().to_string()
    }

    /// The public key set document (`/.well-known/assent-keys.json`).
    pub fn published_json(&self) -> &str {
        &self.published
    }

    /// Signs the token for a record (its `token` and `kid` fields are ignored).
    pub fn mint(&self, record: &ConsentRecord) -> Result<String, EncodeError> {
        self.signing.sign(&claims_for(record))
    }

    /// Verifies a token now (signature, key, expiry).
    pub fn verify(&self, token: &str) -> Result<Verified<ConsentClaims>, VerifyError> {
        self.verifier.verify_now(token)
    }

    /// Verifies a token's signature and key at its issue time (assent-verify's
    /// [`Verifier::verify_at_issue_time`]), accepting it even after it expired: a visitor keeps the right to
    /// see the record their token was issued for.
    pub fn verify_ignoring_expiry(
        &self,
        token: &str,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        self.verifier.verify_at_issue_time(token)
    }
}

/// The subject id carried in tokens: the first bytes of the record's subject (tokens carry
/// [`SUBJECT_ID_LEN`] bytes; records keep all 16).
pub fn token_subject(record: &ConsentRecord) -> SubjectId {
    let mut id = [0u8; SUBJECT_ID_LEN];
    let n = SUBJECT_ID_LEN.min(record.subject.0.len());
    id[..n].copy_from_slice(&record.subject.0[..n]);
    SubjectId(id)
}

/// The claims of a record's token.
pub fn claims_for(record: &ConsentRecord) -> ConsentClaims {
    ConsentClaims {
        record_id: RecordId(*record.id.as_bytes()),
        subject_id: token_subject(record),
        issued_at: record.ts_ms.div_euclid(1000) as u64,
        expires_at: record.expires_at,
        config_revision: record.revision,
        granted: record.granted(),
        signals: Signals {
            dnt: record.signals.dnt,
            gpc: record.signals.gpc,
        },
        site_id: record.site.clone(),
        region: record.region.clone(),
    }
}
