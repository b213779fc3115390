//! The differential laid over the base tree. Base children keep their
//! order; a differential child matches the base child of the same name, or
//! a choice by its type-specific name (`valueQuantity` for `value[x]`).
//! Constraining below an element whose children the base leaves out
//! (a datatype, a `contentReference`) first copies them from the type's own
//! definition (or the referenced element). Slices the base has are merged
//! in place; new slices start from the sliced base element.

use serde_json::{json, Map, Value};

use super::choice::choice_rename;
use super::element::merge_element;
use super::tree::{type_codes, Node};
use super::Generator;

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
        if !diff.children.is_empty() && base.children.is_empty() && out.type_codes().len() > 1 {
            let rewritten = self.as_type_slice(&out, diff, id)?;
            return self.merge(base, &rewritten, id);
        }
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
            let merged = self.merge_child(base_child, exact, renamed, &child_id)?;
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
    /// from that profile's root element (its cardinality stays the
    /// differential's, within the sliced element's).
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
        }
        if !stated("min") {
            element.insert("min".into(), json!(0));
        }
        Ok(())
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
