//! Ingesting one HL7 v2 message (from MLLP or `POST /hl7v2`): log the raw bytes, parse,
//! translate, commit, and only then hand back the ACK (DESIGN promises 1, 3, 6).
//!
//! The message is parsed and given to the [`V2Translator`], and its ACK is built with a
//! log id reserved up front; then [`MessageLog::record`] commits, in ONE database
//! transaction, the raw message with its final status and ACK bytes and the translated
//! writes, unless the same message was already answered (a retransmission: its first ACK
//! comes back and nothing is applied twice). The caller sends the ACK after `record`
//! returns. Without a translator every well-formed message is answered AR/CR with
//! ERR-3 = 200 (unsupported message type).
//!
//! Deliberate departure from DESIGN's data flow, which logs the raw bytes before
//! translating: logging first cost a second transaction per message (half of the
//! database work of an ADT^A08), and an entry logged before it was answered had to be
//! told apart from a copy still in flight. A message is now logged in the commit that
//! answers it; one that never reached that commit was never acknowledged, so its sender
//! still has it and sends it again (promise 1).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hl7v2::{
    build_ack, build_ack_for_parse_error, AckCode, AckIssue, AckRequest, Charset, ErrorCode,
    Message, ParseError, ParseOptions, Severity,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::storage::{StorageError, WriteRequest};
use crate::time::Micros;
use crate::use_cases::ResourceValidator;
use crate::GatewayError;

/// How long a (sender, control id, content) triple is remembered as a retransmission.
pub const DEFAULT_RETRANSMISSION_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Flag on a log entry whose control id this sender already used for different content.
pub const FLAG_CONTROL_ID_REUSED: &str = "control-id-reused";
/// Flag on a log entry made by `$replay` of an earlier entry.
pub const FLAG_REPLAY: &str = "replay";
/// Flag on a log entry whose bytes did not parse as HL7 v2.
pub const FLAG_UNPARSEABLE: &str = "unparseable";

/// Where a logged message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStatus {
    /// Logged, not yet answered. Only earlier versions of fhirgate, which logged a
    /// message before processing it, left entries here (a crash between the two steps).
    Received,
    /// Translated and committed; answered AA/CA.
    Accepted,
    /// Answered AE/CE or AR/CR, or not answered at all when no ACK could be formed.
    Rejected,
}

impl LogStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LogStatus::Received => "received",
            LogStatus::Accepted => "accepted",
            LogStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "received" => Some(LogStatus::Received),
            "accepted" => Some(LogStatus::Accepted),
            "rejected" => Some(LogStatus::Rejected),
            _ => None,
        }
    }
}

/// A message as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: i64,
    pub received_at: Micros,
    /// `MSH-3^MSH-4` as sent (raw ER7 text).
    pub sender: String,
    pub control_id: String,
    /// MSH-9 as sent, e.g. `ADT^A08^ADT_A01`.
    pub message_type: String,
    /// Lowercase hex SHA-256 of the raw bytes.
    pub content_hash: String,
    pub raw: Vec<u8>,
    pub status: LogStatus,
    /// The ACK sent (byte-exact), `None` when none could be formed.
    pub ack: Option<Vec<u8>>,
    /// JSON array of issue objects (see [`issue_json`]).
    pub issues: Value,
    pub flags: Vec<String>,
    /// How many retransmissions were answered by replaying this entry's ACK.
    pub retransmissions: i64,
    /// For `$replay` entries: the entry replayed.
    pub replay_of: Option<i64>,
}

/// What [`MessageLog::record`] logs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    /// From [`MessageLog::reserve_id`]; the ACK's MSH-10 names it.
    pub id: i64,
    pub received_at: Micros,
    pub sender: String,
    pub control_id: String,
    pub message_type: String,
    pub content_hash: String,
    pub raw: Vec<u8>,
    pub flags: Vec<String>,
    pub replay_of: Option<i64>,
}

/// What [`MessageLog::record`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Logged and applied as a new entry; `control_id_reused` when the sender used this
    /// control id within the window for different content (the entry is flagged).
    New { control_id_reused: bool },
    /// The same message was answered within the window: nothing was written but its
    /// retransmission counter; here is the first entry, with its ACK.
    Retransmission(Box<LogEntry>),
}

/// The end of processing, committed atomically.
#[derive(Debug, Clone)]
pub struct Completion {
    pub status: LogStatus,
    pub ack: Option<Vec<u8>>,
    pub issues: Value,
    /// The translated FHIR writes, applied in the same transaction as the status and ACK.
    pub writes: Vec<WriteRequest>,
}

/// Filters for listing the log; newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    pub status: Option<LogStatus>,
    pub sender: Option<String>,
    /// Matches MSH-9 exactly or its leading components (`ADT` or `ADT^A08`).
    pub message_type: Option<String>,
    /// MSH-10 exactly: the message a sender asks about.
    pub control_id: Option<String>,
    /// Received at or after this instant.
    pub since: Option<Micros>,
    /// Received strictly before this instant.
    pub before: Option<Micros>,
    pub count: u32,
}

/// The message log. Implemented by `store::Store`; every method is blocking.
pub trait MessageLog: Send + Sync + 'static {
    /// An id no other entry has or will get, for the ACK built before [`Self::record`].
    /// Ids are increasing per process; an id whose message turns out to be a
    /// retransmission is never used (a gap).
    fn reserve_id(&self) -> Result<i64, StorageError>;

    /// In one transaction, serialised with every other `record` for the same tenant,
    /// sender and control id (across processes sharing the database): if an answered
    /// entry with this sender, control id and hash was received at or after
    /// `window_start` (and `entry.replay_of` is `None`), count the retransmission and
    /// return it; otherwise apply `completion.writes` and insert `entry` with the
    /// completion's status, ACK and issues. On error nothing is written.
    fn record(
        &self,
        tenant: &str,
        entry: NewLogEntry,
        completion: Completion,
        window_start: Micros,
    ) -> Result<Recorded, StorageError>;

    fn entry(&self, tenant: &str, id: i64) -> Result<Option<LogEntry>, StorageError>;

    fn search(&self, tenant: &str, query: &LogQuery) -> Result<Vec<LogEntry>, StorageError>;
}

/// Translated content of one message.
#[derive(Debug, Clone, Default)]
pub struct Translation {
    pub writes: Vec<WriteRequest>,
    /// Unmapped segments and fields (DESIGN promise 4): reported, not fatal.
    pub warnings: Vec<AckIssue>,
}

/// v2 → FHIR translation, provided by the `translate` crate once it exists.
pub trait V2Translator: Send + Sync + 'static {
    /// `Err` issues make the ACK an AE (or AR when the message type is not handled).
    fn translate(&self, message: &Message<'_>) -> Result<Translation, Vec<AckIssue>>;
}

/// What the edge sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum IntakeOutcome {
    /// Send these bytes (already committed with the log entry).
    Ack { log_id: i64, ack: Vec<u8> },
    /// No ACK can name the message (no readable MSH): the edge closes or answers 400.
    NoAck { log_id: i64, reason: String },
}

#[derive(Clone)]
pub struct V2Intake {
    log: Arc<dyn MessageLog>,
    translator: Option<Arc<dyn V2Translator>>,
    /// Translated resources are validated like REST writes before they are committed.
    validator: Option<Arc<dyn ResourceValidator>>,
    tenant: String,
    window: Duration,
    /// Character sets that override MSH-18 for senders known to mislabel their messages.
    sender_charsets: Arc<HashMap<String, Charset>>,
}

impl V2Intake {
    pub fn new(log: Arc<dyn MessageLog>, window: Duration) -> Self {
        Self {
            log,
            translator: None,
            validator: None,
            tenant: crate::use_cases::DEFAULT_TENANT.to_owned(),
            window,
            sender_charsets: Arc::default(),
        }
    }

    /// Decodes the messages of these senders in the given character set whatever their
    /// MSH-18 says. A key is a sender as the message log shows it (`MSH-3^MSH-4`, raw) or
    /// MSH-3's first component alone; the full form wins.
    pub fn with_sender_charsets(mut self, charsets: HashMap<String, Charset>) -> Self {
        self.sender_charsets = Arc::new(charsets);
        self
    }

    pub fn with_translator(mut self, translator: Arc<dyn V2Translator>) -> Self {
        self.translator = Some(translator);
        self
    }

    pub fn with_validator(mut self, validator: Arc<dyn ResourceValidator>) -> Self {
        self.validator = Some(validator);
        self
    }

    pub fn log(&self) -> &Arc<dyn MessageLog> {
        &self.log
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Logs, processes and answers one message. Blocking.
    pub fn ingest(&self, raw: &[u8]) -> Result<IntakeOutcome, GatewayError> {
        self.run(raw, None)
    }

    /// Runs a logged message through the use-case again, as a new entry flagged `replay`.
    pub fn replay(&self, id: i64) -> Result<IntakeOutcome, GatewayError> {
        let entry = self
            .log
            .entry(&self.tenant, id)?
            .ok_or_else(|| GatewayError::NotFound {
                resource_type: "hl7v2 message".into(),
                id: id.to_string(),
            })?;
        self.run(&entry.raw, Some(id))
    }

    fn run(&self, raw: &[u8], replay_of: Option<i64>) -> Result<IntakeOutcome, GatewayError> {
        let received_at = Micros::now();
        let parsed = self.parse(raw);
        let header = match &parsed {
            Ok(message) => Some(header_fields(message)),
            // The MSH line alone may still parse and name the sender and control id.
            Err(_) => Message::parse(first_line(raw), &ParseOptions::default())
                .ok()
                .map(|msh| header_fields(&msh)),
        };
        let (sender, control_id, message_type) = header.unwrap_or_default();
        let mut flags = Vec::new();
        if parsed.is_err() {
            flags.push(FLAG_UNPARSEABLE.to_owned());
        }
        if replay_of.is_some() {
            flags.push(FLAG_REPLAY.to_owned());
        }
        let log_id = self.log.reserve_id()?;
        let entry = NewLogEntry {
            id: log_id,
            received_at,
            sender,
            control_id,
            message_type,
            content_hash: content_hash(raw),
            raw: raw.to_vec(),
            flags,
            replay_of,
        };
        let request = AckRequest {
            code: AckCode::Accept,
            control_id: ack_control_id(log_id),
            timestamp: hl7_timestamp(received_at),
            issues: Vec::new(),
        };
        let (completion, no_ack) = match parsed {
            Ok(message) => (self.answer(&message, request)?, None),
            Err(error) => match build_ack_for_parse_error(raw, &error, &request) {
                Ok(ack) => {
                    let completion = Completion {
                        status: LogStatus::Rejected,
                        ack: Some(ack.to_bytes()),
                        issues: ack_issues_of_parse_error(&error),
                        writes: vec![],
                    };
                    (completion, None)
                }
                Err(no_ack) => {
                    let reason = no_ack.to_string();
                    let completion = Completion {
                        status: LogStatus::Rejected,
                        ack: None,
                        issues: Value::Array(vec![json!({"severity": "E", "message": reason})]),
                        writes: vec![],
                    };
                    (completion, Some(reason))
                }
            },
        };
        self.record(entry, completion, no_ack)
    }

    /// Parses with the character set MSH-18 declares, or the one configured for its sender.
    fn parse<'a>(&self, raw: &'a [u8]) -> Result<Message<'a>, ParseError> {
        if self.sender_charsets.is_empty() {
            return Message::parse(raw, &ParseOptions::default());
        }
        // The sender is read from the MSH line under a stand-in charset, so that an MSH-18
        // naming a set that does not exist cannot hide who sent it (values stay bytes here).
        let header_only = ParseOptions {
            charset_override: Some(Charset::LATIN1),
            ..ParseOptions::default()
        };
        let configured = Message::parse(first_line(raw), &header_only)
            .ok()
            .and_then(|msh| self.configured_charset(&msh));
        let options = ParseOptions {
            charset_override: configured,
            ..ParseOptions::default()
        };
        Message::parse(raw, &options)
    }

    fn configured_charset(&self, msh: &Message<'_>) -> Option<Charset> {
        let (sender, _, _) = header_fields(msh);
        let application = text_of(msh, "MSH-3.1");
        self.sender_charsets
            .get(&sender)
            .or_else(|| self.sender_charsets.get(&application))
            .copied()
    }

    /// Commits a processed message and says what to send: its own ACK (or, when the
    /// completion has none, `no_ack` as the reason), or the first ACK when it turns out
    /// to be a retransmission.
    pub(crate) fn record(
        &self,
        entry: NewLogEntry,
        completion: Completion,
        no_ack: Option<String>,
    ) -> Result<IntakeOutcome, GatewayError> {
        let log_id = entry.id;
        let ack = completion.ack.clone();
        let window_start = Micros(Micros::now().0.saturating_sub(micros(self.window)));
        match self
            .log
            .record(&self.tenant, entry, completion, window_start)?
        {
            Recorded::Retransmission(first) => Ok(replayed(*first)),
            Recorded::New { .. } => Ok(match ack {
                Some(ack) => IntakeOutcome::Ack { log_id, ack },
                None => IntakeOutcome::NoAck {
                    log_id,
                    reason: no_ack.unwrap_or_else(|| "no ACK could be formed".into()),
                },
            }),
        }
    }

    /// Translates and builds the ACK for a message that parsed.
    fn answer(
        &self,
        message: &Message<'_>,
        mut request: AckRequest,
    ) -> Result<Completion, GatewayError> {
        let outcome = match &self.translator {
            Some(translator) => translator
                .translate(message)
                .and_then(|translation| self.check_translation(translation)),
            None => Err(vec![unsupported_type(message)]),
        };
        let (status, writes) = match outcome {
            Ok(translation) => {
                request.issues = translation.warnings;
                (LogStatus::Accepted, translation.writes)
            }
            Err(issues) => {
                let unsupported = issues.iter().any(|issue| {
                    matches!(
                        issue.code,
                        ErrorCode::UnsupportedMessageType | ErrorCode::UnsupportedEventCode
                    )
                });
                request.code = if unsupported {
                    AckCode::Reject
                } else {
                    AckCode::Error
                };
                request.issues = issues;
                (LogStatus::Rejected, vec![])
            }
        };
        let ack = build_ack(message, &request)
            .map_err(|error| GatewayError::Internal(format!("cannot build the ACK: {error}")))?;
        let issues = Value::Array(request.issues.iter().map(issue_json).collect());
        Ok(Completion {
            status,
            ack: Some(ack.to_bytes()),
            issues,
            writes,
        })
    }
}

impl V2Intake {
    /// Refuses a translation whose resources do not validate: the message is answered AE
    /// and nothing is written, exactly as a REST write would get 422.
    fn check_translation(&self, translation: Translation) -> Result<Translation, Vec<AckIssue>> {
        let Some(validator) = &self.validator else {
            return Ok(translation);
        };
        let mut errors = Vec::new();
        for write in &translation.writes {
            let Some(resource) = &write.resource else {
                continue;
            };
            let issues = validator.validate(resource, &[]);
            errors.extend(
                issues
                    .iter()
                    .filter(|issue| {
                        matches!(
                            issue.severity,
                            fhir_core::operation_outcome::Severity::Error
                                | fhir_core::operation_outcome::Severity::Fatal
                        )
                    })
                    .map(|issue| invalid_translation(write, issue)),
            );
        }
        if errors.is_empty() {
            Ok(translation)
        } else {
            Err(errors)
        }
    }
}

/// ERR for a translated resource that is not valid FHIR: the v2 content could not be
/// represented; the text names the FHIR element so the mapping or the sender can be fixed.
fn invalid_translation(
    write: &WriteRequest,
    issue: &fhir_core::operation_outcome::Issue,
) -> AckIssue {
    let at = issue.expression.join(", ");
    AckIssue {
        location: None,
        code: ErrorCode::ApplicationInternal,
        severity: Severity::Error,
        application_code: Some("invalid-translation".into()),
        message: format!(
            "the translated {}/{} is not valid FHIR R4 at {at}: {}",
            write.resource_type, write.id, issue.diagnostics
        ),
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

pub(crate) fn replayed(first: LogEntry) -> IntakeOutcome {
    match first.ack {
        Some(ack) => IntakeOutcome::Ack {
            log_id: first.id,
            ack,
        },
        None => IntakeOutcome::NoAck {
            log_id: first.id,
            reason: "retransmission of a message that could not be acknowledged".into(),
        },
    }
}

fn unsupported_type(message: &Message<'_>) -> AckIssue {
    let code = text_of(message, "MSH-9.1");
    let event = text_of(message, "MSH-9.2");
    let name = if event.is_empty() {
        code
    } else {
        format!("{code}^{event}")
    };
    AckIssue {
        location: None,
        code: ErrorCode::UnsupportedMessageType,
        severity: Severity::Error,
        application_code: None,
        message: format!("translation of {name} to FHIR is not yet supported"),
    }
}

/// The JSON the log keeps for one ACK issue.
pub fn issue_json(issue: &AckIssue) -> Value {
    let location = issue.location.as_ref().map(|at| {
        let mut text = format!("{}[{}]", at.segment_id, at.segment_sequence);
        if let Some(field) = at.field {
            text.push_str(&format!("-{field}"));
        }
        if let Some(component) = at.component {
            text.push_str(&format!(".{component}"));
        }
        text
    });
    let severity = match issue.severity {
        Severity::Error => "E",
        Severity::Warning => "W",
        Severity::Information => "I",
    };
    json!({
        "code": issue.code.code(),
        "severity": severity,
        "location": location,
        "message": issue.message,
    })
}

fn ack_issues_of_parse_error(error: &hl7v2::ParseError) -> Value {
    json!([{
        "code": error.suggested_code().code(),
        "severity": "E",
        "location": null,
        "message": error.to_string(),
    }])
}

/// `(MSH-3^MSH-4, MSH-10, MSH-9)` as raw ER7 text.
pub(crate) fn header_fields(message: &Message<'_>) -> (String, String, String) {
    let raw = |path: &str| {
        hl7v2::TersePath::parse(path)
            .ok()
            .and_then(|path| message.get(&path))
            .map(|value| String::from_utf8_lossy(value.raw()).into_owned())
            .unwrap_or_default()
    };
    let component = char::from(message.delimiters().component);
    let sender = format!("{}{component}{}", raw("MSH-3"), raw("MSH-4"));
    (sender, raw("MSH-10"), raw("MSH-9"))
}

fn text_of(message: &Message<'_>, path: &str) -> String {
    message
        .get_text(path)
        .ok()
        .flatten()
        .map(|text| text.into_owned())
        .unwrap_or_default()
}

pub(crate) fn first_line(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(input.len());
    input.get(..end).unwrap_or_default()
}

/// Lowercase hex SHA-256.
pub fn content_hash(raw: &[u8]) -> String {
    use std::fmt::Write;
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(raw) {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// MSH-10 of our ACKs: unique per log entry, so an ACK can be traced back to its row.
pub fn ack_control_id(log_id: i64) -> String {
    format!("FG{log_id}")
}

/// HL7 DTM in UTC to the second: `YYYYMMDDhhmmss+0000`.
pub fn hl7_timestamp(at: Micros) -> String {
    let instant = at.to_instant();
    let digits: String = instant
        .chars()
        .take_while(|&c| c != '.')
        .filter(char::is_ascii_digit)
        .collect();
    format!("{digits}+0000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_hl7_dtm() {
        assert_eq!(hl7_timestamp(Micros(0)), "19700101000000+0000");
        assert_eq!(
            hl7_timestamp(Micros(1_700_000_000_123_456)),
            "20231114221320+0000"
        );
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn status_round_trips() {
        for status in [
            LogStatus::Received,
            LogStatus::Accepted,
            LogStatus::Rejected,
        ] {
            assert_eq!(LogStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(LogStatus::parse("bogus"), None);
    }

    #[test]
    fn header_fields_read_sender_control_id_and_type() {
        let raw = b"MSH|^~\\&|LAB|HOSP|GW|FAC|20260101||ADT^A08^ADT_A01|C1|P|2.5.1\rPID|1\r";
        let parsed = Message::parse(raw, &ParseOptions::default());
        let Ok(message) = parsed else {
            panic!("fixture parses")
        };
        assert_eq!(
            header_fields(&message),
            ("LAB^HOSP".into(), "C1".into(), "ADT^A08^ADT_A01".into())
        );
        assert_eq!(
            unsupported_type(&message).message,
            "translation of ADT^A08 to FHIR is not yet supported"
        );
    }
}
