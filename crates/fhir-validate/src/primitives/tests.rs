use super::*;
use serde_json::json;

fn ok(t: &str, v: Value) {
    assert_eq!(check(t, &v), Ok(()), "{t} {v}");
}

fn bad(t: &str, v: Value, why: &str) {
    match check(t, &v) {
        Ok(()) => panic!("{t} {v} accepted"),
        Err(msg) => assert!(msg.contains(why), "{t} {v}: {msg}"),
    }
}

fn num(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn dates() {
    for d in ["2024", "2024-02", "2024-02-29", "0001-01-01"] {
        ok("date", json!(d));
    }
    bad("date", json!("1974-13-01"), "month 13");
    bad(
        "date",
        json!("2023-02-29"),
        "February 29 does not exist in 2023",
    );
    bad("date", json!("2023-04-31"), "April 31");
    bad("date", json!("2023-01-32"), "day 32");
    bad("date", json!("0000"), "year 0000");
    bad("date", json!("74-01-01"), "year must be 4 digits");
    bad("date", json!("2024-1-01"), "month must be 2 digits");
    bad("date", json!("2024-01-01T10:00:00Z"), "use dateTime");
    bad("date", json!("2024/01/01"), "expected YYYY");
    bad("date", json!(""), "empty string");
    bad("date", json!(20240101), "must be a JSON string");
}

#[test]
fn date_times_and_instants() {
    for d in [
        "2024",
        "2024-05",
        "2024-05-06",
        "2024-05-06T10:11:12Z",
        "2024-05-06T10:11:12.123+14:00",
    ] {
        ok("dateTime", json!(d));
    }
    bad("dateTime", json!("2024-05-06T10:11:12"), "time zone");
    bad("dateTime", json!("2024-05-06T25:11:12Z"), "hour 25");
    bad("dateTime", json!("2024-05-06T10:61:12Z"), "minute 61");
    bad("dateTime", json!("2024-05-06T10:11Z"), "hh:mm:ss");
    bad("dateTime", json!("2024-05T10:11:12Z"), "full date");
    bad(
        "dateTime",
        json!("2024-05-06T10:11:12+15:00"),
        "out of range",
    );
    bad(
        "dateTime",
        json!("2024-05-06T10:11:12+0100"),
        "must be Z or +hh:mm",
    );
    bad("dateTime", json!("2024-05-06 10:11:12Z"), "expected 'T'");
    bad("dateTime", json!("2024-05-06T10:11:12.Z"), "fraction");
    ok("instant", json!("2015-02-07T13:28:17.239+02:00"));
    bad("instant", json!("2015-02-07"), "instant needs");
}

#[test]
fn times() {
    ok("time", json!("23:59:60"));
    ok("time", json!("08:00:00.5"));
    bad("time", json!("24:00:00"), "hour 24");
    bad("time", json!("8:00"), "hh:mm:ss");
}

#[test]
fn numbers() {
    ok("integer", num("-2147483648"));
    ok("decimal", num("1.10"));
    ok("decimal", num("1e3"));
    ok("unsignedInt", num("0"));
    bad("integer", num("2147483648"), "between");
    bad("integer", num("1.5"), "whole number");
    bad("integer", num("1e2"), "whole number");
    bad("integer", num("99999999999999999999"), "32-bit");
    bad("positiveInt", num("0"), "between 1");
    bad("unsignedInt", num("-1"), "between 0");
    bad("decimal", json!("1.0"), "must be a JSON number");
    bad("integer", json!(true), "not a boolean");
}

#[test]
fn booleans() {
    ok("boolean", json!(false));
    bad("boolean", json!("true"), "must be JSON true or false");
    bad("boolean", json!(1), "not a number");
}

#[test]
fn identifiers_and_uris() {
    ok("id", json!("a-B.9"));
    bad("id", json!("a_b"), "character '_'");
    bad("id", json!("x".repeat(65)), "at most 64");
    ok("oid", json!("urn:oid:2.16.840.1.113883"));
    bad("oid", json!("2.16.840"), "urn:oid:");
    bad("oid", json!("urn:oid:3.1"), "expected urn:oid");
    bad("oid", json!("urn:oid:1.02"), "expected urn:oid");
    ok(
        "uuid",
        json!("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"),
    );
    bad(
        "uuid",
        json!("urn:uuid:C757873D-ec9a-4326-a141-556f43239520"),
        "lowercase",
    );
    bad(
        "uuid",
        json!("c757873d-ec9a-4326-a141-556f43239520"),
        "urn:uuid:",
    );
    ok("uri", json!("http://example.org/a"));
    bad("uri", json!("http://example.org/a b"), "whitespace");
    bad("canonical", json!(" x"), "whitespace");
}

#[test]
fn codes_and_strings() {
    ok("code", json!("a b"));
    bad("code", json!(" a"), "leading or trailing");
    bad("code", json!("a  b"), "single spaces");
    bad("code", json!("a\tb"), "single spaces");
    ok("string", json!("line\nline\ttab"));
    bad("string", json!("bell\u{7}"), "U+0007");
    bad("string", json!(""), "empty string");
    bad("markdown", json!(["a"]), "not an array");
    ok("xhtml", json!("<div/>"));
}

#[test]
fn base64() {
    ok("base64Binary", json!("SGVsbG8="));
    ok("base64Binary", json!("SGVs\nbG8h"));
    bad("base64Binary", json!("SGVsbG8"), "multiple of 4");
    bad("base64Binary", json!("SGV*bG8="), "'*'");
    bad("base64Binary", json!("S==="), "padding");
}

#[test]
fn long_values_are_clipped_in_messages() {
    let long = format!("{}!", "a".repeat(200));
    let msg = check("id", &json!(long)).unwrap_err();
    assert!(msg.len() < 200, "{msg}");
    assert!(is_primitive("dateTime") && !is_primitive("HumanName"));
}

/// The straightforward form of the base64 rule (copy out the whitespace,
/// then check length, padding and alphabet), to compare the one-pass
/// lexer with on every short input over a small alphabet.
fn base64_reference(s: &str) -> Option<String> {
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !compact.len().is_multiple_of(4) {
        return Some("length is not a multiple of 4".into());
    }
    let padding = compact.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return Some("too much '=' padding".into());
    }
    compact[..compact.len() - padding]
        .iter()
        .find(|b| !(b.is_ascii_alphanumeric() || **b == b'+' || **b == b'/'))
        .map(|b| format!("character '{}' is not base64", *b as char))
}

#[test]
fn base64_lexer_agrees_with_the_reference_on_all_short_inputs() {
    let alphabet = [b'A', b'z', b'+', b'=', b'*', b' ', b'\n'];
    let mut checked = 0;
    for len in 0..=6u32 {
        for mut n in 0..alphabet.len().pow(len) {
            let mut bytes = Vec::new();
            for _ in 0..len {
                bytes.push(alphabet[n % alphabet.len()]);
                n /= alphabet.len();
            }
            let text = String::from_utf8(bytes).expect("ASCII");
            assert_eq!(base64_reason(&text), base64_reference(&text), "{text:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, (0..=6).map(|l| 7usize.pow(l)).sum::<usize>());
}

#[test]
fn control_characters_are_found_by_byte_not_confused_by_multibyte_text() {
    bad("string", json!("a\u{0001}b"), "U+0001");
    bad("string", json!("é\u{001f}"), "U+001F");
    ok("string", json!("tab\tcr\rlf\n é ☃ 𝄞"));
    ok("markdown", json!("\u{0080}\u{00a0}"));
}
