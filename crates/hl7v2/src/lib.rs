//! `hl7v2` owns HL7 v2 ER7 over bytes: parsing, decoding, editing and serialising messages,
//! with no I/O. [`Message::parse`] records byte ranges of segments and fields in one pass
//! (delimiters from MSH-1/MSH-2 in [`delimiters`], character set from MSH-18 in [`charset`]);
//! the views in [`value`] split repetitions/components on access and decode text lazily
//! through [`escape`]. [`batch::split_messages`] cuts files and FHS/BHS batches into messages.
//! [`path::TersePath`] addresses values (`PID-3[2].4.1`). [`owned::MessageBuf`] is the
//! editable model and builder that serialises back to bytes (byte-exact when unedited).
//! [`ack`] builds ACKs, and [`json`] renders messages for the CLI.

pub mod ack;
pub mod batch;
pub mod charset;
pub mod delimiters;
pub mod error;
pub mod escape;
pub mod json;
pub mod message;
pub mod owned;
pub mod path;
pub mod value;

pub use ack::{
    build_ack, build_ack_for_parse_error, AckCode, AckIssue, AckMode, AckRequest, ErrorLocation,
    Severity,
};
pub use batch::{split_messages, Envelope, EnvelopeKind, MessageChunk, Split};
pub use charset::Charset;
pub use delimiters::Delimiters;
pub use error::{
    DecodeError, EncodeError, Error, ErrorCode, ParseError, ParseErrorKind, PathError,
};
pub use escape::{FormatCommand, Text, TextPart};
pub use json::{lookup_json, message_json, render_json, render_path};
pub use message::{Message, ParseOptions};
pub use owned::{MessageBuf, SegmentBuf};
pub use path::TersePath;
pub use value::{Field, LeafPosition, Segment, Split as ValueSplit, Value};
