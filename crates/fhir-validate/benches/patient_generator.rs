//! A deterministic generator of realistic, valid R4 resources: patients
//! with their encounters, vital-sign observations (declaring the core
//! vital-signs profiles) and conditions. Shared by the benchmark and the
//! `gen_patients` example that feeds the medplum comparison.

use serde_json::{json, Value};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

const FAMILY: &[&str] = &[
    "Smith", "Okafor", "Nguyen", "Garcia", "Al-Harbi", "Müller", "Kowalski", "Tanaka",
];
const GIVEN: &[&str] = &[
    "Amina", "John", "Mei", "Carlos", "Fatima", "Lukas", "Anna", "Kenji", "Sara",
];
const CITY: &[&str] = &["Riyadh", "Leeds", "Austin", "Lyon", "Osaka", "Kraków"];
const CONDITION: &[(&str, &str)] = &[
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("13645005", "Chronic obstructive lung disease"),
];

/// `patients` patients, each followed by their encounter, three
/// observations and a condition (6 resources per patient).
pub fn generate(patients: usize) -> Vec<Value> {
    let mut rng = Lcg(42);
    let mut out = Vec::with_capacity(patients * 6);
    for n in 0..patients {
        let pid = format!("pat-{n}");
        let gender = rng.pick(&["male", "female", "other", "unknown"]);
        let birth = format!(
            "{}-{:02}-{:02}",
            rng.range(1930, 2020),
            rng.range(1, 12),
            rng.range(1, 28)
        );
        out.push(json!({
            "resourceType": "Patient", "id": pid,
            "meta": { "versionId": "1", "lastUpdated": "2024-03-01T10:00:00Z" },
            "text": { "status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">Patient {n}</div>") },
            "identifier": [
                { "use": "usual", "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" }] },
                  "system": "urn:oid:1.2.36.146.595.217.0.1", "value": format!("{}", 100000 + n) },
            ],
            "active": true,
            "name": [{ "use": "official", "family": rng.pick(FAMILY), "given": [rng.pick(GIVEN), rng.pick(GIVEN)] }],
            "telecom": [
                { "system": "phone", "value": format!("+44 113 {:06}", rng.range(0, 999_999)), "use": "mobile", "rank": 1 },
                { "system": "email", "value": format!("p{n}@example.org"), "use": "home" }
            ],
            "gender": gender,
            "birthDate": birth,
            "_birthDate": { "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": format!("{birth}T08:{:02}:00Z", rng.range(0, 59)) }] },
            "address": [{ "use": "home", "type": "both", "line": [format!("{} High Street", rng.range(1, 300))],
                          "city": rng.pick(CITY), "postalCode": format!("{:05}", rng.range(10000, 99999)), "country": "GB" }],
            "maritalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": rng.pick(&["M", "S", "D", "W"]) }] },
            "communication": [{ "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": "en-GB" }] }, "preferred": true }],
            "managingOrganization": { "reference": "Organization/hospital-1", "display": "General Hospital" }
        }));
        let eid = format!("enc-{n}");
        let day = format!("2024-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28));
        out.push(json!({
            "resourceType": "Encounter", "id": eid, "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory" },
            "type": [{ "coding": [{ "system": "http://snomed.info/sct", "code": "185349003", "display": "Encounter for check up" }] }],
            "subject": { "reference": format!("Patient/{pid}") },
            "participant": [{ "individual": { "reference": "Practitioner/dr-1" } }],
            "period": { "start": format!("{day}T09:00:00Z"), "end": format!("{day}T09:30:00Z") },
            "serviceProvider": { "reference": "Organization/hospital-1" }
        }));
        let vitals = [
            (
                "http://hl7.org/fhir/StructureDefinition/heartrate",
                "8867-4",
                "Heart rate",
                rng.range(50, 110).to_string(),
                "/min",
                "/min",
            ),
            (
                "http://hl7.org/fhir/StructureDefinition/bodyweight",
                "29463-7",
                "Body weight",
                format!("{}.{}", rng.range(40, 120), rng.range(0, 9)),
                "kg",
                "kg",
            ),
            (
                "http://hl7.org/fhir/StructureDefinition/bodytemp",
                "8310-5",
                "Body temperature",
                format!("36.{}", rng.range(0, 9)),
                "Cel",
                "Cel",
            ),
        ];
        for (i, (profile, code, display, value, unit, ucum)) in vitals.into_iter().enumerate() {
            let value: Value = serde_json::from_str(&value).unwrap_or(json!(0));
            out.push(json!({
                "resourceType": "Observation", "id": format!("obs-{n}-{i}"),
                "meta": { "profile": [profile] },
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs" }] }],
                "code": { "coding": [{ "system": "http://loinc.org", "code": code, "display": display }], "text": display },
                "subject": { "reference": format!("Patient/{pid}") },
                "encounter": { "reference": format!("Encounter/{eid}") },
                "effectiveDateTime": format!("{day}T09:1{i}:00Z"),
                "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum }
            }));
        }
        let (code, display) = CONDITION[(rng.next() % CONDITION.len() as u64) as usize];
        out.push(json!({
            "resourceType": "Condition", "id": format!("cond-{n}"),
            "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
            "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item" }] }],
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": code, "display": display }] },
            "subject": { "reference": format!("Patient/{pid}") },
            "onsetDateTime": format!("20{:02}-{:02}-01", rng.range(0, 23), rng.range(1, 12)),
            "recordedDate": day
        }));
    }
    out
}
