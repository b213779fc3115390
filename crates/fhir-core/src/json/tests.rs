use super::*;

fn error_of(text: &str) -> JsonError {
    match parse_str(text) {
        Ok(value) => panic!("{text} parsed as {value}"),
        Err(error) => error,
    }
}

#[test]
fn exponent_text_is_kept() {
    let value =
        parse_str(r#"{"a":1E2,"b":1.10,"c":-0.0,"d":2e-3,"e":12345678901234567890123}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        r#"{"a":1E2,"b":1.10,"c":-0.0,"d":2e-3,"e":12345678901234567890123}"#
    );
    // Arithmetic on the kept text still works.
    assert_eq!(value["a"].as_f64(), Some(100.0));
    assert_eq!(value["d"].as_f64(), Some(0.002));
}

#[test]
fn agrees_with_serde_json_on_valid_documents() {
    let text = r#" {"resourceType":"Patient","name":[{"given":["Ann","Zoë \u00e9 \ud83d\ude00 \n\"q\""]}],
        "active":true,"deceasedBoolean":false,"x":null,"n":[0,-1,3.25,{}, []]} "#;
    let ours = parse_str(text).unwrap();
    let theirs: Value = serde_json::from_str(text).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn keeps_key_order() {
    let value = parse_str(r#"{"z":1,"a":2,"m":3}"#).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "a", "m"]);
}

#[test]
fn duplicate_key_is_refused_with_its_path() {
    let error = error_of(r#"{"resourceType":"Patient","gender":"male","gender":"female"}"#);
    assert_eq!(error.kind, JsonErrorKind::DuplicateKey);
    assert_eq!(error.path.as_deref(), Some("Patient.gender"));
    assert!(error.message.contains("'gender'"), "{}", error.message);
    assert_eq!((error.line, error.column), (1, 43));
}

#[test]
fn duplicate_key_inside_a_bundle_entry_is_rooted_at_the_bundle() {
    let text = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{}},
      {"resource":{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}}]}"#;
    let error = error_of(text);
    assert_eq!(error.kind, JsonErrorKind::DuplicateKey);
    assert_eq!(
        error.path.as_deref(),
        Some("Bundle.entry[1].resource.name[0].family")
    );
    assert_eq!(error.line, 2);
}

#[test]
fn duplicate_key_without_a_resource_type_has_a_relative_path() {
    let error = error_of(r#"{"a":{"b":1,"b":2}}"#);
    assert_eq!(error.path.as_deref(), Some("a.b"));
}

#[test]
fn malformed_documents_are_syntax_errors() {
    for text in [
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "{\"a\":}",
        "{\"a\" 1}",
        "{a:1}",
        "01",
        "1.",
        "-",
        "1e",
        "1e+",
        ".5",
        "+1",
        "tru",
        "nul",
        "\"abc",
        "\"a\u{1}b\"",
        r#""\x""#,
        r#""\ud800""#,
        "{} {}",
        "[1 2]",
        "{\"a\":1,}",
        "NaN",
        "Infinity",
    ] {
        let error = error_of(text);
        assert_eq!(error.kind, JsonErrorKind::Syntax, "{text:?}: {error}");
    }
}

#[test]
fn invalid_utf8_is_refused() {
    let error = parse(b"{\"a\":\"\xff\"}").unwrap_err();
    assert_eq!(error.kind, JsonErrorKind::Syntax);
}

#[test]
fn nesting_is_bounded_without_overflowing_the_stack() {
    let deep = "[".repeat(100_000);
    let error = error_of(&deep);
    assert_eq!(error.kind, JsonErrorKind::TooDeep);
    let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_str(&fine).is_ok());
}

#[test]
fn error_position_counts_lines_and_characters() {
    let error = error_of("{\n  \"é\": tru\n}");
    assert_eq!((error.line, error.column), (2, 8));
}
