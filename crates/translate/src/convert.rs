//! The state one message's translation carries (tables, MSH-7 offset, unmapped list) and
//! the small helpers every data-type converter uses to read components and report what it
//! does not carry.

use hl7v2::{ErrorCode, ErrorLocation, Value};
use serde_json::{Map, Value as Json};

use crate::dtm::{Precision, V2DateTime};
use crate::error::{Rejection, Unmapped, UnmappedReason};
use crate::tables::{is_table_number, Tables};

/// Where a value being converted sits: segment occurrence, field and repetition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    pub segment: &'a str,
    pub sequence: usize,
    pub field: usize,
    pub repetition: usize,
}

impl At<'_> {
    pub fn location(&self, component: Option<usize>) -> ErrorLocation {
        ErrorLocation {
            segment_id: self.segment.to_owned(),
            segment_sequence: self.sequence,
            field: Some(self.field),
            field_repetition: Some(self.repetition),
            component,
            subcomponent: None,
        }
    }
}

pub(crate) struct Ctx<'t> {
    pub tables: &'t Tables,
    /// MSH-7's offset (`+HH:MM`), used for times sent without one.
    pub fallback_offset: Option<String>,
    pub unmapped: Vec<Unmapped>,
}

impl Ctx<'_> {
    pub fn report(
        &mut self,
        at: &At<'_>,
        component: Option<usize>,
        reason: UnmappedReason,
        why: impl Into<String>,
    ) {
        self.unmapped.push(Unmapped {
            segment: at.segment.to_owned(),
            segment_sequence: at.sequence,
            field: Some(at.field),
            repetition: Some(at.repetition),
            component,
            reason,
            why: why.into(),
        });
    }

    /// Reports every valued component of `value` that the converter did not read.
    pub fn report_unused(&mut self, at: &At<'_>, value: &Value<'_>, used: &[usize]) {
        for (index, component) in value.components().enumerate() {
            let number = index + 1;
            if !used.contains(&number) && has_content(&component) {
                self.report(
                    at,
                    Some(number),
                    UnmappedReason::NotMapped,
                    "component not mapped",
                );
            }
        }
    }

    /// The decoded text of a component (1-based), `None` when empty or `""`. Text that does not
    /// decode in the message's charset is reported and treated as absent.
    /// Only the first subcomponent is read (primitive components); others are reported.
    pub fn component(&mut self, at: &At<'_>, value: &Value<'_>, number: usize) -> Option<String> {
        let component = value.component(number)?;
        let mut parts = component.subcomponents();
        let first = parts.next()?;
        if parts.any(|part| has_content(&part)) {
            self.report(
                at,
                Some(number),
                UnmappedReason::NotMapped,
                "subcomponents after the first not mapped",
            );
        }
        self.text_of(at, Some(number), &first)
    }

    /// Subcomponent `sub` of component `number`.
    pub fn subcomponent(
        &mut self,
        at: &At<'_>,
        value: &Value<'_>,
        number: usize,
        sub: usize,
    ) -> Option<String> {
        let part = value.component(number)?.subcomponent(sub)?;
        self.text_of(at, Some(number), &part)
    }

    pub fn text_of(
        &mut self,
        at: &At<'_>,
        component: Option<usize>,
        value: &Value<'_>,
    ) -> Option<String> {
        if !has_content(value) {
            return None;
        }
        match value.text() {
            Ok(text) => {
                let text = text.trim();
                (!text.is_empty()).then(|| text.to_owned())
            }
            Err(error) => {
                self.report(
                    at,
                    component,
                    UnmappedReason::InvalidValue,
                    error.to_string(),
                );
                None
            }
        }
    }

    /// A v2 date/time as FHIR `dateTime`; a malformed value rejects the message (0357 code
    /// 102), since a wrong clinical date is worse than a refused message.
    pub fn date_time(
        &mut self,
        at: &At<'_>,
        component: Option<usize>,
        text: &str,
    ) -> Result<String, Rejection> {
        let parsed = V2DateTime::parse(text).map_err(|error| {
            Rejection::content(
                ErrorCode::DataType,
                at.location(component),
                error.to_string(),
            )
        })?;
        let (value, precision) = parsed.to_date_time(self.fallback_offset.as_deref());
        if precision == Precision::TimeDropped {
            self.report(
                at,
                component,
                UnmappedReason::PrecisionLost,
                format!("time of `{text}` dropped: no offset in the value or in MSH-7"),
            );
        }
        Ok(value)
    }

    /// The FHIR system URI for a v2 coding-system name (CWE-3), or for the field's default
    /// table when the name is empty.
    pub fn coding_system(&self, name: Option<&str>, default_table: Option<&str>) -> Option<String> {
        let name = name.or(default_table)?;
        if let Some(number) = name.strip_prefix("HL7").map(|n| n.trim_start_matches('-')) {
            if is_table_number(number) {
                return Some(format!("http://terminology.hl7.org/CodeSystem/v2-{number}"));
            }
        }
        if let Some(system) = self.tables.code_system(name) {
            return Some(system.to_owned());
        }
        Some(system_uri(name, "codesystem"))
    }
}

/// `urn:oid:` for an ISO OID, otherwise `urn:fhirgate:v2:<kind>:<name>` with the name
/// percent-encoded: stable, and the original name can be read back from it.
pub(crate) fn system_uri(name: &str, kind: &str) -> String {
    if is_oid(name) {
        return format!("urn:oid:{name}");
    }
    let mut out = format!("urn:fhirgate:v2:{kind}:");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(crate) fn is_oid(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').count() > 1
        && text
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// Not empty and not the HL7 null `""` (both mean "no value" in a full-snapshot update).
pub(crate) fn has_content(value: &Value<'_>) -> bool {
    !value.is_empty()
        && !value.is_null()
        && value.raw().iter().any(|b| !b.is_ascii_whitespace())
        && !is_only_delimiters(value)
}

fn is_only_delimiters(value: &Value<'_>) -> bool {
    // `^^^` or `&&`: components all empty.
    value
        .components()
        .all(|c| c.subcomponents().all(|s| s.is_empty() || s.is_null()))
}

/// Builds a JSON object from (name, value) pairs, skipping `None`.
pub(crate) fn object(pairs: Vec<(&str, Option<Json>)>) -> Option<Json> {
    // Sized up front: collecting a filtered iterator grew the map (and rehashed its
    // index) member by member, a measurable share of translation under load.
    let present = pairs.iter().filter(|(_, value)| value.is_some()).count();
    if present == 0 {
        return None;
    }
    let mut map = Map::with_capacity(present);
    for (name, value) in pairs {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    Some(Json::Object(map))
}

pub(crate) fn string(text: Option<String>) -> Option<Json> {
    text.map(Json::String)
}
