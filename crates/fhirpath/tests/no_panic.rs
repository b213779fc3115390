//! Property: no input makes the engine panic. Random text (biased towards
//! FHIRPath tokens) is parsed and, when it parses, evaluated on a resource;
//! random JSON is walked by a fixed set of expressions. Errors are fine,
//! panics and stack overflows are not.

use fhirpath::{parse, EvalContext};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const TOKENS: &[&str] = &[
    "Patient",
    "name",
    "given",
    ".",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "+",
    "-",
    "*",
    "/",
    "&",
    "|",
    "=",
    "!=",
    "~",
    "<=",
    ">",
    " and ",
    " or ",
    " implies ",
    " div ",
    " mod ",
    " is ",
    " as ",
    " in ",
    " contains ",
    "where(",
    "select(",
    "exists()",
    "first()",
    "substring(",
    "iif(",
    "aggregate(",
    "repeat(",
    "descendants()",
    "ofType(",
    "toQuantity(",
    "lowBoundary(",
    "$this",
    "$index",
    "$total",
    "%resource",
    "%`x`",
    "'str'",
    "'\\u00e9'",
    "1",
    "2.50",
    "0",
    "-1",
    "@2014-01-05",
    "@2014-01-05T10:30:00Z",
    "@T10:30",
    "4 'mg'",
    "3 days",
    "true",
    "`given`",
    "// c\n",
    "/* c */",
    "'",
    "@",
    "%",
    "\\",
];

fn patient() -> Json {
    json!({"resourceType": "Patient", "id": "p", "name": [{"given": ["A", "B"], "family": "C"}],
           "birthDate": "1974-12-25", "_birthDate": {"extension": [{"url": "u", "valueString": "x"}]},
           "contained": [{"resourceType": "Observation", "id": "o", "valueQuantity": {"value": 1.5, "code": "mg"}}]})
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..24).prop_map(|parts| parts.concat())
}

fn arbitrary_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        "[a-zA-Z0-9 :.+-]{0,12}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "resourceType",
                    "name",
                    "given",
                    "_given",
                    "value",
                    "valueQuantity",
                    "extension",
                    "url",
                    "id",
                    "code"
                ]),
                inner,
                0..5
            )
            .prop_map(|m| Json::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        let ctx = EvalContext::new();
        let input = patient();
        if let Ok(expr) = parse(&text) {
            let _ = expr.evaluate(&ctx, &input);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        if let Ok(expr) = parse(&text) {
            let _ = expr.evaluate(&EvalContext::new(), &patient());
        }
    }

    #[test]
    fn arbitrary_json_never_panics(input in arbitrary_json()) {
        let ctx = EvalContext::new();
        for text in ["name.given.first()", "descendants().count()", "children().value + 1", "value.toQuantity() > 1 'mg'",
                     "extension('u').value", "name.given.hasValue()", "repeat(children()).count()", "resolve()",
                     "value.lowBoundary()", "given.join(',').length()"] {
            let _ = parse(text).expect("valid").evaluate(&ctx, &input);
        }
    }
}
