//! The mapping tables in `mappings/*.csv`, embedded at build time and parsed once by
//! [`Tables::load`]. The files are a constrained CSV: one row a line, cells separated by
//! commas, no quoting (no cell needs a comma), `#` comment lines, a header row first.

use std::collections::HashMap;

use crate::error::MappingError;

const EVENTS: &str = include_str!("../mappings/events.csv");
const SEGMENTS: &str = include_str!("../mappings/segments.csv");
const FIELDS: &str = include_str!("../mappings/fields.csv");
const VOCABULARY: &str = include_str!("../mappings/vocabulary.csv");
const CODE_SYSTEMS: &str = include_str!("../mappings/codesystems.csv");

/// How a trigger event uses the PV1 segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncounterUse {
    Visit,
    None,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub structure: String,
    pub encounter: EncounterUse,
    /// `None` = from PV1-2 (and PV1-45).
    pub status: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Message,
    Segment,
}

#[derive(Debug, Clone)]
pub struct SegmentRow {
    /// Empty for segments that build nothing themselves (MSH, EVN).
    pub anchor: String,
    pub scope: Scope,
    pub header_fields: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct FieldRow {
    pub line: usize,
    pub segment: String,
    pub field: usize,
    pub converter: String,
    pub argument: Option<String>,
    /// Element names after the anchor (`["hospitalization", "admitSource"]`).
    pub path: Vec<String>,
    /// The full target as written (`Encounter.hospitalization.admitSource`).
    pub target: String,
    pub repeating: bool,
    pub vocabulary: Option<String>,
    pub extension: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VocabularyEntry {
    pub code: String,
    pub system: Option<String>,
    pub display: Option<String>,
}

/// All tables, indexed for translation.
#[derive(Debug, Clone)]
pub struct Tables {
    pub events: HashMap<String, EventRow>,
    pub segments: HashMap<String, SegmentRow>,
    /// Rows per segment, in file order.
    pub fields: HashMap<String, Vec<FieldRow>>,
    /// map name -> v2 code -> entry (nested so a lookup borrows instead of allocating).
    vocabulary: HashMap<String, HashMap<String, VocabularyEntry>>,
    code_systems: HashMap<String, String>,
}

impl Tables {
    pub fn load() -> Result<Self, MappingError> {
        let mut events = HashMap::new();
        for (line, cells) in rows("events.csv", EVENTS, 4)? {
            let encounter = match cells[2] {
                "visit" => EncounterUse::Visit,
                "none" => EncounterUse::None,
                other => return Err(bad("events.csv", line, format!("encounter `{other}`"))),
            };
            let status = (cells[3] != "class").then(|| cells[3].to_owned());
            let row = EventRow {
                structure: cells[1].to_owned(),
                encounter,
                status,
            };
            events.insert(cells[0].to_owned(), row);
        }
        let mut segments = HashMap::new();
        for (line, cells) in rows("segments.csv", SEGMENTS, 4)? {
            let scope = match cells[2] {
                "message" => Scope::Message,
                "segment" => Scope::Segment,
                other => return Err(bad("segments.csv", line, format!("scope `{other}`"))),
            };
            let header_fields = cells[3]
                .split(';')
                .filter(|cell| !cell.is_empty())
                .map(|cell| number("segments.csv", line, cell))
                .collect::<Result<_, _>>()?;
            let row = SegmentRow {
                anchor: cells[1].to_owned(),
                scope,
                header_fields,
            };
            segments.insert(cells[0].to_owned(), row);
        }
        let mut fields: HashMap<String, Vec<FieldRow>> = HashMap::new();
        for (line, cells) in rows("fields.csv", FIELDS, 7)? {
            let row = field_row(line, &cells, &segments)?;
            fields.entry(row.segment.clone()).or_default().push(row);
        }
        let mut vocabulary: HashMap<String, HashMap<String, VocabularyEntry>> = HashMap::new();
        for (line, cells) in rows("vocabulary.csv", VOCABULARY, 5)? {
            let entry = VocabularyEntry {
                code: cells[2].to_owned(),
                system: non_empty(cells[3]),
                display: non_empty(cells[4]),
            };
            let map = vocabulary.entry(cells[0].to_owned()).or_default();
            if map.insert(cells[1].to_owned(), entry).is_some() {
                let message = "duplicate code in its map".to_owned();
                return Err(bad("vocabulary.csv", line, message));
            }
        }
        let code_systems = rows("codesystems.csv", CODE_SYSTEMS, 2)?
            .into_iter()
            .map(|(_, cells)| (cells[0].to_owned(), cells[1].to_owned()))
            .collect();
        let tables = Tables {
            events,
            segments,
            fields,
            vocabulary,
            code_systems,
        };
        tables.check_vocabulary_references()?;
        Ok(tables)
    }

    /// The FHIR code for a v2 code in a vocabulary map.
    pub fn lookup(&self, map: &str, code: &str) -> Option<&VocabularyEntry> {
        self.vocabulary.get(map)?.get(code)
    }

    pub fn is_vocabulary(&self, name: &str) -> bool {
        self.vocabulary.contains_key(name)
    }

    /// A named v2 coding system's URI, if the table lists it.
    pub fn code_system(&self, name: &str) -> Option<&str> {
        self.code_systems.get(name).map(String::as_str)
    }

    /// Every field row, for the tests that check targets against the FHIR definitions.
    pub fn field_rows(&self) -> impl Iterator<Item = &FieldRow> {
        self.fields.values().flatten()
    }

    fn check_vocabulary_references(&self) -> Result<(), MappingError> {
        for row in self.field_rows() {
            let Some(name) = &row.vocabulary else {
                continue;
            };
            let table_number = name.strip_prefix("HL7").is_some_and(is_table_number);
            let constant = row.converter == "CONST" && name.contains('|');
            if !(table_number || constant || self.is_vocabulary(name)) {
                let message = format!("vocabulary `{name}` is not in vocabulary.csv");
                return Err(bad("fields.csv", row.line, message));
            }
        }
        Ok(())
    }
}

/// `nnnn`: four digits, as HL7 table numbers are written.
pub fn is_table_number(text: &str) -> bool {
    text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())
}

fn field_row(
    line: usize,
    cells: &[&str],
    segments: &HashMap<String, SegmentRow>,
) -> Result<FieldRow, MappingError> {
    let segment = cells[0];
    let anchor = match segments.get(segment) {
        Some(row) if !row.anchor.is_empty() => &row.anchor,
        _ => {
            return Err(bad(
                "fields.csv",
                line,
                format!("segment {segment} has no anchor"),
            ))
        }
    };
    let target = cells[3];
    let rest = target
        .strip_prefix(anchor.as_str())
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(|| {
            bad(
                "fields.csv",
                line,
                format!("{target} is not under {anchor}"),
            )
        })?;
    let (converter, argument) = match cells[2].split_once(':') {
        Some((name, argument)) => (name.to_owned(), Some(argument.to_owned())),
        None => (cells[2].to_owned(), None),
    };
    let repeating = match cells[4] {
        "1" => false,
        "*" => true,
        other => return Err(bad("fields.csv", line, format!("max `{other}`"))),
    };
    Ok(FieldRow {
        line,
        segment: segment.to_owned(),
        field: number("fields.csv", line, cells[1])?,
        converter,
        argument,
        path: rest.split('.').map(str::to_owned).collect(),
        target: target.to_owned(),
        repeating,
        vocabulary: non_empty(cells[5]),
        extension: non_empty(cells[6]),
    })
}

type Row<'a> = (usize, Vec<&'a str>);

/// Data rows (after the header) with exactly `width` cells, with their 1-based line numbers.
fn rows<'a>(file: &'static str, text: &'a str, width: usize) -> Result<Vec<Row<'a>>, MappingError> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != width {
            let message = format!("{} cells, expected {width}", cells.len());
            return Err(bad(file, line_number, message));
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        out.push((line_number, cells));
    }
    Ok(out)
}

fn number(file: &'static str, line: usize, cell: &str) -> Result<usize, MappingError> {
    cell.parse()
        .map_err(|_| bad(file, line, format!("`{cell}` is not a field number")))
}

fn non_empty(cell: &str) -> Option<String> {
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn bad(file: &'static str, line: usize, message: String) -> MappingError {
    MappingError::Row {
        file,
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_tables_load() {
        let tables = Tables::load().expect("tables load");
        assert_eq!(
            tables
                .lookup("AdministrativeSex", "F")
                .map(|e| e.code.as_str()),
            Some("female")
        );
        assert!(tables.lookup("AdministrativeSex", "Z").is_none());
        assert!(tables.events.contains_key("A08"));
    }

    #[test]
    fn malformed_rows_are_errors_with_their_line() {
        let error = rows("test.csv", "# comment\na,b\n1,2\n3\n", 2).expect_err("short row");
        assert_eq!(error.to_string(), "test.csv line 4: 1 cells, expected 2");
        let segments = HashMap::new();
        let error = field_row(7, &["ZZZ", "1", "ST", "Patient.x", "1", "", ""], &segments)
            .expect_err("no anchor");
        assert!(
            error.to_string().starts_with("fields.csv line 7"),
            "{error}"
        );
    }
}
