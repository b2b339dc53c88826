//! Judging what a page scan saw: violations, what the reject deleted, what the accept added per category,
//! and which category each unmarked script should be marked with.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::model::{
    PageReport, Phase, PhaseName, TimelineEntry, UnmarkedScript, Violation, ViolationKind,
};

/// Turns what was seen into violations, deletions, per-category arrivals and script attributions.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    url: &str,
    final_url: String,
    title: String,
    consent_manager: bool,
    note: Option<String>,
    phases: Vec<Phase>,
    mut unmarked: Vec<UnmarkedScript>,
    timeline: Vec<TimelineEntry>,
    took: Duration,
) -> PageReport {
    let mut violations = Vec::new();
    let mut unclassified = BTreeSet::new();
    for phase in &phases {
        let storage = phase
            .local_storage
            .iter()
            .map(|k| (k, ViolationKind::LocalStorage))
            .chain(
                phase
                    .session_storage
                    .iter()
                    .map(|k| (k, ViolationKind::SessionStorage)),
            );
        let named = phase
            .cookies
            .iter()
            .map(|c| (&c.name, &c.class, &c.set_by, ViolationKind::Cookie))
            .chain(storage.map(|(k, kind)| (&k.name, &k.class, &k.set_by, kind)));
        for (name, class, by, kind) in named {
            if class.category.is_none() {
                unclassified.insert(name.clone());
            }
            if phase.name.forbids_tracking() && class.needs_consent() {
                violations.push(Violation {
                    phase: phase.name,
                    kind,
                    name: name.clone(),
                    category: class.category.clone(),
                    vendor: class.vendor.clone(),
                    by: by.clone(),
                });
            }
        }
        if phase.name.forbids_tracking() {
            for r in phase.third_party_requests.iter().filter(|r| r.tracking) {
                violations.push(Violation {
                    phase: phase.name,
                    kind: ViolationKind::Request,
                    name: r.url.clone(),
                    category: None,
                    vendor: None,
                    by: r.initiator.clone(),
                });
            }
        }
    }
    // What an unmarked script did before consent tells which category it should be marked with.
    for v in violations
        .iter()
        .filter(|v| v.phase == PhaseName::BeforeChoice)
    {
        let Some(by) = v.by.as_deref() else { continue };
        let by = by.split(['?', '#']).next().unwrap_or(by);
        for script in &mut unmarked {
            if script.source.split(['?', '#']).next() == Some(by) {
                let category = v
                    .category
                    .clone()
                    .unwrap_or_else(|| "analytics".to_string());
                if !script.categories.contains(&category) {
                    script.categories.push(category);
                }
            }
        }
    }
    let names = |p: Option<&Phase>| -> BTreeSet<String> {
        p.map(|p| {
            p.cookies
                .iter()
                .filter(|c| c.present_at_end)
                .map(|c| c.name.clone())
                .chain(
                    p.local_storage
                        .iter()
                        .chain(&p.session_storage)
                        .filter(|k| k.present_at_end)
                        .map(|k| k.name.clone()),
                )
                .collect()
        })
        .unwrap_or_default()
    };
    let find = |n: PhaseName| phases.iter().find(|p| p.name == n);
    let before = names(find(PhaseName::BeforeChoice));
    let rejected = find(PhaseName::AfterReject);
    let deleted_on_reject = if rejected.is_some() {
        before.difference(&names(rejected)).cloned().collect()
    } else {
        Vec::new()
    };
    let mut accepted_by_category: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(accepted) = find(PhaseName::AfterAccept) {
        let earlier = names(rejected);
        let items = accepted
            .cookies
            .iter()
            .map(|c| (&c.name, &c.class))
            .chain(accepted.local_storage.iter().map(|k| (&k.name, &k.class)))
            .chain(accepted.session_storage.iter().map(|k| (&k.name, &k.class)));
        for (name, class) in items {
            if !earlier.contains(name) {
                let category = class.category.clone().unwrap_or_else(|| "unknown".into());
                accepted_by_category
                    .entry(category)
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    // Writes are logged with the page's own clock; events as they arrived: show them in time order.
    let mut timeline = timeline;
    timeline.sort_by_key(|e| e.at_ms);
    PageReport {
        url: url.to_string(),
        final_url,
        title,
        consent_manager,
        note,
        phases,
        deleted_on_reject,
        accepted_by_category,
        unmarked_scripts: unmarked,
        violations,
        unclassified: unclassified.into_iter().collect(),
        timeline,
        duration_ms: took.as_millis() as u64,
    }
}
