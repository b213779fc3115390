//! Errors of the package loader. Every variant names the file (and, inside an
//! archive or Bundle, the entry) so an operator can find the bad input.

use std::path::PathBuf;

/// Why a profiles directory, package or definition could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid JSON in {path}: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {message}")]
    InvalidResource { path: String, message: String },
    #[error("{path}: not an npm FHIR package (no package/package.json)")]
    MissingPackageJson { path: PathBuf },
    #[error("{path}: damaged .tgz archive: {message}")]
    Archive { path: PathBuf, message: String },
    #[error("profiles directory not found (tried {tried})")]
    ProfilesDirNotFound { tried: String },
    #[error("unknown StructureDefinition {url}")]
    UnknownStructureDefinition { url: String },
    #[error(transparent)]
    ElementTree(#[from] ElementTreeError),
}

/// Why a StructureDefinition could not be compiled into an element tree.
/// Kept separate (and `Clone`) because the compiled result is cached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementTreeError {
    /// Neither a published snapshot nor one generated at load (a definition
    /// built by hand, outside the loader, without a snapshot).
    #[error("StructureDefinition {url} has no snapshot")]
    NoSnapshot { url: String },
    /// The snapshot could not be generated from the differential.
    #[error("StructureDefinition {url}: cannot generate the snapshot at {element}: {reason}")]
    SnapshotGeneration {
        url: String,
        element: String,
        reason: String,
    },
    #[error("StructureDefinition {url}: element {index}: {message}")]
    InvalidElement {
        url: String,
        index: usize,
        message: String,
    },
    #[error("StructureDefinition {url}: {message}")]
    InvalidDefinition { url: String, message: String },
}
