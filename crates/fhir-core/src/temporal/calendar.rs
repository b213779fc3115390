//! Calendar arithmetic on [`DateTime`]: adding durations, and the instant
//! range a partial date covers (for search), on the proleptic Gregorian
//! calendar.

use super::{CalendarUnit, DateTime, Precision};

impl DateTime {
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
pub(super) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn civil_from_days(days: i64) -> (i64, u8, u8) {
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
