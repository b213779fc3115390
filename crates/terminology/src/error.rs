//! Errors of terminology operations: only malformed definitions are errors;
//! what cannot be evaluated locally is a [`crate::Membership::Unknown`] answer.

/// A definition that cannot be evaluated because it is malformed or cyclic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerminologyError {
    #[error("ValueSet {url} is not loaded")]
    UnknownValueSet { url: String },
    #[error("ValueSet {url}: {message}")]
    InvalidValueSet { url: String, message: String },
    #[error("CodeSystem {url}: {message}")]
    InvalidCodeSystem { url: String, message: String },
    #[error("ValueSet {url} imports itself (through {chain})")]
    ImportCycle { url: String, chain: String },
}
