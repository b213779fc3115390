//! Escape sequences: delimiters, hex bytes in the message charset, formatting tokens,
//! unsupported sequences, malformed ones, and round-trip properties.

use hl7v2::escape::{decode, decode_plain, encode};
use hl7v2::{Charset, DecodeError, Delimiters, FormatCommand, TextPart};
use proptest::prelude::*;

fn plain(raw: &str) -> Result<String, DecodeError> {
    decode_plain(raw.as_bytes(), &Delimiters::default(), &Charset::UTF8, 0).map(|t| t.into_owned())
}

#[test]
fn delimiter_escapes() {
    assert_eq!(plain(r"A\F\B\S\C\T\D\R\E\E\F").unwrap(), r"A|B^C&D~E\F");
    let truncating = Delimiters::new(b'|', b"^~\\&#").unwrap();
    let text = decode_plain(br"cut\P\here", &truncating, &Charset::UTF8, 0).unwrap();
    assert_eq!(text, "cut#here");
}

#[test]
fn escapes_follow_the_message_delimiters() {
    let d = Delimiters::new(b'$', b"%*@!").unwrap();
    let text = decode_plain(b"a@F@b@S@c@E@", &d, &Charset::UTF8, 0).unwrap();
    assert_eq!(text, "a$b%c@");
    assert_eq!(
        encode("a$b%c@d*e!f", &d, &Charset::UTF8).unwrap().as_ref(),
        b"a@F@b@S@c@E@d@R@e@T@f"
    );
}

#[test]
fn hex_is_bytes_in_the_message_charset() {
    assert_eq!(plain(r"line1\X0D0A\line2").unwrap(), "line1\r\nline2");
    assert_eq!(plain(r"caf\XC3\\XA9\").unwrap(), "café");
    assert_eq!(plain(r"\XE282AC\ 5").unwrap(), "€ 5");
    let latin1 = decode_plain(br"caf\XE9\", &Delimiters::default(), &Charset::LATIN1, 0).unwrap();
    assert_eq!(latin1, "café");
    let err = plain(r"bad\XFF\");
    assert!(
        matches!(err, Err(DecodeError::InvalidBytes { .. })),
        "{err:?}"
    );
}

#[test]
fn formatting_commands_are_tokens() {
    let text = decode(
        br"\H\Alert\N\ line\.br\next\.sp 2\\.in -4\\.ti 3\\.sk 2\x\.ce\\.fi\\.nf\",
        &Delimiters::default(),
        &Charset::UTF8,
        0,
    )
    .unwrap();
    let formats: Vec<FormatCommand> = text
        .parts
        .iter()
        .filter_map(|p| match p {
            TextPart::Format(f) => Some(*f),
            _ => None,
        })
        .collect();
    assert_eq!(
        formats,
        vec![
            FormatCommand::HighlightOn,
            FormatCommand::HighlightOff,
            FormatCommand::LineBreak,
            FormatCommand::Space(2),
            FormatCommand::Indent(-4),
            FormatCommand::TempIndent(3),
            FormatCommand::Skip(2),
            FormatCommand::Center,
            FormatCommand::FillOn,
            FormatCommand::FillOff,
        ]
    );
    assert_eq!(text.to_plain().unwrap(), "Alert line\nnext\n\n  x");
    assert_eq!(plain(r"a\.sp\b").unwrap(), "a\nb");
}

#[test]
fn charset_switching_is_reported_not_mangled() {
    let text = decode(
        br"abc\C2842\def\M2442\",
        &Delimiters::default(),
        &Charset::UTF8,
        10,
    )
    .unwrap();
    assert_eq!(
        text.parts,
        vec![
            TextPart::Text("abc".into()),
            TextPart::Unsupported {
                sequence: "C2842".into(),
                offset: 13
            },
            TextPart::Text("def".into()),
            TextPart::Unsupported {
                sequence: "M2442".into(),
                offset: 23
            },
        ]
    );
    let error = text.to_plain().unwrap_err();
    assert_eq!(
        error,
        DecodeError::UnsupportedEscape {
            sequence: "C2842".into(),
            offset: 13
        }
    );
    assert!(matches!(
        plain(r"\Zlocal\"),
        Err(DecodeError::UnsupportedEscape { .. })
    ));
    // \P\ without a truncation character in MSH-2 means nothing known.
    assert!(matches!(
        plain(r"\P\"),
        Err(DecodeError::UnsupportedEscape { .. })
    ));
}

#[test]
fn malformed_escapes_are_errors_with_offsets() {
    assert_eq!(
        plain(r"abc\F"),
        Err(DecodeError::UnterminatedEscape { offset: 3 })
    );
    assert!(matches!(
        plain(r"\\"),
        Err(DecodeError::MalformedEscape { offset: 0, .. })
    ));
    assert!(matches!(
        plain(r"\X\"),
        Err(DecodeError::MalformedEscape { .. })
    ));
    assert!(matches!(
        plain(r"\XABC\"),
        Err(DecodeError::MalformedEscape { .. })
    ));
    assert!(matches!(
        plain(r"\XZZ\"),
        Err(DecodeError::MalformedEscape { .. })
    ));
    assert!(matches!(
        plain(r"\.sp x\"),
        Err(DecodeError::MalformedEscape { .. })
    ));
}

#[test]
fn encode_escapes_delimiters_and_terminators() {
    let d = Delimiters::default();
    assert_eq!(
        encode("plain", &d, &Charset::UTF8).unwrap().as_ref(),
        b"plain"
    );
    assert_eq!(
        encode("a|b^c~d\\e&f\rg\nh", &d, &Charset::UTF8)
            .unwrap()
            .as_ref(),
        br"a\F\b\S\c\R\d\E\e\T\f\X0D\g\X0A\h"
    );
    assert_eq!(
        encode("Müller", &d, &Charset::LATIN1).unwrap().as_ref(),
        b"M\xfcller"
    );
    assert!(encode("€", &d, &Charset::LATIN1).is_err());
}

/// Canonical escaped text: safe literal runs and the delimiter escapes.
fn canonical_escaped() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 .,:;é€中-]{1,6}",
        Just(r"\F\".to_string()),
        Just(r"\S\".to_string()),
        Just(r"\T\".to_string()),
        Just(r"\R\".to_string()),
        Just(r"\E\".to_string()),
        Just(r"\P\".to_string()),
        Just(r"\X0D\".to_string()),
        Just(r"\X0A\".to_string()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(text in any::<String>()) {
        let d = Delimiters::new(b'|', b"^~\\&#").unwrap();
        let raw = encode(&text, &d, &Charset::UTF8).unwrap();
        let back = decode_plain(&raw, &d, &Charset::UTF8, 0).unwrap();
        prop_assert_eq!(back.as_ref(), text.as_str());
    }

    #[test]
    fn decode_of_encode_with_delimiter_heavy_text(text in "[|^~\\\\&#\r\na-z]{0,40}") {
        let d = Delimiters::new(b'|', b"^~\\&#").unwrap();
        let raw = encode(&text, &d, &Charset::UTF8).unwrap();
        prop_assert!(!raw.iter().any(|b| matches!(b, b'|' | b'^' | b'~' | b'&' | b'#' | b'\r' | b'\n')));
        let back = decode_plain(&raw, &d, &Charset::UTF8, 0).unwrap();
        prop_assert_eq!(back.as_ref(), text.as_str());
    }

    #[test]
    fn latin1_round_trip(text in "[\\x00-\\u{ff}]{0,40}") {
        let d = Delimiters::default();
        let raw = encode(&text, &d, &Charset::LATIN1).unwrap();
        let back = decode_plain(&raw, &d, &Charset::LATIN1, 0).unwrap();
        prop_assert_eq!(back.as_ref(), text.as_str());
    }

    #[test]
    fn encode_of_decode_is_identity(raw in canonical_escaped()) {
        let d = Delimiters::new(b'|', b"^~\\&#").unwrap();
        let text = decode_plain(raw.as_bytes(), &d, &Charset::UTF8, 0).unwrap();
        let again = encode(&text, &d, &Charset::UTF8).unwrap();
        prop_assert_eq!(again.as_ref(), raw.as_bytes());
    }
}

/// Any valid delimiter set (MSH-1 plus four or five distinct encoding characters, as a
/// sender may choose them) with text made mostly of those very delimiters.
fn delimiters_and_text() -> impl Strategy<Value = (Delimiters, String)> {
    let punctuation: Vec<u8> = (0x21u8..0x7F)
        .filter(|b| !b.is_ascii_alphanumeric())
        .collect();
    (
        Just(punctuation).prop_shuffle(),
        any::<bool>(),
        proptest::collection::vec(0u8..10, 0..48),
        "[a-zA-Z0-9 é€\r\n]{0,8}",
    )
        .prop_map(|(chosen, truncation, picks, tail)| {
            let count = if truncation { 5 } else { 4 };
            let delimiters =
                Delimiters::new(chosen[0], &chosen[1..=count]).expect("distinct punctuation");
            // Each pick is a delimiter of this set or a letter, so delimiters dominate.
            let mut text: String = picks
                .iter()
                .map(|&pick| match chosen.get(usize::from(pick)) {
                    Some(&byte) if usize::from(pick) <= count => char::from(byte),
                    _ => 'x',
                })
                .collect();
            text.push_str(&tail);
            (delimiters, text)
        })
}

proptest! {
    #[test]
    fn decode_of_encode_with_any_delimiter_set((d, text) in delimiters_and_text()) {
        let raw = encode(&text, &d, &Charset::UTF8).unwrap();
        let mut specials = d.encoding_characters();
        specials.extend([d.field, b'\r', b'\n']);
        // The escape character may appear, but only to open and close escape sequences.
        specials.retain(|b| *b != d.escape);
        prop_assert!(
            !raw.iter().any(|b| specials.contains(b)),
            "{:?}",
            String::from_utf8_lossy(&raw)
        );
        let back = decode_plain(&raw, &d, &Charset::UTF8, 0).unwrap();
        prop_assert_eq!(back.as_ref(), text.as_str());
    }
}
