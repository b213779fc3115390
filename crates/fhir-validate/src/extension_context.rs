//! Where an extension may be used: its definition's `context` names the
//! elements (by path, `Patient.birthDate`, or by type, `HumanName`), the
//! extensions (by URL) or FHIRPath expressions it may appear on, and a
//! modifier extension belongs in `modifierExtension`, any other in
//! `extension`. The element holding an extension is found from the
//! instance path (`Patient.name[0].extension[0]` is held by `Patient.name`,
//! a HumanName) through the type model. FHIRPath contexts are accepted
//! without evaluation, as is any use the type model cannot place.

use crate::path::Path;
use crate::report::{IssueType, Sink};
use crate::structure::Item;
use crate::Engine;
use fhir_package::ElementTree;
use serde_json::Value;

/// The element an extension is on, as its context may name it.
struct Holder {
    /// Element paths: from the resource (`Patient.name.family`) and from
    /// the datatype that defines it (`HumanName.family`).
    paths: Vec<String>,
    /// The holder's type (`string`, `HumanName`, `Patient`).
    type_name: String,
}

impl Engine {
    /// Checks the extension at `item` against the context and modifier flag
    /// of its definition `ext_tree` (url `url`).
    pub(crate) fn check_extension_use(
        &self,
        url: &str,
        ext_tree: &ElementTree,
        item: &Item,
        resource_type: Option<&str>,
        sink: &mut Sink,
    ) {
        let Path::Item(holder_path, property, _) = item.path else {
            return;
        };
        let is_modifier = ext_tree
            .get(ext_tree.root())
            .is_some_and(|root| root.is_modifier);
        let wanted = if is_modifier {
            "modifierExtension"
        } else {
            "extension"
        };
        if (property == "extension" || property == "modifierExtension") && property != wanted {
            let kind = if is_modifier {
                "a modifier"
            } else {
                "not a modifier"
            };
            sink.error(
                IssueType::Structure,
                &item.expr(),
                format!("extension {url} is {kind} extension, so it belongs in {wanted}, not {property}"),
            );
        }
        let Some(contexts) = self
            .defs
            .structure_definition(url)
            .and_then(|sd| sd.json().get("context"))
            .and_then(Value::as_array)
        else {
            return;
        };
        let Some(rt) = resource_type else { return };
        let Some(holder) = self.holder_of(rt, holder_path) else {
            return;
        };
        if contexts.is_empty() || contexts.iter().any(|c| self.context_allows(c, &holder)) {
            return;
        }
        let allowed: Vec<&str> = contexts
            .iter()
            .filter_map(|c| c.get("expression").and_then(Value::as_str))
            .collect();
        sink.error(
            IssueType::Structure,
            &item.expr(),
            format!(
                "extension {url} is not allowed on {} ({}); its context allows: {}",
                holder.paths.first().map_or("this element", String::as_str),
                holder.type_name,
                allowed.join(", ")
            ),
        );
    }

    fn context_allows(&self, context: &Value, holder: &Holder) -> bool {
        let Some(expression) = context.get("expression").and_then(Value::as_str) else {
            return true;
        };
        match context.get("type").and_then(Value::as_str) {
            Some("element") => {
                let first = expression.split('.').next().unwrap_or(expression);
                // A context this version does not know (R5's
                // `CanonicalResource`) cannot be judged here.
                self.defs.type_kind(first).is_none()
                    || expression == "Element"
                    || self.defs.is_subtype_of(&holder.type_name, expression)
                    || holder.paths.iter().any(|p| {
                        // Like the reference validator, an extension whose
                        // context is a child (`ElementDefinition.type.code`)
                        // is accepted on its parent too.
                        p == expression
                            || expression
                                .strip_prefix(p.as_str())
                                .is_some_and(|rest| rest.starts_with('.'))
                    })
            }
            // An extension inside another: placed by its holder's url,
            // which the walk of the outer extension already matched.
            Some("extension") => holder.type_name == "Extension",
            _ => true,
        }
    }

    /// The element `path` (below the resource root) names, walked from
    /// `resource_type` through the type model.
    fn holder_of(&self, resource_type: &str, path: &Path) -> Option<Holder> {
        let mut names = Vec::new();
        collect_names(path, &mut names);
        let mut type_name = resource_type.to_string();
        let mut parent = resource_type.to_string();
        let mut full = resource_type.to_string();
        let mut local = resource_type.to_string();
        for name in names {
            if let Some(child) = self.defs.child_element(&parent, name) {
                full = format!("{full}.{name}");
                local = child.path.to_string();
                type_name = match child.types {
                    [only] => only.code.clone(),
                    _ => return None,
                };
                parent = match type_name.as_str() {
                    "BackboneElement" | "Element" => child.path.to_string(),
                    _ => type_name.clone(),
                };
            } else if let Some((element, code)) = self.defs.choice_types(&parent, name) {
                full = format!("{full}.{element}[x]");
                local = format!("{parent}.{element}[x]");
                type_name = code.to_string();
                parent = type_name.clone();
            } else {
                return None;
            }
        }
        let mut paths = vec![full];
        if !paths.contains(&local) {
            paths.push(local);
        }
        Some(Holder { paths, type_name })
    }
}

/// The element names from the resource root down to `path`, without
/// indexes.
fn collect_names<'p>(path: &Path<'p>, out: &mut Vec<&'p str>) {
    match path {
        Path::Root(_) => {}
        Path::Field(parent, name) | Path::Item(parent, name, _) => {
            collect_names(parent, out);
            out.push(name);
        }
        Path::Index(parent, _) => collect_names(parent, out),
    }
}
