//! The FHIR additions to FHIRPath: extension(), hasValue(), getValue(),
//! resolve(), memberOf(), conformsTo(), htmlChecks(), and the Low/High
//! boundary functions.

use serde_json::Value as Json;

use super::{Call, Func};
use crate::eval::EvalResult;
use crate::html::check_narrative;
use crate::value::{Collection, Node, Value};

pub(super) fn call<'a>(call: &Call<'_, 'a>, focus: &[Value<'a>]) -> EvalResult<Collection<'a>> {
    match call.func {
        Func::Extension => {
            let Some(url) = call.arg_string(0)? else {
                return Ok(Vec::new());
            };
            let mut extensions = Vec::new();
            for item in focus {
                call.ev.member(item, "extension", &mut extensions);
            }
            Ok(extensions
                .into_iter()
                .filter(|e| {
                    e.as_node()
                        .and_then(|n| n.json)
                        .and_then(|j| j.get("url"))
                        .and_then(Json::as_str)
                        == Some(url.as_str())
                })
                .collect())
        }
        Func::HasValue => {
            let has = matches!(focus, [Value::Node(node)] if node.has_primitive_value())
                || matches!(focus, [item] if item.as_node().is_none());
            Ok(vec![Value::Boolean(has)])
        }
        Func::GetValue => Ok(match focus {
            [Value::Node(node)] if node.has_primitive_value() => {
                node.system_value().into_iter().collect()
            }
            _ => Vec::new(),
        }),
        Func::Resolve => Ok(focus
            .iter()
            .filter_map(|item| resolve(call, item))
            .collect()),
        Func::MemberOf => {
            let Some(value_set) = call.arg_string(0)? else {
                return Ok(Vec::new());
            };
            let Some(terminology) = call.ev.ctx.terminology.as_deref() else {
                return Err(call.error("no terminology service is configured"));
            };
            let Some(item) = call.input_single(focus)? else {
                return Ok(Vec::new());
            };
            let (json, type_name) = match item {
                Value::Node(Node {
                    json: Some(json),
                    type_name,
                    ..
                }) => ((*json).clone(), type_name.to_string()),
                other => match other.as_str() {
                    Some(code) => (Json::String(code.to_string()), "code".to_string()),
                    None => return Err(call.error("expected a code, Coding or CodeableConcept")),
                },
            };
            let member = terminology
                .member_of(&json, &type_name, &value_set)
                .map_err(|e| call.error(e))?;
            Ok(vec![Value::Boolean(member)])
        }
        Func::ConformsTo => {
            let Some(profile) = call.arg_string(0)? else {
                return Ok(Vec::new());
            };
            let Some(conformance) = call.ev.ctx.conformance.as_deref() else {
                return Err(call.error("no profile validator is configured"));
            };
            let Some(item) = call.input_single(focus)? else {
                return Ok(Vec::new());
            };
            let Some(json) = item.as_node().and_then(|n| n.json) else {
                return Err(call.error("expected a resource"));
            };
            Ok(vec![Value::Boolean(
                conformance
                    .conforms_to(json, &profile)
                    .map_err(|e| call.error(e))?,
            )])
        }
        Func::HtmlChecks => {
            let Some(item) = call.input_single(focus)? else {
                return Ok(Vec::new());
            };
            let ok = match item.as_node().and_then(|n| n.json) {
                Some(Json::String(xhtml)) => check_narrative(xhtml).is_ok(),
                Some(Json::Object(narrative)) => narrative
                    .get("div")
                    .and_then(Json::as_str)
                    .is_some_and(|x| check_narrative(x).is_ok()),
                _ => false,
            };
            Ok(vec![Value::Boolean(ok)])
        }
        Func::Comparable => {
            let (Some(item), other) = (call.input_single(focus)?, call.arg(0)?) else {
                return Ok(Vec::new());
            };
            let (Value::Quantity(a), [b]) = (&*item.to_system(), other.as_slice()) else {
                return Err(call.error("expects quantities"));
            };
            let Value::Quantity(b) = &*b.to_system() else {
                return Err(call.error("expects quantities"));
            };
            Ok(vec![Value::Boolean(
                crate::ucum::convert(&b.value, &b.unit, &a.unit).is_some(),
            )])
        }
        Func::LowBoundary | Func::HighBoundary => crate::boundary::call(call, focus),
        other => Err(call.error(format!("{} is not implemented", other.name()))),
    }
}

/// `resolve()`: a Reference (or reference string) to the resource it names,
/// found among contained resources (`#id`) or Bundle entries (by fullUrl or
/// `Type/id`). External references resolve to nothing.
fn resolve<'a>(call: &Call<'_, 'a>, item: &Value<'a>) -> Option<Value<'a>> {
    let reference = match item {
        Value::Node(Node {
            json: Some(Json::Object(map)),
            ..
        }) => map.get("reference").and_then(Json::as_str)?,
        other => match other {
            Value::Node(Node {
                json: Some(Json::String(s)),
                ..
            }) => s.as_str(),
            _ => return None,
        },
    };
    let ev = call.ev;
    if let Some(id) = reference.strip_prefix('#') {
        let contained = ev.resource.get("contained").and_then(Json::as_array)?;
        let found = contained
            .iter()
            .find(|r| r.get("id").and_then(Json::as_str) == Some(id))?;
        return Some(ev.root_node(found));
    }
    let entries = ev.root_resource.get("entry").and_then(Json::as_array)?;
    let found = entries.iter().find_map(|entry| {
        let resource = entry.get("resource")?;
        if entry.get("fullUrl").and_then(Json::as_str) == Some(reference) {
            return Some(resource);
        }
        let rt = resource.get("resourceType").and_then(Json::as_str)?;
        let id = resource.get("id").and_then(Json::as_str)?;
        let relative = format!("{rt}/{id}");
        (reference == relative || reference.ends_with(&format!("/{relative}"))).then_some(resource)
    })?;
    Some(ev.root_node(found))
}
