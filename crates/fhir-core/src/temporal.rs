//! FHIR R4 `date`, `dateTime`, `instant` and `time` with partial precision.
//!
//! One [`DateTime`] type carries all three date kinds: the components up to
//! its [`Precision`], the fractional-second digits exactly as written, and
//! the timezone offset (`Z` and `+00:00` are kept apart so the text round
//! trips). The R4 parsers (`parse_date`, `parse_date_time`, `parse_instant`,
//! [`Time::parse`]) follow the lexical rules of the R4 regexes, plus a
//! calendar check on the day; the `*_fhirpath` parsers accept the looser
//! literal forms of FHIRPath (`@2014-01-01T10`, `@T12`). Comparisons follow
//! FHIRPath: `None` when the precisions differ before an answer is known.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[error("invalid {kind} {text:?}: {reason}")]
pub struct TemporalError {
    pub kind: &'static str,
    pub text: String,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    /// Seconds and their fraction are one precision, as FHIRPath specifies.
    Second,
}

/// A timezone offset; `zulu` remembers that it was written `Z` and
/// `negative` that it was written with `-` (so `-00:00` round trips).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TzOffset {
    pub minutes: i16,
    pub zulu: bool,
    pub negative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Fraction-of-second digits as written (empty when absent).
    pub fraction: Box<str>,
    pub precision: Precision,
    pub offset: Option<TzOffset>,
    /// Written with a trailing `T` and no time (FHIRPath `@2015T`).
    pub trailing_t: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub fraction: Box<str>,
    /// Hour, Minute or Second.
    pub precision: Precision,
}

/// Units of calendar arithmetic (FHIRPath calendar durations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarUnit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

impl Time {
    /// R4 `time`: `hh:mm:ss(.f)`.
    pub fn parse(text: &str) -> Result<Time, TemporalError> {
        let mut cur = Cursor {
            text,
            pos: 0,
            kind: "time",
        };
        let time = parse_clock(&mut cur, true)?;
        cur.finish()?;
        Ok(time)
    }

    /// FHIRPath time literal body (after `@T`): `hh(:mm(:ss(.f)?)?)?`.
    pub fn parse_fhirpath(text: &str) -> Result<Time, TemporalError> {
        let mut cur = Cursor {
            text,
            pos: 0,
            kind: "time",
        };
        let time = parse_clock(&mut cur, false)?;
        cur.finish()?;
        Ok(time)
    }

    /// FHIRPath comparison; `None` when precisions differ before a difference.
    pub fn partial_cmp_fhirpath(&self, other: &Time) -> Option<Ordering> {
        let levels = [
            (Precision::Hour, self.hour, other.hour),
            (Precision::Minute, self.minute, other.minute),
        ];
        compare_levels(&levels, self.precision, other.precision, || {
            cmp_seconds(self.second, &self.fraction, other.second, &other.fraction)
        })
    }

    pub fn nanos(&self) -> u32 {
        fraction_nanos(&self.fraction)
    }
}

fn compare_levels(
    levels: &[(Precision, u8, u8)],
    left: Precision,
    right: Precision,
    seconds: impl Fn() -> Ordering,
) -> Option<Ordering> {
    for &(level, a, b) in levels {
        match (left >= level, right >= level) {
            (true, true) => match a.cmp(&b) {
                Ordering::Equal => {}
                unequal => return Some(unequal),
            },
            (false, false) => return Some(Ordering::Equal),
            _ => return None,
        }
    }
    match (left >= Precision::Second, right >= Precision::Second) {
        (true, true) => Some(seconds()),
        (false, false) => Some(Ordering::Equal),
        _ => None,
    }
}

fn cmp_seconds(a: u8, a_frac: &str, b: u8, b_frac: &str) -> Ordering {
    a.cmp(&b).then_with(|| {
        let (x, y) = (a_frac.trim_end_matches('0'), b_frac.trim_end_matches('0'));
        // Equal-length digit strings compare like numbers; pad the shorter.
        let width = x.len().max(y.len());
        format!("{x:0<width$}").cmp(&format!("{y:0<width$}"))
    })
}

fn fraction_nanos(fraction: &str) -> u32 {
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(9)
        .collect();
    digits.parse().unwrap_or(0)
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.hour)?;
        if self.precision >= Precision::Minute {
            write!(f, ":{:02}", self.minute)?;
        }
        if self.precision >= Precision::Second {
            write!(f, ":{:02}", self.second)?;
            if !self.fraction.is_empty() {
                write!(f, ".{}", self.fraction)?;
            }
        }
        Ok(())
    }
}

impl DateTime {
    /// True when a time part is present (beyond day precision).
    pub fn has_time(&self) -> bool {
        self.precision > Precision::Day
    }

    pub fn nanos(&self) -> u32 {
        fraction_nanos(&self.fraction)
    }

    /// The same moment with the offset applied (UTC), when both a time and
    /// an offset are present; otherwise an unchanged copy.
    pub fn to_utc(&self) -> DateTime {
        let Some(offset) = self.offset else {
            return self.clone();
        };
        if self.precision < Precision::Hour || offset.minutes == 0 {
            return self.clone();
        }
        let minutes = days_from_civil(self.year.into(), self.month, self.day) * 1440
            + i64::from(self.hour) * 60
            + i64::from(self.minute)
            - i64::from(offset.minutes);
        let (year, month, day) = civil_from_days(minutes.div_euclid(1440));
        let in_day = minutes.rem_euclid(1440);
        DateTime {
            year: year.clamp(1, 9999) as u16,
            month,
            day,
            hour: (in_day / 60) as u8,
            minute: (in_day % 60) as u8,
            offset: Some(TzOffset {
                minutes: 0,
                zulu: true,
                negative: false,
            }),
            ..self.clone()
        }
    }

    /// FHIRPath comparison: offsets are normalised when both values have one;
    /// times with and without an offset are not comparable; `None` when the precisions differ before a
    /// difference is found.
    pub fn partial_cmp_fhirpath(&self, other: &DateTime) -> Option<Ordering> {
        if self.has_time() && other.has_time() && self.offset.is_some() != other.offset.is_some() {
            // One side has a timezone, the other not: the moment is unknown.
            return None;
        }
        let (a, b) = if self.offset.is_some() && other.offset.is_some() {
            (self.to_utc(), other.to_utc())
        } else {
            (self.clone(), other.clone())
        };
        let levels = [
            (Precision::Year, 0, 0),
            (Precision::Month, a.month, b.month),
            (Precision::Day, a.day, b.day),
            (Precision::Hour, a.hour, b.hour),
            (Precision::Minute, a.minute, b.minute),
        ];
        match a.year.cmp(&b.year) {
            Ordering::Equal => {}
            unequal => return Some(unequal),
        }
        compare_levels(&levels[1..], a.precision, b.precision, || {
            cmp_seconds(a.second, &a.fraction, b.second, &b.fraction)
        })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.precision >= Precision::Month {
            write!(f, "-{:02}", self.month)?;
        }
        if self.precision >= Precision::Day {
            write!(f, "-{:02}", self.day)?;
        }
        if self.precision >= Precision::Hour {
            let time = Time {
                hour: self.hour,
                minute: self.minute,
                second: self.second,
                fraction: self.fraction.clone(),
                precision: self.precision,
            };
            write!(f, "T{time}")?;
        } else if self.trailing_t {
            f.write_str("T")?;
        }
        if let Some(offset) = self.offset {
            if offset.zulu {
                f.write_str("Z")?;
            } else {
                let sign = if offset.negative { '-' } else { '+' };
                let abs = offset.minutes.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)?;
            }
        }
        Ok(())
    }
}

mod calendar;
mod parse;
use parse::{parse_clock, Cursor};
pub use parse::{parse_date, parse_date_time, parse_date_time_fhirpath, parse_instant};
#[cfg(test)]
mod tests;

pub use calendar::days_in_month;
use calendar::{civil_from_days, days_from_civil};
