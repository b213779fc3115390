//! Turning results into JSON for the CLI (`fhirgate fhirpath EXPR [FILE]`).
//!
//! Shape of [`to_json_output`]: a JSON array with one entry per item.
//! Booleans, integers and strings are plain JSON; decimals are JSON numbers
//! that keep their digits (`1.10`); dates, dateTimes and times are strings in
//! their FHIR form without `@` (`"2014-01"`, `"10:30:00"`); a Quantity is
//! `{"value": 4.5, "unit": "mg"}`; a FHIR element is its JSON as found in the
//! input (a primitive with only extensions is its `_name` object).

use std::io::{BufRead, Write};

use serde_json::Value as Json;

use crate::context::EvalContext;
use crate::value::{Collection, Value};
use crate::Expression;

fn number(text: &str) -> Json {
    serde_json::from_str::<serde_json::Number>(text)
        .map(Json::Number)
        .unwrap_or_else(|_| Json::String(text.to_string()))
}

pub fn item_to_json(item: &Value<'_>) -> Json {
    match item {
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Decimal(d) => number(&d.canonical_text()),
        Value::String(s) => Json::String(s.to_string()),
        Value::Date(d) | Value::DateTime(d) => Json::String(d.to_string()),
        Value::Time(t) => Json::String(t.to_string()),
        Value::Quantity(q) => {
            let mut map = serde_json::Map::new();
            map.insert("value".into(), number(&q.value.canonical_text()));
            map.insert("unit".into(), Json::String(q.unit.clone()));
            Json::Object(map)
        }
        Value::Node(node) => node.json.or(node.extra).cloned().unwrap_or(Json::Null),
    }
}

pub fn to_json_output(result: &Collection<'_>) -> Json {
    Json::Array(result.iter().map(item_to_json).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum NdjsonError {
    #[error("line {line}: invalid JSON: {source}")]
    Json {
        line: usize,
        source: serde_json::Error,
    },
    #[error("line {line}: {source}")]
    Eval {
        line: usize,
        source: crate::EvalError,
    },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Evaluates `expression` on each NDJSON line of `input` and writes one
/// result array per line to `output`; blank lines are skipped. Returns the
/// number of resources evaluated. Stops at the first bad line.
pub fn evaluate_ndjson(
    expression: &Expression,
    ctx: &EvalContext,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<usize, NdjsonError> {
    let mut count = 0;
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let resource: Json = serde_json::from_str(&line).map_err(|source| NdjsonError::Json {
            line: index + 1,
            source,
        })?;
        let result = expression
            .evaluate(ctx, &resource)
            .map_err(|source| NdjsonError::Eval {
                line: index + 1,
                source,
            })?;
        serde_json::to_writer(&mut output, &to_json_output(&result))
            .map_err(|e| NdjsonError::Io(e.into()))?;
        output.write_all(b"\n")?;
        count += 1;
    }
    Ok(count)
}
