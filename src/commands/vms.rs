//! `tokscope vms`: use the token against ARM and list the VMs the identity can read.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::{json, Value};

use super::setup::Setup;
use crate::arm::{self, Client, Discovery, RequestRecord, Subscription, Target, VmList};
use crate::cli::{Cli, VmsArgs};
use crate::endpoint::{Endpoint, TokenClient};
use crate::error::Result;
use crate::sanitize::sanitize;
use crate::secret::AccessToken;

/// What one successful run found, for either output.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub subscription: Subscription,
    pub list: VmList,
    pub requests: Vec<RequestRecord>,
    pub token_note: Option<String>,
    pub fingerprint: String,
    pub audience: String,
}

/// Everything a VM listing needs besides the token endpoint, decided before any request:
/// the ARM client, which token to ask for (and why), and where the subscription may come
/// from. The command and the terminal UI both build one here, so they behave alike.
#[derive(Clone)]
pub struct Plan {
    pub client: Client,
    /// The resource the token is asked for: the one given when it is ARM's, else ARM's.
    pub resource: String,
    /// Set when the resource given was not ARM's and another token is fetched.
    pub token_note: Option<String>,
    pub discovery: Discovery,
    pub resource_group: Option<String>,
    pub power_state: bool,
}

/// The plan for listing VMs with `args`, given the resource the user asked tokens for.
/// Checks the ARM URL before anything goes on the network.
pub fn plan(setup: &Setup, args: &VmsArgs, resource: &str) -> Result<Plan> {
    let target = Target::new(
        args.cloud,
        args.arm_url.as_deref(),
        setup.emulator.as_ref().map(|run| run.base_url()),
    )?;
    let (resource, token_note) = target.token_resource(resource);
    let discovery = target.discovery(
        args.subscription.clone(),
        &setup.env,
        &setup.overrides,
        setup.endpoint.flavour,
    );
    Ok(Plan {
        client: target.client,
        resource,
        token_note,
        discovery,
        resource_group: args.resource_group.clone(),
        power_state: args.power_state,
    })
}

/// Fetch the ARM token, find the subscription and list its VMs. On failure the requests sent
/// so far are in `plan.client.history()`.
pub async fn list(plan: &Plan, tokens: &TokenClient, endpoint: &Endpoint) -> Result<Outcome> {
    let fetched = tokens.fetch(endpoint, &plan.resource).await?;
    let token: &AccessToken = &fetched.token.access_token;
    let client = &plan.client;
    let subscription = arm::discover_subscription(client, token, &plan.discovery).await?;
    let list = arm::list_vms(
        client,
        token,
        &subscription.id,
        plan.resource_group.as_deref(),
        plan.power_state,
    )
    .await?;
    Ok(Outcome {
        subscription,
        list,
        requests: client.history(),
        token_note: plan.token_note.clone(),
        fingerprint: token.fingerprint(),
        audience: plan.resource.clone(),
    })
}

pub async fn fetch(cli: &Cli, args: &VmsArgs) -> Result<Outcome> {
    let setup = super::setup::setup(&cli.endpoint, cli.demo, super::setup::demo_config()).await?;
    let plan = plan(&setup, args, &cli.resource)?;
    list(&plan, &setup.client, &setup.endpoint).await
}

pub fn success_json(o: &Outcome) -> Value {
    let ids: Vec<Value> = o
        .requests
        .iter()
        .filter(|r| !r.request_ids.is_empty())
        .map(|r| {
            r.request_ids
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
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
    let _ = writeln!(out, "subscription  {} (from {})", s.id, s.source.describe());
    let _ = writeln!(out, "token         {} for {}", o.fingerprint, o.audience);
    for n in o.token_note.iter().chain(&s.notes) {
        let _ = writeln!(out, "note          {}", sanitize(n));
    }
    let _ = writeln!(out);
    let mut rows: Vec<Vec<Cow<str>>> = vec![[
        "NAME",
        "RESOURCE GROUP",
        "LOCATION",
        "SIZE",
        "OS",
        "PROVISIONING",
    ]
    .map(Cow::Borrowed)
    .to_vec()];
    if power_state {
        rows[0].push(Cow::Borrowed("POWER"));
    }
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
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
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

pub async fn run(cli: &Cli, args: &VmsArgs) -> Result<String> {
    let o = fetch(cli, args).await?;
    Ok(if args.json {
        success_json(&o).to_string()
    } else {
        human(&o, args.power_state)
    })
}
