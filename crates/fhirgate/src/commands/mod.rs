//! The CLI tools for integration engineers, one module each. Each reads files
//! or stdin, calls a library crate and prints JSON to stdout.

pub mod fhirpath_cmd;
pub mod translate_cmd;
pub mod v2;
pub mod validate;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Reads FILE, or stdin for `-` or no file.
pub fn read_input(file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match file {
        Some(path) if path != Path::new("-") => {
            bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
        }
    }
    Ok(bytes)
}

/// The inputs named on the command line (stdin when none), read one at a time, each with
/// the name to report it by.
pub fn inputs(files: &[PathBuf]) -> impl Iterator<Item = anyhow::Result<(String, Vec<u8>)>> + '_ {
    let stdin_only = files.is_empty().then_some(None);
    stdin_only
        .into_iter()
        .chain(files.iter().map(Some))
        .map(|file: Option<&PathBuf>| {
            let name = file.map_or_else(|| "stdin".to_owned(), |f| f.display().to_string());
            Ok((name, read_input(file.map(PathBuf::as_path))?))
        })
}
