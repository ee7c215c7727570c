//! The `?` overlay: every binding, from the same tables that map the keys. It scrolls when
//! the terminal is shorter than the list.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use super::text::clip;
use super::theme::Theme;
use crate::tui::action::Action;
use crate::tui::keys::key;
use crate::tui::keys::{Binding, Confirm, BINDINGS, EDITOR};

fn rows<C>(t: &Theme, table: &[Binding<C>], out: &mut Vec<Line<'static>>) {
    for b in table.iter().filter(|b| !b.what.is_empty()) {
        out.push(Line::from(vec![
            Span::styled(format!(" {:<18} ", b.shown), t.label()),
            Span::raw(b.what),
        ]));
    }
}

/// What the marks on screen mean.
const MARKS: [(&str, &str); 3] = [
    (
        "▸ in Resources",
        "the highlighted resource: Enter fetches it",
    ),
    ("●", "the resource whose token is shown"),
    ("▸ in the claims", "the selected claim: c copies its value"),
];

/// Every line of help, in order.
pub fn lines(t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    rows(t, BINDINGS, &mut out);
    out.push(Line::raw(""));
    out.push(Line::styled(" In the / prompt", t.heading()));
    rows(t, EDITOR, &mut out);
    out.push(Line::raw(""));
    out.push(Line::styled(" Marks", t.heading()));
    for (mark, what) in MARKS {
        out.push(Line::from(vec![
            Span::styled(format!(" {mark:<18} "), t.label()),
            Span::raw(what),
        ]));
    }
    for c in [Confirm::Reveal, Confirm::CopyToken] {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!(" When {} asks: {}", c.asked_by(), c.question()),
            t.heading(),
        ));
        rows(t, c.keys(), &mut out);
        out.push(Line::from(vec![
            Span::styled(format!(" {:<18} ", "any other key"), t.label()),
            Span::raw("no"),
        ]));
    }
    out
}

/// Draw the overlay scrolled by `scroll`; returns how far it can scroll and its rows (a page).
pub fn draw(t: &Theme, f: &mut Frame, area: Rect, scroll: u16) -> (usize, usize) {
    let all = lines(t);
    let popup = centered(
        area,
        76,
        u16::try_from(all.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2),
    );
    let inner_h = popup.height.saturating_sub(2) as usize;
    let max = all.len().saturating_sub(inner_h);
    let start = (scroll as usize).min(max);
    let close = format!("{}/{}", key(&Action::Quit), key(&Action::Cancel));
    f.render_widget(Clear, popup);
    let title = if max > 0 {
        format!(
            " Keys {}-{} of {} · {} scroll · {close} close ",
            start + 1,
            (start + inner_h).min(all.len()),
            all.len(),
            crate::tui::tabs::scroll_keys_short(),
        )
    } else {
        format!(" Keys · {close} close ")
    };
    let block = Block::bordered()
        .title(clip(&title, popup.width.saturating_sub(2) as usize))
        .border_style(t.focus_border());
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let shown: Vec<Line> = all.into_iter().skip(start).collect();
    f.render_widget(Paragraph::new(shown), inner);
    (max, inner_h)
}
