//! The vital signs an Observation's code implies (R4 observation-vitalsigns):
//! an Observation with one of these codes "SHALL conform" to the matching
//! vital signs profile, whether or not it claims it. The table is the one the
//! reference validator applies: the LOINC codes of the R4 table with their
//! current synonyms, and the SNOMED CT equivalents. Shared by validation
//! (which applies the profile) and translation (which must produce
//! Observations that conform, e.g. with the vital-signs category).
//!
//! The first row with a matching coding decides, LOINC rows before SNOMED CT
//! rows, as the reference validator orders them.

use serde_json::Value;

const LOINC: &str = "http://loinc.org";
const SNOMED_CT: &str = "http://snomed.info/sct";

/// (code system, vital signs profile, codes that imply it).
pub type Row = (&'static str, &'static str, &'static [&'static str]);

pub const BASE: &str = "http://hl7.org/fhir/StructureDefinition/";

pub const TABLE: &[Row] = &[
    (LOINC, "vitalspanel", &["85353-1"]),
    (
        LOINC,
        "resprate",
        &[
            "9279-1", "76170-0", "76172-6", "76171-8", "19840-8", "33438-3", "76270-8", "11291-2",
        ],
    ),
    (
        LOINC,
        "heartrate",
        &[
            "8867-4", "60978-4", "73795-7", "73799-9", "76476-1", "76477-9", "8889-8", "8890-6",
            "8891-4", "8892-2", "8893-0", "40443-4", "55425-3", "68999-2", "11328-2", "69000-8",
            "8886-4",
        ],
    ),
    (
        LOINC,
        "oxygensat",
        &[
            "2708-6", "19224-5", "20564-1", "2709-4", "2710-2", "2711-0", "2713-6", "51733-4",
            "59408-5", "59417-6", "89276-0", "97549-0",
        ],
    ),
    (
        LOINC,
        "bodytemp",
        &[
            "8310-5", "60834-9", "60835-6", "60836-4", "60838-0", "60955-2", "61009-7", "75539-7",
            "75987-8", "76010-8", "76011-6", "76278-1", "8309-7", "8328-7", "8329-5", "8330-3",
            "8331-1", "8332-9", "8333-7", "8334-5", "91371-5", "98657-0", "98663-8",
        ],
    ),
    (
        LOINC,
        "bodyheight",
        &["8302-2", "3137-7", "3138-5", "8306-3", "8308-9"],
    ),
    (LOINC, "headcircum", &["9843-4", "8287-5"]),
    (
        LOINC,
        "bodyweight",
        &[
            "29463-7", "3141-9", "3142-7", "75292-3", "79348-9", "8350-1", "8351-9",
        ],
    ),
    (LOINC, "bmi", &["39156-5", "59574-4", "89270-3"]),
    (
        LOINC,
        "bp",
        &[
            "85354-9", "35094-2", "8459-0", "76534-7", "55284-4", "8480-6",
        ],
    ),
    (SNOMED_CT, "vitalspanel", &["46680005"]),
    // Departure: the reference validator names no usable profile for the
    // SNOMED CT respiratory rate codes and so checks nothing for them; the
    // specification's intent is the respiratory rate profile.
    (
        SNOMED_CT,
        "resprate",
        &["86290005", "271625008", "271306003"],
    ),
    (
        SNOMED_CT,
        "heartrate",
        &[
            "249043002",
            "444981005",
            "399017001",
            "251670001",
            "429525003",
            "429614003",
        ],
    ),
    (
        SNOMED_CT,
        "oxygensat",
        &[
            "103228002",
            "442349007",
            "442476006",
            "442440005",
            "431314004",
            "442734002",
            "713194001",
        ],
    ),
    (
        SNOMED_CT,
        "bodytemp",
        &[
            "386725007",
            "276885007",
            "300076005",
            "1222808002",
            "364246006",
            "307047009",
            "708499008",
            "431598003",
            "698831002",
            "698832009",
            "415882003",
            "415974002",
            "415929009",
            "415945006",
        ],
    ),
    (
        SNOMED_CT,
        "bodyheight",
        &[
            "1153637007",
            "1162419008",
            "50373000",
            "1162418000",
            "1230278008",
            "1162392001",
            "1162417005",
        ],
    ),
    (
        SNOMED_CT,
        "headcircum",
        &["363812007", "169876006", "1269262007", "363811000"],
    ),
    (
        SNOMED_CT,
        "bodyweight",
        &[
            "60621009",
            "735395000",
            "425024002",
            "424927000",
            "784399000",
            "1162416001",
            "1162415002",
        ],
    ),
    (
        SNOMED_CT,
        "bp",
        &[
            "75367002",
            "251076008",
            "163033001",
            "163035008",
            "386534000",
            "386536003",
            "271649006",
            "271650006",
            "407556006",
            "407554009",
            "716579001",
            "399304008",
        ],
    ),
];

/// The vital signs profile (canonical URL) that these codings imply.
pub fn implied_profile(codings: &[Value]) -> Option<String> {
    TABLE
        .iter()
        .find(|(system, _, codes)| {
            codings.iter().any(|coding| {
                coding.get("system").and_then(Value::as_str) == Some(system)
                    && coding
                        .get("code")
                        .and_then(Value::as_str)
                        .is_some_and(|code| codes.contains(&code))
            })
        })
        .map(|(_, profile, _)| format!("{BASE}{profile}"))
}

#[cfg(test)]
mod tests {
    use super::implied_profile;
    use serde_json::json;

    #[test]
    fn loinc_rows_come_before_snomed_rows() {
        let codings = [
            json!({ "system": "http://snomed.info/sct", "code": "276885007" }),
            json!({ "system": "http://loinc.org", "code": "8867-4" }),
        ];
        assert_eq!(
            implied_profile(&codings).as_deref(),
            Some("http://hl7.org/fhir/StructureDefinition/heartrate")
        );
    }

    #[test]
    fn other_codes_imply_nothing() {
        let codings = [json!({ "system": "http://loinc.org", "code": "718-7" })];
        assert_eq!(implied_profile(&codings), None);
        let wrong_system = [json!({ "system": "http://example.org", "code": "8310-5" })];
        assert_eq!(implied_profile(&wrong_system), None);
    }
}
