//! Binary and unary operators: three-valued logic, equality and
//! equivalence over collections, comparison, membership, union, string
//! concatenation and arithmetic (numbers, quantities, date + duration).

use std::cmp::Ordering;

use fhir_core::decimal::Decimal;
use fhir_core::temporal::CalendarUnit;

use super::compare::{equal, equivalent, order};
use super::{EvalResult, Evaluator, Frame};
use crate::ast::{BinaryOp, Expr};
use crate::error::RawEvalError;
use crate::ucum;
use crate::value::{Collection, Quantity, Value};

pub(crate) fn binary<'a>(
    ev: &Evaluator<'a>,
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    focus: &[Value<'a>],
    frame: &Frame<'a>,
    offset: usize,
) -> EvalResult<Collection<'a>> {
    use BinaryOp::*;
    if matches!(op, And | Or | Xor | Implies) {
        let a = to_logic(&ev.eval(left, focus, frame)?, left.offset)?;
        // Short-circuit where the left side decides the answer.
        match (op, a) {
            (And, Some(false)) => return Ok(vec![Value::Boolean(false)]),
            (Or, Some(true)) => return Ok(vec![Value::Boolean(true)]),
            (Implies, Some(false)) => return Ok(vec![Value::Boolean(true)]),
            _ => {}
        }
        let b = to_logic(&ev.eval(right, focus, frame)?, right.offset)?;
        let result = match op {
            And => match (a, b) {
                (Some(true), Some(true)) => Some(true),
                (_, Some(false)) => Some(false),
                _ => None,
            },
            Or => match (a, b) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Xor => a.zip(b).map(|(x, y)| x != y),
            _ => match (a, b) {
                (Some(true), b) => b,
                (None, Some(true)) => Some(true),
                _ => None,
            },
        };
        return Ok(result.map(Value::Boolean).into_iter().collect());
    }
    let a = ev.eval(left, focus, frame)?;
    let b = ev.eval(right, focus, frame)?;
    let boolean = |value: Option<bool>| Ok(value.map(Value::Boolean).into_iter().collect());
    match op {
        Eq => boolean(collection_equal(&a, &b)),
        Ne => boolean(collection_equal(&a, &b).map(|x| !x)),
        Equiv => boolean(Some(collection_equivalent(&a, &b))),
        NotEquiv => boolean(Some(!collection_equivalent(&a, &b))),
        Lt | Le | Gt | Ge => compare(op, &a, &b, offset),
        Union => Ok(union(a, b)),
        In => membership(&a, &b, offset),
        Contains => membership(&b, &a, offset),
        Concat => {
            let text = |items: &[Value<'a>]| -> EvalResult<String> {
                match items {
                    [] => Ok(String::new()),
                    [item] => item
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| RawEvalError::new(offset, "'&' needs strings")),
                    _ => Err(RawEvalError::new(offset, "'&' needs single items")),
                }
            };
            Ok(vec![Value::string(text(&a)? + &text(&b)?)])
        }
        _ => arithmetic(op, &a, &b, offset),
    }
}

/// Boolean reading of an operand of a logical operator.
pub(crate) fn to_logic(items: &[Value<'_>], offset: usize) -> EvalResult<Option<bool>> {
    match items {
        [] => Ok(None),
        [item] => match &*item.to_system() {
            Value::Boolean(b) => Ok(Some(*b)),
            // Singleton evaluation: any other single item counts as true.
            _ => Ok(Some(true)),
        },
        _ => Err(RawEvalError::new(
            offset,
            "logical operator needs a single item, found several",
        )),
    }
}

pub(crate) fn collection_equal(a: &[Value<'_>], b: &[Value<'_>]) -> Option<bool> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a.len() != b.len() {
        return Some(false);
    }
    let mut unknown = false;
    for (x, y) in a.iter().zip(b) {
        match equal(x, y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}

pub(crate) fn collection_equivalent(a: &[Value<'_>], b: &[Value<'_>]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .position(|(i, y)| !used[i] && equivalent(x, y));
        if let Some(i) = found {
            used[i] = true;
        }
        found.is_some()
    })
}

fn compare<'a>(
    op: BinaryOp,
    a: &[Value<'a>],
    b: &[Value<'a>],
    offset: usize,
) -> EvalResult<Collection<'a>> {
    let (x, y) = match (a, b) {
        ([], _) | (_, []) => return Ok(Vec::new()),
        ([x], [y]) => (x, y),
        _ => {
            return Err(RawEvalError::new(
                offset,
                "comparison needs single items, found several",
            ))
        }
    };
    let Some(ordering) = order(x, y).map_err(|m| RawEvalError::new(offset, m))? else {
        return Ok(Vec::new());
    };
    let result = match op {
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::Le => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    };
    Ok(vec![Value::Boolean(result)])
}

/// Items of `a` then of `b`, without duplicates (by `=`).
pub(crate) fn union<'a>(a: Collection<'a>, b: Collection<'a>) -> Collection<'a> {
    // Common in search expressions: one side empty, the other one item.
    match (a.len(), b.len()) {
        (0, 0 | 1) => return b,
        (1, 0) => return a,
        _ => {}
    }
    let mut out: Collection<'a> = Vec::with_capacity(a.len() + b.len());
    for item in a.into_iter().chain(b) {
        if !out.iter().any(|seen| equal(seen, &item) == Some(true)) {
            out.push(item);
        }
    }
    out
}

fn membership<'a>(
    item: &[Value<'a>],
    set: &[Value<'a>],
    offset: usize,
) -> EvalResult<Collection<'a>> {
    match item {
        [] => Ok(Vec::new()),
        [x] => Ok(vec![Value::Boolean(
            set.iter().any(|y| equal(x, y) == Some(true)),
        )]),
        _ => Err(RawEvalError::new(
            offset,
            "membership needs a single item on the left, found several",
        )),
    }
}

pub(crate) fn negate<'a>(items: Collection<'a>, offset: usize) -> EvalResult<Collection<'a>> {
    let item = match items.as_slice() {
        [] => return Ok(Vec::new()),
        [item] => item.to_system().into_owned(),
        _ => return Err(RawEvalError::new(offset, "unary minus needs a single item")),
    };
    let negated = match item {
        Value::Integer(i) => Value::Integer(
            i.checked_neg()
                .ok_or_else(|| RawEvalError::new(offset, "integer overflow"))?,
        ),
        Value::Decimal(d) => Value::Decimal(d.neg()),
        Value::Quantity(q) => Value::Quantity(Quantity {
            value: q.value.neg(),
            unit: q.unit,
        }),
        other => {
            return Err(RawEvalError::new(
                offset,
                format!("cannot negate {}", other.type_label()),
            ))
        }
    };
    Ok(vec![negated])
}

fn arithmetic<'a>(
    op: BinaryOp,
    a: &[Value<'a>],
    b: &[Value<'a>],
    offset: usize,
) -> EvalResult<Collection<'a>> {
    let (x, y) = match (a, b) {
        ([], _) | (_, []) => return Ok(Vec::new()),
        ([x], [y]) => (x.to_system().into_owned(), y.to_system().into_owned()),
        _ => {
            return Err(RawEvalError::new(
                offset,
                "arithmetic needs single items, found several",
            ))
        }
    };
    let mismatch = || {
        RawEvalError::new(
            offset,
            format!(
                "cannot apply {op:?} to {} and {}",
                x.type_label(),
                y.type_label()
            ),
        )
    };
    let result = match (&x, &y) {
        (Value::Integer(i), Value::Integer(j)) => integer_op(op, *i, *j),
        (Value::Integer(_) | Value::Decimal(_), Value::Integer(_) | Value::Decimal(_)) => {
            let (Some(p), Some(q)) = (decimal_of(&x), decimal_of(&y)) else {
                return Err(mismatch());
            };
            decimal_op(op, &p, &q).map(Value::Decimal)
        }
        (Value::String(s), Value::String(t)) if op == BinaryOp::Add => {
            Some(Value::string(format!("{s}{t}")))
        }
        (Value::Date(d) | Value::DateTime(d), Value::Quantity(q))
            if matches!(op, BinaryOp::Add | BinaryOp::Sub) =>
        {
            let shifted = shift_date(d, q, op == BinaryOp::Sub).ok_or_else(mismatch)?;
            Some(if matches!(x, Value::Date(_)) {
                Value::Date(shifted)
            } else {
                Value::DateTime(shifted)
            })
        }
        (Value::Time(t), Value::Quantity(q)) if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            Some(Value::Time(
                shift_time(t, q, op == BinaryOp::Sub).ok_or_else(mismatch)?,
            ))
        }
        (Value::Quantity(p), Value::Quantity(q)) => quantity_op(op, p, q),
        (Value::Quantity(p), Value::Integer(_) | Value::Decimal(_))
            if matches!(op, BinaryOp::Mul | BinaryOp::Div) =>
        {
            let n = decimal_of(&y).ok_or_else(mismatch)?;
            decimal_op(op, &p.value, &n).map(|value| {
                Value::Quantity(Quantity {
                    value,
                    unit: p.unit.clone(),
                })
            })
        }
        (Value::Integer(_) | Value::Decimal(_), Value::Quantity(q)) if op == BinaryOp::Mul => {
            let n = decimal_of(&x).ok_or_else(mismatch)?;
            n.checked_mul(&q.value).map(|value| {
                Value::Quantity(Quantity {
                    value,
                    unit: q.unit.clone(),
                })
            })
        }
        _ => return Err(mismatch()),
    };
    Ok(result.into_iter().collect())
}

fn decimal_of(value: &Value<'_>) -> Option<Decimal> {
    match value {
        Value::Integer(i) => Some(Decimal::from_i64(*i)),
        Value::Decimal(d) => Some(d.clone()),
        _ => None,
    }
}

/// Integer arithmetic; overflow and division by zero give empty.
fn integer_op<'a>(op: BinaryOp, i: i64, j: i64) -> Option<Value<'a>> {
    match op {
        BinaryOp::Add => i.checked_add(j).map(Value::Integer),
        BinaryOp::Sub => i.checked_sub(j).map(Value::Integer),
        BinaryOp::Mul => i.checked_mul(j).map(Value::Integer),
        BinaryOp::Div => Decimal::from_i64(i)
            .checked_div(&Decimal::from_i64(j))
            .map(Value::Decimal),
        BinaryOp::IntDiv => i.checked_div(j).map(Value::Integer),
        BinaryOp::Mod => i.checked_rem(j).map(Value::Integer),
        _ => None,
    }
}

fn decimal_op(op: BinaryOp, p: &Decimal, q: &Decimal) -> Option<Decimal> {
    match op {
        BinaryOp::Add => p.checked_add(q),
        BinaryOp::Sub => p.checked_sub(q),
        BinaryOp::Mul => p.checked_mul(q),
        BinaryOp::Div => p.checked_div(q),
        BinaryOp::IntDiv => p.checked_div_trunc(q),
        BinaryOp::Mod => p.checked_rem(q),
        _ => None,
    }
}

fn quantity_op<'a>(op: BinaryOp, p: &Quantity, q: &Quantity) -> Option<Value<'a>> {
    let value = match op {
        BinaryOp::Add | BinaryOp::Sub => {
            let converted = ucum::convert(&q.value, &q.unit, &p.unit)?;
            let value = decimal_op(op, &p.value, &converted)?;
            return Some(Value::Quantity(Quantity {
                value,
                unit: p.unit.clone(),
            }));
        }
        BinaryOp::Mul => p.value.checked_mul(&q.value)?,
        BinaryOp::Div => p.value.checked_div(&q.value)?,
        _ => return None,
    };
    let unit = ucum::combine_units(&p.unit, &q.unit, op == BinaryOp::Div);
    Some(Value::Quantity(Quantity { value, unit }))
}

fn calendar_unit(unit: &str) -> Option<CalendarUnit> {
    Some(match unit.trim_end_matches('s') {
        // UCUM `a` and `mo` are not calendar durations: adding them to a
        // date is an error (FHIRPath spec, date arithmetic).
        "year" => CalendarUnit::Year,
        "month" => CalendarUnit::Month,
        "week" | "wk" => CalendarUnit::Week,
        "day" | "d" => CalendarUnit::Day,
        "hour" | "h" => CalendarUnit::Hour,
        "minute" | "min" => CalendarUnit::Minute,
        "second" | "" => CalendarUnit::Second,
        "millisecond" | "m" => CalendarUnit::Millisecond,
        _ => return None,
    })
}

/// Date/time + duration: the amount is truncated to whole units (spec:
/// decimal amounts of calendar units are rounded toward zero).
fn shift_date(
    d: &fhir_core::temporal::DateTime,
    q: &Quantity,
    subtract: bool,
) -> Option<fhir_core::temporal::DateTime> {
    let unit = calendar_unit(&q.unit)?;
    // Decimal amounts are truncated to whole units (0.1 's' adds nothing).
    let amount = q.value.truncate_to(0).to_i64_exact()?;
    d.add_calendar(
        if subtract {
            amount.checked_neg()?
        } else {
            amount
        },
        unit,
    )
}

fn shift_time(
    t: &fhir_core::temporal::Time,
    q: &Quantity,
    subtract: bool,
) -> Option<fhir_core::temporal::Time> {
    let unit = calendar_unit(&q.unit)?;
    if matches!(
        unit,
        CalendarUnit::Year | CalendarUnit::Month | CalendarUnit::Week | CalendarUnit::Day
    ) {
        return None;
    }
    // Reuse date arithmetic on an arbitrary day, then keep the clock part.
    let carrier = fhir_core::temporal::parse_date_time_fhirpath(&format!("2000-01-01T{t}")).ok()?;
    let shifted = shift_date(&carrier, q, subtract)?;
    Some(fhir_core::temporal::Time {
        hour: shifted.hour,
        minute: shifted.minute,
        second: shifted.second,
        fraction: shifted.fraction,
        precision: t.precision,
    })
}
