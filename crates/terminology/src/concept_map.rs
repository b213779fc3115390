//! ConceptMap `$translate`: the targets of a source code in the map's groups.

use serde_json::Value;

/// One mapping target of a translated code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The group's target system.
    pub system: Option<String>,
    pub version: Option<String>,
    /// None for an `unmatched` equivalence with no target code.
    pub code: Option<String>,
    pub display: Option<String>,
    /// relatedto | equivalent | equal | wider | subsumes | narrower | specializes | inexact | unmatched | disjoint
    pub equivalence: String,
    pub comment: Option<String>,
}

fn text(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

fn list<'a>(json: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    json.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Translates `code` of `system` (any source system when None) with one
/// ConceptMap. Groups without a match use their `unmapped` rule when it is
/// `provided` (same code) or `fixed` (a given code); `other-map` is not
/// followed (it would need a recursion guard across maps).
pub(crate) fn translate(concept_map: &Value, system: Option<&str>, code: &str) -> Vec<Translation> {
    let mut found = Vec::new();
    for group in list(concept_map, "group") {
        let source = group.get("source").and_then(Value::as_str);
        if system.is_some_and(|system| source.is_some_and(|source| source != system)) {
            continue;
        }
        let target_system = text(group, "target");
        let target_version = text(group, "targetVersion");
        let before = found.len();
        for element in list(group, "element") {
            if element.get("code").and_then(Value::as_str) != Some(code) {
                continue;
            }
            for target in list(element, "target") {
                found.push(Translation {
                    system: target_system.clone(),
                    version: target_version.clone(),
                    code: text(target, "code"),
                    display: text(target, "display"),
                    equivalence: text(target, "equivalence").unwrap_or_else(|| "equivalent".into()),
                    comment: text(target, "comment"),
                });
            }
        }
        if found.len() == before {
            if let Some(unmapped) = group.get("unmapped") {
                let mode = unmapped.get("mode").and_then(Value::as_str);
                let target_code = match mode {
                    Some("provided") => Some(code.to_string()),
                    Some("fixed") => text(unmapped, "code"),
                    _ => None,
                };
                if let Some(target_code) = target_code {
                    found.push(Translation {
                        system: target_system.clone(),
                        version: target_version.clone(),
                        code: Some(target_code),
                        display: text(unmapped, "display"),
                        equivalence: if mode == Some("provided") {
                            "equal"
                        } else {
                            "inexact"
                        }
                        .into(),
                        comment: Some(format!("unmapped rule: {}", mode.unwrap_or_default())),
                    });
                }
            }
        }
    }
    found
}

/// `$translate` with `reverse`: the source codes that map to `code` of the
/// target `system` (any target system when None), with the equivalence
/// read from the other side (a wider target means a narrower source).
pub(crate) fn translate_reverse(
    concept_map: &Value,
    system: Option<&str>,
    code: &str,
) -> Vec<Translation> {
    let mut found = Vec::new();
    for group in list(concept_map, "group") {
        let target = group.get("target").and_then(Value::as_str);
        if system.is_some_and(|system| target.is_some_and(|target| target != system)) {
            continue;
        }
        for element in list(group, "element") {
            for mapped in list(element, "target") {
                if mapped.get("code").and_then(Value::as_str) != Some(code) {
                    continue;
                }
                let equivalence =
                    text(mapped, "equivalence").unwrap_or_else(|| "equivalent".into());
                found.push(Translation {
                    system: text(group, "source"),
                    version: text(group, "sourceVersion"),
                    code: text(element, "code"),
                    display: text(element, "display"),
                    equivalence: reversed(&equivalence).to_string(),
                    comment: text(mapped, "comment"),
                });
            }
        }
    }
    found
}

fn reversed(equivalence: &str) -> &str {
    match equivalence {
        "wider" => "narrower",
        "narrower" => "wider",
        "subsumes" => "specializes",
        "specializes" => "subsumes",
        other => other,
    }
}
