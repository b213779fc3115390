//! `$validate-code` on ValueSet (R4 ValueSet-validate-code) and on
//! CodeSystem (R4 CodeSystem-validate-code): is the `code` (with `system`),
//! the `coding` or one coding of the `codeableConcept` valid, and is its
//! `display` right? Output: `result`, `message`, `display`, and an `issues`
//! OperationOutcome (as later FHIR versions and public terminology servers
//! add) whenever the answer is not a plain yes.
//!
//! **When the server cannot decide** (the code is from SNOMED CT, LOINC or
//! another system it knows of but does not carry, or the value set's
//! expansion is incomplete for that system), the answer has **no `result`**:
//! R4 declares `result` 1..1, but `true` would pass a code nobody checked
//! and `false` would fail a code that may well be valid, and a client that
//! reads `result` must not get either silently. Instead `message` says why
//! it cannot be decided and `issues` holds a warning (`not-supported`).

use gateway::GatewayError;
use serde_json::{json, Value};
use terminology::{Membership, Terminology};

use super::{canonical, missing, param, parameters, terminology_error, Coding, OpParams};
use fhir_core::operation_outcome::{operation_outcome, Issue, IssueType};

/// One coding to check, with the expression that points at it.
struct Candidate {
    coding: Coding,
    at: String,
}

/// The verdict on one coding.
enum Verdict {
    Valid { display: Option<String> },
    WrongDisplay { given: String, expected: String },
    Invalid { message: String },
    Undecided { reason: String },
}

pub fn in_value_set(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<Value, GatewayError> {
    let (name, expansion) = value_set(terms, params, id)?;
    let candidates = candidates(params, true)?;
    let verdicts = candidates.iter().map(|candidate| {
        let Coding { system, code, .. } = &candidate.coding;
        let code = code.as_deref().unwrap_or_default();
        let membership = expansion.membership(system.as_deref(), code);
        let described = describe(system.as_deref(), code);
        let verdict = match membership {
            Membership::InValueSet { display } => check_display(&candidate.coding, display),
            Membership::NotInValueSet => Verdict::Invalid {
                message: format!("{described} is not in the value set {name}"),
            },
            Membership::Unknown { reason } => Verdict::Undecided {
                reason: format!("whether {described} is in the value set {name} cannot be decided here: {reason}"),
            },
        };
        (candidate, verdict)
    });
    Ok(answer(verdicts.collect()))
}

pub fn in_code_system(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<Value, GatewayError> {
    let candidates = candidates(params, false)?;
    let url = match id {
        Some(id) => terms
            .code_system_by_id(id)
            .map(|resource| resource.versioned_url())
            .ok_or_else(|| GatewayError::NotFound {
                resource_type: "CodeSystem".to_owned(),
                id: id.to_owned(),
            })?,
        None => match params.text("url")? {
            Some(url) => canonical(&url, params.text("version")?.as_deref()),
            None => candidates
                .iter()
                .find_map(|c| c.coding.system.clone())
                .ok_or_else(|| {
                    missing(
                        "url",
                        "name the CodeSystem (or give a coding with a system)",
                    )
                })?,
        },
    };
    let system = url.split('|').next().unwrap_or(&url).to_owned();
    let loaded = terms.definitions().code_system(&url).is_some();
    if !loaded && !terms.is_known_system(&system) {
        return Err(GatewayError::TermNotFound(format!(
            "CodeSystem {url} is not known to this server"
        )));
    }
    let mut verdicts = Vec::new();
    for candidate in &candidates {
        let code = candidate.coding.code.as_deref().unwrap_or_default();
        let described = describe(Some(&system), code);
        let verdict = match candidate.coding.system.as_deref() {
            Some(other) if other != system => Verdict::Invalid {
                message: format!("the coding's system {other} is not the code system {system}"),
            },
            // Checked before asking the terminology, whose CodeSystem cache
            // must only ever hold loaded definitions, not request URLs.
            _ if !loaded => Verdict::Undecided {
                reason: format!(
                    "whether {described} exists cannot be decided here: CodeSystem {url} is known but its codes are not carried by this server"
                ),
            },
            _ => match terms
                .validate_code_in_system(&url, code)
                .map_err(|error| terminology_error(error, false))?
            {
                Membership::InValueSet { display } => check_display(&candidate.coding, display),
                Membership::NotInValueSet => Verdict::Invalid {
                    message: format!("{described} is not defined in the code system"),
                },
                Membership::Unknown { reason } => Verdict::Undecided {
                    reason: format!("whether {described} exists cannot be decided here: {reason}"),
                },
            },
        };
        verdicts.push((candidate, verdict));
    }
    Ok(answer(verdicts))
}

/// The value set's name for messages and its expansion.
fn value_set(
    terms: &Terminology,
    params: &OpParams,
    id: Option<&str>,
) -> Result<(String, std::sync::Arc<terminology::Expansion>), GatewayError> {
    let url = if let Some(id) = id {
        terms
            .value_set_by_id(id)
            .map(|resource| resource.versioned_url())
            .ok_or_else(|| GatewayError::NotFound {
                resource_type: "ValueSet".to_owned(),
                id: id.to_owned(),
            })?
    } else if let Some(inline) = params.resource("valueSet", "ValueSet")? {
        let expansion = terms
            .expand_resource(&inline)
            .map_err(|error| terminology_error(error, true))?;
        let name = inline["url"]
            .as_str()
            .unwrap_or("given as valueSet")
            .to_owned();
        return Ok((name, std::sync::Arc::new(expansion)));
    } else {
        let url = params.required_text(
            "url",
            "name the ValueSet to check against (or send it as valueSet)",
        )?;
        canonical(&url, params.text("valueSetVersion")?.as_deref())
    };
    if terms.definitions().value_set(&url).is_none() {
        return Err(GatewayError::TermNotFound(format!(
            "ValueSet {url} is not known to this server"
        )));
    }
    let expansion = terms
        .expand(&url)
        .map_err(|error| terminology_error(error, false))?;
    Ok((url, expansion))
}

/// The codings the request asks about: `codeableConcept`, `coding`, or
/// `code` with `system` (a system is required by R4 with a code in a value
/// set, since this server does not take a `context`).
fn candidates(params: &OpParams, needs_system: bool) -> Result<Vec<Candidate>, GatewayError> {
    if let Some(codings) = params.codeable_concept("codeableConcept")? {
        let listed: Vec<Candidate> = codings
            .into_iter()
            .enumerate()
            .filter(|(_, coding)| coding.code.is_some())
            .map(|(index, coding)| Candidate {
                coding,
                at: format!("codeableConcept.coding[{index}]"),
            })
            .collect();
        if listed.is_empty() {
            return Err(missing(
                "codeableConcept",
                "the CodeableConcept has no coding with a code",
            ));
        }
        return Ok(listed);
    }
    let coding = match params.coding("coding")? {
        Some(coding) => (coding, "coding"),
        None => {
            let coding = params.code_as_coding("systemVersion")?.ok_or_else(|| {
                missing(
                    "code",
                    "give a code (with its system), a coding or a codeableConcept",
                )
            })?;
            (coding, "code")
        }
    };
    let (mut coding, at) = coding;
    if coding.code.is_none() {
        return Err(missing(at, "the coding has no code"));
    }
    if needs_system && coding.system.is_none() {
        return Err(missing("system", "a code in a value set needs its system"));
    }
    if let Some(display) = params.text("display")? {
        coding.display = Some(display);
    }
    Ok(vec![Candidate {
        coding,
        at: at.to_owned(),
    }])
}

fn describe(system: Option<&str>, code: &str) -> String {
    match system {
        Some(system) => format!("the code '{code}' of {system}"),
        None => format!("the code '{code}'"),
    }
}

/// A display given by the client must be the code's display (compared
/// ignoring case and surrounding space); designations are not consulted.
fn check_display(coding: &Coding, known: Option<String>) -> Verdict {
    match (coding.display.as_deref(), known) {
        (Some(given), Some(expected)) if !given.trim().eq_ignore_ascii_case(expected.trim()) => {
            Verdict::WrongDisplay {
                given: given.to_owned(),
                expected,
            }
        }
        (_, known) => Verdict::Valid { display: known },
    }
}

/// The Parameters for the best verdict: any valid coding makes the whole
/// valid; otherwise an undecided one leaves it undecided; otherwise invalid.
fn answer(verdicts: Vec<(&Candidate, Verdict)>) -> Value {
    let valid = verdicts
        .iter()
        .find(|(_, v)| matches!(v, Verdict::Valid { .. }));
    if let Some((_, Verdict::Valid { display })) = valid {
        let mut entries = vec![param("result", "valueBoolean", true)];
        if let Some(display) = display {
            entries.push(param("display", "valueString", display.as_str()));
        }
        return parameters(entries);
    }
    let mut issues = Vec::new();
    let mut display = None;
    for (candidate, verdict) in &verdicts {
        let issue = match verdict {
            Verdict::Valid { .. } => continue,
            Verdict::WrongDisplay { given, expected } => {
                display = Some(expected.clone());
                Issue::error(
                    IssueType::Invalid,
                    format!("the display '{given}' is not the display of this code: '{expected}'"),
                )
                .at(format!("{}.display", candidate.at))
            }
            Verdict::Invalid { message } => {
                Issue::error(IssueType::CodeInvalid, message.clone()).at(candidate.at.clone())
            }
            Verdict::Undecided { reason } => {
                Issue::warning(IssueType::NotSupported, reason.clone()).at(candidate.at.clone())
            }
        };
        issues.push(issue);
    }
    let undecided = verdicts
        .iter()
        .any(|(_, v)| matches!(v, Verdict::Undecided { .. }));
    let message: Vec<&str> = issues.iter().map(|i| i.diagnostics.as_str()).collect();
    let mut entries = Vec::new();
    if !undecided {
        entries.push(param("result", "valueBoolean", false));
    }
    entries.push(param("message", "valueString", message.join("; ")));
    if let Some(display) = display {
        entries.push(param("display", "valueString", display));
    }
    entries.push(json!({"name": "issues", "resource": operation_outcome(&issues)}));
    parameters(entries)
}
