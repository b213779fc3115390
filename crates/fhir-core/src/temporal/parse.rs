//! The lexical forms: R4 `date`, `dateTime`, `instant`, `time` (the R4
//! regexes, plus a calendar check on the day) and the looser FHIRPath
//! literal bodies.

use super::{days_in_month, DateTime, Precision, TemporalError, Time, TzOffset};

pub(super) struct Cursor<'t> {
    pub(super) text: &'t str,
    pub(super) pos: usize,
    pub(super) kind: &'static str,
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
    pub(super) fn finish(&self) -> Result<(), TemporalError> {
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(self.err("unexpected trailing characters"))
        }
    }
}

/// Parses `hh(:mm(:ss(.fff)?)?)?`; `full` demands seconds.
pub(super) fn parse_clock(cur: &mut Cursor<'_>, full: bool) -> Result<Time, TemporalError> {
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
