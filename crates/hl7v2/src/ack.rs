//! Acknowledgements: original mode (AA/AE/AR) or enhanced mode (CA/CE/CR) chosen from MSH-15
//! and MSH-16 of the incoming message, with ERR segments (v2.5 layout: ERR-2..8; messages of
//! v2.1-v2.4 also get ERR-1, the only ERR field those versions know) for each problem.
//!
//! When the incoming bytes did not parse, [`build_ack_for_parse_error`] answers AR/CR if the
//! MSH segment itself can still be read (so MSA-2 and the routing fields are known); without a
//! readable MSH it returns [`Error::NoAckPossible`]: an ACK whose MSA-2 cannot name the
//! message would be useless to the sender, and inventing routing fields would misroute it.

use crate::error::{Error, ErrorCode, ParseError, ParseErrorKind};
use crate::message::{Message, ParseOptions};
use crate::owned::MessageBuf;
use crate::path::TersePath;

/// The outcome the ACK reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AA / CA.
    Accept,
    /// AE / CE.
    Error,
    /// AR / CR.
    Reject,
}

/// Which acknowledgement mode the sender asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckMode {
    Original,
    /// MSH-15 (accept) and MSH-16 (application) conditions: AL, NE, ER, SU (empty = AL).
    Enhanced {
        accept: String,
        application: String,
    },
}

impl AckMode {
    /// Enhanced mode when MSH-15 or MSH-16 is valued, as the standard says.
    pub fn of(message: &Message<'_>) -> AckMode {
        let text = |path: &str| {
            message
                .get_text(path)
                .ok()
                .flatten()
                .map(|t| t.trim().to_string())
                .unwrap_or_default()
        };
        let (accept, application) = (text("MSH-15"), text("MSH-16"));
        if accept.is_empty() && application.is_empty() {
            AckMode::Original
        } else {
            AckMode::Enhanced {
                accept,
                application,
            }
        }
    }

    /// Whether the sender wants an accept acknowledgement with this outcome (always in
    /// original mode; per MSH-15 AL/NE/ER/SU in enhanced mode).
    pub fn wants_accept_ack(&self, code: AckCode) -> bool {
        match self {
            AckMode::Original => true,
            AckMode::Enhanced { accept, .. } => match accept.as_str() {
                "NE" => false,
                "ER" => code != AckCode::Accept,
                "SU" => code == AckCode::Accept,
                _ => true,
            },
        }
    }

    fn msa_code(&self, code: AckCode) -> &'static str {
        match (self, code) {
            (AckMode::Original, AckCode::Accept) => "AA",
            (AckMode::Original, AckCode::Error) => "AE",
            (AckMode::Original, AckCode::Reject) => "AR",
            (AckMode::Enhanced { .. }, AckCode::Accept) => "CA",
            (AckMode::Enhanced { .. }, AckCode::Error) => "CE",
            (AckMode::Enhanced { .. }, AckCode::Reject) => "CR",
        }
    }
}

/// ERR-4 severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Information,
}

impl Severity {
    fn code(self) -> &'static str {
        match self {
            Severity::Error => "E",
            Severity::Warning => "W",
            Severity::Information => "I",
        }
    }
}

/// ERR-2 error location (ERL); numbers are 1-based, `None` leaves the part empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocation {
    pub segment_id: String,
    /// Which occurrence of the segment (1 = first).
    pub segment_sequence: usize,
    pub field: Option<usize>,
    pub field_repetition: Option<usize>,
    pub component: Option<usize>,
    pub subcomponent: Option<usize>,
}

impl ErrorLocation {
    /// The location a terse path names.
    pub fn from_path(path: &TersePath) -> ErrorLocation {
        ErrorLocation {
            segment_id: path.segment.clone(),
            segment_sequence: path.segment_repetition,
            field: Some(path.field),
            field_repetition: Some(path.field_repetition),
            component: path.component,
            subcomponent: path.subcomponent,
        }
    }
}

/// One problem reported in an ERR segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckIssue {
    pub location: Option<ErrorLocation>,
    /// ERR-3, HL7 table 0357.
    pub code: ErrorCode,
    pub severity: Severity,
    /// ERR-5, the application's own error code.
    pub application_code: Option<String>,
    /// ERR-8, text for a person.
    pub message: String,
}

/// What the caller decides about the ACK; the rest comes from the incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequest {
    pub code: AckCode,
    /// MSH-10 of the ACK (a new control id).
    pub control_id: String,
    /// MSH-7 of the ACK (HL7 DTM, e.g. `20260101120000+0000`).
    pub timestamp: String,
    pub issues: Vec<AckIssue>,
}

/// Builds the ACK for a parsed incoming message.
pub fn build_ack(incoming: &Message<'_>, request: &AckRequest) -> Result<MessageBuf, Error> {
    let mode = AckMode::of(incoming);
    let raw = |path: &str| -> Result<Vec<u8>, Error> {
        let path = TersePath::parse(path)?;
        Ok(incoming
            .get(&path)
            .map(|v| v.raw().to_vec())
            .unwrap_or_default())
    };
    // Answer in the sender's delimiters and charset; MessageBuf::new writes MSH-18 for any
    // charset but ASCII (not the raw incoming value, which may be the unknown name we reject).
    let mut ack = MessageBuf::new(*incoming.delimiters(), *incoming.charset());
    // Sender and receiver swap: MSH-3/4 answer from MSH-5/6 and the other way round.
    for (to, from) in [
        ("MSH-3", "MSH-5"),
        ("MSH-4", "MSH-6"),
        ("MSH-5", "MSH-3"),
        ("MSH-6", "MSH-4"),
    ] {
        ack.set_raw(&TersePath::parse(to)?, &raw(from)?)?;
    }
    let set = |ack: &mut MessageBuf, path: &str, text: &str| -> Result<(), Error> {
        ack.set_text(&TersePath::parse(path)?, text)
    };
    set(&mut ack, "MSH-7", &request.timestamp)?;
    set(&mut ack, "MSH-9.1", "ACK")?;
    ack.set_raw(&TersePath::parse("MSH-9.2")?, &raw("MSH-9.2")?)?;
    set(&mut ack, "MSH-9.3", "ACK")?;
    set(&mut ack, "MSH-10", &request.control_id)?;
    ack.set_raw(&TersePath::parse("MSH-11")?, &raw("MSH-11")?)?;
    ack.set_raw(&TersePath::parse("MSH-12")?, &raw("MSH-12")?)?;
    set(&mut ack, "MSA-1", mode.msa_code(request.code))?;
    ack.set_raw(&TersePath::parse("MSA-2")?, &raw("MSH-10")?)?;
    let legacy = is_before_v2_5(&String::from_utf8_lossy(&raw("MSH-12.1")?));
    for issue in &request.issues {
        push_err(&mut ack, issue, legacy)?;
    }
    Ok(ack)
}

/// Builds an AR/CR for bytes that failed to parse, from the MSH segment alone. Returns
/// [`Error::NoAckPossible`] when not even MSH can be read (see the module comment).
pub fn build_ack_for_parse_error(
    input: &[u8],
    error: &ParseError,
    request: &AckRequest,
) -> Result<MessageBuf, Error> {
    let msh_only = first_line(input);
    let header = Message::parse(msh_only, &ParseOptions::default())
        .or_else(|_| {
            // MSH-18 itself may be what failed; the routing fields are ASCII anyway.
            let ascii = ParseOptions {
                charset_override: Some(crate::Charset::ASCII),
                ..ParseOptions::default()
            };
            Message::parse(msh_only, &ascii)
        })
        .map_err(|msh_error| {
            Error::NoAckPossible(format!("{error}; MSH unreadable: {msh_error}"))
        })?;
    let mut request = request.clone();
    request.code = AckCode::Reject;
    request.issues.insert(
        0,
        AckIssue {
            location: location_of_parse_error(input, error, header.delimiters().field),
            code: error.suggested_code(),
            severity: Severity::Error,
            application_code: None,
            message: error.to_string(),
        },
    );
    build_ack(&header, &request)
}

fn first_line(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(input.len());
    input.get(..end).unwrap_or_default()
}

/// The segment id and sequence of the segment the parse error points at, when readable.
fn location_of_parse_error(
    input: &[u8],
    error: &ParseError,
    separator: u8,
) -> Option<ErrorLocation> {
    let before = input.get(..error.offset)?;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\r' || b == b'\n')
        .map_or(0, |i| i + 1);
    let line = first_line(input.get(line_start..)?);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let charset_field = matches!(
        error.kind,
        ParseErrorKind::UnknownCharset(_) | ParseErrorKind::UnsupportedCharset(_)
    );
    let name_len = line
        .iter()
        .position(|&b| b == separator)
        .unwrap_or(line.len());
    let name = std::str::from_utf8(line.get(..name_len)?).ok()?;
    let valid = name.len() == 3
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    Some(ErrorLocation {
        segment_id: if valid {
            name.to_string()
        } else {
            String::new()
        },
        segment_sequence: error.segment_index + 1,
        field: charset_field.then_some(18),
        field_repetition: charset_field.then_some(1),
        component: None,
        subcomponent: None,
    })
}

/// v2.1 to v2.4 know only ERR-1 (segment^sequence^field^code); v2.5 replaced it by ERR-2..8.
fn is_before_v2_5(version: &str) -> bool {
    let mut parts = version.trim().split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => major == 2 && minor < 5,
        _ => false,
    }
}

fn push_err(ack: &mut MessageBuf, issue: &AckIssue, legacy: bool) -> Result<(), Error> {
    let index = ack.push_segment("ERR")?;
    let at = |field: usize, component: Option<usize>| TersePath {
        component,
        ..TersePath::field("ERR", field)
    };
    if legacy {
        // ERR-1 (ELD): segment id ^ sequence ^ field position ^ code&text&HL70357.
        if let Some(location) = &issue.location {
            ack.set_text_at(index, &at(1, Some(1)), &location.segment_id)?;
            ack.set_text_at(
                index,
                &at(1, Some(2)),
                &location.segment_sequence.to_string(),
            )?;
            if let Some(field) = location.field {
                ack.set_text_at(index, &at(1, Some(3)), &field.to_string())?;
            }
        }
        let code = |sub| TersePath {
            subcomponent: Some(sub),
            ..at(1, Some(4))
        };
        ack.set_text_at(index, &code(1), &issue.code.code().to_string())?;
        ack.set_text_at(index, &code(2), issue.code.description())?;
        ack.set_text_at(index, &code(3), "HL70357")?;
    }
    if let Some(location) = &issue.location {
        ack.set_text_at(index, &at(2, Some(1)), &location.segment_id)?;
        let numbers = [
            Some(location.segment_sequence),
            location.field,
            location.field_repetition,
            location.component,
            location.subcomponent,
        ];
        for (component, number) in (2..).zip(numbers) {
            if let Some(number) = number {
                ack.set_text_at(index, &at(2, Some(component)), &number.to_string())?;
            }
        }
    }
    ack.set_text_at(index, &at(3, Some(1)), &issue.code.code().to_string())?;
    ack.set_text_at(index, &at(3, Some(2)), issue.code.description())?;
    ack.set_text_at(index, &at(3, Some(3)), "HL70357")?;
    ack.set_text_at(index, &at(4, None), issue.severity.code())?;
    if let Some(code) = &issue.application_code {
        ack.set_text_at(index, &at(5, Some(1)), code)?;
    }
    // The text is for people: characters the ACK's charset cannot carry become '?' rather
    // than making the ACK impossible to send.
    let charset = *ack.charset();
    let message: String = issue
        .message
        .chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            match charset.encode(c.encode_utf8(&mut buf)) {
                Ok(_) => c,
                Err(_) => '?',
            }
        })
        .collect();
    ack.set_text_at(index, &at(8, None), &message)?;
    Ok(())
}
