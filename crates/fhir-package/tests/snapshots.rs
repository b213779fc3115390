//! Snapshot generation from differentials: profiles written here (slicing,
//! re-slicing, fixed and pattern values, cardinality, an extension by
//! profile, choices, datatype and contentReference expansion), errors that
//! name the element, and the core's own profiles regenerated from their
//! differentials and compared with the snapshots HL7 ships.

use std::fs;
use std::path::Path;

use fhir_package::{ElementDef, ElementTree, ElementTreeError, FhirDefinitions, Max, PackageError};
use serde_json::{json, Value};

mod common;
use common::core;

const PATIENT: &str = "http://example.org/fhir/StructureDefinition/diff-patient";
const STRICT: &str = "http://example.org/fhir/StructureDefinition/diff-patient-strict";
const BP: &str = "http://example.org/fhir/StructureDefinition/diff-bp";

fn fixture(name: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshot_fixtures")
        .join(name);
    let text = fs::read_to_string(&path).expect("fixture");
    (name.to_string(), text)
}

fn with_fixtures() -> FhirDefinitions {
    let extra = vec![
        fixture("derived-profiles.json"),
        fixture("patient-profile.json"),
    ];
    let defs = FhirDefinitions::with_resources(&core(), extra).expect("layered");
    assert!(defs.warnings().is_empty(), "{:?}", defs.warnings());
    defs
}

fn element<'t>(tree: &'t ElementTree, id: &str) -> &'t ElementDef {
    match tree.element(id).and_then(|found| tree.get(found)) {
        Some(element) => element,
        None => panic!("{}: no element {id}", tree.url),
    }
}

fn card(tree: &ElementTree, id: &str) -> (u32, Max) {
    let element = element(tree, id);
    (element.min, element.max)
}

fn codes(element: &ElementDef) -> Vec<&str> {
    element.types.iter().map(|t| t.code.as_str()).collect()
}

#[test]
fn a_differential_only_patient_profile_gets_its_snapshot() {
    let defs = with_fixtures();
    let tree = defs.element_tree(PATIENT).expect("generated tree");
    // Untouched base elements come through with the base's definitions.
    assert_eq!(card(tree, "Patient.birthDate"), (0, Max::Bounded(1)));
    assert_eq!(element(tree, "Patient.birthDate").types[0].code, "date");
    assert!(element(tree, "Patient")
        .constraints
        .iter()
        .any(|c| c.key == "dom-2"));
    let added = element(tree, "Patient")
        .constraints
        .iter()
        .find(|c| c.key == "dp-1")
        .expect("profile constraint");
    assert_eq!(added.source.as_deref(), Some(PATIENT));

    // Cardinality, binding, short text.
    assert_eq!(card(tree, "Patient.identifier"), (1, Max::Unbounded));
    assert_eq!(card(tree, "Patient.name"), (0, Max::Bounded(2)));
    assert_eq!(card(tree, "Patient.gender"), (1, Max::Bounded(1)));
    let gender = element(tree, "Patient.gender")
        .binding
        .clone()
        .expect("binding");
    assert_eq!(gender.strength, "required");
    let name_json = &generated(&defs, PATIENT)["Patient.name"];
    assert_eq!(name_json["short"], "At most two names");
    assert!(name_json["definition"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));

    // The identifier slice, expanded into Identifier's children.
    let identifier = element(tree, "Patient.identifier");
    let slicing = identifier.slicing.as_ref().expect("slicing");
    assert_eq!(slicing.discriminators[0].kind, "value");
    assert_eq!(slicing.discriminators[0].path, "system");
    assert_eq!(identifier.slices.len(), 1);
    let mrn = element(tree, "Patient.identifier:mrn");
    assert_eq!(mrn.slice_name.as_deref(), Some("mrn"));
    assert_eq!((mrn.min, mrn.max), (1, Max::Bounded(1)));
    assert!(mrn.must_support);
    assert!(mrn.slicing.is_none());
    let system = element(tree, "Patient.identifier:mrn.system");
    assert_eq!(system.min, 1);
    assert_eq!(
        system.fixed.as_ref().map(|f| f.type_suffix.as_str()),
        Some("Uri")
    );
    assert_eq!(
        system.fixed.as_ref().map(|f| &f.value),
        Some(&json!("http://example.org/mrn"))
    );
    let mrn_type = element(tree, "Patient.identifier:mrn.type");
    assert_eq!(
        mrn_type
            .pattern
            .as_ref()
            .map(|p| &p.value["coding"][0]["code"]),
        Some(&json!("MR"))
    );
    assert_eq!(
        element(tree, "Patient.identifier:mrn.value").max_length,
        Some(20)
    );
    let children: Vec<&str> = tree
        .children_of(tree.element("Patient.identifier:mrn").expect("mrn"))
        .iter()
        .filter_map(|id| tree.get(*id))
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        children,
        [
            "id",
            "extension",
            "use",
            "type",
            "system",
            "value",
            "period",
            "assigner"
        ]
    );

    // The extension slice: cardinality from the differential (within the
    // sliced element's), definition texts from the extension.
    let extension = element(tree, "Patient.extension");
    assert_eq!(
        extension
            .slicing
            .as_ref()
            .map(|s| s.discriminators[0].path.as_str()),
        Some("url")
    );
    let birth_place = element(tree, "Patient.extension:birthPlace");
    assert_eq!((birth_place.min, birth_place.max), (1, Max::Unbounded));
    assert_eq!(
        birth_place.types[0].profiles,
        ["http://hl7.org/fhir/StructureDefinition/patient-birthPlace"]
    );
    let birth_place_json = &generated(&defs, PATIENT)["Patient.extension:birthPlace"];
    assert_eq!(birth_place_json["short"], "Place of Birth for patient");

    // A choice constrained by its type-specific name narrows the choice.
    let deceased = element(tree, "Patient.deceased[x]");
    assert_eq!(codes(deceased), ["boolean"]);
    assert!(deceased.must_support);
    assert!(deceased.matches_property("deceasedBoolean"));
    assert!(!deceased.matches_property("deceasedDateTime"));

    // Below a backbone element, and a narrowed reference target.
    assert_eq!(card(tree, "Patient.contact.name"), (1, Max::Bounded(1)));
    let organization = element(tree, "Patient.managingOrganization");
    assert_eq!(
        organization.types[0].target_profiles,
        ["http://hl7.org/fhir/StructureDefinition/Organization"]
    );
}

/// The generated snapshot of a loaded profile, by element id.
fn generated(defs: &FhirDefinitions, url: &str) -> serde_json::Map<String, Value> {
    let sd = defs.structure_definition(url).expect("profile");
    let text = match sd.generated_snapshot() {
        Some(Ok(text)) => text,
        other => panic!("{url}: no generated snapshot: {other:?}"),
    };
    let elements: Vec<Value> = serde_json::from_str(text).expect("snapshot JSON");
    elements
        .into_iter()
        .map(|element| (element["id"].as_str().unwrap_or("").to_string(), element))
        .collect()
}

#[test]
fn a_profile_on_a_differential_only_profile_builds_on_its_generated_snapshot() {
    let defs = with_fixtures();
    let tree = defs.element_tree(STRICT).expect("generated tree");
    // Inherited from diff-patient.
    assert_eq!(card(tree, "Patient.identifier:mrn"), (1, Max::Bounded(1)));
    assert!(element(tree, "Patient.identifier:mrn.system")
        .fixed
        .is_some());
    assert_eq!(
        card(tree, "Patient.extension:birthPlace"),
        (1, Max::Unbounded)
    );
    // Its own constraints, inside the inherited slice.
    assert_eq!(
        card(tree, "Patient.identifier:mrn.period"),
        (0, Max::Bounded(0))
    );
    let coding = element(tree, "Patient.identifier:mrn.type.coding");
    assert_eq!(coding.slices.len(), 1);
    assert_eq!(
        card(tree, "Patient.identifier:mrn.type.coding:mr"),
        (1, Max::Unbounded)
    );
    assert_eq!(
        codes(element(tree, "Patient.identifier:mrn.type.coding:mr")),
        ["Coding"]
    );
    // A re-slice of mrn, with the slice's constraints and its own.
    let reslice = element(tree, "Patient.identifier:mrn/local");
    assert_eq!(reslice.slice_name.as_deref(), Some("mrn/local"));
    assert_eq!((reslice.min, reslice.max), (0, Max::Bounded(1)));
    let mrn = tree.element("Patient.identifier:mrn").expect("mrn");
    assert_eq!(tree.slices("Patient.identifier:mrn").len(), 1);
    assert_eq!(tree.get(mrn).map(|e| e.slices.len()), Some(1));
    assert!(element(tree, "Patient.identifier:mrn/local.system")
        .fixed
        .is_some());
    assert_eq!(
        element(tree, "Patient.identifier:mrn/local.use")
            .fixed
            .as_ref()
            .map(|f| &f.value),
        Some(&json!("usual"))
    );
}

#[test]
fn an_observation_profile_slices_components_and_constrains_the_choice() {
    let defs = with_fixtures();
    let tree = defs.element_tree(BP).expect("generated tree");
    assert!(element(tree, "Observation.code").pattern.is_some());
    // valueQuantity max 0 prohibits that one type of the choice.
    let value = element(tree, "Observation.value[x]");
    assert!(!codes(value).contains(&"Quantity"));
    assert!(codes(value).contains(&"string"));
    assert_eq!(value.max, Max::Bounded(1));
    let component = element(tree, "Observation.component");
    assert_eq!(component.min, 2);
    assert_eq!(
        component
            .slicing
            .as_ref()
            .map(|s| s.discriminators[0].kind.as_str()),
        Some("pattern")
    );
    let systolic = element(tree, "Observation.component:systolic");
    assert_eq!((systolic.min, systolic.max), (1, Max::Bounded(1)));
    assert!(element(tree, "Observation.component:systolic.code")
        .pattern
        .is_some());
    // valueQuantity constrained below: narrowed to Quantity, expanded.
    let systolic_value = element(tree, "Observation.component:systolic.value[x]");
    assert_eq!(codes(systolic_value), ["Quantity"]);
    assert_eq!(systolic_value.min, 1);
    let unit_code = element(tree, "Observation.component:systolic.value[x].code");
    assert_eq!(unit_code.min, 1);
    assert_eq!(
        unit_code.fixed.as_ref().map(|f| &f.value),
        Some(&json!("mm[Hg]"))
    );
    // A profiled datatype (SimpleQuantity) expands from its profile.
    assert_eq!(
        card(tree, "Observation.referenceRange.low"),
        (1, Max::Bounded(1))
    );
    assert_eq!(
        card(tree, "Observation.referenceRange.low.comparator"),
        (0, Max::Bounded(0))
    );
    assert_eq!(
        card(tree, "Observation.referenceRange.low.unit"),
        (1, Max::Bounded(1))
    );
    // Constraining below a contentReference copies the referenced element.
    assert_eq!(
        card(tree, "Observation.component.referenceRange.text"),
        (1, Max::Bounded(1))
    );
    assert!(tree
        .element("Observation.component.referenceRange.low")
        .is_some());
    assert!(element(tree, "Observation.component.referenceRange")
        .content_reference
        .is_none());
}

#[test]
fn constraints_below_a_choice_of_several_types_go_to_a_type_slice() {
    let url = "http://example.org/max-value";
    let differential = json!([
        { "path": "Observation.value[x].value", "maxValueDecimal": 100 }
    ]);
    let mut sd: Value = serde_json::from_str(&profile(url, "", differential).1).expect("json");
    sd["type"] = json!("Observation");
    sd["baseDefinition"] = json!("http://hl7.org/fhir/StructureDefinition/Observation");
    let defs = core();
    let elements = defs.generate_snapshot(&sd).expect("generated");
    let find = |id: &str| {
        elements
            .iter()
            .find(|element| element["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    // value[x] keeps every type; the Quantity slice carries the constraint.
    assert!(find("Observation.value[x]")["type"]
        .as_array()
        .is_some_and(|t| t.len() == 11));
    assert_eq!(
        find("Observation.value[x]")["slicing"]["discriminator"][0]["type"],
        "type"
    );
    let slice = find("Observation.value[x]:valueQuantity");
    assert_eq!(slice["type"], json!([{ "code": "Quantity" }]));
    assert_eq!(slice["min"], 0);
    assert_eq!(
        find("Observation.value[x]:valueQuantity.value")["maxValueDecimal"],
        100
    );
}

#[test]
fn a_choice_narrowed_and_constrained_by_its_type_name_is_one_element() {
    let differential = json!([
        { "path": "Observation.value[x]", "type": [{ "code": "Quantity" }] },
        { "path": "Observation.valueQuantity", "minValueQuantity": { "value": 0, "code": "kg" } },
        { "path": "Observation.valueQuantity.code", "min": 1 }
    ]);
    let mut sd: Value =
        serde_json::from_str(&profile("http://example.org/min-value", "", differential).1)
            .expect("json");
    sd["type"] = json!("Observation");
    sd["baseDefinition"] = json!("http://hl7.org/fhir/StructureDefinition/Observation");
    let elements = core().generate_snapshot(&sd).expect("generated");
    let value = elements
        .iter()
        .find(|element| element["id"] == "Observation.value[x]")
        .expect("value[x]");
    assert_eq!(value["type"], json!([{ "code": "Quantity" }]));
    assert_eq!(value["minValueQuantity"]["code"], "kg");
    assert!(value.get("slicing").is_none());
    assert!(elements
        .iter()
        .any(|element| element["id"] == "Observation.value[x].code" && element["min"] == 1));
}

fn profile(url: &str, base: &str, differential: Value) -> (String, String) {
    let sd = json!({
        "resourceType": "StructureDefinition",
        "url": url,
        "name": "Broken",
        "status": "draft",
        "kind": "resource",
        "abstract": false,
        "type": "Patient",
        "baseDefinition": base,
        "derivation": "constraint",
        "differential": { "element": differential }
    });
    (format!("{url}.json"), sd.to_string())
}

fn generation_error(differential: Value) -> (String, String) {
    generation_error_on(
        "http://hl7.org/fhir/StructureDefinition/Patient",
        differential,
    )
}

fn generation_error_on(base: &str, differential: Value) -> (String, String) {
    let url = "http://example.org/broken";
    let defs = FhirDefinitions::with_resources(&core(), vec![profile(url, base, differential)])
        .expect("loads; the error is on the profile");
    assert!(
        defs.warnings().iter().any(|w| w.contains(url)),
        "{:?}",
        defs.warnings()
    );
    match defs.element_tree(url) {
        Err(PackageError::ElementTree(ElementTreeError::SnapshotGeneration {
            url: reported,
            element,
            reason,
        })) => {
            assert_eq!(reported, url);
            (element, reason)
        }
        other => panic!("expected a generation error, got {other:?}"),
    }
}

#[test]
fn profiles_that_cannot_be_expanded_name_the_element_and_the_reason() {
    let (element, reason) = generation_error(json!([
        { "id": "Patient.nickname", "path": "Patient.nickname", "min": 1 }
    ]));
    assert_eq!(element, "Patient.nickname");
    assert!(reason.contains("no element nickname"), "{reason}");

    let (element, reason) = generation_error(json!([
        { "id": "Patient.gender", "path": "Patient.gender", "type": [{ "code": "Coding" }] }
    ]));
    assert_eq!(element, "Patient.gender");
    assert!(reason.contains("type Coding is not allowed"), "{reason}");

    let (element, reason) = generation_error(json!([
        { "id": "Patient.name", "path": "Patient.name", "min": 3, "max": "2" }
    ]));
    assert_eq!(element, "Patient.name");
    assert!(reason.contains("min 3 is greater than max 2"), "{reason}");

    let (element, reason) = generation_error(json!([
        { "id": "Patient.name:official", "path": "Patient.name", "sliceName": "official" }
    ]));
    assert_eq!(element, "Patient.name");
    assert!(reason.contains("no slicing"), "{reason}");

    let (element, reason) = generation_error(json!([
        { "id": "Patient.deceasedString", "path": "Patient.deceasedString" }
    ]));
    assert_eq!(element, "Patient.deceased[x]");
    assert!(reason.contains("type String is not allowed"), "{reason}");

    let (element, reason) = generation_error(json!([
        { "id": "Patient.multipleBirth[x].value", "path": "Patient.multipleBirth[x].value" }
    ]));
    assert_eq!(element, "Patient.multipleBirth[x]");
    assert!(reason.contains("several types"), "{reason}");

    let (_, reason) = generation_error(json!([
        { "id": "Observation.status", "path": "Observation.status", "min": 1 }
    ]));
    assert!(reason.contains("root"), "{reason}");

    let (_, reason) = generation_error_on("http://example.org/missing-base", json!([]));
    assert!(
        reason.contains("http://example.org/missing-base is not loaded"),
        "{reason}"
    );

    let (_, reason) = generation_error(json!([{ "min": 1 }]));
    assert!(reason.contains("neither id nor path"), "{reason}");
}

#[test]
fn circular_base_definitions_are_an_error_not_a_hang() {
    let a = "http://example.org/a";
    let b = "http://example.org/b";
    let defs = FhirDefinitions::with_resources(
        &core(),
        vec![profile(a, b, json!([])), profile(b, a, json!([]))],
    )
    .expect("loads");
    for url in [a, b] {
        match defs.element_tree(url) {
            Err(PackageError::ElementTree(ElementTreeError::SnapshotGeneration {
                reason, ..
            })) => {
                assert!(reason.contains("circular"), "{reason}")
            }
            other => panic!("expected a generation error, got {other:?}"),
        }
    }
}
