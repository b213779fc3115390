//! Arbitrary bytes: the first line is an expression, the rest a JSON input.
//! Parsing and evaluation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (expression, input) = text.split_once('\n').unwrap_or((text, "{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"a\"]}]}"));
    let Ok(expr) = fhirpath::parse(expression) else { return };
    let input: serde_json::Value = serde_json::from_str(input).unwrap_or(serde_json::Value::Null);
    let _ = expr.evaluate(&fhirpath::EvalContext::new(), &input);
});
