//! The Token tab: what the endpoint said, the token's header and claims with what each means.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use serde_json::Value;

use super::text::{local_datetime, wrap_chars, wrap_words};
use super::theme::Theme;
use crate::error::Error;
use crate::text::LongWords;
use crate::token::claims::{self, TIME_CLAIMS};
use crate::tui::app::{App, Current};

/// Width of the name column.
const NAME_W: usize = 10;
/// Between a value and its explanation: a value wrapped at full width (a URI cut mid-way)
/// would otherwise read straight into the explanation.
const COLUMN_GAP: &str = " │ ";

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let (banner, body) = split(app, area);
    if banner.height > 0 {
        f.render_widget(
            Paragraph::new(" ⚠ TOKEN VISIBLE — stop screen sharing (s hides it)").style(t.alarm()),
            banner,
        );
    }
    super::render_scrolled(app, t, f, body, content(app, t, body.width as usize));
}

pub fn max_scroll(app: &App, t: &Theme, area: Rect) -> usize {
    let (_, body) = split(app, area);
    let total = content(app, t, body.width as usize).len();
    super::last_start(total, body.height as usize)
}

/// The reveal banner (empty when hidden) and the scrolling body.
fn split(app: &App, area: Rect) -> (Rect, Rect) {
    let banner = u16::from(app.reveal && app.current.is_some());
    let [top, rest] =
        Layout::vertical([Constraint::Length(banner), Constraint::Min(1)]).areas(area);
    (top, rest)
}

fn content(app: &App, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(e) = &app.error {
        lines.extend(error_lines(e, "fetch", t, width));
        lines.push(Line::raw(""));
    }
    match &app.current {
        Some(c) => lines.extend(token_lines(app, c, t, width)),
        None if app.in_flight.is_some() => lines.push(Line::styled(
            format!("fetching {} …", app.resource),
            t.dim(),
        )),
        None if app.error.is_none() => lines.push(Line::styled(
            "No token yet. Choose a resource and press Enter, or type one with /.",
            t.dim(),
        )),
        None => {}
    }
    lines
}

/// An endpoint error, in place: kind, status, the service's code and message, ids, and the hint.
pub fn error_lines(e: &Error, what: &str, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let head = format!("✗ {what} failed: {}", e.headline());
    let mut lines = Vec::new();
    for (i, l) in wrap_words(&head, width.saturating_sub(2), LongWords::Cut)
        .into_iter()
        .enumerate()
    {
        let indent = if i == 0 { "" } else { "  " };
        lines.push(Line::styled(format!("{indent}{l}"), t.danger()));
    }
    for (k, v) in &e.request_ids {
        lines.push(Line::styled(format!("  {k}:"), t.label()));
        for l in wrap_chars(v, width.saturating_sub(4)) {
            lines.push(Line::raw(format!("    {l}")));
        }
    }
    for (i, l) in wrap_words(&e.hint, width.saturating_sub(8), LongWords::Cut)
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 { "  hint  " } else { "        " };
        lines.push(Line::from(vec![Span::styled(lead, t.warn()), Span::raw(l)]));
    }
    lines
}

fn token_lines(app: &App, c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let tok = &c.fetched.token;
    let mut lines = Vec::new();
    let retries = match c.fetched.retries {
        0 => String::new(),
        n => format!(", {n} retries"),
    };
    let token = format!(
        "{} · {} chars · {}",
        tok.access_token.fingerprint(),
        tok.access_token.len(),
        tok.token_type
    );
    lines.extend(labelled(t, "token", &token, width));
    let fetched = format!(
        "{} in {} ms{retries}",
        claims::relative(c.fetched.received_at - app.now),
        c.fetched.latency.as_millis()
    );
    lines.extend(labelled(t, "fetched", &fetched, width));
    let source = match tok.expiry_source {
        crate::endpoint::ExpirySource::ExpiresOn => "expires_on",
        crate::endpoint::ExpirySource::ExpiresIn => "expires_in",
        crate::endpoint::ExpirySource::JwtExp => "the token's exp",
    };
    let expires = format!(
        "{} ({}, from {source})",
        claims::utc_string(tok.expires_on),
        claims::relative(tok.expires_on - app.now)
    );
    lines.extend(labelled(t, "expires", &expires, width));
    for w in c.warnings() {
        for (i, l) in wrap_words(&w, width.saturating_sub(NAME_W), LongWords::Cut)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { "! note    " } else { "          " };
            lines.push(Line::from(vec![
                Span::styled(lead, t.warn()),
                Span::styled(l, t.warn()),
            ]));
        }
    }
    if app.reveal {
        lines.extend(revealed_lines(c, t, width));
    }
    let Ok(jwt) = &c.jwt else {
        return lines;
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled("CLAIMS", t.heading()));
    for (k, v) in &jwt.claims {
        let ex = claims::explain_claim(k);
        lines.extend(row(app, t, k, v, ex, width));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("HEADER", t.heading()));
    for (k, v) in &jwt.header {
        let ex = claims::explain_header(k);
        lines.extend(row(app, t, k, v, ex, width));
    }
    lines.push(Line::styled(
        format!("signature {} bytes, never shown", jwt.signature_len()),
        t.dim(),
    ));
    lines
}

/// The token without its signature, wrapped; only after the user pressed `s`.
fn revealed_lines(c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let raw = c.fetched.token.access_token.expose();
    let unsigned = raw.rsplit_once('.').map(|(h, _)| h).unwrap_or(raw);
    let mut lines = vec![Line::styled(
        "token (header.claims; the signature is never shown):",
        t.danger(),
    )];
    for chunk in wrap_chars(unsigned, width.max(1)) {
        lines.push(Line::styled(chunk, t.warn()));
    }
    lines
}

/// `label     value`, the value wrapped under itself.
fn labelled(t: &Theme, label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    wrap_words(value, width.saturating_sub(NAME_W), LongWords::Cut)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let lead = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(format!("{lead:<NAME_W$}"), t.label()),
                Span::raw(v),
            ])
        })
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One header or claim: name, value (time claims in every form) and its explanation.
/// Wide panels put the explanation in a third column; narrow ones under the value.
fn row(
    app: &App,
    t: &Theme,
    name: &str,
    v: &Value,
    explain: Option<&str>,
    width: usize,
) -> Vec<Line<'static>> {
    let mut values = vec![value_text(v)];
    let epoch = TIME_CLAIMS
        .contains(&name)
        .then(|| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .flatten();
    if let Some(e) = epoch {
        values = vec![
            format!("{} UTC", claims::utc_string(e)),
            format!("{} local", local_datetime(app, e)),
            format!("{} · {e}", claims::relative(e - app.now)),
        ];
    }
    let explain = explain.map(str::to_string);
    let unknown = explain.is_none();
    let explain = explain.unwrap_or_else(|| "not a claim tokscope knows; shown raw".into());
    let explain_style = if unknown { t.dim() } else { Style::new() };
    let rest = width.saturating_sub(NAME_W);
    let wide = width >= 80;
    let (value_w, explain_w) = if wide {
        // Room for a GUID on one line, leaving the explanation a readable column.
        let v = (rest * 9 / 20).max(38).min(rest.saturating_sub(25));
        // One cell spare on the right keeps the text off the panel's border.
        (v, rest.saturating_sub(v + COLUMN_GAP.chars().count() + 1))
    } else {
        (rest, rest)
    };
    let mut vlines: Vec<String> = Vec::new();
    for v in &values {
        vlines.extend(wrap_chars(v, value_w));
    }
    let elines = wrap_words(&explain, explain_w, LongWords::Cut);
    let name_cell = format!("{:<w$}", super::text::clip(name, NAME_W - 1), w = NAME_W);
    let blank = " ".repeat(NAME_W);
    let mut out = Vec::new();
    if wide {
        let n = vlines.len().max(elines.len());
        for i in 0..n {
            let first = if i == 0 { &name_cell } else { &blank };
            let vv = vlines.get(i).cloned().unwrap_or_default();
            let ee = elines.get(i).cloned().unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(first.clone(), t.label()),
                Span::raw(format!("{vv:<value_w$}")),
                Span::styled(COLUMN_GAP, t.dim()),
                Span::styled(ee, explain_style),
            ]));
        }
    } else {
        for (i, vv) in vlines.into_iter().enumerate() {
            let first = if i == 0 { &name_cell } else { &blank };
            out.push(Line::from(vec![
                Span::styled(first.clone(), t.label()),
                Span::raw(vv),
            ]));
        }
        for ee in elines {
            out.push(Line::from(vec![
                Span::raw(blank.clone()),
                Span::styled(ee, t.dim().patch(explain_style)),
            ]));
        }
    }
    out
}
