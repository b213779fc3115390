//! Parse throughput over the development messages with every value fully decoded: each
//! subcomponent of each component of each repetition of each field is decoded to text.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hl7v2::{Message, ParseOptions};

mod corpus;

/// Parses one message and decodes every subcomponent with `Segment::for_each_leaf`; returns
/// the decoded byte count.
fn parse_and_decode_all(bytes: &[u8]) -> usize {
    let Ok(message) = Message::parse(bytes, &ParseOptions::default()) else {
        return 0;
    };
    let mut decoded = 0;
    for segment in message.segments() {
        segment.for_each_leaf(|_, text| decoded += text.map_or(0, |t| t.len()));
    }
    decoded
}

/// The same through the nested iterators (fields, repetitions, components, subcomponents).
fn parse_and_decode_all_nested(bytes: &[u8]) -> usize {
    let Ok(message) = Message::parse(bytes, &ParseOptions::default()) else {
        return 0;
    };
    let mut decoded = 0;
    for segment in message.segments() {
        for (_, field) in segment.fields() {
            for repetition in field.repetitions() {
                for component in repetition.components() {
                    for sub in component.subcomponents() {
                        decoded += sub.text().map_or(0, |t| t.len());
                    }
                }
            }
        }
    }
    decoded
}

fn bench_parse(c: &mut Criterion) {
    let Some(messages) = corpus::load() else {
        println!("skipped: ../shared/data/v2 not found");
        return;
    };
    let total: usize = messages.iter().map(Vec::len).sum();
    println!("corpus: {} messages, {} bytes", messages.len(), total);
    let mut group = c.benchmark_group("hl7v2");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("parse_decode_all_corpus", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| parse_and_decode_all(black_box(m)))
                .sum::<usize>()
        })
    });
    group.bench_function("parse_decode_all_nested_iterators_corpus", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| parse_and_decode_all_nested(black_box(m)))
                .sum::<usize>()
        })
    });
    group.bench_function("parse_only_corpus", |b| {
        b.iter(|| {
            messages
                .iter()
                .filter_map(|m| Message::parse(black_box(m), &ParseOptions::default()).ok())
                .map(|m| m.segment_count())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = bench_parse
}
criterion_main!(benches);
