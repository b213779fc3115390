//! Our verdicts against those of HL7's reference validator on the R4 cases
//! of its test suite (`../shared/data/fhir-validator-cases`, development
//! half). Each runnable step (see `reference::manifest`) is validated and
//! compared; the table, the skip reasons and the disagreeing steps are
//! printed (`cargo test -p fhir-validate --test reference_cases -- --nocapture`).
//! The test fails when verdict agreement drops below the floor, which is
//! raised as agreement improves.
mod common;
mod reference;

use reference::compare::{self, Outcome};
use reference::loader::Loader;
use reference::manifest::{self, Planned};
use reference::{expected, summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Verdict agreement (percent of runnable steps) that must not be lost.
const VERDICT_FLOOR_PERCENT: f64 = 97.0;

fn cases_dir() -> Option<PathBuf> {
    let found = common::shared_data("fhir-validator-cases");
    if found.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but ../shared/data/fhir-validator-cases is missing");
    }
    found
}

#[test]
fn verdicts_agree_with_the_reference_validator() {
    let Some(dir) = cases_dir() else { return };
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest readable");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    let core = common::validator().expect("core validator");
    let profiles_dir = fhir_package::locate_profiles_dir().expect("profiles dir");
    let mut loader = Loader::new(core.definitions().clone(), profiles_dir);

    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcomes: Vec<Outcome> = Vec::new();
    for planned in manifest::plan(&dir, &manifest) {
        let step = match planned {
            Planned::Run(step) => step,
            Planned::Skip { reason, .. } => {
                *skipped.entry(reason).or_default() += 1;
                continue;
            }
        };
        let expected = match expected::read(&dir, &step.java) {
            Ok(Some(expected)) => expected,
            Ok(None) => {
                *skipped.entry("no expected outcome".into()).or_default() += 1;
                continue;
            }
            Err(e) => panic!("{}: expected outcome unreadable: {e}", step.name),
        };
        let ours = compare::run(&step, core, &mut loader)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", step.name, step.kind.label()));
        outcomes.push(Outcome {
            step,
            expected,
            ours,
        });
    }
    summary::print_disagreements(&outcomes);
    summary::print_skipped(&skipped);
    let totals = summary::print_table(&outcomes);
    println!(
        "verdict agreement: {}/{} = {:.1}% (floor {VERDICT_FLOOR_PERCENT}%)",
        totals.agreeing,
        totals.steps,
        totals.percent()
    );
    assert!(totals.steps > 0, "no runnable step");
    assert!(
        totals.percent() >= VERDICT_FLOOR_PERCENT,
        "verdict agreement {:.1}% fell below the floor {VERDICT_FLOOR_PERCENT}%",
        totals.percent()
    );
}
