//! Type tests for `is`, `as` and `ofType`. System values match their System
//! type; FHIR nodes match their FHIR type. An unqualified name is looked up
//! in the FHIR namespace first, then System. `is` accepts subtypes
//! (`code` is a `string`, `Age` is a `Quantity`); `as` and `ofType` demand the
//! exact type for primitives (`gender.as(string)` is empty), as the official
//! suite expects. Unknown type names are errors.

use super::Evaluator;
use crate::ast::TypeSpec;
use crate::value::{is_fhir_primitive, Value};

const SYSTEM_TYPES: [&str; 9] = [
    "Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity", "Any",
];

impl<'a> Evaluator<'a> {
    /// Rejects type names that exist in neither namespace.
    pub fn check_type_spec(&self, spec: &TypeSpec) -> Result<(), String> {
        let name = spec.name.as_str();
        let system = SYSTEM_TYPES.contains(&name);
        let fhir = match self.model {
            Some(model) => model.is_type(name) || model.is_resource_type(name),
            None => true,
        };
        let known = match spec.namespace.as_deref() {
            // An unknown System type matches nothing (`is(System.Patient)` is false).
            Some("System") => true,
            Some("FHIR") => fhir,
            Some(_) => false,
            None => system || fhir,
        };
        if known {
            Ok(())
        } else {
            Err(format!("unknown type {spec}"))
        }
    }

    /// `is`: the item's type is the named type or derives from it.
    pub fn is_type(&self, item: &Value<'a>, spec: &TypeSpec) -> bool {
        self.type_matches(item, spec, false)
    }

    /// `as` / `ofType`: subtypes of complex types match, primitives only
    /// their exact type.
    pub fn is_type_exact(&self, item: &Value<'a>, spec: &TypeSpec) -> bool {
        self.type_matches(item, spec, true)
    }

    fn type_matches(&self, item: &Value<'a>, spec: &TypeSpec, exact_primitives: bool) -> bool {
        let namespace = spec.namespace.as_deref();
        let name = spec.name.as_str();
        match item {
            Value::Node(node) => {
                if namespace == Some("System") {
                    return false;
                }
                if exact_primitives && is_fhir_primitive(&node.type_name) {
                    return &*node.type_name == name;
                }
                self.type_derives(&node.type_name, name)
            }
            other => namespace != Some("FHIR") && (other.type_label() == name || name == "Any"),
        }
    }
}
