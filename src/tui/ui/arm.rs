//! The ARM tab. For now a placeholder that says what will come and what the token allows;
//! the VM table from `tokscope vms` takes its place through `ArmPanel`.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::tui::app::{App, ArmPanel};

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    match app.arm {
        ArmPanel::Placeholder => placeholder(app, t, f, area),
    }
}

fn placeholder(app: &App, t: &Theme, f: &mut Frame, area: Rect) {
    let mut lines = vec![
        Line::styled("Virtual machines", t.heading()),
        Line::raw(""),
        Line::raw("The ARM VM list comes with `tokscope vms`: it will use this token to list the subscription's virtual machines here."),
        Line::raw(""),
    ];
    let jwt = app.current.as_ref().and_then(|c| c.jwt.as_ref().ok());
    match jwt {
        None => lines.push(Line::styled(
            "Fetch a token for Azure Resource Manager first.",
            t.dim(),
        )),
        Some(j) => {
            let aud = j.claim_str("aud").unwrap_or("");
            let is_arm = aud.trim_end_matches('/').ends_with("management.azure.com")
                || aud
                    .trim_end_matches('/')
                    .ends_with("management.core.windows.net");
            let (mark, style, note) = if is_arm {
                ("✓", t.ok(), "an ARM token")
            } else {
                ("✗", t.warn(), "not for ARM: choose Azure Resource Manager")
            };
            lines.push(Line::from(vec![
                Span::styled("audience  ", t.label()),
                Span::styled(format!("{mark} {aud} ({note})"), style),
            ]));
            let rid = j
                .claim_str("xms_az_rid")
                .or_else(|| j.claim_str("xms_mirid"));
            if let Some(sub) = rid.and_then(subscription_of) {
                lines.push(Line::from(vec![
                    Span::styled("subscr.   ", t.label()),
                    Span::raw(format!("{sub} (from the token's ARM id)")),
                ]));
            }
            if let Some(r) = rid {
                lines.push(Line::from(vec![
                    Span::styled("resource  ", t.label()),
                    Span::raw(r.to_string()),
                ]));
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.scroll, 0)),
        area,
    );
}

/// The subscription id in an ARM resource id, matched case-insensitively.
fn subscription_of(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}
