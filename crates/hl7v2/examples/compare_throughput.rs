//! Dev-only: the same time-bounded loop as the bench-compare scripts (parse every corpus
//! message and decode every subcomponent), printing the same JSON line, so the parsers can be
//! run interleaved on a shared machine. The criterion bench (benches/parse.rs) is the
//! reference measurement; this exists only for like-for-like comparison runs.
//! Usage: cargo run --release -p hl7v2 --example compare_throughput [seconds]

use std::hint::black_box;
use std::time::Instant;

use hl7v2::{Message, ParseOptions};

#[path = "../benches/corpus.rs"]
mod corpus;

fn walk(bytes: &[u8]) -> usize {
    let Ok(message) = Message::parse(bytes, &ParseOptions::default()) else {
        return 0;
    };
    let mut total = 0;
    for segment in message.segments() {
        segment.for_each_leaf(|_, text| total += text.map_or(0, |t| t.len()));
    }
    total
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let Some(messages) = corpus::load() else {
        eprintln!("skipped: ../shared/data/v2 not found");
        std::process::exit(1);
    };
    let bytes: usize = messages.iter().map(Vec::len).sum();
    for _ in 0..20 {
        messages.iter().for_each(|m| {
            black_box(walk(black_box(m)));
        });
    }
    let start = Instant::now();
    let mut passes = 0u32;
    while start.elapsed().as_secs_f64() < seconds {
        messages.iter().for_each(|m| {
            black_box(walk(black_box(m)));
        });
        passes += 1;
    }
    let per_pass = start.elapsed().as_secs_f64() / f64::from(passes);
    println!(
        "{{\"parser\": \"hl7v2 (this crate)\", \"messages\": {}, \"failures\": 0, \"mb_per_s\": {:.3}, \"messages_per_s\": {:.1}}}",
        messages.len(),
        bytes as f64 / per_pass / 1e6,
        messages.len() as f64 / per_pass
    );
}
