//! Just enough ER7 reading to correlate an ACK with the message it answers:
//! MSH-10 (message control id) of a sent message and MSA-2 of its ACK.
//!
//! This is deliberately a tiny byte scan, not an HL7 parser (that is the `hl7v2`
//! crate's job, and this crate must not depend on it): it takes the field separator
//! from MSH-1, splits segments on CR (and, leniently, LF) and returns the raw field
//! text without unescaping. A caller with a real parser plugs it in through
//! [`AckMatcher`].

const SEGMENT_ENDS: [u8; 2] = [b'\r', b'\n'];
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Finds the control ids the client compares: MSH-10 of the message it sends and
/// MSA-2 of the ACK it receives.
pub trait AckMatcher: Send + Sync {
    fn message_control_id<'a>(&self, message: &'a [u8]) -> Option<&'a [u8]>;
    fn acknowledged_control_id<'a>(&self, ack: &'a [u8]) -> Option<&'a [u8]>;
}

/// The default [`AckMatcher`]: the byte scan of this module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Er7ControlIds;

impl AckMatcher for Er7ControlIds {
    fn message_control_id<'a>(&self, message: &'a [u8]) -> Option<&'a [u8]> {
        message_control_id(message)
    }

    fn acknowledged_control_id<'a>(&self, ack: &'a [u8]) -> Option<&'a [u8]> {
        acknowledged_control_id(ack)
    }
}

fn segments(message: &[u8]) -> impl Iterator<Item = &[u8]> {
    let message = message.strip_prefix(UTF8_BOM).unwrap_or(message);
    message
        .split(|b| SEGMENT_ENDS.contains(b))
        .filter(|segment| !segment.is_empty())
}

/// The MSH segment and its field separator (MSH-1).
fn msh(message: &[u8]) -> Option<(&[u8], u8)> {
    let segment = segments(message).find(|segment| segment.starts_with(b"MSH"))?;
    let separator = *segment.get(3)?;
    Some((segment, separator))
}

/// Field `n` of a segment, counting the segment name as field 0. For MSH the
/// separator itself is MSH-1, so MSH-n is at index n-1.
fn field(segment: &[u8], separator: u8, n: usize) -> Option<&[u8]> {
    segment
        .split(|b| *b == separator)
        .nth(n)
        .filter(|value| !value.is_empty())
}

/// MSH-10 of a message, if present and non-empty.
pub fn message_control_id(message: &[u8]) -> Option<&[u8]> {
    let (segment, separator) = msh(message)?;
    field(segment, separator, 9)
}

/// MSA-2 of an acknowledgement, if present and non-empty.
pub fn acknowledged_control_id(ack: &[u8]) -> Option<&[u8]> {
    let (_, separator) = msh(ack)?;
    let msa = segments(ack).find(|segment| {
        segment.starts_with(b"MSA") && segment.get(3).copied() == Some(separator)
    })?;
    field(msa, separator, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADT: &[u8] =
        b"MSH|^~\\&|APP|FAC|GW|FAC|20240101120000||ADT^A08|CTRL-42|P|2.5.1\rPID|1||123\r";

    #[test]
    fn reads_msh_10() {
        assert_eq!(message_control_id(ADT), Some(&b"CTRL-42"[..]));
    }

    #[test]
    fn reads_msa_2_with_unusual_separator_and_bom() {
        let ack =
            b"\xEF\xBB\xBFMSH#^~\\&#GW#FAC#APP#FAC#20240101##ACK#A1#P#2.5.1\nMSA#AA#CTRL-42\n";
        assert_eq!(acknowledged_control_id(ack), Some(&b"CTRL-42"[..]));
    }

    #[test]
    fn missing_or_empty_fields_are_none() {
        assert_eq!(message_control_id(b"PID|1\r"), None);
        assert_eq!(message_control_id(b"MSH"), None);
        assert_eq!(
            message_control_id(b"MSH|^~\\&|A|B|C|D|E||ADT^A01||P\r"),
            None
        );
        assert_eq!(acknowledged_control_id(b"MSH|^~\\&\rMSA|AA\r"), None);
        assert_eq!(acknowledged_control_id(b"MSA|AA|X\r"), None);
        assert_eq!(message_control_id(b""), None);
    }

    #[test]
    fn msa_must_use_the_msh_separator() {
        let ack = b"MSH|^~\\&|GW\rMSAX|AA|WRONG\rMSA|AE|RIGHT\r";
        assert_eq!(acknowledged_control_id(ack), Some(&b"RIGHT"[..]));
    }
}
