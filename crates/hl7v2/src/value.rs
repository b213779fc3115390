//! Borrowed views into a parsed message: segments, fields, and values (repetitions,
//! components, subcomponents). Splitting at a delimiter happens on access, decoding too.

use std::borrow::Cow;

use crate::charset::Charset;
use crate::delimiters::Delimiters;
use crate::error::DecodeError;
use crate::escape::{self, Text};
use crate::message::Message;

/// One segment of a message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'m> {
    message: &'m Message<'m>,
    index: usize,
}

impl<'m> Segment<'m> {
    pub(crate) fn new(message: &'m Message<'m>, index: usize) -> Self {
        Segment { message, index }
    }

    fn span(&self) -> Option<&'m crate::message::SegmentSpan> {
        self.message.segments.get(self.index)
    }

    /// 0-based position in the message.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The three-character segment id (validated at parse time).
    pub fn name(&self) -> &'m str {
        let start = self.span().map_or(0, |s| s.start as usize);
        let name = self
            .message
            .input()
            .get(start..start + 3)
            .unwrap_or_default();
        std::str::from_utf8(name).unwrap_or_default()
    }

    /// MSH, FHS and BHS number their separator as field 1 and encoding characters as field 2.
    pub fn is_header(&self) -> bool {
        self.index == 0
    }

    /// Byte offset of the segment in the input.
    pub fn offset(&self) -> usize {
        self.span().map_or(0, |s| s.start as usize)
    }

    /// The segment's bytes without its terminator.
    pub fn raw(&self) -> &'m [u8] {
        let (start, end) = self.span().map_or((0, 0), |s| (s.start, s.end));
        self.message
            .input()
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// The segment terminator as received (CR, LF, CRLF, empty at the end of input, plus
    /// trailing blank lines after the last segment).
    pub fn terminator(&self) -> &'m [u8] {
        let (end, term) = self.span().map_or((0, 0), |s| (s.end, s.terminator_end));
        self.message
            .input()
            .get(end as usize..term as usize)
            .unwrap_or_default()
    }

    /// Number of the last field present (0 when the segment is only its name).
    pub fn field_count(&self) -> usize {
        self.span().map_or(0, |s| s.field_count as usize)
    }

    /// Field by its standard number (1-based; for MSH, field 1 is the field separator).
    pub fn field(&self, number: usize) -> Option<Field<'m>> {
        let span = self.span()?;
        let position = number.checked_sub(1)?;
        if position >= span.field_count as usize {
            return None;
        }
        let field_span = *self
            .message
            .fields
            .get(span.first_field as usize + position)?;
        let atomic = self.is_header() && number <= 2;
        let raw = self.message.bytes_of(field_span);
        let delimiters = self.message.delimiters();
        Some(Field {
            value: Value {
                raw,
                plain: atomic || is_plain(raw, delimiters),
                offset: field_span.start as usize,
                delimiters,
                charset: self.message.charset(),
                atomic,
            },
        })
    }

    /// Every field with its standard number.
    pub fn fields(&self) -> impl Iterator<Item = (usize, Field<'m>)> + 'm {
        let segment = *self;
        (1..=self.field_count()).filter_map(move |n| segment.field(n).map(|f| (n, f)))
    }
}

/// Where a leaf value (a subcomponent) sits in its segment; all numbers are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafPosition {
    pub field: usize,
    pub repetition: usize,
    pub component: usize,
    pub subcomponent: usize,
}

impl<'m> Segment<'m> {
    /// Visits every subcomponent of every field, in order, with its decoded text. Each field
    /// is scanned once (instead of once per level as the nested iterators do): the fast way
    /// to read a whole message.
    pub fn for_each_leaf(
        &self,
        mut visit: impl FnMut(LeafPosition, Result<Cow<'m, str>, DecodeError>),
    ) {
        for (number, field) in self.fields() {
            let value = field.value;
            let mut position = LeafPosition {
                field: number,
                repetition: 1,
                component: 1,
                subcomponent: 1,
            };
            if value.plain {
                visit(position, value.text());
                continue;
            }
            let d = value.delimiters;
            let (mut start, mut has_escape) = (0, false);
            for (i, &b) in value.raw.iter().enumerate() {
                let next = if b == d.repetition {
                    (position.repetition + 1, 1, 1)
                } else if b == d.component {
                    (position.repetition, position.component + 1, 1)
                } else if b == d.subcomponent {
                    (
                        position.repetition,
                        position.component,
                        position.subcomponent + 1,
                    )
                } else {
                    has_escape |= b == d.escape;
                    continue;
                };
                visit(position, value.leaf(start, i, has_escape).text());
                (
                    position.repetition,
                    position.component,
                    position.subcomponent,
                ) = next;
                (start, has_escape) = (i + 1, false);
            }
            visit(
                position,
                value.leaf(start, value.raw.len(), has_escape).text(),
            );
        }
    }
}

/// A field: one or more repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    value: Value<'m>,
}

impl<'m> Field<'m> {
    /// The field's bytes, repetitions and all.
    pub fn raw(&self) -> &'m [u8] {
        self.value.raw
    }

    pub fn offset(&self) -> usize {
        self.value.offset
    }

    pub fn is_empty(&self) -> bool {
        self.value.raw.is_empty()
    }

    /// The whole field as one value (not split at repetitions).
    pub fn as_value(&self) -> Value<'m> {
        self.value
    }

    pub fn repetitions(&self) -> Split<'m> {
        self.value.split_at(self.value.delimiters.repetition)
    }

    /// Repetition by 1-based number.
    pub fn repetition(&self, number: usize) -> Option<Value<'m>> {
        self.repetitions().nth(number.checked_sub(1)?)
    }
}

/// A field repetition, component or subcomponent: raw bytes plus what decodes them.
#[derive(Debug, Clone, Copy)]
pub struct Value<'m> {
    raw: &'m [u8],
    offset: usize,
    delimiters: &'m Delimiters,
    charset: &'m Charset,
    /// MSH-1 and MSH-2 hold delimiters themselves: never split, never unescaped.
    atomic: bool,
    /// No repetition, component or subcomponent separator and no escape inside: splitting
    /// and unescaping can be skipped. Most values are plain; checking once saves a scan per
    /// level when every value of a message is read.
    plain: bool,
}

impl<'m> Value<'m> {
    /// The bytes as received (still escaped, in the message's charset).
    pub fn raw(&self) -> &'m [u8] {
        self.raw
    }

    /// Byte offset in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// `""`: the sender explicitly cleared the value (HL7 null).
    pub fn is_null(&self) -> bool {
        self.raw == b"\"\""
    }

    /// True when the value has more than one component or subcomponent.
    pub fn is_composite(&self) -> bool {
        !self.plain
            && self
                .raw
                .iter()
                .any(|&b| b == self.delimiters.component || b == self.delimiters.subcomponent)
    }

    pub fn components(&self) -> Split<'m> {
        self.split_at(self.delimiters.component)
    }

    /// Component by 1-based number.
    pub fn component(&self, number: usize) -> Option<Value<'m>> {
        self.components().nth(number.checked_sub(1)?)
    }

    pub fn subcomponents(&self) -> Split<'m> {
        self.split_at(self.delimiters.subcomponent)
    }

    /// Subcomponent by 1-based number.
    pub fn subcomponent(&self, number: usize) -> Option<Value<'m>> {
        self.subcomponents().nth(number.checked_sub(1)?)
    }

    /// Plain text: escapes resolved, charset decoded, `.br` as a newline. Borrows when the
    /// bytes need no conversion.
    pub fn text(&self) -> Result<Cow<'m, str>, DecodeError> {
        if self.atomic || self.plain {
            return self
                .charset
                .decode(self.raw)
                .map_err(|bad| DecodeError::InvalidBytes {
                    charset: self.charset.hl7_name(),
                    offset: self.offset + bad,
                });
        }
        escape::decode_plain(self.raw, self.delimiters, self.charset, self.offset)
    }

    /// Decoded text with formatting commands kept as tokens.
    pub fn decode(&self) -> Result<Text<'m>, DecodeError> {
        if self.atomic {
            return Ok(Text {
                parts: vec![escape::TextPart::Text(self.text()?)],
            });
        }
        escape::decode(self.raw, self.delimiters, self.charset, self.offset)
    }

    /// The part `start..end` of this value, known to hold no delimiter.
    fn leaf(&self, start: usize, end: usize, has_escape: bool) -> Value<'m> {
        Value {
            raw: self.raw.get(start..end).unwrap_or_default(),
            offset: self.offset + start,
            plain: !has_escape,
            ..*self
        }
    }

    pub(crate) fn split_at(&self, separator: u8) -> Split<'m> {
        Split {
            rest: Some(self.raw),
            offset: self.offset,
            separator: if self.plain { None } else { Some(separator) },
            template: *self,
        }
    }
}

fn is_plain(raw: &[u8], d: &Delimiters) -> bool {
    !raw.iter()
        .any(|&b| b == d.component || b == d.subcomponent || b == d.repetition || b == d.escape)
}

/// Where the part before `separator` ends, and whether that part is plain: one pass, since
/// values are short and a second scan would cost as much as the first.
#[inline]
fn find_part_end(rest: &[u8], separator: u8, d: &Delimiters) -> (Option<usize>, bool) {
    let mut plain = true;
    for (i, &b) in rest.iter().enumerate() {
        if b == separator {
            return (Some(i), plain);
        }
        plain &= !(b == d.component || b == d.subcomponent || b == d.repetition || b == d.escape);
    }
    (None, plain)
}

/// Iterator over the parts of a value between one kind of delimiter.
#[derive(Debug, Clone)]
pub struct Split<'m> {
    rest: Option<&'m [u8]>,
    offset: usize,
    separator: Option<u8>,
    template: Value<'m>,
}

impl<'m> Iterator for Split<'m> {
    type Item = Value<'m>;

    fn next(&mut self) -> Option<Value<'m>> {
        let rest = self.rest?;
        let (found, plain) = match self.separator {
            None => (None, true),
            Some(separator) => find_part_end(rest, separator, self.template.delimiters),
        };
        let (part, next) = match found {
            Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + 1..)),
            None => (rest, None),
        };
        let value = Value {
            raw: part,
            offset: self.offset,
            plain,
            ..self.template
        };
        self.offset += part.len() + 1;
        self.rest = next;
        Some(value)
    }
}
