//! The real binary: data survives a graceful restart and a kill -9.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::on_both_backends;
use crate::support::{get, put, Backend, TestDatabase};

struct Process {
    child: Child,
    base: String,
}

fn start(database_url: &str) -> Process {
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
    let base = loop {
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
        if let Some(at) = line.find("http=http://") {
            let rest = &line[at + "http=".len()..];
            break rest.split_whitespace().next().unwrap_or("").to_owned();
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Process { child, base }
}

fn signal(process: &mut Process, signal: i32) {
    let pid = i32::try_from(process.child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

fn data_survives_restart_and_kill(backend: Backend) {
    let (_database, url) = TestDatabase::new(backend);
    let mut first = start(&url);
    let body = json!({"resourceType": "Patient", "id": "durable", "birthDate": "1974-12-25"});
    assert_eq!(
        put(&format!("{}/Patient/durable", first.base), &body).status,
        201
    );
    signal(&mut first, libc::SIGTERM);
    let status = first.child.wait().expect("exit");
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    let mut second = start(&url);
    let read = get(&format!("{}/Patient/durable", second.base));
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["birthDate"], "1974-12-25");
    // Acknowledged means committed: a kill -9 right after the 2xx loses nothing.
    let mut acknowledged = Vec::new();
    for n in 0..20 {
        let id = format!("k{n}");
        let reply = put(
            &format!("{}/Patient/{id}", second.base),
            &json!({"resourceType": "Patient", "id": id}),
        );
        assert_eq!(reply.status, 201);
        acknowledged.push(id);
    }
    signal(&mut second, libc::SIGKILL);
    let _ = second.child.wait();

    let mut third = start(&url);
    for id in &acknowledged {
        assert_eq!(
            get(&format!("{}/Patient/{id}", third.base)).status,
            200,
            "{id} was acknowledged"
        );
    }
    signal(&mut third, libc::SIGTERM);
    let _ = third.child.wait();
}

on_both_backends!(data_survives_restart_and_kill);
