//! A message over the MLLP frame limit: the edge kept only its head (the MSH segment),
//! never the whole payload. It is logged (head, flag `oversize`, status rejected) and
//! answered AR/CR with an ERR naming the limit, so the sender learns why instead of
//! timing out (DESIGN promises 3 and 6). Without a readable MSH no ACK can name the
//! message, and the edge closes the connection.

use hl7v2::{build_ack, AckCode, AckIssue, AckRequest, ErrorCode, Message, ParseOptions, Severity};
use serde_json::{json, Value};

use crate::time::Micros;
use crate::v2_intake::{
    ack_control_id, content_hash, first_line, header_fields, hl7_timestamp, issue_json, Completion,
    IntakeOutcome, LogStatus, NewLogEntry, V2Intake, FLAG_UNPARSEABLE,
};
use crate::GatewayError;

/// Flag on a log entry whose message was over the frame limit (only its head is kept).
pub const FLAG_OVERSIZE: &str = "oversize";

impl V2Intake {
    /// Logs and answers a message of `len` bytes that the edge refused for being over
    /// `limit`, from its kept `head`. Blocking.
    pub fn reject_oversize(
        &self,
        head: &[u8],
        len: u64,
        limit: usize,
    ) -> Result<IntakeOutcome, GatewayError> {
        let received_at = Micros::now();
        // A head without its terminator was cut at the limit: its last field (maybe
        // MSH-10) could be cut too, and an ACK naming the wrong control id is worse
        // than none.
        let whole_segment = head.ends_with(b"\r") || head.ends_with(b"\n");
        let msh = whole_segment
            .then(|| Message::parse(first_line(head), &ParseOptions::default()).ok())
            .flatten();
        let (sender, control_id, message_type) =
            msh.as_ref().map(header_fields).unwrap_or_default();
        let mut flags = vec![FLAG_OVERSIZE.to_owned()];
        if msh.is_none() {
            flags.push(FLAG_UNPARSEABLE.to_owned());
        }
        let log_id = self.log().reserve_id()?;
        let entry = NewLogEntry {
            id: log_id,
            received_at,
            sender,
            control_id,
            message_type,
            content_hash: content_hash(head),
            raw: head.to_vec(),
            flags,
            replay_of: None,
        };
        let issue = AckIssue {
            location: None,
            code: ErrorCode::ApplicationInternal,
            severity: Severity::Error,
            application_code: None,
            message: format!(
                "the message is {len} bytes, over this gateway's MLLP frame limit of {limit} bytes; \
                 it was not processed"
            ),
        };
        let mut issues = vec![issue_json(&issue)];
        let request = AckRequest {
            code: AckCode::Reject,
            control_id: ack_control_id(log_id),
            timestamp: hl7_timestamp(received_at),
            issues: vec![issue],
        };
        let (ack, no_ack) = match oversize_ack(msh.as_ref(), whole_segment, head.len(), &request) {
            Ok(ack) => (Some(ack), None),
            Err(why) => {
                let reason =
                    format!("message over the MLLP frame limit cannot be acknowledged: {why}");
                issues.push(json!({"severity": "E", "message": reason}));
                (None, Some(reason))
            }
        };
        let completion = Completion {
            status: LogStatus::Rejected,
            ack,
            issues: Value::Array(issues),
            writes: vec![],
        };
        self.record(entry, completion, no_ack)
    }
}

/// The AR for an oversize message, or why none can name it.
fn oversize_ack(
    msh: Option<&Message<'_>>,
    whole_segment: bool,
    head_len: usize,
    request: &AckRequest,
) -> Result<Vec<u8>, String> {
    match msh {
        Some(msh) => build_ack(msh, request)
            .map(|ack| ack.to_bytes())
            .map_err(|error| format!("cannot build the AR: {error}")),
        None if whole_segment => Err("no readable MSH segment at its start".to_owned()),
        None => Err(format!(
            "its first segment is longer than the {head_len} bytes kept"
        )),
    }
}
