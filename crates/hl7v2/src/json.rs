//! JSON rendering for people and tools (`fhirgate v2 FILE`). Shape of one message:
//!
//! ```text
//! {"offset": 0,
//!  "segments": [{"name": "PID", "fields": {"3": ["123", ["A", "B"]], "5": [["DOE", "JOHN"]]}}],
//!  "batch": {"file_header": <segment>, "batch_header": <segment>},   (only inside FHS/BHS)
//!  "warnings": [{"path": "NTE-3[1].1.1", "error": "..."}]}            (only when any)
//! ```
//!
//! Field keys are the standard field numbers; empty fields are left out. A field is a list of
//! repetitions; a repetition without components is a string, otherwise a list of components;
//! a component without subcomponents is a string, otherwise a list of strings. MSH-1 and MSH-2
//! are plain strings. The HL7 null `""` is JSON `null`. Text is decoded (escapes, charset,
//! `\.br\` as a newline); a value that cannot be decoded is shown raw and listed in warnings.
//! A message that fails to parse becomes `{"offset": n, "error": "..."}` so the other
//! messages of the file are still shown.

use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};

use crate::batch::split_messages;
use crate::error::Error;
use crate::message::{Message, ParseOptions};
use crate::path::TersePath;
use crate::value::{Segment, Value};

/// Every message in `bytes` (batches and multi-message files split) as JSON.
pub fn render_json(bytes: &[u8], options: &ParseOptions) -> Result<Vec<Json>, Error> {
    let split = split_messages(bytes, options)?;
    let envelope_json = |index: Option<usize>| -> Option<Json> {
        let envelope = split.envelopes.get(index?)?;
        let parsed = envelope.parse(options).ok()?;
        let segment = parsed.segment_at(0)?;
        Some(segment_json(&segment, 1, &mut Vec::new()))
    };
    let mut out = Vec::with_capacity(split.messages.len());
    for chunk in &split.messages {
        let mut rendered = match chunk.parse(options) {
            Ok(message) => message_json(&message),
            Err(error) => json!({"offset": chunk.offset, "error": error.to_string()}),
        };
        if let Some(object) = rendered.as_object_mut() {
            object.insert("offset".into(), json!(chunk.offset));
            let mut batch = Map::new();
            if let Some(header) = envelope_json(chunk.file_header) {
                batch.insert("file_header".into(), header);
            }
            if let Some(header) = envelope_json(chunk.batch_header) {
                batch.insert("batch_header".into(), header);
            }
            if !batch.is_empty() {
                object.insert("batch".into(), Json::Object(batch));
            }
        }
        out.push(rendered);
    }
    Ok(out)
}

/// For each message in `bytes`, the value at `path` rendered as in [`render_json`]
/// (`null` when absent, `{"error": ...}` when the message does not parse).
pub fn render_path(bytes: &[u8], path: &str, options: &ParseOptions) -> Result<Vec<Json>, Error> {
    let path = TersePath::parse(path)?;
    let split = split_messages(bytes, options)?;
    let mut out = Vec::with_capacity(split.messages.len());
    for chunk in &split.messages {
        let rendered = match chunk.parse(options) {
            Ok(message) => lookup_json(&message, &path),
            Err(error) => json!({"offset": chunk.offset, "error": error.to_string()}),
        };
        out.push(rendered);
    }
    Ok(out)
}

/// The value at `path` in one message, rendered as in [`render_json`]; `null` when absent.
pub fn lookup_json(message: &Message<'_>, path: &TersePath) -> Json {
    let mut warnings = Vec::new();
    let Some(value) = message.get(path) else {
        return Json::Null;
    };
    let rendered = match (path.component, path.subcomponent) {
        (None, _) => repetition_json(value, path, &mut warnings),
        (Some(_), None) => component_json(value, path, &mut warnings),
        (Some(_), Some(_)) => text_json(value, path, &mut warnings),
    };
    match warnings.is_empty() {
        true => rendered,
        false => json!({"value": rendered, "warnings": warnings}),
    }
}

/// One parsed message as JSON (without offset and batch information).
pub fn message_json(message: &Message<'_>) -> Json {
    let mut warnings = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let segments: Vec<Json> = message
        .segments()
        .map(|segment| {
            let repetition = seen.entry(segment.name()).or_default();
            *repetition += 1;
            segment_json(&segment, *repetition, &mut warnings)
        })
        .collect();
    let mut object = Map::new();
    object.insert("segments".into(), Json::Array(segments));
    if !warnings.is_empty() {
        object.insert("warnings".into(), Json::Array(warnings));
    }
    Json::Object(object)
}

/// `occurrence` is which occurrence of its name the segment is (for warning paths).
fn segment_json(segment: &Segment<'_>, occurrence: usize, warnings: &mut Vec<Json>) -> Json {
    let name = segment.name();
    let mut fields = Map::new();
    for (number, field) in segment.fields() {
        if field.is_empty() {
            continue;
        }
        let rendered = if segment.is_header() && number <= 2 {
            Json::String(String::from_utf8_lossy(field.raw()).into_owned())
        } else {
            let reps = field.repetitions().enumerate().map(|(r, repetition)| {
                let path = TersePath {
                    segment: name.to_string(),
                    segment_repetition: occurrence,
                    field: number,
                    field_repetition: r + 1,
                    component: None,
                    subcomponent: None,
                };
                repetition_json(repetition, &path, warnings)
            });
            Json::Array(reps.collect())
        };
        fields.insert(number.to_string(), rendered);
    }
    json!({"name": name, "fields": fields})
}

fn repetition_json(value: Value<'_>, path: &TersePath, warnings: &mut Vec<Json>) -> Json {
    if !value.is_composite() {
        return text_json(value, path, warnings);
    }
    let components = value.components().enumerate().map(|(c, component)| {
        let path = TersePath {
            component: Some(c + 1),
            ..path.clone()
        };
        component_json(component, &path, warnings)
    });
    Json::Array(components.collect())
}

fn component_json(value: Value<'_>, path: &TersePath, warnings: &mut Vec<Json>) -> Json {
    if !value.is_composite() {
        return text_json(value, path, warnings);
    }
    let subs = value.subcomponents().enumerate().map(|(s, sub)| {
        let path = TersePath {
            subcomponent: Some(s + 1),
            ..path.clone()
        };
        text_json(sub, &path, warnings)
    });
    Json::Array(subs.collect())
}

fn text_json(value: Value<'_>, path: &TersePath, warnings: &mut Vec<Json>) -> Json {
    if value.is_null() {
        return Json::Null;
    }
    match value.text() {
        Ok(text) => Json::String(text.into_owned()),
        Err(error) => {
            warnings.push(json!({"path": path.to_string(), "error": error.to_string()}));
            Json::String(String::from_utf8_lossy(value.raw()).into_owned())
        }
    }
}
