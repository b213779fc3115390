//! [`ModelProvider`] over the `fhir-package` definitions (the R4 core type
//! model). Answers are cached per (parent, name), so navigation after the
//! first evaluation costs two hash lookups and no allocation.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use fhir_package::{type_suffix, FhirDefinitions, TypeKind};

use crate::model::{ChildInfo, ChildType, ModelProvider};
use crate::value::TypeName;

type ChildCache = HashMap<String, HashMap<String, Option<Arc<ChildInfo>>>>;

pub struct PackageModel {
    definitions: Arc<FhirDefinitions>,
    children: RwLock<ChildCache>,
    bases: RwLock<HashMap<String, Option<TypeName>>>,
}

impl PackageModel {
    pub fn new(definitions: Arc<FhirDefinitions>) -> PackageModel {
        PackageModel { definitions, children: RwLock::new(HashMap::new()), bases: RwLock::new(HashMap::new()) }
    }

    /// The model of the R4 core package found by `fhir_package::core()`.
    pub fn core() -> Result<PackageModel, fhir_package::PackageError> {
        Ok(PackageModel::new(fhir_package::core()?))
    }

    pub fn definitions(&self) -> &Arc<FhirDefinitions> {
        &self.definitions
    }

    fn load_child(&self, parent: &str, name: &str) -> Option<Arc<ChildInfo>> {
        let element = self.definitions.child_element(parent, name)?;
        let types = element
            .types
            .iter()
            .map(|t| ChildType {
                // Inline complex elements are typed by their path so that
                // their own children can be found.
                type_name: if matches!(t.code.as_str(), "BackboneElement" | "Element") {
                    Arc::from(element.path)
                } else {
                    Arc::from(t.code.as_str())
                },
                json_suffix: if element.is_choice { type_suffix(&t.code) } else { String::new() },
            })
            .collect();
        Some(Arc::new(ChildInfo { types, is_choice: element.is_choice, is_array: element.is_array }))
    }

    fn load_base(&self, type_name: &str) -> Option<TypeName> {
        if let Some((parent, name)) = type_name.rsplit_once('.') {
            // A backbone path: its declared type (BackboneElement or Element).
            let element = self.definitions.child_element(parent, name)?;
            return element.types.first().map(|t| Arc::from(t.code.as_str()));
        }
        self.definitions.base_type(type_name).map(Arc::from)
    }
}

impl ModelProvider for PackageModel {
    fn child(&self, parent: &str, name: &str) -> Option<Arc<ChildInfo>> {
        if let Ok(cache) = self.children.read() {
            if let Some(found) = cache.get(parent).and_then(|m| m.get(name)) {
                return found.clone();
            }
        }
        let loaded = self.load_child(parent, name);
        if let Ok(mut cache) = self.children.write() {
            cache.entry(parent.to_string()).or_default().insert(name.to_string(), loaded.clone());
        }
        loaded
    }

    fn base_type(&self, type_name: &str) -> Option<TypeName> {
        if let Ok(cache) = self.bases.read() {
            if let Some(found) = cache.get(type_name) {
                return found.clone();
            }
        }
        let loaded = self.load_base(type_name);
        if let Ok(mut cache) = self.bases.write() {
            cache.insert(type_name.to_string(), loaded.clone());
        }
        loaded
    }

    fn is_resource_type(&self, type_name: &str) -> bool {
        self.definitions.type_kind(type_name) == Some(TypeKind::Resource)
    }

    fn is_type(&self, type_name: &str) -> bool {
        self.definitions.type_kind(type_name).is_some()
    }
}
