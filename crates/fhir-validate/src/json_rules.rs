//! Layer a: the FHIR JSON representation rules (http://hl7.org/fhir/R4/json.html)
//! and the lexical form of every primitive. No `null` except as a placeholder
//! in a primitive array, no empty objects, arrays or strings, `_x` siblings
//! shaped like their primitive, arrays exactly where the element repeats,
//! and a known `resourceType`. Unknown properties are left to the structure
//! layer, which knows profiles and extensions.

use crate::path::Path;
use crate::primitives;
use crate::report::{IssueType, Sink};
use crate::schema_model::{FhirSchema, Prop, RESOURCE_LIST};
use serde_json::{Map, Value};

pub(crate) struct JsonRules<'a> {
    pub schema: &'a FhirSchema,
}

impl JsonRules<'_> {
    /// `expr` is the path of the resource itself: its type name at the top,
    /// `Bundle.entry[3].resource` when nested.
    pub fn check_resource(&self, value: &Value, expr: &str, sink: &mut Sink) {
        self.check_resource_at(value, &Path::Root(expr), sink);
    }

    fn check_resource_at(&self, value: &Value, path: &Path, sink: &mut Sink) {
        let Value::Object(obj) = value else {
            sink.error(
                IssueType::Structure,
                &path.render(),
                format!(
                    "a resource must be a JSON object, not {}",
                    primitives::json_kind(value)
                ),
            );
            return;
        };
        let rt = match obj.get("resourceType") {
            Some(Value::String(rt)) => rt,
            Some(other) => {
                sink.error(
                    IssueType::Structure,
                    &path.render(),
                    format!(
                        "resourceType must be a string, not {}",
                        primitives::json_kind(other)
                    ),
                );
                return;
            }
            None => {
                sink.error(
                    IssueType::Required,
                    &path.render(),
                    "resourceType is missing".into(),
                );
                return;
            }
        };
        if !self.schema.is_resource_type(rt) {
            sink.error(
                IssueType::NotSupported,
                &path.render(),
                format!("'{rt}' is not a known FHIR R4 resource type"),
            );
            return;
        }
        // At the top the resource's path is its type name.
        let top = Path::Root(rt);
        let here = if matches!(path, Path::Root("")) {
            &top
        } else {
            path
        };
        self.check_object(rt, obj, here, sink);
    }

    fn check_object(
        &self,
        type_name: &str,
        obj: &Map<String, Value>,
        path: &Path,
        sink: &mut Sink,
    ) {
        if obj.is_empty() {
            sink.error(
                IssueType::Structure,
                &path.render(),
                "empty object is not allowed (omit the element instead)".into(),
            );
            return;
        }
        // Properties of an unknown type are not checked here.
        let Some(props) = self.schema.props(type_name) else {
            return;
        };
        for (key, value) in obj {
            if key == "resourceType" {
                continue;
            }
            let child = path.field(key.strip_prefix('_').unwrap_or(key));
            if let Some(base) = key.strip_prefix('_') {
                if let Some(prop) = props.get(base) {
                    if prop.primitive {
                        self.check_underscore(prop, value, obj.get(base), &child, sink);
                    }
                }
                continue;
            }
            let Some(prop) = props.get(key.as_str()) else {
                continue;
            };
            self.check_property(prop, value, obj, key, &child, sink);
        }
    }

    fn check_property(
        &self,
        prop: &Prop,
        value: &Value,
        parent: &Map<String, Value>,
        key: &str,
        path: &Path,
        sink: &mut Sink,
    ) {
        match value {
            Value::Null => sink.error(
                IssueType::Structure,
                &path.render(),
                "null is not allowed (omit the element instead)".into(),
            ),
            Value::Array(items) if prop.array => {
                if items.is_empty() {
                    sink.error(
                        IssueType::Structure,
                        &path.render(),
                        "empty array is not allowed (omit the element instead)".into(),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    let at = path.index(i);
                    if item.is_null() {
                        // The `_x` sibling is only looked up for a null item.
                        let has_extension = parent
                            .get(&format!("_{key}"))
                            .and_then(Value::as_array)
                            .and_then(|s| s.get(i))
                            .is_some_and(|s| !s.is_null());
                        if !(prop.primitive && has_extension) {
                            sink.error(
                                IssueType::Structure,
                                &at.render(),
                                "null in an array is only allowed when the matching '_' array entry has an id or extensions".into(),
                            );
                        }
                        continue;
                    }
                    self.check_single(prop, item, &at, sink);
                }
            }
            Value::Array(_) => sink.error(
                IssueType::Structure,
                &path.render(),
                "this element does not repeat, so it must not be a JSON array".into(),
            ),
            _ if prop.array => sink.error(
                IssueType::Structure,
                &path.render(),
                "this element repeats, so it must be a JSON array".into(),
            ),
            single => self.check_single(prop, single, path, sink),
        }
    }

    fn check_single(&self, prop: &Prop, value: &Value, path: &Path, sink: &mut Sink) {
        let type_name = prop.type_name.as_str();
        if prop.primitive {
            if let Err(why) = primitives::check(type_name, value) {
                sink.error(IssueType::Value, &path.render(), why);
            }
        } else if type_name == RESOURCE_LIST {
            self.check_resource_at(value, path, sink);
        } else if let Value::Object(obj) = value {
            self.check_object(type_name, obj, path, sink);
        } else {
            sink.error(
                IssueType::Structure,
                &path.render(),
                format!(
                    "a {type_name} must be a JSON object, not {}",
                    primitives::json_kind(value)
                ),
            );
        }
    }

    /// `_x` carries the id and extensions of primitive `x`: an object, or for
    /// a repeating `x` an array of the same length with `null` where an item
    /// has none.
    fn check_underscore(
        &self,
        prop: &Prop,
        value: &Value,
        primary: Option<&Value>,
        path: &Path,
        sink: &mut Sink,
    ) {
        match (value, prop.array) {
            (Value::Object(obj), false) => self.check_object("Element", obj, path, sink),
            (Value::Array(items), true) => {
                let primary_len = primary.and_then(Value::as_array).map(Vec::len);
                // Trailing nulls in `_x` carry nothing; the reference
                // validator accepts them, and so do we.
                let carried = items.len() - items.iter().rev().take_while(|i| i.is_null()).count();
                let misaligned = |n: usize| n != items.len() && !(carried <= n && n < items.len());
                if primary_len.is_some_and(misaligned) {
                    sink.error(
                        IssueType::Structure,
                        &path.render(),
                        format!(
                            "the '_' array has {} entries but the value array has {}; they must align",
                            items.len(),
                            primary_len.unwrap_or(0)
                        ),
                    );
                }
                if items.iter().all(Value::is_null) {
                    sink.error(
                        IssueType::Structure,
                        &path.render(),
                        "a '_' array with only nulls is not allowed".into(),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    let at = path.index(i);
                    match item {
                        Value::Null => {}
                        Value::Object(obj) => self.check_object("Element", obj, &at, sink),
                        other => sink.error(
                            IssueType::Structure,
                            &at.render(),
                            format!(
                                "extensions of a primitive must be an object, not {}",
                                primitives::json_kind(other)
                            ),
                        ),
                    }
                }
            }
            (other, _) => sink.error(
                IssueType::Structure,
                &path.render(),
                format!(
                    "the '_' sibling must be {}, not {}",
                    if prop.array {
                        "an array aligned with the values"
                    } else {
                        "an object"
                    },
                    primitives::json_kind(other)
                ),
            ),
        }
    }
}
