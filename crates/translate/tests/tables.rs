//! The mapping tables against the FHIR R4 definitions: every row's target is a real element
//! path with the cardinality the row claims, and every converter exists.

use fhir_package::FhirDefinitions;
use translate::V2ToFhir;

/// Where an element's children are defined: the backbone path itself, or its type.
fn parent_of_children(path: &str, type_code: &str) -> String {
    match type_code {
        "BackboneElement" | "Element" => path.to_owned(),
        other => other.to_owned(),
    }
}

/// Walks `target` (`Patient.contact.name`) and returns whether its last element repeats.
fn resolve(defs: &FhirDefinitions, target: &str) -> Result<bool, String> {
    let mut names = target.split('.');
    let mut parent = names.next().ok_or("empty target")?.to_owned();
    let names: Vec<&str> = names.collect();
    let mut repeats = false;
    for name in names {
        let child = match defs.child_element(&parent, name) {
            Some(child) => child,
            None => {
                let (base, type_code) = defs
                    .choice_types(&parent, name)
                    .ok_or_else(|| format!("{parent} has no element {name}"))?;
                let child = defs
                    .child_element(&parent, base)
                    .ok_or_else(|| format!("{parent} has no element {base}"))?;
                repeats = child.is_array;
                parent = type_code.to_owned();
                continue;
            }
        };
        repeats = child.is_array;
        let type_code = child
            .types
            .first()
            .map(|t| t.code.as_str())
            .unwrap_or("Element");
        parent = parent_of_children(child.path, type_code);
    }
    Ok(repeats)
}

#[test]
fn every_row_targets_a_real_fhir_element_with_its_cardinality() {
    let defs = fhir_package::core().expect("core definitions load");
    let translator = V2ToFhir::new().expect("tables load");
    let mut checked = 0;
    for row in translator.tables().field_rows() {
        assert!(
            translate::is_converter(&row.converter),
            "fields.csv line {}: unknown converter {}",
            row.line,
            row.converter
        );
        let target = match (&row.extension, row.converter.as_str()) {
            // value[x] is completed by the converter (OBX-2 decides): check the choice exists.
            (_, "OBX_VALUE") => format!("{}Quantity", row.target),
            _ => row.target.clone(),
        };
        let repeats = resolve(&defs, &target)
            .unwrap_or_else(|e| panic!("fields.csv line {}: {target}: {e}", row.line));
        if row.extension.is_some() {
            let base = target
                .rsplit_once(".extension.")
                .map(|(base, _)| base)
                .unwrap_or_default();
            assert!(
                resolve(&defs, &format!("{base}.extension")).is_ok_and(|r| r),
                "fields.csv line {}: {base} takes no extensions",
                row.line
            );
        } else {
            assert_eq!(
                repeats,
                row.repeating,
                "fields.csv line {}: {target} cardinality differs from max `{}`",
                row.line,
                if row.repeating { "*" } else { "1" }
            );
        }
        checked += 1;
    }
    assert!(checked > 60, "only {checked} rows");
}

#[test]
fn the_path_check_rejects_what_fhir_does_not_have() {
    let defs = fhir_package::core().expect("core definitions load");
    assert!(resolve(&defs, "Patient.contact.name").is_ok());
    assert!(resolve(&defs, "Patient.nickname").is_err());
    assert!(resolve(&defs, "Encounter.hospitalization.admitSource").is_ok());
    assert!(resolve(&defs, "Encounter.hospitalization.bed").is_err());
    assert_eq!(resolve(&defs, "Patient.deceasedBoolean"), Ok(false));
    assert_eq!(resolve(&defs, "Patient.identifier"), Ok(true));
}
