//! ADT messages to a FHIR transaction Bundle: routing on MSH-9, one pass over the segments
//! applying the field rows of the mapping tables, then the resource-level rules the tables
//! cannot express (ids, references, Encounter status by trigger event, required elements).

use std::collections::HashMap;

use hl7v2::{ErrorCode, ErrorLocation, Message, Segment};
use serde_json::{json, Map, Value as Json};

use crate::assemble::{place, Placement};
use crate::convert::{has_content, At, Ctx};
use crate::datatypes;
use crate::dtm::V2DateTime;
use crate::error::{MappingError, Rejection, Unmapped, UnmappedReason};
use crate::ids::hashed_id;
use crate::tables::{EncounterUse, EventRow, Scope, Tables};
use crate::vital_signs;

/// The result of translating one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// A FHIR R4 transaction Bundle whose entries are `PUT Type/id`.
    pub bundle: Json,
    /// Values present in the message and not carried by the Bundle.
    pub unmapped: Vec<Unmapped>,
}

impl Translated {
    /// `(resource type, id, resource)` of each entry, in Bundle order.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &str, &Json)> {
        self.bundle
            .get("entry")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let resource = entry.get("resource")?;
                let kind = resource.get("resourceType")?.as_str()?;
                let id = resource.get("id")?.as_str()?;
                Some((kind, id, resource))
            })
    }
}

impl Translated {
    /// `(resource type, id, resource)` of each entry, moved out of the Bundle.
    pub fn into_resources(self) -> Vec<(String, String, Json)> {
        let Json::Object(mut bundle) = self.bundle else {
            return Vec::new();
        };
        let Some(Json::Array(entries)) = bundle.remove("entry") else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter_map(|mut entry| {
                let resource = entry.get_mut("resource")?.take();
                let kind = resource.get("resourceType")?.as_str()?.to_owned();
                let id = resource.get("id")?.as_str()?.to_owned();
                Some((kind, id, resource))
            })
            .collect()
    }
}

/// HL7 v2 -> FHIR R4 translator; holds the parsed mapping tables. Cheap to share.
#[derive(Debug, Clone)]
pub struct V2ToFhir {
    tables: Tables,
}

/// A resource being built from one or more segments.
struct Draft {
    kind: String,
    body: Map<String, Json>,
    /// The segment that started it, for error locations and ids.
    segment: String,
    sequence: usize,
    index: usize,
}

impl V2ToFhir {
    pub fn new() -> Result<Self, MappingError> {
        Ok(V2ToFhir {
            tables: Tables::load()?,
        })
    }

    /// The loaded tables (for tests that check them against the FHIR definitions).
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn translate(&self, message: &Message<'_>) -> Result<Translated, Rejection> {
        let msh = message
            .segment_at(0)
            .ok_or_else(|| missing_segment(ErrorCode::SegmentSequence, "MSH"))?;
        let event = self.route(message, &msh)?;
        let sender = sender(message, &msh);
        let control_id = raw_text(&msh, 10, 1);
        let fallback_offset = raw_text(&msh, 7, 1)
            .and_then(|text| V2DateTime::parse(&text).ok())
            .and_then(|dtm| dtm.offset().map(str::to_owned));
        let mut ctx = Ctx {
            tables: &self.tables,
            fallback_offset,
            unmapped: Vec::new(),
        };
        let mut patient: Option<Draft> = None;
        let mut encounter: Option<Draft> = None;
        let mut contacts: Vec<Draft> = Vec::new();
        let mut others: Vec<Draft> = Vec::new();
        let mut sequences: HashMap<&str, usize> = HashMap::new();
        for segment in message.segments() {
            let name = segment.name();
            let sequence = {
                let count = sequences.entry(name).or_insert(0);
                *count += 1;
                *count
            };
            let whole = |why: &str| Unmapped {
                segment: name.to_owned(),
                segment_sequence: sequence,
                field: None,
                repetition: None,
                component: None,
                reason: UnmappedReason::NotMapped,
                why: why.to_owned(),
            };
            let Some(segment_row) = self.tables.segments.get(name) else {
                ctx.unmapped.push(whole("segment not translated"));
                continue;
            };
            let draft = match (segment_row.anchor.as_str(), segment_row.scope) {
                ("", _) => None,
                ("Patient", _) if name == "PID" && sequence > 1 => {
                    ctx.unmapped.push(whole("only the first PID is translated"));
                    continue;
                }
                ("Encounter", _) if event.encounter == EncounterUse::None => {
                    // PV1-1 and a PV1-2 of `N` are all a pseudo PV1 carries.
                    let ignored: &[usize] = if name == "PV1" { &[1, 2] } else { &[] };
                    if has_fields_beyond(&segment, ignored) {
                        ctx.unmapped
                            .push(whole("person-level event: visit data not translated"));
                    }
                    continue;
                }
                ("Encounter", _) if name == "PV1" && sequence > 1 => {
                    ctx.unmapped.push(whole("only the first PV1 is translated"));
                    continue;
                }
                ("Patient", _) => {
                    Some(patient.get_or_insert_with(|| draft("Patient", &segment, sequence)))
                }
                ("Encounter", _) => {
                    Some(encounter.get_or_insert_with(|| draft("Encounter", &segment, sequence)))
                }
                (anchor, Scope::Segment) if anchor.contains('.') => {
                    contacts.push(draft(anchor, &segment, sequence));
                    contacts.last_mut()
                }
                (anchor, _) => {
                    others.push(draft(anchor, &segment, sequence));
                    others.last_mut()
                }
            };
            self.apply_rows(&mut ctx, &segment, sequence, draft)?;
        }
        let patient = patient.ok_or_else(|| missing_segment(ErrorCode::SegmentSequence, "PID"))?;
        let mut translated = Vec::new();
        let pid = message.find_segment("PID", 1);
        let Some((system, value)) = pid.and_then(|pid| key_identifier(&self.tables, &pid, 3))
        else {
            return Err(Rejection::content(
                ErrorCode::RequiredFieldMissing,
                location("PID", 1, Some(3)),
                "PID-3 (patient identifier list) has no identifier with a value",
            ));
        };
        let patient_id = hashed_id("patient", &[&system, &value]);
        let mut patient_body = patient.body;
        attach_contacts(&mut ctx, &mut patient_body, contacts);
        resolve_choice(&mut patient_body, "deceasedDateTime", "deceasedBoolean");
        resolve_choice(
            &mut patient_body,
            "multipleBirthInteger",
            "multipleBirthBoolean",
        );
        translated.push(finish("Patient", &patient_id, patient_body));
        let patient_ref = json!({ "reference": format!("Patient/{patient_id}") });
        let encounter_id = match (event.encounter, encounter) {
            (EncounterUse::Visit, Some(encounter)) => {
                let pv1 = message.find_segment("PV1", 1);
                let id = match pv1
                    .as_ref()
                    .and_then(|pv1| key_identifier(&self.tables, pv1, 19))
                {
                    Some((system, value)) => hashed_id("encounter", &[&system, &value]),
                    None => hashed_id(
                        "encounter-message",
                        &[&sender, control_id.as_deref().unwrap_or_default()],
                    ),
                };
                let class = pv1.and_then(|pv1| raw_text(&pv1, 2, 1));
                let body = finish_encounter(
                    &self.tables,
                    event,
                    encounter,
                    class.as_deref(),
                    &patient_ref,
                )?;
                translated.push(finish("Encounter", &id, body));
                Some(id)
            }
            // No PV1: no visit data was sent, so none is lost; the Patient still updates
            // (many feeds send A08 as a pure demographics update).
            (EncounterUse::Visit, None) | (EncounterUse::None, _) => None,
        };
        let encounter_ref = encounter_id
            .as_ref()
            .map(|id| json!({ "reference": format!("Encounter/{id}") }));
        for other in others {
            let (kind, id, mut body) = finish_other(
                other,
                &patient_id,
                &patient_ref,
                encounter_id.as_deref(),
                encounter_ref.as_ref(),
                &sender,
                control_id.as_deref(),
            )?;
            if kind == "Observation" {
                vital_signs::complete(&mut body, || event_time(message, &msh, &ctx));
            }
            translated.push(finish(&kind, &id, body));
        }
        // Built by moving each resource in: `json!` would deep-copy every interpolated
        // Value through serialisation (once per entry, then once more for the Bundle).
        let entries: Vec<Json> = translated
            .into_iter()
            .map(|(kind, id, resource)| {
                let mut request = Map::with_capacity(2);
                request.insert("method".into(), Json::String("PUT".into()));
                request.insert("url".into(), Json::String(format!("{kind}/{id}")));
                let mut entry = Map::with_capacity(2);
                entry.insert("resource".into(), resource);
                entry.insert("request".into(), Json::Object(request));
                Json::Object(entry)
            })
            .collect();
        // A component read twice (a display and a fallback text) is reported once.
        let mut unmapped: Vec<Unmapped> = Vec::with_capacity(ctx.unmapped.len());
        for entry in ctx.unmapped {
            if !unmapped.contains(&entry) {
                unmapped.push(entry);
            }
        }
        Ok(Translated {
            bundle: Json::Object(Map::from_iter([
                ("resourceType".to_owned(), Json::String("Bundle".into())),
                ("type".to_owned(), Json::String("transaction".into())),
                ("entry".to_owned(), Json::Array(entries)),
            ])),
            unmapped,
        })
    }

    /// MSH-9 (with EVN-1 for the event when MSH-9.2 is empty, as in early v2 versions).
    fn route(&self, message: &Message<'_>, msh: &Segment<'_>) -> Result<&EventRow, Rejection> {
        let kind = raw_text(msh, 9, 1).unwrap_or_default();
        if kind != "ADT" {
            return Err(Rejection::Unsupported {
                code: ErrorCode::UnsupportedMessageType,
                message: format!("message type `{kind}` is not translated to FHIR (ADT only)"),
            });
        }
        let event = raw_text(msh, 9, 2)
            .or_else(|| {
                message
                    .find_segment("EVN", 1)
                    .and_then(|evn| raw_text(&evn, 1, 1))
            })
            .unwrap_or_default();
        self.tables
            .events
            .get(&event)
            .ok_or_else(|| Rejection::Unsupported {
                code: ErrorCode::UnsupportedEventCode,
                message: format!("ADT trigger event `{event}` is not translated to FHIR"),
            })
    }

    fn apply_rows(
        &self,
        ctx: &mut Ctx<'_>,
        segment: &Segment<'_>,
        sequence: usize,
        draft: Option<&mut Draft>,
    ) -> Result<(), Rejection> {
        let name = segment.name();
        let rows = self
            .tables
            .fields
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let header = self
            .tables
            .segments
            .get(name)
            .map(|row| row.header_fields.as_slice())
            .unwrap_or_default();
        for (number, field) in segment.fields() {
            let mapped = rows.iter().any(|row| row.field == number) && draft.is_some();
            if mapped || header.contains(&number) {
                continue;
            }
            if has_content(&field.as_value()) {
                ctx.unmapped.push(Unmapped {
                    segment: name.to_owned(),
                    segment_sequence: sequence,
                    field: Some(number),
                    repetition: None,
                    component: None,
                    reason: UnmappedReason::NotMapped,
                    why: "field not mapped".into(),
                });
            }
        }
        let Some(draft) = draft else {
            return Ok(());
        };
        for row in rows {
            let at = At {
                segment: name,
                sequence,
                field: row.field,
                repetition: 1,
            };
            if row.field == 0 {
                if let Some(value) = segment.field(1).map(|f| f.as_value()) {
                    if let Some(converted) = datatypes::convert(ctx, row, segment, &value, &at)? {
                        place(&mut draft.body, row, converted);
                    }
                }
                continue;
            }
            let Some(field) = segment.field(row.field) else {
                continue;
            };
            if !has_content(&field.as_value()) {
                continue;
            }
            let whole_field = row.converter == "OBX_VALUE";
            let values: Vec<_> = if whole_field {
                vec![field.as_value()]
            } else {
                field.repetitions().collect()
            };
            let mut placed = false;
            for (index, value) in values.iter().enumerate() {
                let at = At {
                    repetition: index + 1,
                    ..at
                };
                if !has_content(value) {
                    continue;
                }
                if placed && !row.repeating {
                    ctx.report(
                        &at,
                        None,
                        UnmappedReason::ExtraRepetition,
                        format!("{} takes one value", row.target),
                    );
                    continue;
                }
                let Some(converted) = datatypes::convert(ctx, row, segment, value, &at)? else {
                    continue;
                };
                match place(&mut draft.body, row, converted) {
                    Placement::Placed => placed = true,
                    Placement::Occupied => ctx.report(
                        &at,
                        None,
                        UnmappedReason::ExtraRepetition,
                        format!("{} already has a value", row.target),
                    ),
                }
            }
        }
        Ok(())
    }
}

fn draft(kind: &str, segment: &Segment<'_>, sequence: usize) -> Draft {
    Draft {
        kind: kind.to_owned(),
        body: Map::new(),
        segment: segment.name().to_owned(),
        sequence,
        index: segment.index(),
    }
}

fn has_fields_beyond(segment: &Segment<'_>, ignored: &[usize]) -> bool {
    segment
        .fields()
        .any(|(number, field)| !ignored.contains(&number) && has_content(&field.as_value()))
}

/// `resourceType` and `id` first, then the elements in mapping order.
fn finish(kind: &str, id: &str, body: Map<String, Json>) -> (String, String, Json) {
    let mut resource = Map::with_capacity(body.len() + 2);
    resource.insert("resourceType".into(), Json::String(kind.to_owned()));
    resource.insert("id".into(), Json::String(id.to_owned()));
    resource.extend(body);
    (kind.to_owned(), id.to_owned(), Json::Object(resource))
}

/// The system and value of the first identifier in `field` of `segment` (PID-3, PV1-19),
/// translated as the resource's identifiers are, so ids and identifiers agree.
fn key_identifier(
    tables: &Tables,
    segment: &Segment<'_>,
    field: usize,
) -> Option<(String, String)> {
    let mut scratch = Ctx {
        tables,
        fallback_offset: None,
        unmapped: Vec::new(),
    };
    let at = At {
        segment: segment.name(),
        sequence: 1,
        field,
        repetition: 1,
    };
    segment.field(field)?.repetitions().find_map(|value| {
        let identifier = datatypes::identifier(&mut scratch, &at, &value, None)?;
        let system = identifier
            .get("system")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let value = identifier.get("value").and_then(Json::as_str)?;
        Some((system.to_owned(), value.to_owned()))
    })
}

fn finish_encounter(
    tables: &Tables,
    event: &EventRow,
    encounter: Draft,
    v2_class: Option<&str>,
    patient_ref: &Json,
) -> Result<Map<String, Json>, Rejection> {
    let mut body = encounter.body;
    let Some(class_code) = v2_class.filter(|_| body.contains_key("class")) else {
        return Err(Rejection::content(
            ErrorCode::RequiredFieldMissing,
            location("PV1", encounter.sequence, Some(2)),
            "PV1-2 (patient class) is required for an Encounter",
        ));
    };
    let status = match &event.status {
        Some(status) => status.clone(),
        None => {
            let by_class = tables
                .lookup("PatientClassStatus", class_code)
                .map(|entry| entry.code.clone());
            let discharged = body.get("period").and_then(|p| p.get("end")).is_some();
            match (discharged, by_class) {
                (true, _) => "finished".to_owned(),
                (false, Some(status)) => status,
                (false, None) => "unknown".to_owned(),
            }
        }
    };
    let mut out = Map::new();
    out.insert("status".into(), Json::String(status));
    out.extend(body.iter_mut().map(|(k, v)| (k.clone(), v.take())));
    out.insert("subject".into(), patient_ref.clone());
    Ok(out)
}

fn finish_other(
    draft: Draft,
    patient_id: &str,
    patient_ref: &Json,
    encounter_id: Option<&str>,
    encounter_ref: Option<&Json>,
    sender: &str,
    control_id: Option<&str>,
) -> Result<(String, String, Map<String, Json>), Rejection> {
    let mut body = draft.body;
    let code_key = concept_key(body.get("code"));
    let index = draft.index.to_string();
    let by_segment = || hashed_id("segment", &[sender, control_id.unwrap_or_default(), &index]);
    let id = match draft.kind.as_str() {
        "AllergyIntolerance" => {
            let Some(key) = code_key else {
                return Err(Rejection::content(
                    ErrorCode::RequiredFieldMissing,
                    location(&draft.segment, draft.sequence, Some(3)),
                    "AL1-3 (allergen) is required",
                ));
            };
            body.insert("patient".into(), patient_ref.clone());
            hashed_id("allergy", &[patient_id, &key])
        }
        "Condition" => {
            body.insert("subject".into(), patient_ref.clone());
            if let Some(encounter) = encounter_ref {
                body.insert("encounter".into(), encounter.clone());
            }
            match code_key {
                Some(key) => hashed_id("condition", &[encounter_id.unwrap_or(patient_id), &key]),
                None => by_segment(),
            }
        }
        "Observation" => {
            if code_key.is_none() {
                return Err(Rejection::content(
                    ErrorCode::RequiredFieldMissing,
                    location(&draft.segment, draft.sequence, Some(3)),
                    "OBX-3 (observation identifier) is required",
                ));
            }
            if !body.contains_key("status") {
                body.insert("status".into(), json!("unknown"));
            }
            body.insert("subject".into(), patient_ref.clone());
            if let Some(encounter) = encounter_ref {
                body.insert("encounter".into(), encounter.clone());
            }
            by_segment()
        }
        _ => by_segment(),
    };
    Ok((draft.kind, id, body))
}

/// The first coding's system and code, else the text: what identifies a coded concept.
fn concept_key(concept: Option<&Json>) -> Option<String> {
    let concept = concept?;
    let coding = concept
        .get("coding")
        .and_then(Json::as_array)
        .and_then(|c| c.first());
    if let Some(coding) = coding {
        let system = coding
            .get("system")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let code = coding
            .get("code")
            .and_then(Json::as_str)
            .unwrap_or_default();
        return Some(format!("{system}|{code}"));
    }
    concept
        .get("text")
        .and_then(Json::as_str)
        .map(str::to_owned)
}

/// Adds each NK1's contact to the Patient when FHIR accepts it (pat-1: a contact needs a
/// name, telecom, address or organization); others are reported.
fn attach_contacts(ctx: &mut Ctx<'_>, patient: &mut Map<String, Json>, contacts: Vec<Draft>) {
    for contact in contacts {
        let usable = ["name", "telecom", "address", "organization"]
            .iter()
            .any(|key| contact.body.contains_key(*key));
        if !usable {
            if !contact.body.is_empty() {
                ctx.unmapped.push(Unmapped {
                    segment: contact.segment.clone(),
                    segment_sequence: contact.sequence,
                    field: None,
                    repetition: None,
                    component: None,
                    reason: UnmappedReason::NotMapped,
                    why: "next of kin without name, telephone or address: FHIR cannot carry it"
                        .into(),
                });
            }
            continue;
        }
        let list = patient
            .entry("contact")
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Some(list) = list.as_array_mut() {
            list.push(Json::Object(contact.body));
        }
    }
}

/// A choice element may hold one type: keep `keep` when both are set (PID-29 implies
/// PID-30, PID-25 implies PID-24).
fn resolve_choice(body: &mut Map<String, Json>, keep: &str, drop: &str) {
    if body.contains_key(keep) {
        body.remove(drop);
    }
}

fn sender(message: &Message<'_>, msh: &Segment<'_>) -> String {
    let raw = |number: usize| {
        msh.field(number)
            .map(|f| String::from_utf8_lossy(f.raw()).into_owned())
            .unwrap_or_default()
    };
    let component = char::from(message.delimiters().component);
    format!("{}{component}{}", raw(3), raw(4))
}

/// When the event happened, as a FHIR dateTime: EVN-2 (recorded date/time),
/// else MSH-7 (the message's date/time).
fn event_time(message: &Message<'_>, msh: &Segment<'_>, ctx: &Ctx<'_>) -> Option<String> {
    let text = message
        .find_segment("EVN", 1)
        .and_then(|evn| raw_text(&evn, 2, 1))
        .or_else(|| raw_text(msh, 7, 1))?;
    let time = V2DateTime::parse(&text).ok()?;
    Some(time.to_date_time(ctx.fallback_offset.as_deref()).0)
}

/// Decoded text of the first repetition's component.
fn raw_text(segment: &Segment<'_>, field: usize, component: usize) -> Option<String> {
    let value = segment.field(field)?.repetition(1)?.component(component)?;
    let text = value.text().ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn location(segment: &str, sequence: usize, field: Option<usize>) -> ErrorLocation {
    ErrorLocation {
        segment_id: segment.to_owned(),
        segment_sequence: sequence,
        field,
        field_repetition: None,
        component: None,
        subcomponent: None,
    }
}

fn missing_segment(code: ErrorCode, segment: &str) -> Rejection {
    Rejection::content(
        code,
        location(segment, 1, None),
        format!("required segment {segment} is missing"),
    )
}
