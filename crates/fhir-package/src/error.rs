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
    /// Generating snapshots from differentials is out of scope: an IG must be
    /// published with snapshots (every IG built by the HL7 IG publisher is).
    #[error("StructureDefinition {url} has no snapshot (snapshot generation is not supported; publish the IG with snapshots)")]
    NoSnapshot { url: String },
    #[error("StructureDefinition {url}: element {index}: {message}")]
    InvalidElement {
        url: String,
        index: usize,
        message: String,
    },
    #[error("StructureDefinition {url}: {message}")]
    InvalidDefinition { url: String, message: String },
}
