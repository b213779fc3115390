//! The CLI tools for integration engineers, one module each. Each reads files
//! or stdin, calls a library crate and prints JSON to stdout.

pub mod fhirpath_cmd;
pub mod translate_cmd;
pub mod v2;
pub mod validate;

use std::io::Read;
use std::path::Path;

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
