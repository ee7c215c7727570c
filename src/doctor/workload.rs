//! Workload identity's own checks: which of the webhook's variables arrived (and what each
//! absence points to), and the service-account token file itself. The exchange and the clock
//! against Entra's Date are the token and clock checks, as for every flavour.

use std::time::Duration;

use super::Check;
use crate::endpoint::detect::WORKLOAD_VARS;
use crate::endpoint::{workload, Endpoint, EnvSnapshot};
use crate::token::claims;
use crate::token::service_account::ServiceAccountToken;

pub const VARIABLES: &str = "workload-env";
pub const TOKEN_FILE: &str = "sa-token";

/// What the report says of the service-account token: decoded facts and where the file is,
/// never its contents (the fingerprint identifies it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub path: std::path::PathBuf,
    pub resolved: std::path::PathBuf,
    pub mode: Option<u32>,
    /// When the file was last written (epoch seconds), to compare with the token's iat.
    pub modified: Option<i64>,
    pub fingerprint: String,
    pub token: ServiceAccountToken,
}

impl FileFacts {
    /// The facts of a token file as read (never its contents).
    pub fn of(f: &workload::TokenFile) -> Self {
        Self {
            path: f.path.clone(),
            resolved: f.resolved.clone(),
            mode: f.mode,
            modified: f.modified,
            fingerprint: f.contents.fingerprint(),
            token: f.token.clone(),
        }
    }

    pub fn to_json(&self, now: i64) -> serde_json::Value {
        let mut v = self.token.to_json(now);
        if let Some(m) = v.as_object_mut() {
            m.insert("file".into(), self.path.display().to_string().into());
            m.insert(
                "file_resolved".into(),
                self.resolved.display().to_string().into(),
            );
            if let Some(mode) = self.mode {
                m.insert("file_mode".into(), format!("{mode:04o}").into());
            }
            m.insert("fingerprint".into(), self.fingerprint.clone().into());
            if let Some(t) = self.modified {
                m.insert("file_modified".into(), claims::utc_string(t).into());
                m.insert("file_modified_epoch".into(), t.into());
            }
        }
        v
    }
}

/// The checks, and the token file's facts when it could be read.
pub struct Findings {
    pub checks: Vec<Check>,
    pub file: Option<FileFacts>,
}

/// Nothing when no workload-identity variable is set and the flavour is another.
pub async fn checks(env: &EnvSnapshot, ep: Option<&Endpoint>, timeout: Duration) -> Findings {
    let inputs = ep.and_then(|e| e.workload.as_ref());
    let any = WORKLOAD_VARS.iter().take(3).any(|(v, _)| env.has(v));
    let mut found = Findings {
        checks: Vec::new(),
        file: None,
    };
    if inputs.is_none() && !any {
        return found;
    }
    let mut out = Vec::new();
    let set: Vec<&str> = WORKLOAD_VARS
        .iter()
        .filter(|(v, _)| env.has(v))
        .map(|(v, _)| *v)
        .collect();
    let missing: Vec<String> = WORKLOAD_VARS
        .iter()
        .take(3)
        .filter(|(v, _)| !env.has(v))
        .map(|(v, cause)| format!("{v} missing: {cause}"))
        .collect();
    let evidence = format!(
        "set: {}",
        if set.is_empty() {
            "none".to_string()
        } else {
            set.join(", ")
        }
    );
    out.push(if missing.is_empty() {
        let mut e = evidence;
        if !env.has("AZURE_AUTHORITY_HOST") {
            e.push_str(&format!(
                "; AZURE_AUTHORITY_HOST unset, so {}",
                workload::DEFAULT_AUTHORITY
            ));
        }
        Check::pass(VARIABLES, e)
    } else if inputs.is_some() {
        Check::warn(
            VARIABLES,
            evidence,
            format!("flags stand in for: {}", missing.join("; ")),
        )
    } else {
        Check::fail(VARIABLES, evidence, missing.join("; "))
    });
    let Some(inputs) = inputs else {
        found.checks = out;
        return found;
    };
    let now = chrono::Utc::now().timestamp();
    out.push(
        match workload::read_token_file(&inputs.token_file, timeout).await {
            Err(e) => Check::fail(TOKEN_FILE, e.message, e.hint),
            Ok(f) => {
                found.file = Some(FileFacts::of(&f));
                let t = &f.token;
                let mut evidence = format!(
                    "{} ({}{}): iss {}, sub {}, aud {}",
                    f.path.display(),
                    f.contents.fingerprint(),
                    f.mode
                        .map(|m| format!(", mode {m:04o}"))
                        .unwrap_or_default(),
                    t.issuer.as_deref().unwrap_or("(none)"),
                    t.subject.as_deref().unwrap_or("(none)"),
                    t.audiences.join(",")
                );
                if let (Some(iat), Some(exp), Some(life)) =
                    (t.issued_at, t.expires_at, t.lifetime_s)
                {
                    evidence.push_str(&format!(
                        "; age {} of {} lifetime, expires {}",
                        claims::duration(now - iat),
                        claims::duration(life),
                        claims::relative(exp - now)
                    ));
                }
                let warnings = t.warnings(now);
                if warnings.is_empty() {
                    Check::pass(TOKEN_FILE, evidence)
                } else {
                    Check::fail(TOKEN_FILE, evidence, warnings.join("; "))
                }
            }
        },
    );
    found.checks = out;
    found
}

/// The clock against Entra's when the exchange was refused: Entra's error body carries its own
/// time (`timestamp`), to the second. None when the answer was not Entra's.
pub fn entra_clock(e: &crate::error::Error, now: i64) -> Option<Check> {
    use super::token::{CLOCK, SKEW_FAIL, SKEW_WARN};
    let (_, ts) = e.request_ids.iter().find(|(k, _)| k == "timestamp")?;
    let entra = crate::endpoint::entra::entra_time(ts)?;
    let evidence = format!(
        "Entra's answer is stamped {ts}: {}",
        crate::endpoint::entra::entra_clock_words(entra, now)
    );
    let hint = "a clock off by minutes puts the service-account token outside its valid time range (AADSTS700024): sync this machine's clock (timedatectl status, chronyc tracking) and the cluster nodes'";
    Some(match (entra - now).abs() {
        s if s > SKEW_FAIL => Check::fail(CLOCK, evidence, hint),
        s if s > SKEW_WARN => Check::warn(CLOCK, evidence, hint),
        _ => Check::pass(CLOCK, evidence),
    })
}
