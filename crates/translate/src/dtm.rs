//! HL7 v2 DT/DTM/TS values (`YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]`) to FHIR `date` and
//! `dateTime`, keeping precision and offset (DESIGN promise 7).
//!
//! FHIR requires seconds and an offset whenever a time is given, so:
//! * a time without minutes or seconds gets `:00` for the missing parts (v2 precision finer
//!   than a minute is kept as sent, fractions included);
//! * a time without an offset takes the offset of MSH-7: the v2 standard says a missing offset
//!   means the sender's local zone, and MSH-7 is where the sender states it;
//! * if MSH-7 has no offset either, only the date is kept and the time is reported
//!   ([`Precision::TimeDropped`]) rather than inventing a zone.

use std::fmt::Write;

use fhir_core::temporal::days_in_month;

/// A value that is not a valid v2 date/time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid HL7 v2 date/time: {why}")]
pub struct DtmError {
    pub text: String,
    pub why: &'static str,
}

/// A parsed v2 date/time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2DateTime {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
    /// (hour, minute, second, fraction digits as sent).
    time: Option<(u8, u8, u8, String)>,
    /// `+HH:MM` / `-HH:MM`.
    offset: Option<String>,
}

/// What the conversion had to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Kept,
    /// The time was dropped because no offset was known.
    TimeDropped,
}

impl V2DateTime {
    pub fn parse(text: &str) -> Result<V2DateTime, DtmError> {
        let fail = |why| DtmError {
            text: text.to_owned(),
            why,
        };
        let (body, offset) = match text.find(['+', '-']) {
            Some(at) => (
                &text[..at],
                Some(parse_offset(&text[at..]).ok_or(fail("bad offset"))?),
            ),
            None => (text, None),
        };
        let (digits, fraction) = match body.split_once('.') {
            Some((digits, fraction)) => (digits, Some(fraction)),
            None => (body, None),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("not digits"));
        }
        if !matches!(digits.len(), 4 | 6 | 8 | 10 | 12 | 14) {
            return Err(fail("wrong length"));
        }
        let part = |from: usize| -> Option<u16> {
            digits.get(from..from + 2).and_then(|d| d.parse().ok())
        };
        let year: u16 = digits[..4].parse().map_err(|_| fail("bad year"))?;
        let month = part(4).map(|m| m as u8);
        let day = part(6).map(|d| d as u8);
        if let Some(month) = month {
            if !(1..=12).contains(&month) {
                return Err(fail("month out of range"));
            }
            if let Some(day) = day {
                if day == 0 || day > days_in_month(i64::from(year), month) {
                    return Err(fail("day out of range"));
                }
            }
        }
        let time = match part(8) {
            None => None,
            Some(hour) => {
                let minute = part(10).unwrap_or(0);
                let second = part(12).unwrap_or(0);
                if hour > 23 || minute > 59 || second > 59 {
                    return Err(fail("time out of range"));
                }
                let fraction = match fraction {
                    Some(f)
                        if digits.len() == 14
                            && !f.is_empty()
                            && f.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        f.to_owned()
                    }
                    Some(_) => return Err(fail("bad fraction of a second")),
                    None => String::new(),
                };
                Some((hour as u8, minute as u8, second as u8, fraction))
            }
        };
        if fraction.is_some() && time.is_none() {
            return Err(fail("fraction without a time"));
        }
        Ok(V2DateTime {
            year,
            month,
            day,
            time,
            offset,
        })
    }

    pub fn has_time(&self) -> bool {
        self.time.is_some()
    }

    pub fn has_offset(&self) -> bool {
        self.offset.is_some()
    }

    /// FHIR `date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`); any time is not part of it.
    pub fn to_date(&self) -> String {
        let mut out = format!("{:04}", self.year);
        if let Some(month) = self.month {
            let _ = write!(out, "-{month:02}");
            if let Some(day) = self.day {
                let _ = write!(out, "-{day:02}");
            }
        }
        out
    }

    /// FHIR `dateTime`; `fallback_offset` (`+HH:MM`) is used for a time sent without one.
    pub fn to_date_time(&self, fallback_offset: Option<&str>) -> (String, Precision) {
        let mut out = self.to_date();
        let Some((hour, minute, second, fraction)) = &self.time else {
            return (out, Precision::Kept);
        };
        let Some(offset) = self.offset.as_deref().or(fallback_offset) else {
            return (out, Precision::TimeDropped);
        };
        let _ = write!(out, "T{hour:02}:{minute:02}:{second:02}");
        if !fraction.is_empty() {
            let _ = write!(out, ".{fraction}");
        }
        out.push_str(if offset == "+00:00" { "Z" } else { offset });
        (out, Precision::Kept)
    }

    /// The offset as `+HH:MM`, when the value has one.
    pub fn offset(&self) -> Option<&str> {
        self.offset.as_deref()
    }
}

fn parse_offset(text: &str) -> Option<String> {
    let (sign, digits) = text.split_at(1);
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: u8 = digits[..2].parse().ok()?;
    let minutes: u8 = digits[2..].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(format!("{sign}{hours:02}:{minutes:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date_time(text: &str, fallback: Option<&str>) -> (String, Precision) {
        V2DateTime::parse(text)
            .expect("valid")
            .to_date_time(fallback)
    }

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(date_time("1970", None).0, "1970");
        assert_eq!(date_time("197003", None).0, "1970-03");
        assert_eq!(date_time("19700301", None).0, "1970-03-01");
    }

    #[test]
    fn minutes_get_zero_seconds_and_the_offset_is_kept() {
        assert_eq!(
            date_time("197001011230+0215", None),
            ("1970-01-01T12:30:00+02:15".into(), Precision::Kept)
        );
        assert_eq!(
            date_time("1970010112-0500", None).0,
            "1970-01-01T12:00:00-05:00"
        );
        assert_eq!(
            date_time("19700101123059.1234+0000", None).0,
            "1970-01-01T12:30:59.1234Z"
        );
    }

    #[test]
    fn a_time_without_offset_takes_the_fallback_or_is_dropped() {
        assert_eq!(
            date_time("197001011230", Some("+01:00")),
            ("1970-01-01T12:30:00+01:00".into(), Precision::Kept)
        );
        assert_eq!(
            date_time("197001011230", None),
            ("1970-01-01".into(), Precision::TimeDropped)
        );
    }

    #[test]
    fn malformed_values_are_errors() {
        for bad in [
            "2023-13-45",
            "20231345",
            "20230229",
            "202301011260",
            "19700101123059.",
            "197",
            "19700101+2500",
            "19700101123059.12a",
            "1970.5",
            "",
        ] {
            assert!(V2DateTime::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(V2DateTime::parse("20240229").is_ok());
    }
}
