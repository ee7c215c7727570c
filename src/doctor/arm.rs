//! The ARM check (`--arm`): ARM reachable with this token, the subscription found, and the VM
//! list permitted. It uses the same ARM client set-up as `tokscope vms`.

use super::Check;
use crate::arm::{self, Target};
use crate::endpoint::{Endpoint, EnvSnapshot, Overrides, TokenClient};
use crate::error::{Error, ErrorKind};

pub const ARM: &str = "arm";

/// What the check needs from the rest of the diagnosis.
pub struct Inputs<'a> {
    pub target: &'a Target,
    pub endpoint: Option<&'a Endpoint>,
    pub client: &'a TokenClient,
    pub env: &'a EnvSnapshot,
    pub overrides: &'a Overrides,
    /// The resource the doctor asked for.
    pub resource: &'a str,
    /// Whether the token checks got a token for that resource.
    pub token_ok: bool,
}

/// The check and the request ids of the ARM answer it rests on.
pub struct Finding {
    pub check: Check,
    pub request_ids: crate::error::RequestIds,
}

impl Finding {
    fn skip(evidence: String) -> Self {
        Self {
            check: Check::skip(ARM, evidence),
            request_ids: crate::error::RequestIds::default(),
        }
    }
}

/// `x-ms-request-id abc, x-ms-correlation-request-id def`
/// Fetch a token for ARM, find the subscription and list its VMs; every outcome is a check.
pub async fn arm_check(i: Inputs<'_>) -> Finding {
    let Some(ep) = i.endpoint else {
        return Finding::skip("no endpoint to fetch an ARM token from".into());
    };
    let (resource, note) = i.target.token_resource(i.resource);
    if !i.token_ok && resource == i.resource {
        return Finding::skip("no token: see the token check".into());
    }
    let fetched = match i.client.fetch(ep, &resource).await {
        Ok(f) => f,
        Err(e) => {
            return Finding::skip(format!("no token for {resource}: {}", e.message));
        }
    };
    let client = &i.target.client;
    let shown_base = crate::display_url::DisplayUrl::of(client.base());
    let base = shown_base.as_str();
    let discovery = i.target.discovery(None, i.env, i.overrides, ep.flavour);
    let prefix = note.map_or(String::new(), |n| format!("{n}; "));
    let subscription = match arm::discover_subscription(client, &fetched.token, &discovery).await {
        Ok(s) => s,
        Err(e) => return failed(&prefix, base, "finding the subscription", &e),
    };
    let found = format!(
        "subscription {} from {}",
        subscription.id,
        subscription.source.describe()
    );
    let list = match arm::list_vms(client, &fetched.token, &subscription.id, None, false).await {
        Ok(l) => l,
        Err(e) => {
            let mut finding = failed(&format!("{prefix}{found}; "), base, "listing VMs", &e);
            if e.status == Some(403) {
                explain(&i, ep, &subscription.id, &mut finding).await;
            }
            return finding;
        }
    };
    let ids = client
        .history()
        .iter()
        .rev()
        .find(|r| !r.request_ids.is_empty())
        .map(|r| r.request_ids.clone())
        .unwrap_or_default();
    let n = list.vms.len();
    let mut evidence = format!(
        "{prefix}ARM at {base} answered; {found}; VM list permitted: {n} VM{} in {} page{}",
        if n == 1 { "" } else { "s" },
        list.pages,
        if list.pages == 1 { "" } else { "s" },
    );
    if !ids.is_empty() {
        evidence = format!("{evidence} ({})", ids.text());
    }
    Finding {
        check: Check::pass(ARM, evidence),
        request_ids: ids.labelled("arm "),
    }
}

/// A refused listing explained as `tokscope why` explains it: the verdict joins the evidence
/// and its fix replaces the generic hint.
async fn explain(i: &Inputs<'_>, ep: &Endpoint, subscription: &str, finding: &mut Finding) {
    let ctx = arm::why::Context {
        tokens: i.client,
        endpoint: ep,
        env: i.env,
        overrides: i.overrides,
        arm: i.target,
    };
    let request = arm::why::Request {
        method: "GET".into(),
        subscription: Some(subscription.to_string()),
        ..Default::default()
    };
    match arm::why::diagnose_in(&ctx, &request, i.resource).await {
        Ok(o) => {
            let d = &o.diagnosis;
            finding.check.evidence = format!("{}; why: {}", finding.check.evidence, d.summary);
            if let Some(fix) = &d.fix {
                finding.check.hint = fix.clone();
            }
        }
        Err(e) => {
            finding.check.evidence = format!(
                "{}; why could not be told: {}",
                finding.check.evidence, e.message
            );
        }
    }
}

/// A failed step: what ARM said (status, code, message, request ids) and the error's hint.
fn failed(prefix: &str, base: &str, step: &str, e: &Error) -> Finding {
    let said = match (e.status, &e.code) {
        _ if matches!(e.kind, ErrorKind::Connect | ErrorKind::Timeout) => {
            format!("ARM at {base} is unreachable: {}", e.message)
        }
        (Some(status), Some(code)) => format!("ARM answered {status} {code}: {}", e.message),
        (Some(status), None) => format!("ARM answered {status}: {}", e.message),
        (None, _) => e.message.clone(),
    };
    let mut evidence = format!("{prefix}{step}: {said}");
    if !e.request_ids.is_empty() {
        evidence = format!("{evidence} ({})", e.request_ids.text());
    }
    Finding {
        check: Check::fail(ARM, evidence, e.hint.clone()),
        request_ids: e.request_ids.labelled("arm "),
    }
}
