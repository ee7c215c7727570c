//! `tokscope get`: fetch a token for a resource and show it.

use std::fmt::Write;

use serde_json::{json, Value};

use crate::cli::GetArgs;
use crate::endpoint::{Endpoint, Fetched};
use crate::error::Result;
use crate::session::Session;
use crate::token::{self, claims};

pub use crate::inspect::token_warnings;

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
    let jwt = token::decode(t.access_token.expose());
    let mut warnings = t.warnings.clone();
    warnings.extend(ep.notes.iter().cloned());
    warnings.extend(token_warnings(resource, f, jwt.as_ref().ok(), now));
    let jwt_json = match &jwt {
        Ok(j) => token::jwt_json(j),
        Err(e) => {
            warnings.push(format!("the access token is not a readable JWT: {e}"));
            Value::Null
        }
    };
    json!({
        "ok": true,
        "source": ep.source_json(),
        "identity": ep.identity.to_string(),
        "resource": resource,
        "token": tok,
        "jwt": jwt_json,
        "latency_ms": f.latency.as_millis() as u64,
        "retries": f.retries,
        "warnings": warnings,
    })
}

pub fn human(ep: &Endpoint, resource: &str, f: &Fetched, show_token: bool, now: i64) -> String {
    let t = &f.token;
    let mut out = String::new();
    let from = if ep.detected_from.is_empty() {
        "default".to_string()
    } else {
        ep.detected_from.join(", ")
    };
    let _ = writeln!(
        out,
        "flavour   {} — {} (from {from})",
        ep.flavour.name(),
        ep.flavour.describe()
    );
    let _ = writeln!(out, "endpoint  {}", ep.url);
    let _ = writeln!(out, "identity  {}", ep.identity);
    let _ = writeln!(out, "resource  {resource}");
    let _ = writeln!(
        out,
        "token     {} ({} chars, {})",
        t.access_token.fingerprint(),
        t.access_token.len(),
        t.token_type
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
    let jwt = token::decode(t.access_token.expose());
    let ours = token_warnings(resource, f, jwt.as_ref().ok(), now);
    for w in t.warnings.iter().chain(&ep.notes).chain(&ours) {
        let _ = writeln!(out, "warning   {}", crate::sanitize::sanitize(w));
    }
    match jwt {
        Ok(jwt) => {
            let _ = writeln!(out);
            out.push_str(&super::render::jwt_text(&jwt, now));
        }
        Err(e) => {
            let _ = writeln!(out, "warning   the access token is not a readable JWT: {e}");
        }
    }
    if show_token {
        let _ = writeln!(
            out,
            "\naccess_token (secret, shown because of --show-token):\n{}",
            t.access_token.expose()
        );
    }
    out
}

pub async fn run(setup: &Session, resource: &str, args: &GetArgs) -> Result<String> {
    let f = setup.client.fetch(&setup.endpoint, resource).await?;
    let now = chrono::Utc::now().timestamp();
    Ok(if args.json {
        success_json(&setup.endpoint, resource, &f, args.show_token, now).to_string()
    } else {
        human(&setup.endpoint, resource, &f, args.show_token, now)
    })
}
