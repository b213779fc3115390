//! Element lists as trees: a snapshot or a differential parsed by element
//! id into nodes with children and slices, and a tree written back out as a
//! snapshot list. Ids and paths are recomputed on output from the node
//! names, so a subtree copied from a datatype's definition (or from a
//! `contentReference` target) takes its new place without rewriting.

use serde_json::{Map, Value};

/// One element and what hangs below it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// The last path segment: "component", "value[x]", "valueQuantity".
    pub(crate) name: String,
    /// The full slice name for a slice ("SystolicBP", or "b/c" for a re-slice).
    pub(crate) slice_name: Option<String>,
    /// The element's JSON; None for an element a differential skips.
    pub(crate) element: Option<Map<String, Value>>,
    pub(crate) children: Vec<Node>,
    pub(crate) slices: Vec<Node>,
}

/// One segment of an element id: "coding:BPCode" -> name "coding", slices ["BPCode"];
/// "component:b/c" -> name "component", slices ["b", "b/c"].
fn parse_segment(segment: &str) -> (&str, Vec<String>) {
    let Some((name, slice)) = segment.split_once(':') else {
        return (segment, Vec::new());
    };
    let mut names = Vec::new();
    let mut full = String::new();
    for part in slice.split('/') {
        if !full.is_empty() {
            full.push('/');
        }
        full.push_str(part);
        names.push(full.clone());
    }
    (name, names)
}

/// Splits an id into segments (slice names with dots are not supported).
fn split_id(id: &str) -> Vec<&str> {
    id.split('.').collect()
}

impl Node {
    pub(crate) fn named(name: &str) -> Node {
        Node {
            name: name.to_string(),
            ..Node::default()
        }
    }

    fn child_mut(&mut self, name: &str) -> &mut Node {
        let position = match self.children.iter().position(|child| child.name == name) {
            Some(position) => position,
            None => {
                self.children.push(Node::named(name));
                self.children.len() - 1
            }
        };
        &mut self.children[position]
    }

    fn slice_mut(&mut self, slice_name: &str) -> &mut Node {
        let position = match self
            .slices
            .iter()
            .position(|slice| slice.slice_name.as_deref() == Some(slice_name))
        {
            Some(position) => position,
            None => {
                let mut slice = Node::named(&self.name);
                slice.slice_name = Some(slice_name.to_string());
                self.slices.push(slice);
                self.slices.len() - 1
            }
        };
        &mut self.slices[position]
    }

    /// The element JSON, or an empty object for a skipped element.
    pub(crate) fn element_or_empty(&self) -> Map<String, Value> {
        self.element.clone().unwrap_or_default()
    }

    /// `ElementDefinition.type.code`s of this element.
    pub(crate) fn type_codes(&self) -> Vec<&str> {
        type_codes(self.element.as_ref())
    }

    /// The node at a dotted id relative to this one ("component:b.code").
    pub(crate) fn find(&self, relative_id: &str) -> Option<&Node> {
        let mut current = self;
        for segment in split_id(relative_id) {
            let (name, slices) = parse_segment(segment);
            current = current.children.iter().find(|child| child.name == name)?;
            for slice_name in &slices {
                current = current
                    .slices
                    .iter()
                    .find(|slice| slice.slice_name.as_deref() == Some(slice_name.as_str()))?;
            }
        }
        Some(current)
    }
}

pub(crate) fn type_codes(element: Option<&Map<String, Value>>) -> Vec<&str> {
    element
        .and_then(|element| element.get("type"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|type_json| type_json.get("code").and_then(Value::as_str))
        .collect()
}

/// Why a list of elements is not a tree.
pub(crate) struct TreeError {
    pub(crate) element: String,
    pub(crate) reason: String,
}

/// Parses an element list by id. Elements without an id get one from their
/// path, inside the slice that the latest element on an enclosing path
/// opened (how differentials written before ids were required read).
pub(crate) fn parse_elements(elements: &[Value]) -> Result<Node, TreeError> {
    let mut root: Option<Node> = None;
    let mut open_slices: Vec<(String, String)> = Vec::new();
    for json in elements {
        let object = json.as_object().ok_or_else(|| TreeError {
            element: json.to_string(),
            reason: "element is not an object".into(),
        })?;
        let id = element_id(object, &mut open_slices)?;
        let segments = split_id(&id);
        let (root_name, root_slices) = parse_segment(segments[0]);
        if !root_slices.is_empty() {
            return Err(TreeError {
                element: id.clone(),
                reason: "the root element cannot be sliced".into(),
            });
        }
        let root_node = root.get_or_insert_with(|| Node::named(root_name));
        if root_node.name != root_name {
            return Err(TreeError {
                element: id.clone(),
                reason: format!("second root element (the first is {})", root_node.name),
            });
        }
        let mut current = root_node;
        for segment in &segments[1..] {
            let (name, slices) = parse_segment(segment);
            current = current.child_mut(name);
            for slice_name in &slices {
                current = current.slice_mut(slice_name);
            }
        }
        if current.element.is_some() {
            return Err(TreeError {
                element: id,
                reason: "duplicate element id".into(),
            });
        }
        current.element = Some(object.clone());
    }
    root.ok_or_else(|| TreeError {
        element: "(none)".into(),
        reason: "no elements".into(),
    })
}

/// The element's id, or one made from its path and the slices open above it.
fn element_id(
    object: &Map<String, Value>,
    open_slices: &mut Vec<(String, String)>,
) -> Result<String, TreeError> {
    if let Some(id) = object.get("id").and_then(Value::as_str) {
        return Ok(id.to_string());
    }
    let path = object
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| TreeError {
            element: Value::Object(object.clone()).to_string(),
            reason: "element has neither id nor path".into(),
        })?;
    open_slices.retain(|(sliced_path, _)| {
        path == sliced_path || path.starts_with(&format!("{sliced_path}."))
    });
    let slice_name = object.get("sliceName").and_then(Value::as_str);
    if let Some(slice_name) = slice_name {
        open_slices.retain(|(sliced_path, _)| sliced_path != path);
        open_slices.push((path.to_string(), slice_name.to_string()));
    }
    // Rebuild the id segment by segment, adding each open slice's name.
    let mut id = String::new();
    let mut prefix = String::new();
    for segment in path.split('.') {
        if !prefix.is_empty() {
            prefix.push('.');
            id.push('.');
        }
        prefix.push_str(segment);
        id.push_str(segment);
        if let Some((_, name)) = open_slices.iter().find(|(sliced, _)| *sliced == prefix) {
            id.push(':');
            id.push_str(name);
        }
    }
    Ok(id)
}

/// Writes a tree out as a snapshot list, setting each element's id, path
/// and sliceName from its place in the tree.
pub(crate) fn flatten(root: &Node) -> Vec<Value> {
    let mut out = Vec::new();
    emit(root, &root.name, &root.name, false, &mut out);
    out
}

fn emit(node: &Node, path: &str, id: &str, is_slice: bool, out: &mut Vec<Value>) {
    let mut element = node.element_or_empty();
    element.insert("id".into(), Value::String(id.to_string()));
    element.insert("path".into(), Value::String(path.to_string()));
    match &node.slice_name {
        Some(slice_name) => {
            element.insert("sliceName".into(), Value::String(slice_name.clone()));
        }
        None => {
            element.remove("sliceName");
        }
    }
    out.push(Value::Object(element));
    for child in &node.children {
        let child_path = format!("{path}.{}", child.name);
        let child_id = format!("{id}.{}", child.name);
        emit(child, &child_path, &child_id, false, out);
    }
    for slice in &node.slices {
        let slice_name = slice.slice_name.as_deref().unwrap_or("");
        let slice_id = if is_slice {
            let last = slice_name.rsplit('/').next().unwrap_or(slice_name);
            format!("{id}/{last}")
        } else {
            format!("{id}:{slice_name}")
        };
        emit(slice, path, &slice_id, true, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_without_ids_take_the_slice_opened_above_them() {
        let elements = [
            json!({ "path": "Patient" }),
            json!({ "path": "Patient.identifier", "slicing": { "rules": "open" } }),
            json!({ "path": "Patient.identifier", "sliceName": "mrn" }),
            json!({ "path": "Patient.identifier.system", "fixedUri": "urn:x" }),
            json!({ "path": "Patient.name" }),
            json!({ "path": "Patient.identifier.value" }),
        ];
        let root = match parse_elements(&elements) {
            Ok(root) => root,
            Err(error) => panic!("{}: {}", error.element, error.reason),
        };
        let system = root.find("identifier:mrn.system").expect("slice child");
        assert!(system
            .element
            .as_ref()
            .is_some_and(|e| e.contains_key("fixedUri")));
        // Leaving the sliced path closes the slice.
        assert!(root.find("identifier.value").is_some());
        let ids: Vec<String> = flatten(&root)
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            ids,
            [
                "Patient",
                "Patient.identifier",
                "Patient.identifier.value",
                "Patient.identifier:mrn",
                "Patient.identifier:mrn.system",
                "Patient.name",
            ]
        );
    }

    #[test]
    fn malformed_element_lists_are_errors() {
        let second_root = [json!({ "id": "Patient" }), json!({ "id": "Observation" })];
        assert!(parse_elements(&second_root).is_err());
        let duplicate = [json!({ "id": "Patient" }), json!({ "id": "Patient" })];
        assert!(parse_elements(&duplicate).is_err());
        assert!(parse_elements(&[json!("text")]).is_err());
        assert!(parse_elements(&[json!({ "id": "Patient:s" })]).is_err());
        assert!(parse_elements(&[]).is_err());
    }
}
