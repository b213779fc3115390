//! The real `fhirgate` binary as a child process, for restart and kill -9 tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `fhirgate serve` and the addresses it logged.
pub struct Process {
    pub child: Child,
    /// FHIR base URL.
    pub base: String,
    /// MLLP `host:port`.
    pub mllp: String,
}

pub fn start(database_url: &str) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fhirgate"))
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--mllp-addr",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .arg("--profiles")
        .arg(crate::support::profiles_dir())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fhirgate starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let (base, mllp) = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "fhirgate exited before printing its address:\n{}",
                    seen.join("\n")
                )
            })
            .expect("log line");
        seen.push(line.clone());
        if let (Some(base), Some(mllp)) = (logged(&line, "http="), logged(&line, "mllp=")) {
            break (base, mllp);
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Process { child, base, mllp }
}

/// The value after `key` in a log line (`http=http://127.0.0.1:1234/fhir mllp=…`).
fn logged(line: &str, key: &str) -> Option<String> {
    let at = line.find(key)?;
    let value = line[at + key.len()..].split_whitespace().next()?;
    Some(value.trim_matches('"').to_owned())
}

pub fn signal(process: &mut Process, signal: i32) {
    let pid = i32::try_from(process.child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}
