//! Small text helpers for the views: wrapping (shared with the CLI), clipping and times in the UI's frozen clock and zone.

use chrono::{DateTime, FixedOffset, Local, Utc};

use crate::tui::app::App;

pub use crate::text::{wrap_chars, wrap_words};

/// Cut to `width` characters, with an ellipsis when cut.
/// `[####......]` for a share of 0.0 to 1.0, `width` cells between the brackets.
pub fn ascii_bar(share: f64, width: usize) -> String {
    let share = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = ((share * width as f64).round() as usize).min(width);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

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
    fn clips_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn ascii_bar_fills_by_share() {
        assert_eq!(ascii_bar(0.0, 10), "[..........]");
        assert_eq!(ascii_bar(0.4, 10), "[####......]");
        assert_eq!(ascii_bar(1.0, 10), "[##########]");
        assert_eq!(ascii_bar(7.0, 4), "[####]");
        assert_eq!(ascii_bar(f64::NAN, 4), "[....]");
    }
}
