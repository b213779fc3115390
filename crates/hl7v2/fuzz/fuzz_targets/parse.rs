//! Feeds arbitrary bytes to the splitter, the parser, every decoder and the serialiser.
//! Besides "never panics", it checks that the editable model reproduces every message that
//! parses byte for byte, and that ACK building never panics.
#![no_main]

use hl7v2::{
    build_ack, build_ack_for_parse_error, message_json, split_messages, AckCode, AckRequest,
    Message, MessageBuf, ParseOptions,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = AckRequest {
        code: AckCode::Accept,
        control_id: "FUZZ".into(),
        timestamp: "20240101".into(),
        issues: Vec::new(),
    };
    match Message::parse(data, &ParseOptions::default()) {
        Ok(message) => {
            for segment in message.segments() {
                let mut leaves = 0usize;
                segment.for_each_leaf(|_, text| leaves += text.map_or(0, |t| t.len()));
                for (_, field) in segment.fields() {
                    for repetition in field.repetitions() {
                        for component in repetition.components() {
                            for sub in component.subcomponents() {
                                let _ = sub.decode().map(|t| t.to_plain().map(|p| p.len()));
                            }
                        }
                    }
                }
            }
            let again = MessageBuf::from_message(&message).to_bytes();
            assert_eq!(again.as_slice(), message.input(), "round trip changed the bytes");
            let _ = message_json(&message);
            if let Ok(ack) = build_ack(&message, &request) {
                let bytes = ack.to_bytes();
                let _ = Message::parse(&bytes, &ParseOptions::default());
            }
        }
        Err(error) => {
            let _ = build_ack_for_parse_error(data, &error, &request);
        }
    }
    let lenient = ParseOptions {
        skip_non_segment_lines: true,
        ..ParseOptions::default()
    };
    if let Ok(split) = split_messages(data, &lenient) {
        for chunk in &split.messages {
            let _ = chunk.parse(&ParseOptions::default());
        }
        for envelope in &split.envelopes {
            let _ = envelope.parse(&ParseOptions::default());
        }
    }
});
