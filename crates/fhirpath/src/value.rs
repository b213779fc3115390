//! Values of a FHIRPath collection. System values (Boolean, Integer,
//! Decimal, String, Date, DateTime, Time, Quantity) are owned and small;
//! FHIR elements are [`Node`]s that borrow the input JSON and carry their
//! FHIR type, so navigation copies no data.

use std::borrow::Cow;
use std::sync::Arc;

use fhir_core::decimal::Decimal;
use fhir_core::temporal::{parse_date_time_fhirpath, DateTime, Time};
use serde_json::Value as Json;

pub type Collection<'a> = Vec<Value<'a>>;

/// A FHIR type name (`Patient`, `HumanName`, `date`) or, for backbone
/// elements, the element path (`Patient.contact`).
pub type TypeName = Arc<str>;

#[derive(Debug, Clone)]
pub struct Quantity {
    pub value: Decimal,
    /// UCUM code, or a calendar duration word (`year`, `days`...).
    pub unit: String,
}

#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The JSON value; `None` for a primitive that has only its `_name`
    /// sibling (an id or extensions, no value).
    pub json: Option<&'a Json>,
    /// The `_name` sibling object of a primitive.
    pub extra: Option<&'a Json>,
    pub type_name: TypeName,
}

#[derive(Debug, Clone)]
pub enum Value<'a> {
    Boolean(bool),
    Integer(i64),
    Decimal(Decimal),
    String(Cow<'a, str>),
    Date(DateTime),
    DateTime(DateTime),
    Time(Time),
    Quantity(Quantity),
    Node(Node<'a>),
    /// Result of `type()`: a namespace (`System`/`FHIR`) and a type name,
    /// navigable as `.namespace` and `.name`.
    TypeInfo {
        namespace: &'static str,
        name: TypeName,
    },
}

/// FHIR primitive types, whose JSON is a string, number or boolean.
pub fn is_fhir_primitive(type_name: &str) -> bool {
    matches!(
        type_name,
        "boolean"
            | "integer"
            | "string"
            | "decimal"
            | "uri"
            | "url"
            | "canonical"
            | "base64Binary"
            | "instant"
            | "date"
            | "dateTime"
            | "time"
            | "code"
            | "oid"
            | "id"
            | "markdown"
            | "unsignedInt"
            | "positiveInt"
            | "uuid"
            | "xhtml"
    )
}

/// Types that a FHIR Quantity-like element can be read as.
pub fn is_quantity_type(type_name: &str) -> bool {
    matches!(
        type_name,
        "Quantity" | "Age" | "Distance" | "Duration" | "Count" | "SimpleQuantity" | "MoneyQuantity"
    )
}

impl<'a> Value<'a> {
    pub fn string(text: impl Into<Cow<'a, str>>) -> Value<'a> {
        Value::String(text.into())
    }

    /// The system value of this item: nodes of FHIR primitive type (and
    /// Quantity) become System values; other nodes stay as they are.
    pub fn to_system(&self) -> Cow<'_, Value<'a>> {
        match self {
            Value::Node(node) => match node.system_value() {
                Some(value) => Cow::Owned(value),
                None => Cow::Borrowed(self),
            },
            _ => Cow::Borrowed(self),
        }
    }

    /// Name of the System type (`Boolean`, `String`...) or of the FHIR type
    /// of a node.
    pub fn type_label(&self) -> &str {
        match self {
            Value::Boolean(_) => "Boolean",
            Value::Integer(_) => "Integer",
            Value::Decimal(_) => "Decimal",
            Value::String(_) => "String",
            Value::Date(_) => "Date",
            Value::DateTime(_) => "DateTime",
            Value::Time(_) => "Time",
            Value::Quantity(_) => "Quantity",
            Value::Node(node) => &node.type_name,
            Value::TypeInfo { .. } => "TypeInfo",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Node(Node {
                json: Some(Json::String(s)),
                type_name,
                ..
            }) if is_stringish(type_name) => Some(s),
            _ => None,
        }
    }

    pub fn as_node(&self) -> Option<&Node<'a>> {
        match self {
            Value::Node(node) => Some(node),
            _ => None,
        }
    }
}

/// FHIR primitive types read as System.String.
pub fn is_stringish(type_name: &str) -> bool {
    matches!(
        type_name,
        "string"
            | "uri"
            | "url"
            | "canonical"
            | "base64Binary"
            | "code"
            | "oid"
            | "id"
            | "markdown"
            | "uuid"
            | "xhtml"
    )
}

impl<'a> Node<'a> {
    pub fn new(json: &'a Json, type_name: TypeName) -> Node<'a> {
        Node {
            json: Some(json),
            extra: None,
            type_name,
        }
    }

    /// The System value of a primitive (or Quantity) node.
    pub fn system_value(&self) -> Option<Value<'a>> {
        let json = self.json?;
        let type_name: &str = &self.type_name;
        match json {
            Json::Bool(b) => Some(Value::Boolean(*b)),
            Json::Number(n) => {
                let text = n.to_string();
                if matches!(type_name, "integer" | "positiveInt" | "unsignedInt")
                    || (type_name != "decimal" && !text.contains(['.', 'e', 'E']))
                {
                    if let Ok(i) = text.parse::<i64>() {
                        return Some(Value::Integer(i));
                    }
                }
                Decimal::parse_lenient(&text).ok().map(Value::Decimal)
            }
            Json::String(s) => match type_name {
                "date" => Some(
                    parse_date_time_fhirpath(s)
                        .map(Value::Date)
                        .unwrap_or_else(|_| Value::String(Cow::Borrowed(s))),
                ),
                "dateTime" | "instant" => Some(
                    parse_date_time_fhirpath(s)
                        .map(Value::DateTime)
                        .unwrap_or_else(|_| Value::String(Cow::Borrowed(s))),
                ),
                "time" => Some(
                    Time::parse_fhirpath(s)
                        .map(Value::Time)
                        .unwrap_or_else(|_| Value::String(Cow::Borrowed(s))),
                ),
                _ => Some(Value::String(Cow::Borrowed(s))),
            },
            Json::Object(map) if is_quantity_type(type_name) => {
                let value = map.get("value").and_then(|v| match v {
                    Json::Number(n) => Decimal::parse_lenient(&n.to_string()).ok(),
                    _ => None,
                })?;
                let unit = map
                    .get("code")
                    .or_else(|| map.get("unit"))
                    .and_then(Json::as_str)
                    .unwrap_or("1");
                Some(Value::Quantity(Quantity {
                    value,
                    unit: unit.to_string(),
                }))
            }
            _ => None,
        }
    }

    /// Whether the node is a primitive with a value (FHIR `hasValue()`).
    pub fn has_primitive_value(&self) -> bool {
        matches!(
            self.json,
            Some(Json::Bool(_) | Json::Number(_) | Json::String(_))
        )
    }
}

/// Type given to JSON objects whose FHIR type is unknown (no resourceType,
/// no model information): FHIRPath's `System.Any`.
pub const UNTYPED: &str = "Any";

/// Type of a JSON value when the model does not know the element.
pub fn infer_type(json: &Json) -> &'static str {
    match json {
        Json::Bool(_) => "boolean",
        Json::Number(n) => {
            if n.to_string().contains(['.', 'e', 'E']) {
                "decimal"
            } else {
                "integer"
            }
        }
        Json::String(_) => "string",
        // Not a FHIR type name: an object of unknown type is navigated
        // leniently (by JSON key) instead of being checked against Element.
        _ => UNTYPED,
    }
}
