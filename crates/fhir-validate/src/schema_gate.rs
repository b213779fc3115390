//! Layer b: the R4 JSON schema through the `jsonschema` crate, compiled
//! once into one validator shared by every resource type: its root holds,
//! per resource type, `if resourceType is T then $ref T`, so each definition
//! (datatypes included) is compiled once however many resource types reach
//! it, and memory is bounded by the schema, not by the types or instances
//! seen. In that document `ResourceList` (any resource: contained,
//! Bundle.entry.resource...) is reduced to "an object with a resourceType";
//! this layer then finds those nested resources itself and validates each
//! with the same validator. That gives nested errors their full path.

use crate::report::{IssueType, Sink};
use crate::schema_model::{FhirSchema, RESOURCE_LIST};
use fnv::FnvHashSet as HashSet;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::Validator;
use serde_json::{json, Value};

pub(crate) struct SchemaGate {
    /// The resource types of the schema (`ResourceList`'s members).
    resource_types: HashSet<String>,
    validator: Result<Validator, String>,
}

impl SchemaGate {
    pub fn new(schema: &FhirSchema) -> SchemaGate {
        let mut definitions = schema
            .document
            .get("definitions")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let resource_types: Vec<String> = definitions
            .get(RESOURCE_LIST)
            .and_then(|r| r.get("oneOf"))
            .and_then(Value::as_array)
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| r.get("$ref")?.as_str()?.strip_prefix("#/definitions/"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(defs) = definitions.as_object_mut() {
            defs.insert(
                RESOURCE_LIST.to_string(),
                json!({ "type": "object", "required": ["resourceType"] }),
            );
        }
        // A resource of type T is checked by `definitions/T` alone: the
        // other branches' conditions fail, which makes them hold.
        let branches: Vec<Value> = resource_types
            .iter()
            .map(|name| {
                json!({
                    "if": { "properties": { "resourceType": { "const": name } } },
                    "then": { "$ref": format!("#/definitions/{name}") },
                })
            })
            .collect();
        let doc = json!({ "allOf": branches, "definitions": definitions });
        let validator = jsonschema::options()
            // `if`/`then` are draft-07; the R4 schema (draft-06) uses no
            // keyword whose meaning changed between the two drafts.
            .with_draft(jsonschema::Draft::Draft7)
            // The R4 patterns need no look-around; the `regex` engine
            // compiles them much faster than fancy-regex.
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&doc)
            .map_err(|e| e.to_string());
        SchemaGate {
            resource_types: resource_types.into_iter().collect(),
            validator,
        }
    }

    /// Validates `value` as a resource and every resource nested in it.
    pub fn check_resource(&self, schema: &FhirSchema, value: &Value, expr: &str, sink: &mut Sink) {
        let rt = value.get("resourceType").and_then(Value::as_str);
        let Some(rt) = rt else {
            sink.error(
                IssueType::Required,
                expr,
                "schema: resourceType is required (a string)".into(),
            );
            return;
        };
        let here = if expr.is_empty() { rt } else { expr };
        if !self.resource_types.contains(rt) {
            sink.error(
                IssueType::NotSupported,
                here,
                format!("schema: '{rt}' is not a resource type of the R4 schema"),
            );
            return;
        }
        match &self.validator {
            Err(why) => {
                sink.error(
                    IssueType::Processing,
                    here,
                    format!("schema for {rt} does not compile: {why}"),
                );
            }
            // Most resources are valid: the boolean walk is several times
            // cheaper than collecting errors with their locations.
            Ok(validator) if validator.is_valid(value) => {}
            Ok(validator) => {
                for error in validator.iter_errors(value) {
                    report(&error, here, sink);
                }
            }
        }
        self.check_nested(schema, rt, value, here, sink);
    }

    /// Walks the instance by the type model to find nested resources.
    fn check_nested(
        &self,
        schema: &FhirSchema,
        type_name: &str,
        value: &Value,
        expr: &str,
        sink: &mut Sink,
    ) {
        let Value::Object(obj) = value else { return };
        let Some(props) = schema.props(type_name) else {
            return;
        };
        for (key, child) in obj {
            let Some(prop) = props.get(key.as_str()) else {
                continue;
            };
            if !prop.may_hold_resource {
                continue;
            }
            let items: Vec<(String, &Value)> = match child {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{expr}.{key}[{i}]"), v))
                    .collect(),
                single => vec![(format!("{expr}.{key}"), single)],
            };
            for (at, item) in items {
                if prop.type_name == RESOURCE_LIST {
                    if item.is_object() {
                        self.check_resource(schema, item, &at, sink);
                    }
                } else {
                    self.check_nested(schema, &prop.type_name, item, &at, sink);
                }
            }
        }
    }
}

fn report(error: &jsonschema::ValidationError, resource_expr: &str, sink: &mut Sink) {
    let mut expr = resource_expr.to_string();
    for segment in error.instance_path() {
        match segment {
            LocationSegment::Index(i) => expr.push_str(&format!("[{i}]")),
            LocationSegment::Property(p) => {
                expr.push('.');
                expr.push_str(p.strip_prefix('_').unwrap_or(&p));
            }
        }
    }
    let (code, detail) = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            if let [one] = unexpected.as_slice() {
                expr.push('.');
                expr.push_str(one.strip_prefix('_').unwrap_or(one));
            }
            (
                IssueType::Structure,
                format!("unknown element(s) {}", unexpected.join(", ")),
            )
        }
        ValidationErrorKind::Required { property } => (
            IssueType::Required,
            format!("required property {property} is missing"),
        ),
        ValidationErrorKind::Enum { options } => (
            IssueType::CodeInvalid,
            format!(
                "{} is not one of {}",
                clip(&error.instance().to_string()),
                clip(&options.to_string())
            ),
        ),
        ValidationErrorKind::Constant { expected_value } => {
            (IssueType::Value, format!("must be {expected_value}"))
        }
        ValidationErrorKind::Type { .. } | ValidationErrorKind::MinItems { .. } => {
            (IssueType::Structure, clip(&error.to_string()))
        }
        _ => (IssueType::Value, clip(&error.to_string())),
    };
    sink.error(code, &expr, format!("schema: {detail}"));
}

fn clip(s: &str) -> String {
    if s.chars().count() <= 160 {
        return s.to_string();
    }
    let head: String = s.chars().take(157).collect();
    format!("{head}...")
}
