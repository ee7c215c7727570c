//! Which characters a terminal takes: the one place that decides when tokscope writes plain
//! ASCII instead of `—`, `·`, `→` and box-drawing glyphs. A locale that is not UTF-8
//! (`LANG=C`, `LC_ALL=POSIX`, `LANG=en_US.ISO-8859-1`) gets ASCII from the plain commands and
//! the terminal UI alike; an old terminal type (`dumb`, `linux`, `vt100`) gets it in the UI.
//! No locale set at all counts as UTF-8, as every current terminal is.

use std::borrow::Cow;
use std::sync::OnceLock;

/// Whether the terminal wants plain ASCII: a console or terminal type without the glyphs
/// (`dumb`, `linux`, `vt100`…), or a locale that is not UTF-8.
pub fn wants_ascii(term: Option<&str>, locale: Option<&str>) -> bool {
    let term = term.unwrap_or("").to_ascii_lowercase();
    let old_term = term == "dumb" || term == "linux" || term.starts_with("vt") || term == "ansi";
    let utf8 = locale.is_none_or(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("utf-8") || l.contains("utf8")
    });
    old_term || !utf8
}

/// The ASCII stand-in for a glyph the UI draws; `?` for anything else outside ASCII.
pub fn ascii_glyph(c: char) -> char {
    match c {
        '─' | '━' | '—' | '–' | '·' => '-',
        '│' | '┃' | '▏' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' => {
            '+'
        }
        '…' => '~',
        '▸' | '→' => '>',
        '←' => '<',
        '↑' => '^',
        '↓' => 'v',
        '●' | '★' => '*',
        '○' => 'o',
        '⚠' => '!',
        '⟳' | '↻' => '@',
        '✗' => 'x',
        '✓' => '+',
        '▁' | '▂' => '.',
        '▃' | '▄' => ':',
        '▅' | '▆' => '|',
        '▇' | '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' => '#',
        '×' => 'x',
        c if c.is_ascii() => c,
        _ => '?',
    }
}

/// The locale that decides the character set, as the C library reads it: `LC_ALL`, else
/// `LC_CTYPE`, else `LANG`, the first one set and not empty.
pub fn locale_from_env() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    var("LC_ALL")
        .or_else(|| var("LC_CTYPE"))
        .or_else(|| var("LANG"))
}

/// Whether the plain commands write ASCII only: the locale says the terminal is not UTF-8.
/// Read once per process.
pub fn plain_ascii() -> bool {
    static ASCII: OnceLock<bool> = OnceLock::new();
    *ASCII.get_or_init(|| wants_ascii(None, locale_from_env().as_deref()))
}

/// `text` with every character outside ASCII replaced by its stand-in ([`ascii_glyph`]).
pub fn ascii_text(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(ascii_glyph).collect())
}

/// A JSON document with every character outside ASCII written as a `\uXXXX` escape: the same
/// document, readable by any JSON parser, in ASCII. Outside ASCII, JSON has characters only
/// inside strings, where the escape means the character itself.
pub fn ascii_json(json: &str) -> Cow<'_, str> {
    if json.is_ascii() {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_gets_stand_ins_and_json_gets_escapes() {
        assert_eq!(
            ascii_text("imds — IMDS · in 2m → ok"),
            "imds - IMDS - in 2m > ok"
        );
        let doc = r#"{"name":"José 😀","x":"—"}"#;
        let ascii = ascii_json(doc);
        assert!(ascii.is_ascii(), "{ascii}");
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(doc).unwrap()
        );
    }
}
