//! The type model FHIRPath needs: children of a type or backbone element by
//! JSON property name, base types, kinds, and choice-property splitting.
//! Everything is read from the core type definitions' element trees.

use crate::definitions::FhirDefinitions;
use crate::element::{type_suffix, ElementDef, ElementId, ElementTree, TypeRef};
use crate::resource::{Derivation, TypeKind};

/// A child element as seen from its parent type or backbone element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChildElement<'a> {
    /// The element path to use as `parent` for its own children
    /// ("Patient.contact"). For a `contentReference` child this is the path
    /// of the referenced element ("Questionnaire.item" for Questionnaire.item.item).
    pub path: &'a str,
    /// Allowed types; several for a choice.
    pub types: &'a [TypeRef],
    pub is_choice: bool,
    /// max is not "1" (nor "0").
    pub is_array: bool,
    pub min: u32,
}

impl FhirDefinitions {
    /// Finds the element tree of a type name or element path and the element
    /// inside it ("Patient" -> root, "Patient.contact" -> that backbone element).
    fn locate(&self, parent: &str) -> Option<(&ElementTree, ElementId)> {
        let type_name = parent.split('.').next()?;
        let tree = self
            .structure_definition_for_type(type_name)?
            .element_tree()
            .ok()?;
        let id = tree.element(parent)?;
        Some((tree, id))
    }

    /// The child `name` (JSON property name, without a choice's type suffix)
    /// of a type ("HumanName", "Patient") or backbone element path ("Patient.contact").
    pub fn child_element(&self, parent: &str, name: &str) -> Option<ChildElement<'_>> {
        let (tree, parent_id) = self.locate(parent)?;
        let child_id = tree
            .children_of(parent_id)
            .iter()
            .copied()
            .find(|id| tree.get(*id).is_some_and(|element| element.name == name))?;
        let child = tree.get(child_id)?;
        let content = tree.get(tree.content_of(child_id))?;
        Some(ChildElement {
            path: &content.path,
            types: &content.types,
            is_choice: child.is_choice,
            is_array: child.is_array(),
            min: child.min,
        })
    }

    /// All children of a type or backbone element path, in definition order.
    pub fn child_elements(&self, parent: &str) -> Vec<(&str, ChildElement<'_>)> {
        let Some((tree, parent_id)) = self.locate(parent) else {
            return Vec::new();
        };
        tree.children_of(parent_id)
            .iter()
            .filter_map(|id| {
                let child: &ElementDef = tree.get(*id)?;
                let content = tree.get(tree.content_of(*id))?;
                Some((
                    child.name.as_str(),
                    ChildElement {
                        path: &content.path,
                        types: &content.types,
                        is_choice: child.is_choice,
                        is_array: child.is_array(),
                        min: child.min,
                    },
                ))
            })
            .collect()
    }

    /// Splits a JSON property of a choice element into the element name and
    /// the type: ("Observation", "valueQuantity") -> ("value", "Quantity"),
    /// ("Observation", "valueString") -> ("value", "string"). None when the
    /// property is not a typed choice property of `parent`.
    pub fn choice_types(&self, parent: &str, property: &str) -> Option<(&str, &str)> {
        let (tree, parent_id) = self.locate(parent)?;
        tree.children_of(parent_id).iter().find_map(|id| {
            let element = tree.get(*id)?;
            if !element.is_choice {
                return None;
            }
            let suffix = property.strip_prefix(element.name.as_str())?;
            let type_ref = element.choice_type_for_suffix(suffix)?;
            Some((element.name.as_str(), type_ref.code.as_str()))
        })
    }

    /// The type a type derives from: Patient -> DomainResource -> Resource,
    /// HumanName -> Element, code -> string, BackboneElement -> Element.
    /// None for the roots (Element, Resource) and unknown names.
    pub fn base_type(&self, type_name: &str) -> Option<&str> {
        let sd = self.structure_definition_for_type(type_name)?;
        let base = self.structure_definition(sd.base_definition.as_deref()?)?;
        Some(base.type_name.as_str())
    }

    /// Whether `type_name` is `ancestor` or derives from it.
    pub fn is_subtype_of(&self, type_name: &str, ancestor: &str) -> bool {
        let mut current = Some(type_name);
        while let Some(name) = current {
            if name == ancestor {
                return true;
            }
            current = self.base_type(name);
        }
        false
    }

    pub fn type_kind(&self, name: &str) -> Option<TypeKind> {
        Some(self.structure_definition_for_type(name)?.kind)
    }

    /// Names of every concrete (non-abstract) resource type.
    pub fn resource_types(&self) -> impl Iterator<Item = &str> {
        self.type_definitions()
            .filter(|sd| sd.kind == TypeKind::Resource && !sd.is_abstract)
            .map(|sd| sd.type_name.as_str())
    }

    /// Every core type definition (not profiles): resources, data types, logical models.
    pub fn type_definitions(&self) -> impl Iterator<Item = &crate::resource::StructureDefinition> {
        self.types
            .values()
            .filter_map(|position| self.structure_definitions.item(*position))
            .filter(|sd| sd.derivation != Some(Derivation::Constraint))
    }

    /// The JSON property name of a choice element for one of its types
    /// ("value", "Quantity") -> "valueQuantity".
    pub fn choice_property_name(name: &str, type_code: &str) -> String {
        format!("{name}{}", type_suffix(type_code))
    }
}
