//! `ConceptMap/$translate` (R4 ConceptMap-translate): `code` with `system`,
//! `coding`, or every coding of a `codeableConcept`, through the ConceptMap
//! named by `url` (and `conceptMapVersion`) or by the id in the path, or
//! through every packaged map whose `source`/`target` value sets fit.
//! `targetsystem` narrows the answers; `reverse` maps target codes back to
//! their sources. Output: `result` (some match that is not `unmatched` or
//! `disjoint`), `message`, and a `match` per answer (`equivalence`,
//! `concept`, `source` = the map's URL).

use gateway::GatewayError;
use serde_json::Value;
use terminology::{MapMatch, Terminology, TranslateQuery};

use super::{
    canonical, coding_json, missing, param, parameters, terminology_error, with_parts, Coding,
    OpParams,
};

pub fn translate(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<Value, GatewayError> {
    let concept_map = match id {
        Some(id) => Some(
            terms
                .concept_map_by_id(id)
                .map(|map| map.versioned_url())
                .ok_or_else(|| GatewayError::NotFound {
                    resource_type: "ConceptMap".to_owned(),
                    id: id.to_owned(),
                })?,
        ),
        None => match params.text("url")? {
            Some(url) => Some(canonical(
                &url,
                params.text("conceptMapVersion")?.as_deref(),
            )),
            None => None,
        },
    };
    let base = TranslateQuery {
        concept_map,
        source_scope: params.text("source")?,
        target_scope: params.text("target")?,
        target_system: params.text("targetsystem")?,
        reverse: params.boolean("reverse")?.unwrap_or(false),
        ..TranslateQuery::default()
    };
    let codings = codings(params)?;
    let mut matches = Vec::new();
    for coding in &codings {
        let query = TranslateQuery {
            system: coding.system.clone(),
            code: coding.code.clone().unwrap_or_default(),
            ..base.clone()
        };
        let found = terms
            .translate_query(&query)
            .map_err(|error| terminology_error(error, false))?;
        matches.extend(found);
    }
    Ok(output(&codings, &matches))
}

/// The codings to translate; each needs a code and a system.
fn codings(params: &OpParams) -> Result<Vec<Coding>, GatewayError> {
    let (codings, at) = if let Some(codings) = params.codeable_concept("codeableConcept")? {
        (codings, "codeableConcept")
    } else if let Some(coding) = params.coding("coding")? {
        (vec![coding], "coding")
    } else {
        let coding = params.code_as_coding("version")?.ok_or_else(|| {
            missing(
                "code",
                "give a code with its system, a coding or a codeableConcept",
            )
        })?;
        (vec![coding], "system")
    };
    if codings.is_empty() || codings.iter().any(|c| c.code.is_none()) {
        return Err(missing(at, "every coding to translate needs a code"));
    }
    if codings.iter().any(|c| c.system.is_none()) {
        return Err(missing(at, "the code to translate needs its system"));
    }
    Ok(codings)
}

fn output(codings: &[Coding], matches: &[MapMatch]) -> Value {
    let mapped = matches
        .iter()
        .any(|m| !matches!(m.translation.equivalence.as_str(), "unmatched" | "disjoint"));
    let asked: Vec<String> = codings
        .iter()
        .map(|c| {
            format!(
                "'{}' of {}",
                c.code.as_deref().unwrap_or_default(),
                c.system.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let message = if mapped {
        format!("{} mapping(s) for {}", matches.len(), asked.join(", "))
    } else if matches.is_empty() {
        format!("no mapping found for {}", asked.join(", "))
    } else {
        format!(
            "only unmatched or disjoint entries for {}",
            asked.join(", ")
        )
    };
    let mut entries = vec![
        param("result", "valueBoolean", mapped),
        param("message", "valueString", message),
    ];
    for found in matches {
        let t = &found.translation;
        let mut parts = vec![param("equivalence", "valueCode", t.equivalence.as_str())];
        if let Some(code) = &t.code {
            let concept = coding_json(
                t.system.as_deref(),
                t.version.as_deref(),
                code,
                t.display.as_deref(),
            );
            parts.push(param("concept", "valueCoding", concept));
        }
        parts.push(param("source", "valueUri", found.concept_map.as_str()));
        entries.push(with_parts("match", parts));
    }
    parameters(entries)
}
