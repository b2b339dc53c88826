//! Google Consent Mode v2: the seven consent types and the state pushed to `dataLayer`.

use core::fmt;

/// One of the seven Google Consent Mode v2 consent types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentModeType {
    AdStorage,
    AdUserData,
    AdPersonalization,
    AnalyticsStorage,
    FunctionalityStorage,
    PersonalizationStorage,
    SecurityStorage,
}

impl ConsentModeType {
    /// All seven types, in the order Google documents them.
    pub const ALL: [ConsentModeType; 7] = [
        ConsentModeType::AdStorage,
        ConsentModeType::AdUserData,
        ConsentModeType::AdPersonalization,
        ConsentModeType::AnalyticsStorage,
        ConsentModeType::FunctionalityStorage,
        ConsentModeType::PersonalizationStorage,
        ConsentModeType::SecurityStorage,
    ];

    /// The key used in `gtag('consent', …)`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentModeType::AdStorage => "ad_storage",
            ConsentModeType::AdUserData => "ad_user_data",
            ConsentModeType::AdPersonalization => "ad_personalization",
            ConsentModeType::AnalyticsStorage => "analytics_storage",
            ConsentModeType::FunctionalityStorage => "functionality_storage",
            ConsentModeType::PersonalizationStorage => "personalization_storage",
            ConsentModeType::SecurityStorage => "security_storage",
        }
    }

    /// Parses a consent type key.
    pub fn parse(key: &str) -> Option<ConsentModeType> {
        ConsentModeType::ALL.into_iter().find(|t| t.as_str() == key)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for ConsentModeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Granted/denied for each of the seven types (a set of granted types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsentModeState(u8);

impl ConsentModeState {
    /// The `consent default` state: everything denied except `security_storage`, which covers strictly
    /// necessary storage (authentication, fraud prevention) and is always granted.
    pub const DEFAULT: ConsentModeState =
        ConsentModeState(1 << (ConsentModeType::SecurityStorage as u8));

    /// Whether the type is granted.
    pub fn is_granted(self, t: ConsentModeType) -> bool {
        self.0 & t.bit() != 0
    }

    /// Grants the type.
    pub fn grant(&mut self, t: ConsentModeType) {
        self.0 |= t.bit();
    }

    /// `(key, "granted" | "denied")` for all seven types, in documented order.
    pub fn entries(self) -> impl Iterator<Item = (&'static str, &'static str)> {
        ConsentModeType::ALL.into_iter().map(move |t| {
            (
                t.as_str(),
                if self.is_granted(t) {
                    "granted"
                } else {
                    "denied"
                },
            )
        })
    }
}

impl Default for ConsentModeState {
    fn default() -> Self {
        ConsentModeState::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_default_grants_only_security() {
        for t in ConsentModeType::ALL {
            assert_eq!(ConsentModeType::parse(t.as_str()), Some(t));
            assert_eq!(
                ConsentModeState::DEFAULT.is_granted(t),
                t == ConsentModeType::SecurityStorage
            );
        }
        assert_eq!(ConsentModeType::parse("ads_storage"), None);
        assert_eq!(ConsentModeState::DEFAULT.entries().count(), 7);
    }
}
