//! Drawing: pure functions of the state. No I/O and no clock but `App::now`, so a test can
//! freeze time and compare screens.

mod arm;
mod help;
mod log;
pub mod text;
pub mod theme;
mod token;
mod watch;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::app::{App, Focus, Mode, Tab, TAB_NAMES};
use super::keys;
use crate::token::claims;
use text::clip;
use theme::Theme;

/// Minimum clock skew worth a mention; the Date header has one-second resolution.
const SKEW_NOTICE_S: i64 = 2;
/// Cells inside the brackets of the colourless lifetime bar.
const GAUGE_ASCII_W: usize = 10;

fn screen(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The resource list and the tabbed panel, side by side.
fn split_body(app: &App, area: Rect) -> [Rect; 2] {
    let list_width = match area.width {
        0..=59 => 0,
        // The VM table needs the width more than the ARM tab needs the resource list.
        60..=99 if app.tab == Tab::Arm => 0,
        60..=99 => 24,
        _ => 32,
    };
    Layout::horizontal([Constraint::Length(list_width), Constraint::Min(10)]).areas(area)
}

/// How far the current tab's panel can scroll on a terminal of `size`, laid out as `draw` does.
/// The runner reports it after each frame so `update` can stop at the last line.
pub fn max_scroll(app: &App, size: Rect) -> u16 {
    let t = Theme::new(app.no_color);
    let [_, body, _, _] = screen(size);
    let [_, panel] = split_body(app, body);
    let inner = Block::bordered().inner(panel);
    let most = match app.tab {
        Tab::Token => token::max_scroll(app, &t, inner),
        Tab::Arm => arm::max_scroll(app, &t, inner),
        // The log follows its end and clamps itself; Watch does not scroll.
        Tab::Log | Tab::Watch => usize::from(u16::MAX),
    };
    u16::try_from(most).unwrap_or(u16::MAX)
}

/// The first line a scrolled body can start at so that its last line is still shown, given
/// `height` rows of which one becomes the position line when the body overflows.
pub(super) fn last_start(total: usize, height: usize) -> usize {
    if total <= height || height < 2 {
        0
    } else {
        total - (height - 1)
    }
}

/// A body that scrolls, with a line saying where the view is when it overflows.
pub(super) fn render_scrolled(
    app: &App,
    t: &Theme,
    f: &mut Frame,
    area: Rect,
    body: Vec<Line<'static>>,
) {
    let total = body.len();
    let height = area.height as usize;
    if total <= height || height < 2 {
        f.render_widget(Paragraph::new(body), area);
        return;
    }
    let view = height - 1;
    let start = (app.scroll as usize).min(last_start(total, height));
    let shown: Vec<Line> = body[start..start + view].to_vec();
    let [list, footer] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(shown), list);
    let where_ = format!(
        "lines {}-{} of {total} · ↑/↓ PgUp/PgDn Home/End scroll",
        start + 1,
        start + view
    );
    f.render_widget(
        Paragraph::new(clip(&where_, area.width as usize)).style(t.dim()),
        footer,
    );
}

/// Below this the panels cannot hold a line of text; say so instead of drawing them broken.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn draw(app: &App, f: &mut Frame) {
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
        return;
    }
    let [header, body, status, keybar] = screen(f.area());
    draw_header(app, &t, f, header);
    draw_body(app, &t, f, body);
    draw_status(app, &t, f, status);
    draw_keybar(app, &t, f, keybar);
    if app.mode == Mode::Help {
        help::draw(&t, f, f.area());
    }
    make_cells_inert(f);
}

/// Every cell through the one terminal sanitiser, whatever the widgets let through.
fn make_cells_inert(f: &mut Frame) {
    for cell in f.buffer_mut().content.iter_mut() {
        if let Some(stand_in) = crate::sanitize::sanitize_cell(cell.symbol()) {
            cell.set_symbol(stand_in);
        }
    }
}

fn draw_header(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let [title, who, gauge] = Layout::vertical([Constraint::Length(1); 3]).areas(area);
    let mut top = format!(" tokscope │ {} │ {}", app.flavour.name(), app.endpoint_url);
    if app.demo {
        top.push_str(" │ demo emulator");
    } else if area.width >= 100 {
        top.push_str(&format!(" │ {}", app.flavour.describe()));
    }
    f.render_widget(Paragraph::new(top).style(t.title_bar()), title);

    let mut spans = vec![
        Span::styled(" identity ", t.label()),
        Span::raw(app.identity.clone()),
    ];
    if let Some(skew) = app.current.as_ref().and_then(|c| c.skew()) {
        if skew.abs() >= SKEW_NOTICE_S {
            let dir = if skew > 0 { "ahead" } else { "behind" };
            spans.push(Span::styled(
                format!(
                    "  ! clock skew: endpoint {} {dir}",
                    claims::duration(skew.abs())
                ),
                t.warn(),
            ));
        }
    }
    spans.push(Span::styled("  resource ", t.label()));
    spans.push(Span::raw(app.resource.clone()));
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
    let Some((used, left)) = app.expiry() else {
        let (msg, style) = if app.in_flight.is_some() {
            (format!(" {name}: fetching…"), t.dim())
        } else if let Some(e) = &app.error {
            (
                format!(" {name}: fetch failed: {}", e.headline()),
                t.danger(),
            )
        } else {
            (format!(" {name}: no token yet (Enter fetches)"), t.dim())
        };
        f.render_widget(
            Paragraph::new(clip(&msg, area.width as usize)).style(style),
            area,
        );
        return;
    };
    let exp = app.current.as_ref().map(|c| c.exp()).unwrap_or(app.now);
    let label = if left <= 0 {
        format!(
            "{name}: EXPIRED {} — press r to refetch",
            claims::relative(left)
        )
    } else {
        format!(
            "{name}: expires {} at {} · {:.0}% of lifetime used",
            claims::relative(left),
            text::local_clock(app, exp),
            used * 100.0
        )
    };
    let [pad, rest] = Layout::horizontal([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let _ = pad;
    if app.no_color {
        // Without colour a gauge's fill is invisible: draw the share used in characters.
        let line = format!("{} {label}", text::ascii_bar(used, GAUGE_ASCII_W));
        let style = if left <= 0 { t.alarm() } else { t.label() };
        f.render_widget(
            Paragraph::new(clip(&line, rest.width as usize)).style(style),
            rest,
        );
        return;
    }
    let mut style = t.expiry(used, left);
    if left <= 0 {
        style = t.alarm();
    }
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

fn draw_body(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let [list, panel] = split_body(app, area);
    if list.width > 0 {
        draw_resources(app, t, f, list);
    }
    let mut title = vec![Span::raw(" ")];
    for (i, name) in TAB_NAMES.iter().enumerate() {
        let label = format!(" {} {name} ", i + 1);
        if i == app.tab.index() {
            title.push(Span::styled(
                label,
                t.selected().add_modifier(Modifier::BOLD),
            ));
        } else {
            title.push(Span::raw(label));
        }
    }
    title.push(Span::raw(" "));
    let mut block = Block::bordered().title(Line::from(title));
    if app.focus == Focus::Panel {
        block = block.border_style(t.focus_border());
    }
    let inner = block.inner(panel);
    f.render_widget(block, panel);
    match app.tab {
        Tab::Token => token::draw(app, t, f, inner),
        Tab::Watch => watch::draw(app, t, f, inner),
        Tab::Arm => arm::draw(app, t, f, inner),
        Tab::Log => log::draw(app, t, f, inner),
    }
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
                format!("{mark}{}", p.resource)
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

fn draw_status(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let line = match &app.mode {
        Mode::Input(s) => Line::from(vec![
            Span::styled(" resource: ", t.label()),
            Span::raw(format!("{s}▏")),
            Span::styled("  Enter fetches · Esc cancels", t.dim()),
        ]),
        Mode::ConfirmCopyToken => Line::from(Span::styled(
            " Send the raw token to the terminal's clipboard (OSC 52)? y: yes · any other key: no ",
            t.alarm(),
        )),
        _ => {
            if let Some(n) = app.active_note() {
                Line::from(Span::styled(format!(" {n}"), t.label()))
            } else if let Some(fl) = &app.in_flight {
                let retry = if fl.retries > 0 {
                    format!(" · retry {}", fl.retries)
                } else {
                    String::new()
                };
                Line::from(Span::styled(
                    format!(
                        " ⟳ fetching {} … {} s{retry}",
                        fl.resource,
                        app.now - fl.started
                    ),
                    t.warn(),
                ))
            } else if let Some(since) = app.arm.listing_since {
                Line::from(Span::styled(
                    format!(" ⟳ listing VMs… {} s", app.now - since),
                    t.warn(),
                ))
            } else if app.watch.on {
                Line::from(Span::styled(
                    format!(
                        " ● watching every {} s · next poll in {} s · polling {}",
                        app.watch.interval,
                        (app.watch.next_at - app.now).max(0),
                        app.watch.resource
                    ),
                    t.ok(),
                ))
            } else if app.tab == Tab::Arm {
                Line::from(Span::styled(
                    " v lists the VMs · ↑/↓ PgUp/PgDn scroll · p writes a support report",
                    t.dim(),
                ))
            } else if app.focus == Focus::Panel {
                Line::from(Span::styled(
                    " ↑/↓ PgUp/PgDn Home/End scroll · ← back to the resources · r refetches",
                    t.dim(),
                ))
            } else {
                Line::from(Span::styled(
                    " ↑/↓ choose a resource · Enter fetches · / types one · → the panel",
                    t.dim(),
                ))
            }
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_keybar(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for b in keys::bar_for(app.tab) {
        let Some(label) = b.bar else { continue };
        let key = format!(" {} ", b.keys);
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
