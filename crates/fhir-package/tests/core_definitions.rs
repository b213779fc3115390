//! Loads the vendored FHIR R4 core from `fhir-profiles/` and checks the
//! indexes, element trees and type model against known definitions.

use fhir_package::{FhirDefinitions, Max, TypeKind};
use std::sync::Arc;

fn core() -> Arc<FhirDefinitions> {
    match fhir_package::core() {
        Ok(definitions) => definitions,
        Err(error) => panic!("core definitions must load: {error}"),
    }
}

#[test]
fn core_counts() {
    let defs = core();
    let counts = defs.counts();
    // 149 resources + 63 types + 44 others + 393 extensions
    assert_eq!(counts.structure_definitions, 149 + 63 + 44 + 393);
    assert_eq!(counts.search_parameters, 1375);
    assert_eq!(counts.concept_maps, 19);
    // 553 pre-expansions, plus 4 ValueSets published with an expansion in valuesets.json
    assert_eq!(counts.expansions, 557);
    assert_eq!(defs.resource_types().count(), 146);
    assert!(
        defs.warnings().is_empty(),
        "{:?}",
        &defs.warnings()[..defs.warnings().len().min(5)]
    );
}

#[test]
fn type_model_children() {
    let defs = core();
    let family = defs
        .child_element("HumanName", "family")
        .expect("HumanName.family");
    assert_eq!(family.path, "HumanName.family");
    assert_eq!(family.types[0].code, "string");
    assert!(!family.is_array);
    let given = defs
        .child_element("HumanName", "given")
        .expect("HumanName.given");
    assert!(given.is_array);
    let contact = defs
        .child_element("Patient", "contact")
        .expect("Patient.contact");
    assert_eq!(contact.path, "Patient.contact");
    assert_eq!(contact.types[0].code, "BackboneElement");
    let contact_name = defs
        .child_element("Patient.contact", "name")
        .expect("contact.name");
    assert_eq!(contact_name.types[0].code, "HumanName");
    let value = defs
        .child_element("Observation", "value")
        .expect("Observation.value");
    assert!(value.is_choice);
    assert!(value.types.iter().any(|t| t.code == "Quantity"));
    assert_eq!(
        defs.choice_types("Observation", "valueQuantity"),
        Some(("value", "Quantity"))
    );
    assert_eq!(
        defs.choice_types("Observation", "valueDateTime"),
        Some(("value", "dateTime"))
    );
    assert_eq!(defs.choice_types("Observation", "status"), None);
    let id = defs.child_element("Patient", "id").expect("Patient.id");
    assert_eq!(id.types[0].system_type.as_deref(), Some("System.String"));
    let item_item = defs
        .child_element("Questionnaire.item", "item")
        .expect("item.item");
    assert_eq!(item_item.path, "Questionnaire.item");
    assert!(item_item.is_array);
    assert!(defs.child_element("Questionnaire.item", "linkId").is_some());
}

#[test]
fn type_model_bases_and_kinds() {
    let defs = core();
    assert_eq!(defs.base_type("Patient"), Some("DomainResource"));
    assert_eq!(defs.base_type("DomainResource"), Some("Resource"));
    assert_eq!(defs.base_type("Resource"), None);
    assert_eq!(defs.base_type("HumanName"), Some("Element"));
    assert_eq!(defs.base_type("code"), Some("string"));
    assert_eq!(defs.base_type("BackboneElement"), Some("Element"));
    assert_eq!(defs.type_kind("Patient"), Some(TypeKind::Resource));
    assert_eq!(defs.type_kind("string"), Some(TypeKind::PrimitiveType));
    assert_eq!(defs.type_kind("HumanName"), Some(TypeKind::ComplexType));
    assert_eq!(defs.type_kind("NotAType"), None);
}

#[test]
fn element_tree_of_patient() {
    let defs = core();
    let tree = defs
        .element_tree("http://hl7.org/fhir/StructureDefinition/Patient")
        .expect("Patient tree");
    let gender = tree
        .element("Patient.gender")
        .and_then(|id| tree.get(id))
        .expect("gender");
    let binding = gender.binding.as_ref().expect("binding");
    assert_eq!(binding.strength, "required");
    assert_eq!(
        binding.value_set.as_deref(),
        Some("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1")
    );
    let root = tree.get(tree.root()).expect("root");
    assert!(root.constraints.iter().any(|c| c.key == "dom-2"));
    let link = tree
        .element("Patient.link")
        .and_then(|id| tree.get(id))
        .expect("link");
    assert_eq!(link.max, Max::Unbounded);
    assert_eq!(tree.children("Patient.link").len(), 5);
}

#[test]
fn blood_pressure_profile_slicing() {
    let defs = core();
    let tree = defs
        .element_tree("http://hl7.org/fhir/StructureDefinition/bp")
        .expect("bp tree");
    let component = tree.element("Observation.component").expect("component");
    let slicing = tree
        .get(component)
        .and_then(|e| e.slicing.clone())
        .expect("slicing");
    assert_eq!(slicing.discriminators[0].kind, "value");
    assert_eq!(slicing.discriminators[0].path, "code.coding.code");
    assert_eq!(slicing.discriminators[1].path, "code.coding.system");
    let slices = tree.slices("Observation.component");
    assert_eq!(slices.len(), 2);
    let systolic = tree
        .element("Observation.component:SystolicBP")
        .expect("systolic slice");
    assert!(slices.contains(&systolic));
    let code = tree
        .element("Observation.component:SystolicBP.code.coding:SBPCode.code")
        .and_then(|id| tree.get(id))
        .expect("slice code");
    let fixed = code.fixed.as_ref().expect("fixed code");
    assert_eq!(fixed.type_suffix, "Code");
    assert_eq!(fixed.value, "8480-6");
    // The slice has its own subtree, reachable through the slice element.
    let slice_code = tree.child_of(systolic, "code").expect("slice child");
    assert_eq!(
        tree.get(slice_code).map(|e| e.id.as_str()),
        Some("Observation.component:SystolicBP.code")
    );
}

#[test]
fn search_parameters_by_type() {
    let defs = core();
    let patient = defs.search_parameters_for("Patient");
    assert!(patient.iter().any(|p| p.code == "birthdate"));
    assert!(patient.iter().any(|p| p.code == "_id"));
    let name = defs
        .search_parameter("Patient", "name")
        .expect("Patient name");
    assert_eq!(name.param_type, "string");
    assert_eq!(name.expression.as_deref(), Some("Patient.name"));
}
