//! Drawing: pure functions of the state. No I/O and no clock but `App::now`, so a test can
//! freeze time and compare screens. `draw` lays the screen out once and returns what the next
//! update needs (`Drawn`: scroll limits, what was shown).

mod help;
pub mod text;
pub mod theme;

use super::action::Action;
use super::keys::{key, Edit};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::action::Drawn;
use super::app::{App, Focus, Mode, Tab};
use super::keys;
use crate::token::claims;
use crate::verdict::{Cause, ClockRefusal, Level};
use text::{clip, clip_middle};
use theme::Theme;

/// Minimum clock skew worth a mention; the Date header has one-second resolution.
const SKEW_NOTICE_S: i64 = 2;
/// A warning verdict colours the lifetime bar as a token this close to expiry (yellow).
const VERDICT_WARN_AS_LEFT: i64 = 299;
/// Columns the header keeps for where the endpoint came from (` │ demo emulator`).
const TAIL_MIN: usize = 16;
/// Cells inside the brackets of the colourless lifetime bar.
const GAUGE_ASCII_W: usize = 10;
/// Below this width the resource list is hidden and the panel takes the keys.
pub const LIST_MIN_WIDTH: u16 = 60;

/// What a tab's draw function reports back.
#[derive(Debug, Clone, Copy, Default)]
pub struct PanelDrawn {
    pub max_scroll: usize,
    pub page: usize,
    pub first_field: Option<usize>,
}

/// The status line's rows: one, or more when a message needs them to be read whole.
fn status_rows(app: &App, width: u16) -> u16 {
    let w = (width as usize).saturating_sub(2).max(1);
    app.active_note().map_or(1, |n| {
        u16::try_from(text::wrap_text(n, w).len().clamp(1, 3)).unwrap_or(3)
    })
}

fn screen(app: &App, area: Rect) -> [Rect; 4] {
    let header = if app.zoom { 0 } else { 3 };
    let keybar = if app.zoom { 0 } else { 1 };
    Layout::vertical([
        Constraint::Length(header),
        Constraint::Min(5),
        Constraint::Length(status_rows(app, area.width)),
        Constraint::Length(keybar),
    ])
    .areas(area)
}

/// The resource list's width: a share of the terminal, enough for the longest name when
/// there is room, none when the panel needs every column.
fn list_width(app: &App, width: u16) -> u16 {
    if app.zoom || width < app.tab.module().list_min_width.max(LIST_MIN_WIDTH) {
        return 0;
    }
    let longest = app
        .resources
        .iter()
        .map(|p| {
            if p.name == "Custom" {
                p.resource.chars().count()
            } else {
                p.name.chars().count()
            }
        })
        .max()
        .unwrap_or(0);
    // Two borders, the highlight symbol, the active mark and its space.
    let longest = u16::try_from(longest).unwrap_or(u16::MAX).saturating_add(6);
    longest.clamp(24, (width / 3).max(24))
}

/// The first line a scrolled body can start at so that its last line is still shown, given
/// `height` rows of which one becomes the position line when the body overflows.
pub fn last_start(total: usize, height: usize) -> usize {
    if total <= height || height < 2 {
        0
    } else {
        total - (height - 1)
    }
}

/// A body that scrolls from `offset`, with a line saying where the view is when it overflows.
#[allow(
    clippy::indexing_slicing,
    reason = "start is at most total - view, so the window is inside the body"
)]
pub fn render_scrolled(
    t: &Theme,
    f: &mut Frame,
    area: Rect,
    offset: u16,
    body: Vec<Line<'static>>,
) -> PanelDrawn {
    let total = body.len();
    let height = area.height as usize;
    if total <= height || height < 2 {
        f.render_widget(Paragraph::new(body), area);
        return PanelDrawn {
            max_scroll: 0,
            page: height,
            first_field: None,
        };
    }
    let view = height - 1;
    let max = last_start(total, height);
    let start = (offset as usize).min(max);
    let shown: Vec<Line> = body[start..start + view].to_vec();
    let [list, footer] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(shown), list);
    let where_ = format!(
        "lines {}-{} of {total} · {} scroll",
        start + 1,
        start + view,
        super::tabs::scroll_keys()
    );
    f.render_widget(
        Paragraph::new(clip(&where_, area.width as usize)).style(t.dim()),
        footer,
    );
    PanelDrawn {
        max_scroll: max,
        page: view,
        first_field: None,
    }
}

/// Below this the panels cannot hold a line of text; say so instead of drawing them broken.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

pub fn draw(app: &App, f: &mut Frame) -> Drawn {
    let drawn = draw_screen(app, f);
    if app.ascii {
        theme::asciify(f.buffer_mut());
    }
    make_cells_inert(f, app.revealed());
    drawn
}

fn draw_screen(app: &App, f: &mut Frame) -> Drawn {
    let t = Theme::new(app.no_color);
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let mut msg = format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})");
        if msg.chars().count() > area.width as usize {
            msg = format!("too small: {MIN_WIDTH}x{MIN_HEIGHT}");
        }
        let line = Rect {
            y: area.y + area.height / 2,
            height: area.height.min(1),
            ..area
        };
        f.render_widget(
            Paragraph::new(clip(&msg, area.width as usize))
                .alignment(ratatui::layout::Alignment::Center)
                .style(t.warn()),
            line,
        );
        return Drawn {
            list_shown: false,
            ..Drawn::default()
        };
    }
    let [header, body, status, keybar] = screen(app, area);
    if header.height > 0 {
        draw_header(app, &t, f, header);
    }
    let (panel, list_shown) = draw_body(app, &t, f, body);
    draw_status(app, &t, f, status);
    if keybar.height > 0 {
        draw_keybar(app, &t, f, keybar);
    }
    let (help_max, help_page) = match app.mode {
        Mode::Help(scroll) => help::draw(&t, f, area, scroll),
        _ => (0, 0),
    };
    Drawn {
        max_scroll: to_u16(panel.max_scroll),
        page: to_u16(panel.page),
        first_field: panel.first_field.map(to_u16),
        list_shown,
        help_max: to_u16(help_max),
        help_page: to_u16(help_page),
    }
}

/// Every cell through the one terminal sanitiser, whatever the widgets let through; and every
/// row through the vault, so that a secret of this run that a claim, an error or a log line
/// echoes is masked on screen as it is in every other output (tokens stay visible only while
/// the user has revealed one).
fn make_cells_inert(f: &mut Frame, tokens_shown: bool) {
    let buffer = f.buffer_mut();
    for cell in buffer.content.iter_mut() {
        if let Some(stand_in) = crate::sanitize::sanitize_cell(cell.symbol()) {
            cell.set_symbol(stand_in);
        }
    }
    let width = usize::from(buffer.area.width).max(1);
    for row in buffer.content.chunks_mut(width) {
        mask_secrets(row, tokens_shown);
    }
}

/// What a masked cell shows.
const MASK: &str = "*";

/// Mask the cells of `row` that show a secret of this run, or a piece of one (a value clipped
/// `…` or wrapped in the middle of a secret shows only part of it).
fn mask_secrets(row: &mut [ratatui::buffer::Cell], tokens_shown: bool) {
    let mut text = String::new();
    // The byte where each cell's symbol starts in `text`.
    let mut starts = Vec::with_capacity(row.len());
    for cell in row.iter() {
        starts.push(text.len());
        text.push_str(cell.symbol());
    }
    for (from, to) in crate::vault::known_spans(&text, tokens_shown) {
        for (cell, start) in row.iter_mut().zip(&starts) {
            if (from..to).contains(start) {
                cell.set_symbol(MASK);
            }
        }
    }
}

/// The frame shown while the endpoint (with `--demo`, the emulator and its key) is being set up.
pub fn draw_starting(f: &mut Frame) {
    let t = Theme::new(true);
    let area = f.area();
    let [title, msg] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    f.render_widget(
        Paragraph::new(clip(" tokscope │ starting…", area.width as usize)).style(t.title_bar()),
        title,
    );
    f.render_widget(
        Paragraph::new(clip(
            " finding the endpoint (with --demo: starting the emulator)",
            area.width as usize,
        )),
        msg,
    );
}

fn draw_header(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let [title, who, gauge] = Layout::vertical([Constraint::Length(1); 3]).areas(area);
    let w = area.width as usize;
    let from = if app.demo {
        "demo emulator".to_string()
    } else if app.detected_from.is_empty() {
        "IMDS default".to_string()
    } else {
        format!("from {}", app.detected_from.join(", "))
    };
    let lead = format!(" tokscope │ {} │ ", app.flavour.name());
    // The endpoint before where it came from: the URL is what a reader checks.
    let url = app.endpoint_url.as_str();
    let room = w.saturating_sub(text::columns(&lead));
    let tail = format!(" │ {from}");
    // Where it came from keeps a few columns; below them it gives way altogether.
    let tail_min = text::columns(&tail).min(TAIL_MIN);
    let endpoint = text::clip_url(url, room.saturating_sub(tail_min).max(12));
    let left = room.saturating_sub(text::columns(&endpoint));
    let tail = if left >= tail_min.min(8) {
        clip(&tail, left)
    } else {
        String::new()
    };
    let top = format!("{lead}{endpoint}{tail}");
    f.render_widget(Paragraph::new(clip(&top, w)).style(t.title_bar()), title);

    // The resource first: it is what the user asked for, and must not be cut away.
    let mut spans = vec![
        Span::styled(" resource ", t.label()),
        Span::raw(clip_middle(&app.resource, w.saturating_sub(12).max(8))),
    ];
    let mut used = 10 + text::columns(&app.resource).min(w.saturating_sub(12));
    if let Some(skew) = app.current.as_ref().and_then(|c| c.skew()) {
        if skew.abs() >= SKEW_NOTICE_S {
            let dir = if skew > 0 { "ahead" } else { "behind" };
            let s = format!(
                "  ! clock skew: endpoint {} {dir}",
                claims::duration(skew.abs())
            );
            used += text::columns(&s);
            spans.push(Span::styled(s, t.warn()));
        }
    }
    // Another identity answered than the one asked for: said before anything else but the
    // resource, so it stays on screen at 80 columns.
    if let Some(m) = app.current.as_ref().and_then(|c| c.mismatch()) {
        let got = m
            .received
            .client_id
            .as_deref()
            .map_or(String::new(), |c| format!(": got {c}"));
        let s = format!("  ! IDENTITY MISMATCH{got}");
        if used < w {
            spans.push(Span::styled(clip(&s, w - used), t.danger()));
        }
        used += s.chars().count();
    }
    let who_text = format!("  identity {}", app.identity);
    if used < w {
        spans.push(Span::styled(clip(&who_text, w - used), t.label()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), who);
    draw_gauge(app, t, f, gauge);
}

fn draw_gauge(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let name = app
        .resources
        .iter()
        .find(|p| super::app::same_resource(&p.resource, &app.resource))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "Custom".into());
    let verdict = app.verdict();
    let level = verdict.as_ref().map_or(Level::Ok, |v| v.level);
    if let (Some(p), Some(v)) = (&app.pasted, &verdict) {
        // A pasted token on screen: the header says what the core thinks of it.
        let msg = format!(" pasted token {}: {}", p.fingerprint, v.headline());
        let style = match level {
            Level::Ok => t.ok(),
            Level::Warn => t.warn(),
            Level::Fail => t.alarm(),
        };
        f.render_widget(
            Paragraph::new(clip(&msg, area.width as usize)).style(style),
            area,
        );
        return;
    }
    let Some((used, left)) = app.expiry() else {
        let (msg, style) = if app.in_flight.is_some() {
            (
                format!(" {name}: fetching… ({} cancels)", key(&Action::Cancel)),
                t.dim(),
            )
        } else if let Some(e) = &app.error {
            (
                format!(" {name}: fetch failed: {}", e.headline()),
                t.danger(),
            )
        } else {
            (
                format!(
                    " {name}: no token yet ({} fetches)",
                    key(&Action::FetchSelected)
                ),
                t.dim(),
            )
        };
        f.render_widget(
            Paragraph::new(clip(&msg, area.width as usize)).style(style),
            area,
        );
        return;
    };
    let exp = app.current.as_ref().map(|c| c.exp()).unwrap_or(app.now);
    let rel = claims::relative(left);
    // The longest that fits: the countdown itself goes last, so a narrow terminal keeps it whole.
    let labels = if left <= 0 {
        // Why, as the core's verdict tells it apart: run out since, served expired, or clocks.
        let why = verdict
            .as_ref()
            .and_then(|v| v.causes.iter().find_map(expiry_why))
            .unwrap_or_else(|| "see the warnings".to_string());
        vec![
            format!("{name}: EXPIRED {rel} — {why}"),
            format!("EXPIRED {rel} — {why}"),
            format!("EXPIRED {rel}: see the warnings"),
            format!("EXPIRED {rel}"),
        ]
    } else {
        let at = text::clock(app, exp);
        let pct = used * 100.0;
        // Not OK: the level first, so a wrong audience or an unsigned token is seen at once.
        let lead = match level {
            Level::Ok => String::new(),
            other => format!("{} · ", other.label()),
        };
        vec![
            format!("{lead}{name}: expires {rel} at {at} · {pct:.0}% of lifetime used"),
            format!("{lead}{name}: expires {rel} at {at} · {pct:.0}% used"),
            format!("{lead}{name}: expires {rel} at {at}"),
            format!("{lead}expires {rel} at {at} · {pct:.0}% used"),
            format!("{lead}expires {rel} at {at}"),
            format!("{lead}expires {rel}"),
        ]
    };
    let [_, rest] = Layout::horizontal([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let plain = app.no_color || app.ascii;
    // Without colour the share used is drawn in characters before the label.
    let bar_w = if plain { GAUGE_ASCII_W + 3 } else { 0 };
    let label = text::longest_fitting(&labels, (rest.width as usize).saturating_sub(bar_w));
    if plain {
        // Without colour a gauge's fill is invisible: draw the share used in characters.
        let line = format!("{} {label}", text::ascii_bar(used, GAUGE_ASCII_W));
        let style = if left <= 0 || level == Level::Fail {
            t.alarm()
        } else {
            t.label()
        };
        f.render_widget(
            Paragraph::new(clip(&line, rest.width as usize)).style(style),
            rest,
        );
        return;
    }
    // The colour follows the verdict first, then the time left.
    let style = match level {
        _ if left <= 0 => t.alarm(),
        Level::Fail => t.alarm(),
        Level::Warn => t.expiry(used, left.min(VERDICT_WARN_AS_LEFT)),
        Level::Ok => t.expiry(used, left),
    };
    let gauge = Gauge::default()
        .ratio(used)
        .label(Span::styled(
            clip(&label, rest.width as usize),
            ratatui::style::Style::new().add_modifier(Modifier::BOLD),
        ))
        .gauge_style(style)
        .use_unicode(true);
    f.render_widget(gauge, rest);
}

/// The expiry cause in the few words the header has room for.
fn expiry_why(c: &Cause) -> Option<String> {
    match c {
        Cause::ExpiredSinceFetch { .. } => Some(format!(
            "it ran out after it was fetched: {} fetches a new one",
            key(&Action::Refetch)
        )),
        Cause::ServedExpired { .. } => {
            Some("the endpoint served it expired: a stale cache there".to_string())
        }
        Cause::Clock {
            skew_s,
            refusal: Some(ClockRefusal::Expired { .. }),
        } => Some(format!(
            "by this machine's clock only, {} off the endpoint's",
            claims::duration(skew_s.saturating_abs())
        )),
        _ => None,
    }
}

fn draw_body(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> (PanelDrawn, bool) {
    let lw = list_width(app, area.width);
    let [list, panel] =
        Layout::horizontal([Constraint::Length(lw), Constraint::Min(10)]).areas(area);
    if list.width > 0 {
        draw_resources(app, t, f, list);
    }
    let inner = if app.zoom {
        // Borderless, so a mouse selection takes values and nothing else.
        panel
    } else {
        let mut title = vec![Span::raw(" ")];
        for (i, tab) in Tab::ALL.iter().enumerate() {
            let name = tab.name();
            if *tab == app.tab {
                title.push(Span::styled(
                    format!("[{} {name}]", i + 1),
                    t.selected().add_modifier(Modifier::BOLD),
                ));
            } else {
                title.push(Span::raw(format!(" {} {name} ", i + 1)));
            }
        }
        title.push(Span::raw(" "));
        let mut block = Block::bordered().title(Line::from(title));
        if app.focus == Focus::Panel {
            block = block.border_style(t.focus_border());
        }
        let inner = block.inner(panel);
        f.render_widget(block, panel);
        inner
    };
    let drawn = (app.tab.module().draw)(app, t, f, inner);
    (drawn, list.width > 0)
}

fn draw_resources(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4) as usize;
    let items: Vec<ListItem> = app
        .resources
        .iter()
        .map(|p| {
            let active = super::app::same_resource(&p.resource, &app.resource);
            let mark = if active { "● " } else { "  " };
            let name = if p.name == "Custom" {
                format!(
                    "{mark}{}",
                    clip_middle(&p.resource, width.saturating_sub(2))
                )
            } else {
                format!("{mark}{}", p.name)
            };
            ListItem::new(clip(&name, width))
        })
        .collect();
    let mut block = Block::bordered().title(" Resources ");
    if app.focus == Focus::Resources {
        block = block.border_style(t.focus_border());
    }
    let list = List::new(items)
        .block(block)
        .highlight_style(t.selected())
        .highlight_symbol("▸");
    let mut state = ListState::default().with_selected(Some(app.selected));
    f.render_stateful_widget(list, area, &mut state);
}

/// The prompt: a masked line when it holds a token, else the editor's view with a cursor.
#[allow(
    clippy::indexing_slicing,
    reason = "the column is clamped to the length"
)]
fn prompt_line(t: &Theme, editor: &super::editor::LineEditor, width: usize) -> Line<'static> {
    let label = " resource or token: ";
    let help = format!(
        "  {} · {}",
        keys::edit_key(Edit::Submit),
        keys::edit_key(Edit::Cancel)
    );
    if super::app::looks_like_jwt(&editor.text()) {
        return Line::from(vec![
            Span::styled(label, t.label()),
            Span::styled(
                format!(
                    "‹a token, {} chars, hidden› {} decodes it here · {}",
                    editor.len(),
                    keys::edit_key(Edit::Submit),
                    keys::edit_key(Edit::Cancel)
                ),
                t.warn(),
            ),
        ]);
    }
    let room = width.saturating_sub(label.len() + help.len()).max(4);
    let (shown, col) = editor.view(room);
    let chars: Vec<char> = shown.chars().collect();
    let before: String = chars[..col.min(chars.len())].iter().collect();
    let at: String = chars.get(col).map_or(" ".to_string(), |c| c.to_string());
    let after: String = chars
        .get(col + 1..)
        .map_or(String::new(), |s| s.iter().collect());
    Line::from(vec![
        Span::styled(label, t.label()),
        Span::raw(before),
        Span::styled(at, t.selected()),
        Span::raw(after),
        Span::styled(help, t.dim()),
    ])
}

fn draw_status(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let w = area.width as usize;
    let line = match &app.mode {
        Mode::Input(editor) => prompt_line(t, editor, w),
        Mode::Confirm(c) => Line::from(Span::styled(clip(&c.prompt(), w), t.alarm())),
        _ => {
            if let Some(n) = app.active_note() {
                // A message is shown whole, over as many rows as it needs.
                let lines: Vec<Line> = text::wrap_text(n, w.saturating_sub(2).max(1))
                    .into_iter()
                    .map(|l| Line::styled(format!(" {l}"), t.label()))
                    .collect();
                f.render_widget(Paragraph::new(lines), area);
                return;
            } else if let Some(fl) = &app.in_flight {
                let retry = match fl.last_retry {
                    Some((status, wait)) => format!(
                        " · retry {} after {}, next in {wait:.0} s",
                        fl.retries,
                        status.map_or("no answer".to_string(), |s| format!("HTTP {s}"))
                    ),
                    None => String::new(),
                };
                Line::from(Span::styled(
                    clip(
                        &format!(
                            " ⟳ fetching {} … {} s{retry} · {} cancels",
                            fl.resource,
                            app.now - fl.started,
                            key(&Action::Cancel)
                        ),
                        w,
                    ),
                    t.warn(),
                ))
            } else if let Some(since) = app.arm.listing_since {
                Line::from(Span::styled(
                    format!(" ⟳ listing VMs… {} s", app.now - since),
                    t.warn(),
                ))
            } else if app.watch.on {
                // While a poll retries, say so: its next try is what the user waits for.
                let (next, style) = match &app.watch.retrying {
                    Some(r) => (r.describe(app.now), t.warn()),
                    None if app.watch.polling.is_some() => ("polling now".to_string(), t.ok()),
                    None => (
                        format!("next poll in {} s", (app.watch.next_at - app.now).max(0)),
                        t.ok(),
                    ),
                };
                Line::from(Span::styled(
                    clip(
                        &format!(
                            " ● watching every {} s · {next} · {}",
                            app.watch.interval, app.watch.resource
                        ),
                        w,
                    ),
                    style,
                ))
            } else if app.pasted.is_some() {
                Line::from(Span::styled(
                    format!(
                        " a pasted token, decoded here only · {} closes it · {} fetches again",
                        key(&Action::Cancel),
                        key(&Action::Refetch)
                    ),
                    t.dim(),
                ))
            } else if app.focus == Focus::Resources && app.tab.module().list_takes_keys {
                Line::from(Span::styled(super::tabs::resources_hint(), t.dim()))
            } else {
                Line::from(Span::styled((app.tab.module().hint)(app), t.dim()))
            }
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_keybar(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (b, label) in keys::bar_for(app.tab) {
        let key = format!(" {} ", b.bar_key());
        let what = format!(" {label} ");
        let w = key.chars().count() + what.chars().count();
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::raw(what));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::widgets::Paragraph;

    /// Whatever a widget draws, eight characters of a token's signature in a row are masked,
    /// unless the token is being shown; the start every JWT shares is not.
    #[test]
    fn a_piece_of_a_signature_is_masked_by_the_frame_gate() {
        let signature = "Zq8vRk2LmN4pXw7TyB3cDf6GhJ9sKa1U";
        let token = format!("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.{signature}");
        let _held = crate::vault::keep_token(&token, &[signature], None);
        let line = format!("claim … {} and eyJ0eXAiOiJKV1Qi", &signature[5..17]);
        let screen = |shown: bool| {
            let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 1)).unwrap();
            terminal
                .draw(|f| {
                    f.render_widget(Paragraph::new(line.as_str()), f.area());
                    make_cells_inert(f, shown);
                })
                .unwrap();
            let buffer = terminal.backend().buffer();
            buffer
                .content
                .iter()
                .map(|c| c.symbol())
                .collect::<String>()
        };
        let hidden = screen(false);
        assert!(!hidden.contains(&signature[5..13]), "{hidden}");
        assert!(hidden.contains("********"), "{hidden}");
        assert!(hidden.contains("eyJ0eXAiOiJKV1Qi"), "{hidden}");
        assert!(screen(true).contains(&signature[5..17]));
    }
}
