//! Any text through the terminal sanitiser comes out with no control, bidi or other reordering
//! character (line feeds and tabs only where multi-line text keeps them), text that had none
//! comes out unchanged, and sanitised JSON parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokscope::sanitize::{is_unsafe, sanitize, sanitize_json, sanitize_lines};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let line = sanitize(&text);
    assert!(!line.chars().any(is_unsafe));
    if !text.chars().any(is_unsafe) {
        assert_eq!(line, text);
    }
    let lines = sanitize_lines(&text);
    assert!(!lines.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'));

    let value = serde_json::json!({ "s": text });
    let raw = serde_json::to_string_pretty(&value).unwrap_or_default();
    let safe = sanitize_json(&raw);
    assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
    let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
    assert_eq!(back, value);
});
