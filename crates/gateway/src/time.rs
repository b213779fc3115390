//! Server timestamps: microseconds since the Unix epoch, rendered as FHIR instants.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since 1970-01-01T00:00:00Z. Stored as BIGINT in both databases,
/// so ordering and range queries are plain integer comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

impl Micros {
    pub fn now() -> Self {
        let elapsed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        Micros(i64::try_from(elapsed).unwrap_or(i64::MAX))
    }

    /// `YYYY-MM-DDThh:mm:ss.ffffffZ`: a valid R4 `instant`, full precision so
    /// that `_since=<this value>` finds this version again.
    pub fn to_instant(self) -> String {
        let (date, secs_of_day, micros) = self.split();
        let (year, month, day) = date;
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60
        )
    }

    /// Seconds since the epoch (HTTP dates have second precision).
    pub fn seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    fn split(self) -> ((i64, u32, u32), i64, i64) {
        let seconds = self.seconds();
        let micros = self.0.rem_euclid(1_000_000);
        let days = seconds.div_euclid(86_400);
        (civil_from_days(days), seconds.rem_euclid(86_400), micros)
    }
}

/// Days since the epoch to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's well-known `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since the epoch for a Gregorian date (inverse of `civil_from_days`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The instants covered by a FHIR `date`/`dateTime`/`instant` text, as
/// `[low, high]` microseconds (`2024` covers the whole year). A time without
/// an offset is read as UTC. `None` when the text is not a valid R4 value.
pub fn parse_datetime_range(text: &str) -> Option<(Micros, Micros)> {
    let (date, rest) = match text.split_once('T') {
        Some((date, rest)) => (date, Some(rest)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parse_digits(parts.next()?, 4)?;
    let month: Option<u32> = match parts.next() {
        Some(text) => Some(parse_digits(text, 2)?),
        None => None,
    };
    let day: Option<u32> = match parts.next() {
        Some(text) => Some(parse_digits(text, 2)?),
        None => None,
    };
    if parts.next().is_some() || month.is_some_and(|m| !(1..=12).contains(&m)) {
        return None;
    }
    let days_in = |year: i64, month: u32| {
        let next = if month == 12 {
            days_from_civil(year + 1, 1, 1)
        } else {
            days_from_civil(year, month + 1, 1)
        };
        (next - days_from_civil(year, month, 1)) as u32
    };
    if let (Some(m), Some(d)) = (month, day) {
        if d == 0 || d > days_in(year, m) {
            return None;
        }
    }
    const DAY: i64 = 86_400_000_000;
    let Some(rest) = rest else {
        let (first, last) = match (month, day) {
            (None, _) => (days_from_civil(year, 1, 1), days_from_civil(year + 1, 1, 1)),
            (Some(m), None) => {
                let start = days_from_civil(year, m, 1);
                (start, start + i64::from(days_in(year, m)))
            }
            (Some(m), Some(d)) => {
                let start = days_from_civil(year, m, d);
                (start, start + 1)
            }
        };
        return Some((Micros(first * DAY), Micros(last * DAY - 1)));
    };
    let day = day?;
    let month = month?;
    let (clock, offset_micros) = split_offset(rest)?;
    let mut fields = clock.split(':');
    let hour: i64 = parse_digits(fields.next()?, 2)?;
    let minute: i64 = parse_digits(fields.next()?, 2)?;
    let (second, fraction) = match fields.next() {
        Some(seconds) => match seconds.split_once('.') {
            Some((whole, fraction)) => (parse_digits::<i64>(whole, 2)?, Some(fraction)),
            None => (parse_digits::<i64>(seconds, 2)?, None),
        },
        None => return None,
    };
    if fields.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (fraction_micros, fraction_span) = match fraction {
        None => (0, 1_000_000),
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            let kept = &digits[..digits.len().min(6)];
            let scale = 10_i64.pow(6 - kept.len() as u32);
            (kept.parse::<i64>().ok()? * scale, scale)
        }
        Some(_) => return None,
    };
    let start = days_from_civil(year, month, day) * DAY
        + ((hour * 60 + minute) * 60 + second) * 1_000_000
        + fraction_micros
        - offset_micros;
    Some((Micros(start), Micros(start + fraction_span - 1)))
}

fn parse_digits<T: std::str::FromStr>(text: &str, width: usize) -> Option<T> {
    if text.len() == width && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// Splits `hh:mm:ss.fff+05:00` into the clock and the offset in microseconds.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(clock) = text.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let sign_at = text.rfind(['+', '-']);
    let Some(at) = sign_at else {
        return Some((text, 0));
    };
    let (clock, offset) = text.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = offset.get(1..)?.split_once(':')?;
    let hours: i64 = parse_digits(hours, 2)?;
    let minutes: i64 = parse_digits(minutes, 2)?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((clock, sign * (hours * 60 + minutes) * 60_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_instants() {
        assert_eq!(Micros(0).to_instant(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            Micros(1_700_000_000_123_456).to_instant(),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            Micros(951_782_400_000_000).to_instant(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn datetime_ranges() {
        let year = parse_datetime_range("2024").unwrap_or((Micros(0), Micros(0)));
        assert_eq!(year.0.to_instant(), "2024-01-01T00:00:00.000000Z");
        assert_eq!(year.1.to_instant(), "2024-12-31T23:59:59.999999Z");
        let month = parse_datetime_range("2024-02").map(|r| r.1.to_instant());
        assert_eq!(month.as_deref(), Some("2024-02-29T23:59:59.999999Z"));
        let instant = parse_datetime_range("2024-02-03T10:00:00.5+02:00");
        assert_eq!(
            instant.map(|r| r.0.to_instant()).as_deref(),
            Some("2024-02-03T08:00:00.500000Z")
        );
        assert_eq!(instant.map(|r| r.1 .0 - r.0 .0), Some(99_999));
        let round_trip = Micros(1_700_000_000_123_456);
        assert_eq!(
            parse_datetime_range(&round_trip.to_instant()).map(|r| r.0),
            Some(round_trip)
        );
        for bad in [
            "",
            "24",
            "2024-13",
            "2024-02-30",
            "2024-01-01T25:00:00Z",
            "2024-01-01T10:00",
            "2024-01-01T10:00:00+2",
            "2024-01-01T10:00:00.Z",
            "abcd",
        ] {
            assert_eq!(parse_datetime_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
