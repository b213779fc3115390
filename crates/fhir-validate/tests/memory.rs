//! Memory is bounded by the definitions, not by the traffic: validating the
//! official examples a second time (same definitions, same compiled state)
//! adds nothing material to the process's resident memory, and traffic the
//! definitions do not know (unknown types, unknown elements, many array
//! shapes) does not grow it either. Its own test binary, so that no other
//! test shares the process whose VmRSS is read.
mod common;

use fhir_validate::{ValidateOptions, Validator};
use serde_json::{json, Value};

const MIB: u64 = 1024 * 1024;

/// What a second pass may add: allocator noise, not a cache.
const MATERIAL: u64 = 32 * MIB;

/// Resident memory of this process, from `/proc/self/status`.
fn vm_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn pass(validator: &Validator, resources: &[Value]) -> Vec<usize> {
    let opts = ValidateOptions::default();
    resources
        .iter()
        .map(|r| validator.validate(r, &opts).issues.len())
        .collect()
}

/// Resources no definition describes, each different: unknown resource
/// types (top level and contained), unknown elements, and backbone
/// elements at many array positions (rooted constraint texts carry them).
fn unknown_traffic(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let padding: Vec<Value> = (0..i % 40).map(|_| json!({"name": "x"})).collect();
            let mut items = padding;
            items.push(json!({"name": format!("p{i}"), "type": "string", "unknown{i}": true}));
            json!({
                "resourceType": "OperationDefinition",
                "status": "draft",
                "kind": "operation",
                "name": format!("Op{i}"),
                "code": "x",
                "system": false,
                "type": false,
                "instance": false,
                format!("extra{i}"): 1,
                "contained": [{"resourceType": format!("NoSuchType{i}"), "id": format!("c{i}")}],
                "parameter": items,
            })
        })
        .collect()
}

#[test]
fn a_second_pass_and_unknown_traffic_add_no_material_memory() {
    let Some(dir) = common::shared_data("fhir-examples") else {
        return;
    };
    let Some(validator) = common::validator() else {
        return;
    };
    if vm_rss().is_none() {
        println!("skipped: no /proc/self/status on this system");
        return;
    }
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let examples: Vec<Value> = paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("JSON"))
        .collect();
    assert!(examples.len() > 800, "{} examples", examples.len());
    let traffic = unknown_traffic(2_000);

    let first = pass(validator, &examples);
    // One round of the unknown traffic compiles what it needs (the types
    // it names that do exist) before the baseline is taken.
    pass(validator, &traffic[..100]);
    let after_first = vm_rss().expect("VmRSS");
    let second = pass(validator, &examples);
    let after_second = vm_rss().expect("VmRSS");
    pass(validator, &traffic);
    let after_traffic = vm_rss().expect("VmRSS");

    println!(
        "VmRSS: {} MiB after the first pass, {} MiB after the second, {} MiB after {} unknown resources",
        after_first / MIB,
        after_second / MIB,
        after_traffic / MIB,
        traffic.len()
    );
    assert_eq!(first, second, "the same issues on both passes");
    assert!(
        after_second < after_first + MATERIAL,
        "the second pass added {} MiB",
        (after_second - after_first) / MIB
    );
    assert!(
        after_traffic < after_second + MATERIAL,
        "unknown traffic added {} MiB",
        after_traffic.saturating_sub(after_second) / MIB
    );
    assert!(
        after_second < 1024 * MIB,
        "{} MiB resident",
        after_second / MIB
    );
}
