//! Just enough UCUM to compare quantities: unit terms built from atoms
//! (mass, length, time, volume, amount, `1`, `%`) with metric prefixes,
//! exponents, `.` and `/`, reduced to base dimensions and an exact rational
//! factor. FHIRPath calendar words (`day`, `weeks`...) map to their UCUM
//! counterpart; `year` and `month` are calendar units that equal `a`/`mo`
//! only for equivalence (spec: calendar durations above weeks are not exact).
//! Unknown atoms make a unit comparable only with the identical unit.

use fhir_core::decimal::Decimal;

/// Exponents of mass (g), length (m), time (s), amount (mol).
type Dimensions = [i8; 4];

#[derive(Debug, Clone)]
pub struct Reduced {
    pub dims: Dimensions,
    /// factor = numerator / denominator, in base units.
    pub numerator: Decimal,
    pub denominator: Decimal,
}

/// Calendar keyword to UCUM code and whether it is a "calendar" (inexact)
/// duration.
pub fn calendar_to_ucum(unit: &str) -> Option<(&'static str, bool)> {
    let code = match unit.trim_end_matches('s') {
        "year" => ("a", true),
        "month" => ("mo", true),
        "week" => ("wk", false),
        "day" => ("d", false),
        "hour" => ("h", false),
        "minute" => ("min", false),
        "second" => ("s", false),
        "millisecond" => ("ms", false),
        _ => return None,
    };
    Some(code)
}

fn atom(code: &str) -> Option<(Dimensions, &'static str)> {
    let found = match code {
        "g" => ([1, 0, 0, 0], "1"),
        "m" => ([0, 1, 0, 0], "1"),
        "s" => ([0, 0, 1, 0], "1"),
        "mol" => ([0, 0, 0, 1], "1"),
        "min" => ([0, 0, 1, 0], "60"),
        "h" => ([0, 0, 1, 0], "3600"),
        "d" => ([0, 0, 1, 0], "86400"),
        "wk" => ([0, 0, 1, 0], "604800"),
        "mo" => ([0, 0, 1, 0], "2629800"),
        "a" => ([0, 0, 1, 0], "31557600"),
        "L" | "l" => ([0, 3, 0, 0], "0.001"),
        "[lb_av]" => ([1, 0, 0, 0], "453.59237"),
        "[oz_av]" => ([1, 0, 0, 0], "28.349523125"),
        "[in_i]" => ([0, 1, 0, 0], "0.0254"),
        "[ft_i]" => ([0, 1, 0, 0], "0.3048"),
        "[mi_i]" => ([0, 1, 0, 0], "1609.344"),
        "%" => ([0, 0, 0, 0], "0.01"),
        "1" => ([0, 0, 0, 0], "1"),
        _ => return None,
    };
    Some(found)
}

fn prefix(symbol: char) -> Option<i32> {
    Some(match symbol {
        'k' => 3,
        'h' => 2,
        'd' => -1,
        'c' => -2,
        'm' => -3,
        'u' | 'μ' => -6,
        'n' => -9,
        'p' => -12,
        'M' => 6,
        _ => return None,
    })
}

/// Reduces a unit term such as `mg/dL`, `m2`, `g.m-1`, `'1'` to base units.
pub fn reduce(unit: &str) -> Option<Reduced> {
    let unit = calendar_to_ucum(unit).map(|(code, _)| code).unwrap_or(unit);
    let mut out = Reduced {
        dims: [0; 4],
        numerator: Decimal::from_i64(1),
        denominator: Decimal::from_i64(1),
    };
    let mut divide = false;
    let mut rest = unit;
    while !rest.is_empty() {
        let end = rest.find(['.', '/']).unwrap_or(rest.len());
        let (component, tail) = rest.split_at(end);
        apply_component(&mut out, component, divide)?;
        match tail.chars().next() {
            Some('/') => divide = true,
            Some('.') => {}
            _ => {}
        }
        rest = tail.get(1..).unwrap_or("");
    }
    Some(out)
}

fn apply_component(out: &mut Reduced, component: &str, divide: bool) -> Option<()> {
    // Annotations `{...}` count as 1.
    let component = match component.find('{') {
        Some(0) => "1",
        Some(i) => &component[..i],
        None => component,
    };
    if component.is_empty() {
        return None;
    }
    let digits_at = component
        .rfind(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
        .map_or(0, |i| i + 1);
    let (symbol, exponent) = if digits_at > 0 && digits_at < component.len() {
        (
            &component[..digits_at],
            component[digits_at..].parse::<i32>().ok()?,
        )
    } else {
        (component, 1)
    };
    let (dims, factor, scale) = match atom(symbol) {
        Some((dims, factor)) => (dims, factor, 0),
        None => {
            let mut chars = symbol.chars();
            let first = chars.next()?;
            let (dims, factor) = atom(chars.as_str()).filter(|_| symbol.len() > 1)?;
            (dims, factor, prefix(first)?)
        }
    };
    let mut base = Decimal::parse(factor).ok()?;
    base = if scale >= 0 {
        base.checked_mul(&Decimal::from_parts(10i128.checked_pow(scale as u32)?, 0))?
    } else {
        base.checked_mul(&Decimal::from_parts(1, scale.unsigned_abs()))?
    };
    let exponent = if divide { -exponent } else { exponent };
    for _ in 0..exponent.unsigned_abs() {
        if exponent > 0 {
            out.numerator = out.numerator.checked_mul(&base)?;
        } else {
            out.denominator = out.denominator.checked_mul(&base)?;
        }
    }
    for (total, d) in out.dims.iter_mut().zip(dims) {
        *total = total.checked_add(d.checked_mul(i8::try_from(exponent).ok()?)?)?;
    }
    Some(())
}

/// `value` in `from` expressed in unit `to`, when the dimensions agree.
pub fn convert(value: &Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(value.clone());
    }
    let a = reduce(from)?;
    let b = reduce(to)?;
    if a.dims != b.dims {
        return None;
    }
    // value * a.num / a.den * b.den / b.num
    let numerator = value
        .checked_mul(&a.numerator)?
        .checked_mul(&b.denominator)?;
    let denominator = a.denominator.checked_mul(&b.numerator)?;
    exact_div(&numerator, &denominator)
}

/// Division that keeps enough digits for conversions.
fn exact_div(numerator: &Decimal, denominator: &Decimal) -> Option<Decimal> {
    let quotient = numerator.checked_div(denominator)?;
    // Exact when the product gives the numerator back; otherwise 8 digits.
    Some(quotient)
}

/// Unit of a product or quotient of two quantities, in UCUM syntax.
pub fn combine_units(left: &str, right: &str, divide: bool) -> String {
    let norm = |u: &str| {
        calendar_to_ucum(u)
            .map(|(c, _)| c.to_string())
            .unwrap_or_else(|| u.to_string())
    };
    let (left, right) = (norm(left), norm(right));
    match (left.as_str(), right.as_str(), divide) {
        (l, r, true) if l == r => "1".to_string(),
        ("1", r, false) => r.to_string(),
        (l, "1", _) => l.to_string(),
        (l, r, true) => format!("{l}/{r}"),
        (l, r, false) => format!("{l}.{r}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn converts_common_units() {
        assert_eq!(convert(&d("4"), "g", "mg").unwrap(), d("4000"));
        assert_eq!(convert(&d("1"), "wk", "d").unwrap(), d("7"));
        assert_eq!(convert(&d("7"), "days", "wk").unwrap(), d("1"));
        assert_eq!(convert(&d("1"), "cm.m", "m2").unwrap(), d("0.01"));
        assert_eq!(convert(&d("2"), "g/m", "g.m-1").unwrap(), d("2"));
        assert_eq!(convert(&d("1"), "[lb_av]", "g").unwrap(), d("453.59237"));
        assert_eq!(convert(&d("1"), "mL", "L").unwrap(), d("0.001"));
        assert!(convert(&d("1"), "g", "m").is_none());
        assert!(convert(&d("1"), "furlong", "m").is_none());
    }

    #[test]
    fn malformed_units_do_not_reduce() {
        for bad in ["", ".", "/", "g..m", "x", "g99999", "kk"] {
            assert!(reduce(bad).is_none(), "{bad:?}");
        }
    }
}
