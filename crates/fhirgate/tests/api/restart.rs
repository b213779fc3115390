//! The real binary: data survives a graceful restart and a kill -9.

use serde_json::json;

use crate::on_both_backends;
use crate::process::{signal, start};
use crate::support::{get, put, Backend, TestDatabase};

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
