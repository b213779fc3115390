//! Parsing one message into byte ranges: one pass over the input records where each segment
//! and each field starts and ends; nothing is copied or decoded until it is asked for.

use std::borrow::Cow;

use crate::charset::Charset;
use crate::delimiters::Delimiters;
use crate::error::{Error, ParseError, ParseErrorKind};
use crate::path::TersePath;
use crate::value::{Segment, Value};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const BATCH_SEGMENTS: [&[u8]; 4] = [b"FHS", b"BHS", b"BTS", b"FTS"];

/// Options for parsing; `Default` follows the standard strictly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Decode with this character set whatever MSH-18 says (per-sender configuration for
    /// senders known to mislabel their messages).
    pub charset_override: Option<Charset>,
    /// When splitting a stream, skip lines that are not segments (comments, framing
    /// placeholders) instead of failing. Skipped ranges are reported, never silently lost.
    pub skip_non_segment_lines: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentSpan {
    pub(crate) start: u32,
    /// End of the segment's content (start of its terminator).
    pub(crate) end: u32,
    /// End of its terminator (CR, LF or CRLF; trailing blank lines of the last segment too).
    pub(crate) terminator_end: u32,
    pub(crate) first_field: u32,
    pub(crate) field_count: u32,
}

/// A parsed message: the input bytes plus the ranges of its segments and fields.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    input: &'a [u8],
    body_start: usize,
    delimiters: Delimiters,
    charset: Charset,
    pub(crate) segments: Vec<SegmentSpan>,
    pub(crate) fields: Vec<Span>,
}

impl<'a> Message<'a> {
    /// Parses one message that starts with MSH (after an optional UTF-8 BOM).
    pub fn parse(input: &'a [u8], options: &ParseOptions) -> Result<Message<'a>, ParseError> {
        Self::parse_with_header(input, options, b"MSH")
    }

    /// Parses a message whose first segment is the given header (MSH, FHS or BHS).
    pub(crate) fn parse_with_header(
        input: &'a [u8],
        options: &ParseOptions,
        header: &[u8],
    ) -> Result<Message<'a>, ParseError> {
        if u32::try_from(input.len()).is_err() {
            return Err(ParseError::new(ParseErrorKind::TooLarge, 0, 0));
        }
        let body_start = if input.starts_with(UTF8_BOM) { 3 } else { 0 };
        let body = input.get(body_start..).unwrap_or_default();
        if body.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            return Err(ParseError::new(ParseErrorKind::Empty, body_start, 0));
        }
        let delimiters = read_delimiters(body, header, body_start)?;
        let mut message = Message {
            input,
            body_start,
            delimiters,
            charset: Charset::default(),
            segments: Vec::with_capacity(body.len() / 64 + 1),
            fields: Vec::with_capacity(body.len() / 8 + 1),
        };
        message.scan_segments(header)?;
        message.charset = match options.charset_override {
            Some(charset) => charset,
            None if header == b"MSH" => message.declared_charset()?,
            None => Charset::default(),
        };
        Ok(message)
    }

    fn scan_segments(&mut self, header: &[u8]) -> Result<(), ParseError> {
        let input = self.input;
        let len = input.len();
        let mut pos = self.body_start;
        while pos < len {
            let index = self.segments.len();
            if matches!(input.get(pos), Some(b'\r' | b'\n')) {
                let rest = input.get(pos..).unwrap_or_default();
                if rest.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    if let Some(last) = self.segments.last_mut() {
                        last.terminator_end = len as u32;
                    }
                    return Ok(());
                }
                return Err(ParseError::new(ParseErrorKind::EmptySegment, pos, index));
            }
            let name = check_segment_name(input, pos, self.delimiters.field, index)?;
            if index > 0 && name == b"MSH" {
                return Err(ParseError::new(ParseErrorKind::SecondMsh, pos, index));
            }
            if index > 0 && BATCH_SEGMENTS.contains(&name) {
                let name = String::from_utf8_lossy(name).into_owned();
                let kind = ParseErrorKind::BatchSegmentInMessage(name);
                return Err(ParseError::new(kind, pos, index));
            }
            if index == 0 && name != header {
                return Err(ParseError::new(ParseErrorKind::NoMsh, pos, 0));
            }
            pos = self.scan_fields(pos, index == 0);
        }
        Ok(())
    }

    /// Records the fields of the segment starting at `start`; returns where the next begins.
    fn scan_fields(&mut self, start: usize, is_header: bool) -> usize {
        let input = self.input;
        let separator = self.delimiters.field;
        let first_field = self.fields.len() as u32;
        let mut field_start = start + 3;
        if is_header {
            // MSH-1 is the separator itself, MSH-2 runs up to the next separator.
            self.fields.push(span(start + 3, start + 4));
            field_start = start + 4;
        } else if input.get(field_start) == Some(&separator) {
            field_start += 1;
        }
        let mut has_fields = is_header || field_start > start + 3;
        let mut pos = field_start;
        let end = loop {
            let rest = input.get(pos..).unwrap_or_default();
            let Some(found) = memchr::memchr3(separator, b'\r', b'\n', rest) else {
                break input.len();
            };
            pos += found;
            if input.get(pos) != Some(&separator) {
                break pos;
            }
            self.fields.push(span(field_start, pos));
            field_start = pos + 1;
            has_fields = true;
            pos += 1;
        };
        if has_fields {
            self.fields.push(span(field_start, end));
        }
        let terminator_end = match (input.get(end), input.get(end + 1)) {
            (Some(b'\r'), Some(b'\n')) => end + 2,
            (Some(_), _) => end + 1,
            (None, _) => end,
        };
        self.segments.push(SegmentSpan {
            start: start as u32,
            end: end as u32,
            terminator_end: terminator_end as u32,
            first_field,
            field_count: self.fields.len() as u32 - first_field,
        });
        terminator_end
    }

    /// MSH-18, first repetition; empty means ASCII (the standard's default).
    fn declared_charset(&self) -> Result<Charset, ParseError> {
        let Some(field) = self.segment_at(0).and_then(|msh| msh.field(18)) else {
            return Ok(Charset::default());
        };
        let Some(first) = field.repetition(1) else {
            return Ok(Charset::default());
        };
        let name = String::from_utf8_lossy(first.raw());
        if name.trim().is_empty() {
            return Ok(Charset::default());
        }
        Charset::from_hl7_name(&name).map_err(|kind| ParseError::new(kind, first.offset(), 0))
    }

    /// The delimiters read from MSH-1 and MSH-2.
    pub fn delimiters(&self) -> &Delimiters {
        &self.delimiters
    }

    /// The character set values are decoded with (override, MSH-18 or ASCII).
    pub fn charset(&self) -> &Charset {
        &self.charset
    }

    /// The message bytes without a leading BOM, exactly as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.input.get(self.body_start..).unwrap_or_default()
    }

    /// The input as given to `parse`, BOM included.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    pub fn has_bom(&self) -> bool {
        self.body_start > 0
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Segment by 0-based position in the message.
    pub fn segment_at(&self, index: usize) -> Option<Segment<'_>> {
        (index < self.segments.len()).then(|| Segment::new(self, index))
    }

    pub fn segments(&self) -> impl ExactSizeIterator<Item = Segment<'_>> + '_ {
        (0..self.segments.len()).map(|index| Segment::new(self, index))
    }

    /// The `repetition`-th (1-based) segment with this name.
    pub fn find_segment(&self, name: &str, repetition: usize) -> Option<Segment<'_>> {
        self.segments()
            .filter(|segment| segment.name() == name)
            .nth(repetition.checked_sub(1)?)
    }

    /// The value a terse path points at: a field repetition, component or subcomponent.
    pub fn get(&self, path: &TersePath) -> Option<Value<'_>> {
        let segment = self.find_segment(&path.segment, path.segment_repetition)?;
        let repetition = segment
            .field(path.field)?
            .repetition(path.field_repetition)?;
        let Some(component) = path.component else {
            return Some(repetition);
        };
        let component = repetition.component(component)?;
        match path.subcomponent {
            Some(sub) => component.subcomponent(sub),
            None => Some(component),
        }
    }

    /// Plain decoded text at a terse path such as `PID-5.1`; `None` when absent.
    pub fn get_text(&self, path: &str) -> Result<Option<Cow<'_, str>>, Error> {
        let path = TersePath::parse(path)?;
        match self.get(&path) {
            Some(value) => Ok(Some(value.text()?)),
            None => Ok(None),
        }
    }

    pub(crate) fn bytes_of(&self, span: Span) -> &[u8] {
        self.input
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }
}

fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

fn read_delimiters(body: &[u8], header: &[u8], base: usize) -> Result<Delimiters, ParseError> {
    if !body.starts_with(header) {
        let kind = if header == b"MSH" && b"MSH".starts_with(body) {
            ParseErrorKind::Truncated("MSH")
        } else {
            ParseErrorKind::NoMsh
        };
        return Err(ParseError::new(kind, base, 0));
    }
    let name = if header == b"MSH" { "MSH" } else { "batch" };
    let Some(&field) = body.get(3) else {
        return Err(ParseError::new(
            ParseErrorKind::Truncated(name),
            base + 3,
            0,
        ));
    };
    if matches!(field, b'\r' | b'\n') {
        return Err(ParseError::new(
            ParseErrorKind::Truncated(name),
            base + 3,
            0,
        ));
    }
    let rest = body.get(4..).unwrap_or_default();
    let encoding_len = rest
        .iter()
        .position(|&b| b == field || b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    let encoding = rest.get(..encoding_len).unwrap_or_default();
    Delimiters::new(field, encoding).map_err(|kind| {
        let offset = if matches!(kind, ParseErrorKind::BadFieldSeparator(_)) {
            3
        } else {
            4
        };
        ParseError::new(kind, base + offset, 0)
    })
}

/// Segment names are three upper-case letters or digits followed by the field separator or
/// the end of the line.
fn check_segment_name(
    input: &[u8],
    start: usize,
    separator: u8,
    index: usize,
) -> Result<&[u8], ParseError> {
    let line = input.get(start..).unwrap_or_default();
    let name_len = line
        .iter()
        .position(|&b| b == separator || b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    let name = line.get(..name_len).unwrap_or_default();
    let valid = name.len() == 3
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        Ok(name)
    } else {
        let shown = String::from_utf8_lossy(name.get(..name.len().min(20)).unwrap_or_default());
        let kind = ParseErrorKind::InvalidSegmentName(shown.into_owned());
        Err(ParseError::new(kind, start, index))
    }
}
