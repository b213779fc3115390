//! Parsing rules: delimiters, terminators, BOM, structure, field numbering, charsets, errors.

use hl7v2::{Charset, Message, ParseErrorKind, ParseOptions};

const ADT: &[u8] = b"MSH|^~\\&|SEND|FAC|RECV|RFAC|20240101120000||ADT^A01^ADT_A01|MSG001|P|2.5.1\r\
EVN|A01|20240101120000\r\
PID|1||123^^^HOSP^MR~456^^^SSA^SS||DOE^JOHN^Q||19800101|M|||1 MAIN ST^^TOWN^ST^12345&PLUS4\r\
ZPI|custom|data\r";

fn parse(bytes: &[u8]) -> Message<'_> {
    Message::parse(bytes, &ParseOptions::default()).expect("parses")
}

fn text(message: &Message<'_>, path: &str) -> Option<String> {
    message
        .get_text(path)
        .expect("path decodes")
        .map(|t| t.into_owned())
}

#[test]
fn fields_repetitions_components_subcomponents() {
    let m = parse(ADT);
    assert_eq!(m.segment_count(), 4);
    assert_eq!(text(&m, "PID-3").as_deref(), Some("123^^^HOSP^MR"));
    assert_eq!(text(&m, "PID-3[2].1").as_deref(), Some("456"));
    assert_eq!(text(&m, "PID-3[2].4").as_deref(), Some("SSA"));
    assert_eq!(text(&m, "PID-5.2").as_deref(), Some("JOHN"));
    assert_eq!(text(&m, "PID-11.5.2").as_deref(), Some("PLUS4"));
    assert_eq!(text(&m, "PID-11.5.1").as_deref(), Some("12345"));
    assert_eq!(text(&m, "PID-3[3]"), None);
    assert_eq!(text(&m, "PID-99"), None);
    assert_eq!(text(&m, "OBX-1"), None);
    let pid = m.find_segment("PID", 1).unwrap();
    assert_eq!(pid.field(3).unwrap().repetitions().count(), 2);
    assert_eq!(pid.field_count(), 11);
}

#[test]
fn msh_numbering_follows_the_standard() {
    let m = parse(ADT);
    assert_eq!(text(&m, "MSH-1").as_deref(), Some("|"));
    assert_eq!(text(&m, "MSH-2").as_deref(), Some("^~\\&"));
    assert_eq!(text(&m, "MSH-3").as_deref(), Some("SEND"));
    assert_eq!(text(&m, "MSH-9.2").as_deref(), Some("A01"));
    assert_eq!(text(&m, "MSH-10").as_deref(), Some("MSG001"));
    assert_eq!(text(&m, "MSH-12").as_deref(), Some("2.5.1"));
    // MSH-2 is never split at its own characters.
    let msh = m.segment_at(0).unwrap();
    assert_eq!(msh.field(2).unwrap().repetitions().count(), 1);
    assert_eq!(msh.field(2).unwrap().as_value().components().count(), 1);
    assert_eq!(text(&m, "EVN-1").as_deref(), Some("A01"));
}

#[test]
fn z_segments_are_kept() {
    let m = parse(ADT);
    let z = m.find_segment("ZPI", 1).unwrap();
    assert_eq!(z.name(), "ZPI");
    assert_eq!(text(&m, "ZPI-2").as_deref(), Some("data"));
}

#[test]
fn segment_repetitions() {
    let m = parse(b"MSH|^~\\&|A\rOBX|1|ST|X||first\rOBX|2|ST|Y||second\r");
    assert_eq!(text(&m, "OBX-5").as_deref(), Some("first"));
    assert_eq!(text(&m, "OBX[2]-5").as_deref(), Some("second"));
    assert_eq!(text(&m, "OBX[3]-5"), None);
}

#[test]
fn cr_lf_and_crlf_terminators_are_all_accepted() {
    for terminator in ["\r", "\n", "\r\n"] {
        let raw = format!("MSH|^~\\&|A{t}PID|1||X{t}PV1|1|I{t}", t = terminator);
        let m = parse(raw.as_bytes());
        assert_eq!(m.segment_count(), 3, "{terminator:?}");
        assert_eq!(text(&m, "PV1-2").as_deref(), Some("I"));
        assert_eq!(m.segment_at(1).unwrap().terminator(), terminator.as_bytes());
    }
    // Mixed terminators and no final terminator.
    let m = parse(b"MSH|^~\\&|A\r\nPID|1\nPV1|1\rNK1|1");
    assert_eq!(m.segment_count(), 4);
    assert_eq!(m.segment_at(3).unwrap().terminator(), b"");
}

#[test]
fn trailing_blank_lines_belong_to_the_last_segment() {
    let m = parse(b"MSH|^~\\&|A\rPID|1\r\r\n\n");
    assert_eq!(m.segment_count(), 2);
    assert_eq!(m.segment_at(1).unwrap().terminator(), b"\r\r\n\n");
}

#[test]
fn leading_bom_is_stripped() {
    let m = parse(b"\xEF\xBB\xBFMSH|^~\\&|A\rPID|1\r");
    assert!(m.has_bom());
    assert_eq!(m.as_bytes(), b"MSH|^~\\&|A\rPID|1\r");
    assert_eq!(text(&m, "MSH-3").as_deref(), Some("A"));
}

#[test]
fn unusual_delimiters() {
    let m = parse(b"MSH$%*@!$APP$$REC\rPID$1$$A%B!C*D%E\r");
    assert_eq!(m.delimiters().field, b'$');
    assert_eq!(text(&m, "MSH-1").as_deref(), Some("$"));
    assert_eq!(text(&m, "MSH-2").as_deref(), Some("%*@!"));
    assert_eq!(text(&m, "MSH-5").as_deref(), Some("REC"));
    assert_eq!(text(&m, "PID-3.2.2").as_deref(), Some("C"));
    assert_eq!(text(&m, "PID-3[2].2").as_deref(), Some("E"));
    let m = parse(b"MSH|^~\\&#|APP\rNTE|1||cut here#\r");
    assert_eq!(m.delimiters().truncation, Some(b'#'));
    assert_eq!(text(&m, "MSH-2").as_deref(), Some("^~\\&#"));
}

#[test]
fn segments_without_fields_and_empty_fields() {
    let m = parse(b"MSH|^~\\&\rPD1\rPID|\rNK1||\r");
    assert_eq!(m.segment_at(0).unwrap().field_count(), 2);
    assert_eq!(m.segment_at(1).unwrap().field_count(), 0);
    assert_eq!(m.segment_at(2).unwrap().field_count(), 1);
    assert_eq!(m.segment_at(3).unwrap().field_count(), 2);
    assert_eq!(text(&m, "PID-1").as_deref(), Some(""));
}

#[test]
fn hl7_null_is_recognised() {
    let m = parse(b"MSH|^~\\&\rPID|1|\"\"\r");
    let path = "PID-2".parse().unwrap();
    assert!(m.get(&path).unwrap().is_null());
}

#[test]
fn latin1_message_decodes_from_msh18() {
    let raw = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5|||||| 8859/1 \rPID|1||||M\xdcLLER^Fran\xe7ois\r";
    let m = parse(raw);
    assert_eq!(m.charset(), &Charset::LATIN1);
    assert_eq!(text(&m, "PID-5.1").as_deref(), Some("MÜLLER"));
    assert_eq!(text(&m, "PID-5.2").as_deref(), Some("François"));
}

#[test]
fn utf8_message_decodes_and_borrows() {
    let raw = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1||||Müller^Zoë\r";
    let m = parse(raw.as_bytes());
    let path = "PID-5.1".parse().unwrap();
    let value = m.get(&path).unwrap().text().unwrap();
    assert_eq!(value, "Müller");
    assert!(matches!(value, std::borrow::Cow::Borrowed(_)));
}

#[test]
fn charset_override_wins_over_msh18() {
    let raw = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1||||M\xfcller\r";
    let m = parse(raw);
    assert!(m.get_text("PID-5").is_err(), "0xFC is not UTF-8");
    let options = ParseOptions {
        charset_override: Some(Charset::LATIN1),
        ..ParseOptions::default()
    };
    let m = Message::parse(raw, &options).unwrap();
    assert_eq!(m.get_text("PID-5").unwrap().unwrap(), "Müller");
}

#[test]
fn other_table_0211_charsets() {
    let raw =
        b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/7\rPID|1||||\xcb\xe1\xec\xf0\xf1\xef\xf2\r";
    let m = parse(raw);
    assert_eq!(text(&m, "PID-5").as_deref(), Some("Λαμπρος"));
    // MSH-18 repeats: the first repetition is the message's charset.
    let raw = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1~ISO IR87\rPID|1||||\xe9\r";
    assert_eq!(text(&parse(raw), "PID-5").as_deref(), Some("é"));
}

fn error_kind(bytes: &[u8]) -> (ParseErrorKind, usize, usize) {
    let error = Message::parse(bytes, &ParseOptions::default()).unwrap_err();
    (error.kind, error.offset, error.segment_index)
}

#[test]
fn unknown_charset_is_a_clear_error() {
    let raw = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||EBCDIC\rPID|1\r";
    let (kind, offset, _) = error_kind(raw);
    assert_eq!(kind, ParseErrorKind::UnknownCharset("EBCDIC".into()));
    assert_eq!(offset, 37, "offset of MSH-18");
    let error = Message::parse(raw, &ParseOptions::default()).unwrap_err();
    assert_eq!(error.suggested_code().code(), 103);
    let raw = b"MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-16\r";
    assert!(matches!(
        error_kind(raw).0,
        ParseErrorKind::UnsupportedCharset(_)
    ));
}

#[test]
fn missing_msh_is_an_error() {
    assert_eq!(error_kind(b"PID|1||X\r").0, ParseErrorKind::NoMsh);
    assert_eq!(error_kind(b"[SOM]MSH|^~\\&\r").0, ParseErrorKind::NoMsh);
    assert_eq!(error_kind(b"").0, ParseErrorKind::Empty);
    assert_eq!(error_kind(b"\r\n\r\n").0, ParseErrorKind::Empty);
    assert_eq!(error_kind(b"\xEF\xBB\xBF").0, ParseErrorKind::Empty);
    let error = Message::parse(b"PID|1", &ParseOptions::default()).unwrap_err();
    assert_eq!(error.suggested_code().code(), 100);
}

#[test]
fn truncated_input_is_an_error() {
    assert_eq!(error_kind(b"MS").0, ParseErrorKind::Truncated("MSH"));
    assert_eq!(error_kind(b"MSH").0, ParseErrorKind::Truncated("MSH"));
    assert_eq!(error_kind(b"MSH\r").0, ParseErrorKind::Truncated("MSH"));
    assert_eq!(
        error_kind(b"MSH|^~").0,
        ParseErrorKind::EncodingCharacterCount(2)
    );
    assert_eq!(
        error_kind(b"MSH|").0,
        ParseErrorKind::EncodingCharacterCount(0)
    );
}

#[test]
fn bad_delimiters_are_errors() {
    assert_eq!(
        error_kind(b"MSH|^~\\|A\r").0,
        ParseErrorKind::EncodingCharacterCount(3)
    );
    assert_eq!(
        error_kind(b"MSH|^~\\\\&|A\r"),
        (ParseErrorKind::BadDelimiter('\\'), 4, 0)
    );
    assert_eq!(
        error_kind(b"MSH|^^\\&|A\r").0,
        ParseErrorKind::BadDelimiter('^')
    );
    assert_eq!(
        error_kind(b"MSHX^~\\&XA\r").0,
        ParseErrorKind::BadFieldSeparator('X')
    );
    assert_eq!(
        error_kind(b"MSH|^~\\&#!|A\r").0,
        ParseErrorKind::EncodingCharacterCount(6)
    );
    let error = Message::parse(b"MSH|^~\\\\&|A\r", &ParseOptions::default()).unwrap_err();
    assert_eq!(error.suggested_code().code(), 102);
}

#[test]
fn bad_segments_report_offset_and_index() {
    assert_eq!(
        error_kind(b"MSH|^~\\&|A\rPID|1\rpv1|x\r"),
        (ParseErrorKind::InvalidSegmentName("pv1".into()), 17, 2)
    );
    assert_eq!(
        error_kind(b"MSH|^~\\&|A\r\rPID|1\r"),
        (ParseErrorKind::EmptySegment, 11, 1)
    );
    assert_eq!(
        error_kind(b"MSH|^~\\&|A\rMSH|^~\\&|B\r"),
        (ParseErrorKind::SecondMsh, 11, 1)
    );
    assert_eq!(
        error_kind(b"MSH|^~\\&|A\rBTS|1\r").0,
        ParseErrorKind::BatchSegmentInMessage("BTS".into())
    );
    assert_eq!(
        error_kind(b"MSH|^~\\&|A\rPIDX|1\r").0,
        ParseErrorKind::InvalidSegmentName("PIDX".into())
    );
}

#[test]
fn binary_garbage_never_panics() {
    let garbage: Vec<u8> = (0..=255u8).cycle().take(2048).collect();
    assert!(Message::parse(&garbage, &ParseOptions::default()).is_err());
    let mut framed = b"\x0bMSH|^~\\&|A\r\x1c\r".to_vec();
    assert_eq!(error_kind(&framed).0, ParseErrorKind::NoMsh);
    framed.remove(0);
    assert_eq!(error_kind(&framed).1, 11, "the 0x1C byte is not a segment");
    let mut bytes = b"MSH|^~\\&|A\rPID|".to_vec();
    bytes.extend([0u8, 0xff, 0xfe, b'|', 0x80]);
    let m = parse(&bytes);
    assert!(
        m.get_text("PID-1").is_err(),
        "invalid bytes are a decode error, not a panic"
    );
}

#[test]
fn for_each_leaf_visits_every_subcomponent_in_order() {
    let m = parse(b"MSH|^~\\&|A\rPID|1||a^b&c~d||\\F\\x|\r");
    let mut leaves = Vec::new();
    m.segment_at(1).unwrap().for_each_leaf(|at, text| {
        leaves.push((
            at.field,
            at.repetition,
            at.component,
            at.subcomponent,
            text.unwrap().into_owned(),
        ));
    });
    let expected = [
        (1, 1, 1, 1, "1"),
        (2, 1, 1, 1, ""),
        (3, 1, 1, 1, "a"),
        (3, 1, 2, 1, "b"),
        (3, 1, 2, 2, "c"),
        (3, 2, 1, 1, "d"),
        (4, 1, 1, 1, ""),
        (5, 1, 1, 1, "|x"),
        (6, 1, 1, 1, ""),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(f, r, c, s, t)| (f, r, c, s, t.to_string()))
        .collect();
    assert_eq!(leaves, expected);
    let mut msh = Vec::new();
    m.segment_at(0)
        .unwrap()
        .for_each_leaf(|at, text| msh.push((at.field, text.unwrap().into_owned())));
    assert_eq!(
        msh,
        vec![
            (1, "|".to_string()),
            (2, "^~\\&".to_string()),
            (3, "A".to_string())
        ]
    );
    let bad = parse(b"MSH|^~\\&\rNTE|1|ok^\\C2842\\\r");
    let mut errors = 0;
    bad.segment_at(1)
        .unwrap()
        .for_each_leaf(|_, text| errors += usize::from(text.is_err()));
    assert_eq!(errors, 1);
}
