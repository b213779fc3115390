//! Running the real `fhirgate` binary, shared by the CLI test files.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `fhirgate ARGS…` with `stdin` as its input and the workspace's profiles folder.
pub fn fhirgate(args: &[&str], stdin: &[u8]) -> Output {
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fhir-profiles");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fhirgate"))
        .args(args)
        .env("FHIRGATE_PROFILES", profiles)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fhirgate runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("output")
}
