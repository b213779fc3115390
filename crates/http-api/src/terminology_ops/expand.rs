//! `ValueSet/$expand` (R4 ValueSet-expand): the ValueSet named by `url`
//! (and `valueSetVersion`), given as `valueSet`, or packaged with the id in
//! the path, returned with an `expansion` page.
//!
//! Inputs used: `url`, `valueSetVersion`, `valueSet`, `filter`, `count`,
//! `offset`, `activeOnly`. Others (`includeDesignations`, `displayLanguage`,
//! `date`...) are accepted and have no effect: the expansion carries no
//! designations. An expansion this server cannot complete (it draws on SNOMED
//! CT or LOINC, which are not carried) is returned with what is known, the
//! `valueset-unclosed` extension, and no `total`, since the total is unknown.

use std::sync::Arc;

use fhir_core::id::LogicalId;
use gateway::time::Micros;
use gateway::GatewayError;
use serde_json::{json, Map, Value};
use terminology::{Expansion, ExpansionPage, PageRequest, Terminology};

use super::{canonical, terminology_error, OpParams};

const UNCLOSED: &str = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed";

pub fn expand(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<Value, GatewayError> {
    let (definition, expansion) = value_set(terms, params, id)?;
    let request = PageRequest {
        filter: params.text("filter")?.filter(|f| !f.trim().is_empty()),
        active_only: params.boolean("activeOnly")?.unwrap_or(false),
        offset: params.integer("offset")?.unwrap_or(0),
        count: params.integer("count")?,
    };
    let page = expansion
        .page(&request)
        .map_err(|error| terminology_error(error, false))?;
    let mut answer = header(&definition);
    answer.insert(
        "expansion".to_owned(),
        expansion_json(&expansion, &page, &request),
    );
    Ok(Value::Object(answer))
}

/// The ValueSet's definition and its (whole) expansion.
fn value_set(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<(Value, Arc<Expansion>), GatewayError> {
    let expand_packaged = |url: String| {
        let expansion = terms
            .expand(&url)
            .map_err(|error| terminology_error(error, false))?;
        let definition = terms
            .definitions()
            .value_set(&url)
            .map(|resource| resource.json().clone())
            .unwrap_or(Value::Null);
        Ok((definition, expansion))
    };
    if let Some(id) = id {
        let resource = terms
            .value_set_by_id(id)
            .ok_or_else(|| GatewayError::NotFound {
                resource_type: "ValueSet".to_owned(),
                id: id.to_owned(),
            })?;
        return expand_packaged(resource.versioned_url());
    }
    if let Some(inline) = params.resource("valueSet", "ValueSet")? {
        let expansion = terms
            .expand_resource(&inline)
            .map_err(|error| terminology_error(error, true))?;
        return Ok((inline, Arc::new(expansion)));
    }
    let url = params.required_text(
        "url",
        "name the ValueSet to expand (or send it as valueSet)",
    )?;
    let version = params.text("valueSetVersion")?;
    let url = canonical(&url, version.as_deref());
    if terms.definitions().value_set(&url).is_none() {
        return Err(GatewayError::TermNotFound(format!(
            "ValueSet {url} is not known to this server"
        )));
    }
    expand_packaged(url)
}

/// The definition's metadata: everything but the rules, the narrative and
/// any packaged expansion.
fn header(definition: &Value) -> Map<String, Value> {
    let mut header = definition.as_object().cloned().unwrap_or_default();
    for key in ["compose", "expansion", "text"] {
        header.remove(key);
    }
    header.insert("resourceType".to_owned(), json!("ValueSet"));
    header
}

fn expansion_json(expansion: &Expansion, page: &ExpansionPage<'_>, request: &PageRequest) -> Value {
    let mut parameters = Vec::new();
    if let Some(filter) = &request.filter {
        parameters.push(json!({"name": "filter", "valueString": filter}));
    }
    if request.active_only {
        parameters.push(json!({"name": "activeOnly", "valueBoolean": true}));
    }
    if let Some(count) = request.count {
        parameters.push(json!({"name": "count", "valueInteger": count}));
    }
    parameters.push(json!({"name": "offset", "valueInteger": page.offset}));
    let mut json = json!({
        "identifier": format!("urn:uuid:{}", LogicalId::generate()),
        "timestamp": Micros::now().to_instant(),
        "offset": page.offset,
        "parameter": parameters,
    });
    if expansion.is_complete() {
        json["total"] = json!(page.total);
    } else {
        json["extension"] = json!([{"url": UNCLOSED, "valueBoolean": true}]);
    }
    let contains: Vec<Value> = page.concepts.iter().map(|c| concept_json(c)).collect();
    if !contains.is_empty() {
        json["contains"] = Value::Array(contains);
    }
    json
}

fn concept_json(concept: &terminology::ExpansionConcept) -> Value {
    let mut json = json!({"system": concept.system});
    if let Some(version) = &concept.version {
        json["version"] = json!(version);
    }
    json["code"] = json!(concept.code);
    if let Some(display) = &concept.display {
        json["display"] = json!(display);
    }
    if concept.is_abstract {
        json["abstract"] = json!(true);
    }
    if concept.inactive {
        json["inactive"] = json!(true);
    }
    json
}
