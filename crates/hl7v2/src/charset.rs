//! Character sets named by MSH-18 (HL7 table 0211) and the byte <-> text conversion for each.
//!
//! Parsing works on bytes, so only character sets in which the delimiters (ASCII symbols) are
//! single bytes that never occur inside a multi-byte character can be parsed. UTF-16/32 and the
//! ISO-2022-based Japanese sets fail that test and are reported as unsupported.

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::error::ParseErrorKind;

/// A character set a message can be decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charset {
    kind: Kind,
    name: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ASCII. Deliberate departure: non-ASCII bytes that form valid UTF-8 are accepted, since
    /// senders commonly label UTF-8 text as ASCII (or leave MSH-18 empty) and rejecting the
    /// whole message would lose data; other non-ASCII bytes are an error.
    Ascii,
    /// ISO 8859-1, decoded exactly (every byte is the code point of the same value).
    /// encoding_rs maps the 8859-1 label to windows-1252, which differs in 0x80..0x9F.
    Latin1,
    Utf8,
    Other(&'static Encoding),
}

/// HL7 table 0211 names (and common spellings seen in the wild) with their decoder.
const TABLE_0211: &[(&str, Option<Kind>)] = &[
    ("ASCII", Some(Kind::Ascii)),
    ("8859/1", Some(Kind::Latin1)),
    ("8859/2", Some(Kind::Other(encoding_rs::ISO_8859_2))),
    ("8859/3", Some(Kind::Other(encoding_rs::ISO_8859_3))),
    ("8859/4", Some(Kind::Other(encoding_rs::ISO_8859_4))),
    ("8859/5", Some(Kind::Other(encoding_rs::ISO_8859_5))),
    ("8859/6", Some(Kind::Other(encoding_rs::ISO_8859_6))),
    ("8859/7", Some(Kind::Other(encoding_rs::ISO_8859_7))),
    ("8859/8", Some(Kind::Other(encoding_rs::ISO_8859_8))),
    // encoding_rs has no exact 8859-9; windows-1254 is its superset (differs only in 0x80..0x9F).
    ("8859/9", Some(Kind::Other(encoding_rs::WINDOWS_1254))),
    ("8859/10", Some(Kind::Other(encoding_rs::ISO_8859_10))),
    ("8859/13", Some(Kind::Other(encoding_rs::ISO_8859_13))),
    ("8859/14", Some(Kind::Other(encoding_rs::ISO_8859_14))),
    ("8859/15", Some(Kind::Other(encoding_rs::ISO_8859_15))),
    ("8859/16", Some(Kind::Other(encoding_rs::ISO_8859_16))),
    ("UNICODE UTF-8", Some(Kind::Utf8)),
    ("UNICODE", Some(Kind::Utf8)),
    ("UTF-8", Some(Kind::Utf8)),
    // encoding_rs decodes EUC-KR as windows-949, whose trail bytes are letters or >= 0x81:
    // they never collide with a delimiter (delimiters are ASCII symbols).
    ("KS X 1001", Some(Kind::Other(encoding_rs::EUC_KR))),
    // Windows code pages are not in table 0211 but are sent in practice.
    ("WINDOWS-1252", Some(Kind::Other(encoding_rs::WINDOWS_1252))),
    ("CP1252", Some(Kind::Other(encoding_rs::WINDOWS_1252))),
    // Known to table 0211 but not parseable byte-wise or not available.
    ("UNICODE UTF-16", None),
    ("UNICODE UTF-32", None),
    ("ISO IR14", None),
    ("ISO IR87", None),
    ("ISO IR159", None),
    ("CNS 11643-1992", None),
    // GB 18030 and Big5 trail bytes include 0x5C '\', 0x5E '^', 0x7C '|' and 0x7E '~', so a
    // byte-wise parser would split characters apart; they are reported as unsupported.
    ("GB 18030-2000", None),
    ("BIG-5", None),
];

impl Default for Charset {
    /// HL7's default when MSH-18 is empty: ASCII.
    fn default() -> Self {
        Charset::ASCII
    }
}

impl Charset {
    pub const ASCII: Charset = Charset {
        kind: Kind::Ascii,
        name: "ASCII",
    };
    pub const LATIN1: Charset = Charset {
        kind: Kind::Latin1,
        name: "8859/1",
    };
    pub const UTF8: Charset = Charset {
        kind: Kind::Utf8,
        name: "UNICODE UTF-8",
    };

    /// Looks up an HL7 table 0211 name (case-insensitive, surrounding spaces ignored).
    pub fn from_hl7_name(name: &str) -> Result<Charset, ParseErrorKind> {
        let wanted = name.trim();
        let entry = TABLE_0211
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(wanted));
        match entry {
            Some((known, Some(kind))) => Ok(Charset {
                kind: *kind,
                name: known,
            }),
            Some((known, None)) => Err(ParseErrorKind::UnsupportedCharset((*known).to_string())),
            None => Err(ParseErrorKind::UnknownCharset(wanted.to_string())),
        }
    }

    /// The table 0211 name, as MSH-18 writes it.
    pub fn hl7_name(&self) -> &'static str {
        self.name
    }

    #[inline]
    /// Bytes to text; `Err(offset)` gives the first byte that is not valid in this charset.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Cow<'a, str>, usize> {
        let as_utf8 = || {
            std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|e| e.valid_up_to())
        };
        match self.kind {
            Kind::Ascii | Kind::Utf8 => as_utf8(),
            // Every supported set is an ASCII superset byte-wise, so ASCII bytes borrow.
            _ if bytes.is_ascii() => as_utf8(),
            Kind::Latin1 => Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())),
            Kind::Other(encoding) => encoding
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| first_invalid(encoding, bytes)),
        }
    }

    /// Text to bytes; `Err(c)` gives the first character this charset cannot represent.
    pub fn encode<'a>(&self, text: &'a str) -> Result<Cow<'a, [u8]>, char> {
        if text.is_ascii() {
            return Ok(Cow::Borrowed(text.as_bytes()));
        }
        match self.kind {
            Kind::Utf8 | Kind::Ascii => Ok(Cow::Borrowed(text.as_bytes())),
            Kind::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
                .collect::<Result<Vec<u8>, char>>()
                .map(Cow::Owned),
            Kind::Other(encoding) => {
                let (bytes, _, had_errors) = encoding.encode(text);
                if !had_errors {
                    return Ok(bytes);
                }
                Err(first_unencodable(encoding, text))
            }
        }
    }
}

/// Finds the offset of the first byte that makes decoding fail (only on the error path).
fn first_invalid(encoding: &'static Encoding, bytes: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 4);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(usize::from(bad)),
        _ => read,
    }
}

fn first_unencodable(encoding: &'static Encoding, text: &str) -> char {
    text.chars()
        .find(|c| {
            let mut buf = [0u8; 4];
            encoding.encode(c.encode_utf8(&mut buf)).2
        })
        .unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_0211_names_resolve() {
        assert_eq!(Charset::from_hl7_name("8859/1"), Ok(Charset::LATIN1));
        assert_eq!(Charset::from_hl7_name(" unicode utf-8 "), Ok(Charset::UTF8));
        assert_eq!(Charset::from_hl7_name("ASCII"), Ok(Charset::ASCII));
        assert_eq!(
            Charset::from_hl7_name("8859/15").map(|c| c.hl7_name()),
            Ok("8859/15")
        );
        assert!(Charset::from_hl7_name("KS X 1001").is_ok());
        assert!(Charset::from_hl7_name("windows-1252").is_ok());
    }

    #[test]
    fn unknown_and_unsupported_names_are_errors() {
        assert_eq!(
            Charset::from_hl7_name("KLINGON"),
            Err(ParseErrorKind::UnknownCharset("KLINGON".into()))
        );
        assert_eq!(
            Charset::from_hl7_name("UNICODE UTF-16"),
            Err(ParseErrorKind::UnsupportedCharset("UNICODE UTF-16".into()))
        );
        assert!(matches!(
            Charset::from_hl7_name("BIG-5"),
            Err(ParseErrorKind::UnsupportedCharset(_))
        ));
    }

    #[test]
    fn latin1_decodes_every_byte_exactly() {
        assert_eq!(
            Charset::LATIN1.decode(b"Fran\xe7ois\x85").unwrap(),
            "François\u{85}"
        );
        assert_eq!(
            Charset::LATIN1.encode("François").unwrap().as_ref(),
            b"Fran\xe7ois"
        );
        assert_eq!(Charset::LATIN1.encode("€"), Err('€'));
    }

    #[test]
    fn other_sets_go_through_encoding_rs() {
        let cyrillic = Charset::from_hl7_name("8859/5").unwrap();
        assert_eq!(cyrillic.decode(b"\xb8\xd2\xd0\xdd").unwrap(), "Иван");
        assert_eq!(
            cyrillic.encode("Иван").unwrap().as_ref(),
            b"\xb8\xd2\xd0\xdd"
        );
        let latin9 = Charset::from_hl7_name("8859/15").unwrap();
        assert_eq!(latin9.decode(b"\xa4").unwrap(), "€");
        assert_eq!(latin9.encode("Ж"), Err('Ж'));
    }

    #[test]
    fn invalid_bytes_report_their_offset() {
        assert_eq!(Charset::UTF8.decode(b"ab\xffcd"), Err(2));
        assert_eq!(Charset::ASCII.decode(b"abc\xe9"), Err(3));
        let korean = Charset::from_hl7_name("KS X 1001").unwrap();
        assert_eq!(korean.decode(b"ab\xff"), Err(2));
    }

    #[test]
    fn ascii_accepts_mislabelled_utf8() {
        assert_eq!(
            Charset::ASCII.decode("workman’s".as_bytes()).unwrap(),
            "workman’s"
        );
    }
}
