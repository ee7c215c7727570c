//! `tokscope vms`: use the token against ARM and list the VMs the identity can read.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::arm::listing::{self, Request};
pub use crate::arm::listing::{list, Outcome, Plan};
use crate::cli::VmsArgs;
use crate::error::Result;
use crate::sanitize::sanitize;
use crate::session::Session;

/// `tokscope vms`'s flags as the listing's request.
pub fn request(args: &VmsArgs) -> Request {
    Request {
        subscription: args.subscription.clone(),
        resource_group: args.resource_group.clone(),
        cloud: args.cloud,
        arm_url: args.arm_url.clone(),
        power_state: args.power_state,
    }
}

/// The listing's plan for these flags (see `arm::listing::plan`).
pub fn plan(session: &Session, args: &VmsArgs, resource: &str) -> Result<Plan> {
    listing::plan(session, &request(args), resource)
}

pub async fn fetch(session: &Session, resource: &str, args: &VmsArgs) -> Result<Outcome> {
    let plan = plan(session, args, resource)?;
    list(&plan, &session.client, &session.endpoint).await
}

#[allow(
    clippy::indexing_slicing,
    reason = "indexes JSON objects built here: serde_json inserts or reads, it panics only on non-objects"
)]
pub fn success_json(o: &Outcome) -> Value {
    let ids: Vec<Value> = o
        .requests
        .iter()
        .filter(|r| !r.request_ids.is_empty())
        .map(|r| json!(r.request_ids))
        .collect();
    let mut sub = json!({"id": o.subscription.id, "source": o.subscription.source.as_str()});
    if !o.subscription.notes.is_empty() {
        sub["notes"] = json!(o.subscription.notes);
    }
    let mut v = json!({
        "ok": true,
        "subscription": sub,
        "vms": o.list.vms,
        "pages": o.list.pages,
        "request_ids": ids,
        "requests": o.requests,
        "token": {"fingerprint": o.fingerprint, "resource": o.audience},
    });
    if let Some(n) = &o.token_note {
        v["token_note"] = n.clone().into();
    }
    v
}

pub fn human(o: &Outcome, power_state: bool) -> String {
    let mut out = String::new();
    let s = &o.subscription;
    let _ = writeln!(
        out,
        "subscription  {} (from {})",
        sanitize(&s.id),
        s.source.describe()
    );
    let _ = writeln!(
        out,
        "token         {} for {}",
        o.fingerprint,
        crate::sanitize::exact(&o.audience)
    );
    for n in o.token_note.iter().chain(&s.notes) {
        let _ = writeln!(out, "note          {}", sanitize(n));
    }
    let _ = writeln!(out);
    let mut header: Vec<Cow<str>> = [
        "NAME",
        "RESOURCE GROUP",
        "LOCATION",
        "SIZE",
        "OS",
        "PROVISIONING",
    ]
    .map(Cow::Borrowed)
    .to_vec();
    if power_state {
        header.push(Cow::Borrowed("POWER"));
    }
    let columns = header.len();
    let mut rows: Vec<Vec<Cow<str>>> = vec![header];
    // VM fields come from ARM: one line each, controls made visible, so a row cannot forge others.
    for vm in &o.list.vms {
        let mut r = vec![
            sanitize(&vm.name),
            sanitize(&vm.resource_group),
            sanitize(&vm.location),
            sanitize(&vm.size),
            sanitize(&vm.os_type),
            sanitize(&vm.provisioning_state),
        ];
        if power_state {
            r.push(sanitize(vm.power_state.as_deref().unwrap_or("unknown")));
        }
        rows.push(r);
    }
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let n = o.list.vms.len();
    let _ = writeln!(
        out,
        "\n{n} VM{} in {} page{}",
        if n == 1 { "" } else { "s" },
        o.list.pages,
        if o.list.pages == 1 { "" } else { "s" }
    );
    for r in &o.requests {
        let _ = writeln!(out, "request  {}", sanitize(&r.line()));
    }
    out
}

pub async fn run(session: &Session, resource: &str, args: &VmsArgs) -> Result<String> {
    let o = fetch(session, resource, args).await?;
    Ok(if args.json {
        success_json(&o).to_string()
    } else {
        human(&o, args.power_state)
    })
}
