//! `minValue[x]` and `maxValue[x]`: numbers compare by value, dates and
//! times when both sides have the same precision and offset form, and
//! quantities after UCUM conversion to the limit's unit. A comparison that
//! cannot be decided (different date precision, units that are not UCUM or
//! do not convert) is a warning saying so, never a silent pass.

use crate::report::{IssueType, Sink};
use crate::structure::Item;
use fhir_core::decimal::Decimal;
use fhir_package::{TypedValue, ValueLimits};
use serde_json::Value;
use std::cmp::Ordering;

const UCUM: &str = "http://unitsofmeasure.org";

/// Which side of the range a limit is.
#[derive(Clone, Copy)]
enum Bound {
    Min,
    Max,
}

impl Bound {
    fn name(self) -> &'static str {
        match self {
            Bound::Min => "minValue",
            Bound::Max => "maxValue",
        }
    }

    /// Whether `ordering` (instance against limit) breaks this bound.
    fn broken_by(self, ordering: Ordering) -> bool {
        match self {
            Bound::Min => ordering == Ordering::Less,
            Bound::Max => ordering == Ordering::Greater,
        }
    }

    fn relation(self) -> &'static str {
        match self {
            Bound::Min => "less than",
            Bound::Max => "greater than",
        }
    }
}

/// Checks `item` against the element's limits.
pub(crate) fn check_value_limits(limits: &ValueLimits, item: &Item, sink: &mut Sink) {
    let Some(value) = item.value else { return };
    for (bound, limit) in [(Bound::Min, &limits.min), (Bound::Max, &limits.max)] {
        if let Some(limit) = limit {
            check_one(bound, limit, value, item, sink);
        }
    }
}

fn check_one(bound: Bound, limit: &TypedValue, value: &Value, item: &Item, sink: &mut Sink) {
    let compared = match limit.type_suffix.as_str() {
        "Quantity" => compare_quantities(value, &limit.value),
        "Integer" | "PositiveInt" | "UnsignedInt" | "Integer64" | "Decimal" => {
            compare_numbers(value, &limit.value)
        }
        "Date" | "DateTime" | "Instant" | "Time" => compare_temporals(value, &limit.value),
        _ => return,
    };
    let name = bound.name();
    match compared {
        Comparison::Decided {
            ordering,
            shown,
            converted,
        } => {
            if bound.broken_by(ordering) {
                let after = if converted {
                    " after UCUM conversion"
                } else {
                    ""
                };
                sink.error(
                    IssueType::Value,
                    &item.expr(),
                    format!(
                        "{shown} is {} the {name} {}{after}",
                        bound.relation(),
                        show_limit(&limit.value)
                    ),
                );
            }
        }
        Comparison::Undecidable(why) => sink.warning(
            IssueType::Value,
            &item.expr(),
            format!(
                "{name} {} could not be checked: {why}",
                show_limit(&limit.value)
            ),
        ),
        // Not a value of the limit's kind: the type rules report that.
        Comparison::NotApplicable => {}
    }
}

enum Comparison {
    Decided {
        ordering: Ordering,
        /// The instance value as shown in a message.
        shown: String,
        /// Whether units were converted to compare.
        converted: bool,
    },
    Undecidable(String),
    NotApplicable,
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::parse(&n.to_string()).ok(),
        _ => None,
    }
}

fn compare_numbers(value: &Value, limit: &Value) -> Comparison {
    match (decimal(value), decimal(limit)) {
        (Some(v), Some(l)) => Comparison::Decided {
            ordering: v.cmp_value(&l),
            shown: format!("value {v}"),
            converted: false,
        },
        _ => Comparison::NotApplicable,
    }
}

/// Dates, times and instants compare as text only when both have the same
/// shape (precision and offset form); FHIR partial dates otherwise have no
/// single order.
fn compare_temporals(value: &Value, limit: &Value) -> Comparison {
    let (Some(v), Some(l)) = (value.as_str(), limit.as_str()) else {
        return Comparison::NotApplicable;
    };
    if v.len() != l.len() || offset(v) != offset(l) {
        return Comparison::Undecidable(format!(
            "'{v}' and the limit differ in precision or time zone"
        ));
    }
    Comparison::Decided {
        ordering: v.cmp(l),
        shown: format!("value '{v}'"),
        converted: false,
    }
}

/// The time-zone part of a dateTime or instant ("Z", "+10:00"), if any.
fn offset(text: &str) -> &str {
    let Some(time_at) = text.find('T') else {
        return "";
    };
    let time = &text[time_at..];
    match time.find(['Z', '+', '-']) {
        Some(at) => &time[at..],
        None => "",
    }
}

fn compare_quantities(value: &Value, limit: &Value) -> Comparison {
    let Some(v) = value.get("value").and_then(decimal) else {
        return Comparison::NotApplicable;
    };
    let Some(l) = limit.get("value").and_then(decimal) else {
        return Comparison::NotApplicable;
    };
    let shown = format!("value {}", show_quantity(value));
    let (limit_system, limit_code) = unit_of(limit);
    let (value_system, value_code) = unit_of(value);
    let Some(limit_code) = limit_code else {
        // A limit without a unit bounds the number alone.
        return Comparison::Decided {
            ordering: v.cmp_value(&l),
            shown,
            converted: false,
        };
    };
    if value_system == limit_system && value_code == Some(limit_code) {
        return Comparison::Decided {
            ordering: v.cmp_value(&l),
            shown,
            converted: false,
        };
    }
    let both_ucum = value_system == Some(UCUM) && limit_system == Some(UCUM);
    let converted = value_code
        .filter(|_| both_ucum)
        .and_then(|from| fhirpath::ucum::convert(&v, from, limit_code));
    match converted {
        Some(in_limit_unit) => Comparison::Decided {
            ordering: in_limit_unit.cmp_value(&l),
            shown,
            converted: true,
        },
        None => Comparison::Undecidable(format!(
            "the unit of {} is not comparable with '{limit_code}'",
            show_quantity(value)
        )),
    }
}

/// A quantity's (system, code).
fn unit_of(q: &Value) -> (Option<&str>, Option<&str>) {
    (
        q.get("system").and_then(Value::as_str),
        q.get("code").and_then(Value::as_str),
    )
}

fn show_quantity(q: &Value) -> String {
    let number = q.get("value").map(Value::to_string).unwrap_or_default();
    let unit = q
        .get("code")
        .or_else(|| q.get("unit"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{number} {unit}").trim_end().to_string()
}

fn show_limit(limit: &Value) -> String {
    match limit {
        Value::Object(_) => show_quantity(limit),
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::offset;

    #[test]
    fn offsets_are_read_after_the_time() {
        assert_eq!(offset("2020-01-01"), "");
        assert_eq!(offset("2020-01-01T10:00:00Z"), "Z");
        assert_eq!(offset("2020-01-01T10:00:00+10:00"), "+10:00");
        assert_eq!(offset("2020-01-01T10:00:00"), "");
    }
}
