//! ACK building: original and enhanced mode, swapped routing fields, ERR segments, and the
//! answer to bytes that did not parse.

use hl7v2::{
    build_ack, build_ack_for_parse_error, AckCode, AckIssue, AckMode, AckRequest, Error, ErrorCode,
    ErrorLocation, Message, ParseOptions, Severity, TersePath,
};

const ORIGINAL: &[u8] = b"MSH|^~\\&|LAB|LABFAC|GATE|GATEFAC|20240101120000||ORU^R01^ORU_R01|CTRL42|P|2.5.1\rPID|1||123\r";
const ENHANCED: &[u8] = b"MSH|^~\\&|LAB|LABFAC|GATE|GATEFAC|20240101120000||ORU^R01|CTRL43|T^A|2.5.1|||AL|NE||8859/1\rPID|1\r";

fn request(code: AckCode, issues: Vec<AckIssue>) -> AckRequest {
    AckRequest {
        code,
        control_id: "ACK0001".into(),
        timestamp: "20240101120001".into(),
        issues,
    }
}

fn ack_text(bytes: &[u8], path: &str) -> String {
    let ack = Message::parse(bytes, &ParseOptions::default()).unwrap();
    ack.get_text(path)
        .unwrap()
        .map(|t| t.into_owned())
        .unwrap_or_default()
}

#[test]
fn original_mode_accept() {
    let incoming = Message::parse(ORIGINAL, &ParseOptions::default()).unwrap();
    assert_eq!(AckMode::of(&incoming), AckMode::Original);
    let ack = build_ack(&incoming, &request(AckCode::Accept, vec![]))
        .unwrap()
        .to_bytes();
    assert_eq!(
        ack,
        b"MSH|^~\\&|GATE|GATEFAC|LAB|LABFAC|20240101120001||ACK^R01^ACK|ACK0001|P|2.5.1\rMSA|AA|CTRL42\r"
    );
}

#[test]
fn original_mode_error_and_reject_codes() {
    let incoming = Message::parse(ORIGINAL, &ParseOptions::default()).unwrap();
    let ae = build_ack(&incoming, &request(AckCode::Error, vec![]))
        .unwrap()
        .to_bytes();
    assert_eq!(ack_text(&ae, "MSA-1"), "AE");
    let ar = build_ack(&incoming, &request(AckCode::Reject, vec![]))
        .unwrap()
        .to_bytes();
    assert_eq!(ack_text(&ar, "MSA-1"), "AR");
}

#[test]
fn enhanced_mode_uses_commit_codes_and_echoes_fields() {
    let incoming = Message::parse(ENHANCED, &ParseOptions::default()).unwrap();
    let mode = AckMode::of(&incoming);
    assert_eq!(
        mode,
        AckMode::Enhanced {
            accept: "AL".into(),
            application: "NE".into()
        }
    );
    for (code, expected) in [
        (AckCode::Accept, "CA"),
        (AckCode::Error, "CE"),
        (AckCode::Reject, "CR"),
    ] {
        let ack = build_ack(&incoming, &request(code, vec![]))
            .unwrap()
            .to_bytes();
        assert_eq!(ack_text(&ack, "MSA-1"), expected);
        assert_eq!(ack_text(&ack, "MSA-2"), "CTRL43");
        assert_eq!(ack_text(&ack, "MSH-11"), "T^A");
        assert_eq!(ack_text(&ack, "MSH-12"), "2.5.1");
        assert_eq!(ack_text(&ack, "MSH-18"), "8859/1");
        assert_eq!(ack_text(&ack, "MSH-9"), "ACK^R01^ACK");
    }
}

#[test]
fn enhanced_mode_accept_conditions() {
    let never = AckMode::Enhanced {
        accept: "NE".into(),
        application: "AL".into(),
    };
    assert!(!never.wants_accept_ack(AckCode::Accept));
    let on_error = AckMode::Enhanced {
        accept: "ER".into(),
        application: String::new(),
    };
    assert!(!on_error.wants_accept_ack(AckCode::Accept));
    assert!(on_error.wants_accept_ack(AckCode::Error));
    let on_success = AckMode::Enhanced {
        accept: "SU".into(),
        application: String::new(),
    };
    assert!(on_success.wants_accept_ack(AckCode::Accept));
    assert!(!on_success.wants_accept_ack(AckCode::Reject));
    assert!(AckMode::Original.wants_accept_ack(AckCode::Reject));
}

#[test]
fn err_segment_carries_location_code_severity_and_text() {
    let incoming = Message::parse(ORIGINAL, &ParseOptions::default()).unwrap();
    let issue = AckIssue {
        location: Some(ErrorLocation::from_path(
            &TersePath::parse("PID-3[2].4.1").unwrap(),
        )),
        code: ErrorCode::RequiredFieldMissing,
        severity: Severity::Error,
        application_code: Some("FG-17".into()),
        message: "PID-3 needs an MR identifier | ^".into(),
    };
    let warning = AckIssue {
        location: None,
        code: ErrorCode::TableValueNotFound,
        severity: Severity::Warning,
        application_code: None,
        message: "unknown code".into(),
    };
    let ack = build_ack(&incoming, &request(AckCode::Error, vec![issue, warning]))
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(ack.clone()).unwrap();
    assert!(
        text.contains("\rERR||PID^1^3^2^4^1|101^Required field missing^HL70357|E|FG-17|||PID-3 needs an MR identifier \\F\\ \\S\\\r"),
        "{text}"
    );
    assert!(
        text.ends_with("\rERR|||103^Table value not found^HL70357|W||||unknown code\r"),
        "{text}"
    );
    assert_eq!(ack_text(&ack, "ERR-8"), "PID-3 needs an MR identifier | ^");
    assert_eq!(ack_text(&ack, "ERR[2]-4"), "W");
}

#[test]
fn unknown_message_type_is_answered_with_200() {
    let incoming = Message::parse(
        b"MSH|^~\\&|X|Y|GATE|G|20240101||ZZZ^Z99|77|P|2.5.1\r",
        &ParseOptions::default(),
    )
    .unwrap();
    let issue = AckIssue {
        location: Some(ErrorLocation::from_path(
            &TersePath::parse("MSH-9").unwrap(),
        )),
        code: ErrorCode::UnsupportedMessageType,
        severity: Severity::Error,
        application_code: None,
        message: "message type ZZZ^Z99 is not mapped".into(),
    };
    let ack = build_ack(&incoming, &request(AckCode::Reject, vec![issue]))
        .unwrap()
        .to_bytes();
    assert_eq!(ack_text(&ack, "MSA-1"), "AR");
    assert_eq!(ack_text(&ack, "MSH-9"), "ACK^Z99^ACK");
    assert_eq!(ack_text(&ack, "ERR-3.1"), "200");
    assert_eq!(ack_text(&ack, "ERR-2"), "MSH^1^9^1");
}

/// The ACK for bytes that fail to parse (the caller asked for an accept; it must become AR).
fn reject_for(bad: &[u8]) -> Vec<u8> {
    let error = Message::parse(bad, &ParseOptions::default()).unwrap_err();
    build_ack_for_parse_error(bad, &error, &request(AckCode::Accept, vec![]))
        .unwrap()
        .to_bytes()
}

#[test]
fn parse_error_after_a_readable_msh_gives_a_reject() {
    let bad = b"MSH|^~\\&|LAB|LF|GATE|GF|20240101||ADT^A01|C9|P|2.5\rPID|1\rbad segment\r";
    let ack = reject_for(bad);
    assert_eq!(ack_text(&ack, "MSA-1"), "AR");
    assert_eq!(ack_text(&ack, "MSA-2"), "C9");
    assert_eq!(ack_text(&ack, "MSH-5"), "LAB");
    assert_eq!(ack_text(&ack, "ERR-3.1"), "100");
    assert_eq!(ack_text(&ack, "ERR-2.2"), "3");
    assert!(ack_text(&ack, "ERR-8").contains("not three upper-case"));
}

#[test]
fn unknown_charset_still_gets_a_reject_with_103() {
    let bad = b"MSH|^~\\&|LAB|LF|GATE|GF|20240101||ADT^A01|C10|P|2.5||||||X-MARTIAN\rPID|1\r";
    let ack = reject_for(bad);
    assert_eq!(ack_text(&ack, "MSA-2"), "C10");
    assert_eq!(ack_text(&ack, "ERR-3.1"), "103");
    assert_eq!(ack_text(&ack, "ERR-2"), "MSH^1^18^1");
}

#[test]
fn no_msh_means_no_ack() {
    for bad in [&b"PID|1||123\r"[..], b"MSH|^~\\\\&|A\r", b"", b"\x00\xff"] {
        let error = Message::parse(bad, &ParseOptions::default()).unwrap_err();
        let result = build_ack_for_parse_error(bad, &error, &request(AckCode::Accept, vec![]));
        assert!(matches!(result, Err(Error::NoAckPossible(_))), "{result:?}");
    }
}

#[test]
fn versions_before_2_5_also_get_err_1() {
    let incoming = Message::parse(
        b"MSH|^~\\&|LAB|LF|GATE|GF|20240101||ORU^R01|C11|P|2.3\rPID|1\r",
        &ParseOptions::default(),
    )
    .unwrap();
    let issue = AckIssue {
        location: Some(ErrorLocation::from_path(
            &TersePath::parse("PID-3").unwrap(),
        )),
        code: ErrorCode::RequiredFieldMissing,
        severity: Severity::Error,
        application_code: None,
        message: "PID-3 missing".into(),
    };
    let ack = build_ack(&incoming, &request(AckCode::Error, vec![issue.clone()]))
        .unwrap()
        .to_bytes();
    assert!(
        String::from_utf8_lossy(&ack).ends_with(
            "\rERR|PID^1^3^101&Required field missing&HL70357|PID^1^3^1|101^Required field missing^HL70357|E||||PID-3 missing\r"
        ),
        "{}",
        String::from_utf8_lossy(&ack)
    );
    let incoming = Message::parse(ORIGINAL, &ParseOptions::default()).unwrap();
    let ack = build_ack(&incoming, &request(AckCode::Error, vec![issue]))
        .unwrap()
        .to_bytes();
    assert_eq!(ack_text(&ack, "ERR-1"), "", "2.5.1 uses ERR-2..8 only");
}

#[test]
fn err_text_outside_the_charset_is_replaced_not_fatal() {
    let incoming = Message::parse(ENHANCED, &ParseOptions::default()).unwrap();
    let issue = AckIssue {
        location: None,
        code: ErrorCode::ApplicationInternal,
        severity: Severity::Error,
        application_code: None,
        message: "Müller 中".into(),
    };
    let ack = build_ack(&incoming, &request(AckCode::Error, vec![issue]))
        .unwrap()
        .to_bytes();
    assert_eq!(ack_text(&ack, "ERR-8"), "Müller ?");
}
