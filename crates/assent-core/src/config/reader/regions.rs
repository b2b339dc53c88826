//! `regions`: named policies, each for some places, with their own mode, what they show, per-category defaults
//! and signal handling. A region named after a preset (`eu`, `us_states`, `default`) takes the preset's places,
//! mode and show unless it says otherwise, so `"eu": {}` is the whole EU policy.

use super::{MESSAGES, Members, Reader, get, join};
use crate::category::{Category, CategorySet};
use crate::config::{CategoryConfig, Mode, MspaConfig, RegionRules, SignalConfig, SignalHandling};
use crate::json::Json;
use crate::region::{Places, RegionSpec, Show};

/// Most regions a config may name (the choice cookie keeps the applied one's position in a byte).
const MAX_REGIONS: usize = 32;

pub(super) fn read_regions(
    r: &mut Reader,
    top: &Members,
    categories: &[CategoryConfig],
    signals: &SignalConfig,
    top_mode: Mode,
) -> (Vec<RegionSpec>, Vec<RegionRules>) {
    let mut specs = Vec::new();
    let mut rules = Vec::new();
    let Some(v) = get(top, "regions") else {
        return (specs, rules);
    };
    let Json::Object(members) = v else {
        r.wrong_type("regions", "an object of region name → region", v);
        return (specs, rules);
    };
    if members.is_empty() || members.len() > MAX_REGIONS {
        r.error("regions", msg!("between 1 and 32 regions"));
        return (specs, rules);
    }
    for (name, value) in members {
        let path = join("regions", name);
        if Category::parse(name).is_err() {
            r.error(
                &path,
                msg!("region names are 1-32 characters of a-z, 0-9 and _, starting with a letter"),
            );
            continue;
        }
        if let Some((spec, rule)) =
            read_region(r, value, &path, name, categories, signals, top_mode)
        {
            let mut everywhere_twice = false;
            for s in &specs {
                everywhere_twice |= s.places == Places::Everywhere;
            }
            if spec.places == Places::Everywhere && everywhere_twice {
                r.error(
                    &join(&path, "places"),
                    msg!("only one region may apply everywhere else"),
                );
            }
            specs.push(spec);
            rules.push(rule);
        }
    }
    (specs, rules)
}

fn read_region(
    r: &mut Reader,
    v: &Json,
    path: &str,
    name: &str,
    categories: &[CategoryConfig],
    signals: &SignalConfig,
    top_mode: Mode,
) -> Option<(RegionSpec, RegionRules)> {
    let m = r.object(v, path, "regions.<region>")?;
    let places_path = join(path, "places");
    // The preset named by `places` (a string), else by the region's own name.
    let mut preset = RegionSpec::preset(name);
    let places = match get(m, "places") {
        None => {
            let Some(p) = &preset else {
                r.error(&places_path, msg!("required: a preset name (\"eu\", \"us_states\", \"default\") or a list of ISO 3166 codes"));
                return None;
            };
            p.places.clone()
        }
        Some(Json::String(s)) => {
            let Some(p) = RegionSpec::preset(s) else {
                r.error(
                    &places_path,
                    msg!("not a preset (\"eu\", \"us_states\", \"default\")"),
                );
                return None;
            };
            let places = p.places.clone();
            preset = Some(p);
            places
        }
        Some(list) => {
            let mut codes = Vec::new();
            for (p, code) in r.string_array(list, &places_path) {
                if super::is_region(&code) {
                    codes.push(code);
                } else {
                    r.error(
                        &p,
                        msg!("not an upper-case ISO 3166 code such as \"DE\" or \"US-CA\""),
                    );
                }
            }
            // Only for `[]`: entries that are there but invalid (or not an array) have their own error, and a
            // second one at `places` would send the reader looking for a missing list.
            if matches!(list, Json::Array(items) if items.is_empty()) {
                r.error(&places_path, msg!("must list at least one place"));
            }
            Places::Listed(codes)
        }
    };
    let mode = match get(m, "mode") {
        None => preset.as_ref().map_or(top_mode, |p| p.mode),
        Some(_) if r.choice(m, path, "mode", ["opt-in", "opt-out"]) => Mode::OptOut,
        Some(_) => Mode::OptIn,
    };
    let show = match get(m, "show") {
        // A preset's own show goes with its own mode: `"us_states": {"mode": "opt-in"}` asks for consent, so it
        // gets the banner, not the opt-out notice (and `"default": {"mode": "opt-out"}` the notice).
        None => match &preset {
            Some(p) if p.mode == mode => p.show,
            _ if mode == Mode::OptIn => Show::Banner,
            _ => Show::Notice,
        },
        Some(v) => {
            let s = r.string(v, &join(path, "show"));
            match s.as_deref() {
                Some("notice") => Show::Notice,
                Some("none") => Show::Nothing,
                Some(other) => {
                    if other != "banner" {
                        r.error(
                            &join(path, "show"),
                            msg!("not one of \"banner\", \"notice\", \"none\""),
                        );
                    }
                    Show::Banner
                }
                None => Show::Banner,
            }
        }
    };
    if mode == Mode::OptIn && show == Show::Notice {
        r.error(
            &join(path, "show"),
            msg!("an opt-in region asks for consent: the notice has no accept button; show \"banner\" (or \"none\")"),
        );
    }
    let defaults = read_defaults(r, m, path, categories, mode, top_mode);
    let mut region_signals = signals.clone();
    if let Some(v) = get(m, "signals") {
        let sp = join(path, "signals");
        if let Some(s) = r.object(v, &sp, "regions.<region>.signals") {
            for (key, slot) in [
                ("gpc", &mut region_signals.gpc),
                ("dnt", &mut region_signals.dnt),
            ] {
                if get(s, key).is_some() {
                    *slot = if r.choice(s, &sp, key, ["honor", "ignore"]) {
                        SignalHandling::Ignore
                    } else {
                        SignalHandling::Honor
                    };
                }
            }
        }
    }
    let gpp = r.boolean(
        m,
        path,
        "gpp",
        preset.as_ref().is_some_and(|p| p.name == "us_states"),
    );
    let mspa = MspaConfig {
        covered_transaction: r.boolean(m, path, "mspa_covered_transaction", false),
        opt_out_option_mode: r.boolean(m, path, "mspa_opt_out_option_mode", false),
        service_provider_mode: r.boolean(m, path, "mspa_service_provider_mode", false),
    };
    if mspa.opt_out_option_mode && mspa.service_provider_mode {
        r.error(
            &join(path, "mspa_service_provider_mode"),
            msg!("the MSPA's opt-out option mode and service provider mode exclude each other"),
        );
    }
    if (mspa.opt_out_option_mode || mspa.service_provider_mode) && !mspa.covered_transaction {
        r.error(
            &join(path, "mspa_covered_transaction"),
            msg!("must be true for an MSPA mode (a mode applies only to a covered transaction)"),
        );
    }
    Some((
        RegionSpec {
            name: name.to_owned(),
            mode,
            show,
            places,
        },
        RegionRules {
            defaults,
            signals: region_signals,
            gpp,
            mspa,
        },
    ))
}

/// `regions.<region>.defaults`: category → granted before a choice. In an opt-out region a category not listed
/// keeps its own `default` when the site's top-level mode is opt-out too, and is granted otherwise; in an opt-in
/// region nothing is (a `true` is a pre-ticked box and refused).
fn read_defaults(
    r: &mut Reader,
    m: &Members,
    path: &str,
    categories: &[CategoryConfig],
    mode: Mode,
    top_mode: Mode,
) -> CategorySet {
    let mut set = CategorySet::EMPTY;
    set.insert(0);
    if mode == Mode::OptOut {
        for c in categories {
            if c.default || top_mode == Mode::OptIn {
                set.insert(c.index);
            }
        }
    }
    let Some(v) = get(m, "defaults") else {
        return set;
    };
    let dp = join(path, "defaults");
    let Json::Object(items) = v else {
        r.wrong_type(&dp, "an object of category → true or false", v);
        return set;
    };
    for (cat, value) in items {
        let p = join(&dp, cat);
        let mut found = None;
        for c in categories {
            if c.category.name() == cat {
                found = Some(c);
            }
        }
        let Some(c) = found else {
            r.error(&p, msg!("unknown category (not declared in categories)"));
            continue;
        };
        let Json::Bool(on) = value else {
            r.wrong_type(&p, "true or false", value);
            continue;
        };
        if c.category.is_essential() {
            if !on {
                r.error(
                    &p,
                    msg!("essential is always granted and cannot default to false"),
                );
            }
        } else if *on && mode == Mode::OptIn {
            r.error(
                &p,
                msg!("pre-ticked non-essential category is not allowed in an opt-in region"),
            );
        } else if *on {
            set.insert(c.index);
        } else {
            set.remove(c.index);
        }
    }
    set
}
