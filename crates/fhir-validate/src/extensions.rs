//! Extensions: each is checked against its own definition (resolved by url
//! through `fhir-package`, or the slice of a complex extension it was
//! sorted into), with ext-1 checked natively (a value or nested extensions,
//! not both). An unknown extension is a warning, modifier or not (the
//! definition may simply not be loaded here); a profile that closes the
//! extension slicing turns it into an error through slicing. Where an
//! extension may be used (its context, and `modifierExtension` for modifier
//! extensions) is checked by [`crate::extension_context`].

use crate::invariants::ResourceScope;
use crate::report::{IssueType, Sink};
use crate::structure::Item;
use crate::Engine;
use fhir_package::{ElementDef, ElementId, ElementTree};
use serde_json::{Map, Value};

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_extension(
        &self,
        tree: &ElementTree,
        id: ElementId,
        def: &ElementDef,
        obj: &Map<String, Value>,
        item: &Item,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let has_value = obj.keys().any(|k| k.starts_with("value"));
        let has_nested = obj.contains_key("extension");
        if has_value == has_nested {
            let detail = if has_value {
                "constraint ext-1 failed: an extension must have either extensions or a value, not both"
            } else {
                "constraint ext-1 failed: an extension needs a value[x] or nested extensions"
            };
            sink.error(IssueType::Invariant, &item.expr(), detail.into());
        }
        let Some(url) = obj.get("url").and_then(Value::as_str) else {
            // Missing url: reported by cardinality (Extension.url is 1..1).
            self.walk_with_base_extension(obj, item, scope, sink);
            return;
        };
        // A slice of a complex extension (or a profiled extension element)
        // whose children are in this tree.
        if def.slice_name.is_some() && !tree.children_of(id).is_empty() {
            self.walk_object(tree, id, obj, &item.path, scope, sink);
            return;
        }
        let profile = def
            .types
            .first()
            .and_then(|t| t.profiles.first())
            .map(String::as_str);
        let definition_url = match profile {
            Some(p) if def.slice_name.is_some() => p,
            _ => url,
        };
        let ext_tree = self
            .defs
            .structure_definition(definition_url)
            .and_then(|sd| sd.element_tree().ok());
        match ext_tree {
            Some(ext_tree) => {
                if !scope.profile_walk {
                    let rt = scope.resource_type();
                    self.check_extension_use(definition_url, ext_tree, item, rt, sink);
                }
                self.walk_object(ext_tree, ext_tree.root(), obj, &item.path, scope, sink);
                if let Some(root) = ext_tree.get(ext_tree.root()) {
                    self.check_constraints(root, item, scope, sink);
                }
            }
            None if url.contains(':') => {
                let detail = format!("unknown extension '{url}': its content cannot be checked");
                sink.warning(IssueType::NotSupported, &item.expr(), detail);
                self.walk_with_base_extension(obj, item, scope, sink);
            }
            // A relative url names a part of a complex extension whose
            // definition did not slice it: the parent checks it.
            None => self.walk_with_base_extension(obj, item, scope, sink),
        }
    }

    fn walk_with_base_extension(
        &self,
        obj: &Map<String, Value>,
        item: &Item,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        if let Some(base) = self.type_tree("Extension") {
            self.walk_object(base, base.root(), obj, &item.path, scope, sink);
        }
    }
}
