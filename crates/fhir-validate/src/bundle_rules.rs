//! Rules on a Bundle as a whole, which its element definitions cannot say:
//! entry identity (`fullUrl` absolute, consistent with a RESTful resource's
//! type and id, unique with its version: bdl-7, evaluated here natively),
//! paging links that may occur once, search result entries (mode `outcome`
//! holds an OperationOutcome, mode `match` a resource with an id of a type
//! the search asked for), and references that must resolve inside document
//! and message Bundles ([`crate::bundle_refs`]).

use crate::report::{IssueType, Sink};
use crate::Engine;
use serde_json::{Map, Value};

/// What the rules read of one entry.
pub(crate) struct Entry<'v> {
    pub index: usize,
    pub full_url: Option<&'v str>,
    pub resource: Option<&'v Map<String, Value>>,
}

impl<'v> Entry<'v> {
    pub fn resource_type(&self) -> Option<&'v str> {
        self.resource?.get("resourceType")?.as_str()
    }

    pub fn id(&self) -> Option<&'v str> {
        self.resource?.get("id")?.as_str()
    }

    pub fn version_id(&self) -> Option<&'v str> {
        self.resource?.get("meta")?.get("versionId")?.as_str()
    }
}

/// Links that name one page of a result: each may occur once.
const SINGLE_LINKS: &[&str] = &["self", "first", "previous", "prev", "next", "last"];

impl Engine {
    pub(crate) fn check_bundle_rules(
        &self,
        bundle: &Map<String, Value>,
        expr: &str,
        sink: &mut Sink,
    ) {
        let entries = entries_of(bundle);
        let bundle_type = bundle.get("type").and_then(Value::as_str).unwrap_or("");
        for entry in &entries {
            self.check_full_url(entry, expr, sink);
        }
        if bundle_type != "history" {
            check_unique_identity(&entries, expr, sink);
        }
        check_single_links(bundle, expr, sink);
        if bundle_type == "searchset" {
            self.check_search_entries(bundle, &entries, expr, sink);
        }
        match bundle_type {
            "document" => self.check_document_references(&entries, expr, sink),
            "message" => self.check_message_references(&entries, expr, sink),
            _ => {}
        }
    }

    /// `fullUrl` identifies the entry: an absolute URL, and when it reads as
    /// a RESTful URL (`…/Patient/123`) it names this resource's type and id.
    fn check_full_url(&self, entry: &Entry, expr: &str, sink: &mut Sink) {
        let Some(url) = entry.full_url else { return };
        let at = format!("{expr}.entry[{}].fullUrl", entry.index);
        if !is_absolute_url(url) {
            sink.error(
                IssueType::Invalid,
                &at,
                format!("fullUrl '{url}' must be an absolute URL (http(s), urn:uuid: or urn:oid:)"),
            );
            return;
        }
        let Some((url_type, url_id)) = self.restful_type_and_id(url) else {
            return;
        };
        let (Some(rt), Some(id)) = (entry.resource_type(), entry.id()) else {
            return;
        };
        // R4 says the fullUrl SHALL NOT disagree with the resource's id, and
        // the reference validator reports it as an error; three official R4
        // examples disagree, and they are accepted today, so this stays a
        // warning until that trade-off is decided.
        if url_type != rt || url_id != id {
            sink.warning(
                IssueType::Invalid,
                &at,
                format!(
                    "fullUrl '{url}' is a RESTful URL, so it must end with the resource's type and id ({rt}/{id})"
                ),
            );
        }
    }

    /// The type and id a RESTful http(s) URL ends with (ignoring
    /// `/_history/v`), when the type segment is a resource type.
    pub(crate) fn restful_type_and_id<'u>(&self, url: &'u str) -> Option<(&'u str, &'u str)> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return None;
        }
        let path = strip_history(url).0;
        let mut segments = path.rsplit('/');
        let id = segments.next().filter(|s| !s.is_empty())?;
        let rt = segments.next()?;
        (self.defs.type_kind(rt) == Some(fhir_package::TypeKind::Resource)).then_some((rt, id))
    }

    /// Searchset entries: `outcome` entries are OperationOutcomes, `match`
    /// entries have an id and a type the search (its self link) asked for.
    fn check_search_entries(
        &self,
        bundle: &Map<String, Value>,
        entries: &[Entry],
        expr: &str,
        sink: &mut Sink,
    ) {
        let searched = self.searched_types(bundle);
        let Some(Value::Array(raw)) = bundle.get("entry") else {
            return;
        };
        for entry in entries {
            let mode = raw
                .get(entry.index)
                .and_then(|e| e.get("search"))
                .and_then(|s| s.get("mode"))
                .and_then(Value::as_str);
            let Some(rt) = entry.resource_type() else {
                continue;
            };
            let at = format!("{expr}.entry[{}].resource", entry.index);
            match mode {
                Some("outcome") if rt != "OperationOutcome" => sink.error(
                    IssueType::Invalid,
                    &at,
                    format!("search mode 'outcome' entries hold an OperationOutcome, found {rt}"),
                ),
                Some("match") => {
                    if entry.id().is_none() {
                        sink.error(
                            IssueType::Required,
                            &at,
                            format!(
                                "search results (mode 'match') must have an id; this {rt} has none"
                            ),
                        );
                    }
                    if !searched.is_empty() && !searched.iter().any(|t| t == rt) {
                        sink.error(
                            IssueType::Invalid,
                            &at,
                            format!(
                                "search result of type {rt} does not match the search (self link asks for {})",
                                searched.join(", ")
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// The resource types a searchset's self link searched for: the type in
    /// its path (`[base]/Observation?…`) or its `_type` parameter; empty
    /// when neither says.
    fn searched_types(&self, bundle: &Map<String, Value>) -> Vec<String> {
        let links = bundle.get("link").and_then(Value::as_array);
        let Some(url) = links.into_iter().flatten().find_map(|l| {
            (l.get("relation")?.as_str()? == "self").then(|| l.get("url")?.as_str())?
        }) else {
            return Vec::new();
        };
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let last = path.rsplit('/').next().unwrap_or("");
        if self.defs.type_kind(last) == Some(fhir_package::TypeKind::Resource) {
            return vec![last.to_string()];
        }
        query
            .split('&')
            .find_map(|p| p.strip_prefix("_type="))
            .map(|types| types.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    }
}

pub(crate) fn entries_of(bundle: &Map<String, Value>) -> Vec<Entry<'_>> {
    let Some(Value::Array(entries)) = bundle.get("entry") else {
        return Vec::new();
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, e)| Entry {
            index,
            full_url: e.get("fullUrl").and_then(Value::as_str),
            resource: e.get("resource").and_then(Value::as_object),
        })
        .collect()
}

/// bdl-7: outside history Bundles, no two entries share a fullUrl and a
/// version (entries without `meta.versionId` share the empty version).
/// One pass with a map of identities already seen: Bundles have no entry
/// cap, so comparing every pair would make a large one cost quadratic time.
fn check_unique_identity(entries: &[Entry], expr: &str, sink: &mut Sink) {
    let mut seen: fnv::FnvHashMap<(&str, Option<&str>), &Entry> = fnv::FnvHashMap::default();
    for entry in entries {
        let Some(url) = entry.full_url else { continue };
        let first = *seen.entry((url, entry.version_id())).or_insert(entry);
        if !std::ptr::eq(first, entry) {
            sink.error(
                IssueType::Invariant,
                &format!("{expr}.entry[{}].fullUrl", entry.index),
                format!(
                    "constraint bdl-7 failed: fullUrl '{url}' (version {}) is also the fullUrl of entry[{}]",
                    entry.version_id().unwrap_or("none"),
                    first.index
                ),
            );
        }
    }
}

fn check_single_links(bundle: &Map<String, Value>, expr: &str, sink: &mut Sink) {
    let Some(Value::Array(links)) = bundle.get("link") else {
        return;
    };
    for (i, link) in links.iter().enumerate() {
        let Some(relation) = link.get("relation").and_then(Value::as_str) else {
            continue;
        };
        let repeated = links[..i]
            .iter()
            .any(|l| l.get("relation").and_then(Value::as_str) == Some(relation));
        if repeated && SINGLE_LINKS.contains(&relation) {
            sink.error(
                IssueType::Invalid,
                &format!("{expr}.link[{i}].relation"),
                format!("the link relation '{relation}' may occur only once in a Bundle"),
            );
        }
    }
}

/// An absolute URI: a scheme (a letter, then letters, digits, `+-.`) and ':'.
pub(crate) fn is_absolute_url(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `url` without a trailing `/_history/v`, and `v`.
pub(crate) fn strip_history(url: &str) -> (&str, Option<&str>) {
    match url.rsplit_once("/_history/") {
        Some((base, version)) if !version.contains('/') => (base, Some(version)),
        _ => (url, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls_have_a_scheme() {
        assert!(is_absolute_url("http://x/Patient/1"));
        assert!(is_absolute_url(
            "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"
        ));
        assert!(!is_absolute_url("Patient/1"));
        assert!(!is_absolute_url("1:x"));
        assert!(!is_absolute_url(":x"));
    }

    #[test]
    fn history_suffix_is_split_off() {
        assert_eq!(
            strip_history("Patient/1/_history/2"),
            ("Patient/1", Some("2"))
        );
        assert_eq!(strip_history("Patient/1"), ("Patient/1", None));
    }
}
