//! Tiny HL7 v2 message builders for tests, the load generator and the echo server.
//! Not an HL7 library: just enough ER7 to exercise MSH-10/MSA-2 correlation.
//! Shared by several targets that each use only part of it, hence the allow.
#![allow(dead_code)]

/// An ADT^A08 (update patient information) with the given MSH-10, for a patient of its own.
pub fn adt_a08(control_id: &str) -> Vec<u8> {
    adt_a08_for(control_id, &format!("MRN{control_id}"))
}

/// An ADT^A08 with the given MSH-10 about the patient with medical record number `mrn`.
pub fn adt_a08_for(control_id: &str, mrn: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|LOADGEN|HOSP|FHIRGATE|HOSP|20240101120000||ADT^A08^ADT_A01|{control_id}|P|2.5.1\r\
         EVN|A08|20240101120000\r\
         PID|1||{mrn}^^^HOSP^MR||DOE^JANE^Q||19800101|F|||1 MAIN ST^^SPRINGFIELD^IL^62701^USA||(217)555-0100\r\
         PV1|1|I|WARD1^101^A^HOSP||||1234^SMITH^JOHN^^^DR|||MED||||1|||1234^SMITH^JOHN^^^DR|IN||||||||||||||||||||||||||20240101080000\r"
    )
    .into_bytes()
}

/// An original-mode ACK: MSA-1 `code`, MSA-2 `control_id`, MSA-3 `text`.
pub fn ack(code: &str, control_id: &str, text: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|FHIRGATE|HOSP|LOADGEN|HOSP|20240101120001||ACK^A08^ACK|ACK-{control_id}|P|2.5.1\r\
         MSA|{code}|{control_id}|{text}\r"
    )
    .into_bytes()
}
