//! The Log tab: what happened, newest at the bottom. Never the token.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::{local_clock, wrap_words};
use super::theme::Theme;
use crate::text::LongWords;
use crate::tui::app::{App, LogLevel};

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let text_w = (area.width as usize).saturating_sub(15);
    let mut lines: Vec<Line> = Vec::new();
    for l in &app.log {
        let (tag, style) = match l.level {
            LogLevel::Info => ("info ", t.dim()),
            LogLevel::Warn => ("warn ", t.warn()),
            LogLevel::Error => ("error", t.danger()),
        };
        for (i, part) in wrap_words(&l.text, text_w, LongWords::Cut)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 {
                format!("{} ", local_clock(app, l.at))
            } else {
                " ".repeat(9)
            };
            let tag = if i == 0 { tag } else { "     " };
            lines.push(Line::from(vec![
                Span::styled(lead, t.dim()),
                Span::styled(format!("{tag} "), style),
                Span::raw(part),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("Nothing has happened yet.", t.dim()));
    }
    // Follow the end; scrolling moves back in time.
    let height = area.height as usize;
    let end = lines
        .len()
        .saturating_sub(app.scroll as usize)
        .max(height.min(lines.len()));
    let start = end.saturating_sub(height);
    let shown: Vec<Line> = lines[start..end].to_vec();
    f.render_widget(Paragraph::new(shown), area);
}
