//! `tokscope get`: fetch a token for a resource and show it.

use std::fmt::Write;

use serde_json::{json, Value};

use crate::cli::GetArgs;
use crate::endpoint::workload::Federated;
use crate::endpoint::{revoke, Endpoint, Fetched};
use crate::error::Result;
use crate::identity_check;
use crate::sanitize::one_line;
use crate::session::Session;
use crate::token::{self, claims, Jwt};

use crate::inspect::inspect_at;

#[allow(
    clippy::indexing_slicing,
    reason = "indexes JSON objects built here: serde_json inserts or reads, it panics only on non-objects"
)]
pub fn success_json(
    ep: &Endpoint,
    resource: &str,
    f: &Fetched,
    show_token: bool,
    now: i64,
) -> Value {
    let t = &f.token;
    let mut tok = json!({
        "fingerprint": t.access_token.fingerprint(),
        "length": t.access_token.len(),
        "token_type": t.token_type,
        "expires_on": claims::utc_string(t.expires_on),
        "expires_on_epoch": t.expires_on,
        "expires_in_s": t.expires_on.saturating_sub(now),
        "expiry_source": t.expiry_source,
    });
    if let Some(nb) = t.not_before {
        tok["not_before_epoch"] = nb.into();
    }
    if let Some(r) = t.refresh_in {
        tok["refresh_in_s"] = r.into();
    }
    if let Some(c) = &t.client_id {
        tok["client_id"] = c.clone().into();
    }
    if let Some(r) = &t.resource {
        tok["resource"] = r.clone().into();
    }
    if show_token {
        tok["access_token"] = t.access_token.expose().into();
    }
    let seen = inspect_at(ep, resource, f, now);
    let jwt_json = t.jwt.as_ref().map_or(Value::Null, token::jwt_json);
    let identity = identity_check::check(ep, t);
    let mut out = json!({
        "ok": !identity.mismatch(),
        "source": ep.source_json(),
        "identity": crate::inspect::identity_label(ep, t.jwt.as_ref().ok()),
        "resource": resource,
        "token": tok,
        "jwt": jwt_json,
        "latency_ms": crate::duration::millis(f.latency),
        "retries": f.retries,
        "warnings": seen.warnings,
        "verdict": seen.verdict.to_json(),
        "identity_check": identity.to_json(),
    });
    if let Some(fed) = &f.federated {
        out["federated_token"] = federated_json(fed, show_token, now);
        if let Some(e) = fed.ext_expires_in {
            out["token"]["ext_expires_in_s"] = e.into();
        }
    }
    out
}

/// The service-account token that was exchanged: decoded, never the raw assertion unless asked.
#[allow(
    clippy::indexing_slicing,
    reason = "indexes JSON objects built here: serde_json inserts or reads, it panics only on non-objects"
)]
pub fn federated_json(fed: &Federated, show_token: bool, now: i64) -> Value {
    let mut v = fed.file.token.to_json(now);
    v["file"] = fed.file.path.display().to_string().into();
    v["file_resolved"] = fed.file.resolved.display().to_string().into();
    if let Some(m) = fed.file.mode {
        v["file_mode"] = format!("{m:04o}").into();
    }
    v["fingerprint"] = fed.file.contents.fingerprint().into();
    v["client_id"] = fed.inputs.client_id.clone().into();
    v["tenant_id"] = fed.inputs.tenant.clone().into();
    v["authority"] = fed.inputs.authority.clone().into();
    if show_token {
        v["assertion"] = fed.file.contents.expose().into();
    }
    v
}

/// The service-account token in words, and the chain it starts.
pub fn federated_text(fed: &Federated, access: Option<&Jwt>, now: i64) -> String {
    let t = &fed.file.token;
    let mut out = String::new();
    let or_none = |v: &Option<String>| v.as_deref().map_or_else(|| "(none)".into(), one_line);
    let _ = writeln!(
        out,
        "service-account token (AZURE_FEDERATED_TOKEN_FILE {}, {}{})",
        one_line(&fed.file.path.display().to_string()),
        fed.file.contents.fingerprint(),
        fed.file
            .mode
            .map(|m| format!(", mode {m:04o}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  issuer           {}", or_none(&t.issuer));
    let _ = writeln!(out, "  subject          {}", or_none(&t.subject));
    let _ = writeln!(
        out,
        "  namespace        {}   service account {}",
        or_none(&t.namespace),
        or_none(&t.service_account)
    );
    let _ = writeln!(
        out,
        "  audience         {}",
        one_line(&t.audiences.join(", "))
    );
    if let Some(iat) = t.issued_at {
        let _ = writeln!(
            out,
            "  issued           {} UTC ({})",
            claims::utc_string(iat),
            claims::relative(iat - now)
        );
    }
    if let Some(exp) = t.expires_at {
        let _ = writeln!(
            out,
            "  expires          {} UTC ({}){}",
            claims::utc_string(exp),
            claims::relative(exp - now),
            t.lifetime_s
                .map(|l| format!(", lifetime {}", claims::duration(l)))
                .unwrap_or_default()
        );
    }
    if let Some(due) = t.rotation_due {
        let _ = writeln!(
            out,
            "  kubelet rotates  at ~80 %: {} UTC ({})",
            claims::utc_string(due),
            claims::relative(due - now)
        );
    }
    if t.pod.is_some() || t.node.is_some() {
        let _ = writeln!(
            out,
            "  pod              {}   node {}",
            or_none(&t.pod),
            or_none(&t.node)
        );
    }
    for w in t.warnings(now) {
        let _ = writeln!(out, "  warning          {}", one_line(&w));
    }
    let aud = access
        .map(claims::audiences)
        .map(|a| a.join(", "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nchain  service-account token ({}) → Entra {} (tenant {}, client {}) → access token ({aud})",
        or_none(&t.subject),
        one_line(&fed.inputs.authority),
        one_line(&fed.inputs.tenant),
        one_line(&fed.inputs.client_id),
        aud = one_line(&aud),
    );
    out
}

pub fn human(ep: &Endpoint, resource: &str, f: &Fetched, show_token: bool, now: i64) -> String {
    let t = &f.token;
    let mut out = String::new();
    let from = if ep.detected_from.is_empty() {
        "default".to_string()
    } else {
        one_line(&ep.detected_from.join(", "))
    };
    let _ = writeln!(
        out,
        "flavour   {} — {} (from {from})",
        ep.flavour.name(),
        ep.flavour.describe()
    );
    let _ = writeln!(out, "endpoint  {}", one_line(ep.url.display()));
    let _ = writeln!(
        out,
        "identity  {}",
        one_line(&crate::inspect::identity_label(ep, t.jwt.as_ref().ok()))
    );
    let identity = identity_check::check(ep, t);
    let _ = writeln!(out, "check     {}", one_line(&identity.summary()));
    if let Some(cause) = identity.cause.as_deref().filter(|_| identity.mismatch()) {
        let _ = writeln!(out, "          {}", one_line(cause));
    }
    let _ = writeln!(out, "resource  {}", one_line(resource));
    let _ = writeln!(
        out,
        "token     {} ({} chars, {})",
        t.access_token.fingerprint(),
        t.access_token.len(),
        one_line(&t.token_type)
    );
    let forms = claims::time_forms(t.expires_on, now);
    let _ = writeln!(
        out,
        "expires   {} UTC · {} local · {}",
        forms.utc, forms.local, forms.relative
    );
    let _ = writeln!(
        out,
        "latency   {} ms{}",
        f.latency.as_millis(),
        if f.retries > 0 {
            format!(" ({} retries)", f.retries)
        } else {
            String::new()
        }
    );
    if let Some(fed) = &f.federated {
        let _ = writeln!(out);
        out.push_str(&federated_text(fed, t.jwt.as_ref().ok(), now));
        let _ = writeln!(out, "\naccess token");
    }
    let seen = inspect_at(ep, resource, f, now);
    let _ = writeln!(
        out,
        "holder    {}",
        one_line(&seen.facts.identity.to_string())
    );
    if let Some(owner) = &seen.facts.owner {
        let _ = writeln!(out, "owner     {}", one_line(owner));
    }
    out.push_str(&crate::verdict::text(&seen.verdict));
    if let Ok(jwt) = &t.jwt {
        let _ = writeln!(out);
        out.push_str(&super::render::jwt_text(jwt, now));
    }
    if show_token {
        let _ = writeln!(
            out,
            "\naccess_token (secret, shown because of --show-token):\n{}",
            one_line(t.access_token.expose())
        );
        if let Some(fed) = &f.federated {
            let _ = writeln!(
                out,
                "\nclient_assertion (the service-account token; secret, shown because of --show-token):\n{}",
                one_line(fed.file.contents.expose())
            );
        }
    }
    out
}

/// What `get` prints, and the exit code: the verdict's (2 when it is FAIL: unusable, or
/// another identity answered), else 1 when `--refresh` was not honoured.
pub struct Got {
    pub text: String,
    pub code: u8,
}

pub async fn run(setup: &Session, resource: &str, args: &GetArgs) -> Result<Got> {
    if args.show_token {
        crate::vault::reveal_tokens();
    }
    if args.as_fic {
        return as_fic(setup, resource, args).await;
    }
    let (f, proof) = if args.refresh {
        let r = revoke::refresh(&setup.client, &setup.endpoint, resource).await?;
        (r.new, Some(r.proof))
    } else {
        match setup.client.fetch(&setup.endpoint, resource).await {
            Ok(f) => (f, None),
            Err(e) => return Err(explain_federation(setup, args, e).await),
        }
    };
    let now = chrono::Utc::now().timestamp();
    let verdict = inspect_at(&setup.endpoint, resource, &f, now).verdict;
    let refused = proof.as_ref().is_some_and(|p| !p.replaced);
    let pod = pod_checks(setup, &f, now);
    let text = if args.json {
        let mut v = success_json(&setup.endpoint, resource, &f, args.show_token, now);
        if let (Some(p), Some(map)) = (&proof, v.as_object_mut()) {
            map.insert("refresh".into(), p.to_json());
            if refused {
                map.insert("ok".into(), false.into());
            }
        }
        if let Some(fed) = v.get_mut("federated_token").and_then(Value::as_object_mut) {
            fed.insert("pod".into(), json!(pod));
        }
        v.to_string()
    } else {
        let mut text = human(&setup.endpoint, resource, &f, args.show_token, now);
        if let Some(p) = &proof {
            text = format!("refresh   {}\n{text}", one_line(&p.summary()));
        }
        if !pod.is_empty() {
            text.push_str("\nthe pod\n");
            text.push_str(&crate::doctor::render::checks_text(&pod));
        }
        text
    };
    let code = match exit_code(&verdict, args.allow_unusable) {
        0 if refused => 1,
        code => code,
    };
    Ok(Got { text, code })
}

/// What `get` and `decode` exit with for a token they could read: 0, or
/// [`UNUSABLE`] when the verdict is FAIL and `--allow-unusable` was not given.
pub fn exit_code(verdict: &crate::verdict::Verdict, allow_unusable: bool) -> u8 {
    if verdict.is_fail() && !allow_unusable {
        UNUSABLE
    } else {
        0
    }
}

/// The exit code of `get` and `decode` for a token the verdict finds unusable (expired, for
/// another audience, unsigned …), as doctor's 2 for failures.
pub const UNUSABLE: u8 = 2;
/// Workload identity: the pod's layout and the token file's rotation, as `doctor` judges them.
fn pod_checks(setup: &Session, f: &Fetched, now: i64) -> Vec<crate::doctor::Check> {
    use crate::doctor::{pod, workload::FileFacts};
    let Some(fed) = &f.federated else {
        return Vec::new();
    };
    let facts = FileFacts::of(&fed.file);
    let mut v: Vec<_> = pod::layout(&setup.env, Some(&facts)).into_iter().collect();
    v.extend(pod::rotation(&facts, now));
    v
}

/// When Entra found no federated credential for the pod's token: the configured side, read
/// through ARM when an ARM token was given, compared field by field (the diff and the fix lead
/// the hint); without ARM access the presented-values hint stays and says so.
async fn explain_federation(
    setup: &Session,
    args: &GetArgs,
    mut e: crate::error::Error,
) -> crate::error::Error {
    use crate::doctor::federation;
    let Some(w) = &setup.endpoint.workload else {
        return e;
    };
    if !e
        .code
        .as_deref()
        .is_some_and(|c| federation::MISMATCH_CODES.contains(&c))
    {
        return e;
    }
    let reader = match super::setup::arm_reader(
        args.arm_token_file.as_deref(),
        args.cloud,
        args.arm_url.as_deref(),
        setup.demo_url.clone(),
        setup.client.timeout(),
    ) {
        Ok(r) => r,
        Err(bad) => {
            e.hint = format!(
                "{} (federated credentials not read: {})",
                e.hint, bad.message
            );
            return e;
        }
    };
    let Ok(file) =
        crate::endpoint::workload::read_token_file(&w.token_file, setup.client.timeout()).await
    else {
        return e;
    };
    let f = federation::explain(reader.as_ref(), &w.client_id, &file.token).await;
    e.hint = if f.check.status == crate::doctor::Status::Fail {
        format!("{}. {}", f.check.evidence, f.check.hint)
    } else {
        format!("{} ({})", e.hint, f.check.evidence)
    };
    e.detail = Some(Box::new(serde_json::json!({ "federation": f.detail })));
    e
}

/// `get --as-fic`: the managed identity's exchange token, the credential the app needs, and the
/// app's token from its tenant.
async fn as_fic(setup: &Session, resource: &str, args: &GetArgs) -> Result<Got> {
    use crate::endpoint::mi_fic;
    let authority = setup
        .overrides
        .authority_host
        .clone()
        .or_else(|| setup.demo_url.as_ref().map(|u| format!("{u}/")))
        .or_else(|| setup.env.get("AZURE_AUTHORITY_HOST").map(str::to_string))
        .unwrap_or_else(|| crate::endpoint::workload::DEFAULT_AUTHORITY.to_string());
    let app = mi_fic::App {
        client_id: args.app_client_id.clone().unwrap_or_default(),
        tenant: args.app_tenant_id.clone().unwrap_or_default(),
        authority,
    };
    let c = mi_fic::run(&setup.client, &setup.endpoint, &app, resource).await?;
    let now = chrono::Utc::now().timestamp();
    let t = &c.app.token;
    let mi = &c.managed.token.access_token;
    let url = crate::display_url::DisplayUrl::of(&c.inputs.token_url());
    let jwt = t.jwt.as_ref().ok();
    let text = if args.json {
        json!({
            "ok": true,
            "managed_identity": {
                "identity": crate::inspect::identity_label(&setup.endpoint, c.managed.token.jwt.as_ref().ok()),
                "fingerprint": mi.fingerprint(),
                "issuer": c.presented.issuer,
                "subject": c.presented.subject,
                "audiences": c.presented.audiences,
            },
            "credential": c.credential,
            "exchange": {"url": url.as_str(), "client_id": c.inputs.client_id, "tenant_id": c.inputs.tenant},
            "resource": resource,
            "token": {
                "fingerprint": t.access_token.fingerprint(),
                "expires_on": claims::utc_string(t.expires_on),
                "expires_in_s": t.expires_on.saturating_sub(now),
            },
            "jwt": jwt.map_or(Value::Null, token::jwt_json),
        })
        .to_string()
    } else {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "managed identity {} ({})",
            one_line(&crate::inspect::identity_label(
                &setup.endpoint,
                c.managed.token.jwt.as_ref().ok()
            )),
            mi.fingerprint()
        );
        let _ = writeln!(out, "  issuer          {}", one_line(&c.presented.issuer));
        let _ = writeln!(out, "  subject         {}", one_line(&c.presented.subject));
        let _ = writeln!(
            out,
            "  audience        {}",
            one_line(&c.presented.audiences.join(", "))
        );
        let _ = writeln!(
            out,
            "\nthe app's federated credential (az ad app federated-credential create --id <app object id> --parameters FILE):\n  {}",
            one_line(&c.credential.to_string())
        );
        let _ = writeln!(
            out,
            "\nexchange  {} as client {}",
            one_line(url.as_str()),
            one_line(&c.inputs.client_id)
        );
        let forms = claims::time_forms(t.expires_on, now);
        let _ = writeln!(
            out,
            "app token {} for {}, expires {} UTC ({})",
            t.access_token.fingerprint(),
            one_line(resource),
            forms.utc,
            forms.relative
        );
        if let Some(j) = jwt {
            let _ = writeln!(out);
            out.push_str(&super::render::jwt_text(j, now));
        }
        out
    };
    Ok(Got { text, code: 0 })
}
