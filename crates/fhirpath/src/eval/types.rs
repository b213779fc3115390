//! Type tests for `is`, `as` and `ofType`. System values match their System
//! type; FHIR nodes match their FHIR type and its ancestors (`code` is a
//! `string`). An unqualified name is tried in the FHIR namespace first, then
//! System. As a convenience (like other engines) a FHIR primitive node also
//! matches the System type it maps to (`birthDate.is(System.Date)`).

use super::Evaluator;
use crate::ast::TypeSpec;
use crate::value::{is_fhir_primitive, is_quantity_type, is_stringish, Value};

fn system_type_of_fhir(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "boolean" => "Boolean",
        "integer" | "positiveInt" | "unsignedInt" => "Integer",
        "decimal" => "Decimal",
        "date" => "Date",
        "dateTime" | "instant" => "DateTime",
        "time" => "Time",
        t if is_stringish(t) => "String",
        t if is_quantity_type(t) => "Quantity",
        _ => return None,
    })
}

impl<'a> Evaluator<'a> {
    pub fn is_type(&self, item: &Value<'a>, spec: &TypeSpec) -> bool {
        let namespace = spec.namespace.as_deref();
        let name = spec.name.as_str();
        match item {
            Value::Node(node) => {
                let fhir = namespace != Some("System") && self.type_derives(&node.type_name, name);
                let system = namespace == Some("System")
                    && system_type_of_fhir(&node.type_name) == Some(name);
                fhir || system
            }
            other => {
                if namespace == Some("FHIR") {
                    // FHIR.string etc. for literal values.
                    return is_fhir_primitive(name)
                        && system_type_of_fhir(name) == Some(other.type_label())
                        && name != "code";
                }
                other.type_label() == name
            }
        }
    }
}
