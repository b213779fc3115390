//! Splits a file's text into resources: a single resource, or every
//! `entry.resource` of a Bundle. Each resource is a range of the shared file
//! text (no copy) with its header fields already read.

use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::PackageError;
use crate::header::read_header;
use crate::source::RawResource;

pub(crate) fn entry_location(location: &str, entry: Option<usize>) -> String {
    match entry {
        Some(index) => format!("{location}#entry[{index}]"),
        None => location.to_string(),
    }
}

#[derive(Deserialize)]
struct TopLevel<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<String>,
    #[serde(borrow)]
    entry: Option<Vec<BundleEntry<'a>>>,
}

#[derive(Deserialize)]
struct TopLevelMinimal {
    #[serde(rename = "resourceType")]
    resource_type: Option<String>,
}

#[derive(Deserialize)]
struct BundleEntry<'a> {
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

pub(crate) fn file_text(bytes: Vec<u8>, location: &str) -> Result<Arc<str>, PackageError> {
    let text = String::from_utf8(bytes).map_err(|error| PackageError::InvalidResource {
        path: location.to_string(),
        message: format!("not UTF-8 (byte {})", error.utf8_error().valid_up_to()),
    })?;
    Ok(Arc::from(text))
}

pub(crate) fn split_resources(
    bytes: Vec<u8>,
    source: &str,
    location: &str,
) -> Result<Vec<RawResource>, PackageError> {
    split_text(file_text(bytes, location)?, source, location)
}

/// A file holds one resource, or a Bundle whose entries are the resources;
/// each comes back with its header fields read.
pub(crate) fn split_text(
    file_text: Arc<str>,
    source: &str,
    location: &str,
) -> Result<Vec<RawResource>, PackageError> {
    let start = if file_text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let text = file_text.get(start..).unwrap_or("");
    let json_error = |source| PackageError::Json {
        path: location.to_string(),
        source,
    };
    // Non-Bundle resources may carry an `entry` of another shape; the
    // minimal parse tells those apart from malformed JSON.
    let (resource_type, entries) = match serde_json::from_str::<TopLevel>(text) {
        Ok(top) => (top.resource_type, top.entry),
        Err(_) => {
            let minimal: TopLevelMinimal = serde_json::from_str(text).map_err(json_error)?;
            (minimal.resource_type, None)
        }
    };
    let make = |range: Range<usize>, entry: Option<usize>| {
        let location = entry_location(location, entry);
        let json = file_text.get(range.clone()).unwrap_or("null");
        Ok(RawResource {
            header: read_header(json, &location)?,
            file_text: Arc::clone(&file_text),
            range,
            source: source.to_string(),
            location,
            entry,
        })
    };
    match (resource_type.as_deref(), entries) {
        (None, _) => {
            tracing::debug!(location, "skipping JSON that is not a FHIR resource");
            Ok(Vec::new())
        }
        (Some("Bundle"), Some(entries)) => entries
            .into_iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let raw = entry.resource?.get();
                // The borrowed raw value is a slice of `file_text`.
                let offset = raw.as_ptr() as usize - file_text.as_ptr() as usize;
                Some(make(offset..offset + raw.len(), Some(index)))
            })
            .collect(),
        (Some(_), _) => Ok(vec![make(start..file_text.len(), None)?]),
    }
}
