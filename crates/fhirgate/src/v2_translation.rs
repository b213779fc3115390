//! The `translate` crate behind the gateway's v2 intake: Bundle entries become version
//! writes committed with the message log entry, unmapped values become ACK warnings, and
//! a rejection becomes the AE/AR issue.
//!
//! Warnings use ERR-4 severity W with ERR-3 from table 0357: 0 (message accepted) for data
//! with no mapping, 103 for a code missing from a vocabulary map, 102 for a value of the
//! wrong form in an optional element. ERR-2 names segment, field, repetition and component.

use gateway::storage::{Precondition, WriteMethod, WriteRequest};
use gateway::v2_intake::{Translation, V2Translator};
use hl7v2::{AckIssue, ErrorCode, ErrorLocation, Message, Severity};
use translate::{MappingError, Rejection, Translated, Unmapped, V2ToFhir};

pub struct V2ToFhirTranslator {
    inner: V2ToFhir,
}

impl V2ToFhirTranslator {
    pub fn new() -> Result<Self, MappingError> {
        Ok(Self {
            inner: V2ToFhir::new()?,
        })
    }
}

impl V2Translator for V2ToFhirTranslator {
    fn translate(&self, message: &Message<'_>) -> Result<Translation, Vec<AckIssue>> {
        match self.inner.translate(message) {
            Ok(translated) => Ok(translation(translated)),
            Err(rejection) => Err(vec![rejection_issue(&rejection)]),
        }
    }
}

fn translation(translated: Translated) -> Translation {
    let warnings = translated.unmapped.iter().map(warning).collect();
    let writes = translated
        .into_resources()
        .into_iter()
        .map(|(resource_type, id, resource)| WriteRequest {
            resource_type,
            id,
            method: WriteMethod::Put,
            precondition: Precondition::None,
            resource: Some(resource),
        })
        .collect();
    Translation { writes, warnings }
}

fn warning(unmapped: &Unmapped) -> AckIssue {
    AckIssue {
        location: Some(unmapped.location()),
        code: unmapped.reason.error_code(),
        severity: Severity::Warning,
        application_code: None,
        message: unmapped.why.clone(),
    }
}

fn rejection_issue(rejection: &Rejection) -> AckIssue {
    let location = match rejection {
        Rejection::Content { location, .. } => location.clone(),
        // Unsupported: point at MSH-9.1 (type) or MSH-9.2 (event).
        Rejection::Unsupported { code, .. } => ErrorLocation {
            segment_id: "MSH".into(),
            segment_sequence: 1,
            field: Some(9),
            field_repetition: Some(1),
            component: Some(if *code == ErrorCode::UnsupportedEventCode {
                2
            } else {
                1
            }),
            subcomponent: None,
        },
    };
    let message = match rejection {
        Rejection::Content { message, .. } | Rejection::Unsupported { message, .. } => message,
    };
    AckIssue {
        location: Some(location),
        code: rejection.code(),
        severity: Severity::Error,
        application_code: None,
        message: message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hl7v2::ParseOptions;

    fn run(text: &str) -> Result<Translation, Vec<AckIssue>> {
        let translator = V2ToFhirTranslator::new().expect("tables load");
        let message = Message::parse(text.as_bytes(), &ParseOptions::default()).expect("parses");
        translator.translate(&message)
    }

    const A08: &str =
        "MSH|^~\\&|LAB|HOSP|FHIRGATE|GW|20260101120000+0000||ADT^A08^ADT_A01|C1|P|2.5.1\r\
        EVN|A08|20260101120000\r\
        PID|1||P1^^^HOSP^MR||DOE^JANE||19800101|F||2106-3^White^HL70005\r\
        PV1|1|I|4E^401||||||||||||||||V1^^^HOSP^VN\r";

    #[test]
    fn entries_become_unconditional_puts() {
        let translation = run(A08).expect("accepted");
        let kinds: Vec<_> = translation
            .writes
            .iter()
            .map(|w| w.resource_type.as_str())
            .collect();
        assert_eq!(kinds, ["Patient", "Encounter"]);
        for write in &translation.writes {
            assert_eq!(write.method, WriteMethod::Put);
            assert_eq!(write.precondition, Precondition::None);
            let resource = write.resource.as_ref().expect("resource");
            assert_eq!(resource["id"].as_str(), Some(write.id.as_str()));
            assert_eq!(
                resource["resourceType"].as_str(),
                Some(write.resource_type.as_str())
            );
        }
    }

    #[test]
    fn unmapped_values_become_located_warnings() {
        let translation = run(A08).expect("accepted");
        let evn2 = translation
            .warnings
            .iter()
            .find(|w| {
                w.location
                    .as_ref()
                    .is_some_and(|l| l.segment_id == "EVN" && l.field == Some(2))
            })
            .expect("EVN-2 reported");
        assert_eq!(evn2.severity, Severity::Warning);
        assert_eq!(evn2.code, ErrorCode::MessageAccepted);
        let pid10 = translation
            .warnings
            .iter()
            .find(|w| {
                w.location
                    .as_ref()
                    .is_some_and(|l| l.segment_id == "PID" && l.field == Some(10))
            })
            .expect("PID-10 reported");
        assert_eq!(
            pid10.location.as_ref().and_then(|l| l.field_repetition),
            None
        );
    }

    #[test]
    fn unsupported_events_are_ar_issues_at_msh_9_2() {
        let text = A08.replace("ADT^A08^ADT_A01", "ADT^A40^ADT_A39");
        let issues = run(&text).expect_err("rejected");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, ErrorCode::UnsupportedEventCode);
        assert_eq!(issues[0].severity, Severity::Error);
        assert_eq!(
            issues[0].location.as_ref().and_then(|l| l.component),
            Some(2)
        );
    }

    #[test]
    fn content_errors_are_ae_issues_at_the_field() {
        let text = A08.replace("19800101", "19801301");
        let issues = run(&text).expect_err("rejected");
        assert_eq!(issues[0].code, ErrorCode::DataType);
        let location = issues[0].location.as_ref().expect("location");
        assert_eq!(
            (location.segment_id.as_str(), location.field),
            ("PID", Some(7))
        );
    }
}
