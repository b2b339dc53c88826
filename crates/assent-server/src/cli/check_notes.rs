//! What `assent check` notes about a valid config: settings that are accepted but do nothing. A note goes to
//! stderr and changes neither the verdict nor the exit code (the browser and the server accept the config as it
//! is); it costs the browser nothing, since only this command looks.

use assent_core::Config;
use assent_core::region::Places;

/// ISO 3166-1 alpha-2 codes in use, and `XK` (Kosovo: user-assigned, but what CDNs send for it). Other two-letter
/// places (`XX`, a CDN's "unknown"; `EU`; a typo) match no visitor.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK \
FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM \
JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM \
US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

/// The notes for one valid config, each as `<path>: <message>`.
pub(super) fn notes(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for (spec, rules) in config.regions.iter().zip(&config.region_rules) {
        let path = |field: &str| format!("regions.{}.{field}", spec.name);
        if !rules.gpp {
            let mspa = [
                ("mspa_covered_transaction", rules.mspa.covered_transaction),
                ("mspa_opt_out_option_mode", rules.mspa.opt_out_option_mode),
                (
                    "mspa_service_provider_mode",
                    rules.mspa.service_provider_mode,
                ),
            ];
            for (field, _) in mspa.iter().filter(|(_, on)| *on) {
                out.push(format!(
                    "{}: has no effect: the region does not offer GPP (set \"gpp\": true to send it in the usnat section)",
                    path(field)
                ));
            }
        }
        if let Places::Listed(places) = &spec.places {
            for place in places {
                let country = place.split('-').next().unwrap_or(place);
                if !is_country(country) {
                    out.push(format!(
                        "{}: \"{place}\": {country} is not an ISO 3166-1 country code, so no visitor is placed there",
                        path("places")
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(regions: &str) -> Config {
        Config::from_json(&format!(
            r#"{{"revision": 1, "policy_url": "/p", "categories": {{"remarketing": {{"sale_or_share": true}}}}, "regions": {regions}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_country_list_is_iso_3166_1_in_use_and_kosovo() {
        assert_eq!(COUNTRIES.split(' ').count(), 249 + 1);
        let mut sorted: Vec<&str> = COUNTRIES.split(' ').collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 250, "no code twice");
        assert!(
            sorted
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        for c in ["DE", "US", "GB", "XK", "ZW", "AX"] {
            assert!(is_country(c), "{c}");
        }
        for c in ["XX", "EU", "UK", "T1", "D", "DEU"] {
            assert!(!is_country(c), "{c}");
        }
    }

    #[test]
    fn mspa_without_gpp_and_unknown_countries_are_noted() {
        let c = config(
            r#"{"eu": {}, "west": {"mode": "opt-out", "places": ["US-CA", "XX", "UK"], "mspa_covered_transaction": true}, "default": {}}"#,
        );
        assert_eq!(
            notes(&c),
            [
                "regions.west.mspa_covered_transaction: has no effect: the region does not offer GPP (set \"gpp\": true to send it in the usnat section)",
                "regions.west.places: \"XX\": XX is not an ISO 3166-1 country code, so no visitor is placed there",
                "regions.west.places: \"UK\": UK is not an ISO 3166-1 country code, so no visitor is placed there",
            ]
        );
    }

    #[test]
    fn presets_and_gpp_regions_have_nothing_to_note() {
        let c = config(
            r#"{"eu": {}, "us_states": {"mspa_covered_transaction": true, "mspa_opt_out_option_mode": true}, "default": {}}"#,
        );
        assert_eq!(notes(&c), Vec::<String>::new());
    }
}
