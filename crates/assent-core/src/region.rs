//! Regions: which rules apply where. A site lists named regions (policies), each for some places — ISO 3166-1
//! countries (`DE`) or ISO 3166-2 subdivisions (`US-CA`) — or for everywhere else; the visitor's country and
//! subdivision (from a trusted CDN header, see the server's `GET /v1/region`) pick one.
//!
//! Presets are data: [`EU`] (the 30 EEA countries, the UK and Switzerland, and the EU's outermost regions that
//! carry their own ISO country code), [`US_STATES`] (the US states whose comprehensive privacy laws are in force
//! by 2026 — the states the IAB's MSPA US National specification covers) and `default` (everywhere else).
//!
//! **Fail closed:** when the country is unknown, garbage or unavailable, [`resolve`] picks the *strictest*
//! configured region: opt-in beats opt-out, and then a banner beats a notice beats nothing. A known country whose
//! states matter (some region lists a subdivision of it) but no known state gets the strictest of the regions
//! that could apply there.

use crate::mode::Mode;

/// EEA (27 EU member states + Iceland, Liechtenstein, Norway), the United Kingdom and Switzerland, then EU
/// territories with their own ISO 3166-1 code that a CDN may report instead of the member state: Åland (FI) and
/// France's outermost regions (French Guiana, Guadeloupe, Martinique, Réunion, Mayotte, Saint-Martin).
pub const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", // EU 27
    "IS", "LI", "NO", // EEA
    "GB", "CH", // UK GDPR, Swiss FADP
    "AX", "GF", "GP", "MQ", "RE", "YT", "MF", // EU territories with their own code
];

/// US states with a comprehensive consumer privacy law in force or taking effect by 1 January 2026 (the states
/// the MSPA US National section lists): California, Virginia, Colorado, Connecticut, Utah, Texas, Oregon,
/// Montana, Iowa, Delaware, New Hampshire, New Jersey, Tennessee, Minnesota, Maryland, Indiana, Kentucky, Rhode
/// Island, Nebraska. (Florida's law reaches only very large companies and is left out.)
pub const US_STATES: &[&str] = &[
    "US-CA", "US-VA", "US-CO", "US-CT", "US-UT", "US-TX", "US-OR", "US-MT", "US-IA", "US-DE",
    "US-NH", "US-NJ", "US-TN", "US-MN", "US-MD", "US-IN", "US-KY", "US-RI", "US-NE",
];

/// What a region shows before the visitor chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Show {
    /// The consent banner (blocking the choice, not the page).
    Banner,
    /// A non-blocking notice with a link (e.g. "Do Not Sell or Share My Personal Information").
    Notice,
    /// Nothing.
    Nothing,
}

impl Show {
    /// The config name: `banner`, `notice`, `none`.
    pub fn name(self) -> &'static str {
        match self {
            Show::Banner => "banner",
            Show::Notice => "notice",
            Show::Nothing => "none",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Show::Banner => 2,
            Show::Notice => 1,
            Show::Nothing => 0,
        }
    }
}

/// Where a region applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Places {
    /// Everywhere no other region claims (the `default` region).
    Everywhere,
    /// These countries (`DE`) and subdivisions (`US-CA`), upper case.
    Listed(Vec<String>),
}

/// One configured region: its name (as records and tokens carry it), its rules and its places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionSpec {
    pub name: String,
    pub mode: Mode,
    pub show: Show,
    pub places: Places,
}

impl RegionSpec {
    /// A preset by name: `eu` (opt-in, banner), `us_states` (opt-out, notice) or `default` (everywhere else;
    /// opt-in with a banner, the safe choice — a site relaxes it in its config).
    pub fn preset(name: &str) -> Option<RegionSpec> {
        let (mode, show, places) = match name {
            "eu" => (Mode::OptIn, Show::Banner, listed(EU)),
            "us_states" => (Mode::OptOut, Show::Notice, listed(US_STATES)),
            "default" => (Mode::OptIn, Show::Banner, Places::Everywhere),
            _ => return None,
        };
        Some(RegionSpec {
            name: name.to_owned(),
            mode,
            show,
            places,
        })
    }

    fn strictness(&self) -> (u8, u8) {
        (u8::from(self.mode == Mode::OptIn), self.show.rank())
    }

    fn lists(&self, place: &str) -> bool {
        if let Places::Listed(list) = &self.places {
            for p in list {
                if p == place {
                    return true;
                }
            }
        }
        false
    }

    /// Whether the region lists any subdivision of this country (`US-…` for `US`).
    fn lists_subdivisions_of(&self, country: &str) -> bool {
        if let Places::Listed(list) = &self.places {
            for p in list {
                if p.len() > 3 && p.starts_with(country) && p.as_bytes()[2] == b'-' {
                    return true;
                }
            }
        }
        false
    }
}

fn listed(places: &[&str]) -> Places {
    let mut out = Vec::with_capacity(places.len());
    for p in places {
        out.push((*p).to_owned());
    }
    Places::Listed(out)
}

/// A two-letter ISO 3166-1 alpha-2 country code, upper-cased; `None` for anything else, including the codes
/// that name no country (`XX`, `T1` and the other user-assigned ranges `AA`, `QM`–`QZ`, `XA`–`XZ`, `ZZ`, and
/// `EU`), which CDNs use for "unknown", Tor or anycast.
pub fn country_code(value: &str) -> Option<String> {
    let b = value.as_bytes();
    if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let code = value.to_ascii_uppercase();
    let c = code.as_bytes();
    let user_assigned = code == "AA"
        || code == "ZZ"
        || code == "EU"
        || (c[0] == b'Q' && c[1] >= b'M')
        || c[0] == b'X';
    (!user_assigned).then_some(code)
}

/// An ISO 3166-2 subdivision code's part after the country (`CA` of `US-CA`), upper-cased: 1–3 letters or
/// digits, given alone (as Cloudflare, Vercel and CloudFront send it) or with its country prefix, which must
/// then be `country`.
pub fn subdivision_code(country: &str, value: &str) -> Option<String> {
    let suffix = match crate::text::split_once_byte(value, b'-') {
        Some((prefix, suffix)) if prefix.eq_ignore_ascii_case(country) => suffix,
        Some(_) => return None,
        None => value,
    };
    let b = suffix.as_bytes();
    ((1..=3).contains(&b.len()) && b.iter().all(u8::is_ascii_alphanumeric))
        .then(|| suffix.to_ascii_uppercase())
}

/// The strictest region, among those that could apply in `country` when given (they list a subdivision of it,
/// list it, or apply everywhere). Plain loops, no iterator adapters: this runs in the browser build, where each
/// adapter chain is its own generic code.
fn strictest(configured: &[RegionSpec], country: Option<&str>) -> Option<usize> {
    let mut best: Option<(usize, (u8, u8))> = None;
    for (i, r) in configured.iter().enumerate() {
        if let Some(cc) = country {
            if !(r.lists_subdivisions_of(cc) || r.lists(cc) || r.places == Places::Everywhere) {
                continue;
            }
        }
        let s = r.strictness();
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

/// The first region listing `place`, or applying everywhere when `place` is `None`.
fn first_for(configured: &[RegionSpec], place: Option<&str>) -> Option<usize> {
    for (i, r) in configured.iter().enumerate() {
        let hit = match place {
            Some(p) => r.lists(p),
            None => r.places == Places::Everywhere,
        };
        if hit {
            return Some(i);
        }
    }
    None
}

/// The index of the region that applies to a visitor in `country` / `subdivision` (raw header values; garbage
/// counts as unknown). `None` only when no region is configured.
///
/// A subdivision match beats a country match beats the `Everywhere` region; the first listed wins a tie. An
/// unknown country, or a place no region covers when there is no `Everywhere` region, gets the strictest region.
pub fn resolve(
    country: Option<&str>,
    subdivision: Option<&str>,
    configured: &[RegionSpec],
) -> Option<usize> {
    let Some(cc) = country.and_then(country_code) else {
        return strictest(configured, None);
    };
    let sub = subdivision.and_then(|s| subdivision_code(&cc, s));
    if let Some(sub) = &sub {
        let place = crate::text::concat(&[&cc, "-", sub]);
        if let Some(i) = first_for(configured, Some(&place)) {
            return Some(i);
        }
    } else {
        for r in configured {
            if r.lists_subdivisions_of(&cc) {
                // The state decides, and it is unknown: any region that could apply, the strictest.
                return strictest(configured, Some(&cc));
            }
        }
    }
    first_for(configured, Some(&cc))
        .or_else(|| first_for(configured, None))
        .or_else(|| strictest(configured, None))
}

/// The region for a page's `data-region`: a configured region's name (`eu`), else an ISO code — a country
/// (`DE`) or a subdivision with its country (`US-CA`) — resolved as [`resolve`] does; garbage is unknown (the
/// strictest region).
pub fn resolve_hint(hint: &str, configured: &[RegionSpec]) -> Option<usize> {
    for (i, r) in configured.iter().enumerate() {
        if r.name == hint {
            return Some(i);
        }
    }
    let (country, sub) = match crate::text::split_once_byte(hint, b'-') {
        Some((c, s)) => (c, Some(s)),
        None => (hint, None),
    };
    resolve(Some(country), sub, configured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presets(names: &[&str]) -> Vec<RegionSpec> {
        names
            .iter()
            .map(|n| RegionSpec::preset(n).unwrap())
            .collect()
    }

    fn region(names: &[&str], country: Option<&str>, sub: Option<&str>) -> Option<String> {
        let regions = presets(names);
        resolve(country, sub, &regions).map(|i| regions[i].name.clone())
    }

    fn opt_out_default() -> RegionSpec {
        RegionSpec {
            name: "default".into(),
            mode: Mode::OptOut,
            show: Show::Nothing,
            places: Places::Everywhere,
        }
    }

    #[test]
    fn preset_lists_have_the_expected_members() {
        assert_eq!(EU.len(), 30 + 2 + 7);
        assert_eq!(US_STATES.len(), 19);
        for list in [EU, US_STATES] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "no duplicates");
        }
        for c in EU {
            assert_eq!(country_code(c).as_deref(), Some(*c));
        }
        for s in US_STATES {
            let (cc, sub) = s.split_once('-').unwrap();
            assert_eq!(subdivision_code(cc, sub).as_deref(), Some(sub));
        }
        assert!(RegionSpec::preset("mars").is_none());
    }

    #[test]
    fn places_pick_their_region() {
        let all = ["eu", "us_states", "default"];
        assert_eq!(region(&all, Some("DE"), None).unwrap(), "eu");
        assert_eq!(region(&all, Some("de"), Some("BY")).unwrap(), "eu");
        assert_eq!(region(&all, Some("GB"), None).unwrap(), "eu");
        assert_eq!(region(&all, Some("US"), Some("CA")).unwrap(), "us_states");
        assert_eq!(
            region(&all, Some("US"), Some("US-ca")).unwrap(),
            "us_states"
        );
        assert_eq!(region(&all, Some("US"), Some("WY")).unwrap(), "default");
        assert_eq!(region(&all, Some("JP"), None).unwrap(), "default");
    }

    #[test]
    fn unknown_means_strictest() {
        let mut regions = vec![
            RegionSpec::preset("us_states").unwrap(),
            opt_out_default(),
            RegionSpec::preset("eu").unwrap(),
        ];
        for (country, sub) in [
            (None, None),
            (Some("XX"), None),
            (Some("T1"), None),
            (Some("EU"), None),
            (Some("D"), None),
            (Some("DEU"), None),
            (Some("<script>"), Some("CA")),
        ] {
            assert_eq!(resolve(country, sub, &regions), Some(2), "{country:?}");
        }
        // Without an opt-in region, the opt-out one that shows the most.
        regions.pop();
        assert_eq!(resolve(None, None, &regions), Some(0));
        assert_eq!(resolve(None, None, &[]), None);
    }

    #[test]
    fn a_us_visitor_of_unknown_state_gets_the_strictest_that_could_apply() {
        let regions = vec![
            RegionSpec::preset("eu").unwrap(),
            RegionSpec::preset("us_states").unwrap(),
            opt_out_default(),
        ];
        // us_states (notice) beats default (nothing); eu cannot apply in the US.
        assert_eq!(resolve(Some("US"), None, &regions), Some(1));
        assert_eq!(resolve(Some("US"), Some("CA!"), &regions), Some(1));
        // A prefix naming another country is garbage.
        assert_eq!(resolve(Some("US"), Some("MX-CA"), &regions), Some(1));
        assert_eq!(resolve(Some("US"), Some("WY"), &regions), Some(2));
    }

    #[test]
    fn an_uncovered_place_without_default_is_strictest() {
        let regions = presets(&["us_states", "eu"]);
        assert_eq!(resolve(Some("JP"), None, &regions), Some(1));
        assert_eq!(resolve(Some("US"), Some("WY"), &regions), Some(1));
    }

    #[test]
    fn hints_name_a_region_or_a_place() {
        let regions = presets(&["eu", "us_states", "default"]);
        assert_eq!(resolve_hint("us_states", &regions), Some(1));
        assert_eq!(resolve_hint("DE", &regions), Some(0));
        assert_eq!(resolve_hint("US-CA", &regions), Some(1));
        assert_eq!(resolve_hint("US-WY", &regions), Some(2));
        assert_eq!(resolve_hint("JP", &regions), Some(2));
        // Garbage and unknown names: the strictest (eu, listed first among the opt-in banners).
        for bad in ["", "mars", "EU", "<b>"] {
            assert_eq!(resolve_hint(bad, &regions), Some(0), "{bad:?}");
        }
    }

    #[test]
    fn codes_are_validated() {
        assert_eq!(country_code("de").as_deref(), Some("DE"));
        for bad in ["", "D", "DEU", "D1", "XX", "ZZ", "QS", "AA", "É", "D\n"] {
            assert_eq!(country_code(bad), None, "{bad:?}");
        }
        assert_eq!(subdivision_code("US", "ca").as_deref(), Some("CA"));
        assert_eq!(subdivision_code("FR", "75C").as_deref(), Some("75C"));
        assert_eq!(subdivision_code("US", "us-ny").as_deref(), Some("NY"));
        for bad in ["", "CALI", "C A", "MX-CA", "US-", "-CA", "C\u{e9}"] {
            assert_eq!(subdivision_code("US", bad), None, "{bad:?}");
        }
    }
}
