//! Slicing: the repeats of a sliced element are sorted into slices by the
//! discriminators (value, pattern, type, exists; profile is approximated by
//! the type of the target), then each slice's cardinality, the rules
//! (closed: no unmatched item; openAtEnd: unmatched items only at the end)
//! and `ordered` are checked. Each matched item is then validated against
//! its slice's definition.

use crate::report::{IssueType, Sink};
use crate::structure::Item;
use crate::values::matches_pattern;
use crate::Engine;
use fhir_package::{Discriminator, ElementDef, ElementId, ElementTree, TypeRef};
use fnv::FnvHashMap;
use serde_json::Value;
use smallvec::SmallVec;
use std::sync::RwLock;

/// The element a discriminator's path leads to from a slice, by (tree
/// address, slice, discriminator address): trees and their discriminators
/// live, unmoved, as long as the engine's definitions (as for the
/// constraint plans).
#[derive(Default)]
pub(crate) struct DiscriminatorMemo {
    targets: RwLock<FnvHashMap<(usize, ElementId, usize), Option<ElementId>>>,
}

/// Values found at a discriminator path: usually one or two.
type Found<'v> = SmallVec<[&'v Value; 4]>;

impl Engine {
    /// The slice each item belongs to (None: no slice matched).
    pub(crate) fn assign_slices(
        &self,
        tree: &ElementTree,
        def: &ElementDef,
        items: &[(Item, Option<&TypeRef>)],
        sink: &mut Sink,
    ) -> Vec<Option<ElementId>> {
        let Some(slicing) = &def.slicing else {
            return Vec::new();
        };
        let slices = &def.slices;
        let assigned: Vec<Option<ElementId>> = items
            .iter()
            .map(|(item, _)| {
                let value = item.value?;
                slices.iter().copied().find(|slice| {
                    slicing
                        .discriminators
                        .iter()
                        .all(|d| self.discriminator_matches(tree, *slice, d, value))
                })
            })
            .collect();
        // Rendered only when a slice's cardinality is wrong.
        let base_expr = || match items.first() {
            Some((i, _)) => {
                let expr = i.expr();
                match expr.rsplit_once('[') {
                    Some((base, _)) => base.to_string(),
                    None => expr,
                }
            }
            None => def.name.clone(),
        };
        for slice in slices {
            let Some(slice_def) = tree.get(*slice) else {
                continue;
            };
            let count = assigned.iter().filter(|a| **a == Some(*slice)).count();
            let name = slice_def.slice_name.as_deref().unwrap_or("?");
            if count < slice_def.min as usize {
                sink.error(
                    IssueType::Required,
                    &base_expr(),
                    format!(
                        "slice '{name}' requires at least {} item(s), found {count}",
                        slice_def.min
                    ),
                );
            }
            if !slice_def.max.allows(count) {
                sink.error(
                    IssueType::Structure,
                    &base_expr(),
                    format!("slice '{name}' allows fewer items than the {count} found"),
                );
            }
        }
        let position = |a: &Option<ElementId>| a.and_then(|s| slices.iter().position(|x| *x == s));
        let mut last_matched = None;
        let mut seen_unmatched = false;
        for ((item, _), slot) in items.iter().zip(&assigned) {
            match position(slot) {
                None => {
                    seen_unmatched = true;
                    if slicing.rules == "closed" {
                        sink.error(
                            IssueType::Structure,
                            &item.expr(),
                            "does not match any slice and the slicing is closed".into(),
                        );
                    }
                }
                Some(p) => {
                    if slicing.rules == "openAtEnd" && seen_unmatched {
                        sink.error(
                            IssueType::Structure,
                            &item.expr(),
                            "slicing is openAtEnd: items outside the slices must come last".into(),
                        );
                    }
                    if slicing.ordered && last_matched.is_some_and(|l| p < l) {
                        sink.error(
                            IssueType::Structure,
                            &item.expr(),
                            "slices are ordered and this item comes out of order".into(),
                        );
                    }
                    last_matched = Some(p);
                }
            }
        }
        assigned
    }

    fn discriminator_matches(
        &self,
        tree: &ElementTree,
        slice: ElementId,
        d: &Discriminator,
        value: &Value,
    ) -> bool {
        let path = d.path.trim();
        let target = if path == "$this" {
            Some(slice)
        } else {
            self.discriminator_target(tree, slice, d, path)
        };
        let found = values_at(value, path);
        match d.kind.as_str() {
            "value" | "pattern" => {
                let Some(target_def) = target.and_then(|t| tree.get(t)) else {
                    return self.extension_url_matches(tree, slice, path, &found);
                };
                match target_def.fixed.as_ref().or(target_def.pattern.as_ref()) {
                    Some(expected) => found.iter().any(|v| matches_pattern(v, &expected.value)),
                    None => self.extension_url_matches(tree, slice, path, &found),
                }
            }
            "exists" => {
                let must_exist = target.and_then(|t| tree.get(t)).is_some_and(|t| t.min > 0);
                must_exist != found.is_empty()
            }
            "type" | "profile" => {
                let Some(target_def) = target.and_then(|t| tree.get(t)) else {
                    return true;
                };
                if target_def.types.is_empty() {
                    return true;
                }
                // A slice may allow several types (Practitioner or
                // PractitionerRole): an item of any of them belongs to it.
                found
                    .iter()
                    .any(|v| match v.get("resourceType").and_then(Value::as_str) {
                        Some(rt) => target_def
                            .types
                            .iter()
                            .any(|t| rt == t.code || t.code == "Resource"),
                        None => true,
                    })
            }
            _ => true,
        }
    }

    fn discriminator_target(
        &self,
        tree: &ElementTree,
        slice: ElementId,
        d: &Discriminator,
        path: &str,
    ) -> Option<ElementId> {
        let key = (
            tree as *const ElementTree as usize,
            slice,
            d as *const Discriminator as usize,
        );
        let memo = &self.discriminator_targets.targets;
        if let Ok(known) = memo.read() {
            if let Some(found) = known.get(&key) {
                return *found;
            }
        }
        let target = tree
            .get(slice)
            .and_then(|s| tree.element(&format!("{}.{}", s.id, path)));
        if let Ok(mut known) = memo.write() {
            known.insert(key, target);
        }
        target
    }

    /// Extension slices are discriminated by `url`, which the snapshot often
    /// leaves to the extension's own definition (type profile).
    fn extension_url_matches(
        &self,
        tree: &ElementTree,
        slice: ElementId,
        path: &str,
        found: &[&Value],
    ) -> bool {
        if path != "url" {
            return false;
        }
        let Some(slice_def) = tree.get(slice) else {
            return false;
        };
        let expected = slice_def
            .types
            .first()
            .and_then(|t| t.profiles.first())
            .map(String::as_str);
        let expected = expected.or(slice_def.slice_name.as_deref());
        found.iter().any(|v| v.as_str() == expected)
    }
}

/// The values at a simple dotted discriminator path, flattening arrays;
/// `extension('url')` selects extensions by url; `ofType()`/`resolve()`
/// steps are passed through.
fn values_at<'v>(value: &'v Value, path: &str) -> Found<'v> {
    let mut current: Found<'v> = SmallVec::new();
    current.push(value);
    if path == "$this" {
        return current;
    }
    for step in path.split('.') {
        let mut next = Found::new();
        if let Some(url) = step
            .strip_prefix("extension('")
            .and_then(|s| s.strip_suffix("')"))
        {
            for v in &current {
                if let Some(Value::Array(exts)) = v.get("extension") {
                    next.extend(
                        exts.iter()
                            .filter(|e| e.get("url").and_then(Value::as_str) == Some(url)),
                    );
                }
            }
        } else if step.starts_with("ofType(") || step == "resolve()" {
            next = current.clone();
        } else {
            for v in &current {
                match v.get(step) {
                    Some(Value::Array(items)) => next.extend(items.iter()),
                    Some(single) => next.push(single),
                    None => {}
                }
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::values_at;
    use serde_json::json;

    #[test]
    fn paths_flatten_arrays_and_select_extensions() {
        let v = json!({ "coding": [{ "system": "a" }, { "system": "b" }],
                        "extension": [{ "url": "u", "valueCode": "x" }] });
        assert_eq!(
            values_at(&v, "coding.system").to_vec(),
            vec![&json!("a"), &json!("b")]
        );
        assert_eq!(
            values_at(&v, "extension('u').valueCode").to_vec(),
            vec![&json!("x")]
        );
        assert_eq!(values_at(&v, "$this").len(), 1);
        assert!(values_at(&v, "nothing.here").is_empty());
    }
}
