//! Deterministic resource ids, so that a re-sent message or a later ADT^A08 updates the same
//! resources instead of creating new ones.
//!
//! An id is the first 32 hex digits (128 bits) of SHA-256 over a kind tag and the identifying
//! parts, separated by a unit separator (0x1F) that cannot occur in v2 text:
//! * Patient: `patient`, the first PID-3 identifier's system (as translated from CX-4, empty
//!   when none) and value;
//! * Encounter: `encounter`, PV1-19's system and value; without PV1-19, `encounter-message`,
//!   the sender (MSH-3^MSH-4 as sent) and MSH-10, so each such message makes its own Encounter;
//! * AllergyIntolerance: `allergy`, the Patient id, the allergen's first coding (system and
//!   code) or its text; Condition: `condition`, the Encounter (or Patient) id and the
//!   diagnosis code or text; so an allergy or diagnosis repeated in later messages is updated;
//! * everything else (Observation from OBX): `segment`, the sender, MSH-10 and the segment's
//!   index in the message.
//!
//! Hashing keeps identifiers such as medical record numbers out of URLs and logs.

use std::fmt::Write;

use sha2::{Digest, Sha256};

pub fn hashed_id(kind: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    for part in parts {
        hasher.update([0x1f]);
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for byte in digest.iter().take(16) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_valid_and_separate_their_parts() {
        let id = hashed_id("patient", &["urn:oid:1.2", "123"]);
        assert_eq!(id, hashed_id("patient", &["urn:oid:1.2", "123"]));
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, hashed_id("patient", &["urn:oid:1.21", "23"]));
        assert_ne!(id, hashed_id("encounter", &["urn:oid:1.2", "123"]));
    }
}
