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

/// Resource-major, as indexing does it: for each example (file-name order),
/// every SearchParameter expression whose base includes its type (bundle
/// order). Expressions are parsed once and shared.
pub fn workload(data: &Path) -> Vec<(Json, Vec<Expression>)> {
    let mut text = String::new();
    let file = std::fs::File::open(data.join("fhir-r4/search-parameters.json.gz"))
        .expect("search parameters");
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip");
    let bundle: Json = serde_json::from_str(&text).expect("json");
    let mut by_type: BTreeMap<String, Vec<Expression>> = BTreeMap::new();
    for sp in bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
    {
        let Some(Ok(expr)) = sp["expression"].as_str().map(parse) else {
            continue;
        };
        for base in sp["base"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            by_type
                .entry(base.to_string())
                .or_default()
                .push(expr.clone());
        }
    }
    let mut paths: Vec<_> = std::fs::read_dir(data.join("fhir-examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Ok(Ok(json)) = std::fs::read_to_string(&path).map(|t| serde_json::from_str::<Json>(&t))
        else {
            continue;
        };
        let Some(expressions) = json["resourceType"].as_str().and_then(|rt| by_type.get(rt)) else {
            continue;
        };
        let expressions = expressions.clone();
        out.push((json, expressions));
    }
    out
}
