//! References that must resolve inside a Bundle: a document carries what its
//! Composition points at (subject, encounter, authors, attesters, custodian,
//! event details, and each section's author, focus and entries), a message
//! carries its MessageHeader's focus. Resolution follows the R4 rules for
//! Bundles: an absolute reference matches a `fullUrl`; a relative one is
//! appended to the RESTful base of the referring entry's `fullUrl`; a
//! versioned one (`…/_history/v`) must also match `meta.versionId`, and an
//! unversioned one must not match two versions. When the referring entry has
//! no RESTful base (`urn:uuid:` fullUrls) a relative reference matches by
//! type and id, more leniently than the reference validator, which then
//! reports it as unresolvable.

use crate::bundle_rules::{is_absolute_url, strip_history, Entry};
use crate::report::{IssueType, Sink};
use crate::Engine;
use fnv::FnvHashMap;
use serde_json::{Map, Value};

/// Composition elements holding references, with their sub-paths.
const COMPOSITION_REFERENCES: &[&str] = &["subject", "encounter", "author", "custodian"];
const SECTION_REFERENCES: &[&str] = &["author", "focus", "entry"];

/// How a reference resolves among a Bundle's entries.
enum Resolved {
    One,
    Missing,
    Many(usize),
}

impl Engine {
    pub(crate) fn check_document_references(&self, entries: &[Entry], expr: &str, sink: &mut Sink) {
        let Some(first) = entries.first() else { return };
        // A document that does not start with a Composition breaks bdl-11,
        // which its invariant reports.
        let (Some("Composition"), Some(composition)) = (first.resource_type(), first.resource)
        else {
            return;
        };
        let mut found = Vec::new();
        let root = format!("{expr}.entry[{}].resource", first.index);
        for name in COMPOSITION_REFERENCES {
            references_at(
                composition.get(*name),
                &format!("{root}.{name}"),
                &mut found,
            );
        }
        for (i, attester) in array(composition.get("attester")).iter().enumerate() {
            references_at(
                attester.get("party"),
                &format!("{root}.attester[{i}].party"),
                &mut found,
            );
        }
        for (i, event) in array(composition.get("event")).iter().enumerate() {
            references_at(
                event.get("detail"),
                &format!("{root}.event[{i}].detail"),
                &mut found,
            );
        }
        section_references(composition, &root, &mut found);
        let index = EntryIndex::new(entries);
        for (at, reference) in found {
            self.report_unresolved(&index, first, &at, reference, "document", sink);
        }
    }

    pub(crate) fn check_message_references(&self, entries: &[Entry], expr: &str, sink: &mut Sink) {
        let Some(first) = entries.first() else { return };
        let (Some("MessageHeader"), Some(header)) = (first.resource_type(), first.resource) else {
            return;
        };
        let mut found = Vec::new();
        let root = format!("{expr}.entry[{}].resource", first.index);
        references_at(header.get("focus"), &format!("{root}.focus"), &mut found);
        let index = EntryIndex::new(entries);
        for (at, reference) in found {
            self.report_unresolved(&index, first, &at, reference, "message", sink);
        }
    }

    fn report_unresolved(
        &self,
        index: &EntryIndex,
        from: &Entry,
        at: &str,
        reference: &str,
        kind: &str,
        sink: &mut Sink,
    ) {
        match self.resolve_in_bundle(index, from, reference) {
            Resolved::One => {}
            Resolved::Missing => sink.error(
                IssueType::NotFound,
                at,
                format!("reference '{reference}' does not resolve to an entry of this {kind} Bundle, which must contain it"),
            ),
            Resolved::Many(n) => sink.error(
                IssueType::Invalid,
                at,
                format!("reference '{reference}' matches {n} entries of this Bundle (versions of one resource); give the version (…/_history/v)"),
            ),
        }
    }

    fn resolve_in_bundle(&self, index: &EntryIndex, from: &Entry, reference: &str) -> Resolved {
        // Local references are resolved against contained resources (ref-1).
        if reference.starts_with('#') {
            return Resolved::One;
        }
        let (target, version) = strip_history(reference);
        let base = from.full_url.and_then(|url| self.restful_base(url));
        let mut candidates: Vec<&Entry> = if is_absolute_url(target) {
            index.with_url(target).to_vec()
        } else if let Some(base) = base {
            index.with_url(&format!("{base}/{target}")).to_vec()
        } else {
            let mut both: Vec<&Entry> = index.with_url(target).to_vec();
            if let Some((rt, id)) = target.split_once('/') {
                both.extend(index.with_type_and_id(rt, id));
            }
            // An entry found both ways counts once.
            both.sort_by_key(|e| e.index);
            both.dedup_by_key(|e| e.index);
            both
        };
        candidates.retain(|e| version.is_none() || e.version_id() == version);
        match candidates.len() {
            0 => Resolved::Missing,
            1 => Resolved::One,
            n => Resolved::Many(n),
        }
    }

    /// `http://x/fhir` for `http://x/fhir/Patient/1(/_history/2)`.
    fn restful_base<'u>(&self, url: &'u str) -> Option<&'u str> {
        let (rt, id) = self.restful_type_and_id(url)?;
        let path = strip_history(url).0;
        path.strip_suffix(id)?
            .strip_suffix('/')?
            .strip_suffix(rt)?
            .strip_suffix('/')
    }
}

/// A Bundle's entries by `fullUrl` (without `_history`) and by type and id,
/// built once per Bundle: a document may reference every one of its entries,
/// and Bundles have no entry cap, so each reference is a lookup, not a scan.
struct EntryIndex<'e, 'v> {
    by_url: FnvHashMap<&'v str, Vec<&'e Entry<'v>>>,
    /// By id; the type is checked on lookup.
    by_id: FnvHashMap<&'v str, Vec<&'e Entry<'v>>>,
}

impl<'e, 'v> EntryIndex<'e, 'v> {
    fn new(entries: &'e [Entry<'v>]) -> Self {
        let mut index = EntryIndex {
            by_url: FnvHashMap::default(),
            by_id: FnvHashMap::default(),
        };
        for entry in entries {
            if let Some(url) = entry.full_url {
                index
                    .by_url
                    .entry(strip_history(url).0)
                    .or_default()
                    .push(entry);
            }
            if let Some(id) = entry.id() {
                index.by_id.entry(id).or_default().push(entry);
            }
        }
        index
    }

    fn with_url(&self, url: &str) -> &[&'e Entry<'v>] {
        self.by_url.get(url).map_or(&[], Vec::as_slice)
    }

    fn with_type_and_id<'s>(
        &'s self,
        rt: &'s str,
        id: &str,
    ) -> impl Iterator<Item = &'e Entry<'v>> + 's {
        let same_id = self.by_id.get(id).map_or(&[][..], Vec::as_slice);
        same_id
            .iter()
            .copied()
            .filter(move |e| e.resource_type() == Some(rt))
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The `reference` strings of a Reference or a list of them at `at`.
fn references_at<'v>(value: Option<&'v Value>, at: &str, out: &mut Vec<(String, &'v str)>) {
    match value {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                references_at(Some(item), &format!("{at}[{i}]"), out);
            }
        }
        Some(Value::Object(obj)) => {
            if let Some(reference) = obj.get("reference").and_then(Value::as_str) {
                out.push((at.to_string(), reference));
            }
        }
        _ => {}
    }
}

fn section_references<'v>(
    holder: &'v Map<String, Value>,
    at: &str,
    out: &mut Vec<(String, &'v str)>,
) {
    for (i, section) in array(holder.get("section")).iter().enumerate() {
        let Value::Object(section) = section else {
            continue;
        };
        let here = format!("{at}.section[{i}]");
        for name in SECTION_REFERENCES {
            references_at(section.get(*name), &format!("{here}.{name}"), out);
        }
        section_references(section, &here, out);
    }
}
