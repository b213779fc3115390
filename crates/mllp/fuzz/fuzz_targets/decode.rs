//! Fuzzes the MLLP decoder: the first input byte picks the frame-size limit and the
//! second the read size, the rest is the stream. Checks the invariants the server
//! relies on: bounded buffering, payloads without end blocks, within the limit, a
//! bounded oversize head, and the same results whatever the read size.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mllp::MllpCodec;
use tokio_util::codec::Decoder;

fn decode(stream: &[u8], limit: usize, read_size: usize) -> Vec<Result<Bytes, String>> {
    let mut codec = MllpCodec::new(limit);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in stream.chunks(read_size) {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(frame.len() <= limit);
                    assert!(!frame.contains(&0x1C));
                    out.push(Ok(frame));
                }
                Ok(None) => break,
                Err(error) => {
                    assert!(error.is_recoverable());
                    // The kept head must be bounded and independent of the read size.
                    let head = match &error {
                        mllp::CodecError::FrameTooLarge { head, .. } => {
                            assert!(head.len() <= limit.min(mllp::codec::OVERSIZE_HEAD_LIMIT));
                            head.clone()
                        }
                        _ => Bytes::new(),
                    };
                    out.push(Err(format!("{error} head={head:?}")));
                }
            }
        }
        assert!(buf.len() <= limit + 2 + read_size);
    }
    match codec.decode_eof(&mut buf) {
        Ok(Some(frame)) => out.push(Ok(frame)),
        Ok(None) => {}
        Err(error) => out.push(Err(error.to_string())),
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [limit, read_size, stream @ ..] = data else {
        return;
    };
    let limit = usize::from(*limit);
    let read_size = usize::from(*read_size).max(1);
    let whole = decode(stream, limit, stream.len().max(1));
    assert_eq!(decode(stream, limit, read_size), whole);
});
