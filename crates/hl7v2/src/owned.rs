//! The editable message model and its serialiser: built from a parsed message (keeping every
//! raw value and terminator, so an unedited message serialises to the same bytes) or from
//! scratch for outgoing messages. Values are stored escaped, in the message's charset.

use crate::charset::Charset;
use crate::delimiters::Delimiters;
use crate::error::{EncodeError, Error};
use crate::escape;
use crate::message::Message;
use crate::path::TersePath;

/// Leaf values of one field: repetitions, then components, then subcomponents.
type Repetitions = Vec<Vec<Vec<Vec<u8>>>>;

/// A field of an editable segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldBuf {
    repetitions: Repetitions,
}

/// A segment of an editable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentBuf {
    name: String,
    /// Index 0 is field 1. For MSH, fields 1 and 2 are placeholders written from the delimiters.
    fields: Vec<FieldBuf>,
    terminator: Vec<u8>,
}

impl SegmentBuf {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn field_count(&self) -> usize {
        self.fields.len()
    }
}

/// An editable message that serialises to ER7 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBuf {
    delimiters: Delimiters,
    charset: Charset,
    bom: bool,
    segments: Vec<SegmentBuf>,
}

impl MessageBuf {
    /// A new message holding only `MSH|^~\&` (with MSH-18 set when the charset is not ASCII).
    pub fn new(delimiters: Delimiters, charset: Charset) -> MessageBuf {
        let mut message = MessageBuf {
            delimiters,
            charset,
            bom: false,
            segments: vec![SegmentBuf {
                name: "MSH".to_string(),
                fields: vec![FieldBuf::default(), FieldBuf::default()],
                terminator: b"\r".to_vec(),
            }],
        };
        if charset != Charset::ASCII {
            let raw = charset.hl7_name().as_bytes().to_vec();
            if let Some(msh) = message.segments.first_mut() {
                set_in_segment(msh, &TersePath::field("MSH", 18), &raw, &delimiters);
            }
        }
        message
    }

    /// A copy of a parsed message that can be edited.
    pub fn from_message(message: &Message<'_>) -> MessageBuf {
        let delimiters = *message.delimiters();
        let segments = message
            .segments()
            .map(|segment| SegmentBuf {
                name: segment.name().to_string(),
                fields: segment
                    .fields()
                    .map(|(number, field)| {
                        if segment.is_header() && number <= 2 {
                            FieldBuf::default()
                        } else {
                            FieldBuf {
                                repetitions: split_field(field.raw(), &delimiters),
                            }
                        }
                    })
                    .collect(),
                terminator: segment.terminator().to_vec(),
            })
            .collect();
        MessageBuf {
            delimiters,
            charset: *message.charset(),
            bom: message.has_bom(),
            segments,
        }
    }

    pub fn delimiters(&self) -> &Delimiters {
        &self.delimiters
    }

    pub fn charset(&self) -> &Charset {
        &self.charset
    }

    pub fn segments(&self) -> &[SegmentBuf] {
        &self.segments
    }

    /// Appends a segment (terminated by CR) and returns its index.
    pub fn push_segment(&mut self, name: &str) -> Result<usize, EncodeError> {
        let valid = name.len() == 3
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid || name == "MSH" {
            return Err(EncodeError::InvalidSegmentName(name.to_string()));
        }
        if let Some(last) = self.segments.last_mut() {
            if last.terminator.is_empty() {
                last.terminator = b"\r".to_vec();
            }
        }
        self.segments.push(SegmentBuf {
            name: name.to_string(),
            fields: Vec::new(),
            terminator: b"\r".to_vec(),
        });
        Ok(self.segments.len() - 1)
    }

    /// Sets text (escaped and encoded here) at a terse path. The path's depth decides what is
    /// replaced: `PID-5` replaces the whole repetition, `PID-5.2` only that component. A
    /// missing segment is appended when the path names the next repetition.
    pub fn set_text(&mut self, path: &TersePath, text: &str) -> Result<(), Error> {
        let raw = escape::encode(text, &self.delimiters, &self.charset)?;
        self.set_raw(path, &raw)
    }

    /// Like [`set_text`](Self::set_text) with already-escaped bytes; delimiters in them split
    /// the value into components/subcomponents below the path's level.
    pub fn set_raw(&mut self, path: &TersePath, raw: &[u8]) -> Result<(), Error> {
        let index = self.segment_index_for(path)?;
        self.set_raw_at(index, path, raw)
    }

    /// Sets text in the segment at `index`, using only the field part of `path`.
    pub fn set_text_at(&mut self, index: usize, path: &TersePath, text: &str) -> Result<(), Error> {
        let raw = escape::encode(text, &self.delimiters, &self.charset)?;
        self.set_raw_at(index, path, &raw)
    }

    fn set_raw_at(&mut self, index: usize, path: &TersePath, raw: &[u8]) -> Result<(), Error> {
        let delimiters = self.delimiters;
        let segment = self
            .segments
            .get_mut(index)
            .ok_or(EncodeError::MissingSegment {
                name: path.segment.clone(),
                repetition: path.segment_repetition,
            })?;
        if segment.name == "MSH" && path.field <= 2 {
            return Err(EncodeError::ReadOnlyField(format!("MSH-{}", path.field)).into());
        }
        set_in_segment(segment, path, raw, &delimiters);
        Ok(())
    }

    fn segment_index_for(&mut self, path: &TersePath) -> Result<usize, Error> {
        let matching: Vec<usize> = (0..self.segments.len())
            .filter(|&i| self.segments.get(i).is_some_and(|s| s.name == path.segment))
            .collect();
        if let Some(&index) = matching.get(path.segment_repetition.saturating_sub(1)) {
            return Ok(index);
        }
        if path.segment_repetition == matching.len() + 1 {
            return Ok(self.push_segment(&path.segment)?);
        }
        Err(EncodeError::MissingSegment {
            name: path.segment.clone(),
            repetition: path.segment_repetition,
        }
        .into())
    }

    /// Serialises to ER7 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let d = &self.delimiters;
        let mut out = Vec::with_capacity(256 * self.segments.len());
        if self.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        for (index, segment) in self.segments.iter().enumerate() {
            out.extend_from_slice(segment.name.as_bytes());
            let mut fields = segment.fields.iter();
            if index == 0 {
                out.push(d.field);
                out.extend_from_slice(&d.encoding_characters());
                fields.nth(1);
            }
            for field in fields {
                out.push(d.field);
                write_field(&mut out, field, d);
            }
            out.extend_from_slice(&segment.terminator);
        }
        out
    }
}

fn split_field(raw: &[u8], d: &Delimiters) -> Repetitions {
    raw.split(|&b| b == d.repetition)
        .map(|rep| split_repetition(rep, d))
        .collect()
}

fn split_repetition(raw: &[u8], d: &Delimiters) -> Vec<Vec<Vec<u8>>> {
    raw.split(|&b| b == d.component)
        .map(|component| split_component(component, d))
        .collect()
}

fn split_component(raw: &[u8], d: &Delimiters) -> Vec<Vec<u8>> {
    raw.split(|&b| b == d.subcomponent)
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_field(out: &mut Vec<u8>, field: &FieldBuf, d: &Delimiters) {
    for (r, repetition) in field.repetitions.iter().enumerate() {
        if r > 0 {
            out.push(d.repetition);
        }
        for (c, component) in repetition.iter().enumerate() {
            if c > 0 {
                out.push(d.component);
            }
            for (s, sub) in component.iter().enumerate() {
                if s > 0 {
                    out.push(d.subcomponent);
                }
                out.extend_from_slice(sub);
            }
        }
    }
}

/// Grows `items` so that the 1-based `number` exists and returns it.
fn slot<T: Default>(items: &mut Vec<T>, number: usize) -> &mut T {
    let position = number.max(1) - 1;
    if items.len() <= position {
        items.resize_with(position + 1, T::default);
    }
    &mut items[position]
}

fn set_in_segment(segment: &mut SegmentBuf, path: &TersePath, raw: &[u8], d: &Delimiters) {
    let field = slot(&mut segment.fields, path.field);
    let repetition = slot(&mut field.repetitions, path.field_repetition);
    let Some(component_number) = path.component else {
        *repetition = split_repetition(raw, d);
        return;
    };
    let component = slot(repetition, component_number);
    match path.subcomponent {
        None => *component = split_component(raw, d),
        Some(sub_number) => *slot(component, sub_number) = raw.to_vec(),
    }
}
