//! `CodeSystem/$lookup` (R4 CodeSystem-lookup): `code` with `system` (and
//! `version`), or `coding`; `property` narrows the properties returned.
//! Output: `name`, `version`, `display`, `designation` and `property`
//! (the concept's own properties with their types, its `parent`/`child`
//! codes, and its `definition` as a property, as terminology servers do).
//!
//! A code that cannot be found is 404 naming it; when the system is known
//! but not carried (SNOMED CT's CodeSystem is packaged as `not-present`) the
//! message says so rather than claiming the code does not exist.

use gateway::GatewayError;
use serde_json::{json, Value};
use terminology::{Lookup, LookupResult, Terminology};

use super::{canonical, missing, param, parameters, terminology_error, with_parts, OpParams};

pub fn lookup(
    terms: &Terminology,
    params: &OpParams,
    _id: Option<&str>,
) -> Result<Value, GatewayError> {
    let (system, code) = match params.coding("coding")? {
        Some(coding) => {
            let system = coding
                .system
                .ok_or_else(|| missing("system", "the coding has no system"))?;
            let code = coding
                .code
                .ok_or_else(|| missing("code", "the coding has no code"))?;
            (canonical(&system, coding.version.as_deref()), code)
        }
        None => {
            let code = params.required_text("code", "give the code to look up (or a coding)")?;
            let system = params.required_text("system", "give the code system of the code")?;
            (canonical(&system, params.text("version")?.as_deref()), code)
        }
    };
    let found = terms
        .lookup_details(&system, &code)
        .map_err(|error| terminology_error(error, false))?;
    match found {
        Lookup::Found(result) => Ok(output(&result, &params.texts("property"))),
        Lookup::UnknownCode => Err(GatewayError::TermNotFound(format!(
            "the code '{code}' is not defined in CodeSystem {system}"
        ))),
        Lookup::NotCarried { reason } => Err(GatewayError::TermNotFound(format!(
            "the code '{code}' cannot be looked up here: {reason}"
        ))),
        Lookup::UnknownSystem if terms.is_known_system(system.split('|').next().unwrap_or(&system)) => {
            Err(GatewayError::TermNotFound(format!(
                "the code '{code}' cannot be looked up here: CodeSystem {system} is referenced by the loaded definitions but its codes are not carried by this server"
            )))
        }
        Lookup::UnknownSystem => Err(GatewayError::TermNotFound(format!(
            "CodeSystem {system} is not known to this server"
        ))),
    }
}

/// The output Parameters; `wanted` lists property codes (empty: all).
fn output(result: &LookupResult, wanted: &[String]) -> Value {
    let mut entries = vec![param("name", "valueString", result.name.as_str())];
    if let Some(version) = &result.version {
        entries.push(param("version", "valueString", version.as_str()));
    }
    // R4 makes display 1..1; a concept without one is known by its code.
    let display = result.display.as_deref().unwrap_or(&result.code);
    entries.push(param("display", "valueString", display));
    for designation in &result.designations {
        let mut parts = Vec::new();
        if let Some(language) = designation["language"].as_str() {
            parts.push(param("language", "valueCode", language));
        }
        if designation["use"].is_object() {
            parts.push(param("use", "valueCoding", designation["use"].clone()));
        }
        if let Some(value) = designation["value"].as_str() {
            parts.push(param("value", "valueString", value));
        }
        entries.push(with_parts("designation", parts));
    }
    let is_wanted = |code: &str| wanted.is_empty() || wanted.iter().any(|w| w == code);
    if let Some(definition) = result
        .definition
        .as_deref()
        .filter(|_| is_wanted("definition"))
    {
        entries.push(property("definition", "valueString", json!(definition)));
    }
    for entry in result.properties.iter().filter(|p| is_wanted(&p.code)) {
        entries.push(property(&entry.code, &entry.value_key, entry.value.clone()));
    }
    parameters(entries)
}

fn property(code: &str, value_key: &str, value: Value) -> Value {
    with_parts(
        "property",
        vec![
            param("code", "valueCode", code),
            param("value", value_key, value),
        ],
    )
}
