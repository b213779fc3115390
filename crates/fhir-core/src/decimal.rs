//! FHIR `decimal` that keeps its digits: `1.10` stays `1.10`.
//!
//! The value is an `i128` mantissa with a decimal scale (digits after the
//! point), so arithmetic and comparison are exact; no `rust_decimal`
//! dependency. The original text is kept only when it differs from the
//! rendering of mantissa and scale (exponent forms such as `1.5e3`), so the
//! common case allocates nothing beyond the struct.

use std::cmp::Ordering;
use std::fmt;

/// Most digits a mantissa may hold (i128 holds 38 safely).
const MAX_DIGITS: usize = 38;
/// Scale used for division results that do not terminate earlier.
const DIVISION_SCALE: u32 = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum DecimalError {
    #[error("invalid decimal {text:?}: {reason}")]
    Invalid { text: String, reason: &'static str },
}

#[derive(Clone, Debug)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
    /// Original text when it is not the plain rendering (exponent forms).
    original: Option<Box<str>>,
}

impl Decimal {
    /// Parses the lexical form of R4 `decimal`:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    pub fn parse(text: &str) -> Result<Decimal, DecimalError> {
        Self::parse_with(text, false)
    }

    /// Parses a FHIRPath / JSON number: like [`Decimal::parse`] but leading
    /// zeros are accepted, as FHIRPath literals such as `007` are.
    pub fn parse_lenient(text: &str) -> Result<Decimal, DecimalError> {
        Self::parse_with(text, true)
    }

    fn parse_with(text: &str, lenient: bool) -> Result<Decimal, DecimalError> {
        let bad = |reason| DecimalError::Invalid {
            text: text.to_string(),
            reason,
        };
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = bytes.first() == Some(&b'-');
        if negative || (lenient && bytes.first() == Some(&b'+')) {
            pos += 1;
        }
        let int_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let int_digits = &text[int_start..pos];
        if int_digits.is_empty() {
            return Err(bad("expected a digit"));
        }
        if !lenient && int_digits.len() > 1 && int_digits.starts_with('0') {
            return Err(bad("leading zero"));
        }
        let mut frac_digits = "";
        if pos < bytes.len() && bytes[pos] == b'.' {
            pos += 1;
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            frac_digits = &text[start..pos];
            if frac_digits.is_empty() {
                return Err(bad("expected a digit after '.'"));
            }
        }
        let mut exponent: i64 = 0;
        let mut has_exponent = false;
        if pos < bytes.len() && (bytes[pos] == b'e' || bytes[pos] == b'E') {
            has_exponent = true;
            pos += 1;
            let exp_negative = bytes.get(pos) == Some(&b'-');
            if exp_negative || bytes.get(pos) == Some(&b'+') {
                pos += 1;
            }
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            let digits = &text[start..pos];
            if digits.is_empty() || digits.len() > 4 {
                return Err(bad("bad exponent"));
            }
            exponent = digits.parse::<i64>().map_err(|_| bad("bad exponent"))?;
            if exp_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return Err(bad("unexpected character"));
        }
        let significant = int_digits.trim_start_matches('0').len() + frac_digits.len();
        if significant > MAX_DIGITS {
            return Err(bad("too many digits"));
        }
        let mut mantissa: i128 = 0;
        for b in int_digits.bytes().chain(frac_digits.bytes()) {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        let mut scale = frac_digits.len() as i64 - exponent;
        while scale < 0 {
            mantissa = mantissa.checked_mul(10).ok_or_else(|| bad("too large"))?;
            scale += 1;
        }
        if scale > MAX_DIGITS as i64 * 2 {
            return Err(bad("too small"));
        }
        if negative {
            mantissa = -mantissa;
        }
        let mut value = Decimal {
            mantissa,
            scale: scale as u32,
            original: None,
        };
        if has_exponent
            || (lenient
                && (text.starts_with('+') || int_digits.len() > 1 && int_digits.starts_with('0')))
        {
            value.original = Some(text.into());
        }
        Ok(value)
    }

    pub fn from_i64(value: i64) -> Decimal {
        Decimal {
            mantissa: i128::from(value),
            scale: 0,
            original: None,
        }
    }

    pub fn from_parts(mantissa: i128, scale: u32) -> Decimal {
        Decimal {
            mantissa,
            scale,
            original: None,
        }
    }

    pub fn mantissa(&self) -> i128 {
        self.mantissa
    }

    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// FHIRPath `precision()`: digits after the decimal point as written.
    pub fn precision(&self) -> u32 {
        self.scale
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// The integer value when the decimal has no fractional part.
    pub fn to_i64_exact(&self) -> Option<i64> {
        let p = pow10(self.scale)?;
        if self.mantissa % p != 0 {
            return None;
        }
        i64::try_from(self.mantissa / p).ok()
    }

    pub fn to_f64(&self) -> f64 {
        // Through text keeps the nearest f64 for every representable value.
        self.canonical_text().parse::<f64>().unwrap_or(f64::NAN)
    }

    /// Nearest decimal to an `f64` (for math functions such as `sqrt`).
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        let text = format!("{value:.15}");
        let parsed = Decimal::parse_lenient(&text).ok()?;
        Some(parsed.normalized())
    }

    /// Same value with trailing fractional zeros removed.
    pub fn normalized(&self) -> Decimal {
        let mut mantissa = self.mantissa;
        let mut scale = self.scale;
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Decimal {
            mantissa,
            scale,
            original: None,
        }
    }

    /// Same value at another scale; rounds half away from zero when reducing.
    pub fn rescale(&self, scale: u32) -> Option<Decimal> {
        let mantissa = if scale >= self.scale {
            self.mantissa.checked_mul(pow10(scale - self.scale)?)?
        } else {
            let divisor = pow10(self.scale - scale)?;
            let quotient = self.mantissa / divisor;
            let remainder = (self.mantissa % divisor).abs();
            if remainder * 2 >= divisor {
                quotient + self.mantissa.signum()
            } else {
                quotient
            }
        };
        Some(Decimal {
            mantissa,
            scale,
            original: None,
        })
    }

    /// Drops fractional digits beyond `scale` (toward zero).
    pub fn truncate_to(&self, scale: u32) -> Decimal {
        if scale >= self.scale {
            return Decimal {
                original: None,
                ..self.clone()
            };
        }
        let divisor = pow10(self.scale - scale).unwrap_or(i128::MAX);
        Decimal {
            mantissa: self.mantissa / divisor,
            scale,
            original: None,
        }
    }

    pub fn floor(&self) -> Decimal {
        let truncated = self.truncate_to(0);
        if self.is_negative() && !self.has_zero_fraction() {
            Decimal::from_parts(truncated.mantissa - 1, 0)
        } else {
            truncated
        }
    }

    pub fn ceiling(&self) -> Decimal {
        let truncated = self.truncate_to(0);
        if !self.is_negative() && !self.has_zero_fraction() {
            Decimal::from_parts(truncated.mantissa + 1, 0)
        } else {
            truncated
        }
    }

    fn has_zero_fraction(&self) -> bool {
        pow10(self.scale).is_some_and(|p| self.mantissa % p == 0)
    }

    pub fn abs(&self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
            original: None,
        }
    }

    pub fn neg(&self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
            original: None,
        }
    }

    fn aligned(&self, other: &Decimal) -> Option<(i128, i128, u32)> {
        let scale = self.scale.max(other.scale);
        let a = self.mantissa.checked_mul(pow10(scale - self.scale)?)?;
        let b = other.mantissa.checked_mul(pow10(scale - other.scale)?)?;
        Some((a, b, scale))
    }

    pub fn checked_add(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal::from_parts(a.checked_add(b)?, scale))
    }

    pub fn checked_sub(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal::from_parts(a.checked_sub(b)?, scale))
    }

    pub fn checked_mul(&self, other: &Decimal) -> Option<Decimal> {
        let mantissa = self.mantissa.checked_mul(other.mantissa)?;
        Decimal::from_parts(mantissa, self.scale + other.scale).reduce_scale()
    }

    /// Division to at most 8 fractional digits (rounded), trailing zeros
    /// removed; `None` for a zero divisor or overflow.
    pub fn checked_div(&self, other: &Decimal) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        // self/other = (m1 * 10^(s2 + k)) / m2 / 10^(s1 + k) with k chosen to reach DIVISION_SCALE + 1 digits.
        let extra = DIVISION_SCALE + 1 + other.scale;
        let numerator = self.mantissa.checked_mul(pow10(extra)?)?;
        let quotient = numerator / other.mantissa;
        let result = Decimal::from_parts(quotient, self.scale + extra - other.scale);
        Some(
            result
                .rescale(DIVISION_SCALE.min(result.scale))?
                .normalized(),
        )
    }

    /// Truncated division (`div`) as an integer-valued decimal.
    pub fn checked_div_trunc(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, _) = self.aligned(other)?;
        if b == 0 {
            return None;
        }
        Some(Decimal::from_parts(a / b, 0))
    }

    /// Remainder of truncated division (`mod`).
    pub fn checked_rem(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        if b == 0 {
            return None;
        }
        Some(Decimal::from_parts(a % b, scale))
    }

    fn reduce_scale(self) -> Option<Decimal> {
        // Keep results within the mantissa's range by dropping excess scale.
        if self.scale > MAX_DIGITS as u32 {
            return self.rescale(MAX_DIGITS as u32);
        }
        Some(self)
    }

    /// Rendering from mantissa and scale (no exponent).
    pub fn canonical_text(&self) -> String {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int_part, frac_part) = padded.split_at(padded.len() - scale);
        format!("{sign}{int_part}.{frac_part}")
    }

    /// Exact comparison of values (`1.0` equals `1.00`).
    pub fn cmp_value(&self, other: &Decimal) -> Ordering {
        match self.aligned(other) {
            Some((a, b, _)) => a.cmp(&b),
            None => self
                .to_f64()
                .partial_cmp(&other.to_f64())
                .unwrap_or(Ordering::Equal),
        }
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_value(other) == Ordering::Equal
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.original {
            Some(text) => f.write_str(text),
            None => f.write_str(&self.canonical_text()),
        }
    }
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn keeps_digits_and_text() {
        assert_eq!(d("1.10").to_string(), "1.10");
        assert_eq!(d("1.10").precision(), 2);
        assert_eq!(d("-0.5").to_string(), "-0.5");
        assert_eq!(d("1.5e3").to_string(), "1.5e3");
        assert_eq!(d("1.5e3").canonical_text(), "1500");
        assert_eq!(d("1.5E-2").canonical_text(), "0.015");
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "-",
            "01",
            "1.",
            ".5",
            "1.2.3",
            "1e",
            "+1",
            "1 ",
            "abc",
            "1e99999",
            "123456789012345678901234567890123456789",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Decimal::parse_lenient("007").is_ok());
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(d("1.0"), d("1.00"));
        assert_eq!(d("0.1").checked_add(&d("0.2")).unwrap(), d("0.3"));
        assert_eq!(d("2").cmp_value(&d("10")), Ordering::Less);
        assert_eq!(d("-2.5").cmp_value(&d("-2.45")), Ordering::Less);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(d("1.2").checked_mul(&d("1.5")).unwrap().to_string(), "1.80");
        assert_eq!(
            d("1").checked_div(&d("3")).unwrap().to_string(),
            "0.33333333"
        );
        assert_eq!(d("1").checked_div(&d("2")).unwrap().to_string(), "0.5");
        assert!(d("1").checked_div(&d("0")).is_none());
        assert_eq!(d("5.5").checked_rem(&d("0.7")).unwrap(), d("0.6"));
        assert_eq!(d("5").checked_div_trunc(&d("2")).unwrap(), d("2"));
        assert_eq!(d("-1.5").floor(), d("-2"));
        assert_eq!(d("1.1").ceiling(), d("2"));
        assert_eq!(d("2.345").rescale(2).unwrap().to_string(), "2.35");
        assert_eq!(d("-2.345").rescale(2).unwrap().to_string(), "-2.35");
        assert_eq!(d("3.0").to_i64_exact(), Some(3));
        assert_eq!(d("3.5").to_i64_exact(), None);
    }

    #[test]
    fn overflow_is_none_not_panic() {
        let big = d("99999999999999999999999999999999999999");
        assert!(big.checked_mul(&big).is_none());
        assert!(big.checked_add(&big).is_none());
    }
}
