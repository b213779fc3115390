//! Canonical-URL indexes with the duplicate rules of the loader: a later
//! version replaces an earlier one under the bare URL; the same version
//! twice keeps the first and reports a warning. Every version stays
//! reachable as `url|version`.
//!
//! Items and keys are reference-counted so that a store clones in time
//! proportional to its number of entries, without copying any definition:
//! [`crate::FhirDefinitions::with_resources`] layers extra definitions over a
//! loaded core this way, sharing the core's parsed and compiled data.

use fnv::FnvHashMap as HashMap;
use std::cmp::Ordering;
use std::sync::Arc;

/// A list of definitions of one kind, indexed by canonical URL.
#[derive(Debug)]
pub(crate) struct CanonicalStore<T> {
    items: Vec<Arc<T>>,
    latest: HashMap<Arc<str>, usize>,
    versioned: HashMap<Arc<str>, usize>,
}

impl<T> Clone for CanonicalStore<T> {
    fn clone(&self) -> Self {
        CanonicalStore {
            items: self.items.clone(),
            latest: self.latest.clone(),
            versioned: self.versioned.clone(),
        }
    }
}

impl<T> Default for CanonicalStore<T> {
    fn default() -> Self {
        CanonicalStore {
            items: Vec::new(),
            latest: HashMap::default(),
            versioned: HashMap::default(),
        }
    }
}

/// What happened to an added definition.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Added {
    New(usize),
    /// Same URL and version as an earlier one: dropped (first wins).
    Duplicate,
}

impl<T> CanonicalStore<T> {
    /// Adds `item`; `version_of` reads the version of a stored item.
    pub(crate) fn add(
        &mut self,
        url: &str,
        version: Option<&str>,
        item: T,
        version_of: impl Fn(&T) -> Option<&str>,
    ) -> Added {
        let versioned_key = version.map(|version| format!("{url}|{version}"));
        if let Some(key) = &versioned_key {
            if self.versioned.contains_key(key.as_str()) {
                return Added::Duplicate;
            }
        }
        let position = self.items.len();
        match self.latest.get(url).copied() {
            None => {
                self.latest.insert(url.into(), position);
            }
            Some(existing) => {
                let existing_version = self
                    .items
                    .get(existing)
                    .and_then(|item| version_of(item.as_ref()));
                match compare_versions(version, existing_version) {
                    Ordering::Greater => {
                        self.latest.insert(url.into(), position);
                    }
                    Ordering::Less => {}
                    Ordering::Equal => return Added::Duplicate,
                }
            }
        }
        if let Some(key) = versioned_key {
            self.versioned.insert(key.into(), position);
        }
        self.items.push(Arc::new(item));
        Added::New(position)
    }

    /// Adds `item` as the current definition of `url` (and of `url|version`),
    /// whatever was there before: extra definitions given for one validation
    /// replace loaded ones. Returns its position and the one it replaced.
    pub(crate) fn add_overriding(
        &mut self,
        url: &str,
        version: Option<&str>,
        item: T,
    ) -> (usize, Option<usize>) {
        let position = self.items.len();
        let replaced = self.latest.insert(url.into(), position);
        if let Some(version) = version {
            self.versioned
                .insert(format!("{url}|{version}").into(), position);
        }
        self.items.push(Arc::new(item));
        (position, replaced)
    }

    /// Drops `url` (every version) from the indexes; the item stays stored.
    pub(crate) fn forget(&mut self, url: &str) {
        self.latest.remove(url);
        let prefix = format!("{url}|");
        self.versioned.retain(|key, _| !key.starts_with(&prefix));
    }

    /// By `url` (the latest version) or `url|version`.
    pub(crate) fn get(&self, canonical: &str) -> Option<&T> {
        let position = match canonical.split_once('|') {
            Some((url, "")) => self.latest.get(url),
            Some(_) => self.versioned.get(canonical),
            None => self.latest.get(canonical),
        }?;
        self.items.get(*position).map(Arc::as_ref)
    }

    pub(crate) fn item(&self, position: usize) -> Option<&T> {
        self.items.get(position).map(Arc::as_ref)
    }

    /// The latest version of each URL, in load order.
    pub(crate) fn latest(&self) -> impl Iterator<Item = &T> {
        self.latest_positions()
            .into_iter()
            .filter_map(|position| self.items.get(position).map(Arc::as_ref))
    }

    /// Positions of the latest version of each URL, in load order.
    pub(crate) fn latest_positions(&self) -> Vec<usize> {
        let mut positions: Vec<usize> = self.latest.values().copied().collect();
        positions.sort_unstable();
        positions
    }

    /// How many items are stored, every version included.
    pub(crate) fn stored(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.latest.len()
    }
}

/// Orders business versions: dotted/dashed parts compare numerically when
/// both are numbers, else as text; a missing version is the oldest.
pub fn compare_versions(a: Option<&str>, b: Option<&str>) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(a), Some(b)) => (a, b),
    };
    let parts =
        |text: &str| -> Vec<String> { text.split(['.', '-']).map(str::to_string).collect() };
    let (a_parts, b_parts) = (parts(a), parts(b));
    for (x, y) in a_parts.iter().zip(&b_parts) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a_parts.len().cmp(&b_parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(
            compare_versions(Some("1.10.0"), Some("1.9.0")),
            Ordering::Greater
        );
        assert_eq!(
            compare_versions(Some("4.0.1"), Some("4.0.1")),
            Ordering::Equal
        );
        assert_eq!(compare_versions(None, Some("1")), Ordering::Less);
    }

    fn version_of<'a>(item: &'a (&'static str, &'static str)) -> Option<&'a str> {
        Some(item.1)
    }

    #[test]
    fn later_version_wins_same_version_first_wins() {
        let mut store: CanonicalStore<(&str, &str)> = CanonicalStore::default();
        assert_eq!(
            store.add("u", Some("1.0"), ("a", "1.0"), version_of),
            Added::New(0)
        );
        assert_eq!(
            store.add("u", Some("2.0"), ("b", "2.0"), version_of),
            Added::New(1)
        );
        assert_eq!(
            store.add("u", Some("2.0"), ("c", "2.0"), version_of),
            Added::Duplicate
        );
        assert_eq!(store.get("u").map(|item| item.0), Some("b"));
        assert_eq!(store.get("u|1.0").map(|item| item.0), Some("a"));
        assert_eq!(store.get("u|3.0"), None);
        assert_eq!(store.len(), 1);
        assert_eq!(store.item(1).map(|item| item.0), Some("b"));
    }
}
