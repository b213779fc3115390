//! The MLLP framing codec (HL7 v2.5.1, Appendix C / MLLP Release 2 block format):
//! `<SB=0x0B> payload <EB=0x1C><CR=0x0D>`.
//!
//! The decoder is a small state machine that looks for a *complete* frame in the
//! buffer before it hands anything out (it never parses a half frame), and keeps
//! its memory bounded by `max_frame_size`:
//!
//! * Bytes before a start block are skipped and counted ([`MllpCodec::take_skipped`]).
//! * A payload longer than `max_frame_size` is discarded as it arrives (never
//!   buffered), and [`CodecError::FrameTooLarge`] is returned once its end block is
//!   seen, so a reply to it stays in step with the sender's request/ACK order. The
//!   error carries the frame's head (its first segment, at most
//!   [`OVERSIZE_HEAD_LIMIT`] bytes and never more than the limit) so the caller can
//!   still answer with an ACK naming the message.
//! * `0x1C` not followed by `0x0D` is an error, not data: MLLP forbids `0x1C` in the
//!   payload, and taking it as data could silently merge two frames. The frame is
//!   dropped ([`CodecError::InvalidEndBlock`]) and the decoder looks for the next
//!   start block right after the `0x1C`.
//! * A `0x0B` inside a payload is kept as data. MLLP forbids it too, but treating it
//!   as a restart would throw away a frame the HL7 parser can reject more precisely.
//! * End of stream inside a frame is [`CodecError::TruncatedFrame`].
//!
//! Recoverable errors ([`CodecError::is_recoverable`]) leave the decoder ready for
//! the next frame, so a caller that drives `decode` itself (like the server) can keep
//! the connection. `tokio_util::codec::FramedRead` ends its stream after any error.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Start block (vertical tab).
pub const START_BLOCK: u8 = 0x0B;
/// First byte of the end block (file separator).
pub const END_BLOCK: u8 = 0x1C;
/// Second byte of the end block (carriage return).
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Default maximum payload size: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
/// Most bytes kept of an oversize frame: enough for any real MSH segment, small
/// enough that a stream of oversize frames costs no more memory than a normal one.
pub const OVERSIZE_HEAD_LIMIT: usize = 64 * 1024;

/// Errors of the MLLP codec. Offsets count bytes from the start of the stream.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("MLLP frame starting at stream byte {frame_start} has {len} payload bytes, over the limit of {max}")]
    FrameTooLarge {
        frame_start: u64,
        len: u64,
        max: usize,
        /// The payload's first segment including its terminator (CR or LF), cut at
        /// [`OVERSIZE_HEAD_LIMIT`] and at `max`: what an ACK needs (MSH), no more.
        head: Bytes,
    },
    #[error("MLLP end block 0x1C at stream byte {offset} is followed by 0x{found:02X} instead of 0x0D; frame starting at byte {frame_start} dropped")]
    InvalidEndBlock {
        frame_start: u64,
        offset: u64,
        found: u8,
    },
    #[error("connection ended inside the MLLP frame starting at stream byte {frame_start} ({received} payload bytes received, no end block)")]
    TruncatedFrame { frame_start: u64, received: u64 },
    #[error("payload byte 0x{byte:02X} at offset {offset} is an MLLP block character and cannot be framed")]
    ForbiddenByte { byte: u8, offset: usize },
    #[error("MLLP i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl CodecError {
    /// True when the decoder has dropped the bad frame and can go on with the next one
    /// on the same stream.
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            CodecError::FrameTooLarge { .. } | CodecError::InvalidEndBlock { .. }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for a start block; everything else is skipped.
    Hunting,
    /// Inside a frame whose payload starts at the buffer's front; `scanned` bytes of it
    /// are known to hold no end block.
    InFrame { frame_start: u64, scanned: usize },
    /// Inside an oversized frame: payload bytes are dropped until the end block.
    Discarding { frame_start: u64, dropped: u64 },
}

/// Outcome of one state-machine move.
enum Step {
    Frame(Bytes),
    /// The state changed and the buffer may hold more to look at.
    Continue,
    /// Nothing more can be done until more bytes arrive.
    NeedMore,
}

/// Tokio codec for MLLP frames. Decodes to the payload (`Bytes`, no block characters);
/// encodes a payload into a full frame.
#[derive(Debug, Clone)]
pub struct MllpCodec {
    max_frame_size: usize,
    state: State,
    /// Stream offset of the buffer's first byte.
    consumed: u64,
    skipped_since_take: u64,
    /// Head of the oversize frame being discarded (empty otherwise).
    oversize_head: Bytes,
}

impl Default for MllpCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_SIZE)
    }
}

impl MllpCodec {
    pub fn new(max_frame_size: usize) -> Self {
        Self {
            max_frame_size,
            state: State::Hunting,
            consumed: 0,
            skipped_since_take: 0,
            oversize_head: Bytes::new(),
        }
    }

    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// True while a frame has been started but not ended: a read that stalls now is
    /// a stalled frame (read timeout), not an idle connection (idle timeout).
    pub fn in_frame(&self) -> bool {
        self.state != State::Hunting
    }

    /// Bytes skipped outside frames since the last call (garbage before a start block).
    pub fn take_skipped(&mut self) -> u64 {
        std::mem::take(&mut self.skipped_since_take)
    }

    fn advance(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.consumed += n as u64;
    }

    fn skip(&mut self, buf: &mut BytesMut, n: usize) {
        self.skipped_since_take += n as u64;
        self.advance(buf, n);
    }

    /// One move of the state machine over what is buffered.
    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, CodecError> {
        match self.state {
            State::Hunting => match memchr::memchr(START_BLOCK, buf) {
                Some(at) => {
                    self.skip(buf, at);
                    let frame_start = self.consumed;
                    self.advance(buf, 1);
                    self.state = State::InFrame {
                        frame_start,
                        scanned: 0,
                    };
                    Ok(Step::Continue)
                }
                None => {
                    let all = buf.len();
                    self.skip(buf, all);
                    Ok(Step::NeedMore)
                }
            },
            State::InFrame {
                frame_start,
                scanned,
            } => self.step_in_frame(buf, frame_start, scanned),
            State::Discarding {
                frame_start,
                dropped,
            } => self.step_discarding(buf, frame_start, dropped),
        }
    }

    fn step_in_frame(
        &mut self,
        buf: &mut BytesMut,
        frame_start: u64,
        scanned: usize,
    ) -> Result<Step, CodecError> {
        let tail = buf.get(scanned..).unwrap_or_default();
        let Some(end) = memchr::memchr(END_BLOCK, tail).map(|i| i + scanned) else {
            if buf.len() > self.max_frame_size {
                self.keep_head(buf);
                let dropped = buf.len() as u64;
                let all = buf.len();
                self.advance(buf, all);
                self.state = State::Discarding {
                    frame_start,
                    dropped,
                };
            } else {
                self.state = State::InFrame {
                    frame_start,
                    scanned: buf.len(),
                };
            }
            return Ok(Step::NeedMore);
        };
        if end > self.max_frame_size {
            // Drop the payload but keep the end block for the discarding state to see.
            self.keep_head(buf);
            self.advance(buf, end);
            self.state = State::Discarding {
                frame_start,
                dropped: end as u64,
            };
            return Ok(Step::Continue);
        }
        let Some(&after) = buf.get(end + 1) else {
            // The byte after 0x1C has not arrived yet; wait without rescanning.
            self.state = State::InFrame {
                frame_start,
                scanned: end,
            };
            return Ok(Step::NeedMore);
        };
        self.state = State::Hunting;
        if after == CARRIAGE_RETURN {
            let payload = buf.split_to(end).freeze();
            self.consumed += end as u64;
            self.advance(buf, 2);
            return Ok(Step::Frame(payload));
        }
        let offset = self.consumed + end as u64;
        self.advance(buf, end + 1);
        Err(CodecError::InvalidEndBlock {
            frame_start,
            offset,
            found: after,
        })
    }

    fn step_discarding(
        &mut self,
        buf: &mut BytesMut,
        frame_start: u64,
        dropped: u64,
    ) -> Result<Step, CodecError> {
        let Some(end) = memchr::memchr(END_BLOCK, buf) else {
            let all = buf.len();
            self.advance(buf, all);
            self.state = State::Discarding {
                frame_start,
                dropped: dropped + all as u64,
            };
            return Ok(Step::NeedMore);
        };
        let dropped = dropped + end as u64;
        let Some(&after) = buf.get(end + 1) else {
            self.advance(buf, end);
            self.state = State::Discarding {
                frame_start,
                dropped,
            };
            return Ok(Step::NeedMore);
        };
        // A malformed end block also ends an oversized frame: the size is the error
        // worth reporting, and hunting resumes right after the 0x1C either way.
        let consumed = if after == CARRIAGE_RETURN { 2 } else { 1 };
        self.advance(buf, end + consumed);
        self.state = State::Hunting;
        Err(CodecError::FrameTooLarge {
            frame_start,
            len: dropped,
            max: self.max_frame_size,
            head: std::mem::take(&mut self.oversize_head),
        })
    }

    /// Copies the head of an oversize payload that starts at the buffer's front. It is
    /// cut at the limit too, so the head does not depend on how the stream was split
    /// into reads (the buffer always holds more than `max_frame_size` bytes here).
    fn keep_head(&mut self, buf: &BytesMut) {
        let cap = OVERSIZE_HEAD_LIMIT.min(self.max_frame_size).min(buf.len());
        let window = buf.get(..cap).unwrap_or_default();
        let len = memchr::memchr2(b'\r', b'\n', window).map_or(cap, |at| at + 1);
        self.oversize_head = Bytes::copy_from_slice(window.get(..len).unwrap_or_default());
    }
}

impl Decoder for MllpCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        loop {
            match self.step(buf)? {
                Step::Frame(payload) => return Ok(Some(payload)),
                Step::Continue => {}
                Step::NeedMore => return Ok(None),
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        let truncated = match self.state {
            State::Hunting => None,
            State::InFrame { frame_start, .. } => Some((frame_start, buf.len() as u64)),
            State::Discarding {
                frame_start,
                dropped,
            } => Some((frame_start, dropped + buf.len() as u64)),
        };
        match truncated {
            None => Ok(None),
            Some((frame_start, received)) => {
                let all = buf.len();
                self.advance(buf, all);
                self.state = State::Hunting;
                self.oversize_head = Bytes::new();
                Err(CodecError::TruncatedFrame {
                    frame_start,
                    received,
                })
            }
        }
    }
}

impl Encoder<&[u8]> for MllpCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        if let Some(offset) = memchr::memchr2(START_BLOCK, END_BLOCK, payload) {
            let byte = payload.get(offset).copied().unwrap_or(END_BLOCK);
            return Err(CodecError::ForbiddenByte { byte, offset });
        }
        dst.reserve(payload.len() + 3);
        dst.put_u8(START_BLOCK);
        dst.put_slice(payload);
        dst.put_slice(&[END_BLOCK, CARRIAGE_RETURN]);
        Ok(())
    }
}

impl Encoder<Bytes> for MllpCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(payload.as_ref(), dst)
    }
}

/// Frames `payload` into a new buffer (convenience over [`Encoder`]).
pub fn encode_frame(payload: &[u8]) -> Result<Bytes, CodecError> {
    let mut out = BytesMut::with_capacity(payload.len() + 3);
    MllpCodec::default().encode(payload, &mut out)?;
    Ok(out.freeze())
}
