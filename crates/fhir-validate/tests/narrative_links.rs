//! Links inside a narrative lead to an anchor of that narrative (or of a
//! contained resource's).
mod common;

use fhir_validate::ValidateOptions;
use serde_json::{json, Value};

fn errors(resource: &Value) -> Vec<String> {
    let Some(v) = common::validator() else {
        return Vec::new();
    };
    v.validate(resource, &ValidateOptions::default())
        .errors()
        .map(|i| i.message.clone())
        .collect()
}

fn basic(div: &str) -> Value {
    json!({ "resourceType": "Basic", "code": { "text": "note" },
        "text": { "status": "generated", "div": div } })
}

#[test]
fn a_link_to_an_anchor_of_the_narrative_is_fine() {
    let div = r##"<div xmlns="http://www.w3.org/1999/xhtml"><a href="#part2">see</a><p id="part2">two</p><a name="n"/><a href="#n">n</a></div>"##;
    assert_eq!(errors(&basic(div)), Vec::<String>::new());
}

#[test]
fn a_link_to_a_missing_anchor_is_an_error() {
    let div = r##"<div xmlns="http://www.w3.org/1999/xhtml"><a href="#Organization_1">see above</a></div>"##;
    let found = errors(&basic(div));
    assert_eq!(
        found,
        vec!["Basic.text.div: narrative link '#Organization_1' does not lead to any id or name in the narrative"]
    );
}
