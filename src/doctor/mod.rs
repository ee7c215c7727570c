//! `tokscope doctor`: what is wrong on this machine, as a list of checks with evidence and hints.
//!
//! Every check is data (`Check`), so the CLI, the JSON output, the support report and the TUI
//! all show the same findings.

pub mod answered;
pub mod arm;
pub mod environment;
pub mod federation;
pub mod fleet;
pub mod keys;
pub mod pod;
pub mod render;
pub mod token;
pub mod workload;

use serde::Serialize;

use crate::endpoint::{self, Endpoint, EnvSnapshot, Overrides, TokenClient};
use crate::token::Jwt;
use crate::verdict::{Activity, Attempt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One finding: what was checked, how it went, what was seen, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub evidence: String,
    /// Empty when there is nothing to do.
    pub hint: String,
}

impl Check {
    fn new(
        name: &str,
        status: Status,
        evidence: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            name: name.to_string(),
            status,
            evidence: evidence.into(),
            hint: hint.into(),
        }
    }

    pub fn pass(name: &str, evidence: impl Into<String>) -> Self {
        Self::new(name, Status::Pass, evidence, "")
    }

    pub fn warn(name: &str, evidence: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(name, Status::Warn, evidence, hint)
    }

    pub fn fail(name: &str, evidence: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, evidence, hint)
    }

    pub fn skip(name: &str, evidence: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, evidence, "")
    }
}

/// What to diagnose.
#[derive(Debug, Clone)]
pub struct Options {
    pub resource: String,
    /// Issuer host or OpenID configuration URL for the signing keys; None means Entra's.
    pub authority: Option<String>,
    /// Where `--arm` calls ARM; None leaves the ARM check out.
    pub arm: Option<crate::arm::Target>,
    /// Running against the built-in emulator, with the machine's environment ignored.
    pub demo: bool,
    /// Workload identity: where and how to read the identity's federated credentials.
    pub federation: Option<federation::ArmReader>,
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// Everything the doctor found. Holds the decoded token (header and claims), never the token.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub checks: Vec<Check>,
    pub resource: String,
    pub endpoint: Option<Endpoint>,
    pub jwt: Option<Jwt>,
    pub fingerprint: Option<String>,
    /// Ids the endpoint gave (correlationId, x-ms-request-id …), for a support ticket.
    pub request_ids: crate::error::RequestIds,
    /// When the token arrived (epoch seconds), the `now` its times are shown against.
    pub received_at: Option<i64>,
    /// The token's warnings from `inspect`, the same list `tokscope get` and the TUI show.
    pub warnings: Vec<String>,
    /// Workload identity: the service-account token file, decoded (never its contents).
    pub service_account: Option<workload::FileFacts>,
    /// The verdict on the run: the token's (as `get` gives it), and the fetch and ARM call
    /// counted when they failed.
    pub verdict: crate::verdict::Verdict,
    /// Workload identity: the federated credentials against the presented token, as data.
    pub federation: Option<serde_json::Value>,
}

impl Diagnosis {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.checks {
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
            }
        }
        s
    }

    /// The worst status among the checks; skips count as passes.
    pub fn worst(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Pass)
    }

    pub fn ok(&self) -> bool {
        self.worst() == Status::Pass
    }

    /// 0 when everything passed (skips are fine), 1 with warnings, 2 with failures.
    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Status::Pass | Status::Skip => 0,
            Status::Warn => 1,
            Status::Fail => 2,
        }
    }

    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Run every check in order. Never fails: each problem becomes a check.
pub async fn diagnose(
    env: &EnvSnapshot,
    overrides: &Overrides,
    client: &TokenClient,
    opts: &Options,
) -> Diagnosis {
    let mut detected = endpoint::detect(env, overrides);
    if let (true, Ok(ep)) = (opts.demo, detected.as_mut()) {
        ep.detected_from = vec!["--demo".into()];
    }
    let imds = endpoint::detect::imds_host(env, overrides);
    let mut local_urls = vec![imds.as_str()];
    if let Ok(ep) = &detected {
        local_urls.push(ep.url.expose());
    }
    let mut checks = vec![
        environment::environment(env, overrides, &detected, opts.demo),
        environment::proxy(env, &local_urls),
    ];
    let mut d = Diagnosis {
        checks: Vec::new(),
        resource: opts.resource.clone(),
        endpoint: detected.as_ref().ok().cloned(),
        jwt: None,
        fingerprint: None,
        request_ids: crate::error::RequestIds::default(),
        received_at: None,
        warnings: Vec::new(),
        service_account: None,
        verdict: crate::verdict::Verdict::default(),
        federation: None,
    };
    let wi = workload::checks(env, d.endpoint.as_ref(), std::time::Duration::from_secs(10)).await;
    checks.extend(wi.checks);
    d.service_account = wi.file;
    checks.extend(pod::layout(env, d.service_account.as_ref()));
    let now = chrono::Utc::now().timestamp();
    checks.extend(
        d.service_account
            .as_ref()
            .and_then(|f| pod::rotation(f, now)),
    );
    let mut found = token::Findings::default();
    match &d.endpoint {
        Some(ep) => token::run(ep, client, opts, &mut found).await,
        None => found.checks.push(Check::skip(
            token::ENDPOINT,
            "no endpoint to try: see the environment check",
        )),
    }
    checks.append(&mut found.checks);
    // The configured side, when ARM can be read or when Entra said no credential matched.
    let mismatch = found
        .error_code
        .as_deref()
        .is_some_and(|c| federation::MISMATCH_CODES.contains(&c));
    if let (Some(ep), Some(sa)) = (&d.endpoint, &d.service_account) {
        if let (Some(w), true) = (&ep.workload, opts.federation.is_some() || mismatch) {
            let f = federation::explain(opts.federation.as_ref(), &w.client_id, &sa.token).await;
            checks.push(f.check);
            d.federation = Some(f.detail);
        }
    }
    // Who answered, after the fetch: its strikes on a faulty endpoint come first, as they
    // would for a client.
    if let Some(ep) = &d.endpoint {
        checks.push(answered::who_answered(ep, client, env, &opts.resource).await);
        checks.push(answered::imds_probes(ep, client).await);
    }
    if let Some(target) = &opts.arm {
        let f = arm::arm_check(arm::Inputs {
            target,
            endpoint: d.endpoint.as_ref(),
            client,
            env,
            overrides,
            resource: &opts.resource,
            token_ok: found.fingerprint.is_some(),
        })
        .await;
        match f.check.status {
            Status::Fail => found
                .attempts
                .push(Attempt::failed(Activity::Arm, f.check.evidence.clone())),
            Status::Pass | Status::Warn => found.attempts.push(Attempt::ok(Activity::Arm)),
            Status::Skip => {}
        }
        checks.push(f.check);
        found.request_ids.extend(f.request_ids);
    }
    d.checks = checks;
    d.jwt = found.jwt;
    d.fingerprint = found.fingerprint;
    d.request_ids = found.request_ids;
    d.received_at = found.received_at;
    d.warnings = found.warnings;
    d.verdict = crate::verdict::session(found.verdict.as_ref(), &found.attempts);
    d
}
