//! The loaded forms of canonical resources. Each keeps its JSON as text and
//! parses it on first use: the core package is ~88 MB of JSON, and a gateway
//! touches only a small part of it, so startup stays fast and memory small.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::element::ElementTree;
use crate::error::ElementTreeError;

/// JSON text kept as loaded (a range of its file's text, which all the
/// file's resources share), parsed into a [`Value`] on first access.
#[derive(Debug)]
pub(crate) struct LazyJson {
    file_text: Arc<str>,
    range: Range<usize>,
    parsed: OnceLock<Value>,
}

impl LazyJson {
    pub(crate) fn new(file_text: Arc<str>, range: Range<usize>) -> Self {
        LazyJson {
            file_text,
            range,
            parsed: OnceLock::new(),
        }
    }

    pub(crate) fn raw(&self) -> &str {
        // The range comes from the JSON parser's view of this same text.
        self.file_text.get(self.range.clone()).unwrap_or("null")
    }

    pub(crate) fn value(&self) -> &Value {
        self.parsed.get_or_init(|| {
            // The text was already checked to be well-formed JSON when it was
            // loaded (RawValue validates), so this cannot fail in practice;
            // Null keeps the accessor infallible if it ever did.
            serde_json::from_str(self.raw()).unwrap_or_else(|error| {
                tracing::error!(%error, "re-parsing validated JSON failed");
                Value::Null
            })
        })
    }
}

/// Any canonical resource (it has a `url`): ValueSet, CodeSystem, ConceptMap,
/// OperationDefinition, CapabilityStatement, ...
#[derive(Debug)]
pub struct CanonicalResource {
    pub resource_type: String,
    pub url: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    /// Where it was loaded from: `package-name#version` or a file path.
    pub source: String,
    pub(crate) json: LazyJson,
}

impl CanonicalResource {
    /// The full resource JSON (parsed on first call, then cached).
    pub fn json(&self) -> &Value {
        self.json.value()
    }

    /// The resource JSON text exactly as it appears in the package.
    pub fn raw_json(&self) -> &str {
        self.json.raw()
    }

    /// `url|version`, or just `url` without a version.
    pub fn versioned_url(&self) -> String {
        match &self.version {
            Some(version) => format!("{}|{}", self.url, version),
            None => self.url.clone(),
        }
    }
}

/// `StructureDefinition.kind`, which is also what FHIRPath calls the kind of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeKind {
    PrimitiveType,
    ComplexType,
    Resource,
    Logical,
}

impl TypeKind {
    pub fn parse(code: &str) -> Option<TypeKind> {
        match code {
            "primitive-type" => Some(TypeKind::PrimitiveType),
            "complex-type" => Some(TypeKind::ComplexType),
            "resource" => Some(TypeKind::Resource),
            "logical" => Some(TypeKind::Logical),
            _ => None,
        }
    }
}

/// `StructureDefinition.derivation`: a new type, or a profile on one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    Specialization,
    Constraint,
}

/// A StructureDefinition with the header fields every caller needs; the
/// element tree is compiled from its snapshot on first use.
#[derive(Debug)]
pub struct StructureDefinition {
    pub resource: CanonicalResource,
    /// `StructureDefinition.type`: the type defined or constrained ("Patient").
    pub type_name: String,
    pub kind: TypeKind,
    pub is_abstract: bool,
    /// None only for the roots (Element, Resource).
    pub derivation: Option<Derivation>,
    pub base_definition: Option<String>,
    pub has_snapshot: bool,
    pub(crate) tree: OnceLock<Result<ElementTree, ElementTreeError>>,
    /// For a definition published without snapshot: the `snapshot.element`
    /// list generated at load, as compact JSON text (see `snapshot`).
    pub(crate) generated_snapshot: OnceLock<Result<Arc<str>, ElementTreeError>>,
}

impl StructureDefinition {
    pub fn url(&self) -> &str {
        &self.resource.url
    }

    pub fn json(&self) -> &Value {
        self.resource.json()
    }

    /// True for a type definition (not a profile on a type).
    pub fn is_type_definition(&self) -> bool {
        self.derivation != Some(Derivation::Constraint)
    }

    /// The snapshot generated at load for a definition published without
    /// one: Some(Ok(elements as JSON text)), Some(Err(why not)), or None.
    pub fn generated_snapshot(&self) -> Option<Result<&str, &ElementTreeError>> {
        self.generated_snapshot
            .get()
            .map(|result| result.as_ref().map(|text| text.as_ref()))
    }

    /// The compiled element tree of the snapshot, published or generated
    /// (compiled once, cached).
    pub fn element_tree(&self) -> Result<&ElementTree, ElementTreeError> {
        self.tree
            .get_or_init(|| crate::compile::compile_tree(self))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// One component of a composite SearchParameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchParameterComponent {
    pub definition: String,
    pub expression: String,
}

/// A SearchParameter, fully typed (they are small and search needs them all).
#[derive(Debug)]
pub struct SearchParameter {
    pub resource: CanonicalResource,
    pub code: String,
    /// Resource types it applies to (`Resource` means every type).
    pub base: Vec<String>,
    /// number | date | string | token | reference | composite | quantity | uri | special
    pub param_type: String,
    pub expression: Option<String>,
    pub xpath: Option<String>,
    pub target: Vec<String>,
    pub modifier: Vec<String>,
    pub comparator: Vec<String>,
    pub chain: Vec<String>,
    pub multiple_or: Option<bool>,
    pub multiple_and: Option<bool>,
    pub component: Vec<SearchParameterComponent>,
}

impl SearchParameter {
    pub fn url(&self) -> &str {
        &self.resource.url
    }
}
