//! Errors of terminology operations: malformed definitions, and requests too
//! large to answer at once; what cannot be evaluated locally is a
//! [`crate::Membership::Unknown`] answer.

/// A definition that cannot be evaluated because it is malformed or cyclic,
/// or an expansion page too large to return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerminologyError {
    #[error("ValueSet {url} is not loaded")]
    UnknownValueSet { url: String },
    #[error("ConceptMap {url} is not loaded")]
    UnknownConceptMap { url: String },
    #[error("ValueSet {url}: {message}")]
    InvalidValueSet { url: String, message: String },
    #[error("CodeSystem {url}: {message}")]
    InvalidCodeSystem { url: String, message: String },
    #[error("ValueSet {url} imports itself (through {chain})")]
    ImportCycle { url: String, chain: String },
    #[error("ValueSet {url} has {total} codes; at most {limit} are returned at once (use count and offset to page)")]
    TooCostly {
        url: String,
        total: usize,
        limit: usize,
    },
}
