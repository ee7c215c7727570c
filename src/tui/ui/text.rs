//! Small text helpers for the views: wrapping and times in the UI's frozen clock and zone.

use chrono::{DateTime, FixedOffset, Local, Utc};

use crate::tui::app::App;

/// Split into chunks of at most `width` characters (for tokens, ids and URLs without spaces).
pub fn wrap_chars(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

/// Wrap at spaces where possible, cutting words longer than a line.
pub fn wrap_words(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let needed = if line.is_empty() { 0 } else { 1 } + word.chars().count();
        if !line.is_empty() && line.chars().count() + needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if word.chars().count() > width {
            for chunk in wrap_chars(word, width) {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line = chunk;
            }
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cut to `width` characters, with an ellipsis when cut.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn local(app: &App, epoch: i64) -> Option<DateTime<FixedOffset>> {
    let utc = DateTime::<Utc>::from_timestamp(epoch, 0)?;
    Some(match app.local_offset {
        Some(off) => utc.with_timezone(&off),
        None => utc.with_timezone(&Local).fixed_offset(),
    })
}

/// `2026-11-24 10:00:00 +02:00` in the UI's zone.
pub fn local_datetime(app: &App, epoch: i64) -> String {
    local(app, epoch)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
        .unwrap_or_else(|| "out of range".into())
}

/// `10:00:00` in the UI's zone.
pub fn local_clock(app: &App, epoch: i64) -> String {
    local(app, epoch)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "--:--:--".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(wrap_chars("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap_words("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap_words("abcdefghij x", 4), ["abcd", "efgh", "ij x"]);
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
