//! FHIR R4 (4.0.1) vocabulary shared by every other crate, with no I/O:
//! the list of resource types, logical ids, references, the primitive types
//! whose text must survive a round trip (dates with their precision and
//! offset, decimals with their digits), and the OperationOutcome builder that
//! every error becomes at the edge; reading JSON as FHIR defines it (`json`:
//! no duplicate keys, numbers kept as sent) and the vital signs table
//! (`vital_signs`) that validation and translation share.

pub mod decimal;
pub mod id;
pub mod json;
pub mod operation_outcome;
pub mod resource_types;
pub mod subsetting;
pub mod temporal;
pub mod vital_signs;
