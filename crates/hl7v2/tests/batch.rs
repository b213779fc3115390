//! Splitting streams into messages: batches with and without trailers, several messages,
//! blank lines, text outside messages.

use hl7v2::{split_messages, EnvelopeKind, ParseErrorKind, ParseOptions};

const MSG_A: &str = "MSH|^~\\&|A|||||||ADT^A01|1|P|2.5\rPID|1||111\r";
const MSG_B: &str = "MSH|^~\\&|B|||||||ADT^A08|2|P|2.5\rPID|1||222\r";

#[test]
fn file_and_batch_envelopes_with_trailers() {
    let stream = format!(
        "FHS|^~\\&|FILEAPP|FAC|||20240101\rBHS|^~\\&|BATCHAPP|FAC\r{MSG_A}{MSG_B}BTS|2\rFTS|1\r"
    );
    let split = split_messages(stream.as_bytes(), &ParseOptions::default()).unwrap();
    assert_eq!(split.messages.len(), 2);
    assert_eq!(split.messages[0].bytes, MSG_A.as_bytes());
    assert_eq!(split.messages[1].bytes, MSG_B.as_bytes());
    let kinds: Vec<EnvelopeKind> = split.envelopes.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EnvelopeKind::FileHeader,
            EnvelopeKind::BatchHeader,
            EnvelopeKind::BatchTrailer,
            EnvelopeKind::FileTrailer
        ]
    );
    assert_eq!(split.messages[1].file_header, Some(0));
    assert_eq!(split.messages[1].batch_header, Some(1));
    let bhs = split.envelopes[1].parse(&ParseOptions::default()).unwrap();
    assert_eq!(bhs.get_text("BHS-3").unwrap().unwrap(), "BATCHAPP");
    let fhs = split.envelopes[0].parse(&ParseOptions::default()).unwrap();
    assert_eq!(fhs.get_text("FHS-7").unwrap().unwrap(), "20240101");
    let second = split.messages[1].parse(&ParseOptions::default()).unwrap();
    assert_eq!(second.get_text("PID-3").unwrap().unwrap(), "222");
}

#[test]
fn batches_without_trailers_and_several_batches() {
    let stream = format!("BHS|^~\\&|ONE\n{MSG_A}BHS|^~\\&|TWO\n{MSG_B}");
    let split = split_messages(stream.as_bytes(), &ParseOptions::default()).unwrap();
    assert_eq!(split.messages.len(), 2);
    assert_eq!(split.messages[0].batch_header, Some(0));
    assert_eq!(split.messages[1].batch_header, Some(1));
    assert_eq!(split.messages[0].file_header, None);
}

#[test]
fn messages_back_to_back_and_separated_by_blank_lines() {
    let stream = format!("\u{feff}{MSG_A}{MSG_B}\r\n\r\n{MSG_A}\n\n");
    let split = split_messages(stream.as_bytes(), &ParseOptions::default()).unwrap();
    assert_eq!(split.messages.len(), 3);
    assert_eq!(split.messages[0].offset, 3, "after the BOM");
    assert!(split
        .messages
        .iter()
        .all(|m| m.parse(&ParseOptions::default()).is_ok()));
    assert!(split.skipped.is_empty());
}

#[test]
fn text_outside_messages_is_an_error_or_skipped() {
    let stream = format!("// comment\n{MSG_A}\n[EOM]\n{MSG_B}");
    let error = split_messages(stream.as_bytes(), &ParseOptions::default()).unwrap_err();
    assert_eq!(
        error.kind,
        ParseErrorKind::TextOutsideMessage("// comment".into())
    );
    assert_eq!(error.offset, 0);
    let lenient = ParseOptions {
        skip_non_segment_lines: true,
        ..ParseOptions::default()
    };
    let split = split_messages(stream.as_bytes(), &lenient).unwrap();
    assert_eq!(split.messages.len(), 2);
    assert_eq!(
        split.skipped,
        vec![0..11, 11 + MSG_A.len() + 1..11 + MSG_A.len() + 7]
    );
}

#[test]
fn bad_segment_inside_a_message_is_left_to_the_message_parser() {
    let stream = b"MSH|^~\\&|A\rPID|1\rnot a segment\r";
    let split = split_messages(stream, &ParseOptions::default()).unwrap();
    assert_eq!(split.messages.len(), 1);
    let error = split.messages[0]
        .parse(&ParseOptions::default())
        .unwrap_err();
    assert_eq!(error.offset, 17);
    assert!(matches!(error.kind, ParseErrorKind::InvalidSegmentName(_)));
}

#[test]
fn empty_and_garbage_streams() {
    assert!(split_messages(b"", &ParseOptions::default())
        .unwrap()
        .messages
        .is_empty());
    assert!(split_messages(b"\r\n\n", &ParseOptions::default())
        .unwrap()
        .messages
        .is_empty());
    assert!(split_messages(b"\x00\x01\xff", &ParseOptions::default()).is_err());
}
