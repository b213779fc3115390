//! The benchmark corpus: every message of ../shared/data/v2 that parses strictly, with its
//! segment terminators normalised to CR and any BOM dropped, so that every parser compared
//! (some accept only CR) gets the same input. Shared by the criterion bench and the example
//! that writes the corpus for the comparison scripts.

use std::path::{Path, PathBuf};

use hl7v2::{split_messages, Message, ParseOptions};

/// The data folder, found by walking up to the workspace root.
pub fn data_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let is_root = std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|text| text.contains("[workspace]"));
        if is_root {
            let data = dir.join("../shared/data/v2");
            return data.is_dir().then_some(data);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// The corpus messages (CR-terminated), or `None` when the data folder is absent.
pub fn load() -> Option<Vec<Vec<u8>>> {
    let dir = data_dir()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "hl7" || e == "txt"))
        .collect();
    files.sort();
    let mut messages = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let Ok(split) = split_messages(&bytes, &ParseOptions::default()) else {
            continue;
        };
        for chunk in split.messages {
            if let Ok(message) = chunk.parse(&ParseOptions::default()) {
                messages.push(normalise(&message));
            }
        }
    }
    Some(messages)
}

fn normalise(message: &Message<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.as_bytes().len());
    for segment in message.segments() {
        out.extend_from_slice(segment.raw());
        out.push(b'\r');
    }
    out
}
