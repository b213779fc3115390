//! Links inside a resource's narrative: an `href="#x"` must lead to an
//! element with `id="x"` or `name="x"` in that narrative or in the
//! narratives of the resource's contained resources. The XHTML is scanned
//! for attributes, not parsed: the div's shape is checked elsewhere, and a
//! missed link only means a finding not made.

use crate::report::{IssueType, Sink};
use crate::Engine;
use serde_json::{Map, Value};

impl Engine {
    pub(crate) fn check_narrative_links(
        &self,
        obj: &Map<String, Value>,
        expr: &str,
        sink: &mut Sink,
    ) {
        let Some(div) = narrative(obj) else { return };
        let links = attribute_values(div, "href");
        if !links.iter().any(|l| l.starts_with('#')) {
            return;
        }
        let contained = obj.get("contained").and_then(Value::as_array);
        let divs = std::iter::once(div).chain(
            contained
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_object().and_then(narrative)),
        );
        // A set: a narrative may hold many links and anchors.
        let mut anchors = fnv::FnvHashSet::default();
        for text in divs {
            anchors.extend(attribute_values(text, "id"));
            anchors.extend(attribute_values(text, "name"));
        }
        for link in links {
            let Some(target) = link.strip_prefix('#') else {
                continue;
            };
            if !target.is_empty() && !anchors.contains(target) {
                sink.error(
                    IssueType::Value,
                    &format!("{expr}.text.div"),
                    format!(
                        "narrative link '{link}' does not lead to any id or name in the narrative"
                    ),
                );
            }
        }
    }
}

fn narrative(obj: &Map<String, Value>) -> Option<&str> {
    obj.get("text")?.get("div")?.as_str()
}

/// The values of every `name="…"` (or `'…'`) attribute in `xhtml`.
fn attribute_values<'x>(xhtml: &'x str, name: &str) -> Vec<&'x str> {
    let mut out = Vec::new();
    let mut rest = xhtml;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = value[1..].find(quote) {
            out.push(&value[1..1 + end]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::attribute_values;

    #[test]
    fn attributes_are_found_with_either_quote() {
        let div =
            r##"<div><a href="#a">x</a><p id='b' name = "c">y</p><p data-id="no">z</p></div>"##;
        assert_eq!(attribute_values(div, "href"), vec!["#a"]);
        assert_eq!(attribute_values(div, "id"), vec!["b"]);
        assert_eq!(attribute_values(div, "name"), vec!["c"]);
    }
}
