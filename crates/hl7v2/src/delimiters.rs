//! Delimiters read from a header segment (MSH, FHS or BHS): the field separator is the byte
//! right after the segment name (MSH-1), the encoding characters follow it (MSH-2).

use crate::error::ParseErrorKind;

/// The separators and escape character of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    pub field: u8,
    pub component: u8,
    pub repetition: u8,
    pub escape: u8,
    pub subcomponent: u8,
    /// The v2.7+ truncation character (5th character of MSH-2), when present.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    /// The usual `|^~\&` set, without a truncation character.
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        }
    }
}

impl Delimiters {
    /// Builds delimiters from MSH-1 and the bytes of MSH-2, checking them.
    pub fn new(field: u8, encoding_characters: &[u8]) -> Result<Self, ParseErrorKind> {
        if !is_delimiter_byte(field) {
            return Err(ParseErrorKind::BadFieldSeparator(char::from(field)));
        }
        let (component, repetition, escape, subcomponent, truncation) = match encoding_characters {
            [c, r, e, s] => (*c, *r, *e, *s, None),
            [c, r, e, s, t] => (*c, *r, *e, *s, Some(*t)),
            other => return Err(ParseErrorKind::EncodingCharacterCount(other.len())),
        };
        let delimiters = Delimiters {
            field,
            component,
            repetition,
            escape,
            subcomponent,
            truncation,
        };
        let all = delimiters.all();
        for (i, byte) in all.iter().enumerate() {
            let used_before = all.get(..i).is_some_and(|earlier| earlier.contains(byte));
            if !is_delimiter_byte(*byte) || used_before {
                return Err(ParseErrorKind::BadDelimiter(char::from(*byte)));
            }
        }
        Ok(delimiters)
    }

    /// MSH-2 as written: component, repetition, escape, subcomponent and the truncation character.
    pub fn encoding_characters(&self) -> Vec<u8> {
        let mut chars = vec![
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ];
        chars.extend(self.truncation);
        chars
    }

    /// Every delimiter byte, field separator first.
    fn all(&self) -> Vec<u8> {
        let mut all = vec![self.field];
        all.extend(self.encoding_characters());
        all
    }

    /// True when the byte must be escaped inside a value.
    pub(crate) fn is_special(&self, byte: u8) -> bool {
        byte == self.field
            || byte == self.component
            || byte == self.repetition
            || byte == self.escape
            || byte == self.subcomponent
            || Some(byte) == self.truncation
    }
}

/// Delimiters must be printable ASCII symbols: letters and digits would clash with data and
/// segment names, bytes >= 0x80 would clash with multi-byte character sets.
fn is_delimiter_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !byte.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_set_with_and_without_truncation() {
        let d = Delimiters::new(b'|', b"^~\\&").unwrap();
        assert_eq!(d, Delimiters::default());
        let d = Delimiters::new(b'|', b"^~\\&#").unwrap();
        assert_eq!(d.truncation, Some(b'#'));
        assert_eq!(d.encoding_characters(), b"^~\\&#");
    }

    #[test]
    fn unusual_set() {
        let d = Delimiters::new(b'$', b"%*@!").unwrap();
        assert_eq!((d.field, d.component, d.repetition), (b'$', b'%', b'*'));
        assert_eq!((d.escape, d.subcomponent), (b'@', b'!'));
    }

    #[test]
    fn rejects_wrong_counts_duplicates_and_bad_bytes() {
        assert_eq!(
            Delimiters::new(b'|', b"^~}"),
            Err(ParseErrorKind::EncodingCharacterCount(3))
        );
        assert_eq!(
            Delimiters::new(b'|', b"^~\\&#@"),
            Err(ParseErrorKind::EncodingCharacterCount(6))
        );
        assert_eq!(
            Delimiters::new(b'|', b"^~\\\\&"),
            Err(ParseErrorKind::BadDelimiter('\\'))
        );
        assert_eq!(
            Delimiters::new(b'|', b"^~|&"),
            Err(ParseErrorKind::BadDelimiter('|'))
        );
        assert_eq!(
            Delimiters::new(b'A', b"^~\\&"),
            Err(ParseErrorKind::BadFieldSeparator('A'))
        );
        assert_eq!(
            Delimiters::new(b'|', b"^~\\\r"),
            Err(ParseErrorKind::BadDelimiter('\r'))
        );
        assert_eq!(
            Delimiters::new(b'|', &[b'^', b'~', 0xE9, b'&']),
            Err(ParseErrorKind::BadDelimiter('\u{e9}'))
        );
    }
}
