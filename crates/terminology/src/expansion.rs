//! The result of expanding a ValueSet and the membership test over it.
//! An expansion knows what it could not enumerate (a code system that is not
//! available locally, a pre-expansion marked too costly) so that a code
//! missing from it is reported as Unknown rather than as not a member.

use fnv::{FnvHashMap as HashMap, FnvHashSet as HashSet};

use serde_json::Value;

/// One code of an expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionConcept {
    pub system: String,
    pub version: Option<String>,
    pub code: String,
    pub display: Option<String>,
    /// Listed for navigation only; not a valid value (`abstract: true`).
    pub is_abstract: bool,
    pub inactive: bool,
}

/// A part of the value set that could not be enumerated locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unevaluated {
    /// The code system concerned; None when the whole expansion is partial.
    pub system: Option<String>,
    pub reason: String,
}

/// Where an expansion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpansionSource {
    /// `ValueSet.expansion` shipped in a package (expansions.json.gz).
    PreExpanded,
    /// Evaluated from `ValueSet.compose`.
    Compose,
}

/// The answer to "is this code in this value set?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    InValueSet {
        display: Option<String>,
    },
    NotInValueSet,
    /// The value set or code system cannot be evaluated locally (SNOMED CT,
    /// LOINC, UCUM, a missing ValueSet...): a validator must not report this
    /// as an error.
    Unknown {
        reason: String,
    },
}

/// [`Membership`] without the display or the reason, for callers that only
/// need the verdict (a validator checks every coded value; building the
/// reason of an Unknown costs more than the lookup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    InValueSet,
    NotInValueSet,
    Unknown,
}

/// An expanded ValueSet.
#[derive(Debug, Clone)]
pub struct Expansion {
    pub url: String,
    pub version: Option<String>,
    pub source: ExpansionSource,
    pub concepts: Vec<ExpansionConcept>,
    /// Empty when the expansion is complete.
    pub unevaluated: Vec<Unevaluated>,
    by_code: HashMap<String, Vec<usize>>,
}

/// Builds an expansion, keeping the first occurrence of each system+code.
#[derive(Debug, Default)]
pub(crate) struct ConceptSet {
    pub(crate) concepts: Vec<ExpansionConcept>,
    keys: HashSet<(String, String)>,
    pub(crate) unevaluated: Vec<Unevaluated>,
}

impl ConceptSet {
    pub(crate) fn push(&mut self, concept: ExpansionConcept) {
        if self
            .keys
            .insert((concept.system.clone(), concept.code.clone()))
        {
            self.concepts.push(concept);
        }
    }

    pub(crate) fn contains(&self, system: &str, code: &str) -> bool {
        self.keys.contains(&(system.to_string(), code.to_string()))
    }

    pub(crate) fn mark_unevaluated(&mut self, system: Option<&str>, reason: String) {
        let entry = Unevaluated {
            system: system.map(str::to_string),
            reason,
        };
        if !self.unevaluated.contains(&entry) {
            self.unevaluated.push(entry);
        }
    }

    /// Removes concepts; `keep` decides per concept.
    pub(crate) fn retain(&mut self, keep: impl Fn(&ExpansionConcept) -> bool) {
        self.concepts.retain(|concept| keep(concept));
        self.keys = self
            .concepts
            .iter()
            .map(|concept| (concept.system.clone(), concept.code.clone()))
            .collect();
    }
}

impl Expansion {
    pub(crate) fn new(
        url: String,
        version: Option<String>,
        source: ExpansionSource,
        set: ConceptSet,
    ) -> Expansion {
        // Keyed by code alone: lookups borrow the caller's &str, and a code
        // rarely appears under more than one system in a value set.
        let mut by_code: HashMap<String, Vec<usize>> = HashMap::default();
        for (position, concept) in set.concepts.iter().enumerate() {
            by_code
                .entry(concept.code.clone())
                .or_default()
                .push(position);
        }
        Expansion {
            url,
            version,
            source,
            concepts: set.concepts,
            unevaluated: set.unevaluated,
            by_code,
        }
    }

    /// Reads a packaged `ValueSet.expansion`.
    pub(crate) fn from_pre_expansion(
        value_set: &Value,
        non_local_systems: Vec<String>,
    ) -> Expansion {
        let text = |key: &str| {
            value_set
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let expansion = value_set.get("expansion");
        let mut set = ConceptSet::default();
        if let Some(contains) = expansion.and_then(|e| e.get("contains")) {
            collect_contains(contains, &mut set);
        }
        // The publisher marks expansions it cut short with these extensions.
        let partial_markers = ["valueset-toocostly", "valueset-unclosed"];
        let is_partial = expansion
            .and_then(|e| e.get("extension"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|extension| {
                let url = extension.get("url").and_then(Value::as_str).unwrap_or("");
                let flagged = extension.get("valueBoolean").and_then(Value::as_bool) == Some(true);
                flagged && partial_markers.iter().any(|marker| url.ends_with(marker))
            });
        let total = expansion
            .and_then(|e| e.get("total"))
            .and_then(Value::as_u64);
        if is_partial || total.is_some_and(|total| total > set.concepts.len() as u64) {
            set.mark_unevaluated(None, "the packaged expansion is incomplete".to_string());
        }
        for system in non_local_systems {
            let reason = format!("CodeSystem {system} is not available locally");
            set.mark_unevaluated(Some(&system), reason);
        }
        Expansion::new(
            text("url").unwrap_or_default(),
            text("version"),
            ExpansionSource::PreExpanded,
            set,
        )
    }

    /// Whether the expansion lists every code of the value set.
    pub fn is_complete(&self) -> bool {
        self.unevaluated.is_empty()
    }

    /// The concept for `system` + `code`, or by code alone when `system` is None.
    pub fn find(&self, system: Option<&str>, code: &str) -> Option<&ExpansionConcept> {
        let mut candidates = self
            .by_code
            .get(code)?
            .iter()
            .filter_map(|position| self.concepts.get(*position));
        match system {
            Some(system) => candidates.find(|concept| concept.system == system),
            None => candidates.find(|concept| !concept.is_abstract),
        }
    }

    /// Membership of a code; with `system` None, by code alone (for `code`
    /// elements, whose system is implied by the binding).
    pub fn membership(&self, system: Option<&str>, code: &str) -> Membership {
        if let Some(concept) = self.find(system, code).filter(|c| !c.is_abstract) {
            return Membership::InValueSet {
                display: concept.display.clone(),
            };
        }
        match self.blocking(system) {
            Some(part) => Membership::Unknown {
                reason: format!("ValueSet {}: {}", self.url, part.reason),
            },
            None => Membership::NotInValueSet,
        }
    }

    /// [`Expansion::membership`] without building the display or reason.
    pub fn verdict(&self, system: Option<&str>, code: &str) -> Verdict {
        if self.find(system, code).is_some_and(|c| !c.is_abstract) {
            Verdict::InValueSet
        } else if self.blocking(system).is_some() {
            Verdict::Unknown
        } else {
            Verdict::NotInValueSet
        }
    }

    /// The part that was not enumerated and could hold a code of `system`.
    fn blocking(&self, system: Option<&str>) -> Option<&Unevaluated> {
        self.unevaluated
            .iter()
            .find(|part| match (&part.system, system) {
                (None, _) | (Some(_), None) => true,
                (Some(part_system), Some(system)) => part_system == system,
            })
    }
}

fn collect_contains(contains: &Value, set: &mut ConceptSet) {
    for entry in contains.as_array().into_iter().flatten() {
        let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
        if let (Some(system), Some(code)) = (text("system"), text("code")) {
            set.push(ExpansionConcept {
                system,
                version: text("version"),
                code,
                display: text("display"),
                is_abstract: entry.get("abstract").and_then(Value::as_bool) == Some(true),
                inactive: entry.get("inactive").and_then(Value::as_bool) == Some(true),
            });
        }
        if let Some(nested) = entry.get("contains") {
            collect_contains(nested, set);
        }
    }
}
