//! The differential laid over the base tree. Base children keep their
//! order; a differential child matches the base child of the same name, or
//! a choice by its type-specific name (`valueQuantity` for `value[x]`).
//! Constraining below an element whose children the base leaves out
//! (a datatype, a `contentReference`) first copies them from the type's own
//! definition (or the referenced element). Slices the base has are merged
//! in place; new slices start from the sliced base element.

use serde_json::{json, Map, Value};

use super::element::merge_element;
use super::tree::{type_codes, Node};
use super::Generator;
use crate::element::type_suffix;

/// Where in the profile the generator is, for error messages.
type Failure = (String, String);

impl Generator<'_> {
    pub(crate) fn merge(&mut self, base: &Node, diff: &Node, id: &str) -> Result<Node, Failure> {
        let mut element = base.element_or_empty();
        if let Some(diff_element) = &diff.element {
            merge_element(self.defs, self.url, &mut element, diff_element)
                .map_err(|reason| (id.to_string(), reason))?;
        }
        let mut out = Node {
            name: base.name.clone(),
            slice_name: diff.slice_name.clone().or_else(|| base.slice_name.clone()),
            element: Some(element),
            children: Vec::new(),
            slices: Vec::new(),
        };
        let expanded;
        let base_children = if !diff.children.is_empty() && base.children.is_empty() {
            expanded = self.expand(&out, id)?;
            inline_content_reference(self, &mut out, id)?;
            &expanded
        } else {
            &base.children
        };
        out.children = self.merge_children(base_children, &diff.children, id)?;
        out.slices = self.merge_slices(base, &mut out, diff, id)?;
        Ok(out)
    }

    fn merge_children(
        &mut self,
        base_children: &[Node],
        diff_children: &[Node],
        id: &str,
    ) -> Result<Vec<Node>, Failure> {
        let mut used = vec![false; diff_children.len()];
        let mut out = Vec::with_capacity(base_children.len());
        for base_child in base_children {
            let child_id = format!("{id}.{}", base_child.name);
            let mut exact = None;
            let mut renamed = Vec::new();
            for (index, diff_child) in diff_children.iter().enumerate() {
                if diff_child.name == base_child.name {
                    exact = Some(diff_child);
                    used[index] = true;
                } else if let Some(code) = choice_rename(base_child, &diff_child.name) {
                    renamed.push((
                        diff_child,
                        code.map_err(|reason| (child_id.clone(), reason))?,
                    ));
                    used[index] = true;
                }
            }
            let merged = match (exact, renamed.len()) {
                (None, 0) => base_child.clone(),
                (Some(diff_child), 0) => self.merge(base_child, diff_child, &child_id)?,
                (None, 1) if is_prohibition(renamed[0].0) && base_child.type_codes().len() > 1 => {
                    without_type(base_child, &renamed[0].1)
                }
                (None, 1) => {
                    let (diff_child, code) = &renamed[0];
                    let narrowed = narrowed_to(diff_child, &base_child.name, code);
                    self.merge(base_child, &narrowed, &child_id)?
                }
                (exact, _) => {
                    let mut combined = exact
                        .cloned()
                        .unwrap_or_else(|| Node::named_like(base_child));
                    for (diff_child, code) in &renamed {
                        let mut slice = narrowed_to(diff_child, &base_child.name, code);
                        slice.slice_name = Some(diff_child.name.clone());
                        combined.slices.push(slice);
                    }
                    self.merge(base_child, &combined, &child_id)?
                }
            };
            out.push(merged);
        }
        if let Some(index) = used.iter().position(|used| !used) {
            let name = &diff_children[index].name;
            return Err((
                format!("{id}.{name}"),
                format!("the base has no element {name} here"),
            ));
        }
        Ok(out)
    }

    fn merge_slices(
        &mut self,
        base: &Node,
        out: &mut Node,
        diff: &Node,
        id: &str,
    ) -> Result<Vec<Node>, Failure> {
        let mut slices = Vec::new();
        for base_slice in &base.slices {
            let slice_id = slice_id(id, base_slice);
            let merged = match diff
                .slices
                .iter()
                .find(|slice| slice.slice_name == base_slice.slice_name)
            {
                Some(diff_slice) => self.merge(base_slice, diff_slice, &slice_id)?,
                None => base_slice.clone(),
            };
            slices.push(merged);
        }
        let new_slices: Vec<&Node> = diff
            .slices
            .iter()
            .filter(|slice| {
                !base
                    .slices
                    .iter()
                    .any(|known| known.slice_name == slice.slice_name)
            })
            .collect();
        if new_slices.is_empty() {
            return Ok(slices);
        }
        ensure_slicing(out, id)?;
        let mut template = base.clone();
        template.slices.clear();
        if let Some(element) = template.element.as_mut() {
            element.remove("slicing");
        }
        for diff_slice in new_slices {
            let slice_id = slice_id(id, diff_slice);
            let mut merged = self.merge(&template, diff_slice, &slice_id)?;
            self.apply_slice_defaults(&mut merged, diff_slice, &slice_id)?;
            slices.push(merged);
        }
        Ok(slices)
    }

    /// A new slice is optional unless the differential says otherwise, and
    /// a slice on a profiled type (an extension) takes its definition texts
    /// and, unless given, its max from that profile's root element.
    fn apply_slice_defaults(
        &mut self,
        slice: &mut Node,
        diff_slice: &Node,
        id: &str,
    ) -> Result<(), Failure> {
        let diff_element = diff_slice.element.as_ref();
        let stated = |key: &str| diff_element.is_some_and(|element| element.contains_key(key));
        let profile = slice
            .element
            .as_ref()
            .and_then(|element| first_type_profile(element).map(str::to_string));
        let root = match profile {
            Some(url) => Some(self.profile_root(&url, id)?),
            None => None,
        };
        let Some(element) = slice.element.as_mut() else {
            return Ok(());
        };
        if let Some(root) = root {
            for key in [
                "short",
                "definition",
                "comment",
                "requirements",
                "isModifier",
            ] {
                if let (false, Some(value)) = (stated(key), root.get(key)) {
                    element.insert(key.to_string(), value.clone());
                }
            }
            if let (false, Some(max)) = (stated("max"), root.get("max")) {
                element.insert("max".into(), max.clone());
            }
        }
        if !stated("min") {
            element.insert("min".into(), json!(0));
        }
        Ok(())
    }
}

impl Node {
    fn named_like(base: &Node) -> Node {
        Node {
            name: base.name.clone(),
            ..Node::default()
        }
    }
}

/// Once the referenced element's children are copied in, the element is
/// described by them: it takes the target's type and drops the reference.
fn inline_content_reference(
    generator: &Generator<'_>,
    out: &mut Node,
    id: &str,
) -> Result<(), Failure> {
    let Some(element) = out.element.as_mut() else {
        return Ok(());
    };
    let Some(Value::String(reference)) = element.remove("contentReference") else {
        return Ok(());
    };
    let target = generator.expand_reference(&reference, id)?;
    if let Some(types) = target
        .element
        .as_ref()
        .and_then(|target| target.get("type"))
    {
        element.insert("type".into(), types.clone());
    }
    Ok(())
}

fn slice_id(id: &str, slice: &Node) -> String {
    format!("{id}:{}", slice.slice_name.as_deref().unwrap_or(""))
}

/// For `valueQuantity` against `value[x]`: Some(Ok("Quantity")), or an
/// error when the base does not allow that type; None when not a rename.
fn choice_rename(base_child: &Node, diff_name: &str) -> Option<Result<String, String>> {
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

/// Extensions and choices are sliced implicitly (by url, by type); any
/// other element (but a slice being re-sliced) must declare its slicing
/// before it has slices.
fn ensure_slicing(out: &mut Node, id: &str) -> Result<(), Failure> {
    let is_extension = out.name == "extension" || out.name == "modifierExtension";
    let is_choice = out.name.ends_with("[x]");
    let is_slice = out.slice_name.is_some();
    let Some(element) = out.element.as_mut() else {
        return Ok(());
    };
    // A re-slice is sorted by the slicing of the element its slice slices.
    if element.contains_key("slicing") || is_slice {
        return Ok(());
    }
    let (kind, path) = match (is_extension, is_choice) {
        (true, _) => ("value", "url"),
        (false, true) => ("type", "$this"),
        (false, false) => {
            return Err((
                id.to_string(),
                "slices are defined but the element declares no slicing".into(),
            ))
        }
    };
    element.insert(
        "slicing".into(),
        json!({ "discriminator": [{ "type": kind, "path": path }], "rules": "open" }),
    );
    Ok(())
}

fn first_type_profile(element: &Map<String, Value>) -> Option<&str> {
    let types = element.get("type")?.as_array()?;
    match types.as_slice() {
        [only] => only.get("profile")?.as_array()?.first()?.as_str(),
        _ => None,
    }
}

pub(crate) fn single_type(element: &Map<String, Value>) -> Option<(&str, Option<&str>)> {
    let codes = type_codes(Some(element));
    match codes.as_slice() {
        [code] => Some((code, first_type_profile(element))),
        _ => None,
    }
}
