//! References and contained resources: local `#id` references must resolve
//! to a contained resource (ref-1), the referenced type must be one the
//! element's targetProfiles allow (a profile naming target profiles this
//! server does not know is an error: the reference cannot be checked), and
//! every contained resource must be referenced from elsewhere in its
//! container or refer to it (dom-3).

use crate::invariants::ResourceScope;
use crate::path::Path;
use crate::report::{IssueType, Sink};
use crate::Engine;
use fhir_package::TypeRef;
use fnv::FnvHashMap;
use serde_json::{Map, Value};
use smallvec::SmallVec;
use std::sync::{Arc, RwLock};

/// Allowed target types by `TypeRef` address. Keyed like the constraint
/// plans: element trees live in the definitions the engine holds an `Arc`
/// of and never move or are freed while it lives, so an address names one
/// `TypeRef` for the engine's whole life.
#[derive(Default)]
pub(crate) struct TargetMemo {
    targets: RwLock<FnvHashMap<usize, Arc<[String]>>>,
}

impl Engine {
    pub(crate) fn check_reference(
        &self,
        type_ref: &TypeRef,
        obj: &Map<String, Value>,
        path: &Path,
        scope: &ResourceScope,
        sink: &mut Sink,
    ) {
        let reference = obj.get("reference").and_then(Value::as_str);
        let target_type = match reference {
            Some(r) if r.starts_with('#') => match scope.local_type(&r[1..]) {
                Some(t) => Some(t),
                None if r == "#" => None,
                None => {
                    sink.error(
                        IssueType::NotFound,
                        &path.field("reference").render(),
                        format!("'{r}' does not match the id of any contained resource"),
                    );
                    return;
                }
            },
            Some(r) => self.type_in_url(r),
            None => None,
        };
        let declared = obj.get("type").and_then(Value::as_str);
        if scope.profile_walk {
            self.check_target_profiles_known(type_ref, path, sink);
        }
        let allowed = self.allowed_targets_memo(type_ref);
        if allowed.is_empty() {
            return;
        }
        for (found, at) in [(target_type.as_deref(), "reference"), (declared, "type")] {
            let Some(found) = found else { continue };
            if !allowed.iter().any(|a| a == found) {
                sink.error(
                    IssueType::Value,
                    &path.field(at).render(),
                    format!(
                        "a reference to {found} is not allowed here (allowed: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// A profile that restricts a reference to target profiles this server
    /// does not know cannot be checked: like an unknown requested profile,
    /// that is an error (core definitions name only known ones).
    fn check_target_profiles_known(&self, type_ref: &TypeRef, path: &Path, sink: &mut Sink) {
        for url in &type_ref.target_profiles {
            if self.defs.structure_definition(url).is_none() {
                sink.error(
                    IssueType::NotSupported,
                    &path.render(),
                    format!("target profile {url} is not known to this server; the reference cannot be checked against it"),
                );
            }
        }
    }

    fn allowed_targets_memo(&self, type_ref: &TypeRef) -> Arc<[String]> {
        let key = type_ref as *const TypeRef as usize;
        let memo = &self.reference_targets.targets;
        if let Ok(known) = memo.read() {
            if let Some(found) = known.get(&key) {
                return found.clone();
            }
        }
        let allowed: Arc<[String]> = self.allowed_targets(type_ref).into();
        if let Ok(mut known) = memo.write() {
            known.insert(key, allowed.clone());
        }
        allowed
    }

    /// Resource types allowed by the targetProfiles; empty means any.
    fn allowed_targets(&self, type_ref: &TypeRef) -> Vec<String> {
        let mut out = Vec::new();
        for url in &type_ref.target_profiles {
            match self.defs.structure_definition(url) {
                Some(sd) if sd.type_name == "Resource" => return Vec::new(),
                Some(sd) => out.push(sd.type_name.clone()),
                // A target profile we do not know: cannot restrict.
                None => return Vec::new(),
            }
        }
        out
    }

    /// The resource type in a RESTful reference (`Patient/1`,
    /// `http://x/fhir/Patient/1/_history/2`); None for other forms.
    fn type_in_url(&self, reference: &str) -> Option<String> {
        if reference.starts_with("urn:") {
            return None;
        }
        let end = reference
            .bytes()
            .position(|b| b == b'?' || b == b'#')
            .unwrap_or(reference.len());
        let segments = segments_from_end(reference.get(..end).unwrap_or(reference));
        // The type is the second segment before the last `_history`, or
        // else the second last.
        let candidate = match segments.iter().position(|s| *s == "_history") {
            Some(history) => segments.get(history + 2)?,
            None => segments.get(1)?,
        };
        (self.defs.type_kind(candidate) == Some(fhir_package::TypeKind::Resource))
            .then(|| candidate.to_string())
    }

    /// dom-3: each contained resource is referenced (`#id`) from elsewhere
    /// in the container, or itself refers to the container (`#`).
    pub(crate) fn check_contained_referenced(
        &self,
        obj: &Map<String, Value>,
        expr: &str,
        sink: &mut Sink,
    ) {
        let Some(Value::Array(contained)) = obj.get("contained") else {
            return;
        };
        let mut outside = Vec::new();
        for (key, value) in obj {
            if key != "contained" {
                collect_local_refs(value, &mut outside);
            }
        }
        for (i, resource) in contained.iter().enumerate() {
            let Some(id) = resource.get("id").and_then(Value::as_str) else {
                sink.error(
                    IssueType::Required,
                    &format!("{expr}.contained[{i}].id"),
                    "a contained resource must have an id".into(),
                );
                continue;
            };
            let mut own = Vec::new();
            collect_local_refs(resource, &mut own);
            let from_siblings = contained.iter().enumerate().any(|(j, other)| {
                let mut refs = Vec::new();
                if j != i {
                    collect_local_refs(other, &mut refs);
                }
                refs.iter().any(|r| r.get(1..) == Some(id))
            });
            let referenced = outside.iter().any(|r| r.get(1..) == Some(id)) || from_siblings;
            if !(referenced || own.contains(&"#")) {
                sink.error(
                    IssueType::Invariant,
                    &format!("{expr}.contained[{i}]"),
                    format!("constraint dom-3 failed: contained resource '{id}' is not referenced from the rest of the resource"),
                );
            }
        }
    }
}

/// The non-empty '/'-separated segments of `path`, last first.
fn segments_from_end(path: &str) -> SmallVec<[&str; 8]> {
    let mut segments = SmallVec::new();
    let mut end = path.len();
    for (at, byte) in path.bytes().enumerate().rev() {
        if byte == b'/' {
            // '/' is ASCII, so `at` and `at + 1` are character boundaries.
            if let Some(segment) = path.get(at + 1..end).filter(|s| !s.is_empty()) {
                segments.push(segment);
            }
            end = at;
        }
    }
    if let Some(segment) = path.get(..end).filter(|s| !s.is_empty()) {
        segments.push(segment);
    }
    segments
}

/// Every string starting with '#' (references and canonicals to contained
/// resources), except narrative XHTML where '#' anchors mean something else.
fn collect_local_refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) if s.starts_with('#') => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_local_refs(v, out)),
        Value::Object(obj) => obj
            .iter()
            .filter(|(k, _)| k.as_str() != "div")
            .for_each(|(_, v)| collect_local_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::segments_from_end;

    #[test]
    fn segments_come_last_first_without_empty_ones() {
        let all = |p| segments_from_end(p).to_vec();
        assert_eq!(all("Patient/1"), vec!["1", "Patient"]);
        assert_eq!(
            all("http://x/fhir/Patient/1/_history/2"),
            vec!["2", "_history", "1", "Patient", "fhir", "x", "http:"]
        );
        assert_eq!(all("//a//b/"), vec!["b", "a"]);
        assert!(all("").is_empty());
        assert!(all("///").is_empty());
    }
}
