//! Choices in a differential: `valueQuantity` against the base's
//! `value[x]` narrows the choice to Quantity (or, with `max: "0"`, removes
//! that type); several type-specific names become type slices; constraints
//! below a choice of several types go to a type slice of the one type that
//! has the constrained children.

use serde_json::{json, Map, Value};

use super::tree::Node;
use super::Generator;
use crate::element::type_suffix;
use crate::resource::TypeKind;

type Failure = (String, String);

impl Generator<'_> {
    /// The merged base child given the differential's nodes for it: `exact`
    /// under its own name, `renamed` under type-specific names.
    pub(crate) fn merge_child(
        &mut self,
        base_child: &Node,
        exact: Option<&Node>,
        renamed: Vec<(&Node, String)>,
        child_id: &str,
    ) -> Result<Node, Failure> {
        if let (Some(diff_child), [(renamed_child, code)]) = (exact, renamed.as_slice()) {
            if diff_child.type_codes() == [code.as_str()] {
                let folded = fold_into(diff_child, renamed_child);
                return self.merge(base_child, &folded, child_id);
            }
        }
        Ok(match (exact, renamed.len()) {
            (None, 0) => base_child.clone(),
            (Some(diff_child), 0) => self.merge(base_child, diff_child, child_id)?,
            (None, 1) if is_prohibition(renamed[0].0) && base_child.type_codes().len() > 1 => {
                without_type(base_child, &renamed[0].1)
            }
            (None, 1) => {
                let (diff_child, code) = &renamed[0];
                let narrowed = narrowed_to(diff_child, &base_child.name, code);
                self.merge(base_child, &narrowed, child_id)?
            }
            (exact, _) => {
                let mut combined = exact
                    .cloned()
                    .unwrap_or_else(|| Node::named(&base_child.name));
                for (diff_child, code) in &renamed {
                    let mut slice = narrowed_to(diff_child, &base_child.name, code);
                    slice.slice_name = Some(diff_child.name.clone());
                    combined.slices.push(slice);
                }
                self.merge(base_child, &combined, child_id)?
            }
        })
    }

    /// Constraints below a choice of several types (`value[x].value`) apply
    /// to the one type that has all the constrained children: they move to
    /// a type slice for it (`value[x]:valueQuantity`), which leaves the
    /// other types as they were.
    pub(crate) fn as_type_slice(
        &mut self,
        out: &Node,
        diff: &Node,
        id: &str,
    ) -> Result<Node, Failure> {
        let prefix = out.name.strip_suffix("[x]").ok_or_else(|| {
            (
                id.to_string(),
                "cannot constrain inside an element with several types; constrain it to one type first".to_string(),
            )
        })?;
        let wanted: Vec<&str> = diff
            .children
            .iter()
            .map(|child| child.name.as_str())
            .collect();
        let mut candidates = Vec::new();
        for code in out.type_codes() {
            let Some(sd) = self.defs.structure_definition_for_type(code) else {
                continue;
            };
            if sd.kind != TypeKind::ComplexType {
                continue;
            }
            let root = self.snapshot_root(sd, id)?;
            if wanted
                .iter()
                .all(|name| root.children.iter().any(|child| child.name == *name))
            {
                candidates.push(code.to_string());
            }
        }
        let [code] = candidates.as_slice() else {
            return Err((
                id.to_string(),
                format!(
                    "cannot constrain inside an element with several types ({} of them have {}); constrain it to one type first",
                    candidates.len(),
                    wanted.join(", ")
                ),
            ));
        };
        let mut rewritten = diff.clone();
        let slice = Node {
            name: out.name.clone(),
            slice_name: Some(format!("{prefix}{}", type_suffix(code))),
            element: Some(Map::from_iter([(
                "type".to_string(),
                json!([{ "code": code }]),
            )])),
            children: std::mem::take(&mut rewritten.children),
            slices: Vec::new(),
        };
        rewritten.slices.push(slice);
        Ok(rewritten)
    }
}

/// For `valueQuantity` against `value[x]`: Some(Ok("Quantity")), or an
/// error when the base does not allow that type; None when not a rename.
pub(crate) fn choice_rename(base_child: &Node, diff_name: &str) -> Option<Result<String, String>> {
    let prefix = base_child.name.strip_suffix("[x]")?;
    let suffix = diff_name.strip_prefix(prefix)?;
    if !suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let codes = base_child.type_codes();
    let found = codes.iter().find(|code| type_suffix(code) == suffix);
    Some(match found {
        Some(code) => Ok(code.to_string()),
        None => Err(format!(
            "{diff_name}: type {suffix} is not allowed by the base (allowed: {})",
            codes.join(", ")
        )),
    })
}

/// `value[x]` narrowed to Quantity and `valueQuantity` constrained too:
/// one element, the type-specific one's statements winning.
fn fold_into(diff_child: &Node, renamed: &Node) -> Node {
    let mut folded = diff_child.clone();
    let element = folded.element.get_or_insert_with(Map::new);
    for (key, value) in renamed.element.iter().flatten() {
        element.insert(key.clone(), value.clone());
    }
    folded.children.extend(renamed.children.iter().cloned());
    folded.slices.extend(renamed.slices.iter().cloned());
    folded
}

/// `max: "0"` on a type-specific name (`valueQuantity`).
fn is_prohibition(diff_child: &Node) -> bool {
    diff_child
        .element
        .as_ref()
        .and_then(|element| element.get("max"))
        .and_then(Value::as_str)
        == Some("0")
}

/// `valueQuantity` prohibited where `value[x]` allows other types too: the
/// choice keeps every type but that one.
fn without_type(base_child: &Node, code: &str) -> Node {
    let mut node = base_child.clone();
    if let Some(types) = node
        .element
        .as_mut()
        .and_then(|element| element.get_mut("type"))
        .and_then(Value::as_array_mut)
    {
        types.retain(|type_json| type_json.get("code").and_then(Value::as_str) != Some(code));
    }
    node
}

/// The differential node for `valueQuantity` as one on `value[x]` whose
/// type is Quantity (unless it already narrows the type itself).
fn narrowed_to(diff_child: &Node, base_name: &str, code: &str) -> Node {
    let mut narrowed = diff_child.clone();
    narrowed.name = base_name.to_string();
    let element = narrowed.element.get_or_insert_with(Map::new);
    if !element.contains_key("type") {
        element.insert("type".into(), json!([{ "code": code }]));
    }
    narrowed
}
