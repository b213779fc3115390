//! What a translation can report: a [`Rejection`] stops the message (the ACK is AE or AR),
//! an [`Unmapped`] entry is a warning that lists data the FHIR result does not carry
//! (DESIGN promise 4), and a [`MappingError`] means the embedded tables are broken.

use std::fmt;

use hl7v2::{ErrorCode, ErrorLocation};

/// The embedded mapping tables could not be loaded (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{file} line {line}: {message}")]
    Row {
        file: &'static str,
        line: usize,
        message: String,
    },
}

/// Why a message was not translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The message type or trigger event is not one this translator handles (ACK AR,
    /// table 0357 code 200 or 201).
    #[error("{message}")]
    Unsupported { code: ErrorCode, message: String },
    /// The message is of a supported kind but its content is wrong (ACK AE): a required
    /// segment or field is missing (100/101), a value has the wrong form (102) or a code
    /// is not in its table (103).
    #[error("{at}: {message}", at = DisplayLocation(.location))]
    Content {
        code: ErrorCode,
        location: ErrorLocation,
        message: String,
    },
}

impl Rejection {
    /// The table 0357 code for the ACK's ERR-3.
    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::Unsupported { code, .. } | Rejection::Content { code, .. } => *code,
        }
    }

    pub(crate) fn content(
        code: ErrorCode,
        location: ErrorLocation,
        message: impl Into<String>,
    ) -> Self {
        Rejection::Content {
            code,
            location,
            message: message.into(),
        }
    }
}

/// Why a present v2 value is not in the FHIR result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmappedReason {
    /// No mapping row covers this segment, field or component.
    NotMapped,
    /// The code is not in the vocabulary map the field uses (table 0357 code 103).
    UnknownCode,
    /// The value does not have the form of its data type (102); the element is left out.
    InvalidValue,
    /// FHIR allows one value here; the extra repetitions are not carried.
    ExtraRepetition,
    /// Part of the value cannot be represented (e.g. a time without a known offset).
    PrecisionLost,
}

impl UnmappedReason {
    /// The table 0357 code that best describes the warning in an ACK ERR segment.
    pub fn error_code(self) -> ErrorCode {
        match self {
            UnmappedReason::UnknownCode => ErrorCode::TableValueNotFound,
            UnmappedReason::InvalidValue => ErrorCode::DataType,
            UnmappedReason::NotMapped
            | UnmappedReason::ExtraRepetition
            | UnmappedReason::PrecisionLost => ErrorCode::MessageAccepted,
        }
    }
}

/// One v2 value (or whole segment) that the FHIR result does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub segment: String,
    /// Which occurrence of the segment in the message (1 = first).
    pub segment_sequence: usize,
    /// `None` for a whole segment.
    pub field: Option<usize>,
    /// Field repetition (1-based) when the field repeats.
    pub repetition: Option<usize>,
    pub component: Option<usize>,
    pub reason: UnmappedReason,
    pub why: String,
}

impl Unmapped {
    /// The location for an ACK ERR-2.
    pub fn location(&self) -> ErrorLocation {
        ErrorLocation {
            segment_id: self.segment.clone(),
            segment_sequence: self.segment_sequence,
            field: self.field,
            field_repetition: self.repetition,
            component: self.component,
            subcomponent: None,
        }
    }
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", DisplayLocation(&self.location()), self.why)
    }
}

/// `PID[1]-3[2].4` for messages and logs.
struct DisplayLocation<'a>(&'a ErrorLocation);

impl fmt::Display for DisplayLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.0;
        write!(f, "{}[{}]", at.segment_id, at.segment_sequence)?;
        if let Some(field) = at.field {
            write!(f, "-{field}")?;
            if let Some(repetition) = at.field_repetition {
                write!(f, "[{repetition}]")?;
            }
            if let Some(component) = at.component {
                write!(f, ".{component}")?;
            }
        }
        Ok(())
    }
}
