//! String functions. Positions and lengths count Unicode characters.

use super::{Call, Func};
use crate::eval::EvalResult;
use crate::value::{Collection, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

fn text<'a>(value: String) -> EvalResult<Option<Collection<'a>>> {
    Ok(Some(vec![Value::string(value)]))
}

fn boolean<'a>(value: bool) -> EvalResult<Option<Collection<'a>>> {
    Ok(Some(vec![Value::Boolean(value)]))
}

fn none<'a>() -> EvalResult<Option<Collection<'a>>> {
    Ok(Some(Vec::new()))
}

/// Compiled patterns by text. Invariants run `matches()` with the same few
/// literal patterns on every element they apply to, and compiling a regex
/// costs far more than matching it. Entries are shared through an `Arc`, not
/// cloned: a `Regex` clone starts with an empty pool of match caches, so every
/// match on a fresh clone would allocate and initialise a new lazy DFA cache.
static REGEX_CACHE: OnceLock<RwLock<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();

/// Patterns are often built from data (`matches(%pattern)`), so the cache is
/// bounded: past this many distinct patterns new ones are compiled per call.
const MAX_CACHED_REGEXES: usize = 4_096;

fn regex(call: &Call<'_, '_>, pattern: &str) -> EvalResult<Arc<regex::Regex>> {
    let cache = REGEX_CACHE.get_or_init(RwLock::default);
    if let Ok(map) = cache.read() {
        if let Some(found) = map.get(pattern) {
            return Ok(Arc::clone(found));
        }
    }
    let compiled = regex::Regex::new(pattern)
        .map(Arc::new)
        .map_err(|e| call.error(format!("invalid regular expression: {e}")))?;
    if let Ok(mut map) = cache.write() {
        if map.len() < MAX_CACHED_REGEXES {
            map.insert(pattern.to_string(), Arc::clone(&compiled));
        }
    }
    Ok(compiled)
}

pub(super) fn call<'a>(
    call: &Call<'_, 'a>,
    focus: &[Value<'a>],
) -> EvalResult<Option<Collection<'a>>> {
    let is_string_func = matches!(
        call.func,
        Func::IndexOf
            | Func::Substring
            | Func::StartsWith
            | Func::EndsWith
            | Func::Contains
            | Func::Upper
            | Func::Lower
            | Func::Replace
            | Func::Matches
            | Func::ReplaceMatches
            | Func::MatchesFull
            | Func::Length
            | Func::ToChars
            | Func::Split
            | Func::Trim
            | Func::Encode
            | Func::Decode
            | Func::Escape
            | Func::Unescape
    );
    if call.func == Func::Join {
        let separator = call.arg_string(0)?.unwrap_or_default();
        let parts: Option<Vec<&str>> = focus.iter().map(Value::as_str).collect();
        let parts = parts.ok_or_else(|| call.error("expected Strings"))?;
        return text(parts.join(&separator));
    }
    if !is_string_func {
        return Ok(None);
    }
    let Some(input) = call.input_string(focus)? else {
        return none();
    };
    let input: &str = &input;
    match call.func {
        Func::IndexOf => {
            let Some(sub) = call.arg_string(0)? else {
                return none();
            };
            let index = input
                .find(&sub)
                .map_or(-1, |byte| input[..byte].chars().count() as i64);
            Ok(Some(vec![Value::Integer(index)]))
        }
        Func::Substring => {
            let Some(start) = call.arg_integer(0)? else {
                return none();
            };
            let length = call.arg_integer(1)?;
            let count = input.chars().count() as i64;
            if start < 0 || start >= count {
                return none();
            }
            let take = length.unwrap_or(count).max(0) as usize;
            text(input.chars().skip(start as usize).take(take).collect())
        }
        Func::StartsWith => match call.arg_string(0)? {
            Some(prefix) => boolean(input.starts_with(&prefix)),
            None => none(),
        },
        Func::EndsWith => match call.arg_string(0)? {
            Some(suffix) => boolean(input.ends_with(&suffix)),
            None => none(),
        },
        Func::Contains => match call.arg_string(0)? {
            Some(sub) => boolean(input.contains(&sub)),
            None => none(),
        },
        Func::Upper => text(input.to_uppercase()),
        Func::Lower => text(input.to_lowercase()),
        Func::Replace => {
            let (Some(pattern), Some(with)) = (call.arg_string(0)?, call.arg_string(1)?) else {
                return none();
            };
            if pattern.is_empty() {
                // Spec: an empty pattern inserts the substitution around every character.
                let mut out = with.clone();
                for c in input.chars() {
                    out.push(c);
                    out.push_str(&with);
                }
                return text(out);
            }
            text(input.replace(&pattern, &with))
        }
        Func::Matches => match call.arg_string(0)? {
            Some(pattern) => boolean(regex(call, &format!("(?s:{pattern})"))?.is_match(input)),
            None => none(),
        },
        Func::MatchesFull => match call.arg_string(0)? {
            Some(pattern) => boolean(regex(call, &format!("^(?s:{pattern})$"))?.is_match(input)),
            None => none(),
        },
        Func::ReplaceMatches => {
            let (Some(pattern), Some(with)) = (call.arg_string(0)?, call.arg_string(1)?) else {
                return none();
            };
            if pattern.is_empty() {
                return text(input.to_string());
            }
            text(
                regex(call, &pattern)?
                    .replace_all(input, with.as_str())
                    .into_owned(),
            )
        }
        Func::Length => Ok(Some(vec![Value::Integer(input.chars().count() as i64)])),
        Func::ToChars => Ok(Some(
            input
                .chars()
                .map(|c| Value::string(c.to_string()))
                .collect(),
        )),
        Func::Split => {
            let Some(separator) = call.arg_string(0)? else {
                return none();
            };
            if separator.is_empty() {
                return Ok(Some(
                    input
                        .chars()
                        .map(|c| Value::string(c.to_string()))
                        .collect(),
                ));
            }
            Ok(Some(
                input
                    .split(separator.as_str())
                    .map(|part| Value::string(part.to_string()))
                    .collect(),
            ))
        }
        Func::Trim => text(input.trim().to_string()),
        Func::Encode => {
            let Some(format) = call.arg_string(0)? else {
                return none();
            };
            match format.as_str() {
                "base64" => text(base64_encode(input.as_bytes(), false)),
                "urlbase64" => text(base64_encode(input.as_bytes(), true)),
                "hex" => text(input.bytes().map(|b| format!("{b:02x}")).collect()),
                _ => Err(call.error(format!("unknown encoding '{format}'"))),
            }
        }
        Func::Decode => {
            let Some(format) = call.arg_string(0)? else {
                return none();
            };
            let bytes = match format.as_str() {
                "base64" | "urlbase64" => base64_decode(input),
                "hex" => hex_decode(input),
                _ => return Err(call.error(format!("unknown encoding '{format}'"))),
            };
            match bytes.and_then(|b| String::from_utf8(b).ok()) {
                Some(decoded) => text(decoded),
                None => none(),
            }
        }
        Func::Escape | Func::Unescape => {
            let Some(target) = call.arg_string(0)? else {
                return none();
            };
            let escaped = match (call.func, target.as_str()) {
                (Func::Escape, "html") => escape_html(input),
                (Func::Escape, "json") => escape_json(input),
                (Func::Unescape, "html") => unescape_html(input),
                (Func::Unescape, "json") => unescape_json(input),
                _ => return Err(call.error(format!("unknown escape target '{target}'"))),
            };
            text(escaped)
        }
        _ => Ok(None),
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8], url: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                let c = BASE64[(n >> (18 - 6 * i) & 63) as usize] as char;
                out.push(match (url, c) {
                    (true, '+') => '-',
                    (true, '/') => '_',
                    _ => c,
                });
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            _ => return None,
        };
        bits = bits << 6 | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count & 0xff) as u8);
        }
    }
    Some(out)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn escape_json(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn unescape_json(text: &str) -> String {
    serde_json::from_str::<String>(&format!("\"{text}\"")).unwrap_or_else(|_| text.to_string())
}
