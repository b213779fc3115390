//! `translate` owns HL7 v2 -> FHIR R4 translation (FHIR -> v2 comes later), driven by mapping
//! tables kept as data files in `mappings/` and embedded at build time; no I/O, no database.
//!
//! [`V2ToFhir::new`] parses the tables ([`tables`]); [`V2ToFhir::translate`] routes an ADT
//! message on MSH-9 ([`adt`]), applies each segment's field rows through the data-type
//! converters ([`datatypes`], dates in [`dtm`]) into resources ([`assemble`]), gives them
//! deterministic ids ([`ids`]) and returns a transaction Bundle of `PUT`s plus the list of
//! values it did not carry ([`error::Unmapped`]; `vital_signs` completes OBX vital signs as
//! the R4 profile requires), or a [`Rejection`] that says whether the
//! ACK should be AR (unsupported) or AE (content error) and where the problem is.

pub mod adt;
mod assemble;
mod convert;
mod datatypes;
pub mod dtm;
pub mod error;
pub mod ids;
pub mod tables;
mod vital_signs;

pub use adt::{Translated, V2ToFhir};
pub use error::{MappingError, Rejection, Unmapped, UnmappedReason};

/// Converter names the tables may use (for the table tests).
pub fn is_converter(name: &str) -> bool {
    datatypes::is_converter(name)
}
