//! The MLLP codec on its own: every kind of malformed input, plus a property test
//! that any split of a byte stream decodes to the same frames and errors.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use mllp::{encode_frame, CodecError, MllpCodec};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder, FramedRead};

fn decode_all(codec: &mut MllpCodec, buf: &mut BytesMut) -> Vec<Result<Bytes, String>> {
    let mut out = Vec::new();
    loop {
        match codec.decode(buf) {
            Ok(Some(frame)) => out.push(Ok(frame)),
            Ok(None) => return out,
            Err(error) => out.push(Err(error.to_string())),
        }
    }
}

#[test]
fn decodes_a_complete_frame_and_nothing_more() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0BMSH|a\rPID|1\x1C\x0D\x0BMSH|b"[..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"MSH|a\rPID|1"[..])
    );
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert!(codec.in_frame());
    buf.extend_from_slice(b"\x1C\x0D");
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"MSH|b"[..])
    );
    assert!(!codec.in_frame());
    assert!(buf.is_empty());
}

#[test]
fn end_block_split_between_reads_waits_for_the_carriage_return() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0Bdata\x1C"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\x0D");
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"data"[..])
    );
}

#[test]
fn empty_frame_is_a_frame() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0B\x1C\x0D"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(&b""[..]));
}

#[test]
fn garbage_before_start_block_is_skipped_and_counted() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"noise\r\n\x1C\x0D"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty(), "garbage is not kept");
    buf.extend_from_slice(b"more\x0Bok\x1C\x0D");
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(&b"ok"[..]));
    assert_eq!(codec.take_skipped(), 13);
    assert_eq!(codec.take_skipped(), 0);
}

#[test]
fn start_block_inside_a_frame_is_data() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0Ba\x0Bb\x1C\x0D"[..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"a\x0Bb"[..])
    );
}

#[test]
fn frame_of_exactly_the_limit_is_accepted() {
    let mut codec = MllpCodec::new(4);
    let mut buf = BytesMut::from(&b"\x0Babcd\x1C\x0D"[..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"abcd"[..])
    );
}

#[test]
fn oversized_frame_in_one_buffer_is_rejected_then_decoding_resumes() {
    let mut codec = MllpCodec::new(4);
    let mut buf = BytesMut::from(&b"\x0Babcde\x1C\x0D\x0Bok\x1C\x0D"[..]);
    match codec.decode(&mut buf) {
        Err(CodecError::FrameTooLarge {
            frame_start: 0,
            len: 5,
            max: 4,
            head,
        }) => assert_eq!(&head[..], b"abcd"),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(&b"ok"[..]));
}

#[test]
fn oversized_frame_is_discarded_as_it_streams_in() {
    let limit = 1024;
    let mut codec = MllpCodec::new(limit);
    let mut buf = BytesMut::new();
    buf.extend_from_slice(b"\x0B");
    let chunk = vec![b'x'; 4096];
    for _ in 0..256 {
        buf.extend_from_slice(&chunk);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert!(buf.len() <= limit + chunk.len(), "buffered {}", buf.len());
    }
    buf.extend_from_slice(b"\x1C\x0D");
    match codec.decode(&mut buf) {
        Err(error @ CodecError::FrameTooLarge { .. }) => {
            assert!(error.is_recoverable());
            assert!(
                error.to_string().contains("1048576 payload bytes"),
                "{error}"
            );
        }
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert!(!codec.in_frame());
}

/// The head an oversize frame keeps: its first segment, cut at 64 KiB and at the limit.
fn oversize_head(limit: usize, payload: &[u8], read_size: usize) -> Vec<u8> {
    let mut codec = MllpCodec::new(limit);
    let mut buf = BytesMut::new();
    let mut stream = vec![0x0B];
    stream.extend_from_slice(payload);
    stream.extend_from_slice(b"\x1C\x0D");
    for chunk in stream.chunks(read_size) {
        buf.extend_from_slice(chunk);
        match codec.decode(&mut buf) {
            Ok(None) => {}
            Err(CodecError::FrameTooLarge { head, .. }) => return head.to_vec(),
            other => panic!("expected FrameTooLarge, got {other:?}"),
        }
    }
    panic!("no FrameTooLarge for a {}-byte payload", payload.len())
}

#[test]
fn oversized_frame_keeps_its_first_segment_whatever_the_reads() {
    let msh = b"MSH|^~\\&|LAB|HOSP|GW|FAC|20260101||ADT^A08|BIG1|P|2.5.1\r";
    let mut payload = msh.to_vec();
    payload.extend(std::iter::repeat_n(b'X', 10_000));
    for read_size in [1, 7, 100, 4096, 20_000] {
        assert_eq!(
            oversize_head(1000, &payload, read_size),
            msh,
            "reads of {read_size}"
        );
    }
    // LF ends a segment too.
    let lf = b"MSH|^~\\&|A|B\nPID|1\rXXXXXXXXXXXXXXXXXXXX";
    assert_eq!(oversize_head(20, lf, 3), b"MSH|^~\\&|A|B\n");
}

#[test]
fn oversized_frame_head_is_bounded_by_the_limit_and_64_kib() {
    let no_terminator = vec![b'M'; 200_000];
    assert_eq!(oversize_head(100, &no_terminator, 4096), vec![b'M'; 100]);
    let head = oversize_head(150_000, &no_terminator, 8192);
    assert_eq!(head.len(), mllp::codec::OVERSIZE_HEAD_LIMIT);
}

#[test]
fn oversized_frame_with_a_bad_end_block_reports_the_size() {
    let mut codec = MllpCodec::new(2);
    let mut buf = BytesMut::from(&b"\x0Babcdef\x1CZ\x0Bok\x1C\x0D"[..]);
    let results = decode_all(&mut codec, &mut buf);
    assert_eq!(results.len(), 2);
    assert!(results[0]
        .as_ref()
        .unwrap_err()
        .contains("over the limit of 2"));
    assert_eq!(results[1].as_deref().unwrap(), b"ok");
}

#[test]
fn end_block_without_carriage_return_drops_the_frame_and_resynchronises() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"xx\x0Bbad\x1CA\x0Bgood\x1C\x0D"[..]);
    match codec.decode(&mut buf) {
        Err(CodecError::InvalidEndBlock {
            frame_start: 2,
            offset: 6,
            found: b'A',
        }) => {}
        other => panic!("expected InvalidEndBlock, got {other:?}"),
    }
    assert_eq!(
        codec.decode(&mut buf).unwrap().as_deref(),
        Some(&b"good"[..])
    );
}

#[test]
fn end_of_stream_inside_a_frame_is_truncation() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0Bhalf a mess"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    match codec.decode_eof(&mut buf) {
        Err(error @ CodecError::TruncatedFrame { received: 11, .. }) => {
            assert!(!error.is_recoverable());
        }
        other => panic!("expected TruncatedFrame, got {other:?}"),
    }
}

#[test]
fn end_of_stream_inside_a_discarded_frame_is_truncation() {
    let mut codec = MllpCodec::new(2);
    let mut buf = BytesMut::from(&b"\x0Btoo long"[..]);
    assert!(matches!(
        codec.decode_eof(&mut buf),
        Err(CodecError::TruncatedFrame { received: 8, .. })
    ));
}

#[test]
fn end_of_stream_between_frames_is_clean() {
    let mut codec = MllpCodec::default();
    let mut buf = BytesMut::from(&b"\x0Ba\x1C\x0Dtrailing junk"[..]);
    assert_eq!(
        codec.decode_eof(&mut buf).unwrap().as_deref(),
        Some(&b"a"[..])
    );
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn encoder_frames_and_refuses_block_characters() {
    let mut codec = MllpCodec::default();
    let mut out = BytesMut::new();
    codec.encode(&b"MSH|x"[..], &mut out).unwrap();
    assert_eq!(&out[..], b"\x0BMSH|x\x1C\x0D");
    assert!(matches!(
        encode_frame(b"ab\x1Ccd"),
        Err(CodecError::ForbiddenByte {
            byte: 0x1C,
            offset: 2
        })
    ));
    assert!(matches!(
        encode_frame(b"\x0B"),
        Err(CodecError::ForbiddenByte {
            byte: 0x0B,
            offset: 0
        })
    ));
}

#[tokio::test]
async fn works_inside_framed_read() {
    let input: &[u8] = b"\x0Bone\x1C\x0D\x0Btwo\x1C\x0D";
    let frames: Vec<_> = FramedRead::new(input, MllpCodec::default())
        .map(|frame| frame.unwrap())
        .collect()
        .await;
    assert_eq!(frames, vec![Bytes::from("one"), Bytes::from("two")]);
}

/// Feeds `stream` to a fresh decoder in chunks of the given sizes (cycled) and
/// returns every frame and error, the end of stream included.
fn decode_in_chunks(
    stream: &[u8],
    chunk_sizes: &[usize],
    limit: usize,
) -> Vec<Result<Bytes, String>> {
    let mut codec = MllpCodec::new(limit);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = stream;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        buf.extend_from_slice(chunk);
        out.extend(decode_all(&mut codec, &mut buf));
        assert!(
            buf.len() <= limit + 2 + size,
            "buffer grew to {}",
            buf.len()
        );
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => out.push(Ok(frame)),
            Ok(None) => break,
            Err(error) => {
                out.push(Err(error.to_string()));
                break;
            }
        }
    }
    out
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no block bytes", |b| *b != 0x0B && *b != 0x1C),
        0..300,
    )
}

fn garbage() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no start block", |b| *b != 0x0B),
        0..20,
    )
}

proptest! {
    #[test]
    fn any_split_of_valid_frames_decodes_to_the_same_frames(
        frames in proptest::collection::vec((garbage(), payload()), 0..8),
        chunk_sizes in proptest::collection::vec(1usize..64, 1..10),
    ) {
        let mut stream = Vec::new();
        for (noise, payload) in &frames {
            stream.extend_from_slice(noise);
            stream.extend_from_slice(&encode_frame(payload).unwrap());
        }
        let expected: Vec<Result<Bytes, String>> =
            frames.iter().map(|(_, payload)| Ok(Bytes::copy_from_slice(payload))).collect();
        prop_assert_eq!(decode_in_chunks(&stream, &chunk_sizes, 1 << 20), expected);
    }

    #[test]
    fn any_split_of_arbitrary_bytes_gives_the_same_results_as_one_read(
        stream in proptest::collection::vec(
            prop_oneof![Just(0x0Bu8), Just(0x1C), Just(0x0D), any::<u8>()], 0..600),
        chunk_sizes in proptest::collection::vec(1usize..40, 1..8),
        limit in 0usize..64,
    ) {
        let whole = decode_in_chunks(&stream, &[stream.len().max(1)], limit);
        prop_assert_eq!(decode_in_chunks(&stream, &chunk_sizes, limit), whole);
    }
}
