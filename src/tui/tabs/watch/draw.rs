//! The Watch tab: the endpoint's cache seen through repeated polls. At a glance: a sparkline
//! of latency and one of the token's remaining lifetime per poll (the refresh is where it
//! jumps back up), retries as they happen, then the polls, newest first.

use crate::tui::action::Action;
use crate::tui::keys::{key, pair};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use crate::token::claims;
use crate::tui::app::App;
use crate::tui::ui::text::{bare_clock, clip, zone_name};
use crate::tui::ui::theme::Theme;
use crate::tui::ui::PanelDrawn;
use crate::watch::{EventKind, FileEvent, PollEvent, ServiceAccountPoll};

/// Width of the label in front of a sparkline.
const SPARK_LABEL_W: u16 = 19;

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> PanelDrawn {
    let w = &app.watch;
    let has_polls = w.timeline.events().len() > 0;
    let spark_h = if has_polls && area.height >= 12 { 1 } else { 0 };
    let [status, polled, summary, latency, lifetime, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(spark_h),
        Constraint::Length(spark_h),
        Constraint::Min(1),
    ])
    .areas(area);
    let width = area.width as usize;
    let line = if let Some(r) = &w.retrying {
        Line::from(vec![
            Span::styled("↻ retrying ", t.warn().add_modifier(Modifier::BOLD)),
            Span::raw(clip(&r.describe(app.now), width.saturating_sub(11))),
        ])
    } else if w.on {
        let next = if w.polling.is_some() {
            "polling now".to_string()
        } else {
            format!("next poll in {} s", (w.next_at - app.now).max(0))
        };
        Line::from(vec![
            Span::styled("● watching ", t.ok().add_modifier(Modifier::BOLD)),
            Span::raw(clip(
                &format!(
                    "every {} s · {next} · {} change",
                    w.interval,
                    pair(&Action::IntervalLonger, &Action::IntervalShorter)
                ),
                width.saturating_sub(11),
            )),
        ])
    } else {
        Line::from(vec![
            Span::styled("○ watch off ", t.dim().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "· {} polls every {} s · {} change",
                key(&Action::ToggleWatch),
                w.interval,
                pair(&Action::IntervalLonger, &Action::IntervalShorter)
            )),
        ])
    };
    f.render_widget(Paragraph::new(line), status);
    // The resource on a line of its own: a long URI must not push the countdown off screen.
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("resource ", t.label()),
            Span::raw(crate::tui::ui::text::clip_middle(
                &w.resource,
                width.saturating_sub(9),
            )),
        ])),
        polled,
    );
    let s = w.timeline.summary();
    let sum = format!(
        "polls {} · new {} · errors {} · retries {} · p50/p95 {}/{} ms · recovered {} · max {} ms",
        s.polls,
        s.refreshes,
        s.errors,
        w.retries,
        s.latency_p50_ms,
        s.latency_p95_ms,
        w.recovered,
        s.latency_max_ms
    );
    f.render_widget(Paragraph::new(clip(&sum, width)).style(t.dim()), summary);
    if spark_h > 0 {
        let lat = latency_series(app);
        let last = format!("{} ms", lat.last().copied().unwrap_or(0));
        sparkline(t, f, latency, "latency", &last, &lat);
        let life = lifetime_series(app);
        let last =
            claims::duration(i64::try_from(life.last().copied().unwrap_or(0)).unwrap_or(i64::MAX));
        sparkline(t, f, lifetime, "life left", &last, &life);
    }
    draw_table(app, t, f, table)
}

/// Oldest first, as a sparkline reads left to right, the last `n` polls.
fn latency_series(app: &App) -> Vec<u64> {
    app.watch.timeline.events().map(|e| e.latency_ms).collect()
}

fn lifetime_series(app: &App) -> Vec<u64> {
    app.watch
        .timeline
        .events()
        // Already expired is no life left.
        .map(|e| u64::try_from(e.expires_in_s.unwrap_or(0)).unwrap_or(0))
        .collect()
}

/// How far up a sparkline's bars go: the largest value, unless one value stands far above
/// all the others (a poll that waited out retries), which would flatten every other bar.
pub fn scale(data: &[u64]) -> u64 {
    let mut sorted = data.to_vec();
    sorted.sort_unstable();
    let top = sorted.last().copied().unwrap_or(0);
    let next = sorted.iter().rev().nth(1).copied().unwrap_or(0);
    let scale = if sorted.len() >= 3 && top > OUTLIER.saturating_mul(next.max(1)) {
        next
    } else {
        top
    };
    scale.max(1)
}

/// A value more than this many times the next largest is an outlier for the scale.
const OUTLIER: u64 = 4;

/// One labelled sparkline of the last polls, scaled to its own maximum; the label says the
/// latest value in words, so nothing is read from bar heights alone.
#[allow(
    clippy::indexing_slicing,
    reason = "the start is a saturating subtraction from the length"
)]
fn sparkline(t: &Theme, f: &mut Frame, area: Rect, label: &str, last: &str, data: &[u64]) {
    let [lab, spark] =
        Layout::horizontal([Constraint::Length(SPARK_LABEL_W), Constraint::Min(1)]).areas(area);
    let shown = &data[data.len().saturating_sub(spark.width as usize)..];
    let max = scale(shown);
    // An outlier above the scale is drawn full height; the label gives values in words.
    let shown: Vec<u64> = shown.iter().map(|v| (*v).min(max)).collect();
    f.render_widget(
        Paragraph::new(clip(&format!("{label} {last}"), SPARK_LABEL_W as usize - 1))
            .style(t.label()),
        lab,
    );
    f.render_widget(
        Sparkline::default()
            .data(&shown)
            .max(max.max(1))
            .style(t.ok()),
        spark,
    );
}

fn draw_table(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> PanelDrawn {
    let w = &app.watch;
    let width = area.width as usize;
    if w.timeline.events().len() == 0 {
        f.render_widget(
            Paragraph::new(format!(
                "No polls yet. Press {} to poll the current resource.",
                key(&Action::ToggleWatch)
            ))
            .style(t.dim()),
            area,
        );
        return PanelDrawn::default();
    }
    // The fingerprint's short form fits at 80 columns; the long one when there is room.
    let fp_w = if width >= 90 { 12 } else { 8 };
    let head = format!(
        "{:<8} {:>5} {:<7} {:<fp_w$} {:<9} notes",
        zone_name(app),
        "ms",
        "token",
        if fp_w >= 12 { "fingerprint" } else { "sha256" },
        "expires"
    );
    let mut lines = vec![Line::styled(clip(&head, width), t.heading())];
    for e in w.timeline.events().rev() {
        lines.push(event_line(app, t, e, fp_w, width));
    }
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(vec![lines.remove(0)]), top);
    crate::tui::ui::render_scrolled(t, f, rest, w.scroll.offset, lines)
}

/// The token file's side of a workload-identity poll, short enough for a note.
fn service_account_note(at: i64, sa: &ServiceAccountPoll) -> String {
    let left = sa
        .expires_in_s
        .map(|s| format!(", expires in {}", claims::duration(s)))
        .unwrap_or_default();
    match (sa.event, sa.rotated_before_expiry_s) {
        (FileEvent::Rotated, Some(b)) => format!(
            "SA token rotated ★ {} before the old one's expiry{left}",
            claims::duration(b)
        ),
        (FileEvent::Rotated, None) => format!("SA token rotated ★{left}"),
        _ => match sa.rotation_due_epoch.filter(|d| *d > at) {
            Some(due) => format!("SA token{left}, rotates in {}", claims::duration(due - at)),
            None => format!("SA token{left}"),
        },
    }
}

fn event_line(app: &App, t: &Theme, e: &PollEvent, fp_w: usize, width: usize) -> Line<'static> {
    let (what, style) = match e.event {
        EventKind::Fetched => ("first", Style::new()),
        EventKind::Unchanged => ("same", Style::new()),
        EventKind::Refreshed => ("NEW ★", t.ok().add_modifier(Modifier::BOLD)),
        EventKind::Error => ("error ✗", t.danger()),
    };
    let mut notes: Vec<String> = Vec::new();
    if let Some(n) = app.watch.retries_at(e.at) {
        notes.push(format!(
            "recovered after {n} retr{}",
            if n == 1 { "y" } else { "ies" }
        ));
    }
    if let Some(b) = e.refreshed_before_expiry_s {
        notes.push(format!("refreshed {} before expiry", claims::duration(b)));
    }
    if let Some(err) = &e.error {
        notes.push(err.headline());
    }
    if let Some(sa) = &e.service_account {
        notes.push(service_account_note(e.at, sa));
    }
    notes.extend(e.warnings.iter().map(|w| format!("! {w}")));
    let expires = e
        .expires_on_epoch
        .map(|x| format!("in {}", claims::duration(x - e.at)))
        .unwrap_or_default();
    let fp = e.fingerprint.clone().unwrap_or_default();
    let fp: String = fp
        .trim_start_matches("sha256:")
        .chars()
        .take(fp_w)
        .collect();
    let lead = format!(
        "{:<8} {:>5} {:<7} {:<fp_w$} {:<9} ",
        bare_clock(app, e.at),
        e.latency_ms,
        what,
        fp,
        expires
    );
    let note_w = width.saturating_sub(lead.chars().count());
    let note_style = if e.warnings.is_empty() && e.error.is_none() {
        Style::new()
    } else {
        t.warn()
    };
    Line::from(vec![
        Span::styled(lead, style),
        Span::styled(clip(&notes.join(" · "), note_w), note_style),
    ])
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn one_outlier_does_not_set_the_scale() {
        assert_eq!(scale(&[10, 12, 11, 3004, 9]), 12);
        assert_eq!(scale(&[10, 12, 40]), 40);
        assert_eq!(scale(&[0, 5000]), 5000);
        assert_eq!(scale(&[]), 1);
    }
}
