//! Runs the official FHIRPath R4 test suite (../shared/data/fhirpath-tests)
//! against the engine with the R4 core model. See
//! conformance-tests/fhirpath/README.md for the rules; skipped tests and
//! their reasons are in conformance-tests/fhirpath/skipped.txt.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use fhirpath::{parse, EvalContext, ParseErrorKind, Value};
use quick_xml::events::Event;
use serde_json::Value as Json;

/// Pass rate (of the tests that are run) below which the test fails.
const THRESHOLD: f64 = 0.98;

#[derive(Default, Debug)]
struct Case {
    group: String,
    name: String,
    input: Option<String>,
    expression: String,
    invalid: Option<String>,
    predicate: Option<bool>,
    strict: bool,
    unordered: bool,
    outputs: Vec<(Option<String>, String)>,
}

fn read_cases(xml: &str) -> Vec<Case> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases = Vec::new();
    let mut group = String::new();
    let mut current: Option<Case> = None;
    let mut text_target: Option<&'static str> = None;
    let mut output_type: Option<String> = None;
    let mut text = String::new();
    loop {
        let event = reader.read_event().expect("the suite is well-formed XML");
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        let key = String::from_utf8_lossy(a.key.as_ref()).to_string();
                        (
                            key,
                            a.unescape_value()
                                .map(|v| v.to_string())
                                .unwrap_or_default(),
                        )
                    })
                    .collect();
                match e.name().as_ref() {
                    b"group" => group = attrs.get("name").cloned().unwrap_or_default(),
                    b"test" => {
                        current = Some(Case {
                            group: group.clone(),
                            name: attrs
                                .get("name")
                                .cloned()
                                .unwrap_or_else(|| format!("{group}-unnamed{}", cases.len())),
                            input: attrs.get("inputfile").cloned(),
                            predicate: attrs.get("predicate").map(|p| p == "true"),
                            strict: attrs.get("mode").is_some_and(|m| m == "strict"),
                            unordered: attrs.get("ordered").is_some_and(|o| o == "false"),
                            ..Case::default()
                        })
                    }
                    b"expression" => {
                        if let Some(case) = current.as_mut() {
                            case.invalid = attrs.get("invalid").cloned();
                            case.strict |= attrs.get("mode").is_some_and(|m| m == "strict");
                        }
                        text_target = Some("expression");
                        text.clear();
                    }
                    b"output" => {
                        output_type = attrs.get("type").cloned();
                        text_target = Some("output");
                        text.clear();
                    }
                    _ => {}
                }
            }
            Event::Text(t) if text_target.is_some() => {
                text.push_str(&t.unescape().map(|c| c.to_string()).unwrap_or_default())
            }
            Event::CData(t) if text_target.is_some() => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) => match e.name().as_ref() {
                b"expression" => {
                    if let Some(case) = current.as_mut() {
                        case.expression = text.clone();
                    }
                    text_target = None;
                }
                b"output" => {
                    if let Some(case) = current.as_mut() {
                        case.outputs
                            .push((output_type.take(), text.trim().to_string()));
                    }
                    text_target = None;
                }
                b"test" => cases.extend(current.take()),
                _ => {}
            },
            Event::Eof => return cases,
            _ => {}
        }
    }
}

/// The FHIRPath literal form of a result item (for outputs without a type).
fn literal(item: &Value<'_>) -> String {
    match &*item.to_system() {
        Value::Date(d) | Value::DateTime(d) => format!("@{d}"),
        Value::Time(t) => format!("@T{t}"),
        Value::Quantity(q) => format!("{} '{}'", q.value, q.unit),
        Value::Decimal(d) => d.canonical_text(),
        Value::String(s) => s.to_string(),
        other => fhirpath::output::item_to_json(other)
            .to_string()
            .trim_matches('"')
            .to_string(),
    }
}

fn type_of(item: &Value<'_>) -> String {
    match item {
        Value::Node(node) => node.type_name.to_string(),
        Value::Quantity(_) => "Quantity".into(),
        other => {
            let label = other.type_label();
            let mut chars = label.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

fn item_matches(item: &Value<'_>, expected_type: Option<&str>, expected: &str) -> bool {
    let Some(expected_type) = expected_type else {
        return literal(item) == expected;
    };
    if type_of(item) != expected_type {
        return false;
    }
    let system = item.to_system();
    match expected_type {
        "integer" | "decimal" => match &*system {
            Value::Integer(i) => expected.parse::<i64>().ok() == Some(*i),
            Value::Decimal(d) => {
                fhir_core::decimal::Decimal::parse_lenient(expected).is_ok_and(|e| e == *d)
            }
            _ => false,
        },
        "date" | "dateTime" | "time" => literal(item) == expected,
        "Quantity" => match (&*system, expected.split_once(' ')) {
            (Value::Quantity(q), Some((value, unit))) => {
                fhir_core::decimal::Decimal::parse_lenient(value).is_ok_and(|v| v == q.value)
                    && q.unit == unit.trim_matches('\'')
            }
            _ => false,
        },
        _ => literal(item) == expected,
    }
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run_case(case: &Case, ctx: &EvalContext, input: &Json) -> Outcome {
    let parsed = parse(&case.expression);
    if let Some(kind) = &case.invalid {
        return match (kind.as_str(), parsed) {
            ("syntax", Err(e)) if e.kind == ParseErrorKind::Syntax => Outcome::Pass,
            ("syntax", Err(e)) => Outcome::Fail(format!("wrong error kind: {e}")),
            ("syntax", Ok(_)) => Outcome::Fail("parsed, expected a syntax error".into()),
            // No static type checking here: a semantic error may surface at parse time or run time.
            ("semantic" | "true", Err(_)) => Outcome::Pass,
            ("execution", Err(e)) => Outcome::Fail(format!(
                "expected an execution error, got a parse error: {e}"
            )),
            (other, Err(e)) => Outcome::Fail(format!("unknown invalid kind {other:?}: {e}")),
            (_, Ok(expr)) => match expr.evaluate(ctx, input) {
                Err(_) => Outcome::Pass,
                Ok(result) => {
                    Outcome::Fail(format!("expected an error, got {} item(s)", result.len()))
                }
            },
        };
    }
    let expr = match parsed {
        Ok(expr) => expr,
        Err(e) => return Outcome::Fail(format!("parse error: {e}")),
    };
    let result = match expr.evaluate(ctx, input) {
        Ok(result) => result,
        Err(e) => return Outcome::Fail(format!("evaluation error: {e}")),
    };
    let result: Vec<Value<'_>> = if case.predicate == Some(true) {
        vec![Value::Boolean(!result.is_empty())]
    } else {
        result
    };
    let shown = || fhirpath::to_json_output(&result).to_string();
    if result.len() != case.outputs.len() {
        return Outcome::Fail(format!(
            "expected {} item(s), got {}",
            case.outputs.len(),
            shown()
        ));
    }
    let mut used = vec![false; result.len()];
    for (index, (expected_type, expected)) in case.outputs.iter().enumerate() {
        let found = if case.unordered {
            (0..result.len())
                .find(|&i| !used[i] && item_matches(&result[i], expected_type.as_deref(), expected))
        } else {
            Some(index).filter(|&i| item_matches(&result[i], expected_type.as_deref(), expected))
        };
        match found {
            Some(i) => used[i] = true,
            None => {
                let got = result
                    .get(index)
                    .map(|i| format!("{} {}", type_of(i), literal(i)))
                    .unwrap_or_default();
                return Outcome::Fail(format!(
                    "item {index}: expected {expected_type:?} {expected}, got {got}"
                ));
            }
        }
    }
    Outcome::Pass
}

fn load_input(suite: &Path, name: &str) -> Json {
    let json_name = match name.strip_suffix(".xml") {
        Some(stem) => suite.join("input-json").join(format!("{stem}.json")),
        None => suite.join("input").join(name),
    };
    let text = std::fs::read_to_string(&json_name)
        .unwrap_or_else(|e| panic!("{}: {e}", json_name.display()));
    serde_json::from_str(text.trim_start_matches('\u{feff}')).expect("input is JSON")
}

fn skip_list(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, r)| (n.trim().to_string(), r.trim().to_string()))
        })
        .collect()
}

#[test]
fn official_fhirpath_suite() {
    let Some(data) = support::shared_data("fhirpath-tests") else {
        return;
    };
    let Some(model) = support::core_model() else {
        return;
    };
    let xml = std::fs::read_to_string(data.join("tests-fhir-r4.xml")).expect("suite readable");
    let cases = read_cases(&xml);
    assert!(cases.len() > 900, "suite has {} tests", cases.len());
    let skip_file = support::workspace_root().join("conformance-tests/fhirpath/skipped.txt");
    let skipped = skip_list(&skip_file);

    let mut ctx = EvalContext::with_model(model);
    ctx.conformance = Some(Arc::new(support::CoreProfiles));
    let empty = Json::Object(serde_json::Map::new());
    let mut inputs: BTreeMap<String, Json> = BTreeMap::new();
    let (mut passed, mut failed, mut skipped_count) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let id = format!("{}.{}", case.group, case.name);
        if let Some(reason) = skipped.get(&case.name) {
            assert!(!reason.is_empty(), "{id}: skip without a reason");
            skipped_count += 1;
            continue;
        }
        assert!(
            !case.strict,
            "{id} is a strict-mode test: list it in skipped.txt with its reason"
        );
        let input = match &case.input {
            Some(name) => inputs
                .entry(name.clone())
                .or_insert_with(|| load_input(&data, name)),
            None => &empty,
        };
        match run_case(case, &ctx, input) {
            Outcome::Pass => passed += 1,
            Outcome::Fail(why) => {
                failed += 1;
                failures.push(format!("{id}: {} => {why}", case.expression.trim()));
            }
        }
    }
    for failure in &failures {
        println!("FAIL {failure}");
    }
    println!("{passed} passed, {failed} failed, {skipped_count} skipped");
    let rate = passed as f64 / (passed + failed).max(1) as f64;
    assert!(
        rate >= THRESHOLD,
        "pass rate {:.1}% is below {:.0}%",
        rate * 100.0,
        THRESHOLD * 100.0
    );
}
