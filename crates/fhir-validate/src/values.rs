//! Per-value rules of an element definition: `fixed[x]` (exact), `pattern[x]`
//! (the instance contains the pattern), `maxLength`, `minValue[x]`/`maxValue[x]`
//! ([`crate::value_limits`]), and terminology
//! bindings through the `terminology` crate (required: error when the code
//! is not in the ValueSet; extensible: warning; preferred: information; an
//! undecidable membership is never an error).

use crate::path::Path;
use crate::report::{IssueType, Severity, Sink};
use crate::structure::Item;
use crate::Engine;
use fhir_package::ElementDef;
use fnv::FnvHashMap;
use serde_json::Value;
use std::sync::{Arc, RwLock};
use terminology::{Expansion, Verdict};

/// Expansions of bound value sets by the address of the binding's URL
/// text, which lives (unmoved) in an element definition as long as the
/// engine (as for the constraint plans). None: no local expansion (unknown
/// value set or an expansion error), so membership is undecidable here.
#[derive(Default)]
pub(crate) struct ExpansionMemo {
    expansions: RwLock<FnvHashMap<TextAddress, Option<Arc<Expansion>>>>,
}

const UCUM: &str = "http://unitsofmeasure.org";

/// Address and length of a text owned by the definitions.
type TextAddress = (usize, usize);

impl Engine {
    pub(crate) fn check_value_rules(
        &self,
        def: &ElementDef,
        type_code: &str,
        item: &Item,
        sink: &mut Sink,
    ) {
        let Some(value) = item.value else { return };
        if let Some(fixed) = &def.fixed {
            if value != &fixed.value {
                sink.error(
                    IssueType::Value,
                    &item.expr(),
                    format!(
                        "value must be exactly {} (fixed), found {}",
                        short(&fixed.value),
                        short(value)
                    ),
                );
            }
        }
        if let Some(pattern) = &def.pattern {
            if !matches_pattern(value, &pattern.value) {
                sink.error(
                    IssueType::Value,
                    &item.expr(),
                    format!(
                        "value must match the pattern {}, found {}",
                        short(&pattern.value),
                        short(value)
                    ),
                );
            }
        }
        if let (Some(max), Value::String(s)) = (def.max_length, value) {
            let len = s.chars().count();
            if len > max as usize {
                sink.error(
                    IssueType::Value,
                    &item.expr(),
                    format!("{len} characters, more than maxLength {max}"),
                );
            }
        }
        if let Some(limits) = &def.value_limits {
            crate::value_limits::check_value_limits(limits, item, sink);
        }
        if let Some(binding) = &def.binding {
            self.check_binding(
                &binding.strength,
                binding.value_set.as_deref(),
                type_code,
                value,
                &item.path,
                sink,
            );
        }
    }

    fn check_binding(
        &self,
        strength: &str,
        value_set: Option<&str>,
        type_code: &str,
        value: &Value,
        path: &Path,
        sink: &mut Sink,
    ) {
        let severity = match strength {
            "required" => Severity::Error,
            "extensible" => Severity::Warning,
            "preferred" => Severity::Information,
            _ => return,
        };
        let Some(vs) = value_set else { return };
        let codings: Vec<(Option<&str>, &str)> = match (type_code, value) {
            ("code" | "string" | "uri", Value::String(code)) => vec![(None, code.as_str())],
            // A Quantity bound to a value set (a profile's units) is
            // checked by its system and code, like a Coding.
            ("Coding" | "Quantity", Value::Object(_)) => coding_of(value).into_iter().collect(),
            ("CodeableConcept", Value::Object(obj)) => obj
                .get("coding")
                .and_then(Value::as_array)
                .map(|cs| cs.iter().filter_map(coding_of).collect())
                .unwrap_or_default(),
            _ => return,
        };
        if codings.is_empty() {
            return;
        }
        // Undecidable here (missing value set, expansion error, external
        // code system): the spec lets a validator stay silent.
        let Some(expansion) = self.bound_expansion(vs) else {
            return;
        };
        let mut rejected = Vec::new();
        for (system, code) in &codings {
            match expansion.verdict(*system, code) {
                Verdict::InValueSet => return,
                Verdict::NotInValueSet => rejected.push(match system {
                    Some(s) => format!("{s}#{code}"),
                    None => format!("'{code}'"),
                }),
                Verdict::Unknown => return,
            }
        }
        // A value set of UCUM units bound to a choice element (vital signs'
        // `component.value[x]`) constrains a Quantity's unit; a coded value
        // of the same choice is held to it as if the binding were
        // extensible, as the reference validator does.
        let units_only = matches!(type_code, "Coding" | "CodeableConcept")
            && !expansion.concepts.is_empty()
            && expansion.concepts.iter().all(|c| c.system == UCUM);
        let (severity, strength) = if units_only && severity == Severity::Error {
            (
                Severity::Warning,
                "units (held as extensible for a coded value)",
            )
        } else {
            (severity, strength)
        };
        sink.push(
            severity,
            IssueType::CodeInvalid,
            &path.render(),
            format!(
                "{} is not in the {strength} value set {vs}",
                rejected.join(", ")
            ),
        );
    }
}

impl Engine {
    /// The expansion `Terminology::validate_code` would use for `vs`,
    /// memoized (see [`ExpansionMemo`]).
    fn bound_expansion(&self, vs: &str) -> Option<Arc<Expansion>> {
        let key = (vs.as_ptr() as usize, vs.len());
        let memo = &self.bound_expansions.expansions;
        if let Ok(known) = memo.read() {
            if let Some(found) = known.get(&key) {
                return found.clone();
            }
        }
        let expansion = self.terminology.expand(vs).ok();
        if let Ok(mut known) = memo.write() {
            known.insert(key, expansion.clone());
        }
        expansion
    }
}

fn coding_of(v: &Value) -> Option<(Option<&str>, &str)> {
    let code = v.get("code")?.as_str()?;
    Some((v.get("system").and_then(Value::as_str), code))
}

/// FHIR pattern semantics: every property of the pattern is in the instance
/// with a matching value; every item of a pattern array matches some item
/// of the instance array; primitives compare equal.
pub(crate) fn matches_pattern(instance: &Value, pattern: &Value) -> bool {
    match (instance, pattern) {
        (Value::Object(inst), Value::Object(pat)) => pat
            .iter()
            .all(|(k, pv)| inst.get(k).is_some_and(|iv| matches_pattern(iv, pv))),
        (Value::Array(inst), Value::Array(pat)) => pat
            .iter()
            .all(|pv| inst.iter().any(|iv| matches_pattern(iv, pv))),
        (inst, pat) => inst == pat,
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 120 {
        return text;
    }
    let head: String = text.chars().take(117).collect();
    format!("{head}...")
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;
    use serde_json::json;

    #[test]
    fn pattern_matching_is_containment() {
        let pattern = json!({ "coding": [{ "system": "http://loinc.org", "code": "8867-4" }] });
        let instance = json!({ "coding": [
            { "system": "http://snomed.info/sct", "code": "1" },
            { "system": "http://loinc.org", "code": "8867-4", "display": "Heart rate" }
        ], "text": "HR" });
        assert!(matches_pattern(&instance, &pattern));
        let other = json!({ "coding": [{ "system": "http://loinc.org", "code": "0000-0" }] });
        assert!(!matches_pattern(&other, &pattern));
        assert!(matches_pattern(&json!("a"), &json!("a")));
        assert!(!matches_pattern(&json!({}), &json!({ "a": 1 })));
    }
}
