//! [`ModelProvider`] over the `fhir-package` definitions (the R4 core type
//! model). Answers are cached per (parent, name), so navigation after the
//! first evaluation costs two hash lookups and no allocation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, RwLock};

use fhir_package::{type_suffix, FhirDefinitions, TypeKind};

use crate::model::{ChildInfo, ChildType, ModelProvider};
use crate::value::TypeName;

/// FNV-1a: the cache keys are short type and element names, for which
/// SipHash costs more than the lookup itself.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
type ChildCache = FastMap<String, FastMap<String, Option<Arc<ChildInfo>>>>;

/// What the engine asks about a type name, computed once.
struct TypeFacts {
    name: TypeName,
    /// Base, base of base... up to Element/Resource.
    ancestors: Vec<TypeName>,
    kind: Option<TypeKind>,
}

pub struct PackageModel {
    definitions: Arc<FhirDefinitions>,
    children: RwLock<ChildCache>,
    types: RwLock<FastMap<String, Arc<TypeFacts>>>,
}

impl PackageModel {
    pub fn new(definitions: Arc<FhirDefinitions>) -> PackageModel {
        PackageModel {
            definitions,
            children: RwLock::default(),
            types: RwLock::default(),
        }
    }

    /// The model of the R4 core package found by `fhir_package::core()`.
    pub fn core() -> Result<PackageModel, fhir_package::PackageError> {
        Ok(PackageModel::new(fhir_package::core()?))
    }

    pub fn definitions(&self) -> &Arc<FhirDefinitions> {
        &self.definitions
    }

    /// Answers from the cached facts of a type, computing them once.
    fn with_facts<R>(&self, type_name: &str, answer: impl Fn(&TypeFacts) -> R) -> R {
        if let Ok(cache) = self.types.read() {
            if let Some(found) = cache.get(type_name) {
                return answer(found);
            }
        }
        answer(&self.facts(type_name))
    }

    fn facts(&self, type_name: &str) -> Arc<TypeFacts> {
        if let Ok(cache) = self.types.read() {
            if let Some(found) = cache.get(type_name) {
                return found.clone();
            }
        }
        let mut ancestors = Vec::new();
        let mut current = self.load_base(type_name);
        while let Some(base) = current {
            if ancestors.len() >= 32 {
                break;
            }
            current = self.load_base(&base);
            ancestors.push(base);
        }
        let kind = if type_name.contains('.') {
            None
        } else {
            self.definitions.type_kind(type_name)
        };
        let facts = Arc::new(TypeFacts {
            name: Arc::from(type_name),
            ancestors,
            kind,
        });
        // Type names also come from instances (`resourceType`), so only
        // the definitions' own types are remembered: the cache stays bounded
        // by the definitions whatever the traffic.
        let known = facts.kind.is_some() || !facts.ancestors.is_empty();
        if known {
            if let Ok(mut cache) = self.types.write() {
                cache.insert(type_name.to_string(), facts.clone());
            }
        }
        facts
    }

    fn load_child(&self, parent: &str, name: &str) -> Option<Arc<ChildInfo>> {
        let element = self.definitions.child_element(parent, name)?;
        if name == "id" && self.is_resource_like(parent) {
            // R4 types Resource.id as System.String with fhir-type `string`,
            // but FHIRPath (and the test suite) see a resource id as `id`.
            let types = vec![ChildType {
                type_name: Arc::from("id"),
                json_suffix: String::new(),
            }];
            return Some(Arc::new(ChildInfo {
                types,
                is_choice: false,
                is_array: false,
            }));
        }
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
                json_suffix: if element.is_choice {
                    type_suffix(&t.code)
                } else {
                    String::new()
                },
            })
            .collect();
        Some(Arc::new(ChildInfo {
            types,
            is_choice: element.is_choice,
            is_array: element.is_array,
        }))
    }

    fn is_resource_like(&self, type_name: &str) -> bool {
        !type_name.contains('.')
            && self.definitions.type_kind(type_name) == Some(TypeKind::Resource)
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
        // Only children the definitions have are remembered: a miss may be
        // an instance's key or type name, which would grow the cache with
        // the traffic.
        if loaded.is_some() {
            if let Ok(mut cache) = self.children.write() {
                cache
                    .entry(parent.to_string())
                    .or_default()
                    .insert(name.to_string(), loaded.clone());
            }
        }
        loaded
    }

    fn base_type(&self, type_name: &str) -> Option<TypeName> {
        self.with_facts(type_name, |f| f.ancestors.first().cloned())
    }

    fn derives_from(&self, type_name: &str, ancestor: &str) -> bool {
        type_name == ancestor
            || self
                .facts(type_name)
                .ancestors
                .iter()
                .any(|a| &**a == ancestor)
    }

    fn resource_type_name(&self, type_name: &str) -> Option<TypeName> {
        self.with_facts(type_name, |f| {
            (f.kind == Some(TypeKind::Resource)).then(|| f.name.clone())
        })
    }

    fn intern_type(&self, type_name: &str) -> TypeName {
        self.with_facts(type_name, |f| f.name.clone())
    }

    fn is_resource_type(&self, type_name: &str) -> bool {
        self.with_facts(type_name, |f| f.kind == Some(TypeKind::Resource))
    }

    fn is_type(&self, type_name: &str) -> bool {
        self.with_facts(type_name, |f| f.kind.is_some())
    }
}
