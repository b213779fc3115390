//! Operation inputs from the query string (GET or POST) and from a
//! `Parameters` body (POST), read into one list so that each operation asks
//! for its parameters by name and type whatever way they came.
//!
//! In a query string every value is text; a `coding` may be written
//! `system|code` there, as terminology servers accept. Names starting with
//! `_` (`_format`, `_pretty`) belong to the HTTP layer and are skipped.

use gateway::resource::parse_resource;
use gateway::GatewayError;
use serde_json::Value;

/// One input parameter: its `value[x]` key (`"query"` for query text) and
/// value, or a resource.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    value_key: String,
    value: Value,
}

/// A Coding as an operation receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coding {
    pub system: Option<String>,
    pub version: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

impl Coding {
    fn from_json(value: &Value) -> Coding {
        let text = |key: &str| value[key].as_str().map(str::to_owned);
        Coding {
            system: text("system"),
            version: text("version"),
            code: text("code"),
            display: text("display"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OpParams {
    params: Vec<Param>,
}

fn invalid(parameter: &str, message: String) -> GatewayError {
    GatewayError::InvalidParameterValue {
        parameter: parameter.to_owned(),
        message,
    }
}

impl OpParams {
    /// Reads the query pairs, then the body when there is one.
    pub fn read(query: Vec<(String, String)>, body: &[u8]) -> Result<OpParams, GatewayError> {
        let mut params: Vec<Param> = query
            .into_iter()
            .filter(|(name, _)| !name.starts_with('_'))
            .map(|(name, text)| Param {
                name,
                value_key: "query".to_owned(),
                value: Value::String(text),
            })
            .collect();
        if !body.iter().all(u8::is_ascii_whitespace) {
            params.extend(body_params(&parse_resource(body)?)?);
        }
        Ok(OpParams { params })
    }

    /// The one value of a parameter that may appear once.
    fn single(&self, name: &str) -> Result<Option<&Param>, GatewayError> {
        let mut found = self.params.iter().filter(|param| param.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(invalid(name, format!("'{name}' is given more than once")));
        }
        Ok(first)
    }

    /// A text value (string, code, uri, canonical...).
    pub fn text(&self, name: &str) -> Result<Option<String>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        match &param.value {
            Value::String(text) if param.value_key != "resource" => Ok(Some(text.clone())),
            _ => Err(invalid(
                name,
                format!("'{name}' must be a text value, not {}", param.value_key),
            )),
        }
    }

    /// Every text value of a repeating parameter (`property`).
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.params
            .iter()
            .filter(|param| param.name == name)
            .filter_map(|param| param.value.as_str().map(str::to_owned))
            .collect()
    }

    /// A non-negative integer (`count`, `offset`).
    pub fn integer(&self, name: &str) -> Result<Option<usize>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        let number = match &param.value {
            Value::Number(number) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
            Value::String(text) => text.trim().parse::<usize>().ok(),
            _ => None,
        };
        number.map(Some).ok_or_else(|| {
            invalid(
                name,
                format!(
                    "'{name}' must be a non-negative integer, not {}",
                    param.value
                ),
            )
        })
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        match &param.value {
            Value::Bool(flag) => Ok(Some(*flag)),
            Value::String(text) if text == "true" => Ok(Some(true)),
            Value::String(text) if text == "false" => Ok(Some(false)),
            other => Err(invalid(
                name,
                format!("'{name}' must be true or false, not {other}"),
            )),
        }
    }

    /// A `valueCoding`, or `system|code` text from a query string.
    pub fn coding(&self, name: &str) -> Result<Option<Coding>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        match (&param.value, param.value_key.as_str()) {
            (Value::Object(_), "valueCoding") => Ok(Some(Coding::from_json(&param.value))),
            (Value::String(text), "query") => {
                let (system, code) = text.rsplit_once('|').ok_or_else(|| {
                    invalid(name, format!("'{name}' must be written system|code"))
                })?;
                Ok(Some(Coding {
                    system: Some(system.to_owned()).filter(|s| !s.is_empty()),
                    code: Some(code.to_owned()).filter(|c| !c.is_empty()),
                    ..Coding::default()
                }))
            }
            _ => Err(invalid(name, format!("'{name}' must be a Coding"))),
        }
    }

    /// `code` with `system` and the version parameter named `version_param`
    /// as one Coding, when a `code` is given.
    pub fn code_as_coding(&self, version_param: &str) -> Result<Option<Coding>, GatewayError> {
        let Some(code) = self.text("code")? else {
            return Ok(None);
        };
        Ok(Some(Coding {
            system: self.text("system")?,
            version: self.text(version_param)?,
            code: Some(code),
            display: None,
        }))
    }

    /// The codings of a `valueCodeableConcept` (only in a Parameters body).
    pub fn codeable_concept(&self, name: &str) -> Result<Option<Vec<Coding>>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        if param.value_key != "valueCodeableConcept" || !param.value.is_object() {
            return Err(invalid(
                name,
                format!("'{name}' must be a CodeableConcept (in a Parameters body)"),
            ));
        }
        let codings = param.value["coding"].as_array().into_iter().flatten();
        Ok(Some(codings.map(Coding::from_json).collect()))
    }

    /// A resource given in a Parameters body, checked to be of `resource_type`.
    pub fn resource(&self, name: &str, resource_type: &str) -> Result<Option<Value>, GatewayError> {
        let Some(param) = self.single(name)? else {
            return Ok(None);
        };
        if param.value_key != "resource" || param.value["resourceType"] != resource_type {
            return Err(invalid(
                name,
                format!("'{name}' must be a {resource_type} resource (in a Parameters body)"),
            ));
        }
        Ok(Some(param.value.clone()))
    }

    /// The text value of a parameter that must be given.
    pub fn required_text(&self, name: &str, why: &str) -> Result<String, GatewayError> {
        self.text(name)?.ok_or_else(|| super::missing(name, why))
    }
}

/// The parameters of a `Parameters` body.
fn body_params(body: &Value) -> Result<Vec<Param>, GatewayError> {
    if body["resourceType"] != "Parameters" {
        return Err(GatewayError::invalid_body(
            format!(
                "the body of a terminology operation must be a Parameters resource, not {}",
                body["resourceType"]
            ),
            Some("resourceType"),
        ));
    }
    let entries = match body.get("parameter") {
        None => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(GatewayError::invalid_body(
                "Parameters.parameter must be an array",
                Some("Parameters.parameter"),
            ))
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| body_param(index, entry))
        .collect()
}

fn body_param(index: usize, entry: &Value) -> Result<Param, GatewayError> {
    let at = format!("Parameters.parameter[{index}]");
    let bad = |message: &str| GatewayError::invalid_body(message.to_owned(), Some(&at));
    let object = entry
        .as_object()
        .ok_or_else(|| bad("a parameter must be a JSON object"))?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a parameter must have a name"))?;
    let mut values = object
        .iter()
        .filter(|(key, _)| key.starts_with("value") || key.as_str() == "resource");
    let (value_key, value) = match (values.next(), values.next()) {
        (Some(found), None) => found,
        (None, _) => (&"part".to_owned(), &Value::Null),
        (Some(_), Some(_)) => return Err(bad("a parameter must have one value")),
    };
    Ok(Param {
        name: name.to_owned(),
        value_key: value_key.clone(),
        value: value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from_body(body: Value) -> Result<OpParams, GatewayError> {
        OpParams::read(Vec::new(), body.to_string().as_bytes())
    }

    #[test]
    fn query_and_body_are_read_alike() {
        let query = vec![
            ("url".to_owned(), "http://x/vs".to_owned()),
            ("count".to_owned(), "5".to_owned()),
            ("_format".to_owned(), "json".to_owned()),
        ];
        let params = OpParams::read(query, b"").expect("query");
        assert_eq!(
            params.text("url").expect("url").as_deref(),
            Some("http://x/vs")
        );
        assert_eq!(params.integer("count").expect("count"), Some(5));
        assert_eq!(params.text("_format").expect("skipped"), None);
        let body = json!({"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": "http://x/vs"},
            {"name": "count", "valueInteger": 5},
            {"name": "activeOnly", "valueBoolean": true},
            {"name": "coding", "valueCoding": {"system": "http://s", "code": "c"}},
        ]});
        let params = from_body(body).expect("body");
        assert_eq!(
            params.text("url").expect("url").as_deref(),
            Some("http://x/vs")
        );
        assert_eq!(params.integer("count").expect("count"), Some(5));
        assert_eq!(params.boolean("activeOnly").expect("flag"), Some(true));
        let coding = params.coding("coding").expect("coding").expect("given");
        assert_eq!(coding.code.as_deref(), Some("c"));
    }

    #[test]
    fn malformed_values_name_the_parameter() {
        let query = |name: &str, value: &str| {
            OpParams::read(vec![(name.to_owned(), value.to_owned())], b"").expect("query")
        };
        for (name, value) in [("count", "-1"), ("offset", "two")] {
            let error = query(name, value).integer(name).expect_err(value);
            assert!(
                matches!(&error, GatewayError::InvalidParameterValue { parameter, .. } if parameter == name)
            );
        }
        assert!(query("activeOnly", "yes").boolean("activeOnly").is_err());
        assert!(query("coding", "no-bar").coding("coding").is_err());
        let twice = OpParams::read(
            vec![("code".into(), "a".into()), ("code".into(), "b".into())],
            b"",
        )
        .expect("query");
        assert!(twice.text("code").is_err());
    }

    #[test]
    fn bodies_that_are_not_parameters_are_refused() {
        assert!(from_body(json!({"resourceType": "Patient"})).is_err());
        assert!(from_body(json!({"resourceType": "Parameters", "parameter": {}})).is_err());
        assert!(from_body(
            json!({"resourceType": "Parameters", "parameter": [{"valueCode": "x"}]})
        )
        .is_err());
        assert!(OpParams::read(Vec::new(), b"{not json").is_err());
        let typed = from_body(json!({"resourceType": "Parameters", "parameter": [
            {"name": "count", "valueString": "x"},
            {"name": "valueSet", "resource": {"resourceType": "CodeSystem"}},
        ]}))
        .expect("body");
        assert!(typed.integer("count").is_err());
        assert!(typed.resource("valueSet", "ValueSet").is_err());
    }
}
