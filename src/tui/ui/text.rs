//! Small text helpers for the views: wrapping (shared with the CLI), clipping, and times in
//! the UI's frozen clock and chosen zone, always labelled.

use chrono::{DateTime, FixedOffset, Local, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::text::LongWords;
use crate::tui::app::App;

pub use crate::text::{wrap_chars, wrap_words};

/// `[####......]` for a share of 0.0 to 1.0, `width` cells between the brackets.
pub fn ascii_bar(share: f64, width: usize) -> String {
    let share = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "share is within 0..=1, so the rounded product is within 0..=width"
    )]
    let filled = ((share * width as f64).round() as usize).min(width);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

// Text from outside reaches the screen fitted by `clip`, `clip_middle`, `wrap_value` or
// `wrap_text`: each first removes the run's secrets (the vault), before a cut could leave a piece
// of one that no later check recognises (a token's signature cut in the middle). The frame's own
// gate (`ui::make_cells_inert`) then checks every row of cells. The revealed token is drawn with
// `wrap_chars`, on purpose.

/// The first of `candidates` (longest first) that fits in `width` columns, else the last cut.
pub fn longest_fitting(candidates: &[String], width: usize) -> String {
    candidates
        .iter()
        .find(|c| columns(c) <= width)
        .or(candidates.last())
        .map(|c| clip(c, width))
        .unwrap_or_default()
}

/// Display columns of `s`: a CJK character takes two, a combining mark none.
pub fn columns(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_columns(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cut to `width` columns, with an ellipsis when cut.
pub fn clip(s: &str, width: usize) -> String {
    let s = crate::vault::redact_known(s);
    if columns(&s) <= width {
        return s;
    }
    let mut out = take_columns(s.chars(), width.saturating_sub(1));
    if width > 0 {
        out.push('…');
    }
    out
}

/// The characters from `chars` that fit in `width` columns.
fn take_columns(chars: impl Iterator<Item = char>, width: usize) -> String {
    let mut used = 0;
    chars
        .take_while(|c| {
            used += char_columns(*c);
            used <= width
        })
        .collect()
}

/// `s` padded with spaces to `width` columns (`format!`'s padding counts characters).
pub fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(columns(s))))
}

/// Cut to `width` characters keeping both ends: a URL keeps its host and its last segment.
#[allow(
    clippy::indexing_slicing,
    reason = "head + tail < n, both within the text"
)]
pub fn clip_middle(s: &str, width: usize) -> String {
    let s = crate::vault::redact_known(s);
    if columns(&s) <= width {
        return s;
    }
    if width < 5 {
        return clip(&s, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out = take_columns(s.chars(), head);
    out.push('…');
    let end: String = take_columns(s.chars().rev(), tail);
    out.extend(end.chars().rev());
    out
}

/// A URL cut to `width` columns so that it stays readable: the scheme goes first, then the
/// middle of the path, keeping the host and port and the path's last segments whole.
pub fn clip_url(url: &str, width: usize) -> String {
    let url = crate::vault::redact_known(url);
    if columns(&url) <= width {
        return url;
    }
    let bare = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    if columns(bare) <= width {
        return bare.to_string();
    }
    let Some((host, path)) = bare.split_once('/') else {
        return clip_middle(bare, width);
    };
    // host/…/last/segments: as many whole segments from the end as fit.
    let room = width.saturating_sub(columns(host) + 2);
    let mut tail = String::new();
    for seg in path.rsplit('/') {
        let next = format!("/{seg}{tail}");
        if columns(&next) > room {
            break;
        }
        tail = next;
    }
    if tail.is_empty() {
        return clip_middle(bare, width);
    }
    format!("{host}/…{tail}")
}

/// Split a long value (a GUID, a URL, a resource id) into lines of at most `width`, at `/`,
/// `?`, `&` or else `-` boundaries where it can, so every piece can be selected whole.
#[allow(
    clippy::indexing_slicing,
    reason = "the loop keeps start + width within the text"
)]
pub fn wrap_value(s: &str, width: usize) -> Vec<String> {
    let s = crate::vault::redact_known(s);
    let width = width.max(1);
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        // Path and query separators first: a date in a query (2021-07-01) stays whole.
        let at = |set: &[char]| {
            window
                .iter()
                .rposition(|c| set.contains(c))
                .filter(|p| *p >= width / 3)
        };
        let cut = at(&['/', '?', '&'])
            .or_else(|| at(&['-']))
            .map_or(width, |p| p + 1);
        out.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    out.push(chars[start..].iter().collect());
    out
}

/// Wrap text at spaces, and any word longer than a line at `-` or `/`.
pub fn wrap_text(s: &str, width: usize) -> Vec<String> {
    let s = crate::vault::redact_known(s);
    let mut out = Vec::new();
    for line in wrap_words(&s, width, LongWords::Keep) {
        if line.chars().count() > width {
            out.extend(wrap_value(&line, width));
        } else {
            out.push(line);
        }
    }
    out
}

/// `label     value` with the label in a column `label_w` wide, a long value wrapped at `-`
/// and `/` under itself.
pub fn labelled(
    t: &super::theme::Theme,
    label: &str,
    value: &str,
    width: usize,
    label_w: usize,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::{Line, Span};
    wrap_text(value, width.saturating_sub(label_w))
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let lead = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(format!("{lead:<label_w$}"), t.label()),
                Span::raw(v),
            ])
        })
        .collect()
}

fn local(app: &App, epoch: i64) -> Option<DateTime<FixedOffset>> {
    let utc = DateTime::<Utc>::from_timestamp(epoch, 0)?;
    Some(if app.utc {
        utc.fixed_offset()
    } else {
        match app.local_offset {
            Some(off) => utc.with_timezone(&off),
            None => utc.with_timezone(&Local).fixed_offset(),
        }
    })
}

fn zone(app: &App) -> &'static str {
    if app.utc {
        "UTC"
    } else {
        "local"
    }
}

/// `2026-11-24 10:00:00 UTC` (or `… local`) in the UI's chosen zone.
pub fn datetime(app: &App, epoch: i64) -> String {
    local(app, epoch)
        .map(|t| format!("{} {}", t.format("%Y-%m-%d %H:%M:%S"), zone(app)))
        .unwrap_or_else(|| "out of range".into())
}

/// `10:00:00 UTC` (or `… local`) in the UI's chosen zone.
pub fn clock(app: &App, epoch: i64) -> String {
    local(app, epoch)
        .map(|t| format!("{} {}", t.format("%H:%M:%S"), zone(app)))
        .unwrap_or_else(|| "--:--:--".into())
}

/// `10:00:00` for tables whose heading names the zone.
pub fn bare_clock(app: &App, epoch: i64) -> String {
    local(app, epoch)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "--:--:--".into())
}

pub fn zone_name(app: &App) -> &'static str {
    zone(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip_middle("http://host/a/b/token", 12), "http:/…token");
        // Measured in columns: each of these takes two.
        assert_eq!(clip("日本語のテキスト", 7), "日本語…");
        assert_eq!(columns(&clip_middle("日本語のテキストです", 9)), 9);
        assert_eq!(pad("名前", 6), "名前  ");
        let imds = "http://127.0.0.1:50342/metadata/identity/oauth2/token";
        assert_eq!(clip_url(imds, 60), imds);
        assert_eq!(
            clip_url(imds, 46),
            "127.0.0.1:50342/metadata/identity/oauth2/token"
        );
        assert_eq!(
            clip_url(imds, 40),
            "127.0.0.1:50342/…/identity/oauth2/token"
        );
        assert_eq!(clip_url(imds, 30), "127.0.0.1:50342/…/oauth2/token");
    }

    #[test]
    fn long_values_wrap_at_dashes_and_slashes() {
        assert_eq!(
            wrap_value("/subscriptions/aaaa-bbbb/resourcegroups/rg", 20),
            ["/subscriptions/", "aaaa-bbbb/", "resourcegroups/rg"]
        );
        assert_eq!(wrap_value("abcdefgh", 3), ["abc", "def", "gh"]);
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
