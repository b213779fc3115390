//! The benchmark workload, shared by `benches/search_params.rs` (criterion)
//! and `examples/search_throughput.rs` (CPU-time runs): every R4
//! SearchParameter expression with every official example of its base types.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use fhirpath::{parse, Expression};
use serde_json::Value as Json;

pub fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.exists().then_some(dir)
}

pub fn workload(data: &Path) -> Vec<(Expression, Vec<Json>)> {
    let mut text = String::new();
    let file = std::fs::File::open(data.join("fhir-r4/search-parameters.json.gz"))
        .expect("search parameters");
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip");
    let bundle: Json = serde_json::from_str(&text).expect("json");
    let mut examples: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(data.join("fhir-examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        let Ok(json) = std::fs::read_to_string(&path).map(|t| serde_json::from_str::<Json>(&t))
        else {
            continue;
        };
        let Ok(json) = json else { continue };
        if let Some(rt) = json["resourceType"].as_str() {
            examples.entry(rt.to_string()).or_default().push(json);
        }
    }
    let mut out = Vec::new();
    for sp in bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
    {
        let Some(text) = sp["expression"].as_str() else {
            continue;
        };
        let Ok(expr) = parse(text) else { continue };
        let mut inputs = Vec::new();
        for base in sp["base"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            inputs.extend(examples.get(base).into_iter().flatten().cloned());
        }
        out.push((expr, inputs));
    }
    out
}
