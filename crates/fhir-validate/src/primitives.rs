//! Lexical rules of the R4 primitive types (http://hl7.org/fhir/R4/datatypes.html),
//! checked by hand rather than with regexes so that every rejection says
//! exactly what is wrong ("month 13", "February 30 does not exist").

use serde_json::Value;

/// Largest value of the R4 `integer` family (32-bit signed).
const INT_MAX: i64 = 2_147_483_647;
const INT_MIN: i64 = -2_147_483_648;

/// True for the names of R4 primitive types handled here.
pub fn is_primitive(type_name: &str) -> bool {
    matches!(
        type_name,
        "boolean"
            | "integer"
            | "positiveInt"
            | "unsignedInt"
            | "decimal"
            | "string"
            | "markdown"
            | "code"
            | "id"
            | "oid"
            | "uuid"
            | "uri"
            | "url"
            | "canonical"
            | "base64Binary"
            | "date"
            | "dateTime"
            | "instant"
            | "time"
            | "xhtml"
    )
}

/// Checks one JSON value against the lexical form of `type_name`. The error
/// is the reason, without the element path (the caller adds it).
pub fn check(type_name: &str, value: &Value) -> Result<(), String> {
    match type_name {
        "boolean" => match value {
            Value::Bool(_) => Ok(()),
            other => Err(format!(
                "{} is not a valid boolean (must be JSON true or false, not {})",
                show(other),
                json_kind(other)
            )),
        },
        "integer" | "positiveInt" | "unsignedInt" | "decimal" => match value {
            Value::Number(n) => check_number(type_name, &n.to_string()),
            other => Err(format!(
                "{} is not a valid {type_name} (must be a JSON number, not {})",
                show(other),
                json_kind(other)
            )),
        },
        _ => match value {
            Value::String(s) => check_string_form(type_name, s),
            other => Err(format!(
                "{} is not a valid {type_name} (must be a JSON string, not {})",
                show(other),
                json_kind(other)
            )),
        },
    }
}

fn check_string_form(type_name: &str, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!(
            "empty string is not a valid {type_name} (omit the element instead)"
        ));
    }
    let reason = match type_name {
        "string" | "markdown" => string_reason(s),
        "xhtml" => None,
        "code" => code_reason(s),
        "id" => id_reason(s),
        "oid" => oid_reason(s),
        "uuid" => uuid_reason(s),
        "uri" | "url" | "canonical" => uri_reason(s),
        "base64Binary" => base64_reason(s),
        "date" => date_reason(s),
        "dateTime" => datetime_reason(s, false),
        "instant" => datetime_reason(s, true),
        "time" => time_reason(s),
        _ => None,
    };
    match reason {
        None => Ok(()),
        Some(why) => Err(format!("'{}' is not a valid {type_name} ({why})", clip(s))),
    }
}

fn check_number(type_name: &str, text: &str) -> Result<(), String> {
    if type_name == "decimal" {
        // JSON number grammar already equals the R4 decimal regex.
        return Ok(());
    }
    let integral = text.strip_prefix('-').unwrap_or(text);
    if integral.is_empty() || !integral.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{text}' is not a valid {type_name} (must be a whole number)"
        ));
    }
    let Ok(v) = text.parse::<i64>() else {
        return Err(format!(
            "'{text}' is not a valid {type_name} (out of 32-bit range)"
        ));
    };
    let (min, max) = match type_name {
        "positiveInt" => (1, INT_MAX),
        "unsignedInt" => (0, INT_MAX),
        _ => (INT_MIN, INT_MAX),
    };
    if v < min || v > max {
        return Err(format!(
            "'{text}' is not a valid {type_name} (must be between {min} and {max})"
        ));
    }
    Ok(())
}

fn string_reason(s: &str) -> Option<String> {
    if s.len() > 1024 * 1024 {
        return Some("longer than 1 MB".into());
    }
    // R4: strings must not contain control characters other than TAB, CR, LF.
    // Bytes below 0x20 only ever encode those characters in UTF-8.
    s.bytes()
        .find(|b| *b < 32 && !matches!(b, b'\t' | b'\r' | b'\n'))
        .map(|b| format!("control character U+{:04X}", b))
}

fn code_reason(s: &str) -> Option<String> {
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return Some("leading or trailing whitespace".into());
    }
    if s.contains("  ") || s.chars().any(|c| c.is_whitespace() && c != ' ') {
        return Some("only single spaces are allowed inside a code".into());
    }
    None
}

fn id_reason(s: &str) -> Option<String> {
    if s.len() > 64 {
        return Some(format!("{} characters, at most 64", s.len()));
    }
    s.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        .map(|c| format!("character '{c}' not allowed, only A-Z a-z 0-9 - ."))
}

fn oid_reason(s: &str) -> Option<String> {
    let Some(rest) = s.strip_prefix("urn:oid:") else {
        return Some("must start with 'urn:oid:'".into());
    };
    let mut arcs = rest.split('.');
    let first_ok = matches!(arcs.next(), Some("0" | "1" | "2"));
    let arcs: Vec<&str> = arcs.collect();
    let arcs_ok = !arcs.is_empty()
        && arcs.iter().all(|a| {
            !a.is_empty()
                && a.bytes().all(|b| b.is_ascii_digit())
                && (*a == "0" || !a.starts_with('0'))
        });
    (!(first_ok && arcs_ok)).then(|| "expected urn:oid:[0-2] followed by .number arcs".into())
}

fn uuid_reason(s: &str) -> Option<String> {
    let Some(rest) = s.strip_prefix("urn:uuid:") else {
        return Some("must start with 'urn:uuid:'".into());
    };
    let groups: Vec<&str> = rest.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups.iter().zip(lens).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
    (!ok).then(|| "expected urn:uuid: and 8-4-4-4-12 lowercase hex digits".into())
}

fn uri_reason(s: &str) -> Option<String> {
    s.chars()
        .any(char::is_whitespace)
        .then(|| "whitespace is not allowed in a URI".into())
}

/// Byte classes for the base64 fast path, as bits so that the classes of a
/// whole text can be OR-ed together.
const B64_ALPHABET: u8 = 0;
const B64_SPACE: u8 = 1;
const B64_OTHER: u8 = 2;

const BASE64_CLASS: [u8; 256] = {
    let mut table = [B64_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' {
            table[b] = B64_ALPHABET;
        } else if c.is_ascii_whitespace() {
            table[b] = B64_SPACE;
        }
        b += 1;
    }
    table
};

fn base64_reason(s: &str) -> Option<String> {
    // Attachments can be megabytes: valid text (alphabet and whitespace,
    // then at most two '=') is accepted after one table lookup per byte;
    // anything else takes the slower pass that names the problem.
    let bytes = s.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    let padding = bytes.len() - body.len();
    let classes = body
        .iter()
        .fold(B64_ALPHABET, |acc, b| acc | BASE64_CLASS[usize::from(*b)]);
    let digits = match classes {
        B64_ALPHABET => body.len(),
        B64_SPACE => body
            .iter()
            .filter(|b| BASE64_CLASS[usize::from(**b)] == B64_ALPHABET)
            .count(),
        _ => return base64_problem(s),
    };
    if (digits + padding).is_multiple_of(4) {
        return None;
    }
    base64_problem(s)
}

fn base64_problem(s: &str) -> Option<String> {
    // One pass over the bytes, whitespace ignored, without copying.
    let mut len = 0usize;
    // '=' seen since the last other character: padding if nothing follows.
    let mut trailing_eq = 0usize;
    let mut first_bad: Option<u8> = None;
    for b in s.bytes().filter(|b| !b.is_ascii_whitespace()) {
        len += 1;
        if b == b'=' {
            trailing_eq += 1;
            continue;
        }
        if trailing_eq > 0 && first_bad.is_none() {
            first_bad = Some(b'=');
        }
        trailing_eq = 0;
        if first_bad.is_none() && !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/') {
            first_bad = Some(b);
        }
    }
    if !len.is_multiple_of(4) {
        return Some("length is not a multiple of 4".into());
    }
    if trailing_eq > 2 {
        return Some("too much '=' padding".into());
    }
    first_bad.map(|b| format!("character '{}' is not base64", b as char))
}

/// Parses `YYYY[-MM[-DD]]`; returns the rest of the text after the date.
fn parse_date_prefix(s: &str) -> Result<(usize, &str), String> {
    let b = s.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return Err("year must be 4 digits".into());
    }
    let year = num(&b[..4]);
    if year == 0 {
        return Err("year 0000".into());
    }
    let mut rest = &s[4..];
    let mut parts = 1;
    if let Some(after) = rest.strip_prefix('-') {
        let month = two_digits(after).ok_or("month must be 2 digits")?;
        if !(1..=12).contains(&month) {
            return Err(format!("month {month}"));
        }
        rest = &after[2..];
        parts = 2;
        if let Some(after) = rest.strip_prefix('-') {
            let day = two_digits(after).ok_or("day must be 2 digits")?;
            let last = days_in_month(year, month);
            if day == 0 || day > 31 {
                return Err(format!("day {day}"));
            }
            if day > last {
                return Err(format!(
                    "{} {day} does not exist in {year}",
                    month_name(month)
                ));
            }
            rest = &after[2..];
            parts = 3;
        }
    }
    Ok((parts, rest))
}

fn date_reason(s: &str) -> Option<String> {
    match parse_date_prefix(s) {
        Err(why) => Some(why),
        Ok((_, "")) => None,
        Ok((_, rest)) if rest.starts_with('T') => Some("a date has no time; use dateTime".into()),
        Ok(_) => Some("expected YYYY, YYYY-MM or YYYY-MM-DD".into()),
    }
}

fn datetime_reason(s: &str, instant: bool) -> Option<String> {
    let (parts, rest) = match parse_date_prefix(s) {
        Ok(v) => v,
        Err(why) => return Some(why),
    };
    if rest.is_empty() {
        return instant.then(|| "an instant needs a full date, time and time zone".into());
    }
    let Some(time) = rest.strip_prefix('T') else {
        return Some("expected 'T' between date and time".into());
    };
    if parts < 3 {
        return Some("a time needs a full date".into());
    }
    let zone_at = time.find(['Z', '+', '-']);
    let Some(zone_at) = zone_at else {
        return Some("a time must have a time zone (Z or +hh:mm)".into());
    };
    if let Some(why) = time_reason(&time[..zone_at]) {
        return Some(why);
    }
    zone_reason(&time[zone_at..])
}

fn zone_reason(zone: &str) -> Option<String> {
    if zone == "Z" {
        return None;
    }
    let b = zone.as_bytes();
    let shaped = b.len() == 6 && matches!(b[0], b'+' | b'-') && b[3] == b':';
    // Byte 0 and 3 are ASCII when shaped, so these slices sit on char boundaries.
    let parsed = if shaped {
        two_digits(&zone[1..3]).zip(two_digits(&zone[4..]))
    } else {
        None
    };
    match parsed {
        None => Some(format!("time zone '{zone}' must be Z or +hh:mm")),
        Some((h, m)) if m > 59 || h > 14 || (h == 14 && m != 0) => {
            Some(format!("time zone '{zone}' out of range"))
        }
        Some(_) => None,
    }
}

fn time_reason(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return Some("time must be hh:mm:ss".into());
    }
    let (Some(h), Some(m), Some(sec)) = (two_digits(s), two_digits(&s[3..]), two_digits(&s[6..]))
    else {
        return Some("time must be hh:mm:ss".into());
    };
    if h > 23 {
        return Some(format!("hour {h}"));
    }
    if m > 59 {
        return Some(format!("minute {m}"));
    }
    if sec > 60 {
        return Some(format!("second {sec}"));
    }
    let fraction = &s[8..];
    if fraction.is_empty() {
        return None;
    }
    let digits = fraction.strip_prefix('.').unwrap_or("");
    (digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| "fraction of second must be '.' and digits".into())
}

fn two_digits(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit()).then(|| num(&b[..2]))
}

fn num(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("month")
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", clip(s)),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        other => other.to_string(),
    }
}

/// Keeps messages short when a value is huge.
fn clip(s: &str) -> String {
    if s.chars().count() <= 80 {
        return s.to_string();
    }
    let head: String = s.chars().take(77).collect();
    format!("{head}...")
}

#[cfg(test)]
mod tests;
