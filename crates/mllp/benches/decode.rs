//! Codec decode throughput: a stream of ADT-sized frames decoded from one buffer,
//! and the same stream fed in 8 KiB reads as a socket would deliver it.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mllp::{encode_frame, MllpCodec};
use tokio_util::codec::Decoder;

fn stream_of_frames(frame_payload: usize, count: usize) -> Vec<u8> {
    let segment = b"OBX|1|NM|2345-7^Glucose^LN||105|mg/dL|70-99|H|||F\r";
    let mut payload = b"MSH|^~\\&|LAB|HOSP|GW|HOSP|20240101||ORU^R01|1|P|2.5.1\r".to_vec();
    while payload.len() < frame_payload {
        payload.extend_from_slice(segment);
    }
    let frame = encode_frame(&payload).expect("frameable");
    frame
        .iter()
        .copied()
        .cycle()
        .take(frame.len() * count)
        .collect()
}

fn decode_all(stream: &[u8], read_size: usize) -> usize {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::with_capacity(read_size * 2);
    let mut frames = 0;
    for chunk in stream.chunks(read_size) {
        buf.extend_from_slice(chunk);
        while let Ok(Some(_)) = codec.decode(&mut buf) {
            frames += 1;
        }
    }
    frames
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("mllp_decode");
    for (name, payload, count) in [("1KiB_frames", 1024, 4096), ("64KiB_frames", 64 * 1024, 64)] {
        let stream = stream_of_frames(payload, count);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function(format!("{name}/one_buffer"), |b| {
            b.iter(|| decode_all(&stream, stream.len()))
        });
        group.bench_function(format!("{name}/8KiB_reads"), |b| {
            b.iter(|| decode_all(&stream, 8 * 1024))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
