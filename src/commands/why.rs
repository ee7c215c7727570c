//! `tokscope why`: the verdict on a request, as text or JSON. The facts and the verdict are
//! `arm::why`'s and `authz`'s; this only renders them.

use std::fmt::Write;

use serde_json::{json, Value};

use crate::arm::why::{self, Outcome, Request};
use crate::authz::Verdict;
use crate::cli::WhyArgs;
use crate::error::Result;
use crate::sanitize::sanitize;
use crate::session::Session;

/// `tokscope why`'s flags as the core's request.
pub fn request(args: &WhyArgs) -> Request {
    Request {
        target: args.target.clone(),
        method: args.method.clone(),
        scope: args.scope.clone(),
        subscription: args.subscription.clone(),
        cloud: args.cloud,
        arm_url: args.arm_url.clone(),
    }
}

fn listed<T: serde::Serialize>(r: &std::result::Result<Vec<T>, String>) -> Value {
    match r {
        Ok(v) => json!(v),
        Err(e) => json!({ "unreadable": e }),
    }
}

pub fn to_json(o: &Outcome) -> Value {
    let d = &o.diagnosis;
    let ids: Vec<Value> = o
        .requests
        .iter()
        .filter(|r| !r.request_ids.is_empty())
        .map(|r| json!(r.request_ids))
        .collect();
    let refusal = match &o.probe {
        crate::authz::verdict::Probe::Refused(r) => json!(r),
        _ => Value::Null,
    };
    json!({
        "verdict": d.verdict.as_str(),
        "summary": d.summary,
        "action": o.target.action,
        "data_action": o.target.data_action,
        "service": o.target.service,
        "method": o.target.method,
        "url": o.url,
        "scope": o.scope,
        "principal_id": o.principal_id,
        "principal_type": o.principal_type,
        "evidence": d.evidence,
        "fix": d.fix,
        "least_role": d.least_role,
        "granted_by": d.granted_by,
        "assigned_at": d.assigned_at,
        "expected_by": d.expected_by,
        "probe": o.probe,
        "refusal": refusal,
        "permissions": listed(&o.permissions),
        "role_assignments": listed(&o.assignments),
        "deny_assignments": listed(&o.deny_assignments),
        "role_definitions_from": o.roles_source,
        "request_ids": ids,
        "requests": o.requests,
    })
}

/// Columns of text after the label.
const WIDTH: usize = 88;

pub fn human(o: &Outcome) -> String {
    let d = &o.diagnosis;
    let mut out = String::new();
    // Long sentences wrap under their label, so the text reads in a terminal of 100 columns.
    let row = |out: &mut String, k: &str, v: &str| {
        let clean = sanitize(v);
        for (i, line) in crate::text::wrap_words(&clean, WIDTH, crate::text::LongWords::Keep)
            .iter()
            .enumerate()
        {
            let _ = writeln!(out, "{:<10} {line}", if i == 0 { k } else { "" });
        }
    };
    row(&mut out, "verdict", d.verdict.as_str());
    row(&mut out, "", &d.summary);
    row(&mut out, "action", &o.target.action);
    row(&mut out, "scope", o.scope.as_deref().unwrap_or("(unknown)"));
    row(
        &mut out,
        "principal",
        &format!(
            "{} ({})",
            o.principal_id.as_deref().unwrap_or("(unknown)"),
            o.principal_type
        ),
    );
    for (i, e) in d.evidence.iter().enumerate() {
        row(
            &mut out,
            if i == 0 { "evidence" } else { "" },
            &format!("- {e}"),
        );
    }
    // Commands and requests stay one line each, so they copy whole.
    if let Some(f) = &d.fix {
        let _ = writeln!(out, "{:<10} {}", "fix", sanitize(f));
    }
    for r in &o.requests {
        let _ = writeln!(out, "{:<10} {}", "request", sanitize(&r.line()));
    }
    out
}

/// The output and the exit code: 0 when the call goes through, 2 when it is refused.
pub async fn run(session: &Session, resource: &str, args: &WhyArgs) -> Result<(String, u8)> {
    let o = why::diagnose(session, &request(args), resource).await?;
    let code = if o.diagnosis.verdict == Verdict::Allowed {
        0
    } else {
        2
    };
    let text = if args.json {
        to_json(&o).to_string()
    } else {
        human(&o)
    };
    Ok((text, code))
}
