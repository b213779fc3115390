//! Math functions. Exact where the result is exact (abs, ceiling, floor,
//! round, truncate, integer power); through `f64` for exp, ln, log, sqrt
//! and fractional powers, as the spec allows.

use fhir_core::decimal::Decimal;

use super::{Call, Func};
use crate::eval::EvalResult;
use crate::value::{Collection, Quantity, Value};

enum Number {
    Int(i64),
    Dec(Decimal),
}

fn number(call: &Call<'_, '_>, item: &Value<'_>) -> EvalResult<Number> {
    match &*item.to_system() {
        Value::Integer(i) => Ok(Number::Int(*i)),
        Value::Decimal(d) => Ok(Number::Dec(d.clone())),
        other => Err(call.error(format!("expected a number, found {}", other.type_label()))),
    }
}

fn decimal_of(n: &Number) -> Decimal {
    match n {
        Number::Int(i) => Decimal::from_i64(*i),
        Number::Dec(d) => d.clone(),
    }
}

fn from_f64<'a>(value: f64) -> Collection<'a> {
    Decimal::from_f64(value)
        .map(Value::Decimal)
        .into_iter()
        .collect()
}

pub(super) fn call<'a>(
    call: &Call<'_, 'a>,
    focus: &[Value<'a>],
) -> EvalResult<Option<Collection<'a>>> {
    if !matches!(
        call.func,
        Func::Abs
            | Func::Ceiling
            | Func::Exp
            | Func::Floor
            | Func::Ln
            | Func::Log
            | Func::Power
            | Func::Round
            | Func::Sqrt
            | Func::Truncate
    ) {
        return Ok(None);
    }
    let Some(item) = call.input_single(focus)? else {
        return Ok(Some(Vec::new()));
    };
    if let (Func::Abs, Value::Quantity(q)) = (call.func, &*item.to_system()) {
        return Ok(Some(vec![Value::Quantity(Quantity {
            value: q.value.abs(),
            unit: q.unit.clone(),
        })]));
    }
    let n = number(call, item)?;
    let x = decimal_of(&n);
    let result = match call.func {
        Func::Abs => match n {
            Number::Int(i) => i.checked_abs().map(Value::Integer).into_iter().collect(),
            Number::Dec(d) => vec![Value::Decimal(d.abs())],
        },
        Func::Ceiling => x
            .ceiling()
            .to_i64_exact()
            .map(Value::Integer)
            .into_iter()
            .collect(),
        Func::Floor => x
            .floor()
            .to_i64_exact()
            .map(Value::Integer)
            .into_iter()
            .collect(),
        Func::Truncate => x
            .truncate_to(0)
            .to_i64_exact()
            .map(Value::Integer)
            .into_iter()
            .collect(),
        Func::Round => {
            let precision = call.arg_integer(0)?.unwrap_or(0);
            if precision < 0 {
                return Err(call.error("precision must not be negative"));
            }
            x.rescale(precision.min(28) as u32)
                .map(Value::Decimal)
                .into_iter()
                .collect()
        }
        Func::Exp => from_f64(x.to_f64().exp()),
        Func::Ln if x.to_f64() > 0.0 => from_f64(x.to_f64().ln()),
        Func::Sqrt if !x.is_negative() => from_f64(x.to_f64().sqrt()),
        Func::Log => {
            let Some(base) = call.arg(0)?.first().map(|b| number(call, b)).transpose()? else {
                return Ok(Some(Vec::new()));
            };
            let base = decimal_of(&base).to_f64();
            if x.to_f64() <= 0.0 || base <= 0.0 || base == 1.0 {
                return Ok(Some(Vec::new()));
            }
            from_f64(x.to_f64().ln() / base.ln())
        }
        Func::Power => {
            let Some(exponent) = call.arg(0)?.first().map(|e| number(call, e)).transpose()? else {
                return Ok(Some(Vec::new()));
            };
            match (&n, &exponent) {
                (Number::Int(b), Number::Int(e)) if *e >= 0 => u32::try_from(*e)
                    .ok()
                    .and_then(|e| b.checked_pow(e))
                    .map(Value::Integer)
                    .into_iter()
                    .collect(),
                _ => {
                    let value = x.to_f64().powf(decimal_of(&exponent).to_f64());
                    if value.is_nan() {
                        Vec::new()
                    } else {
                        from_f64(value)
                    }
                }
            }
        }
        _ => Vec::new(),
    };
    Ok(Some(result))
}
