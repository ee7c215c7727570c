//! The ARM tab: listing the VMs through ARM with a token for ARM, and the last answer with
//! every request it sent.

mod draw;

use super::{Scroll, Tab, TabModule};
use crate::arm::listing::Outcome;
use crate::arm::RequestRecord;
use crate::error::Error;
use crate::tui::action::Action;
use crate::tui::app::{plural, App, Effect, LogLevel};
use crate::tui::keys::key;

pub static TAB: TabModule = TabModule {
    name: "ARM",
    // The VM table wants the columns more than the list does.
    list_min_width: 100,
    // ↑/↓ scroll the table; Enter fetches the list's highlighted resource.
    list_takes_keys: false,
    draw: draw::draw,
    moved: |app, m| app.arm.scroll.apply(m),
    measured: |app, d| app.arm.scroll.measured(d.max_scroll, d.page),
    entered: super::stay,
    hint,
    scroll: |app| &app.arm.scroll,
};

/// One answer of the ARM listing, with every request it sent (also when it failed).
#[derive(Debug, Clone)]
pub struct ArmAnswer {
    /// Epoch seconds at completion.
    pub at: i64,
    pub token_note: Option<String>,
    pub requests: Vec<RequestRecord>,
    pub result: Result<Outcome, Error>,
}

/// Why the last listing was refused: the verdict `tokscope why` gives on the same request.
#[derive(Debug, Clone)]
pub struct WhyAnswer {
    /// Epoch seconds at completion.
    pub at: i64,
    pub result: Result<crate::arm::why::Outcome, Error>,
}

/// What the ARM tab holds: the listing running, if any, and the last answer.
#[derive(Debug, Clone, Default)]
pub struct ArmPanel {
    /// Epoch seconds when the running listing started.
    pub listing_since: Option<i64>,
    pub last: Option<ArmAnswer>,
    /// Epoch seconds when the diagnosis of a refused listing started.
    pub why_since: Option<i64>,
    /// The verdict on the last refused listing.
    pub why: Option<WhyAnswer>,
    pub scroll: Scroll,
}

fn hint(_: &App) -> String {
    format!(
        " {} lists the VMs · {} scroll · {} writes a support report",
        key(&Action::ListVms),
        super::scroll_keys_short(),
        key(&Action::WriteReport),
    )
}

/// `v`: list the VMs, on this tab, one listing at a time.
pub fn list_vms(app: &mut App) {
    if app.tab != Tab::Arm {
        app.go_tab(Tab::Arm);
    }
    if let Some(since) = app.arm.listing_since {
        let msg = format!("VMs are being listed ({} s); wait for it", app.now - since);
        app.job_note(msg);
        return;
    }
    app.arm.listing_since = Some(app.now);
    app.log(LogLevel::Info, "listing VMs through ARM");
    app.effects.push(Effect::ListVms {
        resource: app.resource.clone(),
    });
}

/// The listing's answer: kept for the tab, summed up in the log.
pub fn listed(app: &mut App, answer: ArmAnswer) {
    app.arm.listing_since = None;
    app.job_done();
    if let Some(n) = &answer.token_note {
        app.log(LogLevel::Info, n.clone());
    }
    match &answer.result {
        Ok(o) => {
            let n = o.list.vms.len();
            app.log(
                LogLevel::Info,
                format!(
                    "ARM: {n} VM{} in {} page{} of subscription {} (from {})",
                    plural(n),
                    o.list.pages,
                    plural(o.list.pages as usize),
                    o.subscription.id,
                    o.subscription.source.describe()
                ),
            );
            for note in &o.subscription.notes {
                app.log(LogLevel::Info, note.clone());
            }
        }
        Err(e) => app.log(LogLevel::Error, format!("listing VMs failed: {e}")),
    }
    // One line for the listing's requests, whatever their number (a page and an instance
    // view per VM can be dozens); each failed one in full, with the ids support asks for.
    let failed: Vec<&RequestRecord> = answer
        .requests
        .iter()
        .filter(|r| !r.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    let n = answer.requests.len();
    if n > 0 {
        app.log(
            LogLevel::Info,
            format!(
                "ARM: {n} request{} sent, {} failed; each with its ids in the ARM tab",
                plural(n),
                failed.len()
            ),
        );
    }
    for r in failed {
        app.log(LogLevel::Error, format!("request {}", r.line()));
    }
    // A refusal is explained at once: the same request, judged from the identity's roles.
    let refused = matches!(&answer.result, Err(e) if e.status == Some(403));
    app.arm.why = None;
    if refused {
        app.arm.why_since = Some(app.now);
        app.effects.push(Effect::Why {
            resource: app.resource.clone(),
        });
    }
    app.arm.last = Some(answer);
    app.arm.scroll.reset();
}

/// The verdict on the refused listing: shown above the error, and in the log.
pub fn answered(app: &mut App, answer: WhyAnswer) {
    app.arm.why_since = None;
    match &answer.result {
        Ok(o) => {
            let d = &o.diagnosis;
            app.log(LogLevel::Info, format!("why: {}", d.summary));
            if let Some(fix) = &d.fix {
                app.log(LogLevel::Info, format!("fix: {fix}"));
            }
        }
        Err(e) => app.log(LogLevel::Error, format!("why the listing was refused: {e}")),
    }
    app.arm.why = Some(answer);
}
