//! Escape sequences (HL7 v2.5.1 section 2.7): decoding raw value bytes into text with the
//! formatting commands kept as tokens, and encoding text back into escaped bytes.
//!
//! `\Xhh..\` is decoded as bytes in the message's character set and joined with the literal
//! bytes around it before the charset conversion, so `\XC3\\XA9\` is "é" in UTF-8 and
//! `\X0D0A\` is CR LF. Character-set switching (`\C..\`, `\M..\`) and locally defined escapes
//! (`\Z..\`) are kept as [`TextPart::Unsupported`] and never guessed.

use std::borrow::Cow;

use crate::charset::Charset;
use crate::delimiters::Delimiters;
use crate::error::{DecodeError, EncodeError};

/// Formatting commands of formatted text (FT) and highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatCommand {
    /// `\H\` start highlighting.
    HighlightOn,
    /// `\N\` normal text (end highlighting).
    HighlightOff,
    /// `\.br\` line break.
    LineBreak,
    /// `\.sp n\` end the line and skip n lines (n defaults to 1).
    Space(u32),
    /// `\.in n\` indent n spaces.
    Indent(i32),
    /// `\.ti n\` temporary indent of n spaces.
    TempIndent(i32),
    /// `\.sk n\` skip n spaces to the right.
    Skip(u32),
    /// `\.ce\` centre the next line.
    Center,
    /// `\.fi\` word wrap on.
    FillOn,
    /// `\.nf\` word wrap off.
    FillOff,
}

/// One piece of a decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPart<'a> {
    Text(Cow<'a, str>),
    Format(FormatCommand),
    /// An escape this crate does not interpret, without its escape characters (e.g. `C2842`).
    Unsupported {
        sequence: String,
        offset: usize,
    },
}

/// A decoded value: text runs and formatting tokens in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text<'a> {
    pub parts: Vec<TextPart<'a>>,
}

impl<'a> Text<'a> {
    /// Plain-text rendering: line breaks and spacing become newlines and spaces, other
    /// formatting is dropped. An unsupported escape is an error, never silently dropped.
    pub fn to_plain(&self) -> Result<Cow<'a, str>, DecodeError> {
        if let [TextPart::Text(only)] = self.parts.as_slice() {
            return Ok(only.clone());
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TextPart::Text(text) => out.push_str(text),
                TextPart::Format(FormatCommand::LineBreak) => out.push('\n'),
                TextPart::Format(FormatCommand::Space(n)) => {
                    out.extend(std::iter::repeat_n('\n', (*n).max(1) as usize))
                }
                TextPart::Format(FormatCommand::Skip(n)) => {
                    out.extend(std::iter::repeat_n(' ', *n as usize))
                }
                TextPart::Format(_) => {}
                TextPart::Unsupported { sequence, offset } => {
                    return Err(DecodeError::UnsupportedEscape {
                        sequence: sequence.clone(),
                        offset: *offset,
                    })
                }
            }
        }
        Ok(Cow::Owned(out))
    }
}

/// Decodes raw value bytes; `base` is the value's offset in the message, used in errors.
pub fn decode<'a>(
    raw: &'a [u8],
    delimiters: &Delimiters,
    charset: &Charset,
    base: usize,
) -> Result<Text<'a>, DecodeError> {
    if !raw.contains(&delimiters.escape) {
        let text = decode_run(raw, charset, base)?;
        return Ok(Text {
            parts: vec![TextPart::Text(text)],
        });
    }
    let mut parts = Vec::new();
    let mut pending: Vec<u8> = Vec::with_capacity(raw.len());
    let mut run_start = base;
    let mut pos = 0;
    while let Some(found) = find(raw, pos, delimiters.escape) {
        pending.extend_from_slice(raw.get(pos..found).unwrap_or_default());
        let close =
            find(raw, found + 1, delimiters.escape).ok_or(DecodeError::UnterminatedEscape {
                offset: base + found,
            })?;
        let sequence = raw.get(found + 1..close).unwrap_or_default();
        let offset = base + found;
        match interpret(sequence, delimiters, offset)? {
            Escaped::Byte(byte) => pending.push(byte),
            Escaped::Bytes(bytes) => pending.extend_from_slice(&bytes),
            Escaped::Token(token) => {
                flush(&mut pending, &mut parts, charset, run_start)?;
                parts.push(token);
                run_start = base + close + 1;
            }
        }
        pos = close + 1;
    }
    pending.extend_from_slice(raw.get(pos..).unwrap_or_default());
    flush(&mut pending, &mut parts, charset, run_start)?;
    Ok(Text { parts })
}

/// Decodes raw value bytes straight to plain text (see [`Text::to_plain`]).
pub fn decode_plain<'a>(
    raw: &'a [u8],
    delimiters: &Delimiters,
    charset: &Charset,
    base: usize,
) -> Result<Cow<'a, str>, DecodeError> {
    if !raw.contains(&delimiters.escape) {
        return decode_run(raw, charset, base);
    }
    decode(raw, delimiters, charset, base)?.to_plain()
}

/// Encodes text into raw value bytes: delimiters become `\F\ \S\ \T\ \R\ \E\ \P\`, CR and LF
/// (segment terminators) become `\X0D\` and `\X0A\`.
pub fn encode<'a>(
    text: &'a str,
    delimiters: &Delimiters,
    charset: &Charset,
) -> Result<Cow<'a, [u8]>, EncodeError> {
    let bytes = charset
        .encode(text)
        .map_err(|character| EncodeError::Unrepresentable {
            character,
            charset: charset.hl7_name(),
        })?;
    let needs_escape = |b: &u8| delimiters.is_special(*b) || *b == b'\r' || *b == b'\n';
    if !bytes.iter().any(needs_escape) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    for &byte in bytes.iter() {
        let code: &[u8] = match byte {
            b'\r' => b"X0D",
            b'\n' => b"X0A",
            b if b == delimiters.field => b"F",
            b if b == delimiters.component => b"S",
            b if b == delimiters.subcomponent => b"T",
            b if b == delimiters.repetition => b"R",
            b if b == delimiters.escape => b"E",
            b if Some(b) == delimiters.truncation => b"P",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push(delimiters.escape);
        out.extend_from_slice(code);
        out.push(delimiters.escape);
    }
    Ok(Cow::Owned(out))
}

enum Escaped<'a> {
    Byte(u8),
    Bytes(Vec<u8>),
    Token(TextPart<'a>),
}

fn interpret<'a>(
    sequence: &[u8],
    delimiters: &Delimiters,
    offset: usize,
) -> Result<Escaped<'a>, DecodeError> {
    let malformed = || DecodeError::MalformedEscape {
        sequence: String::from_utf8_lossy(sequence).into_owned(),
        offset,
    };
    let format = |command| Ok(Escaped::Token(TextPart::Format(command)));
    match sequence {
        b"F" => Ok(Escaped::Byte(delimiters.field)),
        b"S" => Ok(Escaped::Byte(delimiters.component)),
        b"T" => Ok(Escaped::Byte(delimiters.subcomponent)),
        b"R" => Ok(Escaped::Byte(delimiters.repetition)),
        b"E" => Ok(Escaped::Byte(delimiters.escape)),
        // \P\ is the truncation character (v2.7+); without one it means nothing known.
        b"P" if delimiters.truncation.is_some() => {
            Ok(Escaped::Bytes(delimiters.truncation.into_iter().collect()))
        }
        b"H" => format(FormatCommand::HighlightOn),
        b"N" => format(FormatCommand::HighlightOff),
        b".br" => format(FormatCommand::LineBreak),
        b".ce" => format(FormatCommand::Center),
        b".fi" => format(FormatCommand::FillOn),
        b".nf" => format(FormatCommand::FillOff),
        [b'X', hex @ ..] => hex_bytes(hex).map(Escaped::Bytes).ok_or_else(malformed),
        [b'.', b's', b'p', arg @ ..] => {
            format(FormatCommand::Space(number(arg, 1).ok_or_else(malformed)?))
        }
        [b'.', b's', b'k', arg @ ..] => {
            format(FormatCommand::Skip(number(arg, 1).ok_or_else(malformed)?))
        }
        [b'.', b'i', b'n', arg @ ..] => {
            format(FormatCommand::Indent(number(arg, 0).ok_or_else(malformed)?))
        }
        [b'.', b't', b'i', arg @ ..] => format(FormatCommand::TempIndent(
            number(arg, 0).ok_or_else(malformed)?,
        )),
        [] => Err(malformed()),
        other => Ok(Escaped::Token(TextPart::Unsupported {
            sequence: String::from_utf8_lossy(other).into_owned(),
            offset,
        })),
    }
}

/// `\X\` with pairs of hex digits, at least one pair.
fn hex_bytes(hex: &[u8]) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// Optional (signed) decimal argument of a formatting command, e.g. `.sp 2`, `.in -4`.
fn number<T: std::str::FromStr>(arg: &[u8], default: T) -> Option<T> {
    let text = std::str::from_utf8(arg).ok()?.trim();
    if text.is_empty() {
        return Some(default);
    }
    text.trim_start_matches('+').parse().ok()
}

fn find(raw: &[u8], from: usize, byte: u8) -> Option<usize> {
    raw.get(from..)?
        .iter()
        .position(|&b| b == byte)
        .map(|i| i + from)
}

fn decode_run<'a>(
    raw: &'a [u8],
    charset: &Charset,
    base: usize,
) -> Result<Cow<'a, str>, DecodeError> {
    charset
        .decode(raw)
        .map_err(|bad| DecodeError::InvalidBytes {
            charset: charset.hl7_name(),
            offset: base + bad,
        })
}

fn flush<'a>(
    pending: &mut Vec<u8>,
    parts: &mut Vec<TextPart<'a>>,
    charset: &Charset,
    run_start: usize,
) -> Result<(), DecodeError> {
    if pending.is_empty() {
        return Ok(());
    }
    let text = decode_run(pending, charset, run_start)?.into_owned();
    pending.clear();
    parts.push(TextPart::Text(Cow::Owned(text)));
    Ok(())
}
