//! What the engine needs to know about the FHIR type model, as a trait so
//! that the engine does not depend on how definitions are loaded. The
//! `fhir-package` adapter implements it for the R4 core package; unit tests
//! use the small table-driven [`StaticModel`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::TypeName;

/// One type an element can have. For a choice element the JSON key is the
/// element name plus `json_suffix` (`value` + `Quantity`).
#[derive(Debug, Clone)]
pub struct ChildType {
    /// FHIR type name, or the element path for backbone elements
    /// (`Patient.contact`), or `Resource` for contained resources.
    pub type_name: TypeName,
    pub json_suffix: String,
}

#[derive(Debug, Clone)]
pub struct ChildInfo {
    pub types: Vec<ChildType>,
    pub is_choice: bool,
    pub is_array: bool,
}

pub trait ModelProvider: Send + Sync {
    /// The element `name` of a type or backbone element path.
    fn child(&self, parent: &str, name: &str) -> Option<Arc<ChildInfo>>;
    /// The type this one derives from (`code` -> `string`,
    /// `Patient` -> `DomainResource`, `Patient.contact` -> `BackboneElement`).
    fn base_type(&self, type_name: &str) -> Option<TypeName>;
    fn is_resource_type(&self, type_name: &str) -> bool;
    /// Whether `type_name` names a FHIR type at all.
    fn is_type(&self, type_name: &str) -> bool;

    /// The element and type for a JSON key, undoing choice suffixes
    /// (`valueQuantity` -> element `value`, type `Quantity`).
    fn child_by_json_key(&self, parent: &str, key: &str) -> Option<ChildType> {
        if let Some(info) = self.child(parent, key) {
            if !info.is_choice {
                return info.types.first().cloned();
            }
        }
        for (split, c) in key.char_indices().skip(1) {
            if !c.is_ascii_uppercase() {
                continue;
            }
            let (base, suffix) = key.split_at(split);
            if let Some(info) = self.child(parent, base) {
                if info.is_choice {
                    return info.types.iter().find(|t| t.json_suffix == suffix).cloned();
                }
            }
        }
        None
    }

    /// True when `type_name` is `ancestor` or derives from it.
    fn derives_from(&self, type_name: &str, ancestor: &str) -> bool {
        if type_name == ancestor {
            return true;
        }
        let mut current = self.base_type(type_name);
        for _ in 0..32 {
            match current {
                Some(base) if &*base == ancestor => return true,
                Some(base) => current = self.base_type(&base),
                None => return false,
            }
        }
        false
    }

    /// A shared name for a type (providers may cache them so that typing a
    /// resource costs no allocation).
    fn intern_type(&self, type_name: &str) -> TypeName {
        Arc::from(type_name)
    }

    /// The shared name of `type_name` when it is a resource type.
    fn resource_type_name(&self, type_name: &str) -> Option<TypeName> {
        self.is_resource_type(type_name)
            .then(|| self.intern_type(type_name))
    }
}

/// Upper-cases the first letter: the JSON suffix of a choice type.
pub fn choice_suffix(type_code: &str) -> String {
    let mut chars = type_code.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A hand-built model: enough of FHIR for tests and small embedders.
#[derive(Default)]
pub struct StaticModel {
    children: HashMap<(String, String), Arc<ChildInfo>>,
    bases: HashMap<String, TypeName>,
    resources: Vec<String>,
}

impl StaticModel {
    pub fn new() -> StaticModel {
        StaticModel::default()
    }

    /// Declares `parent.name` with its types; more than one type (or a name
    /// ending in `[x]`) makes it a choice element.
    pub fn element(
        mut self,
        parent: &str,
        name: &str,
        types: &[&str],
        is_array: bool,
    ) -> StaticModel {
        let (name, choice) = match name.strip_suffix("[x]") {
            Some(base) => (base, true),
            None => (name, types.len() > 1),
        };
        let types = types
            .iter()
            .map(|t| ChildType {
                type_name: if *t == "BackboneElement" {
                    Arc::from(format!("{parent}.{name}"))
                } else {
                    Arc::from(*t)
                },
                json_suffix: if choice {
                    choice_suffix(t)
                } else {
                    String::new()
                },
            })
            .collect();
        self.children.insert(
            (parent.to_string(), name.to_string()),
            Arc::new(ChildInfo {
                types,
                is_choice: choice,
                is_array,
            }),
        );
        self
    }

    pub fn base(mut self, type_name: &str, base: &str) -> StaticModel {
        self.bases.insert(type_name.to_string(), Arc::from(base));
        self
    }

    pub fn resource(mut self, type_name: &str) -> StaticModel {
        self.resources.push(type_name.to_string());
        self.base(type_name, "DomainResource")
    }
}

impl ModelProvider for StaticModel {
    fn child(&self, parent: &str, name: &str) -> Option<Arc<ChildInfo>> {
        self.children
            .get(&(parent.to_string(), name.to_string()))
            .cloned()
    }

    fn base_type(&self, type_name: &str) -> Option<TypeName> {
        self.bases.get(type_name).cloned()
    }

    fn is_resource_type(&self, type_name: &str) -> bool {
        self.resources.iter().any(|r| r == type_name)
    }

    fn is_type(&self, type_name: &str) -> bool {
        self.bases.contains_key(type_name) || self.children.keys().any(|(p, _)| p == type_name)
    }
}
