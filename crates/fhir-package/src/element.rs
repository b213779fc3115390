//! Compiled element trees: the snapshot of one StructureDefinition as a flat
//! arena of [`ElementDef`]s with parent/child links, slices and resolved
//! `contentReference`s, so validators and FHIRPath can walk it without
//! re-reading the JSON.

use fnv::FnvHashMap as HashMap;

use serde_json::Value;

/// Index of an element inside its [`ElementTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId(pub u32);

impl ElementId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// `ElementDefinition.max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Max {
    Bounded(u32),
    Unbounded,
}

impl Max {
    pub fn is_array(self) -> bool {
        self != Max::Bounded(1) && self != Max::Bounded(0)
    }

    pub fn allows(self, count: usize) -> bool {
        match self {
            Max::Unbounded => true,
            Max::Bounded(max) => count <= max as usize,
        }
    }
}

/// One allowed type of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    /// FHIR type name: "HumanName", "string", "BackboneElement", "Reference"...
    /// FHIRPath system types in the snapshot (`http://hl7.org/fhirpath/System.String`
    /// on `id`, `url` and primitive `value` elements) are mapped to the FHIR type
    /// given by the `structuredefinition-fhir-type` extension, or else to the
    /// FHIR primitive of the same name (System.String -> string,
    /// System.Boolean -> boolean, System.DateTime -> dateTime...).
    pub code: String,
    /// The original system type when `code` was mapped ("System.String"), else None.
    pub system_type: Option<String>,
    pub profiles: Vec<String>,
    pub target_profiles: Vec<String>,
}

/// `ElementDefinition.binding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// required | extensible | preferred | example
    pub strength: String,
    /// Canonical URL of the ValueSet, possibly `url|version`.
    pub value_set: Option<String>,
}

/// `ElementDefinition.constraint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub key: String,
    /// error | warning
    pub severity: String,
    pub human: String,
    pub expression: Option<String>,
    /// Canonical of the StructureDefinition that introduced it.
    pub source: Option<String>,
}

/// `ElementDefinition.slicing.discriminator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discriminator {
    /// value | exists | pattern | type | profile
    pub kind: String,
    pub path: String,
}

/// `ElementDefinition.slicing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slicing {
    pub discriminators: Vec<Discriminator>,
    /// closed | open | openAtEnd
    pub rules: String,
    pub ordered: bool,
    pub description: Option<String>,
}

/// A `fixed[x]` or `pattern[x]` value with the type suffix it was given under.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedValue {
    /// The suffix of the JSON property: "Code" for `fixedCode`.
    pub type_suffix: String,
    pub value: Value,
}

/// The `minValue[x]` and `maxValue[x]` of an element (at least one set).
#[derive(Debug, Clone)]
pub struct ValueLimits {
    pub min: Option<TypedValue>,
    pub max: Option<TypedValue>,
}

/// One element of a snapshot.
#[derive(Debug, Clone)]
pub struct ElementDef {
    /// `ElementDefinition.id` ("Observation.component:systolic.code"); unique in a tree.
    pub id: String,
    /// `ElementDefinition.path` ("Observation.component.code").
    pub path: String,
    /// JSON property name, without `[x]` for choices ("value" for `value[x]`).
    pub name: String,
    pub slice_name: Option<String>,
    pub min: u32,
    pub max: Max,
    pub types: Vec<TypeRef>,
    /// The path ends in `[x]`.
    pub is_choice: bool,
    pub fixed: Option<TypedValue>,
    pub pattern: Option<TypedValue>,
    pub max_length: Option<u32>,
    /// `minValue[x]`/`maxValue[x]`, boxed: few elements have them.
    pub value_limits: Option<Box<ValueLimits>>,
    pub binding: Option<Binding>,
    pub constraints: Vec<Constraint>,
    pub slicing: Option<Slicing>,
    pub is_modifier: bool,
    pub is_summary: bool,
    pub must_support: bool,
    /// The raw `contentReference` ("#Questionnaire.item").
    pub content_reference: Option<String>,
    /// The element that `contentReference` points at, resolved in this tree.
    pub content_target: Option<ElementId>,
    pub parent: Option<ElementId>,
    /// Child elements (not slices), in snapshot order, which is also
    /// ascending `ElementId` order (ids are snapshot positions).
    pub children: Vec<ElementId>,
    /// Slices of this element (elements with a sliceName on the same path).
    pub slices: Vec<ElementId>,
}

impl ElementDef {
    pub fn is_array(&self) -> bool {
        self.max.is_array()
    }

    /// Whether the JSON property `property` is this element ("valueQuantity"
    /// matches `value[x]` when Quantity is one of its types).
    pub fn matches_property(&self, property: &str) -> bool {
        if !self.is_choice {
            return property == self.name;
        }
        match property.strip_prefix(self.name.as_str()) {
            Some(suffix) => self.choice_type_for_suffix(suffix).is_some(),
            None => false,
        }
    }

    /// For a choice element, the type whose JSON suffix is `suffix`
    /// ("Quantity" -> Quantity, "String" -> string).
    pub fn choice_type_for_suffix(&self, suffix: &str) -> Option<&TypeRef> {
        self.types
            .iter()
            .find(|type_ref| is_type_suffix(&type_ref.code, suffix))
    }
}

/// `type_suffix(code) == suffix` without building the suffix: validators
/// ask this for every choice property, over up to ~50 types.
fn is_type_suffix(code: &str, suffix: &str) -> bool {
    let Some(first) = code.chars().next() else {
        return suffix.is_empty();
    };
    let mut rest = suffix;
    for upper in first.to_uppercase() {
        match rest.chars().next() {
            Some(c) if c == upper => rest = &rest[c.len_utf8()..],
            _ => return false,
        }
    }
    rest == &code[first.len_utf8()..]
}

/// The JSON property suffix of a type in a choice: the type name with its
/// first letter upper-cased ("dateTime" -> "DateTime").
pub fn type_suffix(code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The compiled snapshot of one StructureDefinition.
#[derive(Debug, Clone)]
pub struct ElementTree {
    pub url: String,
    pub type_name: String,
    pub(crate) elements: Vec<ElementDef>,
    pub(crate) by_id: HashMap<String, ElementId>,
}

impl ElementTree {
    /// The root element (its path is the type name).
    pub fn root(&self) -> ElementId {
        ElementId(0)
    }

    pub fn get(&self, id: ElementId) -> Option<&ElementDef> {
        self.elements.get(id.index())
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// All elements in snapshot order.
    pub fn elements(&self) -> impl Iterator<Item = (ElementId, &ElementDef)> {
        self.elements
            .iter()
            .enumerate()
            .map(|(index, element)| (ElementId(index as u32), element))
    }

    /// Looks up an element by `ElementDefinition.id` ("Observation.component:systolic.code")
    /// or, for unsliced elements, by path, following `contentReference`s
    /// ("Questionnaire.item.item.linkId" resolves through `#Questionnaire.item`).
    pub fn element(&self, id_or_path: &str) -> Option<ElementId> {
        if let Some(found) = self.by_id.get(id_or_path) {
            return Some(*found);
        }
        let mut segments = id_or_path.split('.');
        let first = segments.next()?;
        let mut current = *self.by_id.get(first)?;
        for segment in segments {
            current = self.child_by_segment(current, segment)?;
        }
        Some(current)
    }

    fn child_by_segment(&self, parent: ElementId, segment: &str) -> Option<ElementId> {
        let (name, slice) = match segment.split_once(':') {
            Some((name, slice)) => (name, Some(slice)),
            None => (segment, None),
        };
        let child = self.child_of(parent, name)?;
        match slice {
            None => Some(child),
            Some(slice_name) => self.slice(child, slice_name),
        }
    }

    /// The element whose children describe `id`'s content: itself, or the
    /// target of its `contentReference`.
    pub fn content_of(&self, id: ElementId) -> ElementId {
        self.get(id)
            .and_then(|element| element.content_target)
            .unwrap_or(id)
    }

    /// Children (not slices) of the element with this id or path.
    pub fn children(&self, id_or_path: &str) -> &[ElementId] {
        match self.element(id_or_path) {
            Some(id) => self.children_of(id),
            None => &[],
        }
    }

    /// Children of an element, through its `contentReference` if it has one.
    pub fn children_of(&self, id: ElementId) -> &[ElementId] {
        match self.get(self.content_of(id)) {
            Some(element) => &element.children,
            None => &[],
        }
    }

    /// The child of `id_or_path` for JSON property name `name` (a choice
    /// matches both "value" and "valueQuantity").
    pub fn child(&self, id_or_path: &str, name: &str) -> Option<ElementId> {
        self.child_of(self.element(id_or_path)?, name)
    }

    pub fn child_of(&self, parent: ElementId, name: &str) -> Option<ElementId> {
        let children = self.children_of(parent);
        let exact = children
            .iter()
            .find(|id| self.get(**id).is_some_and(|element| element.name == name));
        exact
            .or_else(|| {
                children.iter().find(|id| {
                    self.get(**id)
                        .is_some_and(|element| element.matches_property(name))
                })
            })
            .copied()
    }

    /// The slice named `slice_name` of a sliced element.
    pub fn slice(&self, sliced: ElementId, slice_name: &str) -> Option<ElementId> {
        self.get(sliced)?.slices.iter().copied().find(|id| {
            self.get(*id)
                .is_some_and(|element| element.slice_name.as_deref() == Some(slice_name))
        })
    }

    /// Slices of the element with this id or path.
    pub fn slices(&self, id_or_path: &str) -> &[ElementId] {
        match self.element(id_or_path).and_then(|id| self.get(id)) {
            Some(element) => &element.slices,
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_type_suffix, type_suffix};

    #[test]
    fn suffix_test_agrees_with_the_built_suffix() {
        let codes = [
            "",
            "dateTime",
            "Quantity",
            "string",
            "base64Binary",
            "x",
            "ß",
            "éclair",
            "CodeableConcept",
        ];
        let suffixes = [
            "",
            "DateTime",
            "dateTime",
            "Quantity",
            "String",
            "Base64Binary",
            "X",
            "SS",
            "ß",
            "Éclair",
            "CodeableConcept",
            "Date",
            "DateTimeX",
        ];
        for code in codes {
            for suffix in suffixes {
                assert_eq!(
                    is_type_suffix(code, suffix),
                    type_suffix(code) == suffix,
                    "{code:?} {suffix:?}"
                );
            }
            assert!(is_type_suffix(code, &type_suffix(code)), "{code:?}");
        }
    }
}
