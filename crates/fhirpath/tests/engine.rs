//! Engine behaviour with a small hand-written model: navigation and typing,
//! errors with positions for every kind of malformed expression, run-time
//! errors, providers, and the output helpers.

use std::sync::Arc;

use fhirpath::{parse, EvalContext, ParseErrorKind, StaticModel, TerminologyProvider, Value};
use serde_json::{json, Value as Json};

fn model() -> Arc<StaticModel> {
    Arc::new(
        StaticModel::new()
            .resource("Patient")
            .resource("Observation")
            .resource("Bundle")
            .element("Patient", "id", &["id"], false)
            .element("Patient", "birthDate", &["date"], false)
            .element("Patient", "name", &["HumanName"], true)
            .element("Patient", "gender", &["code"], false)
            .element("Patient", "contained", &["Resource"], true)
            .element("Patient", "generalPractitioner", &["Reference"], true)
            .element("Patient", "contact", &["BackboneElement"], true)
            .element("Patient.contact", "gender", &["code"], false)
            .element("HumanName", "given", &["string"], true)
            .element("HumanName", "family", &["string"], false)
            .element("Reference", "reference", &["string"], false)
            .element("Observation", "id", &["id"], false)
            .element(
                "Observation",
                "value[x]",
                &["Quantity", "string", "dateTime"],
                false,
            )
            .element("Quantity", "value", &["decimal"], false)
            .element("Quantity", "code", &["code"], false)
            .element("Quantity", "unit", &["string"], false)
            .element("Element", "extension", &["Extension"], true)
            .element("Extension", "url", &["uri"], false)
            .element("Extension", "value[x]", &["string", "dateTime"], false)
            .base("code", "string")
            .base("id", "string")
            .base("string", "Element")
            .base("date", "Element")
            .base("dateTime", "Element")
            .base("Extension", "Element")
            .element("Bundle", "entry", &["BackboneElement"], true)
            .element("Bundle.entry", "fullUrl", &["uri"], false)
            .element("Bundle.entry", "resource", &["Resource"], false)
            .base("HumanName", "Element")
            .base("Quantity", "Element")
            .base("Age", "Quantity")
            .base("Patient.contact", "BackboneElement")
            .base("BackboneElement", "Element")
            .base("DomainResource", "Resource"),
    )
}

fn patient() -> Json {
    json!({
        "resourceType": "Patient",
        "id": "p1",
        "birthDate": "1974-12-25",
        "_birthDate": {"extension": [{"url": "http://x/birthTime", "valueDateTime": "1974-12-25T14:35:45-05:00"}]},
        "gender": "male",
        "_gender": {"id": "g1"},
        "name": [{"given": ["Peter", "James"], "family": "Chalmers"}, {"given": ["Jim"], "_given": [{"extension": [{"url": "http://x/nick", "valueString": "J"}]}]}],
        "contained": [{"resourceType": "Observation", "id": "o1", "valueQuantity": {"value": 185, "code": "[lb_av]", "unit": "lbs"}}],
        "generalPractitioner": [{"reference": "#o1"}],
        "contact": [{"gender": "female"}]
    })
}

fn eval_json(expr: &str, input: &Json) -> Json {
    let ctx = EvalContext::with_model(model());
    let parsed = parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let result = parsed
        .evaluate(&ctx, input)
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    fhirpath::to_json_output(&result)
}

/// JSON from text, so that decimals keep their digits (`1.50`).
fn j(text: &str) -> Json {
    serde_json::from_str(text).expect("test JSON")
}

fn check(expr: &str, expected: Json) {
    assert_eq!(eval_json(expr, &patient()), expected, "{expr}");
}

#[test]
fn navigation_uses_the_model() {
    check("Patient.name.given", json!(["Peter", "James", "Jim"]));
    check(
        "name.where(family = 'Chalmers').given.first()",
        json!(["Peter"]),
    );
    check("Patient.birthDate < @2000-01-01", json!([true]));
    check("Patient.birthDate.is(date)", json!([true]));
    check(
        "Patient.gender.is(string) and Patient.gender.is(code)",
        json!([true]),
    );
    check("Patient.gender.as(string).exists()", json!([false]));
    check("Patient.contact.gender.is(code)", json!([true]));
    check("Patient.contact.first().is(BackboneElement)", json!([true]));
    check("Patient.contained.value.is(Quantity)", json!([true]));
    check("Patient.contained.value > 180 '[lb_av]'", json!([true]));
    check("Patient.contained.value = 83914.6 'g'", json!([false]));
    check("Patient.contained.value ~ 83914.6 'g'", json!([true]));
    check("Observation.value", json!([]));
    check("Patient.`birthDate`", json!(["1974-12-25"]));
}

#[test]
fn primitive_extensions_and_values() {
    check(
        "Patient.birthDate.extension('http://x/birthTime').value.is(dateTime)",
        json!([true]),
    );
    check("Patient.gender.id", json!(["g1"]));
    check("Patient.name[1].given.hasValue()", json!([true]));
    check("Patient.name.given.count()", json!([3]));
    let only_extension = json!({"resourceType": "Patient", "_birthDate": {"extension": [{"url": "u", "valueString": "x"}]}});
    assert_eq!(
        eval_json("Patient.birthDate.exists()", &only_extension),
        json!([true])
    );
    assert_eq!(
        eval_json("Patient.birthDate.hasValue()", &only_extension),
        json!([false])
    );
    assert_eq!(
        eval_json("Patient.birthDate.getValue()", &only_extension),
        json!([])
    );
}

#[test]
fn resolve_finds_contained_and_bundle_entries() {
    check("Patient.generalPractitioner.resolve().id", json!(["o1"]));
    let bundle = json!({"resourceType": "Bundle", "entry": [
        {"fullUrl": "http://s/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1", "generalPractitioner": [{"reference": "Observation/o2"}]}},
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Observation", "id": "o2"}}
    ]});
    let ctx = EvalContext::with_model(model());
    let expr = parse("%rootResource.entry.resource.generalPractitioner.resolve().id").unwrap();
    let result = expr.evaluate(&ctx, &bundle).unwrap();
    assert_eq!(fhirpath::to_json_output(&result), json!(["o2"]));
}

#[test]
fn literals_operators_and_functions() {
    let empty = json!({});
    let cases = [
        ("1 + 2 * 3", json!([7])),
        ("(1 + 2) * 3", json!([9])),
        ("7 div 2 + 7 mod 2", json!([4])),
        ("1.10 + 0.2", j("[1.30]")),
        ("1 / 0", json!([])),
        ("'a' & {} & 'b'", json!(["ab"])),
        ("{} and false", json!([false])),
        ("{} or false", json!([])),
        ("true implies {}", json!([])),
        ("false implies {}", json!([true])),
        ("(1 | 2 | 2 | 3).count()", json!([3])),
        ("(1 | 2).combine(2).count()", json!([3])),
        ("2 in (1 | 2)", json!([true])),
        ("'x' ~ ' X '", json!([true])),
        ("'x' ~ 'y'", json!([false])),
        ("'a b' ~ 'A  B'", json!([true])),
        ("@2014-01 = @2014-01-05", json!([])),
        ("@2014-01 ~ @2014-01-05", json!([false])),
        ("@2014-01-31 + 1 month", json!(["2014-02-28"])),
        ("@T10:30 + 90 minutes", json!(["12:00"])),
        ("4 'g' = 4000 'mg'", json!([true])),
        ("7 days = 1 week", json!([true])),
        ("1 year = 1 'a'", json!([])),
        ("'\\u0041\\'\\n'.length()", json!([3])),
        ("'abc'.substring(1)", json!(["bc"])),
        ("'a,b'.split(',').join('-')", json!(["a-b"])),
        ("'abc'.matches('b')", json!([true])),
        ("'abc'.replaceMatches('[ac]', 'x')", json!(["xbx"])),
        ("'hi'.encode('base64')", json!(["aGk="])),
        ("'aGk='.decode('base64')", json!(["hi"])),
        ("(3 | 1 | 2).aggregate($this + $total, 0)", json!([6])),
        (
            "(1 | 2 | 3).where($this > 1).select($this * 2)",
            json!([4, 6]),
        ),
        ("(1 | 2 | 3).select($index)", json!([0, 1, 2])),
        ("2.5 'mg'.toString()", json!(["2.5 'mg'"])),
        ("'5 mg'.convertsToQuantity()", json!([false])),
        ("'12'.toInteger() + 1", json!([13])),
        ("1.5.round()", json!([2])),
        ("(-1.5).abs()", json!([1.5])),
        ("16.sqrt()", json!([4])),
        ("2.power(10)", json!([1024])),
        ("@2014-01-05T10:30:00.000+01:00.precision()", json!([17])),
        ("1.587.lowBoundary()", j("[1.58650000]")),
        ("%ucum", json!(["http://unitsofmeasure.org"])),
        (
            "%`vs-administrative-gender`",
            json!(["http://hl7.org/fhir/ValueSet/administrative-gender"]),
        ),
        ("1.type().name", json!(["Integer"])),
        ("iif({}, 1, 2)", json!([2])),
        ("(1 | 2).exists($this > 1)", json!([true])),
        ("(1 | 2).all($this > 1)", json!([false])),
        ("(1 | 2 | 3).tail().take(1)", json!([2])),
        ("(1 | 2 | 3).exclude(2)", json!([1, 3])),
        ("(1 | 2 | 3).intersect(2 | 3 | 4)", json!([2, 3])),
        ("(1 | 2).subsetOf(1 | 2 | 3)", json!([true])),
        ("1 'cm'.comparable(1 '[in_i]')", json!([true])),
    ];
    for (expr, expected) in cases {
        assert_eq!(eval_json(expr, &empty), expected, "{expr}");
    }
}

#[test]
fn syntax_errors_name_position_and_expectation() {
    let cases = [
        ("", 0, "expected an expression"),
        ("1 +", 3, "expected an expression"),
        ("(1 + 2", 6, "expected ')'"),
        ("'abc", 0, "unterminated string"),
        ("'\\q'", 1, "unknown escape"),
        ("'\\u12G4'", 1, "four hex digits"),
        ("1 # 2", 2, "unexpected character"),
        ("/* open", 0, "unterminated comment"),
        ("$foo", 0, "expected $this"),
        ("%", 0, "expected a constant name"),
        ("@20", 0, "expected a date"),
        ("@2014-13", 0, "bad date/time literal"),
        ("@T25:00", 0, "bad time literal"),
        ("1 2", 2, "expected an operator"),
        ("a.", 2, "expected an identifier"),
        ("x is", 4, "expected a type name"),
        ("a[1", 3, "expected ']'"),
        ("f(1,", 4, "expected an expression"),
        (
            "99999999999999999999999999999999999999999 'mg'",
            0,
            "out of range",
        ),
    ];
    for (text, offset, message) in cases {
        let err = parse(text).expect_err(text);
        assert_eq!(err.kind, ParseErrorKind::Syntax, "{text}: {err}");
        assert_eq!(err.position.offset, offset, "{text}: {err}");
        assert!(err.message.contains(message), "{text}: {err}");
    }
    let err = parse("1 +\n  (2 +").expect_err("multi-line");
    assert_eq!((err.position.line, err.position.column), (2, 7));
}

#[test]
fn semantic_errors_at_parse_time() {
    for (text, message) in [
        ("foo()", "unknown function 'foo'"),
        ("'a'.substring()", "takes 1..=2 arguments"),
        ("(1).ofType(1 + 2)", "expects a type name"),
    ] {
        let err = parse(text).expect_err(text);
        assert_eq!(err.kind, ParseErrorKind::Semantic, "{text}");
        assert!(err.message.contains(message), "{text}: {err}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let nested = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse(&nested)
        .unwrap_err()
        .message
        .contains("nested too deeply"));
    let chain = vec!["1"; 50_000].join(" + ");
    assert!(parse(&chain)
        .unwrap_err()
        .message
        .contains("nested too deeply"));
    let negations = format!("{}1", "-".repeat(100_000));
    assert!(parse(&negations).is_err());
    assert!(parse("a.".repeat(20_000).trim_end_matches('.')).is_err());
    // Just under the limit: parses, and evaluation (on a test thread's small
    // stack, unoptimised) does not overflow either.
    let deep = format!("{}1{}", "(1).where(".repeat(48), ")".repeat(48));
    let (ctx, empty) = (EvalContext::new(), json!({}));
    let result = parse(&deep).unwrap().evaluate(&ctx, &empty).unwrap();
    assert_eq!(fhirpath::to_json_output(&result), json!([1]));
}

#[test]
fn run_time_errors_carry_the_sub_expression_position() {
    let ctx = EvalContext::with_model(model());
    let input = patient();
    let cases = [
        ("Patient.name.given.single()", 19, "single item"),
        ("Patient.name.given + 1", 19, "single items"),
        ("1 < 'a'", 2, "cannot compare"),
        (
            "Patient.name.family.substring('x')",
            20,
            "expected an Integer",
        ),
        ("%undefined", 0, "undefined environment variable"),
        (
            "Patient.gender.memberOf('http://vs')",
            15,
            "no terminology service",
        ),
        ("conformsTo('http://p')", 0, "no profile validator"),
        ("Patient.nothere", 8, "has no element 'nothere'"),
        ("Patient.name.as(HumanName)", 13, "single input item"),
        ("Patient.name.ofType(Nonsense)", 13, "unknown type"),
        ("-'a'", 0, "cannot negate"),
        ("(true | 1).allTrue()", 11, "expected Booleans"),
        ("'a'.matches('(')", 4, "invalid regular expression"),
    ];
    for (text, offset, message) in cases {
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let err = expr.evaluate(&ctx, &input).expect_err(text);
        assert_eq!(err.position.offset, offset, "{text}: {err}");
        assert!(err.message.contains(message), "{text}: {err}");
    }
}

struct GenderValueSet;

impl TerminologyProvider for GenderValueSet {
    fn member_of(&self, item: &Json, type_name: &str, value_set_url: &str) -> Result<bool, String> {
        assert_eq!(type_name, "code");
        match value_set_url {
            "http://hl7.org/fhir/ValueSet/administrative-gender" => {
                Ok(matches!(item.as_str(), Some("male" | "female")))
            }
            other => Err(format!("unknown value set {other}")),
        }
    }
}

#[test]
fn member_of_uses_the_terminology_provider() {
    let mut ctx = EvalContext::with_model(model());
    ctx.terminology = Some(Arc::new(GenderValueSet));
    let input = patient();
    let expr = parse("Patient.gender.memberOf(%`vs-administrative-gender`)").unwrap();
    assert_eq!(
        fhirpath::to_json_output(&expr.evaluate(&ctx, &input).unwrap()),
        json!([true])
    );
    let unknown = parse("Patient.gender.memberOf('http://other')").unwrap();
    assert!(unknown
        .evaluate(&ctx, &input)
        .unwrap_err()
        .message
        .contains("unknown value set"));
}

#[test]
fn html_checks_on_narrative() {
    let ok = json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"}});
    let bad = json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>"}});
    let ctx = EvalContext::new();
    let expr = parse("text.div.htmlChecks()").unwrap();
    assert_eq!(expr.evaluate_bool(&ctx, &ok).unwrap(), Some(true));
    assert_eq!(expr.evaluate_bool(&ctx, &bad).unwrap(), Some(false));
}

#[test]
fn output_shapes_and_ndjson() {
    check(
        "Patient.birthDate | @T10:30 | 1.50 | 2 'mg' | true",
        j(r#"["1974-12-25", "10:30", 1.50, {"value": 2, "unit": "mg"}, true]"#),
    );
    let expr = parse("id").unwrap();
    let input = "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n";
    let mut out = Vec::new();
    let count =
        fhirpath::evaluate_ndjson(&expr, &EvalContext::new(), input.as_bytes(), &mut out).unwrap();
    assert_eq!(count, 2);
    assert_eq!(String::from_utf8(out).unwrap(), "[\"a\"]\n[\"b\"]\n");
    let bad = fhirpath::evaluate_ndjson(&expr, &EvalContext::new(), "{oops".as_bytes(), Vec::new());
    assert!(matches!(
        bad,
        Err(fhirpath::output::NdjsonError::Json { line: 1, .. })
    ));
}

#[test]
fn works_without_a_model() {
    let ctx = EvalContext::new();
    let obs = json!({"resourceType": "Observation", "valueQuantity": {"value": 5.0, "unit": "mg"}, "status": "final"});
    let expr = parse("Observation.value.value + 1").unwrap();
    assert_eq!(
        fhirpath::to_json_output(&expr.evaluate(&ctx, &obs).unwrap()),
        json!([6.0])
    );
    let expr = parse("status = 'final'").unwrap();
    assert_eq!(expr.evaluate_bool(&ctx, &obs).unwrap(), Some(true));
    let value: Vec<Value<'_>> = parse("Observation.missing")
        .unwrap()
        .evaluate(&ctx, &obs)
        .unwrap();
    assert!(value.is_empty());
}

#[test]
fn expressions_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<fhirpath::Expression>();
    assert_send_sync::<EvalContext>();
    let expr = parse("name.given.count()").unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let expr = expr.clone();
            std::thread::spawn(move || {
                let ctx = EvalContext::with_model(model());
                let input = patient();
                fhirpath::to_json_output(&expr.evaluate(&ctx, &input).unwrap())
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), json!([3]));
    }
}

#[test]
fn element_inputs_typed_or_untyped() {
    // A constraint checked on an element: typed through input_type...
    let name = json!({"given": ["Peter"], "family": "Chalmers"});
    let mut ctx = EvalContext::with_model(model());
    ctx.input_type = Some("HumanName".to_string());
    let expr = parse("family.exists() or given.exists()").unwrap();
    assert_eq!(expr.evaluate_bool(&ctx, &name).unwrap(), Some(true));
    assert!(parse("nothere").unwrap().evaluate(&ctx, &name).is_err());
    // ...or untyped: navigated by JSON key, unknown names are just empty.
    let ctx = EvalContext::with_model(model());
    assert_eq!(expr.evaluate_bool(&ctx, &name).unwrap(), Some(true));
    assert!(parse("nothere")
        .unwrap()
        .evaluate(&ctx, &name)
        .unwrap()
        .is_empty());
}

#[test]
fn compiled_patterns_are_reused_without_mixing_results() {
    // The same pattern text over many inputs, interleaved with a variant that
    // differs only by anchoring: each answer must depend on its own input
    // and pattern, never on what was compiled (and cached) before.
    for round in 0..3 {
        for (input, matches, full) in [
            ("'abc'", true, false),
            ("'xbx'", true, false),
            ("'b'", true, true),
            ("'zzz'", false, false),
        ] {
            let partial = eval_json(&format!("{input}.matches('b')"), &json!({}));
            assert_eq!(partial, json!([matches]), "round {round}: {input}.matches");
            let whole = eval_json(&format!("{input}.matchesFull('b')"), &json!({}));
            assert_eq!(whole, json!([full]), "round {round}: {input}.matchesFull");
        }
        let bad = parse("'a'.matches('(')").expect("parses");
        let err = bad
            .evaluate(&EvalContext::with_model(model()), &json!({}))
            .expect_err("an invalid pattern fails every time, not only when first compiled");
        assert!(err.message.contains("invalid regular expression"), "{err}");
    }
}

#[test]
fn borrowed_resource_matches_the_owned_one() {
    let resource = patient();
    let element = &resource["contact"][0];
    let owned = {
        let mut ctx = EvalContext::with_model(model());
        ctx.resource = Some(resource.clone());
        ctx
    };
    let plain = EvalContext::with_model(model());
    for text in [
        "%resource.id",
        "%rootResource.birthDate",
        "gender = 'female'",
    ] {
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let expected = expr.evaluate(&owned, element).expect(text);
        let borrowed = expr.evaluate_in(&plain, element, &resource).expect(text);
        assert_eq!(
            fhirpath::to_json_output(&borrowed),
            fhirpath::to_json_output(&expected),
            "{text}"
        );
        assert!(!fhirpath::to_json_output(&borrowed)
            .as_array()
            .is_none_or(Vec::is_empty));
    }
    let check = parse("%resource.id = 'p1'").expect("parses");
    assert_eq!(
        check.evaluate_bool_in(&plain, element, &resource),
        Ok(Some(true))
    );
}

#[test]
fn choice_present_only_through_its_underscore_sibling() {
    let only_sibling = json!({"resourceType": "Observation", "_valueString": {"extension": [{"url": "u", "valueString": "why"}]}});
    assert_eq!(
        eval_json("Observation.value.exists()", &only_sibling),
        json!([true])
    );
    assert_eq!(
        eval_json("Observation.value.hasValue()", &only_sibling),
        json!([false])
    );
    assert_eq!(
        eval_json("Observation.value.extension.value", &only_sibling),
        json!(["why"])
    );
    // A sibling of another element sharing the prefix is not the choice.
    let other = json!({"resourceType": "Observation", "_valueless": {"id": "x"}});
    assert_eq!(
        eval_json("Observation.value.exists()", &other),
        json!([false])
    );
}
