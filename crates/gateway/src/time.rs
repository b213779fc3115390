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
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
