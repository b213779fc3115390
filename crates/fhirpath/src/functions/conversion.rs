//! Conversion functions (`toX()` / `convertsToX()`) and the textual form of
//! values used by `toString()`.

use fhir_core::decimal::Decimal;
use fhir_core::temporal::{parse_date_time_fhirpath, DateTime, Precision, Time};

use super::{Call, Func};
use crate::eval::EvalResult;
use crate::ucum;
use crate::value::{Collection, Quantity, Value};

/// `toString()` text of a System value (`None` for complex nodes).
pub(crate) fn to_text(value: &Value<'_>) -> Option<String> {
    Some(match &*value.to_system() {
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::String(s) => s.to_string(),
        Value::Date(d) | Value::DateTime(d) => d.to_string(),
        Value::Time(t) => t.to_string(),
        Value::Quantity(q) => quantity_text(q),
        Value::Node(_) => return None,
    })
}

pub(crate) fn quantity_text(q: &Quantity) -> String {
    if ucum::calendar_to_ucum(&q.unit).is_some() {
        format!("{} {}", q.value, q.unit)
    } else {
        format!("{} '{}'", q.value, q.unit)
    }
}

fn to_boolean(value: &Value<'_>) -> Option<bool> {
    match &*value.to_system() {
        Value::Boolean(b) => Some(*b),
        Value::Integer(1) => Some(true),
        Value::Integer(0) => Some(false),
        Value::Decimal(d) if *d == Decimal::from_i64(1) => Some(true),
        Value::Decimal(d) if d.is_zero() => Some(false),
        Value::String(s) => match s.to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(true),
            "false" | "f" | "no" | "n" | "0" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn to_integer(value: &Value<'_>) -> Option<i64> {
    match &*value.to_system() {
        Value::Integer(i) => Some(*i),
        Value::Boolean(b) => Some(i64::from(*b)),
        Value::String(s) if is_integer_text(s) => s.parse().ok(),
        _ => None,
    }
}

fn to_decimal(value: &Value<'_>) -> Option<Decimal> {
    match &*value.to_system() {
        Value::Integer(i) => Some(Decimal::from_i64(*i)),
        Value::Decimal(d) => Some(d.clone()),
        Value::Boolean(b) => Some(Decimal::from_parts(i128::from(*b) * 10, 1)),
        Value::String(s) => {
            let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
            if unsigned.contains(['e', 'E']) {
                return None;
            }
            let parsed = Decimal::parse_lenient(unsigned).ok()?;
            Some(if s.starts_with('-') {
                parsed.neg()
            } else {
                parsed
            })
        }
        _ => None,
    }
}

fn to_date_time(value: &Value<'_>) -> Option<DateTime> {
    match &*value.to_system() {
        Value::Date(d) | Value::DateTime(d) => Some(d.clone()),
        Value::String(s) => parse_date_time_fhirpath(s).ok(),
        _ => None,
    }
}

fn to_date(value: &Value<'_>) -> Option<DateTime> {
    let mut d = to_date_time(value)?;
    if d.precision > Precision::Day {
        d.precision = Precision::Day;
    }
    d.offset = None;
    d.fraction = "".into();
    d.trailing_t = false;
    Some(d)
}

fn to_time(value: &Value<'_>) -> Option<Time> {
    match &*value.to_system() {
        Value::Time(t) => Some(t.clone()),
        Value::String(s) => Time::parse_fhirpath(s.strip_prefix('T').unwrap_or(s)).ok(),
        _ => None,
    }
}

/// Parses `5 'mg'`, `5 mg`? (no: only quoted UCUM or a calendar word), `5`.
fn parse_quantity_text(s: &str) -> Option<Quantity> {
    let s = s.trim();
    let (number, unit) = match s.find(' ') {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "'1'"),
    };
    let value = to_decimal(&Value::string(number.to_string()))?;
    let unit = if let Some(quoted) = unit.strip_prefix('\'').and_then(|u| u.strip_suffix('\'')) {
        quoted.to_string()
    } else if ucum::calendar_to_ucum(unit).is_some() {
        unit.to_string()
    } else {
        return None;
    };
    Some(Quantity { value, unit })
}

fn to_quantity(value: &Value<'_>) -> Option<Quantity> {
    match &*value.to_system() {
        Value::Integer(i) => Some(Quantity {
            value: Decimal::from_i64(*i),
            unit: "1".into(),
        }),
        Value::Decimal(d) => Some(Quantity {
            value: d.clone(),
            unit: "1".into(),
        }),
        Value::Boolean(b) => Some(Quantity {
            value: Decimal::from_parts(i128::from(*b) * 10, 1),
            unit: "1".into(),
        }),
        Value::Quantity(q) => Some(q.clone()),
        Value::String(s) => parse_quantity_text(s),
        _ => None,
    }
}

pub(super) fn call<'a>(
    call: &Call<'_, 'a>,
    focus: &[Value<'a>],
) -> EvalResult<Option<Collection<'a>>> {
    use Func::*;
    let converts = matches!(
        call.func,
        ConvertsToBoolean
            | ConvertsToInteger
            | ConvertsToDate
            | ConvertsToDateTime
            | ConvertsToDecimal
            | ConvertsToQuantity
            | ConvertsToString
            | ConvertsToTime
    );
    let converting = matches!(
        call.func,
        ToBoolean | ToInteger | ToDate | ToDateTime | ToDecimal | ToQuantity | ToStringFn | ToTime
    );
    if !converts && !converting {
        return Ok(None);
    }
    let Some(item) = call.input_single(focus)? else {
        return Ok(Some(Vec::new()));
    };
    let result: Option<Value<'a>> = match call.func {
        ToBoolean | ConvertsToBoolean => to_boolean(item).map(Value::Boolean),
        ToInteger | ConvertsToInteger => to_integer(item).map(Value::Integer),
        ToDecimal | ConvertsToDecimal => to_decimal(item).map(Value::Decimal),
        ToDate | ConvertsToDate => to_date(item).map(Value::Date),
        ToDateTime | ConvertsToDateTime => to_date_time(item).map(Value::DateTime),
        ToTime | ConvertsToTime => to_time(item).map(Value::Time),
        ToStringFn | ConvertsToString => to_text(item).map(Value::string),
        _ => {
            let target = call.arg_string(0)?;
            to_quantity(item).and_then(|q| match &target {
                None => Some(Value::Quantity(q)),
                Some(unit) => ucum::convert(&q.value, &q.unit, unit).map(|value| {
                    Value::Quantity(Quantity {
                        value,
                        unit: unit.clone(),
                    })
                }),
            })
        }
    };
    if converts {
        return Ok(Some(vec![Value::Boolean(result.is_some())]));
    }
    Ok(Some(result.into_iter().collect()))
}
