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

struct Cursor<'t> {
    text: &'t str,
    pos: usize,
    kind: &'static str,
}

impl<'t> Cursor<'t> {
    fn err(&self, reason: &'static str) -> TemporalError {
        TemporalError {
            kind: self.kind,
            text: self.text.to_string(),
            reason,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self, count: usize, reason: &'static str) -> Result<u32, TemporalError> {
        let slice = self
            .text
            .get(self.pos..self.pos + count)
            .ok_or_else(|| self.err(reason))?;
        if !slice.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(reason));
        }
        self.pos += count;
        slice.parse::<u32>().map_err(|_| self.err(reason))
    }
    fn fraction(&mut self) -> Result<Box<str>, TemporalError> {
        if !self.eat(b'.') {
            return Ok("".into());
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("expected fraction digits after '.'"));
        }
        Ok(self.text[start..self.pos].into())
    }
    fn offset(&mut self) -> Result<Option<TzOffset>, TemporalError> {
        if self.eat(b'Z') {
            return Ok(Some(TzOffset {
                minutes: 0,
                zulu: true,
                negative: false,
            }));
        }
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Ok(None),
        };
        self.pos += 1;
        let hours = self.digits(2, "bad timezone hours")?;
        if !self.eat(b':') {
            return Err(self.err("expected ':' in timezone"));
        }
        let minutes = self.digits(2, "bad timezone minutes")?;
        if hours > 14 || minutes > 59 || (hours == 14 && minutes != 0) {
            return Err(self.err("timezone out of range"));
        }
        Ok(Some(TzOffset {
            minutes: sign * (hours * 60 + minutes) as i16,
            zulu: false,
            negative: sign < 0,
        }))
    }
    fn finish(&self) -> Result<(), TemporalError> {
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(self.err("unexpected trailing characters"))
        }
    }
}

/// Parses `hh(:mm(:ss(.fff)?)?)?`; `full` demands seconds.
fn parse_clock(cur: &mut Cursor<'_>, full: bool) -> Result<Time, TemporalError> {
    let hour = cur.digits(2, "bad hour")?;
    if hour > 23 {
        return Err(cur.err("hour out of range"));
    }
    let mut time = Time {
        hour: hour as u8,
        minute: 0,
        second: 0,
        fraction: "".into(),
        precision: Precision::Hour,
    };
    if !cur.eat(b':') {
        return if full {
            Err(cur.err("expected ':' after hour"))
        } else {
            Ok(time)
        };
    }
    let minute = cur.digits(2, "bad minute")?;
    if minute > 59 {
        return Err(cur.err("minute out of range"));
    }
    time.minute = minute as u8;
    time.precision = Precision::Minute;
    if !cur.eat(b':') {
        return if full {
            Err(cur.err("expected ':' after minute"))
        } else {
            Ok(time)
        };
    }
    let second = cur.digits(2, "bad second")?;
    if second > 60 {
        return Err(cur.err("second out of range"));
    }
    time.second = second as u8;
    time.precision = Precision::Second;
    time.fraction = cur.fraction()?;
    Ok(time)
}

fn parse_date_part(cur: &mut Cursor<'_>) -> Result<DateTime, TemporalError> {
    let year = cur.digits(4, "expected a four-digit year")?;
    if year == 0 {
        return Err(cur.err("year 0000 is not allowed"));
    }
    let mut value = DateTime {
        year: year as u16,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: "".into(),
        precision: Precision::Year,
        offset: None,
        trailing_t: false,
    };
    if cur.peek() == Some(b'-')
        && cur
            .text
            .as_bytes()
            .get(cur.pos + 1)
            .is_some_and(|b| b.is_ascii_digit())
    {
        cur.pos += 1;
        let month = cur.digits(2, "bad month")?;
        if !(1..=12).contains(&month) {
            return Err(cur.err("month out of range"));
        }
        value.month = month as u8;
        value.precision = Precision::Month;
        if cur.peek() == Some(b'-')
            && cur
                .text
                .as_bytes()
                .get(cur.pos + 1)
                .is_some_and(|b| b.is_ascii_digit())
        {
            cur.pos += 1;
            let day = cur.digits(2, "bad day")?;
            if day < 1 || day > u32::from(days_in_month(value.year.into(), value.month)) {
                return Err(cur.err("day out of range for the month"));
            }
            value.day = day as u8;
            value.precision = Precision::Day;
        }
    }
    Ok(value)
}

/// R4 `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<DateTime, TemporalError> {
    let mut cur = Cursor {
        text,
        pos: 0,
        kind: "date",
    };
    let value = parse_date_part(&mut cur)?;
    cur.finish()?;
    Ok(value)
}

/// R4 `dateTime`: a date, or a full date with `Thh:mm:ss(.f)` and an offset.
pub fn parse_date_time(text: &str) -> Result<DateTime, TemporalError> {
    let mut cur = Cursor {
        text,
        pos: 0,
        kind: "dateTime",
    };
    let mut value = parse_date_part(&mut cur)?;
    if cur.eat(b'T') {
        if value.precision != Precision::Day {
            return Err(cur.err("a time needs a full date"));
        }
        attach_time(&mut value, parse_clock(&mut cur, true)?);
        value.offset = cur.offset()?;
        if value.offset.is_none() {
            return Err(cur.err("a time needs a timezone offset"));
        }
    }
    cur.finish()?;
    Ok(value)
}

/// R4 `instant`: `YYYY-MM-DDThh:mm:ss(.f)` with an offset, always.
pub fn parse_instant(text: &str) -> Result<DateTime, TemporalError> {
    let value = parse_date_time(text).map_err(|e| TemporalError {
        kind: "instant",
        ..e
    })?;
    if value.precision != Precision::Second {
        return Err(TemporalError {
            kind: "instant",
            text: text.to_string(),
            reason: "an instant needs a time to the second",
        });
    }
    Ok(value)
}

/// FHIRPath date/dateTime literal body (without `@`): any precision, optional
/// trailing `T`, optional offset after a time.
pub fn parse_date_time_fhirpath(text: &str) -> Result<DateTime, TemporalError> {
    let mut cur = Cursor {
        text,
        pos: 0,
        kind: "dateTime",
    };
    let mut value = parse_date_part(&mut cur)?;
    if cur.eat(b'T') {
        if cur.pos == text.len() {
            value.trailing_t = true;
        } else {
            if value.precision != Precision::Day {
                return Err(cur.err("a time needs a full date"));
            }
            attach_time(&mut value, parse_clock(&mut cur, false)?);
            value.offset = cur.offset()?;
        }
    }
    cur.finish()?;
    Ok(value)
}

fn attach_time(value: &mut DateTime, time: Time) {
    value.hour = time.hour;
    value.minute = time.minute;
    value.second = time.second;
    value.fraction = time.fraction;
    value.precision = time.precision;
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

    /// FHIRPath comparison: offsets are normalised when both values have one
    /// (a value without an offset is compared as written — an implementation
    /// choice the spec allows); `None` when the precisions differ before a
    /// difference is found.
    pub fn partial_cmp_fhirpath(&self, other: &DateTime) -> Option<Ordering> {
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

    /// Milliseconds since 1970-01-01T00:00:00Z of the earliest instant the
    /// value covers (no offset: read as UTC).
    pub fn low_epoch_millis(&self) -> i64 {
        let utc = self.to_utc();
        let days = days_from_civil(utc.year.into(), utc.month, utc.day);
        let seconds = days * 86_400
            + i64::from(utc.hour) * 3600
            + i64::from(utc.minute) * 60
            + i64::from(utc.second);
        seconds * 1000 + i64::from(utc.nanos() / 1_000_000)
    }

    /// Milliseconds since the epoch of the last millisecond the value covers.
    pub fn high_epoch_millis(&self) -> i64 {
        let next = match self.precision {
            Precision::Year => self.add_calendar(1, CalendarUnit::Year),
            Precision::Month => self.add_calendar(1, CalendarUnit::Month),
            Precision::Day => self.add_calendar(1, CalendarUnit::Day),
            Precision::Hour => self.add_calendar(1, CalendarUnit::Hour),
            Precision::Minute => self.add_calendar(1, CalendarUnit::Minute),
            Precision::Second if self.fraction.len() < 3 => {
                let step = 10i64.pow(3 - self.fraction.len() as u32);
                return self.low_epoch_millis() + step - 1;
            }
            Precision::Second => return self.low_epoch_millis(),
        };
        match next {
            Some(next) => next.low_epoch_millis() - 1,
            None => i64::MAX,
        }
    }

    /// Adds a calendar duration. Units finer than the value's precision are
    /// converted to whole units of its precision first (FHIRPath rule);
    /// month arithmetic clamps the day to the month's last day.
    pub fn add_calendar(&self, amount: i64, unit: CalendarUnit) -> Option<DateTime> {
        let mut out = self.clone();
        match unit {
            CalendarUnit::Year => out.add_months(amount.checked_mul(12)?)?,
            CalendarUnit::Month => match self.precision {
                Precision::Year => out.add_months(amount / 12 * 12)?,
                _ => out.add_months(amount)?,
            },
            CalendarUnit::Week => {
                return self.add_calendar(amount.checked_mul(7)?, CalendarUnit::Day)
            }
            CalendarUnit::Day => match self.precision {
                Precision::Year => out.add_months(amount / 365 * 12)?,
                Precision::Month => out.add_months(amount / 30)?,
                _ => out.add_millis(amount.checked_mul(86_400_000)?)?,
            },
            CalendarUnit::Hour => out.add_fine(amount, 3_600_000, Precision::Hour)?,
            CalendarUnit::Minute => out.add_fine(amount, 60_000, Precision::Minute)?,
            CalendarUnit::Second => out.add_fine(amount, 1000, Precision::Second)?,
            CalendarUnit::Millisecond => out.add_fine(amount, 1, Precision::Second)?,
        }
        Some(out)
    }

    fn add_fine(&mut self, amount: i64, unit_millis: i64, unit_precision: Precision) -> Option<()> {
        let millis = amount.checked_mul(unit_millis)?;
        if self.precision < unit_precision && self.precision <= Precision::Day {
            let days = millis / 86_400_000;
            return match self.precision {
                Precision::Day => self.add_millis(days * 86_400_000),
                Precision::Month => self.add_months(days / 30),
                _ => self.add_months(days / 365 * 12),
            };
        }
        self.add_millis(millis)
    }

    fn add_months(&mut self, months: i64) -> Option<()> {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        let year = total.div_euclid(12);
        if !(1..=9999).contains(&year) {
            return None;
        }
        self.year = year as u16;
        self.month = (total.rem_euclid(12) + 1) as u8;
        self.day = self.day.min(days_in_month(year, self.month));
        Some(())
    }

    fn add_millis(&mut self, millis: i64) -> Option<()> {
        let own_ms = i64::from(self.nanos() / 1_000_000);
        let start = (days_from_civil(self.year.into(), self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second))
            * 1000
            + own_ms;
        let total = start.checked_add(millis)?;
        let days = total.div_euclid(86_400_000);
        let in_day = total.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        if !(1..=9999).contains(&year) {
            return None;
        }
        self.year = year as u16;
        self.month = month;
        self.day = day;
        self.hour = (in_day / 3_600_000) as u8;
        self.minute = (in_day / 60_000 % 60) as u8;
        self.second = (in_day / 1000 % 60) as u8;
        let ms = in_day % 1000;
        if ms != 0 || !self.fraction.is_empty() {
            let sub_ms: String = self.fraction.chars().skip(3).collect();
            self.fraction = format!("{ms:03}{sub_ms}").into();
        }
        Some(())
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

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known civil-date algorithm).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
