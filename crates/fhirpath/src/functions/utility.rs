//! iif, tree navigation (children, descendants), trace, aggregate, clock
//! functions, type functions and precision/boundaries.

use std::time::{SystemTime, UNIX_EPOCH};

use fhir_core::temporal::{parse_date_time_fhirpath, CalendarUnit, DateTime, Precision, Time};

use super::{Call, Func};
use crate::eval::ops::to_logic;
use crate::eval::EvalResult;
use crate::value::{Collection, Value};

pub(super) fn call<'a>(
    call: &Call<'_, 'a>,
    focus: &[Value<'a>],
) -> EvalResult<Option<Collection<'a>>> {
    let result = match call.func {
        Func::Iif => {
            if focus.len() > 1 {
                return Err(call.error("expected at most one input item"));
            }
            // Arguments are evaluated on the iif input (when it has one),
            // keeping $this/$total of the enclosing iteration.
            let arg = |index: usize| match focus.first() {
                Some(_) => call.arg_on(index, focus),
                None => call.arg(index),
            };
            let condition = arg(0)?;
            let offset = call.args.first().map_or(call.offset, |a| a.offset);
            match to_logic(&condition, offset)? {
                Some(true) => arg(1)?,
                _ => arg(2)?,
            }
        }
        Func::Children => {
            let mut out = Vec::new();
            for item in focus {
                call.ev.children(item, &mut out);
            }
            out
        }
        Func::Descendants => {
            let mut out = Vec::new();
            let mut pending: Collection<'a> = focus.to_vec();
            // Bounded by the input's depth: each round goes one level down.
            while !pending.is_empty() {
                let mut next = Vec::new();
                for item in &pending {
                    call.ev.children(item, &mut next);
                }
                out.extend(next.iter().cloned());
                pending = next;
            }
            out
        }
        Func::Trace => {
            // Logged at debug level through `tracing`; the input passes through.
            let name = call.arg_string(0)?.unwrap_or_default();
            let shown = match call.args.get(1) {
                Some(_) => call.arg_on(1, focus)?,
                None => focus.to_vec(),
            };
            tracing::debug!(target: "fhirpath::trace", name = %name, items = %crate::to_json_output(&shown), "trace()");
            focus.to_vec()
        }
        Func::Aggregate => {
            let mut total: Collection<'a> = call.arg(1)?;
            for (i, item) in focus.iter().enumerate() {
                let current = match total.as_slice() {
                    [] => None,
                    [single] => Some(single.clone()),
                    _ => return Err(call.error("$total must be a single item")),
                };
                total = call.arg_for(0, item, i, current)?;
            }
            total
        }
        Func::Now => vec![Value::DateTime(now(call))],
        Func::Today => {
            let mut today = now(call);
            today.precision = Precision::Day;
            today.offset = None;
            today.fraction = "".into();
            vec![Value::Date(today)]
        }
        Func::TimeOfDay => {
            let n = now(call);
            vec![Value::Time(Time {
                hour: n.hour,
                minute: n.minute,
                second: n.second,
                fraction: n.fraction,
                precision: Precision::Second,
            })]
        }
        Func::Is | Func::As => {
            let Some(spec) = call.type_arg else {
                return Err(call.error("missing type"));
            };
            call.ev.check_type_spec(spec).map_err(|m| call.error(m))?;
            let Some(item) = call.input_single(focus)? else {
                return Ok(Some(Vec::new()));
            };
            let matches = if call.func == Func::Is {
                call.ev.is_type(item, spec)
            } else {
                call.ev.is_type_exact(item, spec)
            };
            match call.func {
                Func::Is => vec![Value::Boolean(matches)],
                _ if matches => vec![item.clone()],
                _ => Vec::new(),
            }
        }
        Func::Precision => {
            let Some(item) = call.input_single(focus)? else {
                return Ok(Some(Vec::new()));
            };
            let digits = match &*item.to_system() {
                Value::Decimal(d) => d.precision() as i64,
                Value::Integer(_) => 0,
                Value::Date(d) | Value::DateTime(d) => date_digits(d),
                Value::Time(t) => time_digits(t),
                other => return Err(call.error(format!("no precision for {}", other.type_label()))),
            };
            vec![Value::Integer(digits)]
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

fn date_digits(d: &DateTime) -> i64 {
    match d.precision {
        Precision::Year => 4,
        Precision::Month => 6,
        Precision::Day => 8,
        Precision::Hour => 10,
        Precision::Minute => 12,
        Precision::Second if d.fraction.is_empty() => 14,
        Precision::Second => 17,
    }
}

fn time_digits(t: &Time) -> i64 {
    match t.precision {
        Precision::Hour => 2,
        Precision::Minute => 4,
        Precision::Second if t.fraction.is_empty() => 6,
        _ => 9,
    }
}

/// The context's fixed clock, or the system clock in UTC.
fn now(call: &Call<'_, '_>) -> DateTime {
    if let Some(fixed) = &call.ev.ctx.now {
        return fixed.clone();
    }
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let epoch = parse_date_time_fhirpath("1970-01-01T00:00:00.000Z");
    match epoch
        .ok()
        .and_then(|e| e.add_calendar(millis, CalendarUnit::Millisecond))
    {
        Some(now) => now,
        None => DateTime {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            fraction: "000".into(),
            precision: Precision::Second,
            offset: None,
            trailing_t: false,
        },
    }
}
