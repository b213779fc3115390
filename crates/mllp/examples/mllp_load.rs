//! MLLP load generator: N connections each send M messages one after the other
//! (original mode: wait for each ACK) and report messages per second and ACK latency
//! percentiles.
//!
//! ```text
//! cargo run --release -p mllp --example mllp_load -- --addr 127.0.0.1:2575 \
//!     [--connections 8] [--messages 1000] [--patients N] [--file message.hl7] [--tls-ca ca.pem]
//! ```
//! Every run tags its control ids with its start time, so a run never resends (as a
//! retransmission, answered from the log) a message of an earlier run against the same
//! server, such as a warm-up's.
//! Without `--file` it sends a generated ADT^A08: about a new patient each, or with
//! `--patients N` about one of N patients in turn (after the first N messages every one
//! updates a patient the gateway already holds, as a real A08 stream does). Each message gets a unique MSH-10
//! (`L<run>-<connection>-<n>`), so ACK correlation is exercised too. The summary counts the
//! ACK codes (MSA-1): a fast stream of AR is not a throughput figure.

#[path = "../tests/common/hl7.rs"]
mod hl7;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mllp::{ClientOptions, ClientTlsConfig, MllpClient};

struct Args {
    addr: String,
    connections: usize,
    messages: usize,
    file: Option<PathBuf>,
    tls_ca: Option<PathBuf>,
    patients: Option<usize>,
    /// Six hex digits of the start time in milliseconds: unique to this run.
    run_tag: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:2575".to_string(),
        connections: 8,
        messages: 1000,
        file: None,
        tls_ca: None,
        patients: None,
        run_tag: run_tag(),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let value = raw.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--addr" => args.addr = value.clone(),
            "--connections" => args.connections = number()?.max(1),
            "--messages" => args.messages = number()?.max(1),
            "--file" => args.file = Some(PathBuf::from(&value)),
            "--tls-ca" => args.tls_ca = Some(PathBuf::from(&value)),
            "--patients" => args.patients = Some(number()?.max(1)),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

fn run_tag() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("{:06x}", millis & 0xFF_FFFF)
}

/// The file's message with its MSH-10 replaced, segments ending in CR.
fn with_control_id(template: &str, control_id: &str) -> Vec<u8> {
    let normalised = template.replace("\r\n", "\r").replace('\n', "\r");
    let mut segments: Vec<String> = normalised.split('\r').map(str::to_string).collect();
    if let Some(msh) = segments.iter_mut().find(|s| s.starts_with("MSH")) {
        let separator = msh.chars().nth(3).unwrap_or('|');
        let mut fields: Vec<&str> = msh.split(separator).collect();
        while fields.len() < 10 {
            fields.push("");
        }
        fields[9] = control_id;
        *msh = fields.join(&separator.to_string());
    }
    segments.join("\r").into_bytes()
}

async fn run_connection(
    index: usize,
    args: Arc<Args>,
    options: ClientOptions,
    template: Arc<Option<String>>,
) -> Result<Vec<(Duration, String)>, mllp::ClientError> {
    let mut client = MllpClient::connect(args.addr.as_str(), options).await?;
    let mut latencies = Vec::with_capacity(args.messages);
    for n in 0..args.messages {
        let control_id = format!("L{}-{index}-{n}", args.run_tag);
        let message = match (template.as_deref(), args.patients) {
            (Some(template), _) => with_control_id(template, &control_id),
            (None, Some(patients)) => {
                // Connections interleave over the same patients, so some messages
                // of one batch update the same Patient.
                let patient = (n * args.connections + index) % patients;
                hl7::adt_a08_for(&control_id, &format!("MRN{patient}"))
            }
            (None, None) => hl7::adt_a08(&control_id),
        };
        let sent = Instant::now();
        let ack = client.send(&message).await?;
        latencies.push((sent.elapsed(), ack_code(&ack)));
    }
    client.close().await;
    Ok(latencies)
}

/// MSA-1 of an ACK (`AA`, `AE`, `AR`, `CA`…), or `?` when there is no MSA segment.
fn ack_code(ack: &[u8]) -> String {
    let text = String::from_utf8_lossy(ack);
    text.split(['\r', '\n'])
        .find(|segment| segment.starts_with("MSA"))
        .and_then(|msa| msa.get(4..))
        .and_then(|fields| fields.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .unwrap_or("?")
        .to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Arc::new(parse_args()?);
    let template = Arc::new(match &args.file {
        Some(path) => Some(std::fs::read_to_string(path)?),
        None => None,
    });
    let options = ClientOptions {
        tls: args.tls_ca.clone().map(|ca_pem| ClientTlsConfig {
            ca_pem,
            client_cert: None,
            server_name: None,
        }),
        ..ClientOptions::default()
    };
    let started = Instant::now();
    // One task per connection, so connections spread over the runtime's threads.
    let runs: Vec<_> = (0..args.connections)
        .map(|index| {
            let run = run_connection(
                index,
                Arc::clone(&args),
                options.clone(),
                Arc::clone(&template),
            );
            tokio::spawn(run)
        })
        .collect();
    let mut latencies = Vec::new();
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for run in runs {
        match run.await? {
            Ok(connection_results) => {
                for (latency, code) in connection_results {
                    latencies.push(latency);
                    *codes.entry(code).or_default() += 1;
                }
            }
            Err(error) => eprintln!("connection failed: {error}"),
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{} connections x {} messages: {} ACKed in {:.2?} = {:.0} msg/s; ACK latency p50 {:?} p99 {:?} max {:?}",
        args.connections,
        args.messages,
        latencies.len(),
        elapsed,
        rate,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
    );
    println!("ACK codes: {codes:?}");
    Ok(())
}
