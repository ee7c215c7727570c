//! The Token tab: an identity card that answers "who is this, for what, until when, and what
//! is wrong" on the first screen; then the claims, one line each, with the selected claim's
//! meaning in a detail line at the bottom (as jwt.ms's claims table does).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use serde_json::Value;

use crate::endpoint::ExpirySource;
use crate::error::Error;
use crate::token::claims::{self, TIME_CLAIMS};
use crate::token::identity::{self, IdentityFacts};
use crate::token::Jwt;
use crate::tui::action::Action;
use crate::tui::app::{App, Current, Focus};
use crate::tui::keys::key;
use crate::tui::ui::text::{clip, columns, datetime, pad, wrap_text, wrap_value};
use crate::tui::ui::theme::Theme;
use crate::tui::ui::PanelDrawn;
use crate::verdict::{Level, Verdict};

/// Width of the name column.
const NAME_W: usize = 10;
/// From this width the claims' name column grows to the longest name, up to `NAME_W_MAX`.
const WIDE: usize = 100;
const NAME_W_MAX: usize = 28;
/// Rows of the detail pane under the claims.
const DETAIL_H: u16 = 2;

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> PanelDrawn {
    let revealed = app.revealed();
    let has_fields = !app.fields().is_empty();
    let [banner, body, detail] = Layout::vertical([
        Constraint::Length(u16::from(revealed)),
        Constraint::Min(1),
        Constraint::Length(if has_fields && area.height > 8 {
            DETAIL_H
        } else {
            0
        }),
    ])
    .areas(area);
    if banner.height > 0 {
        let left = app.reveal_until.map_or(0, |u| u - app.now);
        f.render_widget(
            Paragraph::new(clip(
                &format!(
                    " ⚠ TOKEN VISIBLE — stop screen sharing (hides in {left} s; {} or {} hides it)",
                    key(&Action::ToggleReveal),
                    key(&Action::Cancel)
                ),
                area.width as usize,
            ))
            .style(t.alarm()),
            banner,
        );
    }
    let width = body.width as usize;
    let (lines, first_field) = content(app, t, width);
    let mut drawn = crate::tui::ui::render_scrolled(t, f, body, app.token.scroll.offset, lines);
    drawn.first_field = first_field;
    if detail.height > 0 {
        draw_detail(app, t, f, detail);
    }
    drawn
}

/// The selected field's full value and what it means.
fn draw_detail(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let fields = app.fields();
    let Some((name, v)) = fields.get(app.token.field) else {
        return;
    };
    let n_claims = claim_count(app);
    let explain = if app.token.field < n_claims {
        claims::explain_claim(name)
    } else {
        claims::explain_header(name)
    }
    .unwrap_or("not a claim tokscope knows; shown raw");
    let text = format!("{name}: {explain}");
    let lines: Vec<Line> = wrap_text(&text, area.width as usize)
        .into_iter()
        .take(area.height as usize)
        .map(|l| Line::styled(l, t.label()))
        .collect();
    let _ = v;
    f.render_widget(Paragraph::new(lines), area);
}

fn claim_count(app: &App) -> usize {
    match (&app.pasted, &app.current) {
        (Some(p), _) => p.jwt.claims.len(),
        (None, Some(c)) => c.jwt.as_ref().map_or(0, |j| j.claims.len()),
        _ => 0,
    }
}

/// The body's lines and the line the first claim is on.
fn content(app: &App, t: &Theme, width: usize) -> (Vec<Line<'static>>, Option<usize>) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(p) = &app.pasted {
        lines.push(Line::styled(
            format!(
                "PASTED TOKEN {} · {} chars · decoded here, not fetched, not verified ({} closes)",
                p.fingerprint,
                p.chars,
                key(&Action::Cancel)
            ),
            t.warn().add_modifier(Modifier::BOLD),
        ));
        lines.extend(card(app, t, &p.jwt, app.verdict().as_ref(), width));
        let first = fields(app, t, &p.jwt, width, &mut lines);
        return (lines, Some(first));
    }
    if app.revealed() {
        if let Some(c) = &app.current {
            lines.extend(revealed_lines(c, t, width));
        }
    }
    if let Some(e) = &app.error {
        lines.extend(error_lines(e, "fetch", t, width));
        lines.push(Line::raw(""));
    }
    match &app.current {
        Some(c) => {
            let verdict = app.verdict();
            match &c.jwt {
                Ok(jwt) => {
                    lines.extend(card(app, t, jwt, verdict.as_ref(), width));
                    lines.extend(identity_lines(c, t, width));
                    lines.extend(fetch_lines(app, c, t, width));
                    lines.extend(chain_lines(app, c, t, width));
                    let first = fields(app, t, jwt, width, &mut lines);
                    return (lines, Some(first));
                }
                Err(_) => {
                    lines.extend(verdict_lines(t, verdict.as_ref(), width));
                    lines.extend(fetch_lines(app, c, t, width));
                }
            }
        }
        None if app.in_flight.is_some() => lines.push(Line::styled(
            format!(
                "fetching {} … ({} cancels)",
                app.resource,
                key(&Action::Cancel)
            ),
            t.dim(),
        )),
        None if app.error.is_none() => lines.push(Line::styled(
            format!(
                "No token yet. Choose a resource and press {}, or type one with {}.",
                key(&Action::FetchSelected),
                key(&Action::StartInput)
            ),
            t.dim(),
        )),
        None => {}
    }
    (lines, None)
}

/// An endpoint error, in place: kind, status, the service's code and message, ids, and the hint.
pub fn error_lines(e: &Error, what: &str, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let head = format!("✗ {what} failed: {}", e.headline());
    let mut lines = Vec::new();
    for (i, l) in wrap_text(&head, width.saturating_sub(2))
        .into_iter()
        .enumerate()
    {
        let indent = if i == 0 { "" } else { "  " };
        lines.push(Line::styled(format!("{indent}{l}"), t.danger()));
    }
    for (k, v) in &e.request_ids {
        lines.push(Line::styled(format!("  {k}:"), t.label()));
        for l in wrap_value(v, width.saturating_sub(4)) {
            lines.push(Line::raw(format!("    {l}")));
        }
    }
    for (i, l) in wrap_text(&e.hint, width.saturating_sub(8))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 { "  hint  " } else { "        " };
        lines.push(Line::from(vec![Span::styled(lead, t.warn()), Span::raw(l)]));
    }
    lines
}

fn labelled(t: &Theme, label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    crate::tui::ui::text::labelled(t, label, value, width, NAME_W)
}

/// The core's verdict, one cause a line (wrapped), each under its own level: a FAIL in the
/// danger style, a warning as before.
fn verdict_lines(t: &Theme, verdict: Option<&Verdict>, width: usize) -> Vec<Line<'static>> {
    verdict
        .map(|v| v.causes.as_slice())
        .unwrap_or_default()
        .iter()
        .flat_map(|c| match c.level() {
            Level::Fail => flagged(&c.message(), "✗ FAIL    ", t.danger(), width),
            _ => flagged(&c.message(), "! warning ", t.warn(), width),
        })
        .collect()
}

fn warning_lines(t: &Theme, warnings: &[String], width: usize) -> Vec<Line<'static>> {
    warnings
        .iter()
        .flat_map(|w| flagged(w, "! warning ", t.warn(), width))
        .collect()
}

/// A finding wrapped under a flag (`! warning `), the flag on its first line only.
fn flagged(text: &str, flag: &'static str, style: Style, width: usize) -> Vec<Line<'static>> {
    wrap_text(text, width.saturating_sub(NAME_W))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 { flag } else { "          " };
            Line::from(vec![Span::styled(lead, style), Span::styled(l, style)])
        })
        .collect()
}

/// Who, for what, until when, and what is wrong.
fn card(
    app: &App,
    t: &Theme,
    jwt: &Jwt,
    verdict: Option<&Verdict>,
    width: usize,
) -> Vec<Line<'static>> {
    let f: IdentityFacts = identity::facts(jwt);
    let mut lines = Vec::new();
    let mut who = f.kind.describe().to_string();
    if let Some(u) = &f.user {
        who.push_str(&format!(" {u}"));
    }
    lines.extend(labelled(t, "who", &who, width));
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let ids_one_line = format!("{} · object id {}", dash(&f.client_id), dash(&f.object_id));
    if ids_one_line.chars().count() + NAME_W <= width {
        lines.extend(labelled(t, "client id", &ids_one_line, width));
    } else {
        lines.extend(labelled(t, "client id", &dash(&f.client_id), width));
        lines.extend(labelled(t, "object id", &dash(&f.object_id), width));
    }
    lines.extend(labelled(t, "tenant", &dash(&f.tenant), width));
    match &f.owner {
        Some(o) => {
            // The type's last part (virtualMachines) keeps name, type and group on one line.
            let kind = o.kind.as_deref().unwrap_or("-");
            let short = kind.rsplit('/').next().unwrap_or(kind);
            let mut name = format!("{} · {short}", o.name.as_deref().unwrap_or("-"));
            if let Some(g) = &o.resource_group {
                name.push_str(&format!(" · {g}"));
            }
            lines.extend(labelled(t, "resource", &name, width));
            let sub = format!("sub {}", o.subscription.as_deref().unwrap_or("-"));
            lines.extend(labelled(t, "", &sub, width));
        }
        None => lines.extend(labelled(
            t,
            "resource",
            "none named in the token (no xms_mirid or xms_az_rid)",
            width,
        )),
    }
    let aud = if f.audiences.is_empty() {
        "-".to_string()
    } else {
        f.audiences.join(", ")
    };
    lines.extend(labelled(t, "audience", &aud, width));
    // Roles and scopes only when the token has them; most managed-identity tokens have
    // neither (role assignments decide), and the first screen has no line to spare.
    if !f.roles.is_empty() {
        lines.extend(labelled(t, "roles", &f.roles.join(", "), width));
    }
    if !f.scopes.is_empty() {
        lines.extend(labelled(t, "scopes", &f.scopes.join(" "), width));
    }
    let mut times = match jwt.claim_i64("exp") {
        Some(e) => format!(
            "{} · {}",
            claims::relative(e - app.now),
            crate::tui::ui::text::clock(app, e)
        ),
        None => "no exp claim".into(),
    };
    if let Some(i) = jwt.claim_i64("iat") {
        times.push_str(&format!(
            " · issued {}",
            crate::tui::ui::text::bare_clock(app, i)
        ));
    }
    if let Some(v) = &f.version {
        times.push_str(&format!(" · v{v}"));
    }
    lines.extend(labelled(t, "expires", &times, width));
    lines.extend(verdict_lines(t, verdict, width));
    lines
}

/// The answer itself: fingerprint, when fetched and how, and where the expiry came from.
/// Which identity answered, against the one asked for; a mismatch in red with its cause.
fn identity_lines(c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    // With no selector sent there is nothing to compare: the card already says who answered.
    let Some(check) = c
        .identity_check
        .as_ref()
        .filter(|c| c.verdict != crate::identity_check::Verdict::System)
    else {
        return Vec::new();
    };
    let mut lines = labelled(t, "asked", &check.summary(), width);
    if let Some(m) = c.mismatch() {
        let cause = m.cause.as_deref().unwrap_or("");
        lines.extend(flagged(cause, "! mismatch", t.danger(), width));
    }
    lines
}

fn fetch_lines(app: &App, c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let tok = &c.fetched.token;
    let retries = match c.fetched.retries {
        0 => String::new(),
        n => format!(", {n} retries"),
    };
    let source = match tok.expiry_source {
        ExpirySource::ExpiresOn => "expires_on",
        ExpirySource::ExpiresIn => "expires_in",
        ExpirySource::JwtExp => "the token's exp",
    };
    let mut token = format!(
        "{} · {} · {} ms{retries}",
        tok.access_token.fingerprint(),
        claims::relative(c.fetched.received_at - app.now),
        c.fetched.latency.as_millis()
    );
    let more = format!(
        " · {} chars · {} · expiry from {source}",
        tok.access_token.len(),
        tok.token_type
    );
    if NAME_W + token.chars().count() + more.chars().count() <= width {
        token.push_str(&more);
    }
    labelled(t, "token", &token, width)
}

/// Workload identity's chain, oldest link first: the pod's service-account token (who the
/// cluster says it is, until when, when kubelet replaces it), the Entra exchange, this token.
fn chain_lines(app: &App, c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let Some(fed) = &c.fetched.federated else {
        return Vec::new();
    };
    let sa = &fed.file.token;
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let mut lines = labelled(
        t,
        "chain",
        "service-account token → Entra → this access token",
        width,
    );
    lines.extend(labelled(
        t,
        " 1 pod",
        &format!(
            "{} · {}",
            dash(&sa.subject),
            fed.file.contents.fingerprint()
        ),
        width,
    ));
    let mut when = format!(
        "iss {} · aud {}",
        dash(&sa.issuer),
        if sa.audiences.is_empty() {
            "-".to_string()
        } else {
            sa.audiences.join(", ")
        }
    );
    if let Some(exp) = sa.expires_at {
        when.push_str(&format!(" · expires {}", claims::relative(exp - app.now)));
    }
    if let Some(due) = sa.rotation_due {
        when.push_str(&format!(
            " · kubelet rotates {}",
            claims::relative(due - app.now)
        ));
    }
    lines.extend(labelled(t, "", &when, width));
    for w in sa.warnings(app.now) {
        lines.extend(warning_lines(t, &[w], width));
    }
    lines.extend(labelled(
        t,
        " 2 Entra",
        &format!(
            "{} · tenant {} · client {}",
            fed.inputs.authority, fed.inputs.tenant, fed.inputs.client_id
        ),
        width,
    ));
    lines.extend(labelled(
        t,
        " 3 token",
        &format!(
            "{} · {}",
            c.fetched.token.access_token.fingerprint(),
            claims::relative(c.fetched.token.expires_on - app.now)
        ),
        width,
    ));
    lines
}

/// The claims then the header, one line each; returns the line of the first claim.
fn fields(app: &App, t: &Theme, jwt: &Jwt, width: usize, lines: &mut Vec<Line<'static>>) -> usize {
    lines.push(Line::styled(
        format!(
            "CLAIMS ({}) · times in {}",
            jwt.claims.len(),
            crate::tui::ui::text::zone_name(app)
        ),
        t.heading(),
    ));
    let first = lines.len();
    let selected = app.token.field;
    let focused = app.focus == Focus::Panel;
    let fields = || jwt.claims.iter().chain(jwt.header.iter());
    // Names whole where there is room for them beside their values; cut to fit at 80 columns.
    let longest = fields().map(|(k, _)| columns(k)).max().unwrap_or(0);
    let name_w = if width >= WIDE {
        (longest + 2).clamp(NAME_W, NAME_W_MAX)
    } else {
        NAME_W
    };
    for (i, (k, v)) in fields().enumerate() {
        let sel = (i == selected, focused);
        lines.push(row(app, t, (k, v), (width, name_w), sel));
    }
    lines.push(Line::styled(
        format!(
            "header fields last ({}) · signature {} bytes, never shown",
            jwt.header.len(),
            jwt.signature_len()
        ),
        t.dim(),
    ));
    first
}

fn value_text(app: &App, name: &str, v: &Value) -> String {
    let epoch = TIME_CLAIMS
        .contains(&name)
        .then(|| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .flatten()
        .and_then(claims::plausible_epoch);
    match (epoch, v) {
        (Some(e), _) => format!("{} · {}", datetime(app, e), claims::relative(e - app.now)),
        (None, Value::String(s)) => s.clone(),
        (None, other) => other.to_string(),
    }
}

/// One claim: name and value on one line, cut in the middle when long (the detail line and
/// `c` give it whole).
fn row(
    app: &App,
    t: &Theme,
    (name, v): (&str, &Value),
    (width, name_w): (usize, usize),
    (selected, focused): (bool, bool),
) -> Line<'static> {
    let mark = if selected { "▸" } else { " " };
    let name_cell = format!("{mark}{}", pad(&clip(name, name_w - 2), name_w - 1));
    let value =
        crate::tui::ui::text::clip_middle(&value_text(app, name, v), width.saturating_sub(name_w));
    let style = if selected && focused {
        t.selected()
    } else if selected {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Line::from(vec![
        Span::styled(name_cell, t.label().patch(style)),
        Span::styled(value, style),
    ])
}

/// The whole token, wrapped; only after the user pressed `s`, and only for a while.
fn revealed_lines(c: &Current, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let raw = c.fetched.token.access_token.expose();
    let mut lines = vec![Line::styled(
        "the access token (a secret: usable as it is until it expires):",
        t.danger(),
    )];
    for chunk in crate::tui::ui::text::wrap_chars(raw, width.max(1)) {
        lines.push(Line::styled(chunk, t.warn()));
    }
    lines.push(Line::raw(""));
    lines
}
