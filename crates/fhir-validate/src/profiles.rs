//! Which definitions a resource is checked against: its type's base
//! definition, every profile in `meta.profile`, the profiles the caller asks
//! for and those the operator enforces for the type. An unknown profile in
//! `meta.profile` is a warning (the spec lets a receiver ignore profiles it
//! does not know); an unknown requested or enforced profile is an error,
//! since conformance to it cannot be established. A profile published with
//! only a differential is used through the snapshot `fhir-package`
//! generated at load; one whose snapshot could not be generated is an error
//! naming the element and the reason.

use crate::report::{IssueType, Sink};
use crate::Engine;
use serde_json::Value;

impl Engine {
    /// Structure layer for one resource (nested ones recurse through here).
    /// `container` holds the contained resources of the containing resource
    /// when this one is contained.
    pub(crate) fn validate_structure(
        &self,
        resource: &Value,
        expr: &str,
        requested: &[String],
        container: Option<&[(String, String)]>,
        sink: &mut Sink,
    ) {
        let Some(rt) = resource.get("resourceType").and_then(Value::as_str) else {
            sink.error(IssueType::Required, expr, "resourceType is missing".into());
            return;
        };
        let here = if expr.is_empty() { rt } else { expr };
        let Some(base) = self.type_tree(rt) else {
            sink.error(
                IssueType::NotSupported,
                here,
                format!("'{rt}' is not a known resource type"),
            );
            return;
        };
        self.walk_resource(base, resource, here, container, false, sink);

        let declared = resource
            .get("meta")
            .and_then(|m| m.get("profile"))
            .and_then(Value::as_array)
            .map(|p| p.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default();
        let enforced = self.enforced.get(rt).map(Vec::as_slice).unwrap_or_default();
        let mut applied: Vec<&str> = vec![base.url.as_str()];
        let wanted = declared
            .iter()
            .map(|p| (*p, false))
            .chain(requested.iter().chain(enforced).map(|p| (p.as_str(), true)));
        for (url, must_know) in wanted {
            let canonical = url.split('|').next().unwrap_or(url);
            if applied.contains(&canonical) {
                continue;
            }
            applied.push(canonical);
            let Some(sd) = self.defs.structure_definition(url) else {
                let detail = format!(
                    "profile {url} is not known to this server; conformance to it was not checked"
                );
                if must_know {
                    sink.error(
                        IssueType::NotSupported,
                        &format!("{here}.meta.profile"),
                        detail,
                    );
                } else {
                    sink.warning(
                        IssueType::NotSupported,
                        &format!("{here}.meta.profile"),
                        detail,
                    );
                }
                continue;
            };
            if sd.type_name != rt {
                sink.error(
                    IssueType::Invalid,
                    here,
                    format!("profile {url} is for {}, not {rt}", sd.type_name),
                );
                continue;
            }
            match sd.element_tree() {
                Ok(tree) => self.walk_resource(tree, resource, here, container, true, sink),
                Err(e) => sink.error(
                    IssueType::Processing,
                    here,
                    format!("profile {url} cannot be used: {e}"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Layers, ValidateOptions, Validator, ValidatorConfig};
    use fhir_package::FhirDefinitions;
    use serde_json::{json, Value};
    use std::sync::Arc;

    const PROFILE: &str = "http://example.org/fhir/StructureDefinition/diff-only-patient";

    fn differential_only(url: &str, elements: Value) -> (String, String) {
        let sd = json!({
            "resourceType": "StructureDefinition", "url": url, "name": "DiffOnly",
            "status": "draft", "kind": "resource", "abstract": false, "type": "Patient",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
            "derivation": "constraint", "differential": { "element": elements }
        });
        (format!("{url}.json"), sd.to_string())
    }

    fn validator() -> Validator {
        let core = fhir_package::core().expect("core definitions");
        let extra = vec![
            differential_only(
                PROFILE,
                json!([
                    { "id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1 },
                    { "id": "Patient.identifier", "path": "Patient.identifier",
                      "slicing": { "discriminator": [{ "type": "value", "path": "system" }],
                                   "rules": "open" } },
                    { "id": "Patient.identifier:mrn", "path": "Patient.identifier",
                      "sliceName": "mrn", "min": 1, "max": "1" },
                    { "id": "Patient.identifier:mrn.system", "path": "Patient.identifier.system",
                      "fixedUri": "http://example.org/mrn" }
                ]),
            ),
            differential_only(
                "http://example.org/broken",
                json!([{ "id": "Patient.nickname", "path": "Patient.nickname", "min": 1 }]),
            ),
        ];
        let defs = FhirDefinitions::with_resources(&core, extra).expect("layered definitions");
        Validator::new(Arc::new(defs), ValidatorConfig::default()).expect("validator")
    }

    fn errors(validator: &Validator, resource: Value, profile: &str) -> Vec<String> {
        let opts = ValidateOptions {
            profiles: vec![profile.to_string()],
            layers: Layers::default(),
        };
        validator
            .validate(&resource, &opts)
            .errors()
            .map(|issue| issue.message.clone())
            .collect()
    }

    #[test]
    fn a_differential_only_profile_is_validated_through_its_generated_snapshot() {
        let validator = validator();
        let good = json!({ "resourceType": "Patient", "birthDate": "1970-01-01",
            "identifier": [{ "system": "http://example.org/mrn", "value": "1" }] });
        assert_eq!(errors(&validator, good, PROFILE), Vec::<String>::new());

        let bad = json!({ "resourceType": "Patient",
            "identifier": [{ "system": "http://example.org/other", "value": "1" }] });
        let found = errors(&validator, bad, PROFILE);
        assert!(found.iter().any(|e| e.contains("birthDate")), "{found:?}");
        assert!(found.iter().any(|e| e.contains("mrn")), "{found:?}");
    }

    #[test]
    fn a_profile_whose_snapshot_cannot_be_generated_says_where_and_why() {
        let validator = validator();
        let found = errors(
            &validator,
            json!({ "resourceType": "Patient" }),
            "http://example.org/broken",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("cannot be used"), "{found:?}");
        assert!(found[0].contains("Patient.nickname"), "{found:?}");
    }
}
