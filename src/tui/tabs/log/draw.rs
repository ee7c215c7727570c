//! The Log tab: what happened, oldest first and newest at the bottom, opening on the newest.
//! Never the token.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::app::{App, LogLevel};
use crate::tui::keys::key;
use crate::tui::tabs::log::LogFilter;
use crate::tui::ui::text::{bare_clock, wrap_text, zone_name};
use crate::tui::ui::theme::Theme;
use crate::tui::ui::PanelDrawn;

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> PanelDrawn {
    let text_w = (area.width as usize).saturating_sub(15).max(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for l in app.log.shown() {
        let (tag, style) = match l.level {
            LogLevel::Info => ("info ", t.dim()),
            LogLevel::Warn => ("warn ", t.warn()),
            LogLevel::Error => ("error", t.danger()),
        };
        for (i, part) in wrap_text(&l.text, text_w).into_iter().enumerate() {
            let lead = if i == 0 {
                format!("{} ", bare_clock(app, l.at))
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
    let filter = app.log.filter;
    if lines.is_empty() {
        let none = if filter == LogFilter::All {
            "Nothing has happened yet.".to_string()
        } else {
            format!(
                "No {} yet ({} shows more).",
                filter.describe().trim_end_matches(" only"),
                key(&Action::LogFilter)
            )
        };
        lines.push(Line::styled(none, t.dim()));
    } else {
        lines.insert(
            0,
            Line::styled(
                format!(
                    "times in {}, oldest first · {} ({} changes)",
                    zone_name(app),
                    filter.describe(),
                    key(&Action::LogFilter)
                ),
                t.dim(),
            ),
        );
    }
    crate::tui::ui::render_scrolled(t, f, area, app.log.scroll.offset, lines)
}
