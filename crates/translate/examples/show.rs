//! Prints the translation of every message in the files given (development aid):
//! `cargo run -p translate --example show -- FILE…`.

use hl7v2::ParseOptions;
use translate::V2ToFhir;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let translator = V2ToFhir::new()?;
    let options = ParseOptions::default();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        for chunk in hl7v2::split_messages(&bytes, &options)?.messages {
            let message = chunk.parse(&options)?;
            match translator.translate(&message) {
                Ok(translated) => {
                    println!("{}", serde_json::to_string_pretty(&translated.bundle)?);
                    for unmapped in &translated.unmapped {
                        eprintln!("{path}: unmapped {unmapped}");
                    }
                }
                Err(rejection) => eprintln!("{path}: rejected ({}): {rejection}", rejection.code()),
            }
        }
    }
    Ok(())
}
