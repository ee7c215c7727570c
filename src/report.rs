//! The support report: the doctor's findings, the decoded token and the system, in a form
//! safe to paste into a ticket. The token and its signature are never part of it; its
//! fingerprint identifies it.

use std::fmt::Write;

use serde_json::{json, Map, Value};

use crate::doctor::{render, Diagnosis};
use crate::sanitize::sanitize_json;
use crate::token::claims::{time_claims, utc_string, TimeForms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Markdown, for a ticket or a chat.
    #[default]
    Md,
    Json,
}

/// Where the report was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    pub version: &'static str,
    pub os: &'static str,
    pub arch: &'static str,
    /// PRETTY_NAME from /etc/os-release, when readable.
    pub pretty_name: Option<String>,
}

pub fn system_info() -> SystemInfo {
    SystemInfo {
        version: env!("CARGO_PKG_VERSION"),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        pretty_name: crate::files::read_text(
            std::path::Path::new("/etc/os-release"),
            crate::files::ReadRule::new(64 * 1024),
        )
        .ok()
        .and_then(|text| pretty_name(&text)),
    }
}

/// The PRETTY_NAME value of an os-release file, without its quotes.
pub fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|line| {
        let value = line.trim().strip_prefix("PRETTY_NAME=")?;
        let value = value.trim().trim_matches('"').trim_matches('\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The report in the chosen format, made now.
pub fn build(d: &Diagnosis, format: Format) -> String {
    let now = chrono::Utc::now().timestamp();
    let system = system_info();
    match format {
        Format::Md => markdown(d, &system, now),
        Format::Json => {
            let mut s = json_report(d, &system, now).to_string();
            s.push('\n');
            s
        }
    }
}

fn times(d: &Diagnosis, now: i64) -> Vec<(&'static str, TimeForms)> {
    d.jwt
        .as_ref()
        .map_or_else(Vec::new, |j| time_claims(j, now))
}

pub fn json_report(d: &Diagnosis, system: &SystemInfo, now: i64) -> Value {
    let endpoint = d.endpoint.as_ref().map_or(Value::Null, |ep| {
        json!({
            "flavour": ep.flavour.name(),
            "url": ep.url,
            "detected_from": ep.detected_from,
            "identity": crate::inspect::identity_label(ep, d.jwt.as_ref()),
        })
    });
    let token = d.jwt.as_ref().map_or(Value::Null, |j| {
        let mut t = Map::new();
        for (name, forms) in times(d, now) {
            t.insert(
                name.into(),
                serde_json::to_value(forms).unwrap_or(Value::Null),
            );
        }
        json!({
            "fingerprint": d.fingerprint,
            "header": j.header,
            "claims": j.claims,
            "times": t,
        })
    });
    let mut out = json!({
        "generated_at": utc_string(now),
        "tokscope_version": system.version,
        "system": {"os": system.os, "arch": system.arch, "pretty_name": system.pretty_name},
        "host": render::host_name(),
        "resource": d.resource,
        "endpoint": endpoint,
        "verdict": d.verdict.to_json(),
        "doctor": render::json(d),
        "token": token,
        "request_ids": d.request_ids,
    });
    if let (Some(sa), Some(m)) = (&d.service_account, out.as_object_mut()) {
        m.insert("service_account_token".into(), sa.to_json(now));
    }
    out
}

/// A field in a line or table cell of the report: one line, markdown's syntax inert.
fn cell(s: &str) -> String {
    crate::sanitize::markdown_inline(s)
}

/// Pretty JSON whose strings carry no raw control or bidi character.
fn pretty(v: &Map<String, Value>) -> String {
    sanitize_json(&serde_json::to_string_pretty(v).unwrap_or_default()).into_owned()
}

pub fn markdown(d: &Diagnosis, system: &SystemInfo, now: i64) -> String {
    let mut out = String::new();
    let os = match &system.pretty_name {
        Some(p) => format!("{} {} ({})", system.os, system.arch, cell(p)),
        None => format!("{} {}", system.os, system.arch),
    };
    let _ = writeln!(out, "# tokscope support report\n");
    let _ = writeln!(
        out,
        "Made {} by tokscope {} on {os}. The access token itself is not included.\n",
        utc_string(now),
        system.version
    );
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "- verdict: **{}**", d.verdict.level.label());
    if let Some(host) = render::host_name() {
        let _ = writeln!(out, "- machine: {}", cell(&host));
    }
    let _ = writeln!(out, "- resource: {}", cell(&d.resource));
    match &d.endpoint {
        Some(ep) => {
            let from = if ep.detected_from.is_empty() {
                "the default".to_string()
            } else {
                cell(&ep.detected_from.join(", "))
            };
            let _ = writeln!(
                out,
                "- endpoint: {} at {} (from {from})",
                ep.flavour.name(),
                cell(ep.url.display().as_str())
            );
            let who = crate::inspect::identity_label(ep, d.jwt.as_ref());
            let _ = writeln!(out, "- identity: {}", cell(&who));
        }
        None => {
            let _ = writeln!(out, "- endpoint: none detected");
        }
    }
    if let Some(f) = &d.fingerprint {
        let _ = writeln!(out, "- token fingerprint: `{f}`");
    }
    let _ = writeln!(out, "- result: {}\n", render::summary_line(d));

    let _ = writeln!(out, "## Checks\n");
    let _ = writeln!(out, "| status | check | evidence | hint |");
    let _ = writeln!(out, "|---|---|---|---|");
    for c in &d.checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.status.label(),
            cell(&c.name),
            cell(&c.evidence),
            cell(&c.hint)
        );
    }

    verdict_md(&mut out, &d.verdict);

    let _ = writeln!(out, "\n## Token\n");
    match &d.jwt {
        Some(j) => {
            let _ = writeln!(
                out,
                "Header and claims as decoded; the signature ({} bytes) is left out.\n",
                j.signature_len()
            );
            let _ = writeln!(out, "### Header\n\n```json\n{}\n```\n", pretty(&j.header));
            let _ = writeln!(out, "### Claims\n\n```json\n{}\n```\n", pretty(&j.claims));
            let _ = writeln!(out, "### Times\n");
            let _ = writeln!(out, "| claim | epoch | UTC | local | relative |");
            let _ = writeln!(out, "|---|---|---|---|---|");
            for (name, t) in times(d, now) {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {} | {} |",
                    t.epoch, t.utc, t.local, t.relative
                );
            }
        }
        None => {
            let _ = writeln!(out, "No token was obtained.");
        }
    }

    if let Some(sa) = &d.service_account {
        service_account_md(&mut out, sa, now);
    }

    let _ = writeln!(out, "\n## Request ids\n");
    if d.request_ids.is_empty() {
        let _ = writeln!(out, "None seen.");
    }
    for (k, v) in &d.request_ids {
        let _ = writeln!(out, "- {}: {}", cell(k), cell(v));
    }

    let _ = writeln!(out, "\n## System\n");
    let _ = writeln!(out, "- tokscope {}", system.version);
    let _ = writeln!(out, "- OS: {} {}", system.os, system.arch);
    if let Some(p) = &system.pretty_name {
        let _ = writeln!(out, "- distribution: {}", cell(p));
    }
    out
}

/// The verdict's causes, one item each with its level: the section every report has, the
/// UI's too, so a ticket reads the same verdict the screen showed.
pub fn verdict_md(out: &mut String, v: &crate::verdict::Verdict) {
    let _ = writeln!(out, "\n## Verdict: {}\n", v.level.label());
    if v.causes.is_empty() {
        let _ = writeln!(out, "Nothing found wrong.");
    }
    for c in &v.causes {
        let _ = writeln!(out, "- {}: {}", c.level().label(), cell(&c.message()));
    }
}

/// The workload-identity assertion as facts: who the cluster says the pod is, for whom, until
/// when. The token itself stays out, as the access token does.
fn service_account_md(out: &mut String, sa: &crate::doctor::workload::FileFacts, now: i64) {
    let t = &sa.token;
    let or_dash = |v: &Option<String>| v.as_deref().map_or("-".to_string(), cell);
    let time = |v: Option<i64>| {
        v.map_or("-".to_string(), |e| {
            format!(
                "{} UTC ({})",
                utc_string(e),
                crate::token::claims::relative(e - now)
            )
        })
    };
    let _ = writeln!(
        out,
        "\n## Service-account token\n\nThe assertion exchanged at Entra, from {} (`{}`); the token itself is not included.\n",
        cell(&sa.path.display().to_string()),
        sa.fingerprint
    );
    let _ = writeln!(out, "| field | value |\n|---|---|");
    let rows = [
        ("issuer", or_dash(&t.issuer)),
        ("subject", or_dash(&t.subject)),
        ("namespace", or_dash(&t.namespace)),
        ("service account", or_dash(&t.service_account)),
        ("audience", cell(&t.audiences.join(", "))),
        ("issued", time(t.issued_at)),
        ("expires", time(t.expires_at)),
        (
            "lifetime",
            t.lifetime_s
                .map_or("-".into(), crate::token::claims::duration),
        ),
        ("kubelet rotates (80 %)", time(t.rotation_due)),
        ("pod", or_dash(&t.pod)),
        ("node", or_dash(&t.node)),
        ("kid", or_dash(&t.kid)),
        (
            "file mode",
            sa.mode.map_or("-".into(), |m| format!("{m:04o}")),
        ),
        ("file (resolved)", cell(&sa.resolved.display().to_string())),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_pretty_name() {
        let text = "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n";
        assert_eq!(
            super::pretty_name(text).as_deref(),
            Some("Ubuntu 24.04.1 LTS")
        );
        assert_eq!(super::pretty_name("ID=x"), None);
    }
}
