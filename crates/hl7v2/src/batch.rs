//! Splitting a byte stream (a file, a batch) into messages. Each message starts at an MSH
//! segment and runs to the next MSH, batch segment or blank line. FHS/BHS headers are kept with
//! the messages they enclose; BTS/FTS trailers are optional, as they are in practice.
//!
//! Blank lines between messages are skipped. Other text outside a message (comments, framing
//! placeholders) is an error unless `ParseOptions::skip_non_segment_lines` is set; skipped
//! ranges are then listed in [`Split::skipped`].

use std::ops::Range;

use crate::error::{ParseError, ParseErrorKind};
use crate::message::{Message, ParseOptions};

/// Which batch envelope segment a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    FileHeader,
    BatchHeader,
    BatchTrailer,
    FileTrailer,
}

/// One FHS/BHS/BTS/FTS segment found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub kind: EnvelopeKind,
    /// The segment bytes, without terminator.
    pub bytes: &'a [u8],
    pub offset: usize,
}

impl<'a> Envelope<'a> {
    /// Parses an FHS or BHS header with the delimiters it declares (FHS-1/FHS-2 like MSH).
    pub fn parse(&self, options: &ParseOptions) -> Result<Message<'a>, ParseError> {
        let name = self.bytes.get(..3).unwrap_or_default();
        Message::parse_with_header(self.bytes, options, name).map_err(|mut error| {
            error.offset += self.offset;
            error
        })
    }
}

/// One message found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageChunk<'a> {
    /// From MSH to the end of the last segment's terminator.
    pub bytes: &'a [u8],
    pub offset: usize,
    /// Index into [`Split::envelopes`] of the FHS enclosing the message.
    pub file_header: Option<usize>,
    /// Index into [`Split::envelopes`] of the BHS enclosing the message.
    pub batch_header: Option<usize>,
}

impl<'a> MessageChunk<'a> {
    pub fn parse(&self, options: &ParseOptions) -> Result<Message<'a>, ParseError> {
        Message::parse(self.bytes, options).map_err(|mut error| {
            error.offset += self.offset;
            error
        })
    }
}

/// The messages and envelopes of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split<'a> {
    pub messages: Vec<MessageChunk<'a>>,
    pub envelopes: Vec<Envelope<'a>>,
    /// Byte ranges of non-segment lines skipped (only with `skip_non_segment_lines`).
    pub skipped: Vec<Range<usize>>,
}

/// Splits `input` into messages; see the module comment for the rules.
pub fn split_messages<'a>(
    input: &'a [u8],
    options: &ParseOptions,
) -> Result<Split<'a>, ParseError> {
    let mut split = Split::default();
    let mut file_header = None;
    let mut batch_header = None;
    let mut current: Option<usize> = None;
    let mut pos = if input.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    while pos < input.len() {
        let (line, next) = line_at(input, pos);
        let kind = line_kind(line);
        match kind {
            LineKind::Blank => close(
                input,
                &mut current,
                pos,
                &mut split,
                (file_header, batch_header),
            ),
            LineKind::Msh => {
                close(
                    input,
                    &mut current,
                    pos,
                    &mut split,
                    (file_header, batch_header),
                );
                current = Some(pos);
            }
            LineKind::Envelope(envelope) => {
                close(
                    input,
                    &mut current,
                    pos,
                    &mut split,
                    (file_header, batch_header),
                );
                let index = split.envelopes.len();
                split.envelopes.push(Envelope {
                    kind: envelope,
                    bytes: line,
                    offset: pos,
                });
                match envelope {
                    EnvelopeKind::FileHeader => (file_header, batch_header) = (Some(index), None),
                    EnvelopeKind::BatchHeader => batch_header = Some(index),
                    EnvelopeKind::BatchTrailer => batch_header = None,
                    EnvelopeKind::FileTrailer => (file_header, batch_header) = (None, None),
                }
            }
            LineKind::Segment if current.is_some() => {}
            LineKind::Segment | LineKind::Other => {
                if current.is_some() && kind == LineKind::Other && !options.skip_non_segment_lines {
                    // Inside a message: let the message parser report the bad segment.
                } else if options.skip_non_segment_lines {
                    close(
                        input,
                        &mut current,
                        pos,
                        &mut split,
                        (file_header, batch_header),
                    );
                    split.skipped.push(pos..next);
                } else {
                    let shown =
                        String::from_utf8_lossy(line.get(..line.len().min(40)).unwrap_or_default());
                    let kind = ParseErrorKind::TextOutsideMessage(shown.into_owned());
                    return Err(ParseError::new(kind, pos, 0));
                }
            }
        }
        pos = next;
    }
    close(
        input,
        &mut current,
        input.len(),
        &mut split,
        (file_header, batch_header),
    );
    Ok(split)
}

/// Ends the message started at `current` (if any) at `end`.
fn close<'a>(
    input: &'a [u8],
    current: &mut Option<usize>,
    end: usize,
    split: &mut Split<'a>,
    (file_header, batch_header): (Option<usize>, Option<usize>),
) {
    if let Some(start) = current.take() {
        split.messages.push(MessageChunk {
            bytes: input.get(start..end).unwrap_or_default(),
            offset: start,
            file_header,
            batch_header,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Msh,
    Envelope(EnvelopeKind),
    Segment,
    Other,
}

fn line_kind(line: &[u8]) -> LineKind {
    if line.is_empty() {
        return LineKind::Blank;
    }
    let (name, after) = (line.get(..3).unwrap_or(line), line.get(3).copied());
    let named = name.len() == 3
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && after.is_none_or(|b| b.is_ascii_graphic() && !b.is_ascii_alphanumeric());
    if !named {
        return LineKind::Other;
    }
    match name {
        b"MSH" => LineKind::Msh,
        b"FHS" => LineKind::Envelope(EnvelopeKind::FileHeader),
        b"BHS" => LineKind::Envelope(EnvelopeKind::BatchHeader),
        b"BTS" => LineKind::Envelope(EnvelopeKind::BatchTrailer),
        b"FTS" => LineKind::Envelope(EnvelopeKind::FileTrailer),
        _ => LineKind::Segment,
    }
}

/// The line at `pos` (without terminator) and where the next line starts.
fn line_at(input: &[u8], pos: usize) -> (&[u8], usize) {
    let rest = input.get(pos..).unwrap_or_default();
    let len = rest
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    let next = match (rest.get(len), rest.get(len + 1)) {
        (Some(b'\r'), Some(b'\n')) => pos + len + 2,
        (Some(_), _) => pos + len + 1,
        (None, _) => pos + len,
    };
    (rest.get(..len).unwrap_or_default(), next)
}
