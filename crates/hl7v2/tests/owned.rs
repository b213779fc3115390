//! The editable model: byte-exact round trips, edits with escaping, the builder API.

use hl7v2::{
    Charset, Delimiters, EncodeError, Error, Message, MessageBuf, ParseOptions, TersePath,
};

fn path(text: &str) -> TersePath {
    text.parse().unwrap()
}

fn round_trip(bytes: &[u8]) -> Vec<u8> {
    let message = Message::parse(bytes, &ParseOptions::default()).unwrap();
    MessageBuf::from_message(&message).to_bytes()
}

#[test]
fn unedited_messages_serialise_to_the_same_bytes() {
    let cases: [&[u8]; 7] = [
        b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||1^^^H&1.2&ISO~2||DOE^J^^^^|||\rZZZ\r",
        b"MSH|^~\\&\nPID|\r\nNK1||\n",
        b"\xEF\xBB\xBFMSH|^~\\&|A\r\nPID|1|\\F\\esc\\X0D\\\r\n\r\n",
        b"MSH$%*@!$APP$$R\rPID$1$$A%B!C*D\r",
        b"MSH|^~\\&#|A\rNTE|1||x#\r",
        b"MSH|^~\\&|A\rPID|1|M\xfcller",
        b"MSH|^~\\&|A||||||||||||||8859/1\rPID|||a^^~^&&|",
    ];
    for bytes in cases {
        assert_eq!(
            round_trip(bytes),
            bytes,
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn edits_escape_and_keep_the_rest() {
    let original = b"MSH|^~\\&|A|B\rPID|1||123||DOE^JOHN\r";
    let message = Message::parse(original, &ParseOptions::default()).unwrap();
    let mut edited = MessageBuf::from_message(&message);
    edited.set_text(&path("PID-5.2"), "JANE|^&").unwrap();
    edited.set_text(&path("PID-3[2]"), "456").unwrap();
    edited.set_text(&path("PID-8"), "F").unwrap();
    edited.set_text(&path("PID-11.5.2"), "x").unwrap();
    assert_eq!(
        edited.to_bytes(),
        b"MSH|^~\\&|A|B\rPID|1||123~456||DOE^JANE\\F\\\\S\\\\T\\|||F|||^^^^&x\r"
    );
    let reparsed = edited.to_bytes();
    let reparsed = Message::parse(&reparsed, &ParseOptions::default()).unwrap();
    assert_eq!(reparsed.get_text("PID-5.2").unwrap().unwrap(), "JANE|^&");
}

#[test]
fn whole_repetition_replacement_drops_old_components() {
    let message = Message::parse(b"MSH|^~\\&\rPID|1|a^b^c\r", &ParseOptions::default()).unwrap();
    let mut edited = MessageBuf::from_message(&message);
    edited.set_text(&path("PID-2"), "z").unwrap();
    assert_eq!(edited.to_bytes(), b"MSH|^~\\&\rPID|1|z\r");
    edited.set_raw(&path("PID-2"), b"x^y&w").unwrap();
    assert_eq!(edited.to_bytes(), b"MSH|^~\\&\rPID|1|x^y&w\r");
}

#[test]
fn builder_creates_outgoing_messages() {
    let mut out = MessageBuf::new(Delimiters::default(), Charset::LATIN1);
    out.set_text(&path("MSH-3"), "FHIRGATE").unwrap();
    out.set_text(&path("MSH-9.1"), "ORU").unwrap();
    out.set_text(&path("MSH-9.2"), "R01").unwrap();
    out.set_text(&path("PID-5.1"), "Müller").unwrap();
    let first = out.push_segment("OBX").unwrap();
    out.set_text_at(first, &path("OBX-5"), "a~b").unwrap();
    out.set_text(&path("OBX[2]-5"), "second").unwrap();
    assert_eq!(
        out.to_bytes(),
        b"MSH|^~\\&|FHIRGATE||||||ORU^R01|||||||||8859/1\rPID|||||M\xfcller\rOBX|||||a\\R\\b\rOBX|||||second\r"
    );
    let bytes = out.to_bytes();
    let parsed = Message::parse(&bytes, &ParseOptions::default()).unwrap();
    assert_eq!(parsed.charset(), &Charset::LATIN1);
    assert_eq!(parsed.get_text("PID-5.1").unwrap().unwrap(), "Müller");
}

#[test]
fn builder_errors() {
    let mut out = MessageBuf::new(Delimiters::default(), Charset::ASCII);
    assert_eq!(
        out.set_text(&path("MSH-2"), "x"),
        Err(Error::Encode(EncodeError::ReadOnlyField("MSH-2".into())))
    );
    assert!(matches!(
        out.set_text(&path("OBX[3]-1"), "x"),
        Err(Error::Encode(EncodeError::MissingSegment { .. }))
    ));
    assert!(out.push_segment("obx").is_err());
    assert!(out.push_segment("MSH").is_err());
    let mut latin = MessageBuf::new(Delimiters::default(), Charset::LATIN1);
    assert!(matches!(
        latin.set_text(&path("PID-5"), "中"),
        Err(Error::Encode(EncodeError::Unrepresentable {
            character: '中',
            ..
        }))
    ));
}

#[test]
fn appending_after_an_unterminated_last_segment_adds_a_terminator() {
    let message = Message::parse(b"MSH|^~\\&|A\rPID|1", &ParseOptions::default()).unwrap();
    let mut edited = MessageBuf::from_message(&message);
    edited.set_text(&path("PV1-2"), "I").unwrap();
    assert_eq!(edited.to_bytes(), b"MSH|^~\\&|A\rPID|1\rPV1||I\r");
}
