//! The one sanitiser for text that reaches a terminal, and `TerminalText`, the only thing the
//! print layer (`crate::output`) accepts.
//!
//! Tokens, endpoints, proxies and ARM gateways are outside tokscope's control, and its output is
//! read on shared screens: an escape sequence in a claim could write the clipboard (OSC 52), set
//! the window title, clear the screen or move the cursor, and a bidi override can make a line read
//! differently from what it says. Every character that could do any of that is written out as a
//! visible, inert `\u{…}` instead; everything else, non-ASCII letters included, is kept.

use std::borrow::Cow;
use std::fmt::Write;

use crate::net::redact_known;

/// Characters that act on a terminal or on how text is ordered rather than being text:
/// C0 controls, DEL, C1 controls (which some terminals obey even UTF-8 encoded), and Unicode's
/// format controls that reorder, hide or break lines (bidi embeddings, overrides, isolates and
/// marks; line and paragraph separators; the deprecated shaping controls; interlinear
/// annotations). Zero-width joiners and soft hyphens are ordinary text and stay.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{206f}'
        | '\u{fff9}'..='\u{fffb}')
}

/// Which of tokscope's own layout characters may pass in multi-line text.
fn is_layout(c: char) -> bool {
    c == '\n' || c == '\t'
}

/// Printable ASCII (space to `~`) holds no unsafe character: most output is only that, and
/// this byte scan is a fraction of the cost of classifying every character.
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' '..=b'~'))
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if printable_ascii(s) || !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && !keep(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of outside text made inert: every unsafe character, line breaks and tabs included,
/// becomes `\u{1b}`-style text. Text without them comes back unchanged (and unallocated).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// Like [`sanitize`] but keeps line feeds and tabs, for whole multi-line outputs.
pub fn sanitize_lines(s: &str) -> Cow<'_, str> {
    escape_with(s, is_layout)
}

/// A grapheme for a terminal UI cell: `None` when it is safe as it is, else a one-cell stand-in
/// (the cell grid cannot widen to show the escape, so the replacement character marks the spot).
pub fn sanitize_cell(symbol: &str) -> Option<&'static str> {
    symbol.chars().any(is_unsafe).then_some("\u{fffd}")
}

/// Serialised JSON with every unsafe character that serde leaves raw inside strings (C1, bidi
/// and the other format controls; serde already escapes C0) written as a `\uXXXX` escape.
/// The parsed value is identical; only the bytes on the terminal are inert.
pub fn sanitize_json(json: &str) -> Cow<'_, str> {
    if printable_ascii(json) || !json.chars().any(|c| is_unsafe(c) && !is_layout(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && !is_layout(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one escape suffices.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text that is safe to write to a terminal or into a report. It can only be made by
/// sanitising, so every path to the screen or a report file goes through [`sanitize`], and
/// through [`crate::net::redact_known`], so no secret this run holds is printed even when a
/// server echoed it into a field tokscope shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalText(String);

impl TerminalText {
    pub fn new() -> Self {
        Self::default()
    }

    /// Human-readable, possibly multi-line output: line feeds and tabs kept, the rest escaped.
    pub fn text(s: &str) -> Self {
        Self(sanitize_lines(&redact_known(s)).into_owned())
    }

    /// One line: line breaks from outside become visible too, so they cannot forge lines.
    pub fn line(s: &str) -> Self {
        Self(sanitize(&redact_known(s)).into_owned())
    }

    /// A serialised JSON document (or NDJSON line).
    pub fn json(s: &str) -> Self {
        Self(sanitize_json(&redact_known(s)).into_owned())
    }

    /// Append human-readable text (line feeds and tabs kept).
    pub fn push_text(&mut self, s: &str) {
        self.0.push_str(&sanitize_lines(&redact_known(s)));
    }

    /// Append one of tokscope's own escape sequences (colours). Only string literals fit
    /// `&'static str`, so nothing read from outside can come through here.
    pub fn push_escape(&mut self, escape: &'static str) {
        self.0.push_str(escape);
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn trim_end(&self) -> &str {
        self.0.trim_end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_reordering() {
        assert_eq!(
            sanitize("a\x1b]52;c;SGVsbG8=\x07b"),
            "a\\u{1b}]52;c;SGVsbG8=\\u{7}b"
        );
        assert_eq!(sanitize("x\r\ny\u{9b}z"), "x\\u{d}\\u{a}y\\u{9b}z");
        assert_eq!(sanitize("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(sanitize("\u{2066}a\u{2069}"), "\\u{2066}a\\u{2069}");
        assert_eq!(sanitize_lines("a\nb\tc\rd"), "a\nb\tc\\u{d}d");
    }

    #[test]
    fn the_printable_ascii_shortcut_holds_no_unsafe_character() {
        for b in 0u8..=0x7f {
            let c = char::from(b);
            if printable_ascii(c.encode_utf8(&mut [0; 4])) {
                assert!(!is_unsafe(c), "{b:#x} skips the check but is unsafe");
            }
        }
        // Every non-ASCII character goes the long way, the C1 controls included.
        assert!(!printable_ascii("\u{85}") && !printable_ascii("é"));
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        for s in ["plain", "Zoë Müller — 東京 👩‍💻", "", "a\\u{1b}b"] {
            assert!(matches!(sanitize(s), Cow::Borrowed(_)));
            assert_eq!(sanitize(s), s);
        }
    }

    #[test]
    fn json_stays_the_same_value() {
        let v = serde_json::json!({"k": "a\u{202e}b\u{85}c\x1b", "n": 1});
        let raw = serde_json::to_string_pretty(&v).unwrap();
        let safe = sanitize_json(&raw);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }

    #[test]
    fn cells_get_a_stand_in() {
        assert_eq!(sanitize_cell("a"), None);
        assert_eq!(sanitize_cell("\u{202e}"), Some("\u{fffd}"));
    }
}
