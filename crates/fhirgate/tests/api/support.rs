//! Test support: a real fhirgate on port 0 against a fresh SQLite file or a
//! fresh PostgreSQL schema, and a small blocking HTTP client.

use std::sync::mpsc;
use std::thread::JoinHandle;

use fhirgate::settings::Settings;
use fhirgate::Application;
use serde_json::Value;

pub const POSTGRES_URL_ENV: &str = "FHIRGATE_TEST_POSTGRES_URL";
/// Loopback without TLS: a test process exits while r2d2 may still be opening
/// connections in the background, and OpenSSL's exit handlers then crash that thread.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database that is removed when dropped.
pub enum TestDatabase {
    /// Kept for its Drop, which removes the folder.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        schema: String,
    },
}

impl TestDatabase {
    pub fn new(backend: Backend) -> (Self, String) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("fhirgate.db").display());
                (TestDatabase::Sqlite(dir), url)
            }
            Backend::Postgres => {
                let admin_url =
                    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let url = store::admin::create_postgres_schema(&admin_url, &schema).unwrap_or_else(
                    |error| panic!("PostgreSQL at {admin_url} is needed for this test: {error}"),
                );
                (TestDatabase::Postgres { admin_url, schema }, url)
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, schema } = self {
            let _ = store::admin::drop_postgres_schema(admin_url, schema);
        }
    }
}

/// The repository's `fhir-profiles/` (tests run in the crate's folder).
pub fn profiles_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fhir-profiles")
}

pub struct TestServer {
    pub base: String,
    pub root: String,
    /// MLLP `host:port`, bound on port 0 by the server itself (no free-port race).
    pub mllp: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    _database: Option<TestDatabase>,
}

impl TestServer {
    pub fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {})
    }

    pub fn start_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        let (database, url) = TestDatabase::new(backend);
        let mut settings = Settings::for_database(&url);
        settings.profiles = profiles_dir();
        adjust(&mut settings);
        let mut server = Self::start_on(settings);
        server._database = Some(database);
        server
    }

    pub fn start_on(settings: Settings) -> Self {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let application = match Application::build(settings) {
                    Ok(application) => application,
                    Err(error) => {
                        let _ = sender.send(Err(format!("{error:#}")));
                        return;
                    }
                };
                let _ = sender.send(Ok((
                    application.http_addr(),
                    application.mllp_addr(),
                    application.handle(),
                )));
                let _ = application.run_until_stopped().await;
            });
        });
        let (addr, mllp_addr, handle) = receiver
            .recv()
            .expect("server thread")
            .expect("server starts");
        Self {
            base: format!("http://{addr}/fhir"),
            root: format!("http://{addr}"),
            mllp: mllp_addr.to_string(),
            handle,
            thread: Some(thread),
            _database: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let stopper = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(true));
        });
        let _ = stopper.join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    /// Asserts this is an OperationOutcome with an error issue of `code`.
    pub fn assert_outcome(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        let outcome = self.json();
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{}", self.text);
        assert_eq!(outcome["issue"][0]["code"], code, "{}", self.text);
        let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap_or("");
        assert!(
            diagnostics.len() > 10,
            "diagnostics should explain: {}",
            self.text
        );
        outcome
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    let has_content_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if body.is_some() && !has_content_type {
        builder = builder.header("content-type", "application/fhir+json");
    }
    let request = builder
        .body(body.unwrap_or("").to_owned())
        .expect("request");
    let mut response = agent()
        .run(request)
        .unwrap_or_else(|error| panic!("{method} {url}: {error}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

pub fn get(url: &str) -> Reply {
    send("GET", url, &[], None)
}

pub fn post(url: &str, body: &Value) -> Reply {
    send("POST", url, &[], Some(&body.to_string()))
}

pub fn put(url: &str, body: &Value) -> Reply {
    send("PUT", url, &[], Some(&body.to_string()))
}

/// Generates one test per backend for each scenario function.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $scenario() { super::$scenario($crate::support::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $scenario() { super::$scenario($crate::support::Backend::Postgres) })*
        }
    };
}

/// Runs `job(n)` for n in 0..threads, each on its own thread, all released at the same
/// instant (a barrier), and returns the results in n order.
pub fn all_at_once<T: Send + 'static>(
    threads: usize,
    job: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let job = std::sync::Arc::new(job);
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let (barrier, job) = (barrier.clone(), job.clone());
            std::thread::spawn(move || {
                barrier.wait();
                job(n)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("racing thread"))
        .collect()
}
