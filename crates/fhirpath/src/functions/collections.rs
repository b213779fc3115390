//! Existence, filtering/projection, subsetting and combining functions.

use super::{Call, Func};
use crate::eval::compare::equal;
use crate::eval::ops::{to_logic, union};
use crate::eval::EvalResult;
use crate::value::{Collection, Value};

fn contains_item(items: &[Value<'_>], item: &Value<'_>) -> bool {
    items.iter().any(|other| equal(other, item) == Some(true))
}

fn boolean<'a>(value: bool) -> EvalResult<Option<Collection<'a>>> {
    Ok(Some(vec![Value::Boolean(value)]))
}

/// Boolean result of a criterion for one item (`None` when empty).
fn criterion<'a>(
    call: &Call<'_, 'a>,
    item: &Value<'a>,
    position: usize,
) -> EvalResult<Option<bool>> {
    let result = call.arg_for(0, item, position, None)?;
    let offset = call.args.first().map_or(call.offset, |a| a.offset);
    to_logic(&result, offset)
}

/// Each item must be a Boolean for allTrue & co.
fn booleans(call: &Call<'_, '_>, focus: &[Value<'_>]) -> EvalResult<Vec<bool>> {
    focus
        .iter()
        .map(|item| match &*item.to_system() {
            Value::Boolean(b) => Ok(*b),
            other => Err(call.error(format!("expected Booleans, found {}", other.type_label()))),
        })
        .collect()
}

pub(super) fn call<'a>(
    call: &Call<'_, 'a>,
    focus: &[Value<'a>],
) -> EvalResult<Option<Collection<'a>>> {
    match call.func {
        Func::Empty => boolean(focus.is_empty()),
        Func::Exists if call.args.is_empty() => boolean(!focus.is_empty()),
        Func::Exists => {
            for (i, item) in focus.iter().enumerate() {
                if criterion(call, item, i)? == Some(true) {
                    return boolean(true);
                }
            }
            boolean(false)
        }
        Func::All => {
            for (i, item) in focus.iter().enumerate() {
                if criterion(call, item, i)? != Some(true) {
                    return boolean(false);
                }
            }
            boolean(true)
        }
        Func::AllTrue => boolean(booleans(call, focus)?.iter().all(|b| *b)),
        Func::AnyTrue => boolean(booleans(call, focus)?.iter().any(|b| *b)),
        Func::AllFalse => boolean(booleans(call, focus)?.iter().all(|b| !*b)),
        Func::AnyFalse => boolean(booleans(call, focus)?.iter().any(|b| !*b)),
        Func::SubsetOf => {
            let other = call.arg(0)?;
            boolean(focus.iter().all(|item| contains_item(&other, item)))
        }
        Func::SupersetOf => {
            let other = call.arg(0)?;
            boolean(other.iter().all(|item| contains_item(focus, item)))
        }
        Func::Count => Ok(Some(vec![Value::Integer(focus.len() as i64)])),
        Func::Distinct => Ok(Some(union(focus.to_vec(), Vec::new()))),
        Func::IsDistinct => boolean(union(focus.to_vec(), Vec::new()).len() == focus.len()),
        Func::Not => match focus {
            [] => Ok(Some(Vec::new())),
            [item] => match &*item.to_system() {
                Value::Boolean(b) => boolean(!b),
                other => {
                    Err(call.error(format!("expected a Boolean, found {}", other.type_label())))
                }
            },
            _ => Err(call.error("expected a single Boolean, found several items")),
        },
        Func::Where => {
            let mut out = Vec::new();
            for (i, item) in focus.iter().enumerate() {
                if criterion(call, item, i)? == Some(true) {
                    out.push(item.clone());
                }
            }
            Ok(Some(out))
        }
        Func::Select => {
            let mut out = Vec::new();
            for (i, item) in focus.iter().enumerate() {
                out.extend(call.arg_for(0, item, i, None)?);
            }
            Ok(Some(out))
        }
        Func::Repeat => Ok(Some(repeat(call, focus)?)),
        Func::OfType => {
            let Some(spec) = call.type_arg else {
                return Err(call.error("missing type"));
            };
            Ok(Some(
                focus
                    .iter()
                    .filter(|item| call.ev.is_type(item, spec))
                    .cloned()
                    .collect(),
            ))
        }
        Func::Single => match focus {
            [] | [_] => Ok(Some(focus.to_vec())),
            _ => Err(call.error("expected a single item, found several")),
        },
        Func::First => Ok(Some(focus.first().cloned().into_iter().collect())),
        Func::Last => Ok(Some(focus.last().cloned().into_iter().collect())),
        Func::Tail => Ok(Some(focus.iter().skip(1).cloned().collect())),
        Func::Skip => {
            let n = call.arg_integer(0)?.unwrap_or(0).max(0) as usize;
            Ok(Some(focus.iter().skip(n).cloned().collect()))
        }
        Func::Take => {
            let n = call.arg_integer(0)?.unwrap_or(0).max(0) as usize;
            Ok(Some(focus.iter().take(n).cloned().collect()))
        }
        Func::Intersect => {
            let other = call.arg(0)?;
            let matching: Vec<Value<'a>> = focus
                .iter()
                .filter(|item| contains_item(&other, item))
                .cloned()
                .collect();
            Ok(Some(union(matching, Vec::new())))
        }
        Func::Exclude => {
            let other = call.arg(0)?;
            Ok(Some(
                focus
                    .iter()
                    .filter(|item| !contains_item(&other, item))
                    .cloned()
                    .collect(),
            ))
        }
        Func::Union => Ok(Some(union(focus.to_vec(), call.arg(0)?))),
        Func::Combine => {
            let mut out = focus.to_vec();
            out.extend(call.arg(0)?);
            Ok(Some(out))
        }
        _ => Ok(None),
    }
}

/// `repeat(projection)`: applies the projection to the input, then to its
/// results, until nothing new appears (items already seen are not repeated,
/// which also ends cycles).
fn repeat<'a>(call: &Call<'_, 'a>, focus: &[Value<'a>]) -> EvalResult<Collection<'a>> {
    let mut out: Collection<'a> = Vec::new();
    let mut pending: Collection<'a> = focus.to_vec();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for (i, item) in pending.iter().enumerate() {
            for found in call.arg_for(0, item, i, None)? {
                if !contains_item(&out, &found) {
                    out.push(found.clone());
                    next.push(found);
                }
            }
        }
        pending = next;
    }
    Ok(out)
}
