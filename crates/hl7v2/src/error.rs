//! Errors of this crate. Every error carries where it happened (byte offset into the message,
//! segment index) and parse errors suggest the HL7 table 0357 code an ACK should carry.

use std::fmt;

/// HL7 table 0357 "Message error condition codes" (the ones a gateway emits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0 - Message accepted.
    MessageAccepted,
    /// 100 - Segment sequence error.
    SegmentSequence,
    /// 101 - Required field missing.
    RequiredFieldMissing,
    /// 102 - Data type error.
    DataType,
    /// 103 - Table value not found.
    TableValueNotFound,
    /// 200 - Unsupported message type.
    UnsupportedMessageType,
    /// 201 - Unsupported event code.
    UnsupportedEventCode,
    /// 202 - Unsupported processing id.
    UnsupportedProcessingId,
    /// 203 - Unsupported version id.
    UnsupportedVersionId,
    /// 204 - Unknown key identifier.
    UnknownKeyIdentifier,
    /// 205 - Duplicate key identifier.
    DuplicateKeyIdentifier,
    /// 206 - Application record locked.
    ApplicationRecordLocked,
    /// 207 - Application internal error.
    ApplicationInternal,
}

impl ErrorCode {
    /// The numeric code as table 0357 lists it.
    pub fn code(self) -> u16 {
        match self {
            ErrorCode::MessageAccepted => 0,
            ErrorCode::SegmentSequence => 100,
            ErrorCode::RequiredFieldMissing => 101,
            ErrorCode::DataType => 102,
            ErrorCode::TableValueNotFound => 103,
            ErrorCode::UnsupportedMessageType => 200,
            ErrorCode::UnsupportedEventCode => 201,
            ErrorCode::UnsupportedProcessingId => 202,
            ErrorCode::UnsupportedVersionId => 203,
            ErrorCode::UnknownKeyIdentifier => 204,
            ErrorCode::DuplicateKeyIdentifier => 205,
            ErrorCode::ApplicationRecordLocked => 206,
            ErrorCode::ApplicationInternal => 207,
        }
    }

    /// The description table 0357 gives for the code.
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::MessageAccepted => "Message accepted",
            ErrorCode::SegmentSequence => "Segment sequence error",
            ErrorCode::RequiredFieldMissing => "Required field missing",
            ErrorCode::DataType => "Data type error",
            ErrorCode::TableValueNotFound => "Table value not found",
            ErrorCode::UnsupportedMessageType => "Unsupported message type",
            ErrorCode::UnsupportedEventCode => "Unsupported event code",
            ErrorCode::UnsupportedProcessingId => "Unsupported processing id",
            ErrorCode::UnsupportedVersionId => "Unsupported version id",
            ErrorCode::UnknownKeyIdentifier => "Unknown key identifier",
            ErrorCode::DuplicateKeyIdentifier => "Duplicate key identifier",
            ErrorCode::ApplicationRecordLocked => "Application record locked",
            ErrorCode::ApplicationInternal => "Application internal error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.description())
    }
}

/// What is wrong with the bytes of a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("input is empty")]
    Empty,
    #[error("message does not start with an MSH segment")]
    NoMsh,
    #[error("input ends inside the {0} header before the encoding characters")]
    Truncated(&'static str),
    #[error(
        "field separator {0:?} is not allowed (must be printable ASCII, not a letter or digit)"
    )]
    BadFieldSeparator(char),
    #[error("MSH-2 must hold 4 or 5 encoding characters, found {0}")]
    EncodingCharacterCount(usize),
    #[error("delimiter {0:?} is used twice (or is not a printable ASCII symbol)")]
    BadDelimiter(char),
    #[error("segment name {0:?} is not three upper-case letters or digits")]
    InvalidSegmentName(String),
    #[error("empty segment (blank line) inside a message")]
    EmptySegment,
    #[error("a second MSH segment: several messages need split_messages")]
    SecondMsh,
    #[error("batch segment {0} inside a message: batches need split_messages")]
    BatchSegmentInMessage(String),
    #[error("MSH-18 character set {0:?} is not in HL7 table 0211")]
    UnknownCharset(String),
    #[error("MSH-18 character set {0:?} cannot be parsed byte-wise (not ASCII-compatible) or is not supported")]
    UnsupportedCharset(String),
    #[error("text outside any message: {0:?}")]
    TextOutsideMessage(String),
    #[error("message is larger than 4 GiB")]
    TooLarge,
}

/// A message (or stream of messages) could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset}, segment index {segment_index})")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// Byte offset into the input given to the parse function (a leading BOM counts).
    pub offset: usize,
    /// 0-based index of the segment in its message (0 = MSH).
    pub segment_index: usize,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: usize, segment_index: usize) -> Self {
        ParseError {
            kind,
            offset,
            segment_index,
        }
    }

    /// The table 0357 code an ACK for this error should carry.
    pub fn suggested_code(&self) -> ErrorCode {
        match self.kind {
            ParseErrorKind::Empty | ParseErrorKind::Truncated(_) => ErrorCode::RequiredFieldMissing,
            ParseErrorKind::NoMsh
            | ParseErrorKind::InvalidSegmentName(_)
            | ParseErrorKind::EmptySegment
            | ParseErrorKind::SecondMsh
            | ParseErrorKind::BatchSegmentInMessage(_)
            | ParseErrorKind::TextOutsideMessage(_) => ErrorCode::SegmentSequence,
            ParseErrorKind::BadFieldSeparator(_)
            | ParseErrorKind::EncodingCharacterCount(_)
            | ParseErrorKind::BadDelimiter(_) => ErrorCode::DataType,
            ParseErrorKind::UnknownCharset(_) | ParseErrorKind::UnsupportedCharset(_) => {
                ErrorCode::TableValueNotFound
            }
            ParseErrorKind::TooLarge => ErrorCode::ApplicationInternal,
        }
    }
}

/// A value could not be decoded to text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("escape sequence starting at byte {offset} is not terminated")]
    UnterminatedEscape { offset: usize },
    #[error("escape sequence {sequence:?} at byte {offset} is malformed")]
    MalformedEscape { sequence: String, offset: usize },
    #[error("escape sequence {sequence:?} at byte {offset} is not supported (character-set switching / locally defined)")]
    UnsupportedEscape { sequence: String, offset: usize },
    #[error("bytes at {offset} are not valid {charset}")]
    InvalidBytes {
        charset: &'static str,
        offset: usize,
    },
}

/// Text could not be written into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("character {character:?} cannot be represented in character set {charset}")]
    Unrepresentable {
        character: char,
        charset: &'static str,
    },
    #[error("{0} is defined by the delimiters and cannot be set")]
    ReadOnlyField(String),
    #[error("segment name {0:?} is not three upper-case letters or digits")]
    InvalidSegmentName(String),
    #[error("segment {name}[{repetition}] does not exist and is not the next repetition")]
    MissingSegment { name: String, repetition: usize },
}

/// A terse path such as `PID-3[2].4.1` is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?} at character {position}: {reason}")]
pub struct PathError {
    pub path: String,
    pub position: usize,
    pub reason: &'static str,
}

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("no ACK can be formed: {0}")]
    NoAckPossible(String),
}
