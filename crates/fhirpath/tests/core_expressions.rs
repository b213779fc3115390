//! Every FHIRPath expression the R4 core package ships must parse: the
//! SearchParameter expressions and the ElementDefinition constraint
//! expressions of all resource and data type profiles. The search
//! expressions are also evaluated on the official examples of their base
//! resource types, which must not fail.

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use fhirpath::{parse, EvalContext};
use serde_json::Value as Json;

fn read_bundle(path: &Path) -> Json {
    let file = std::fs::File::open(path).expect("bundle readable");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip");
    serde_json::from_str(&text).expect("bundle JSON")
}

fn resources(bundle: &Json) -> impl Iterator<Item = &Json> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
}

fn search_expressions(data: &Path) -> Vec<(String, Vec<String>, String)> {
    let bundle = read_bundle(&data.join("search-parameters.json.gz"));
    resources(&bundle)
        .filter_map(|sp| {
            let expression = sp["expression"].as_str()?;
            let bases = sp["base"]
                .as_array()?
                .iter()
                .filter_map(|b| b.as_str().map(str::to_string))
                .collect();
            Some((
                sp["id"].as_str().unwrap_or("?").to_string(),
                bases,
                expression.to_string(),
            ))
        })
        .collect()
}

#[test]
fn every_search_parameter_expression_parses() {
    let Some(data) = support::shared_data("fhir-r4") else {
        return;
    };
    let expressions = search_expressions(&data);
    assert!(expressions.len() > 1000, "found {}", expressions.len());
    let failures: Vec<String> = expressions
        .iter()
        .filter_map(|(id, _, expr)| parse(expr).err().map(|e| format!("{id}: {expr}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{} search parameter expressions parsed", expressions.len());
}

#[test]
fn every_constraint_expression_parses() {
    let Some(data) = support::shared_data("fhir-r4") else {
        return;
    };
    let mut count = 0;
    let mut failures = Vec::new();
    for file in [
        "profiles-resources.json.gz",
        "profiles-types.json.gz",
        "profiles-others.json.gz",
    ] {
        let bundle = read_bundle(&data.join(file));
        for sd in resources(&bundle) {
            for element in sd["snapshot"]["element"].as_array().into_iter().flatten() {
                for constraint in element["constraint"].as_array().into_iter().flatten() {
                    let Some(expr) = constraint["expression"].as_str() else {
                        continue;
                    };
                    count += 1;
                    if let Err(e) = parse(expr) {
                        failures.push(format!("{}: {expr}: {e}", constraint["key"]));
                    }
                }
            }
        }
    }
    assert!(count > 1000, "found {count}");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{count} constraint expressions parsed");
}

#[test]
fn search_expressions_evaluate_on_the_official_examples() {
    let Some(data) = support::shared_data("fhir-r4") else {
        return;
    };
    let Some(examples) = support::shared_data("fhir-examples") else {
        return;
    };
    let Some(model) = support::core_model() else {
        return;
    };
    let ctx = EvalContext::with_model(model);
    let mut by_type: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for entry in std::fs::read_dir(&examples)
        .expect("examples dir")
        .flatten()
    {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<Json>(&text) else {
            continue;
        };
        if let Some(rt) = json["resourceType"].as_str() {
            by_type.entry(rt.to_string()).or_default().push(json);
        }
    }
    let mut evaluations = 0;
    let mut failures = Vec::new();
    for (id, bases, text) in search_expressions(&data) {
        let expr = parse(&text).expect("parses (checked above)");
        for base in &bases {
            for resource in by_type.get(base).into_iter().flatten() {
                evaluations += 1;
                if let Err(e) = expr.evaluate(&ctx, resource) {
                    failures.push(format!("{id} on {base}/{}: {text}: {e}", resource["id"]));
                }
            }
        }
    }
    println!("{evaluations} evaluations, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
