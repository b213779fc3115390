//! Reads the few top-level fields the indexes need from a raw resource,
//! without building a JSON tree of the rest.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::PackageError;
use crate::resource::{
    CanonicalResource, Derivation, LazyJson, SearchParameter, SearchParameterComponent,
    StructureDefinition, TypeKind,
};
use crate::source::RawResource;

/// Top-level fields; those that are not strings in every resource type
/// (`name` is a list in Patient, `type` a CodeableConcept elsewhere) are read
/// as `Value` and only used when they are strings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    resource_type: String,
    url: Option<Value>,
    version: Option<Value>,
    name: Option<Value>,
    status: Option<Value>,
    #[serde(rename = "type")]
    type_name: Option<Value>,
    kind: Option<Value>,
    #[serde(rename = "abstract")]
    is_abstract: Option<Value>,
    derivation: Option<Value>,
    base_definition: Option<Value>,
    snapshot: Option<IgnoredAny>,
    expansion: Option<IgnoredAny>,
}

fn text(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// The header fields as plain values; also what the package cache stores
/// per resource, so a warm start needs no scan of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct HeaderFields {
    pub(crate) resource_type: String,
    pub(crate) url: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) type_name: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) is_abstract: Option<bool>,
    pub(crate) derivation: Option<String>,
    pub(crate) base_definition: Option<String>,
    pub(crate) has_snapshot: bool,
    pub(crate) has_expansion: bool,
}

/// Reads the header fields of one resource's JSON text.
pub(crate) fn read_header(json: &str, location: &str) -> Result<HeaderFields, PackageError> {
    let header: Header = serde_json::from_str(json).map_err(|source| PackageError::Json {
        path: location.to_string(),
        source,
    })?;
    Ok(HeaderFields {
        resource_type: header.resource_type,
        url: text(header.url),
        version: text(header.version),
        name: text(header.name),
        status: text(header.status),
        type_name: text(header.type_name),
        kind: text(header.kind),
        is_abstract: header.is_abstract.and_then(|value| value.as_bool()),
        derivation: text(header.derivation),
        base_definition: text(header.base_definition),
        has_snapshot: header.snapshot.is_some(),
        has_expansion: header.expansion.is_some(),
    })
}

/// A loaded resource sorted into the kind of index it belongs to.
pub(crate) enum Loaded {
    StructureDefinition(StructureDefinition),
    SearchParameter(SearchParameter),
    /// A ValueSet; `has_expansion` marks the pre-expanded copies.
    ValueSet {
        resource: CanonicalResource,
        has_expansion: bool,
    },
    Canonical(CanonicalResource),
    /// No `url`: an example or other instance, not a definition.
    Instance,
}

pub(crate) fn classify(raw: RawResource) -> Result<Loaded, PackageError> {
    let header = raw.header;
    let Some(url) = header.url else {
        return Ok(Loaded::Instance);
    };
    let resource_type = header.resource_type;
    let (type_name, kind, derivation) = (header.type_name, header.kind, header.derivation);
    let location = raw.location;
    let canonical = CanonicalResource {
        resource_type: resource_type.clone(),
        url,
        version: header.version,
        name: header.name,
        status: header.status,
        source: raw.source,
        json: LazyJson::new(raw.file_text, raw.range),
    };
    let invalid_at = |message: String| PackageError::InvalidResource {
        path: location.clone(),
        message,
    };
    match resource_type.as_str() {
        "StructureDefinition" => {
            let type_name =
                type_name.ok_or_else(|| invalid_at("StructureDefinition without type".into()))?;
            let kind = kind
                .as_deref()
                .and_then(TypeKind::parse)
                .ok_or_else(|| invalid_at(format!("invalid kind {kind:?}")))?;
            let derivation = match derivation.as_deref() {
                None => None,
                Some("specialization") => Some(Derivation::Specialization),
                Some("constraint") => Some(Derivation::Constraint),
                Some(other) => return Err(invalid_at(format!("invalid derivation {other}"))),
            };
            Ok(Loaded::StructureDefinition(StructureDefinition {
                resource: canonical,
                type_name,
                kind,
                is_abstract: header.is_abstract.unwrap_or(false),
                derivation,
                base_definition: header.base_definition,
                has_snapshot: header.has_snapshot,
                tree: Default::default(),
                generated_snapshot: Default::default(),
            }))
        }
        "SearchParameter" => Ok(Loaded::SearchParameter(search_parameter(
            canonical, &location,
        )?)),
        "ValueSet" => Ok(Loaded::ValueSet {
            resource: canonical,
            has_expansion: header.has_expansion,
        }),
        _ => Ok(Loaded::Canonical(canonical)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchParameterFields {
    code: String,
    #[serde(default)]
    base: Vec<String>,
    #[serde(rename = "type")]
    param_type: String,
    expression: Option<String>,
    xpath: Option<String>,
    #[serde(default)]
    target: Vec<String>,
    #[serde(default)]
    modifier: Vec<String>,
    #[serde(default)]
    comparator: Vec<String>,
    #[serde(default)]
    chain: Vec<String>,
    multiple_or: Option<bool>,
    multiple_and: Option<bool>,
    #[serde(default)]
    component: Vec<ComponentFields>,
}

#[derive(Deserialize)]
struct ComponentFields {
    definition: String,
    expression: String,
}

fn search_parameter(
    resource: CanonicalResource,
    location: &str,
) -> Result<SearchParameter, PackageError> {
    let fields: SearchParameterFields =
        serde_json::from_str(resource.raw_json()).map_err(|source| PackageError::Json {
            path: location.to_string(),
            source,
        })?;
    Ok(SearchParameter {
        resource,
        code: fields.code,
        base: fields.base,
        param_type: fields.param_type,
        expression: fields.expression,
        xpath: fields.xpath,
        target: fields.target,
        modifier: fields.modifier,
        comparator: fields.comparator,
        chain: fields.chain,
        multiple_or: fields.multiple_or,
        multiple_and: fields.multiple_and,
        component: fields
            .component
            .into_iter()
            .map(|component| SearchParameterComponent {
                definition: component.definition,
                expression: component.expression,
            })
            .collect(),
    })
}
