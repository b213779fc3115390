//! Reading what the client sent: query parameters, conditional headers, `Prefer`, the body.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use gateway::GatewayError;

use crate::error::{invalid_parameter, ApiError, ApiResult};

/// All values of the query string, decoded, in order.
pub fn query_pairs(request: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(request.query_string().as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The last value of one query parameter.
pub fn query_value(request: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(request.query_string().as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .last()
}

fn header_text(request: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// `W/"3"` or `"3"` → 3.
fn parse_etag(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// The version `If-Match` requires, if the header is present.
pub fn if_match(request: &HttpRequest) -> ApiResult<Option<i64>> {
    match header_text(request, header::IF_MATCH) {
        None => Ok(None),
        Some(text) => parse_etag(text).map(Some).ok_or_else(|| {
            invalid_parameter(format!(
                "If-Match '{text}' is not a version ETag; expected W/\"<versionId>\""
            ))
        }),
    }
}

/// Does `If-None-Match` name the current version (or `*`)?
pub fn if_none_match_hits(request: &HttpRequest, version: i64) -> bool {
    header_text(request, header::IF_NONE_MATCH).is_some_and(|text| {
        text.split(',')
            .any(|tag| tag.trim() == "*" || parse_etag(tag) == Some(version))
    })
}

/// Is the resource unchanged since `If-Modified-Since` (second precision)?
pub fn not_modified_since(request: &HttpRequest, last_updated_seconds: i64) -> bool {
    header_text(request, header::IF_MODIFIED_SINCE)
        .and_then(|text| httpdate::parse_http_date(text).ok())
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|since| last_updated_seconds <= since.as_secs() as i64)
}

/// The `Prefer: return=` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPreference {
    Minimal,
    Representation,
    OperationOutcome,
}

pub fn return_preference(request: &HttpRequest) -> ReturnPreference {
    let prefer = request
        .headers()
        .get_all("prefer")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split([',', ';']))
        .filter_map(|token| token.trim().strip_prefix("return="))
        .map(|value| value.trim_matches('"').to_owned())
        .last();
    match prefer.as_deref() {
        Some("minimal") => ReturnPreference::Minimal,
        Some("OperationOutcome") => ReturnPreference::OperationOutcome,
        _ => ReturnPreference::Representation,
    }
}

/// Reads the body, refusing (413) as soon as it is larger than `limit`, so an
/// oversize upload costs at most `limit` bytes of memory.
pub async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> ApiResult<web::BytesMut> {
    let too_large = |size: u64| {
        ApiError(GatewayError::PayloadTooLarge {
            size,
            limit: limit as u64,
        })
    };
    if let Some(declared) = header_text(request, header::CONTENT_LENGTH)
        .and_then(|text| text.trim().parse::<u64>().ok())
    {
        if declared > limit as u64 {
            return Err(too_large(declared));
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError(GatewayError::invalid_body(
                format!("could not read the request body: {error}"),
                None,
            ))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        assert_eq!(parse_etag("W/\"3\""), Some(3));
        assert_eq!(parse_etag("\"12\""), Some(12));
        assert_eq!(parse_etag("W/3"), None);
        assert_eq!(parse_etag("W/\"x\""), None);
    }
}
