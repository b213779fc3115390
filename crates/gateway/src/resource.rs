//! Checks every incoming body passes before validation proper, and the server-owned
//! fields (`id`, `meta.versionId`, `meta.lastUpdated`) the store writes into it.
//!
//! Bodies are read by `fhir_core::json`, which refuses duplicate keys and keeps
//! every number's text as sent, into serde_json values (`preserve_order`,
//! `arbitrary_precision`), so re-serialising keeps element order and every
//! decimal exactly as the client wrote it.

use fhir_core::id::LogicalId;
use fhir_core::json::JsonErrorKind;
use fhir_core::resource_types::is_resource_type;
use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::time::Micros;

/// Parses a request body into a JSON object with a known `resourceType`.
pub fn parse_resource(body: &[u8]) -> Result<Value, GatewayError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GatewayError::invalid_body(
            "the request body is empty; a FHIR resource in JSON was expected",
            None,
        ));
    }
    let value: Value = fhir_core::json::parse(body).map_err(|error| {
        let message = match error.kind {
            JsonErrorKind::DuplicateKey => format!("the body is not valid FHIR JSON: {error}"),
            _ => format!("the body is not valid JSON: {error}"),
        };
        GatewayError::invalid_body(message, error.path.as_deref())
    })?;
    let Some(object) = value.as_object() else {
        return Err(GatewayError::invalid_body(
            "the body must be a JSON object (a FHIR resource)",
            None,
        ));
    };
    match object.get("resourceType") {
        Some(Value::String(name)) if is_resource_type(name) => Ok(value),
        Some(Value::String(name)) => Err(GatewayError::invalid_body(
            format!("resourceType '{name}' is not a FHIR R4 resource type"),
            Some("resourceType"),
        )),
        Some(_) => Err(GatewayError::invalid_body(
            "resourceType must be a string",
            Some("resourceType"),
        )),
        None => Err(GatewayError::invalid_body(
            "the body has no resourceType; every FHIR resource must name its type",
            None,
        )),
    }
}

/// The URL's type must be a resource type.
pub fn check_type(resource_type: &str) -> Result<(), GatewayError> {
    if is_resource_type(resource_type) {
        Ok(())
    } else {
        Err(GatewayError::UnknownResourceType(resource_type.to_owned()))
    }
}

pub fn check_id(id: &str) -> Result<LogicalId, GatewayError> {
    LogicalId::parse(id).map_err(|error| GatewayError::InvalidId(format!("'{id}': {error}")))
}

/// The body's `resourceType` must be the URL's.
pub fn check_type_matches(url_type: &str, resource: &Value) -> Result<(), GatewayError> {
    let body_type = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if body_type == url_type {
        Ok(())
    } else {
        Err(GatewayError::invalid_body(
            format!("the body is a {body_type} but the URL is for {url_type}"),
            Some(&format!("{body_type}.resourceType")),
        ))
    }
}

/// On update the body must carry the URL's id (R4 3.1.0.4 update).
pub fn check_update_id(url_type: &str, url_id: &str, resource: &Value) -> Result<(), GatewayError> {
    match resource.get("id") {
        Some(Value::String(body_id)) if body_id == url_id => Ok(()),
        Some(Value::String(body_id)) => Err(GatewayError::invalid_body(
            format!("the body's id '{body_id}' does not match the id '{url_id}' in the URL"),
            Some(&format!("{url_type}.id")),
        )),
        Some(_) => Err(GatewayError::invalid_body(
            "id must be a string",
            Some(&format!("{url_type}.id")),
        )),
        None => Err(GatewayError::invalid_body(
            format!(
                "an update must carry the resource id in the body (expected \"id\": \"{url_id}\")"
            ),
            Some(&format!("{url_type}.id")),
        )),
    }
}

/// Sets `id` (right after `resourceType`), `meta.versionId` and
/// `meta.lastUpdated`, keeps the rest of `meta` (profiles, tags, security)
/// and returns the text to store.
pub fn finalize_body(resource: &Value, id: &str, version: i64, last_updated: Micros) -> String {
    let Value::Object(fields) = resource else {
        return resource.to_string();
    };
    let finalized = Finalized {
        fields,
        id,
        meta: FinalMeta {
            existing: fields.get("meta").and_then(Value::as_object),
            version_id: version.to_string(),
            last_updated: last_updated.to_instant(),
        },
    };
    // Serialising a borrowed view, not a rewritten copy: the store calls this for every
    // write, and cloning the resource tree cost more than serialising it.
    serde_json::to_string(&finalized).unwrap_or_else(|_| resource.to_string())
}

/// A resource as stored: `resourceType`, `id`, `meta`, then its other elements in
/// their order.
struct Finalized<'a> {
    fields: &'a Map<String, Value>,
    id: &'a str,
    meta: FinalMeta<'a>,
}

/// `meta` with the server's `versionId` and `lastUpdated`: in place when the client
/// sent them, otherwise after its other elements.
struct FinalMeta<'a> {
    existing: Option<&'a Map<String, Value>>,
    version_id: String,
    last_updated: String,
}

impl serde::Serialize for Finalized<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(resource_type) = self.fields.get("resourceType") {
            map.serialize_entry("resourceType", resource_type)?;
        }
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("meta", &self.meta)?;
        for (key, value) in self.fields {
            if !matches!(key.as_str(), "resourceType" | "id" | "meta") {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

impl serde::Serialize for FinalMeta<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        let (mut version_written, mut updated_written) = (false, false);
        for (key, value) in self.existing.into_iter().flatten() {
            match key.as_str() {
                "versionId" => {
                    map.serialize_entry(key, &self.version_id)?;
                    version_written = true;
                }
                "lastUpdated" => {
                    map.serialize_entry(key, &self.last_updated)?;
                    updated_written = true;
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        if !version_written {
            map.serialize_entry("versionId", &self.version_id)?;
        }
        if !updated_written {
            map.serialize_entry("lastUpdated", &self.last_updated)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bodies_that_are_not_resources() {
        for body in [
            &b""[..],
            b"  ",
            b"{",
            b"[1]",
            b"\"x\"",
            b"{}",
            b"{\"resourceType\":1}",
        ] {
            assert!(matches!(
                parse_resource(body),
                Err(GatewayError::InvalidBody { .. })
            ));
        }
        let error = parse_resource(br#"{"resourceType":"Patientx"}"#).err();
        assert!(error.is_some_and(|e| e.to_string().contains("Patientx")));
    }

    #[test]
    fn refuses_duplicate_keys_naming_the_element() {
        let error =
            parse_resource(br#"{"resourceType":"Patient","gender":"male","gender":"female"}"#)
                .err();
        match error {
            Some(GatewayError::InvalidBody {
                diagnostics,
                expression,
            }) => {
                assert!(
                    diagnostics.contains("'gender' appears twice"),
                    "{diagnostics}"
                );
                assert_eq!(expression.as_deref(), Some("Patient.gender"));
            }
            other => panic!("expected an invalid body, got {other:?}"),
        }
    }

    #[test]
    fn finalize_keeps_number_text_exactly_as_sent() {
        let resource = parse_resource(
            br#"{"resourceType":"Observation","valueQuantity":{"value":1E2},"component":[{"valueQuantity":{"value":-2.50e-3}}]}"#,
        )
        .unwrap_or_default();
        let text = finalize_body(&resource, "n", 1, Micros(0));
        assert!(text.contains(r#""value":1E2"#), "{text}");
        assert!(text.contains(r#""value":-2.50e-3"#), "{text}");
    }

    #[test]
    fn finalize_keeps_decimals_order_and_meta() {
        let resource = parse_resource(
            br#"{"resourceType":"Observation","status":"final","meta":{"profile":["http://x"]},"valueQuantity":{"value":1.10},"id":"old"}"#,
        )
        .unwrap_or_default();
        let text = finalize_body(&resource, "new", 3, Micros(0));
        assert_eq!(
            text,
            r#"{"resourceType":"Observation","id":"new","meta":{"profile":["http://x"],"versionId":"3","lastUpdated":"1970-01-01T00:00:00.000000Z"},"status":"final","valueQuantity":{"value":1.10}}"#
        );
    }

    #[test]
    fn finalize_replaces_client_version_fields_in_place() {
        let resource = parse_resource(
            br#"{"id":"x","meta":{"lastUpdated":"2001-01-01T00:00:00Z","tag":[{"code":"t"}],"versionId":"9"},"resourceType":"Patient","active":true}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            finalize_body(&resource, "x", 10, Micros(0)),
            r#"{"resourceType":"Patient","id":"x","meta":{"lastUpdated":"1970-01-01T00:00:00.000000Z","tag":[{"code":"t"}],"versionId":"10"},"active":true}"#
        );
        // A meta that is not an object is replaced (validation refuses it anyway).
        let odd = serde_json::json!({"resourceType": "Patient", "meta": 1});
        assert_eq!(
            finalize_body(&odd, "y", 1, Micros(0)),
            r#"{"resourceType":"Patient","id":"y","meta":{"versionId":"1","lastUpdated":"1970-01-01T00:00:00.000000Z"}}"#
        );
    }

    #[test]
    fn update_id_must_match() {
        let body = serde_json::json!({"resourceType": "Patient", "id": "a"});
        assert!(check_update_id("Patient", "a", &body).is_ok());
        assert!(check_update_id("Patient", "b", &body).is_err());
        assert!(check_update_id("Patient", "a", &serde_json::json!({})).is_err());
    }
}
