//! Equality (`=`), equivalence (`~`) and ordering of single items, on their
//! System values. `None` means "empty" (unknown), as when date precisions
//! differ or quantity units cannot be compared.

use std::cmp::Ordering;

use fhir_core::decimal::Decimal;
use serde_json::Value as Json;

use crate::ucum;
use crate::value::{Quantity, Value};

fn as_decimal(value: &Value<'_>) -> Option<Decimal> {
    match value {
        Value::Integer(i) => Some(Decimal::from_i64(*i)),
        Value::Decimal(d) => Some(d.clone()),
        _ => None,
    }
}

/// `=` on two items.
pub fn equal(left: &Value<'_>, right: &Value<'_>) -> Option<bool> {
    let (l, r) = (left.to_system(), right.to_system());
    match (&*l, &*r) {
        (Value::Boolean(a), Value::Boolean(b)) => Some(a == b),
        (Value::String(a), Value::String(b)) => Some(a == b),
        (Value::Integer(a), Value::Integer(b)) => Some(a == b),
        (
            a @ (Value::Integer(_) | Value::Decimal(_)),
            b @ (Value::Integer(_) | Value::Decimal(_)),
        ) => Some(as_decimal(a)? == as_decimal(b)?),
        (Value::Date(a) | Value::DateTime(a), Value::Date(b) | Value::DateTime(b)) => {
            a.partial_cmp_fhirpath(b).map(|o| o == Ordering::Equal)
        }
        (Value::Time(a), Value::Time(b)) => a.partial_cmp_fhirpath(b).map(|o| o == Ordering::Equal),
        (Value::Quantity(a), Value::Quantity(b)) => {
            quantity_cmp(a, b, false).map(|o| o == Ordering::Equal)
        }
        (Value::Node(a), Value::Node(b)) => Some(a.json == b.json && a.extra == b.extra),
        _ => Some(false),
    }
}

/// `~` on two items.
pub fn equivalent(left: &Value<'_>, right: &Value<'_>) -> bool {
    let (l, r) = (left.to_system(), right.to_system());
    match (&*l, &*r) {
        (Value::String(a), Value::String(b)) => normalize_ws(a) == normalize_ws(b),
        (
            a @ (Value::Integer(_) | Value::Decimal(_)),
            b @ (Value::Integer(_) | Value::Decimal(_)),
        ) => match (as_decimal(a), as_decimal(b)) {
            (Some(a), Some(b)) => decimal_equivalent(&a, &b),
            _ => false,
        },
        (Value::Date(a) | Value::DateTime(a), Value::Date(b) | Value::DateTime(b)) => {
            a.precision == b.precision && a.partial_cmp_fhirpath(b) == Some(Ordering::Equal)
        }
        (Value::Time(a), Value::Time(b)) => {
            a.precision == b.precision && a.partial_cmp_fhirpath(b) == Some(Ordering::Equal)
        }
        (Value::Quantity(a), Value::Quantity(b)) => quantity_equivalent(a, b),
        (Value::Node(a), Value::Node(b)) => a
            .json
            .zip(b.json)
            .is_some_and(|(x, y)| json_equivalent(x, y)),
        (a, b) => equal(a, b).unwrap_or(false),
    }
}

fn normalize_ws(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Equal when rounded to the precision of the less precise operand.
fn decimal_equivalent(a: &Decimal, b: &Decimal) -> bool {
    let scale = a.scale().min(b.scale());
    match (a.rescale(scale), b.rescale(scale)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn json_equivalent(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(x), Json::String(y)) => normalize_ws(x) == normalize_ws(y),
        (Json::Object(x), Json::Object(y)) => {
            let keys =
                |m: &serde_json::Map<String, Json>| m.keys().filter(|k| k.as_str() != "id").count();
            keys(x) == keys(y)
                && x.iter()
                    .filter(|(k, _)| k.as_str() != "id")
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equivalent(v, w)))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_equivalent(v, w))
        }
        (x, y) => x == y,
    }
}

/// Ordering of two quantities; `equivalence` lets calendar years/months
/// match UCUM `a`/`mo`.
pub fn quantity_cmp(a: &Quantity, b: &Quantity, equivalence: bool) -> Option<Ordering> {
    if a.unit == b.unit {
        return Some(a.value.cmp_value(&b.value));
    }
    let calendar_a = ucum::calendar_to_ucum(&a.unit);
    let calendar_b = ucum::calendar_to_ucum(&b.unit);
    let inexact = calendar_a.is_some_and(|(_, inexact)| inexact)
        || calendar_b.is_some_and(|(_, inexact)| inexact);
    if inexact && !equivalence && calendar_a.map(|c| c.0) != calendar_b.map(|c| c.0) {
        // A calendar year/month against a definite duration: not comparable.
        return None;
    }
    let converted = ucum::convert(&b.value, &b.unit, &a.unit)?;
    Some(a.value.cmp_value(&converted))
}

fn quantity_equivalent(a: &Quantity, b: &Quantity) -> bool {
    let Some(converted) = ucum::convert(&b.value, &b.unit, &a.unit) else {
        return false;
    };
    decimal_equivalent(&a.value, &converted) || a.value == converted
}

/// `<`, `>`... on two items: `Ok(None)` is empty, `Err` a type mismatch.
pub fn order(left: &Value<'_>, right: &Value<'_>) -> Result<Option<Ordering>, String> {
    let (l, r) = (left.to_system(), right.to_system());
    match (&*l, &*r) {
        (Value::String(a), Value::String(b)) => Ok(Some(a.cmp(b))),
        (Value::Integer(a), Value::Integer(b)) => Ok(Some(a.cmp(b))),
        (
            a @ (Value::Integer(_) | Value::Decimal(_)),
            b @ (Value::Integer(_) | Value::Decimal(_)),
        ) => Ok(as_decimal(a)
            .zip(as_decimal(b))
            .map(|(x, y)| x.cmp_value(&y))),
        (Value::Date(a) | Value::DateTime(a), Value::Date(b) | Value::DateTime(b)) => {
            Ok(a.partial_cmp_fhirpath(b))
        }
        (Value::Time(a), Value::Time(b)) => Ok(a.partial_cmp_fhirpath(b)),
        (Value::Quantity(a), Value::Quantity(b)) => match quantity_cmp(a, b, false) {
            Some(o) => Ok(Some(o)),
            None => Err(format!(
                "cannot compare quantities in '{}' and '{}'",
                a.unit, b.unit
            )),
        },
        (Value::Date(a) | Value::DateTime(a), Value::String(s))
        | (Value::String(s), Value::Date(a) | Value::DateTime(a)) => {
            // A date compared with text that is a date (FHIR string input).
            let parsed =
                fhir_core::temporal::parse_date_time_fhirpath(s).map_err(|e| e.to_string())?;
            let ordering = a.partial_cmp_fhirpath(&parsed);
            Ok(if matches!(&*l, Value::String(_)) {
                ordering.map(Ordering::reverse)
            } else {
                ordering
            })
        }
        (a, b) => Err(format!(
            "cannot compare {} with {}",
            a.type_label(),
            b.type_label()
        )),
    }
}
