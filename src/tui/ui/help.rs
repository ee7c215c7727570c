//! The `?` overlay: every binding, from the same table as the key bar.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use super::theme::Theme;
use crate::tui::keys::BINDINGS;

pub fn draw(t: &Theme, f: &mut Frame, area: Rect) {
    let lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<10} ", b.keys), t.label()),
                Span::raw(b.what),
            ])
        })
        .collect();
    let h = lines.len() as u16 + 2;
    let popup = centered(area, 60, h);
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys ")
                .border_style(t.focus_border()),
        ),
        popup,
    );
}
