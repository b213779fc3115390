//! HL7 v2 over HTTP: `POST /hl7v2` runs the same intake use-case as MLLP and returns
//! the committed ACK; `/hl7v2/messages` lists and shows the message log and replays
//! an entry through the use-case (after a mapping is fixed).
//!
//! The log listing is plain JSON, not FHIR: it describes transport records, not
//! clinical data. Errors are still OperationOutcomes.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use gateway::time::{parse_datetime_range, Micros};
use gateway::v2_intake::{IntakeOutcome, LogEntry, LogQuery, LogStatus, V2Intake};
use gateway::GatewayError;
use serde_json::{json, Value};

use crate::crud::blocking;
use crate::error::{invalid_parameter, ApiError, ApiResult};
use crate::metrics::note_interaction;
use crate::request::{query_pairs, read_body};
use crate::AppState;

/// The content type of ER7 bodies, as the interface contract names it.
pub const ER7: &str = "x-application/hl7-v2+er7";
/// Also accepted on requests.
const ER7_ALTERNATIVE: &str = "application/hl7-v2";

pub async fn post_message(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    intake: web::Data<V2Intake>,
) -> ApiResult<HttpResponse> {
    note_interaction(&request, "hl7v2", "");
    check_er7_content_type(&request)?;
    let body = read_body(&request, payload, state.settings.body_limit).await?;
    let intake = intake.get_ref().clone();
    let outcome = blocking(move || intake.ingest(&body)).await?;
    ack_response(outcome)
}

pub async fn list_messages(
    request: HttpRequest,
    state: web::Data<AppState>,
    intake: web::Data<V2Intake>,
) -> ApiResult<HttpResponse> {
    note_interaction(&request, "hl7v2-log", "");
    let query = log_query(&request, &state)?;
    let intake = intake.get_ref().clone();
    let entries = blocking(move || Ok(intake.log().search(intake.tenant(), &query)?)).await?;
    let listed: Vec<Value> = entries.iter().map(|e| entry_json(e, false)).collect();
    Ok(HttpResponse::Ok()
        .content_type(crate::negotiate::PLAIN_JSON)
        .body(json!({ "total": listed.len(), "messages": listed }).to_string()))
}

/// One entry with its raw message; `?format=er7` returns the raw bytes themselves.
pub async fn show_message(
    request: HttpRequest,
    path: web::Path<String>,
    intake: web::Data<V2Intake>,
) -> ApiResult<HttpResponse> {
    note_interaction(&request, "hl7v2-log", "");
    let id = log_id(&path)?;
    let intake = intake.get_ref().clone();
    let entry = blocking(move || {
        intake
            .log()
            .entry(intake.tenant(), id)?
            .ok_or_else(|| not_logged(id))
    })
    .await?;
    let raw_wanted = query_pairs(&request)
        .iter()
        .any(|(key, value)| key == "format" && value == "er7");
    if raw_wanted {
        return Ok(HttpResponse::Ok().content_type(ER7).body(entry.raw));
    }
    Ok(HttpResponse::Ok()
        .content_type(crate::negotiate::PLAIN_JSON)
        .body(entry_json(&entry, true).to_string()))
}

pub async fn replay_message(
    request: HttpRequest,
    path: web::Path<String>,
    intake: web::Data<V2Intake>,
) -> ApiResult<HttpResponse> {
    note_interaction(&request, "hl7v2-replay", "");
    let id = log_id(&path)?;
    let intake = intake.get_ref().clone();
    let outcome = blocking(move || intake.replay(id)).await?;
    ack_response(outcome)
}

/// HTTP 200 for every ACK, AE/AR included: the ACK itself carries the verdict.
fn ack_response(outcome: IntakeOutcome) -> ApiResult<HttpResponse> {
    match outcome {
        IntakeOutcome::Ack { log_id, ack } => Ok(HttpResponse::Ok()
            .content_type(ER7)
            .insert_header(("X-Message-Log-Id", log_id.to_string()))
            .body(ack)),
        IntakeOutcome::NoAck { reason, .. } => Err(ApiError(GatewayError::invalid_body(
            format!("no HL7 v2 ACK can be formed for this body: {reason}"),
            None,
        ))),
    }
}

fn check_er7_content_type(request: &HttpRequest) -> ApiResult<()> {
    let text = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = text.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case(ER7) || media_type.eq_ignore_ascii_case(ER7_ALTERNATIVE) {
        Ok(())
    } else {
        Err(ApiError(GatewayError::UnsupportedMediaType(format!(
            "Content-Type '{text}' is not supported on /hl7v2; send {ER7} (or {ER7_ALTERNATIVE})"
        ))))
    }
}

fn log_query(request: &HttpRequest, state: &AppState) -> ApiResult<LogQuery> {
    let mut query = LogQuery {
        count: state.settings.default_page_size,
        ..LogQuery::default()
    };
    for (key, value) in query_pairs(request) {
        match key.as_str() {
            "status" => {
                query.status = Some(LogStatus::parse(&value).ok_or_else(|| {
                    invalid_parameter(format!(
                        "status='{value}' is not one of received, accepted, rejected"
                    ))
                })?);
            }
            "sender" => query.sender = Some(value),
            "type" => query.message_type = Some(value),
            "control_id" => query.control_id = Some(value),
            // Both bounds take the start of what the value names: `since=2026-12-07` is
            // from that day's first instant, `before=2026-12-08` up to the next day's.
            "since" => query.since = Some(instant_parameter("since", &value)?),
            "before" => query.before = Some(instant_parameter("before", &value)?),
            "_count" => {
                let count: u32 = value.parse().map_err(|_| {
                    invalid_parameter(format!("_count='{value}' is not a non-negative integer"))
                })?;
                query.count = count.min(state.settings.max_page_size);
            }
            other => {
                return Err(invalid_parameter(format!(
                    "unknown parameter '{other}'; use status, sender, type, control_id, since, before or _count"
                )))
            }
        }
    }
    Ok(query)
}

fn instant_parameter(name: &str, value: &str) -> ApiResult<Micros> {
    let (low, _) = parse_datetime_range(value).ok_or_else(|| {
        invalid_parameter(format!(
            "{name}='{value}' is not a date or instant (e.g. 2024-01-31T12:00:00Z)"
        ))
    })?;
    Ok(low)
}

fn log_id(path: &str) -> ApiResult<i64> {
    path.parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError(not_logged_text(path)))
}

fn not_logged(id: i64) -> GatewayError {
    not_logged_text(&id.to_string())
}

fn not_logged_text(id: &str) -> GatewayError {
    GatewayError::NotFound {
        resource_type: "hl7v2/messages".into(),
        id: id.to_owned(),
    }
}

fn entry_json(entry: &LogEntry, with_raw: bool) -> Value {
    let mut value = json!({
        "id": entry.id,
        "received_at": Micros::to_instant(entry.received_at),
        "sender": entry.sender,
        "control_id": entry.control_id,
        "type": entry.message_type,
        "content_hash": entry.content_hash,
        "status": entry.status.as_str(),
        "flags": entry.flags,
        "issues": entry.issues,
        "retransmissions": entry.retransmissions,
        "replay_of": entry.replay_of,
        "ack": entry.ack.as_deref().map(String::from_utf8_lossy),
    });
    if with_raw {
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "raw".into(),
                Value::String(String::from_utf8_lossy(&entry.raw).into_owned()),
            );
        }
    }
    value
}
