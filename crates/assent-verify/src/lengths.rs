//! The byte lengths of the token's fields, a leaf that the claim types, the key ids and the format all read
//! (so none of them needs another for a constant).

/// Length of a key id in bytes.
pub const KID_LEN: usize = 4;
/// Length of a record id in bytes.
pub const RECORD_ID_LEN: usize = 16;
/// Length of a subject id in bytes.
pub const SUBJECT_ID_LEN: usize = 12;
/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// Longest site id in bytes (assent-core's rule for site ids, `assent_core::fields`).
pub const MAX_SITE_ID_LEN: usize = assent_core::fields::MAX_SITE_ID_LEN;
/// Longest region name in bytes.
pub const MAX_REGION_LEN: usize = 32;
