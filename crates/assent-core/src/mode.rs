//! The consent mode, a leaf: the config (`mode`) and the region presets (each with its mode) both name it.

/// How non-essential categories start before the visitor chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Denied until an explicit choice (GDPR/ePrivacy).
    OptIn,
    /// Granted by default unless a honoured signal or the visitor says otherwise (US state laws).
    OptOut,
}
