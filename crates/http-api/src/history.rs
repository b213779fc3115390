//! History at instance, type and system level, as `history` Bundles with keyset paging.

use actix_web::{web, HttpRequest, HttpResponse};
use gateway::time::{parse_datetime_range, Micros};
use gateway::{HistoryPage, HistoryQuery, HistoryScope, StoredVersion, WriteMethod};
use serde_json::{json, Value};

use crate::crud::blocking;
use crate::error::{invalid_parameter, ApiError, ApiResult};
use crate::metrics::note_interaction;
use crate::negotiate::response_format;
use crate::request::query_pairs;
use crate::respond::{base_url, etag, render};
use crate::AppState;

/// Our own paging parameter: the sequence number below which the next page starts.
const CURSOR_PARAMETER: &str = "_cursor";

pub async fn system(request: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    note_interaction(&request, "history-system", "");
    respond(request, state, HistoryScope::System).await
}

pub async fn for_type(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let resource_type = path.into_inner();
    note_interaction(&request, "history-type", &resource_type);
    respond(request, state, HistoryScope::Type(resource_type)).await
}

pub async fn for_instance(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (resource_type, id) = path.into_inner();
    note_interaction(&request, "history-instance", &resource_type);
    respond(request, state, HistoryScope::Instance(resource_type, id)).await
}

async fn respond(
    request: HttpRequest,
    state: web::Data<AppState>,
    scope: HistoryScope,
) -> ApiResult<HttpResponse> {
    let format = response_format(&request)?;
    let query = parse_query(&request, scope, &state)?;
    let gateway = state.gateway.clone();
    let for_storage = query.clone();
    let page = blocking(move || gateway.history(&for_storage)).await?;
    if let HistoryScope::Instance(resource_type, id) = &query.scope {
        if page.versions.is_empty()
            && query.before_seq.is_none()
            && query.since.is_none()
            && query.at.is_none()
        {
            return Err(ApiError(gateway::GatewayError::NotFound {
                resource_type: resource_type.clone(),
                id: id.clone(),
            }));
        }
    }
    let bundle = history_bundle(&request, &query, &page)?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type)
        .body(render(&bundle, &format)))
}

fn parse_query(
    request: &HttpRequest,
    scope: HistoryScope,
    state: &AppState,
) -> ApiResult<HistoryQuery> {
    let settings = &state.settings;
    let mut query = HistoryQuery {
        scope,
        since: None,
        at: None,
        count: settings.default_page_size,
        before_seq: None,
    };
    for (name, value) in query_pairs(request) {
        match name.as_str() {
            "_count" => {
                let count: u32 = value.parse().map_err(|_| {
                    invalid_parameter(format!("_count='{value}' is not a non-negative integer"))
                })?;
                query.count = count.clamp(1, settings.max_page_size);
            }
            "_since" => {
                let (low, _) = parse_datetime_range(&value).ok_or_else(|| {
                    invalid_parameter(format!(
                        "_since='{value}' is not a FHIR instant (e.g. 2024-01-31T12:00:00Z)"
                    ))
                })?;
                query.since = Some(low);
            }
            "_at" => {
                query.at = Some(parse_datetime_range(&value).ok_or_else(|| {
                    invalid_parameter(format!(
                        "_at='{value}' is not a FHIR date or dateTime (e.g. 2024-01-31)"
                    ))
                })?);
            }
            CURSOR_PARAMETER => {
                query.before_seq = Some(value.parse().map_err(|_| {
                    invalid_parameter(format!("{CURSOR_PARAMETER}='{value}' is not a page cursor"))
                })?);
            }
            // Formatting parameters are handled by negotiation; others are ignored as R4 allows
            // for unknown parameters under lenient handling.
            _ => {}
        }
    }
    Ok(query)
}

fn page_url(request: &HttpRequest, query: &HistoryQuery, before_seq: Option<i64>) -> String {
    let mut url = format!(
        "{}{}",
        base_url(request).trim_end_matches("/fhir"),
        request.path()
    );
    let mut params = form_urlencoded::Serializer::new(String::new());
    params.append_pair("_count", &query.count.to_string());
    if let Some(since) = query.since {
        params.append_pair("_since", &since.to_instant());
    }
    for (name, value) in query_pairs(request) {
        if matches!(name.as_str(), "_at" | "_format" | "_pretty") {
            params.append_pair(&name, &value);
        }
    }
    if let Some(before) = before_seq {
        params.append_pair(CURSOR_PARAMETER, &before.to_string());
    }
    url.push('?');
    url.push_str(&params.finish());
    url
}

fn history_bundle(
    request: &HttpRequest,
    query: &HistoryQuery,
    page: &HistoryPage,
) -> ApiResult<Value> {
    let base = base_url(request);
    let mut links =
        vec![json!({"relation": "self", "url": page_url(request, query, query.before_seq)})];
    if let Some(next) = page.next_before_seq {
        links.push(json!({"relation": "next", "url": page_url(request, query, Some(next))}));
    }
    let entries = page
        .versions
        .iter()
        .map(|version| history_entry(&base, version))
        .collect::<ApiResult<Vec<_>>>()?;
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "history",
        "meta": {"lastUpdated": Micros::now().to_instant()},
        "link": links,
    });
    // Moved in, not through json!: its serialiser would rewrite number text
    // (`1E2` as `1e+2`) and deep-copy every resource.
    bundle["entry"] = Value::Array(entries);
    Ok(bundle)
}

fn history_entry(base: &str, version: &StoredVersion) -> ApiResult<Value> {
    let full_url = format!("{base}/{}/{}", version.resource_type, version.id);
    let (request_url, status) = match version.method {
        WriteMethod::Post => (version.resource_type.clone(), "201 Created"),
        WriteMethod::Put if version.version == 1 => (
            format!("{}/{}", version.resource_type, version.id),
            "201 Created",
        ),
        WriteMethod::Put => (
            format!("{}/{}", version.resource_type, version.id),
            "200 OK",
        ),
        WriteMethod::Delete => (
            format!("{}/{}", version.resource_type, version.id),
            "204 No Content",
        ),
    };
    let mut entry = json!({
        "fullUrl": full_url,
        "request": {"method": version.method.as_str(), "url": request_url},
        "response": {
            "status": status,
            "etag": etag(version.version),
            "lastModified": version.last_updated.to_instant(),
        },
    });
    if let Some(body) = &version.body {
        let resource: Value = fhir_core::json::parse_str(body).map_err(|error| {
            ApiError(gateway::GatewayError::Internal(format!(
                "stored {}/{} version {} is not JSON: {error}",
                version.resource_type, version.id, version.version
            )))
        })?;
        entry["resource"] = resource;
    }
    Ok(entry)
}
