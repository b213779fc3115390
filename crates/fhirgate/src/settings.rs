//! Configuration: built-in defaults, then an optional TOML file (`--config`),
//! then flags and `FHIRGATE_*` environment variables (DESIGN: interface contract).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use gateway::v2_intake::DEFAULT_RETRANSMISSION_WINDOW;
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./fhirgate-data/fhirgate.db";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_MLLP_ADDR: &str = "127.0.0.1:2575";
pub const DEFAULT_PROFILES: &str = "./fhir-profiles";

/// Flags shared by every subcommand; each also reads its environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// TOML configuration file (routes, enforced profiles, clients, limits).
    #[arg(long, global = true, env = "FHIRGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB
    #[arg(long, global = true, env = "FHIRGATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// HTTP listen address; port 0 picks a free port.
    #[arg(long, global = true, env = "FHIRGATE_HTTP_ADDR")]
    pub http_addr: Option<String>,
    /// MLLP listen address; port 0 picks a free port.
    #[arg(long, global = true, env = "FHIRGATE_MLLP_ADDR")]
    pub mllp_addr: Option<String>,
    /// Folder of FHIR packages (core definitions and implementation guides).
    #[arg(long, global = true, env = "FHIRGATE_PROFILES")]
    pub profiles: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "FHIRGATE_LOG_FORMAT")]
    pub log_format: Option<String>,
}

/// The TOML file's shape. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    #[serde(default)]
    pub database: DatabaseFile,
    #[serde(default)]
    pub http: HttpFile,
    #[serde(default)]
    pub mllp: MllpFile,
    #[serde(default)]
    pub fhir: FhirFile,
    #[serde(default)]
    pub validation: ValidationFile,
    pub profiles: Option<PathBuf>,
    pub log_format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseFile {
    pub url: Option<String>,
    pub max_connections: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    pub addr: Option<String>,
    pub body_limit: Option<usize>,
    pub workers: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MllpFile {
    pub addr: Option<String>,
    /// How long a resent message (same sender, control id and bytes) gets the first ACK back.
    pub retransmission_window_seconds: Option<u64>,
    /// Largest MLLP payload in bytes; larger ones get an AR naming the limit.
    pub max_frame_size: Option<usize>,
    /// How long a started frame may stall before its connection is closed.
    pub read_timeout_seconds: Option<u64>,
    /// How long a connection may sit between messages before it is closed.
    pub idle_timeout_seconds: Option<u64>,
    /// Connections served at once; more are accepted and closed at once.
    pub max_connections: Option<usize>,
    /// TLS on the MLLP listener (mutual TLS when `client_ca` is set).
    pub tls: Option<MllpTlsFile>,
    /// Sender (`MSH-3^MSH-4` as the message log shows it, or MSH-3 alone) -> HL7 table
    /// 0211 character set used instead of its MSH-18. Also applies to `POST /hl7v2`.
    #[serde(default)]
    pub sender_charsets: std::collections::HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MllpTlsFile {
    /// PEM: the server certificate, then its intermediates.
    pub certificate_chain: PathBuf,
    /// PEM private key of that certificate.
    pub private_key: PathBuf,
    /// PEM CA certificates a client's certificate must chain to; without it, clients
    /// are not asked for one.
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirFile {
    pub allow_update_create: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationFile {
    /// Validate every create and update (default true).
    pub on_write: Option<bool>,
    /// Resource type -> profile canonical URLs every resource of that type must meet.
    #[serde(default)]
    pub enforce: std::collections::HashMap<String, Vec<String>>,
}

/// The resolved settings the application runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub max_connections: u32,
    pub http_addr: String,
    pub http_workers: Option<usize>,
    pub body_limit: usize,
    pub mllp_addr: String,
    pub retransmission_window: std::time::Duration,
    /// Frame limit, timeouts, connection cap and TLS of the MLLP listener.
    pub mllp_server: mllp::ServerConfig,
    /// Per-sender overrides of MSH-18 (see [`MllpFile::sender_charsets`]).
    pub sender_charsets: std::collections::HashMap<String, hl7v2::Charset>,
    pub profiles: PathBuf,
    pub allow_update_create: bool,
    pub validate_on_write: bool,
    pub enforced_profiles: std::collections::HashMap<String, Vec<String>>,
    pub log_json: bool,
}

impl Settings {
    pub fn resolve(args: &CommonArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let mllp_server = mllp_server_config(&file.mllp);
        let sender_charsets = sender_charsets(&file.mllp.sender_charsets)?;
        let log_format = args
            .log_format
            .clone()
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        anyhow::ensure!(
            log_format == "text" || log_format == "json",
            "log format '{log_format}' is not text or json"
        );
        Ok(Self {
            database_url: args
                .database_url
                .clone()
                .or(file.database.url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            max_connections: file
                .database
                .max_connections
                .unwrap_or_else(default_pool_size),
            http_addr: args
                .http_addr
                .clone()
                .or(file.http.addr)
                .unwrap_or_else(|| DEFAULT_HTTP_ADDR.into()),
            http_workers: file.http.workers,
            body_limit: file.http.body_limit.unwrap_or(16 * 1024 * 1024),
            mllp_addr: args
                .mllp_addr
                .clone()
                .or(file.mllp.addr)
                .unwrap_or_else(|| DEFAULT_MLLP_ADDR.into()),
            retransmission_window: file.mllp.retransmission_window_seconds.map_or(
                DEFAULT_RETRANSMISSION_WINDOW,
                std::time::Duration::from_secs,
            ),
            mllp_server,
            sender_charsets,
            profiles: args
                .profiles
                .clone()
                .or(file.profiles)
                .unwrap_or_else(|| DEFAULT_PROFILES.into()),
            allow_update_create: file.fhir.allow_update_create.unwrap_or(true),
            validate_on_write: file.validation.on_write.unwrap_or(true),
            enforced_profiles: file.validation.enforce,
            log_json: log_format == "json",
        })
    }

    /// Settings for tests and embedding: defaults with this database and port 0.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            max_connections: 16,
            http_addr: "127.0.0.1:0".into(),
            http_workers: Some(2),
            body_limit: 16 * 1024 * 1024,
            mllp_addr: "127.0.0.1:0".into(),
            retransmission_window: DEFAULT_RETRANSMISSION_WINDOW,
            mllp_server: mllp::ServerConfig::default(),
            sender_charsets: std::collections::HashMap::new(),
            profiles: DEFAULT_PROFILES.into(),
            allow_update_create: true,
            validate_on_write: true,
            enforced_profiles: std::collections::HashMap::new(),
            log_json: false,
        }
    }
}

fn mllp_server_config(file: &MllpFile) -> mllp::ServerConfig {
    let defaults = mllp::ServerConfig::default();
    let seconds = std::time::Duration::from_secs;
    mllp::ServerConfig {
        max_frame_size: file.max_frame_size.unwrap_or(defaults.max_frame_size),
        read_timeout: file
            .read_timeout_seconds
            .map_or(defaults.read_timeout, seconds),
        idle_timeout: file
            .idle_timeout_seconds
            .map_or(defaults.idle_timeout, seconds),
        max_connections: file.max_connections.unwrap_or(defaults.max_connections),
        tls: file.tls.as_ref().map(|tls| mllp::ServerTlsConfig {
            cert_chain_pem: tls.certificate_chain.clone(),
            private_key_pem: tls.private_key.clone(),
            client_ca_pem: tls.client_ca.clone(),
        }),
        ..defaults
    }
}

/// A charset name that HL7 table 0211 does not know (or that fhirgate cannot decode) stops
/// the start: a typo here would otherwise garble that sender's text without a word.
fn sender_charsets(
    names: &std::collections::HashMap<String, String>,
) -> anyhow::Result<std::collections::HashMap<String, hl7v2::Charset>> {
    names
        .iter()
        .map(|(sender, name)| {
            let charset = hl7v2::Charset::from_hl7_name(name).map_err(|error| {
                anyhow::anyhow!("[mllp.sender_charsets] \"{sender}\" = \"{name}\": {error}")
            })?;
            Ok((sender.clone(), charset))
        })
        .collect()
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("configuration file {} is not valid", path.display()))
}

/// Database connections when the configuration does not say: four per core, between 4
/// and 32. More PostgreSQL backends than that compete for the cores and for PostgreSQL's
/// internal locks: on 2 cores with 32 clients, a pool of 32 gave reads a p99 of 200–700 ms,
/// a pool of 8 gave 18 ms at a higher rate (docs/benchmarks.md).
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores.saturating_mul(4)).map_or(32, |size| size.clamp(4, 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { return };
        let path = dir.path().join("fhirgate.toml");
        let written = std::fs::write(
            &path,
            "[database]\nurl = \"sqlite://x.db\"\n[http]\naddr = \"127.0.0.1:9\"\nbody_limit = 10\n[fhir]\nallow_update_create = false\n",
        );
        assert!(written.is_ok());
        let args = CommonArgs {
            config: Some(path.clone()),
            http_addr: Some("127.0.0.1:0".into()),
            ..CommonArgs::default()
        };
        let settings = Settings::resolve(&args).map_err(|e| e.to_string());
        let settings = settings.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.database_url, "sqlite://x.db");
        assert_eq!(settings.http_addr, "127.0.0.1:0");
        assert_eq!(settings.body_limit, 10);
        assert!(!settings.allow_update_create);
        assert_eq!(settings.mllp_addr, DEFAULT_MLLP_ADDR);
    }

    #[test]
    fn the_deploy_example_configuration_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/fhirgate.toml");
        let args = CommonArgs {
            config: Some(path),
            ..CommonArgs::default()
        };
        let settings = Settings::resolve(&args).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(settings.mllp_addr, "0.0.0.0:2575");
        assert!(settings.database_url.starts_with("postgres://"));
        assert!(settings.log_json);
    }

    #[test]
    fn mllp_tls_limits_and_sender_charsets_are_read() {
        let file: FileSettings = toml::from_str(
            "[mllp]\nmax_connections = 12\nidle_timeout_seconds = 5\n\
             [mllp.tls]\ncertificate_chain = \"s.crt\"\nprivate_key = \"s.key\"\nclient_ca = \"ca.crt\"\n\
             [mllp.sender_charsets]\n\"LAB^HOSP\" = \"8859/1\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let server = mllp_server_config(&file.mllp);
        assert_eq!(server.max_connections, 12);
        assert_eq!(server.idle_timeout, std::time::Duration::from_secs(5));
        let tls = server.tls.unwrap_or_else(|| panic!("TLS configured"));
        assert_eq!(tls.client_ca_pem, Some(PathBuf::from("ca.crt")));
        let charsets =
            sender_charsets(&file.mllp.sender_charsets).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(charsets.get("LAB^HOSP"), Some(&hl7v2::Charset::LATIN1));
    }

    #[test]
    fn an_unknown_sender_charset_stops_the_start() {
        let names =
            std::collections::HashMap::from([("LAB^HOSP".to_owned(), "LATIN-1".to_owned())]);
        let error = sender_charsets(&names).err().map(|e| e.to_string());
        let error = error.unwrap_or_else(|| panic!("LATIN-1 is not a table 0211 name"));
        assert!(
            error.contains("LAB^HOSP") && error.contains("LATIN-1"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<FileSettings, _> = toml::from_str("[http]\nadress = \"x\"\n");
        assert!(parsed.is_err());
    }
}
