//! `lowBoundary()` / `highBoundary()`: the smallest and largest values an
//! imprecise decimal, quantity, date, dateTime or time could stand for, at a
//! requested precision (decimal places for numbers, digit count for dates:
//! 4 year ... 17 milliseconds; 9 for a time to the millisecond).

use fhir_core::decimal::Decimal;
use fhir_core::temporal::{days_in_month, DateTime, Precision, Time, TzOffset};

use crate::eval::EvalResult;
use crate::functions::{Call, Func};
use crate::value::{Collection, Quantity, Value};

/// Largest decimal precision accepted (more gives empty, as the suite expects).
const MAX_DECIMAL_PRECISION: i64 = 31;

pub(crate) fn call<'a>(call: &Call<'_, 'a>, focus: &[Value<'a>]) -> EvalResult<Collection<'a>> {
    let high = call.func == Func::HighBoundary;
    let Some(item) = call.input_single(focus)? else {
        return Ok(Vec::new());
    };
    let precision = call.arg_integer(0)?;
    let result = match item.to_system().into_owned() {
        Value::Integer(i) => {
            decimal_boundary(&Decimal::from_i64(i), precision, high).map(Value::Decimal)
        }
        Value::Decimal(d) => decimal_boundary(&d, precision, high).map(Value::Decimal),
        Value::Quantity(q) => decimal_boundary(&q.value, precision, high).map(|value| {
            Value::Quantity(Quantity {
                value,
                unit: q.unit,
            })
        }),
        Value::Date(d) => date_boundary(&d, precision.unwrap_or(8), high).map(Value::Date),
        Value::DateTime(d) => date_boundary(&d, precision.unwrap_or(17), high).map(Value::DateTime),
        Value::Time(t) => time_boundary(&t, precision.unwrap_or(9), high).map(Value::Time),
        other => return Err(call.error(format!("no boundary for {}", other.type_label()))),
    };
    Ok(result.into_iter().collect())
}

fn decimal_boundary(value: &Decimal, precision: Option<i64>, high: bool) -> Option<Decimal> {
    let precision = precision.unwrap_or(8);
    if !(0..=MAX_DECIMAL_PRECISION).contains(&precision) {
        return None;
    }
    let precision = precision as u32;
    // Half a unit of the last written digit either side.
    let half = Decimal::from_parts(5, value.scale() + 1);
    let bound = if high {
        value.checked_add(&half)?
    } else {
        value.checked_sub(&half)?
    };
    if precision >= bound.scale() {
        return bound.rescale(precision);
    }
    let truncated = bound.truncate_to(precision);
    let step = Decimal::from_parts(1, precision);
    let exact = truncated == bound;
    Some(match (high, bound.is_negative(), exact) {
        (false, true, false) => truncated.checked_sub(&step)?,
        (true, false, false) => truncated.checked_add(&step)?,
        _ => truncated,
    })
}

fn precision_of_digits(digits: i64) -> Option<Precision> {
    Some(match digits {
        4 => Precision::Year,
        6 => Precision::Month,
        8 => Precision::Day,
        10 => Precision::Hour,
        12 => Precision::Minute,
        14 | 17 => Precision::Second,
        _ => return None,
    })
}

fn date_boundary(value: &DateTime, digits: i64, high: bool) -> Option<DateTime> {
    let target = precision_of_digits(digits)?;
    let mut out = value.clone();
    out.trailing_t = false;
    if value.precision < Precision::Month {
        out.month = if high { 12 } else { 1 };
    }
    if value.precision < Precision::Day {
        out.day = if high {
            days_in_month(out.year.into(), out.month)
        } else {
            1
        };
    }
    // An hour without minutes is read as hh:00 (FHIR has no hour precision).
    if value.precision < Precision::Hour {
        out.hour = if high { 23 } else { 0 };
    }
    if value.precision < Precision::Hour {
        out.minute = if high { 59 } else { 0 };
    }
    if value.precision < Precision::Second {
        out.second = if high { 59 } else { 0 };
        out.fraction = if high { "999".into() } else { "000".into() };
    } else if out.fraction.len() < 3 {
        let fill = if high { '9' } else { '0' };
        let padded: String = out
            .fraction
            .chars()
            .chain(std::iter::repeat(fill))
            .take(3)
            .collect();
        out.fraction = padded.into();
    }
    out.precision = target;
    if target > Precision::Day && out.offset.is_none() {
        // Unknown offset: the widest span, +14:00 for the low end, -12:00 for the high.
        out.offset = Some(if high {
            TzOffset {
                minutes: -720,
                zulu: false,
                negative: true,
            }
        } else {
            TzOffset {
                minutes: 840,
                zulu: false,
                negative: false,
            }
        });
    }
    if target <= Precision::Day {
        out.offset = None;
    }
    if target < Precision::Second || digits == 14 {
        out.fraction = "".into();
    }
    Some(out)
}

fn time_boundary(value: &Time, digits: i64, high: bool) -> Option<Time> {
    let target = match digits {
        2 => Precision::Hour,
        4 => Precision::Minute,
        6 | 9 => Precision::Second,
        _ => return None,
    };
    let mut out = value.clone();
    if value.precision < Precision::Minute {
        out.minute = if high { 59 } else { 0 };
    }
    if value.precision < Precision::Second {
        out.second = if high { 59 } else { 0 };
    }
    let fill = if high { '9' } else { '0' };
    out.fraction = if digits == 9 {
        out.fraction
            .chars()
            .chain(std::iter::repeat(fill))
            .take(3)
            .collect::<String>()
            .into()
    } else {
        "".into()
    };
    out.precision = target;
    Some(out)
}
