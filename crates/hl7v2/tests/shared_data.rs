//! Every message file in ../shared/data/v2: parses (or fails with the expected error, listed
//! below with the reason), every value decodes, and the editable model serialises each message
//! back to the same bytes. Skipped with one line when the folder is absent.

use std::path::{Path, PathBuf};

use hl7v2::{split_messages, Message, MessageBuf, ParseErrorKind, ParseOptions, Split};

/// Files that are deliberately not plain HL7 v2 and the error a strict parse must give.
fn expected_failure(name: &str) -> Option<ParseErrorKind> {
    match name {
        // Literal "[SOM]" framing placeholder before MSH (SimpleSender sample).
        "ADT_A04__connect__hl7.txt" => Some(ParseErrorKind::TextOutsideMessage(
            "[SOM]MSH|^~\\&|AccMgr|1|||20060302121431|".into(),
        )),
        // MSH-2 written as `^~\\&`: the escape character is repeated as the subcomponent
        // separator, which makes the delimiters ambiguous.
        "ADT_A01__lfh__sample_unix.hl7" => Some(ParseErrorKind::BadDelimiter('\\')),
        // C-style comment lines between messages (parsed again below with skipping on).
        "MIXED_LEGACY__hapi__messages.txt" => Some(ParseErrorKind::TextOutsideMessage("/*".into())),
        _ => None,
    }
}

fn data_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let manifest = dir.join("Cargo.toml");
        let is_root = std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("[workspace]"));
        if is_root {
            let data = dir.join("../shared/data/v2");
            return data.is_dir().then_some(data);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// One data file's bytes, or `None` (after printing the skip line) without the folder.
fn read_data_file(name: &str) -> Option<Vec<u8>> {
    let Some(dir) = data_dir() else {
        println!("skipped: ../shared/data/v2 not found");
        return None;
    };
    Some(std::fs::read(dir.join(name)).expect("data file readable"))
}

fn message_files() -> Option<Vec<PathBuf>> {
    let Some(dir) = data_dir() else {
        println!("skipped: ../shared/data/v2 not found");
        return None;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".hl7") || name.ends_with(".txt")
        })
        .collect();
    files.sort();
    Some(files)
}

/// Decodes every component and subcomponent of every field; returns the count of values.
fn decode_everything(message: &Message<'_>) -> Result<usize, String> {
    let mut values = 0;
    for segment in message.segments() {
        for (number, field) in segment.fields() {
            for repetition in field.repetitions() {
                for component in repetition.components() {
                    for sub in component.subcomponents() {
                        sub.text()
                            .map_err(|e| format!("{}-{number}: {e}", segment.name()))?;
                        values += 1;
                    }
                }
            }
        }
    }
    Ok(values)
}

/// Parses, decodes and round-trips every message of a split; returns the message count.
fn check_messages(name: &str, split: &Split<'_>) -> Result<usize, String> {
    for chunk in &split.messages {
        let message = chunk
            .parse(&ParseOptions::default())
            .map_err(|e| format!("{name}: {e}"))?;
        decode_everything(&message).map_err(|e| format!("{name} @{}: {e}", chunk.offset))?;
        let again = MessageBuf::from_message(&message).to_bytes();
        if again != chunk.bytes {
            return Err(format!(
                "{name} @{}: round trip changed the bytes",
                chunk.offset
            ));
        }
    }
    Ok(split.messages.len())
}

#[test]
fn every_development_message_parses_decodes_and_round_trips() {
    let Some(files) = message_files() else { return };
    let mut failures = Vec::new();
    let mut messages = 0;
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let bytes = std::fs::read(file).unwrap();
        let outcome = split_messages(&bytes, &ParseOptions::default())
            .map_err(|e| e.kind)
            .and_then(|split| {
                split.messages.iter().try_for_each(|m| {
                    m.parse(&ParseOptions::default())
                        .map(|_| ())
                        .map_err(|e| e.kind)
                })?;
                Ok(split)
            });
        match (outcome, expected_failure(&name)) {
            (Ok(split), None) => match check_messages(&name, &split) {
                Ok(count) => messages += count,
                Err(error) => failures.push(error),
            },
            (Err(kind), Some(expected)) if kind == expected => {}
            (Err(kind), expected) => {
                failures.push(format!("{name}: got {kind}, expected {expected:?}"))
            }
            (Ok(_), Some(expected)) => {
                failures.push(format!("{name}: parsed, expected {expected}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(files.len() >= 50, "found only {} files", files.len());
    assert!(messages >= 181, "only {messages} messages");
}

#[test]
fn mixed_legacy_file_parses_with_comment_skipping() {
    let Some(bytes) = read_data_file("MIXED_LEGACY__hapi__messages.txt") else {
        return;
    };
    let lenient = ParseOptions {
        skip_non_segment_lines: true,
        ..ParseOptions::default()
    };
    let split = split_messages(&bytes, &lenient).unwrap();
    assert_eq!(split.messages.len(), 18);
    assert_eq!(split.skipped.len(), 16, "comment lines");
    let mut errors = Vec::new();
    for chunk in &split.messages {
        match chunk.parse(&ParseOptions::default()) {
            Ok(message) => {
                decode_everything(&message).unwrap();
                assert_eq!(MessageBuf::from_message(&message).to_bytes(), chunk.bytes);
            }
            Err(error) => errors.push(error.kind),
        }
    }
    // One legacy message declares only three encoding characters (`^~}`).
    assert_eq!(errors, vec![ParseErrorKind::EncodingCharacterCount(3)]);
}

#[test]
fn escapes_in_the_development_messages_decode() {
    let Some(bytes) = read_data_file("ORU_R01__hl7parser-rs__sample_oru_r01_lab.hl7") else {
        return;
    };
    let message = Message::parse(&bytes, &ParseOptions::default()).unwrap();
    let all: Vec<String> = message
        .segments()
        .flat_map(|s| {
            s.fields()
                .map(|(_, f)| f.as_value().text().unwrap_or_default().into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!all.iter().any(|t| t.contains("\\S\\")), "\\S\\ is decoded");
}
