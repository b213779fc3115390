//! `sort(key, ...)` (FHIRPath 2.1, used by the suite): orders the input by
//! each key in turn; a key written `-expr` sorts descending. Without keys the
//! items sort by their own value. Empty keys sort last; items whose keys
//! cannot be compared keep their relative order (the sort is stable).

use std::cmp::Ordering;

use super::Call;
use crate::ast::ExprKind;
use crate::eval::compare::order;
use crate::eval::EvalResult;
use crate::value::{Collection, Value};

pub(super) fn sort<'a>(call: &Call<'_, 'a>, focus: &[Value<'a>]) -> EvalResult<Collection<'a>> {
    // For each item, its key values (one per sort argument).
    let mut keyed: Vec<(Vec<Option<Value<'a>>>, Value<'a>)> = Vec::with_capacity(focus.len());
    for (i, item) in focus.iter().enumerate() {
        let mut keys = Vec::with_capacity(call.args.len().max(1));
        if call.args.is_empty() {
            keys.push(Some(item.clone()));
        }
        for arg in call.args {
            let expr = match &arg.kind {
                ExprKind::Negate(inner) => inner,
                _ => arg,
            };
            let frame = crate::eval::Frame {
                this: Some(item.clone()),
                index: Some(i as i64),
                total: None,
            };
            let values = call.ev.eval(expr, std::slice::from_ref(item), &frame)?;
            if values.len() > 1 {
                return Err(call.error("a sort key gave several items"));
            }
            keys.push(values.into_iter().next());
        }
        keyed.push((keys, item.clone()));
    }
    let descending: Vec<bool> = call
        .args
        .iter()
        .map(|a| matches!(a.kind, ExprKind::Negate(_)))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for (index, (x, y)) in a.iter().zip(b).enumerate() {
            let ordering = match (x, y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => order(x, y).ok().flatten().unwrap_or(Ordering::Equal),
            };
            let ordering = if descending.get(index).copied().unwrap_or(false) {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
    Ok(keyed.into_iter().map(|(_, item)| item).collect())
}
