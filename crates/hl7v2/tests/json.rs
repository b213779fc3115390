//! JSON rendering and path lookup for the CLI.

use hl7v2::{render_json, render_path, ParseOptions};
use serde_json::json;

#[test]
fn message_shape() {
    let bytes = b"MSH|^~\\&|APP||||20240101||ADT^A01|1|P|2.5\rPID|1||123~456^^^H&X||DOE^J\\.br\\R|\"\"|\rZPI|\\C2842\\\r";
    let rendered = render_json(bytes, &ParseOptions::default()).unwrap();
    assert_eq!(
        rendered,
        vec![json!({
            "segments": [
                {"name": "MSH", "fields": {
                    "1": "|", "2": "^~\\&", "3": ["APP"], "7": ["20240101"],
                    "9": [["ADT", "A01"]], "10": ["1"], "11": ["P"], "12": ["2.5"]}},
                {"name": "PID", "fields": {
                    "1": ["1"],
                    "3": ["123", ["456", "", "", ["H", "X"]]],
                    "5": [["DOE", "J\nR"]],
                    "6": [null]}},
                {"name": "ZPI", "fields": {"1": ["\\C2842\\"]}}
            ],
            "warnings": [{"path": "ZPI-1", "error": "escape sequence \"C2842\" at byte 84 is not supported (character-set switching / locally defined)"}],
            "offset": 0
        })]
    );
}

#[test]
fn batches_render_each_message_with_its_headers() {
    let bytes = b"FHS|^~\\&|F\rBHS|^~\\&|B\rMSH|^~\\&|A\rMSH|^~\\&|C\rBTS|2\rFTS|1\r";
    let rendered = render_json(bytes, &ParseOptions::default()).unwrap();
    assert_eq!(rendered.len(), 2);
    assert_eq!(rendered[1]["offset"], json!(33));
    assert_eq!(rendered[1]["segments"][0]["fields"]["3"], json!(["C"]));
    assert_eq!(
        rendered[1]["batch"]["file_header"]["fields"]["3"],
        json!(["F"])
    );
    assert_eq!(rendered[1]["batch"]["batch_header"]["name"], json!("BHS"));
}

#[test]
fn a_bad_message_is_reported_and_the_others_shown() {
    let bytes = b"MSH|^~\\&|A\rPID|1\r\rMSH|^~|B\r";
    let rendered = render_json(bytes, &ParseOptions::default()).unwrap();
    assert_eq!(rendered[0]["segments"][1]["name"], json!("PID"));
    assert_eq!(rendered[1]["offset"], json!(18));
    assert!(rendered[1]["error"]
        .as_str()
        .unwrap()
        .contains("MSH-2 must hold 4 or 5"));
}

#[test]
fn path_lookup() {
    let bytes = b"MSH|^~\\&|A\rPID|1||123~456^^^H&X||DOE^JOHN\r\nMSH|^~\\&|B\rPID|1||789\r";
    let opts = ParseOptions::default();
    assert_eq!(
        render_path(bytes, "PID-5.1", &opts).unwrap(),
        vec![json!("DOE"), json!(null)]
    );
    assert_eq!(
        render_path(bytes, "PID-3", &opts).unwrap(),
        vec![json!("123"), json!("789")]
    );
    assert_eq!(
        render_path(bytes, "PID-3[2]", &opts).unwrap(),
        vec![json!(["456", "", "", ["H", "X"]]), json!(null)]
    );
    assert_eq!(
        render_path(bytes, "PID-3[2].4", &opts).unwrap()[0],
        json!(["H", "X"])
    );
    assert_eq!(
        render_path(bytes, "PID-3[2].4.2", &opts).unwrap()[0],
        json!("X")
    );
    assert!(render_path(bytes, "PID-x", &opts).is_err());
}
