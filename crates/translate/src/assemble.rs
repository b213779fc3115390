//! Puts converted values where a mapping row says: walks (and creates) the intermediate
//! objects of the row's path, then appends to the last element (max `*`) or sets it (max 1).
//! A second value for a single element is refused so the caller can report it.

use serde_json::{Map, Value as Json};

use crate::datatypes::Converted;
use crate::tables::FieldRow;

/// Why a value could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    Placed,
    /// The single-valued element already holds a value.
    Occupied,
}

pub(crate) fn place(
    target: &mut Map<String, Json>,
    row: &FieldRow,
    converted: Converted,
) -> Placement {
    let Some((last, parents)) = row.path.split_last() else {
        return Placement::Occupied;
    };
    let mut object = target;
    let parents = match &row.extension {
        // `…extension.valueX`: the extension array sits at the parent of `extension`.
        Some(_) => parents.split_last().map_or(&[][..], |(_, rest)| rest),
        None => parents,
    };
    for name in parents {
        let slot = object
            .entry(name.clone())
            .or_insert_with(|| Json::Object(Map::new()));
        if !slot.is_object() {
            return Placement::Occupied;
        }
        let Some(next) = slot.as_object_mut() else {
            return Placement::Occupied;
        };
        object = next;
    }
    let name = match converted.suffix {
        Some(suffix) => format!("{last}{suffix}"),
        None => last.clone(),
    };
    if let Some(url) = &row.extension {
        let extensions = object
            .entry("extension")
            .or_insert_with(|| Json::Array(Vec::new()));
        let Some(list) = extensions.as_array_mut() else {
            return Placement::Occupied;
        };
        if !row.repeating
            && list
                .iter()
                .any(|e| e.get("url").and_then(Json::as_str) == Some(url))
        {
            return Placement::Occupied;
        }
        let mut extension = Map::new();
        extension.insert("url".into(), Json::String(url.clone()));
        extension.insert(name, converted.value);
        list.push(Json::Object(extension));
        return Placement::Placed;
    }
    if row.repeating {
        let slot = object
            .entry(name.clone())
            .or_insert_with(|| Json::Array(Vec::new()));
        match slot.as_array_mut() {
            Some(list) => list.push(converted.value),
            None => return Placement::Occupied,
        }
    } else {
        if object.contains_key(&name) {
            return Placement::Occupied;
        }
        object.insert(name.clone(), converted.value);
    }
    if let Some(extension) = converted.primitive_extension {
        object.insert(format!("_{name}"), extension);
    }
    Placement::Placed
}
