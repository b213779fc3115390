//! The R4 JSON schema (draft-06, 680 definitions) read once: the raw document
//! for the jsonschema gate, and a small type model (property -> type name,
//! array or not) that the JSON-rules layer walks with.

use crate::primitives;
use fnv::FnvHashMap;
use fnv::FnvHashSet as HashSet;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;

/// Name the schema gives to "any resource" (contained, Bundle.entry.resource).
pub const RESOURCE_LIST: &str = "ResourceList";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read JSON schema {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("JSON schema {path} is not valid JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("JSON schema has no 'definitions' object")]
    NoDefinitions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    /// A schema definition name: a primitive (`date`), a complex type
    /// (`HumanName`), a backbone (`Patient_Contact`) or [`RESOURCE_LIST`].
    pub type_name: String,
    pub array: bool,
    /// `type_name` is an R4 primitive (checked by `primitives`).
    pub primitive: bool,
    /// Values of this property can hold a nested resource (see
    /// [`FhirSchema::may_hold_resource`]); set once the schema is read.
    pub may_hold_resource: bool,
}

#[derive(Debug)]
pub struct FhirSchema {
    /// The schema document with the in-memory patches of [`patch`] applied.
    pub document: Value,
    /// FNV rather than SipHash: the JSON rules look up two short names per
    /// property of every instance, and the keys are not attacker-chosen
    /// (they come from the schema; lookups only read).
    types: FnvHashMap<String, FnvHashMap<String, Prop>>,
    resource_types: HashSet<String>,
    /// Types whose instances can hold a resource somewhere below them
    /// (`ResourceList` itself, resources with `contained`, Bundle entries,
    /// Parameters...): the only ones worth walking to find nested resources.
    holding_resources: HashSet<String>,
}

impl FhirSchema {
    /// Reads a gzipped (`.gz`) or plain schema file.
    pub fn load(path: &Path) -> Result<FhirSchema, SchemaError> {
        let shown = path.display().to_string();
        let raw = std::fs::read(path).map_err(|source| SchemaError::Read {
            path: shown.clone(),
            source,
        })?;
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(raw.as_slice())
                .read_to_end(&mut out)
                .map_err(|source| SchemaError::Read {
                    path: shown.clone(),
                    source,
                })?;
            out
        } else {
            raw
        };
        let doc: Value = serde_json::from_slice(&text).map_err(|source| SchemaError::Json {
            path: shown,
            source,
        })?;
        FhirSchema::from_document(doc)
    }

    pub fn from_document(mut document: Value) -> Result<FhirSchema, SchemaError> {
        let defs = document
            .get_mut("definitions")
            .and_then(Value::as_object_mut)
            .ok_or(SchemaError::NoDefinitions)?;
        patch(defs);
        let resource_types = defs
            .get(RESOURCE_LIST)
            .and_then(|r| r.get("oneOf"))
            .and_then(Value::as_array)
            .map(|refs| {
                refs.iter()
                    .filter_map(ref_name)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let types = defs
            .iter()
            .filter_map(|(name, def)| {
                let props = def.get("properties")?.as_object()?;
                let model = props
                    .iter()
                    .filter(|(p, _)| !p.starts_with('_') && p.as_str() != "resourceType")
                    .filter_map(|(p, v)| Some((p.clone(), prop_of(p, v)?)))
                    .collect();
                Some((name.clone(), model))
            })
            .collect();
        let mut types = types;
        let holding_resources = holding_resources(&types);
        for prop in types.values_mut().flat_map(|props| props.values_mut()) {
            prop.may_hold_resource = holding_resources.contains(&prop.type_name);
        }
        Ok(FhirSchema {
            document,
            types,
            resource_types,
            holding_resources,
        })
    }

    /// Whether an instance of `type_name` can contain a nested resource.
    pub fn may_hold_resource(&self, type_name: &str) -> bool {
        self.holding_resources.contains(type_name)
    }

    pub fn is_resource_type(&self, name: &str) -> bool {
        self.resource_types.contains(name)
    }

    pub fn has_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    pub fn prop(&self, type_name: &str, prop: &str) -> Option<&Prop> {
        self.types.get(type_name)?.get(prop)
    }

    /// The properties of `type_name` by name, to look a type up once per
    /// object rather than once per property.
    pub fn props(&self, type_name: &str) -> Option<&FnvHashMap<String, Prop>> {
        self.types.get(type_name)
    }
}

/// The fixpoint of "has a property whose type is `ResourceList` or a type
/// already known to hold one".
fn holding_resources(types: &FnvHashMap<String, FnvHashMap<String, Prop>>) -> HashSet<String> {
    let mut holding: HashSet<String> = std::iter::once(RESOURCE_LIST.to_string()).collect();
    loop {
        let before = holding.len();
        for (name, props) in types {
            if !holding.contains(name) && props.values().any(|p| holding.contains(&p.type_name)) {
                holding.insert(name.clone());
            }
        }
        if holding.len() == before {
            return holding;
        }
    }
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.strip_prefix("#/definitions/")
}

fn prop_of(name: &str, v: &Value) -> Option<Prop> {
    let (item, array) = match v.get("items") {
        Some(items) => (items, true),
        None => (v, false),
    };
    let type_name = if let Some(r) = ref_name(item) {
        r.to_string()
    } else if item.get("enum").is_some() {
        "code".to_string()
    } else {
        // Inline primitive of a choice element, e.g. `valueBase64Binary`.
        choice_suffix_type(name)?.to_string()
    };
    Some(Prop {
        primitive: crate::primitives::is_primitive(&type_name),
        type_name,
        array,
        may_hold_resource: false,
    })
}

/// The primitive type named by a choice element's suffix (`onsetDateTime`
/// -> `dateTime`), the longest match winning (`DateTime` over `Time`).
fn choice_suffix_type(name: &str) -> Option<&'static str> {
    const PRIMITIVES: [&str; 19] = [
        "boolean",
        "integer",
        "positiveInt",
        "unsignedInt",
        "decimal",
        "string",
        "markdown",
        "code",
        "id",
        "oid",
        "uuid",
        "uri",
        "url",
        "canonical",
        "base64Binary",
        "date",
        "dateTime",
        "instant",
        "time",
    ];
    PRIMITIVES
        .into_iter()
        .filter(|p| {
            let mut cap = p[..1].to_ascii_uppercase();
            cap.push_str(&p[1..]);
            name.ends_with(&cap)
        })
        .max_by_key(|p| p.len())
}

/// The published R4 schema misses some valid JSON: `_x` siblings of some
/// primitive properties and the `xxxMeta` variant of open-type choice
/// elements (Extension.valueMeta, Parameters.parameter.valueMeta...). We add
/// them in memory rather than report false errors. Every open-type choice has
/// a `Dosage` variant, which is how we find them.
///
/// It also encodes two patterns with XML-schema semantics that an ECMA regex
/// engine reads differently (`\s` there is only space, tab, CR, LF; ECMA
/// adds NBSP and more, rejecting valid strings), and its FHIRVersion enums
/// stop before "4.0.1". The patterns are rewritten to their XML meaning and
/// "4.0.1" is added.
fn patch(defs: &mut Map<String, Value>) {
    defs.values_mut().for_each(patch_patterns_and_versions);
    let primitive_defs: HashSet<String> = defs
        .iter()
        .filter(|(name, def)| def.get("properties").is_none() && primitives::is_primitive(name))
        .map(|(name, _)| name.clone())
        .collect();
    for def in defs.values_mut() {
        let Some(props) = def.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        let open_choices: Vec<String> = props
            .keys()
            .filter_map(|k| k.strip_suffix("Dosage").map(str::to_string))
            .filter(|base| !base.is_empty())
            .collect();
        for base in open_choices {
            let meta = format!("{base}Meta");
            if !props.contains_key(&meta) {
                props.insert(meta, serde_json::json!({ "$ref": "#/definitions/Meta" }));
            }
        }
        let missing: Vec<(String, bool)> = props
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .filter(|(k, v)| {
                let prim = prop_of(k, v).is_some_and(|p| primitive_defs.contains(&p.type_name));
                prim && !props.contains_key(&format!("_{k}"))
            })
            .map(|(k, v)| (format!("_{k}"), v.get("items").is_some()))
            .collect();
        for (key, array) in missing {
            let element = serde_json::json!({ "$ref": "#/definitions/Element" });
            let schema = if array {
                serde_json::json!({ "type": "array", "items": element })
            } else {
                element
            };
            props.insert(key, schema);
        }
    }
}

fn patch_patterns_and_versions(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(pattern)) = obj.get_mut("pattern") {
                *pattern = xml_regex_to_ecma(pattern);
                // `string` and `markdown`: "any character, at least one" is
                // exactly `minLength: 1` (both keywords apply to strings
                // only), which the gate checks without running a regex over
                // every string of every resource.
                if pattern == ANY_NON_EMPTY && !obj.contains_key("minLength") {
                    obj.remove("pattern");
                    obj.insert("minLength".into(), Value::from(1));
                }
            }
            if let Some(Value::Array(options)) = obj.get_mut("enum") {
                let is_versions = options.iter().any(|o| o == "4.0.0");
                if is_versions && !options.iter().any(|o| o == "4.0.1") {
                    options.push(Value::String("4.0.1".into()));
                }
            }
            obj.values_mut().for_each(patch_patterns_and_versions);
        }
        Value::Array(items) => items.iter_mut().for_each(patch_patterns_and_versions),
        _ => {}
    }
}

/// The ECMA form of the R4 `string`/`markdown` pattern.
const ANY_NON_EMPTY: &str = r"^[\s\S]+$";

/// `[ \r\n\t\S]` (string: any character) and `\s`/`[^\s]` (code) in the
/// XML-schema sense.
fn xml_regex_to_ecma(pattern: &str) -> String {
    pattern
        .replace("[^\\s]", "[^ \\t\\r\\n]")
        .replace("\\s", "[ \\t\\r\\n]")
        .replace("[ \\r\\n\\t\\S]", "[\\s\\S]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tiny() -> FhirSchema {
        FhirSchema::from_document(json!({
            "definitions": {
                "ResourceList": { "oneOf": [{ "$ref": "#/definitions/Patient" }] },
                "date": { "type": "string" },
                "Meta": { "properties": {} },
                "Element": { "properties": {} },
                "Patient": { "properties": {
                    "resourceType": { "const": "Patient" },
                    "birthDate": { "$ref": "#/definitions/date" },
                    "gender": { "enum": ["male"] },
                    "contained": { "type": "array", "items": { "$ref": "#/definitions/ResourceList" } },
                    "deceasedDateTime": { "type": "string", "pattern": "x" },
                    "valueDosage": { "$ref": "#/definitions/Dosage" }
                }}
            }
        }))
        .unwrap()
    }

    #[test]
    fn model_reads_refs_enums_and_inline_choices() {
        let s = tiny();
        assert!(s.is_resource_type("Patient"));
        assert!(!s.is_resource_type("HumanName"));
        assert_eq!(s.prop("Patient", "birthDate").unwrap().type_name, "date");
        assert_eq!(s.prop("Patient", "gender").unwrap().type_name, "code");
        assert_eq!(
            s.prop("Patient", "deceasedDateTime").unwrap().type_name,
            "dateTime"
        );
        let contained = s.prop("Patient", "contained").unwrap();
        assert!(contained.array && contained.type_name == RESOURCE_LIST);
    }

    #[test]
    fn types_holding_resources_are_found_through_nesting() {
        let s = FhirSchema::from_document(json!({
            "definitions": {
                "ResourceList": { "oneOf": [{ "$ref": "#/definitions/Bundle" }] },
                "string": { "type": "string" },
                "Bundle": { "properties": {
                    "entry": { "type": "array", "items": { "$ref": "#/definitions/Bundle_Entry" } },
                    "total": { "$ref": "#/definitions/string" }
                }},
                "Bundle_Entry": { "properties": {
                    "resource": { "$ref": "#/definitions/ResourceList" },
                    "link": { "$ref": "#/definitions/Link" }
                }},
                "Link": { "properties": { "url": { "$ref": "#/definitions/string" } } }
            }
        }))
        .unwrap();
        for holder in [RESOURCE_LIST, "Bundle_Entry", "Bundle"] {
            assert!(s.may_hold_resource(holder), "{holder}");
        }
        for plain in ["Link", "string", "Nope"] {
            assert!(!s.may_hold_resource(plain), "{plain}");
        }
    }

    #[test]
    fn patch_adds_meta_variants_and_underscore_siblings() {
        let s = tiny();
        let props = &s.document["definitions"]["Patient"]["properties"];
        assert_eq!(props["valueMeta"]["$ref"], "#/definitions/Meta");
        assert_eq!(props["_birthDate"]["$ref"], "#/definitions/Element");
        assert!(props.get("_contained").is_none());
    }

    #[test]
    fn xml_patterns_get_their_xml_meaning() {
        assert_eq!(xml_regex_to_ecma(r"^[ \r\n\t\S]+$"), r"^[\s\S]+$");
        assert_eq!(
            xml_regex_to_ecma(r"^[^\s]+(\s[^\s]+)*$"),
            r"^[^ \t\r\n]+([ \t\r\n][^ \t\r\n]+)*$"
        );
        let mut v = json!({ "enum": ["4.0.0"], "x": { "pattern": r"\s" } });
        patch_patterns_and_versions(&mut v);
        assert_eq!(v["enum"], json!(["4.0.0", "4.0.1"]));
        assert_eq!(v["x"]["pattern"], r"[ \t\r\n]");
        let mut string = json!({ "type": "string", "pattern": r"^[ \r\n\t\S]+$" });
        patch_patterns_and_versions(&mut string);
        assert_eq!(string, json!({ "type": "string", "minLength": 1 }));
    }

    #[test]
    fn schema_without_definitions_is_an_error() {
        assert!(matches!(
            FhirSchema::from_document(json!({})),
            Err(SchemaError::NoDefinitions)
        ));
    }

    #[test]
    fn missing_file_is_an_error_with_its_path() {
        let err = FhirSchema::load(Path::new("/nonexistent/fhir.schema.json.gz")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/fhir.schema.json.gz"));
    }
}
