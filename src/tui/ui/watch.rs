//! The Watch tab: the endpoint's cache seen through repeated polls.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::text::{clip, local_clock, wrap_words};
use super::theme::Theme;
use crate::text::LongWords;
use crate::token::claims;
use crate::tui::app::App;
use crate::watch::{EventKind, PollEvent};

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let [status, polled, summary, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let w = &app.watch;
    let line = if w.on {
        Line::from(vec![
            Span::styled("● watching ", t.ok().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "every {} s · next poll in {} s · +/- change",
                w.interval,
                (w.next_at - app.now).max(0)
            )),
        ])
    } else {
        Line::from(vec![
            Span::styled("○ watch off ", t.dim().add_modifier(Modifier::BOLD)),
            Span::raw(format!("· w polls every {} s · +/- change", w.interval)),
        ])
    };
    f.render_widget(Paragraph::new(line), status);
    // The resource on a line of its own: a long URI must not push the countdown off screen.
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("resource ", t.label()),
            Span::raw(clip(&w.resource, (polled.width as usize).saturating_sub(9))),
        ])),
        polled,
    );
    let s = w.timeline.summary();
    let sum = format!(
        "polls {} · refreshes {} · errors {} · latency p50 {} ms, p95 {} ms, max {} ms",
        s.polls, s.refreshes, s.errors, s.latency_p50_ms, s.latency_p95_ms, s.latency_max_ms
    );
    f.render_widget(
        Paragraph::new(clip(&sum, summary.width as usize)).style(t.dim()),
        summary,
    );

    let wide = area.width >= 80;
    let mut header = vec!["time", "ms", "token"];
    if wide {
        header.push("fingerprint");
    }
    header.extend(["expires", "notes"]);

    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(5),
    ];
    if wide {
        widths.push(Constraint::Length(19));
    }
    widths.extend([Constraint::Length(10), Constraint::Min(10)]);
    let notes_w = area
        .width
        .saturating_sub(widths.iter().take(widths.len() - 1).map(len).sum::<u16>())
        .saturating_sub(widths.len() as u16) as usize;
    let rows: Vec<Row> = w
        .timeline
        .events()
        .rev()
        .skip(app.scroll as usize)
        .map(|e| event_row(app, t, e, wide, notes_w))
        .collect();
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new("No polls yet. Press w to poll the current resource.").style(t.dim()),
            table,
        );
        return;
    }
    let head = Row::new(header).style(t.heading());
    f.render_widget(
        Table::new(rows, widths).header(head).column_spacing(1),
        table,
    );
}

fn len(c: &Constraint) -> u16 {
    match c {
        Constraint::Length(n) => *n,
        _ => 0,
    }
}

fn event_row<'a>(app: &App, t: &Theme, e: &PollEvent, wide: bool, notes_w: usize) -> Row<'a> {
    let (what, style) = match e.event {
        EventKind::Fetched => ("first", Style::new()),
        EventKind::Unchanged => ("same", Style::new()),
        EventKind::Refreshed => ("NEW ★", t.ok().add_modifier(Modifier::BOLD)),
        EventKind::Error => ("error", t.danger()),
    };
    let mut notes: Vec<String> = Vec::new();
    if let Some(b) = e.refreshed_before_expiry_s {
        notes.push(format!("refreshed {b} s before expiry"));
    }
    if let Some(err) = &e.error {
        notes.push(err.headline());
    }
    notes.extend(e.warnings.iter().map(|w| format!("! {w}")));
    let expires = e
        .expires_on_epoch
        .map(|x| format!("in {}", claims::duration(x - e.at)))
        .unwrap_or_default();
    let mut cells = vec![
        Cell::from(local_clock(app, e.at)),
        Cell::from(format!("{:>5}", e.latency_ms)),
        Cell::from(what),
    ];
    if wide {
        cells.push(Cell::from(e.fingerprint.clone().unwrap_or_default()));
    }
    cells.push(Cell::from(expires));
    let note_style = if e.warnings.is_empty() {
        Style::new()
    } else {
        t.warn()
    };
    // Long notes (a refresh, an error) wrap onto a few lines rather than lose their end.
    let mut lines = wrap_words(&notes.join(" · "), notes_w, LongWords::Cut);
    if lines.len() > 3 {
        lines.truncate(3);
        lines[2] = clip(&format!("{}…", lines[2]), notes_w);
    }
    let height = lines.len().max(1) as u16;
    cells.push(Cell::from(lines.join("\n")).style(note_style));
    Row::new(cells).style(style).height(height)
}
