//! Rules inside a datatype value that no invariant of R4 states but its
//! element definitions do in prose: an Attachment's `size` is the number of
//! bytes of its `data`, and its `hash` is the SHA-1 of those bytes (base64).
//! A `data` that is not base64 is reported by the primitive rules; it is not
//! measured here.

use crate::report::{IssueType, Sink};
use crate::structure::Item;
use crate::Engine;
use base64::Engine as _;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

impl Engine {
    /// Rules of the datatype `code` on one value of it.
    pub(crate) fn check_datatype_rules(
        &self,
        code: &str,
        obj: &Map<String, Value>,
        item: &Item,
        sink: &mut Sink,
    ) {
        if code == "Attachment" {
            check_attachment(obj, item, sink);
        }
    }
}

fn check_attachment(obj: &Map<String, Value>, item: &Item, sink: &mut Sink) {
    let Some(data) = obj.get("data").and_then(Value::as_str) else {
        return;
    };
    let Some(bytes) = decode(data) else { return };
    if let Some(size) = obj.get("size").and_then(Value::as_u64) {
        if size != bytes.len() as u64 {
            sink.error(
                IssueType::Value,
                &item.expr(),
                format!(
                    "Attachment.size is {size}, but data holds {} bytes",
                    bytes.len()
                ),
            );
        }
    }
    if let Some(hash) = obj.get("hash").and_then(Value::as_str) {
        check_hash(hash, &bytes, item, sink);
    }
}

/// A hash that is a SHA-1 (20 bytes in base64) and disagrees is an error.
/// One that is not a base64 SHA-1 at all is only a warning: an official R4
/// example carries a hex digest of something else there.
fn check_hash(hash: &str, data: &[u8], item: &Item, sink: &mut Sink) {
    let actual = Sha1::digest(data);
    let stated = decode(hash);
    if stated.as_deref() == Some(actual.as_slice()) {
        return;
    }
    let actual = base64::engine::general_purpose::STANDARD.encode(actual);
    if stated.is_some_and(|s| s.len() == 20) {
        sink.error(
            IssueType::Value,
            &item.expr(),
            format!("Attachment.hash '{hash}' is not the SHA-1 of data, which is '{actual}'"),
        );
    } else {
        sink.warning(
            IssueType::Value,
            &item.expr(),
            format!("Attachment.hash '{hash}' is not a base64 SHA-1 (20 bytes); the SHA-1 of data is '{actual}'"),
        );
    }
}

/// base64 as FHIR allows it: whitespace between the characters is ignored.
fn decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}
