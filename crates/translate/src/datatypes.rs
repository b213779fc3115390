//! Data-type converters: one v2 field repetition to one FHIR value. The mapping tables name
//! the converter per field; each converter lists the components it reads so that the others
//! are reported as unmapped (DESIGN promise 4).

use hl7v2::{ErrorCode, Segment, Value};
use serde_json::{json, Number, Value as Json};

use crate::convert::{has_content, object, string, system_uri, At, Ctx};
use crate::error::{Rejection, UnmappedReason};
use crate::tables::FieldRow;

/// A converted value; `suffix` completes a choice element name (`value` + `Quantity`), and
/// `primitive_extension` goes into `_element` (e.g. the birth time beside `birthDate`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Converted {
    pub value: Json,
    pub suffix: Option<&'static str>,
    pub primitive_extension: Option<Json>,
}

impl Converted {
    fn plain(value: Json) -> Self {
        Converted {
            value,
            suffix: None,
            primitive_extension: None,
        }
    }
}

type Outcome = Result<Option<Converted>, Rejection>;

/// Whether the tables may name this converter (checked when the tables load in tests).
pub(crate) fn is_converter(name: &str) -> bool {
    matches!(
        name,
        "CX" | "XPN"
            | "XPN_TEXT"
            | "XAD"
            | "XTN"
            | "CWE"
            | "CWE_CODING"
            | "CODE"
            | "DTM"
            | "DT"
            | "BIRTH"
            | "ST"
            | "BOOL"
            | "INT"
            | "XCN_REF"
            | "PARTICIPANT"
            | "LOCATION"
            | "LANGUAGE"
            | "REACTION"
            | "ADDRESS_TEXT"
            | "RANGE_TEXT"
            | "CONST"
            | "OBX_VALUE"
    )
}

pub(crate) fn convert(
    ctx: &mut Ctx<'_>,
    row: &FieldRow,
    segment: &Segment<'_>,
    value: &Value<'_>,
    at: &At<'_>,
) -> Outcome {
    let argument = row.argument.as_deref();
    let vocabulary = row.vocabulary.as_deref();
    let plain = |json: Option<Json>| Ok(json.map(Converted::plain));
    match row.converter.as_str() {
        "CX" => plain(identifier(ctx, at, value, argument)),
        "XPN" => plain(human_name(ctx, at, value)),
        "XPN_TEXT" => {
            ctx.report_unused(at, value, &[1]);
            plain(string(ctx.subcomponent(at, value, 1, 1)))
        }
        "XAD" => address(ctx, at, value).map(|a| a.map(Converted::plain)),
        "XTN" => contact_point(ctx, at, value, argument).map(|c| c.map(Converted::plain)),
        "CWE" => plain(codeable_concept(ctx, at, value, vocabulary)),
        "CWE_CODING" => plain(coding_from_map(ctx, at, value, vocabulary)),
        "CODE" => plain(code(ctx, at, value, vocabulary).map(Json::String)),
        "DTM" | "DT" => {
            ctx.report_unused(at, value, &[1]);
            match ctx.component(at, value, 1) {
                Some(text) => Ok(Some(Converted::plain(Json::String(ctx.date_time(
                    at,
                    Some(1),
                    &text,
                )?)))),
                None => Ok(None),
            }
        }
        "BIRTH" => birth(ctx, at, value),
        "ST" => {
            ctx.report_unused(at, value, &[1]);
            plain(string(ctx.component(at, value, 1)))
        }
        "BOOL" => plain(boolean(ctx, at, value)),
        "INT" => plain(integer(ctx, at, value)),
        "XCN_REF" => plain(reference(ctx, at, value, argument)),
        "PARTICIPANT" => plain(participant(ctx, at, value, argument)),
        "LOCATION" => plain(location(ctx, at, value, argument)),
        "LANGUAGE" => plain(
            codeable_concept(ctx, at, value, vocabulary)
                .and_then(|cc| object(vec![("language", Some(cc))])),
        ),
        "REACTION" => plain(
            text_wrapper(ctx, at, value).map(|text| json!({ "manifestation": [{ "text": text }] })),
        ),
        "ADDRESS_TEXT" | "RANGE_TEXT" => {
            plain(text_wrapper(ctx, at, value).map(|text| json!({ "text": text })))
        }
        "CONST" => plain(constant(vocabulary)),
        "OBX_VALUE" => observation_value(ctx, segment, at, value),
        other => Err(Rejection::content(
            ErrorCode::ApplicationInternal,
            at.location(None),
            format!("mapping names unknown converter {other}"),
        )),
    }
}

fn text_wrapper(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Option<String> {
    ctx.report_unused(at, value, &[1]);
    ctx.component(at, value, 1)
}

/// CX -> Identifier. CX-4 (HD) gives the system: `urn:oid:` for an ISO OID, the URI for a
/// URI/UUID, else `urn:fhirgate:v2:assigner:<namespace id>`; the namespace id is also kept
/// as `assigner.display`.
pub(crate) fn identifier(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    type_code: Option<&str>,
) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 4, 5, 7, 8]);
    let Some(id) = ctx.component(at, value, 1) else {
        if has_content(value) {
            ctx.report(
                at,
                Some(1),
                UnmappedReason::InvalidValue,
                "identifier without a value (CX-1)",
            );
        }
        return None;
    };
    let (system, namespace) = assigning_authority(ctx, at, value, 4);
    let type_code = ctx.component(at, value, 5).or(type_code.map(str::to_owned));
    let period = period(ctx, at, value, 7, 8);
    Some(identifier_json(type_code, system, id, period, namespace))
}

/// An Identifier: type code from table 0203, system, value, period, assigner's name.
fn identifier_json(
    type_code: Option<String>,
    system: Option<String>,
    value: String,
    period: Option<Json>,
    assigner: Option<String>,
) -> Json {
    let type_concept = type_code.map(|code| {
        json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": code
        }]})
    });
    object(vec![
        ("type", type_concept),
        ("system", string(system)),
        ("value", Some(Json::String(value))),
        ("period", period),
        ("assigner", assigner.map(|name| json!({ "display": name }))),
    ])
    .unwrap_or(Json::Null)
}

/// The system URI and namespace id of an HD component.
pub(crate) fn assigning_authority(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    number: usize,
) -> (Option<String>, Option<String>) {
    let namespace = ctx.subcomponent(at, value, number, 1);
    let universal = ctx.subcomponent(at, value, number, 2);
    let kind = ctx.subcomponent(at, value, number, 3);
    let system = match (universal.as_deref(), kind.as_deref()) {
        (Some(id), Some("ISO")) if crate::convert::is_oid(id) => Some(format!("urn:oid:{id}")),
        (Some(id), Some("UUID")) => Some(format!("urn:uuid:{}", id.to_ascii_lowercase())),
        (Some(id), Some("URI")) => Some(id.to_owned()),
        (Some(id), _) => Some(system_uri(id, "assigner")),
        (None, _) => namespace.as_deref().map(|ns| system_uri(ns, "assigner")),
    };
    (system, namespace)
}

/// A Period from two DTM components (or from the two subcomponents of a DR component when
/// `end` is 0).
fn period(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    start: usize,
    end: usize,
) -> Option<Json> {
    let (start_text, end_text) = if end == 0 {
        (
            ctx.subcomponent(at, value, start, 1),
            ctx.subcomponent(at, value, start, 2),
        )
    } else {
        (
            ctx.component(at, value, start),
            ctx.component(at, value, end),
        )
    };
    let mut convert = |text: Option<String>, number: usize| {
        // A bad date inside a period is reported, not fatal: the period is secondary data.
        text.and_then(|text| match ctx.date_time(at, Some(number), &text) {
            Ok(value) => Some(Json::String(value)),
            Err(rejection) => {
                ctx.report(
                    at,
                    Some(number),
                    UnmappedReason::InvalidValue,
                    rejection.to_string(),
                );
                None
            }
        })
    };
    let start_json = convert(start_text, start);
    let end_json = convert(end_text, if end == 0 { start } else { end });
    object(vec![("start", start_json), ("end", end_json)])
}

/// XPN -> HumanName.
fn human_name(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 5, 6, 7, 10, 12, 13, 14]);
    let family = surname(ctx, at, value, 1);
    let given: Vec<Json> = [2, 3]
        .into_iter()
        .filter_map(|n| ctx.component(at, value, n).map(Json::String))
        .collect();
    let prefix = ctx.component(at, value, 5).map(|p| json!([p]));
    let suffix: Vec<Json> = [4, 6, 14]
        .into_iter()
        .filter_map(|n| ctx.component(at, value, n).map(Json::String))
        .collect();
    let name_use = vocabulary_code(ctx, at, value, 7, "NameType");
    let period = period(ctx, at, value, 10, 0).or_else(|| period(ctx, at, value, 12, 13));
    if family.is_none() && given.is_empty() {
        return None;
    }
    object(vec![
        ("use", string(name_use)),
        ("family", string(family)),
        ("given", (!given.is_empty()).then_some(Json::Array(given))),
        ("prefix", prefix),
        (
            "suffix",
            (!suffix.is_empty()).then_some(Json::Array(suffix)),
        ),
        ("period", period),
    ])
}

/// FN.1 of an XPN/XCN family-name component; the other FN subcomponents are reported.
fn surname(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>, number: usize) -> Option<String> {
    if let Some(component) = value.component(number) {
        if component.subcomponents().skip(1).any(|s| has_content(&s)) {
            ctx.report(
                at,
                Some(number),
                UnmappedReason::NotMapped,
                "family name parts after FN.1 not mapped",
            );
        }
    }
    ctx.subcomponent(at, value, number, 1)
}

/// A code from component `number` through a vocabulary map; unknown codes are reported.
fn vocabulary_code(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    number: usize,
    map: &str,
) -> Option<String> {
    let code = ctx.component(at, value, number)?;
    match ctx.tables.lookup(map, &code) {
        Some(entry) => Some(entry.code.clone()),
        None => {
            ctx.report(
                at,
                Some(number),
                UnmappedReason::UnknownCode,
                format!("code `{code}` has no {map} mapping"),
            );
            None
        }
    }
}

/// XAD -> Address.
fn address(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Result<Option<Json>, Rejection> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14]);
    // SAD subcomponents (street, street name, dwelling number) form one line.
    let street: Vec<String> = match value.component(1) {
        Some(sad) => sad
            .subcomponents()
            .filter_map(|s| ctx.text_of(at, Some(1), &s))
            .collect(),
        None => Vec::new(),
    };
    let mut lines = Vec::new();
    if !street.is_empty() {
        lines.push(Json::String(street.join(" ")));
    }
    if let Some(other) = ctx.component(at, value, 2) {
        lines.push(Json::String(other));
    }
    let kind = ctx.component(at, value, 7);
    let (address_use, address_type) = match kind {
        Some(code) => {
            let address_use = ctx
                .tables
                .lookup("AddressUse", &code)
                .map(|e| e.code.clone());
            let address_type = ctx
                .tables
                .lookup("AddressType", &code)
                .map(|e| e.code.clone());
            if address_use.is_none() && address_type.is_none() {
                ctx.report(
                    at,
                    Some(7),
                    UnmappedReason::UnknownCode,
                    format!("address type `{code}` has no mapping"),
                );
            }
            (address_use, address_type)
        }
        None => (None, None),
    };
    let period = period(ctx, at, value, 12, 0).or_else(|| period(ctx, at, value, 13, 14));
    Ok(object(vec![
        ("use", string(address_use)),
        ("type", string(address_type)),
        ("line", (!lines.is_empty()).then_some(Json::Array(lines))),
        ("city", string(ctx.component(at, value, 3))),
        ("district", string(ctx.component(at, value, 9))),
        ("state", string(ctx.component(at, value, 4))),
        ("postalCode", string(ctx.component(at, value, 5))),
        ("country", string(ctx.component(at, value, 6))),
        ("period", period),
    ])
    .filter(|a| {
        // Only a use, type or period is not an address.
        a.as_object().is_some_and(|o| {
            o.keys()
                .any(|k| !matches!(k.as_str(), "use" | "type" | "period"))
        })
    }))
}

/// XTN -> ContactPoint. `default_use` (home/work) comes from the field (PID-13/PID-14).
fn contact_point(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    default_use: Option<&str>,
) -> Result<Option<Json>, Rejection> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 18]);
    let equipment = ctx.component(at, value, 3);
    let mut system = equipment.as_deref().and_then(|code| {
        let found = ctx
            .tables
            .lookup("TelecomEquipment", code)
            .map(|e| e.code.clone());
        if found.is_none() {
            ctx.report(
                at,
                Some(3),
                UnmappedReason::UnknownCode,
                format!("equipment type `{code}` has no mapping"),
            );
        }
        found
    });
    let email = ctx.component(at, value, 4);
    let composed = {
        let parts: Vec<String> = [5, 6, 7]
            .into_iter()
            .filter_map(|n| ctx.component(at, value, n))
            .collect();
        let extension = ctx.component(at, value, 8);
        (!parts.is_empty()).then(|| {
            let mut number = match parts.len() {
                3 => format!("+{} {} {}", parts[0], parts[1], parts[2]),
                _ => parts.join(" "),
            };
            if let Some(extension) = extension {
                number.push_str(&format!(" ext. {extension}"));
            }
            number
        })
    };
    let text = email
        .clone()
        .or_else(|| ctx.component(at, value, 12))
        .or(composed)
        .or_else(|| ctx.component(at, value, 1));
    let Some(text) = text else {
        return Ok(None);
    };
    if system.is_none() {
        system = Some(
            if email.is_some() || text.contains('@') {
                "email"
            } else {
                "phone"
            }
            .to_owned(),
        );
    }
    let coded_use = match ctx.component(at, value, 2) {
        Some(code) => match ctx.tables.lookup("TelecomUse", &code) {
            Some(entry) => (!entry.code.is_empty()).then(|| entry.code.clone()),
            None => {
                ctx.report(
                    at,
                    Some(2),
                    UnmappedReason::UnknownCode,
                    format!("use code `{code}` has no mapping"),
                );
                None
            }
        },
        None => None,
    };
    let contact_use = if equipment.as_deref() == Some("CP") {
        Some("mobile".to_owned())
    } else {
        coded_use.or(default_use.map(str::to_owned))
    };
    let rank = ctx
        .component(at, value, 18)
        .and_then(|r| r.parse::<u32>().ok().filter(|r| *r > 0).map(|r| json!(r)));
    Ok(object(vec![
        ("system", string(system)),
        ("value", Some(Json::String(text))),
        ("use", string(contact_use)),
        ("rank", rank),
        ("period", period(ctx, at, value, 13, 14)),
    ]))
}

/// CWE -> CodeableConcept. With a vocabulary map, the mapped coding comes first and the
/// original code is kept as a second coding; `HL7nnnn` names the table of a bare code.
pub(crate) fn codeable_concept(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    vocabulary: Option<&str>,
) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let map = vocabulary.filter(|name| ctx.tables.is_vocabulary(name));
    let default_table = vocabulary.filter(|name| name.starts_with("HL7"));
    let mut codings = Vec::new();
    for (code_at, version_at) in [(1, 7), (4, 8)] {
        let code = ctx.component(at, value, code_at);
        let display = ctx.component(at, value, code_at + 1);
        let system_name = ctx.component(at, value, code_at + 2);
        let Some(code) = code else {
            continue;
        };
        if code_at == 1 {
            if let Some(entry) = map.and_then(|m| ctx.tables.lookup(m, &code)) {
                codings.push(json!({
                    "system": entry.system,
                    "code": entry.code,
                    "display": entry.display,
                }));
            }
        }
        let defaulted = if code_at == 1 { default_table } else { None };
        let system = ctx.coding_system(system_name.as_deref(), defaulted);
        codings.push(
            object(vec![
                ("system", string(system)),
                ("version", string(ctx.component(at, value, version_at))),
                ("code", Some(Json::String(code))),
                ("display", string(display)),
            ])
            .unwrap_or(Json::Null),
        );
    }
    let text = ctx.component(at, value, 9).or_else(|| {
        // Text without any code: CWE-2 alone is the concept's text.
        if codings.is_empty() {
            ctx.component(at, value, 2)
        } else {
            None
        }
    });
    codings.retain(|c| !c.is_null());
    for coding in &mut codings {
        if let Some(map) = coding.as_object_mut() {
            map.retain(|_, v| !v.is_null());
        }
    }
    object(vec![
        (
            "coding",
            (!codings.is_empty()).then_some(Json::Array(codings)),
        ),
        ("text", string(text)),
    ])
}

/// CWE -> Coding through a vocabulary map; an unknown code keeps its v2 table system.
fn coding_from_map(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    vocabulary: Option<&str>,
) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 2, 3]);
    let code = ctx.component(at, value, 1)?;
    let map = vocabulary.unwrap_or_default();
    match ctx.tables.lookup(map, &code) {
        Some(entry) => object(vec![
            ("system", string(entry.system.clone())),
            ("code", Some(Json::String(entry.code.clone()))),
            ("display", string(entry.display.clone())),
        ]),
        None => {
            ctx.report(
                at,
                Some(1),
                UnmappedReason::UnknownCode,
                format!("code `{code}` has no {map} mapping"),
            );
            let system_name = ctx.component(at, value, 3);
            let system = ctx.coding_system(system_name.as_deref(), None);
            object(vec![
                ("system", string(system)),
                ("code", Some(Json::String(code))),
            ])
        }
    }
}

/// A FHIR `code` through a vocabulary map (CWE-2 and CWE-3 only restate CWE-1).
pub(crate) fn code(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    vocabulary: Option<&str>,
) -> Option<String> {
    ctx.report_unused(at, value, &[1, 2, 3]);
    vocabulary_code(ctx, at, value, 1, vocabulary.unwrap_or_default())
}

fn boolean(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Option<Json> {
    code(ctx, at, value, Some("YesNo")).map(|b| Json::Bool(b == "true"))
}

fn integer(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Option<Json> {
    ctx.report_unused(at, value, &[1]);
    let text = ctx.component(at, value, 1)?;
    match text.parse::<i32>() {
        Ok(number) => Some(json!(number)),
        Err(_) => {
            ctx.report(
                at,
                Some(1),
                UnmappedReason::InvalidValue,
                format!("`{text}` is not an integer"),
            );
            None
        }
    }
}

/// PID-7: `birthDate` is the date; a time of birth goes into the patient-birthTime extension.
fn birth(ctx: &mut Ctx<'_>, at: &At<'_>, value: &Value<'_>) -> Outcome {
    ctx.report_unused(at, value, &[1]);
    let Some(text) = ctx.component(at, value, 1) else {
        return Ok(None);
    };
    let full = ctx.date_time(at, Some(1), &text)?;
    let date = full.get(..10).unwrap_or(&full).to_owned();
    let primitive_extension = full.contains('T').then(|| {
        json!({"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
            "valueDateTime": full
        }]})
    });
    Ok(Some(Converted {
        value: Json::String(date),
        suffix: None,
        primitive_extension,
    }))
}

/// XCN -> an identifier-and-display Reference (no Practitioner lookup exists to resolve it).
fn reference(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    target_type: Option<&str>,
) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 5, 6, 7, 9, 13]);
    let id = ctx.component(at, value, 1);
    let family = surname(ctx, at, value, 2);
    // prefix, given, middle, family, suffix, degree: the order a name is read aloud.
    let mut display = Vec::new();
    for number in [6, 3, 4, 2, 5, 7] {
        let part = if number == 2 {
            family.clone()
        } else {
            ctx.component(at, value, number)
        };
        display.extend(part);
    }
    let (system, namespace) = assigning_authority(ctx, at, value, 9);
    let type_code = ctx.component(at, value, 13);
    let identifier = id.map(|id| identifier_json(type_code, system, id, None, namespace));
    if identifier.is_none() && display.is_empty() {
        return None;
    }
    object(vec![
        ("type", target_type.map(|t| Json::String(t.to_owned()))),
        ("identifier", identifier),
        (
            "display",
            (!display.is_empty()).then(|| Json::String(display.join(" "))),
        ),
    ])
}

fn participant(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    role: Option<&str>,
) -> Option<Json> {
    let individual = reference(ctx, at, value, Some("Practitioner"))?;
    let role = role.unwrap_or("PART");
    let display = match role {
        "ATND" => "attender",
        "REF" => "referrer",
        "CON" => "consultant",
        "ADM" => "admitter",
        _ => "participation",
    };
    let participation_type = json!([{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
        "code": role,
        "display": display
    }]}]);
    object(vec![
        ("type", Some(participation_type)),
        ("individual", Some(individual)),
    ])
}

/// PL -> Encounter.location entry with a display-only Location reference: the location's
/// parts are named in the display so a person (or a later Location resolver) can read them.
fn location(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    value: &Value<'_>,
    status: Option<&str>,
) -> Option<Json> {
    ctx.report_unused(at, value, &[1, 2, 3, 4, 7, 8, 9, 10]);
    let mut parts = Vec::new();
    for (number, label) in [
        (1, "point of care"),
        (2, "room"),
        (3, "bed"),
        (7, "building"),
        (8, "floor"),
        (9, "description"),
    ] {
        if let Some(text) = ctx.subcomponent(at, value, number, 1) {
            parts.push(format!("{label} {text}"));
        }
    }
    let (facility_system, facility) = assigning_authority(ctx, at, value, 4);
    match (facility, facility_system) {
        (Some(name), _) => parts.push(format!("facility {name}")),
        (None, Some(system)) => parts.push(format!("facility {system}")),
        (None, None) => {}
    }
    let identifier = ctx
        .subcomponent(at, value, 10, 1)
        .map(|id| json!({ "value": id }));
    if parts.is_empty() && identifier.is_none() {
        return None;
    }
    let reference = object(vec![
        ("identifier", identifier),
        (
            "display",
            (!parts.is_empty()).then(|| Json::String(parts.join(", "))),
        ),
    ]);
    object(vec![
        ("location", reference),
        (
            "status",
            Some(Json::String(status.unwrap_or("active").to_owned())),
        ),
    ])
}

/// `system|code` from the tables -> a CodeableConcept.
fn constant(vocabulary: Option<&str>) -> Option<Json> {
    let (system, code) = vocabulary?.split_once('|')?;
    Some(json!({"coding": [{ "system": system, "code": code }]}))
}

/// OBX-5 by OBX-2: NM -> valueQuantity (digits kept as sent, unit from OBX-6), ST/TX/FT ->
/// valueString, CE/CWE/CNE -> valueCodeableConcept, DT/DTM/TS -> valueDateTime. Other value
/// types are reported.
fn observation_value(
    ctx: &mut Ctx<'_>,
    segment: &Segment<'_>,
    at: &At<'_>,
    value: &Value<'_>,
) -> Outcome {
    let value_type = segment
        .field(2)
        .and_then(|f| f.repetition(1))
        .and_then(|v| v.text().ok())
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let (json, suffix) = match value_type.as_str() {
        "NM" => {
            ctx.report_unused(at, value, &[1]);
            let Some(text) = ctx.component(at, value, 1) else {
                return Ok(None);
            };
            let Some(number) = decimal(&text) else {
                ctx.report(
                    at,
                    Some(1),
                    UnmappedReason::InvalidValue,
                    format!("`{text}` is not a number"),
                );
                return Ok(None);
            };
            let unit = segment.field(6).and_then(|f| f.repetition(1));
            let unit_at = At {
                field: 6,
                repetition: 1,
                ..*at
            };
            let (unit_code, unit_text, unit_system) = match unit {
                Some(unit) => (
                    ctx.component(&unit_at, &unit, 1),
                    ctx.component(&unit_at, &unit, 2),
                    ctx.component(&unit_at, &unit, 3),
                ),
                None => (None, None, None),
            };
            let ucum = unit_system
                .as_deref()
                .is_some_and(|s| s == "UCUM" || s == "ISO+");
            let quantity = object(vec![
                ("value", Some(Json::Number(number))),
                ("unit", string(unit_text.clone().or(unit_code.clone()))),
                ("system", ucum.then(|| json!("http://unitsofmeasure.org"))),
                ("code", if ucum { string(unit_code) } else { None }),
            ]);
            (quantity, "Quantity")
        }
        "ST" | "TX" | "FT" => {
            let text = ctx.text_of(at, None, value);
            (string(text), "String")
        }
        "CE" | "CWE" | "CNE" => (codeable_concept(ctx, at, value, None), "CodeableConcept"),
        "DT" | "DTM" | "TS" => {
            ctx.report_unused(at, value, &[1]);
            match ctx.component(at, value, 1) {
                Some(text) => (
                    Some(Json::String(ctx.date_time(at, Some(1), &text)?)),
                    "DateTime",
                ),
                None => (None, "DateTime"),
            }
        }
        other => {
            ctx.report(
                at,
                None,
                UnmappedReason::NotMapped,
                format!("OBX-5 of value type `{other}` not translated"),
            );
            return Ok(None);
        }
    };
    Ok(json.map(|value| Converted {
        value,
        suffix: Some(suffix),
        primitive_extension: None,
    }))
}

/// A v2 NM as a JSON number with its digits as sent (`1.10` stays `1.10`).
fn decimal(text: &str) -> Option<Number> {
    let trimmed = text.trim_start_matches('+');
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    if !valid {
        return None;
    }
    // JSON forbids leading zeros; they carry no precision, unlike trailing ones.
    let negative = trimmed.starts_with('-');
    let unsigned = digits.trim_start_matches('0');
    let unsigned = if unsigned.is_empty() || unsigned.starts_with('.') {
        format!("0{unsigned}")
    } else {
        unsigned.to_owned()
    };
    let text = if negative {
        format!("-{unsigned}")
    } else {
        unsigned
    };
    serde_json::from_str::<Number>(&text).ok()
}
