//! The ARM tab: the VMs the identity can read, where the subscription came from, and every
//! request sent with its status, latency and request ids. A failure is shown in place.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::arm::listing::Outcome;
use crate::arm::{self, RequestRecord, Vm};
use crate::authz::Verdict;
use crate::text::LongWords;
use crate::token::claims;
use crate::tui::action::Action;
use crate::tui::app::{App, ArmAnswer};
use crate::tui::keys::key;
use crate::tui::tabs::token::error_lines;
use crate::tui::ui::text::{clip, clock, wrap_value, wrap_words};
use crate::tui::ui::theme::Theme;
use crate::tui::ui::PanelDrawn;

/// Width of the label column above the table.
const LABEL_W: usize = 14;

pub fn draw(app: &App, t: &Theme, f: &mut Frame, area: Rect) -> PanelDrawn {
    let (fixed, body) = content(app, t, area.width as usize);
    let fixed_h = u16::try_from(fixed.len()).map_or(area.height, |h| h.min(area.height));
    let [top, rest] =
        Layout::vertical([Constraint::Length(fixed_h), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(fixed), top);
    crate::tui::ui::render_scrolled(t, f, rest, app.arm.scroll.offset, body)
}

/// The lines above the scrolling part, and the part that scrolls.
fn content(app: &App, t: &Theme, width: usize) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut fixed = Vec::new();
    if let Some(since) = app.arm.listing_since {
        fixed.push(Line::styled(
            format!("⟳ listing… {} s", app.now - since),
            t.warn(),
        ));
    }
    let body = match &app.arm.last {
        None => intro(app, t, width),
        Some(answer) => match &answer.result {
            Ok(o) => listed(app, answer, o, t, width, &mut fixed),
            Err(e) => {
                // The verdict first: it says what to do; ARM's own words follow.
                let mut lines = why_lines(app, t, width);
                lines.extend(error_lines(e, "listing VMs", t, width));
                lines.extend(answer_notes(answer, t, width));
                lines.extend(requests(&answer.requests, t, width));
                lines
            }
        },
    };
    (fixed, body)
}

fn intro(app: &App, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled(
            "Virtual machines, through Azure Resource Manager",
            t.heading(),
        ),
        Line::raw(""),
    ];
    if app.arm.listing_since.is_none() {
        lines.push(Line::from(vec![
            Span::raw("Press "),
            Span::styled(format!(" {} ", key(&Action::ListVms)), t.key()),
            Span::raw(" to list the VMs this identity can read."),
        ]));
        lines.push(Line::raw(""));
    }
    let how = "tokscope finds the subscription (the VM's instance metadata, the token's ARM ids, \
               or ARM's subscription list), then reads every page of the VM list.";
    lines.extend(
        wrap_words(how, width, LongWords::Cut)
            .into_iter()
            .map(Line::raw),
    );
    lines.push(Line::raw(""));
    let token = if arm::is_arm_audience(&app.resource, app.arm_cloud) {
        format!(
            "the current resource, {}, is ARM's: its token is used",
            app.resource
        )
    } else {
        format!(
            "the current resource, {}, is not ARM's: a token for {} is fetched for the listing",
            app.resource,
            app.arm_cloud.audience()
        )
    };
    lines.extend(labelled(t, "token", &token, width));
    lines
}

fn listed(
    app: &App,
    answer: &ArmAnswer,
    o: &Outcome,
    t: &Theme,
    width: usize,
    fixed: &mut Vec<Line<'static>>,
) -> Vec<Line<'static>> {
    let s = &o.subscription;
    let sub = format!("{} (from {})", s.id, s.source.describe());
    fixed.extend(labelled(t, "subscription", &sub, width));
    let token = format!("{} for {}", o.fingerprint, o.audience);
    fixed.extend(labelled(t, "token", &token, width));
    for n in answer.token_note.iter().chain(&s.notes) {
        fixed.extend(
            labelled(t, "note", n, width)
                .into_iter()
                .map(|l| l.style(t.dim())),
        );
    }
    let n = o.list.vms.len();
    let found = format!(
        "{n} VM{} in {} page{} · listed at {} ({})",
        if n == 1 { "" } else { "s" },
        o.list.pages,
        if o.list.pages == 1 { "" } else { "s" },
        clock(app, answer.at),
        claims::relative(answer.at - app.now)
    );
    fixed.extend(labelled(t, "found", &found, width));
    let table = Table::new(&o.list.vms, width);
    fixed.push(Line::styled(table.header(), t.heading()));

    let mut body: Vec<Line> = o.list.vms.iter().map(|vm| table.row(vm, t)).collect();
    if o.list.vms.is_empty() {
        body.push(Line::styled(
            "no VMs: none in this subscription, or none this identity may read",
            t.dim(),
        ));
    }
    body.extend(requests(&answer.requests, t, width));
    body
}

/// `tokscope why` on the refused listing: the verdict, its one sentence and the fix.
fn why_lines(app: &App, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(since) = app.arm.why_since {
        lines.push(Line::styled(
            format!("⟳ asking ARM why… {} s", app.now - since),
            t.warn(),
        ));
        lines.push(Line::raw(""));
        return lines;
    }
    let Some(answer) = &app.arm.why else {
        return lines;
    };
    match &answer.result {
        Ok(o) => {
            let d = &o.diagnosis;
            let style = if d.verdict == Verdict::Allowed {
                t.ok()
            } else {
                t.danger()
            };
            lines.push(Line::from(vec![
                Span::styled("Why: ", t.heading()),
                Span::styled(d.verdict.as_str().to_string(), style),
            ]));
            // The summary starts with the verdict's name: the rest is the sentence.
            let sentence = d
                .summary
                .split_once(": ")
                .map_or(d.summary.as_str(), |(_, s)| s);
            lines.extend(
                wrap_words(sentence, width, LongWords::Cut)
                    .into_iter()
                    .map(Line::raw),
            );
            if let Some(fix) = &d.fix {
                lines.extend(labelled(t, "fix", fix, width));
            }
        }
        Err(e) => lines.extend(labelled(
            t,
            "why",
            &format!("could not be told: {e}"),
            width,
        )),
    }
    lines.push(Line::raw(""));
    lines
}

/// The token note, under an error (on success it sits above the table).
fn answer_notes(answer: &ArmAnswer, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(n) = &answer.token_note {
        lines.push(Line::raw(""));
        lines.extend(labelled(t, "note", n, width));
    }
    lines
}

/// Every request, whole: method and URL (with api-version), status and latency, request ids.
#[allow(clippy::indexing_slicing, reason = "the cut is at most the length")]
fn requests(reqs: &[RequestRecord], t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("")];
    if reqs.is_empty() {
        lines.push(Line::styled("no ARM request was sent", t.dim()));
        return lines;
    }
    lines.push(Line::styled(
        format!(
            "Requests ({}; the ids are what support asks for)",
            reqs.len()
        ),
        t.heading(),
    ));
    let inner = width.saturating_sub(2).max(1);
    for r in reqs {
        let first: Vec<char> = format!("{} {}", r.method, r.url).chars().collect();
        let cut = first.len().min(width.max(1));
        lines.push(Line::raw(first[..cut].iter().collect::<String>()));
        if cut < first.len() {
            let rest: String = first[cut..].iter().collect();
            lines.extend(wrap_value(&rest, inner).into_iter().map(indent));
        }
        let (status, style) = match r.status {
            Some(s) if (200..300).contains(&s) => (s.to_string(), t.ok()),
            Some(s) => (s.to_string(), t.danger()),
            None => ("no answer".to_string(), t.danger()),
        };
        lines.push(Line::from(vec![
            Span::raw("  → "),
            Span::styled(status, style),
            Span::raw(format!(" · {} ms", r.latency_ms)),
        ]));
        for (k, v) in &r.request_ids {
            let id = format!("{k} {v}");
            lines.extend(
                wrap_value(&id, inner)
                    .into_iter()
                    .map(|l| Line::from(vec![Span::raw("  "), Span::styled(l, t.dim())])),
            );
        }
    }
    lines
}

fn indent(s: String) -> Line<'static> {
    Line::raw(format!("  {s}"))
}

fn labelled(t: &Theme, label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    crate::tui::ui::text::labelled(t, label, value, width, LABEL_W)
}

/// Column headers, long and short: the short ones when the long do not fit. POWER is what
/// people mean by a VM's state (running, deallocated); PROVISIONING is ARM's last operation.
const COLUMNS: [(&str, &str); 7] = [
    ("NAME", "NAME"),
    ("RESOURCE GROUP", "GROUP"),
    ("LOCATION", "LOCATION"),
    ("SIZE", "SIZE"),
    ("OS", "OS"),
    ("POWER", "POWER"),
    ("PROVISIONING", "PROV"),
];
const N: usize = COLUMNS.len();

/// Narrowest a column is cut to before the table gives up and lets the edge clip it.
const MIN_COL: usize = 6;

/// Column widths that fit the panel: data widths, shorter headers and a narrower gap first,
/// then the widest columns cut (with an ellipsis) until the row fits.
struct Table {
    widths: [usize; N],
    headers: [&'static str; N],
    gap: usize,
}

fn cells(vm: &Vm) -> [&str; N] {
    [
        &vm.name,
        &vm.resource_group,
        &vm.location,
        &vm.size,
        &vm.os_type,
        vm.power_state.as_deref().unwrap_or("-"),
        &vm.provisioning_state,
    ]
}

impl Table {
    #[allow(
        clippy::indexing_slicing,
        reason = "column indices below N index arrays of N"
    )]
    fn new(vms: &[Vm], width: usize) -> Self {
        let data = |i: usize| {
            vms.iter()
                .map(|v| cells(v)[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let total = |w: &[usize; N], gap: usize| w.iter().sum::<usize>() + gap * (N - 1);
        let pick = |short: bool| -> ([usize; N], [&'static str; N]) {
            let headers = COLUMNS.map(|(long, s)| if short { s } else { long });
            let mut w = [0; N];
            for (i, h) in headers.iter().enumerate() {
                w[i] = data(i).max(h.chars().count());
            }
            (w, headers)
        };
        let (mut widths, mut headers) = pick(false);
        let mut gap = 2;
        if total(&widths, gap) > width {
            (widths, headers) = pick(true);
        }
        if total(&widths, gap) > width {
            gap = 1;
        }
        // Cut the columns people read least first; the name last.
        const CUT_ORDER: [usize; N] = [3, 2, 1, 4, 6, 5, 0];
        while total(&widths, gap) > width {
            let Some(&i) = CUT_ORDER.iter().find(|&&i| widths[i] > MIN_COL) else {
                break;
            };
            widths[i] -= 1;
        }
        Self {
            widths,
            headers,
            gap,
        }
    }

    fn join(&self, cells: [&str; N]) -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(self.widths)
            .map(|(c, w)| format!("{:w$}", clip(c, w)))
            .collect();
        parts.join(&" ".repeat(self.gap)).trim_end().to_string()
    }

    fn header(&self) -> String {
        self.join(self.headers)
    }

    fn row(&self, vm: &Vm, t: &Theme) -> Line<'static> {
        let mut c = cells(vm);
        let state = c[N - 1];
        c[N - 1] = "";
        let lead = self.join(c);
        let pad: usize = self.widths[..N - 1].iter().sum::<usize>() + self.gap * (N - 1);
        // The word says it; the colour only repeats it.
        let style = match state {
            "Succeeded" => Style::new(),
            "Failed" => t.danger(),
            _ => t.warn(),
        };
        Line::from(vec![
            Span::raw(format!("{lead:pad$}")),
            Span::styled(clip(state, self.widths[N - 1]), style),
        ])
    }
}
