//! The output gate: the one sanitiser for text that leaves tokscope, and the types that can only
//! be made through it. `TerminalText` is the only thing the print layer (`crate::output`) takes
//! (terminal, reports, the fleet summary); `ClipboardText` is the only thing the clipboard
//! writer takes.
//!
//! Tokens, endpoints, proxies, ARM gateways and other machines' doctor results are outside
//! tokscope's control, and its output is read on shared screens and pasted into shells and
//! tickets: an escape sequence in a claim could write the clipboard (OSC 52), set the window
//! title, clear the screen, move the cursor or end a bracketed paste (`ESC [201~`); a bidi
//! override can make a line read differently from what it says; a line break inside one field
//! can forge the next line of the output; an invisible character can make two different values
//! look the same. Every such character is written out as a visible, inert `\u{…}` instead;
//! everything else, non-ASCII letters included, is kept. Known secrets are removed on the way
//! (`crate::vault`).

use std::borrow::Cow;
use std::fmt::Write;

use crate::vault::redact_known;

/// Characters that act on a terminal or on how text is ordered rather than being text, or that
/// are invisible on their own: C0 controls, DEL, C1 controls (which some terminals obey even
/// UTF-8 encoded), Unicode's format controls that reorder, hide or break lines (bidi
/// embeddings, overrides, isolates and marks; line and paragraph separators; the deprecated
/// shaping controls; interlinear annotations), and the characters that show as nothing (zero
/// width space, word joiner and the invisible operators, the byte-order mark, the Mongolian
/// vowel separator, tag characters). Zero-width joiners and soft hyphens are ordinary text in
/// many scripts and emoji and stay, except in values compared for security ([`exact`]).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0001}'
        | '\u{e0020}'..='\u{e007f}')
        || is_other_format_control(c)
}

/// The rest of Unicode's format controls (category Cf, as of Unicode 16) but the joiners and
/// the soft hyphen: number and abbreviation marks that fold into the text around them, and the
/// hieroglyph, shorthand and musical format controls, which show as nothing at all and would
/// make "aud is X, not X" readable again.
fn is_other_format_control(c: char) -> bool {
    matches!(c,
        '\u{600}'..='\u{605}'
        | '\u{6dd}'
        | '\u{70f}'
        | '\u{890}'..='\u{891}'
        | '\u{8e2}'
        | '\u{110bd}'
        | '\u{110cd}'
        | '\u{13430}'..='\u{1343f}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}')
}

/// What else hides in a value that is compared for security (an audience, an issuer): joiners,
/// soft hyphens, variation selectors, fillers and every space but the ASCII one, so that
/// "aud is X, not X" cannot happen.
fn is_hidden_in_exact(c: char) -> bool {
    matches!(c,
        '\u{a0}'
        | '\u{ad}'
        | '\u{34f}'
        | '\u{115f}' | '\u{1160}'
        | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{2000}'..='\u{200d}'
        | '\u{202f}' | '\u{205f}'
        | '\u{2800}'
        | '\u{3000}' | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{ffa0}'
        | '\u{e0100}'..='\u{e01ef}')
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

/// [`sanitize`] as an owned string: a field from outside inside a line of tokscope's own, so
/// that a line break in it cannot start a line of its own (a forged `holder` line, a fake row).
pub fn one_line(s: &str) -> String {
    sanitize(s).into_owned()
}

/// Characters drawn like ASCII punctuation, letters or digits but not them: the dashes and
/// minus signs (`web‑1` with U+2011 for `web-1`), the modifier minus, the long vowel mark `ー`,
/// dot leaders, fraction and division slashes, the modifier colon, IPA letters (`ɗ`), Roman
/// numerals (`ⅾ`), Lisu capitals (`ꓓ`), the fullwidth forms of ASCII, the mathematical
/// alphanumerics, and every digit that is not an ASCII one (`١`).
fn is_ascii_lookalike(c: char) -> bool {
    (c.is_numeric() && !c.is_ascii_digit())
        || matches!(c,
        '\u{250}'..='\u{2af}'
        | '\u{2d7}'
        | '\u{2150}'..='\u{218f}'
        | '\u{30fc}'
        | '\u{a4d0}'..='\u{a4ff}'
        | '\u{2010}'..='\u{2015}'
        | '\u{2024}' | '\u{2027}'
        | '\u{2043}' | '\u{2044}'
        | '\u{2212}' | '\u{2215}' | '\u{2236}'
        | '\u{29f8}'
        | '\u{a789}'
        | '\u{fe58}' | '\u{fe63}'
        | '\u{ff01}'..='\u{ff5e}'
        | '\u{1d400}'..='\u{1d7ff}')
}

/// Letters of the scripts whose shapes Latin shares (Greek, Cyrillic, Armenian, Cherokee): in a
/// value that also holds ASCII letters, one of them is how `wеb-1` (a Cyrillic `е`) passes for
/// `web-1`. A value wholly in one of these scripts is a real name and is left alone.
fn is_latin_lookalike_letter(c: char) -> bool {
    matches!(c,
        '\u{370}'..='\u{3ff}'
        | '\u{400}'..='\u{52f}'
        | '\u{530}'..='\u{58f}'
        | '\u{13a0}'..='\u{13ff}'
        | '\u{1d00}'..='\u{1dbf}')
}

/// A value compared for security (an audience, an issuer, a machine's name), on one line, with
/// every character that could hide a difference shown as `\u{…}` too: invisible ones, those
/// drawn like ASCII, and letters of another script mixed with ASCII letters.
pub fn exact(s: &str) -> String {
    let mixed = s.chars().any(|c| c.is_ascii_alphabetic());
    sanitize(s)
        .chars()
        .fold(String::with_capacity(s.len()), |mut out, c| {
            if is_hidden_in_exact(c)
                || is_ascii_lookalike(c)
                || (mixed && is_latin_lookalike_letter(c))
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            } else {
                out.push(c);
            }
            out
        })
}

/// Markdown's inline syntax: what, inside a line of a report, could start raw HTML (an
/// `<!--` that hides the rest of the report once rendered, an `<img>` that calls out to a
/// server when the ticket is viewed), a link or image, a code span, emphasis, a table cell, an
/// entity or a heading.
const MARKDOWN_ACTIVE: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '!', '|', '~', '&', '#',
];

/// One field from outside inside a line of a markdown report: on one line ([`sanitize`]) and
/// with every character markdown would act on escaped with a backslash, so that the rendered
/// report shows the field as the text it is (CommonMark renders `\<` as `<`).
pub fn markdown_inline(s: &str) -> String {
    let line = sanitize(s);
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if MARKDOWN_ACTIVE.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
            // JSON escapes UTF-16 units: a tag character takes two.
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{:04x}", unit);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `json` with the run's secrets removed, and still JSON: a short secret is replaced where it
/// stands as a whole word, which may be a bare number (`"status":400` with a secret `400`);
/// then the document is redacted value by value instead, the number becoming a string.
fn redact_json(json: &str) -> String {
    let redacted = redact_known(json);
    if redacted == json || serde_json::from_str::<serde::de::IgnoredAny>(&redacted).is_ok() {
        return redacted;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return redacted;
    };
    let value = redact_value(value);
    let out = if json.contains('\n') {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    };
    out.unwrap_or(redacted)
}

fn redact_value(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(redact_known(&s)),
        Value::Number(n) => {
            let text = n.to_string();
            let shown = redact_known(&text);
            if shown == text {
                Value::Number(n)
            } else {
                Value::String(shown)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(redact_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact_known(&k), redact_value(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Text that is safe to write to a terminal or into a report. It can only be made by
/// sanitising, so every path to the screen or a report file goes through [`sanitize`], and
/// through [`crate::vault::redact_known`], so no secret this run holds is printed even when a
/// server echoed it into a field tokscope shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalText(String, Form);

/// Whether a [`TerminalText`] is words or a JSON document: the print layer writes the first
/// in ASCII stand-ins and the second in `\u` escapes under a locale that is not UTF-8.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Form {
    #[default]
    Words,
    Json,
}

impl TerminalText {
    pub fn new() -> Self {
        Self::default()
    }

    /// Human-readable, possibly multi-line output: line feeds and tabs kept, the rest escaped.
    pub fn text(s: &str) -> Self {
        Self(sanitize_lines(&redact_known(s)).into_owned(), Form::Words)
    }

    /// One line: line breaks from outside become visible too, so they cannot forge lines.
    pub fn line(s: &str) -> Self {
        Self(sanitize(&redact_known(s)).into_owned(), Form::Words)
    }

    /// A serialised JSON document (or NDJSON line).
    pub fn json(s: &str) -> Self {
        Self(sanitize_json(&redact_json(s)).into_owned(), Form::Json)
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

    pub fn form(&self) -> Form {
        self.1
    }

    pub fn trim_end(&self) -> &str {
        self.0.trim_end()
    }
}

/// What the clipboard gate did to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// The value was one line of plain text and is copied as it is.
    AsIs,
    /// The value held line breaks, controls, bidi or invisible characters (or a secret of this
    /// run): it is copied as one inert line, with them written as `\u{…}`.
    MadeInert,
}

/// Text for the clipboard (the OSC 52 escape `crate::output::clipboard` writes, the only way
/// tokscope copies). Made only here, so a payload always is one line without C0, C1, DEL, bidi,
/// line-break or invisible characters: pasted into a shell, it cannot end a bracketed paste
/// (`ESC [201~`), run a second line or read differently from what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct ClipboardText {
    text: String,
    copied: Copied,
}

impl ClipboardText {
    fn inert(raw: &str, text: String) -> Self {
        let copied = if text == raw {
            Copied::AsIs
        } else {
            Copied::MadeInert
        };
        Self { text, copied }
    }

    /// A value from outside (a claim): known secrets removed, made one inert line.
    pub fn value(raw: &str) -> Self {
        Self::inert(raw, one_line(&redact_known(raw)))
    }

    /// A JSON value, on one line (no layout to carry a line break), with every unsafe
    /// character escaped the JSON way so that it still parses to the same value.
    pub fn json(value: &serde_json::Value) -> Self {
        let compact = serde_json::to_string(value).unwrap_or_default();
        let text = sanitize_json(&redact_json(&compact)).into_owned();
        Self::inert(&compact, text)
    }

    /// The token the user confirmed to copy: not redacted (it is what was asked for), and made
    /// inert all the same, since it came from the endpoint.
    pub fn revealed_token(raw: &str) -> Self {
        Self::inert(raw, one_line(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn copied(&self) -> Copied {
        self.copied
    }
}

impl std::ops::Deref for ClipboardText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// The payload may be the token: only its size is shown.
impl std::fmt::Debug for ClipboardText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClipboardText({} bytes, {:?})",
            self.text.len(),
            self.copied
        )
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
    fn clipboard_payloads_are_one_inert_line() {
        let c = ClipboardText::value("x\n\x1b[201~\nrm -rf ~\u{9b}\u{202e}");
        assert_eq!(c.copied(), Copied::MadeInert);
        assert!(!c.chars().any(is_unsafe), "{}", c.as_str());
        let plain = ClipboardText::value("https://management.azure.com/");
        assert_eq!(plain.copied(), Copied::AsIs);
        let v = serde_json::json!({"k": "a\n\u{85}\u{2066}\x1b[201~"});
        let j = ClipboardText::json(&v);
        assert!(!j.chars().any(is_unsafe), "{}", j.as_str());
        assert_eq!(serde_json::from_str::<serde_json::Value>(&j).unwrap(), v);
    }

    #[test]
    fn json_stays_json_when_a_short_secret_is_a_number() {
        crate::vault::keep_header("4071");
        let shown = TerminalText::json(r#"{"status":4071,"message":"sent 4071","n":[4071]}"#);
        let v: serde_json::Value = serde_json::from_str(shown.as_str()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": "<secret removed>", "message": "sent <secret removed>", "n": ["<secret removed>"]})
        );
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(sanitize("aud\u{200b}"), "aud\\u{200b}");
        assert_eq!(exact("a\u{200d}b\u{a0}c"), "a\\u{200d}b\\u{a0}c");
        assert_eq!(sanitize_json("\"\u{e0041}\""), "\"\\udb40\\udc41\"");
    }

    #[test]
    fn markdown_fields_render_as_text() {
        assert_eq!(
            markdown_inline("a|b`c <!-- ![i](u) [l](j) &amp; # h\n"),
            "a\\|b\\`c \\<\\!-- \\!\\[i\\](u) \\[l\\](j) \\&amp; \\# h\\\\u{a}"
        );
    }

    #[test]
    fn every_format_control_is_shown() {
        for c in [
            '\u{1d173}',
            '\u{1bca0}',
            '\u{13430}',
            '\u{600}',
            '\u{110bd}',
        ] {
            assert_eq!(
                sanitize(&format!("a{c}")),
                format!("a\\u{{{:x}}}", c as u32)
            );
        }
        assert_eq!(exact("a\u{2800}"), "a\\u{2800}");
    }

    #[test]
    fn look_alikes_of_ascii_are_shown_in_exact_values() {
        assert_eq!(exact("web\u{2011}1"), "web\\u{2011}1");
        assert_eq!(exact("w\u{435}b-1"), "w\\u{435}b-1");
        assert_eq!(exact("\u{ff57}eb-1"), "\\u{ff57}eb-1");
        for lookalike in [
            "\u{217e}b-01",
            "\u{a4d3}B-01",
            "\u{257}b-01",
            "db\u{2d7}01",
            "db\u{30fc}01",
            "db-0\u{661}",
        ] {
            assert!(exact(lookalike).contains("\\u{"), "{lookalike}");
        }
        // Real names in one script, and Latin letters with accents, stay as they are.
        assert_eq!(exact("сервер-1"), "сервер-1");
        assert_eq!(exact("Zoë-München"), "Zoë-München");
    }

    #[test]
    fn cells_get_a_stand_in() {
        assert_eq!(sanitize_cell("a"), None);
        assert_eq!(sanitize_cell("\u{202e}"), Some("\u{fffd}"));
    }
}
