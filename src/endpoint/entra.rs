//! Entra's error answers for the workload-identity exchange, and a next step for each cause that
//! reads both tokens: what the pod presented, and what Entra would have needed.

use serde_json::Value;

use super::response;
use super::workload::WorkloadInputs;
use super::Flavour;
use crate::error::{Error, ErrorKind};
use crate::token::claims;
use crate::token::service_account::{ServiceAccountToken, EXCHANGE_AUDIENCE};

/// What the hint may draw on beyond Entra's answer.
pub struct Context<'a> {
    pub inputs: &'a WorkloadInputs,
    /// The service-account token sent as the assertion.
    pub token: Option<&'a ServiceAccountToken>,
    /// A managed identity's token sent as an app registration's assertion: what it presented.
    pub managed: Option<&'a crate::token::federation::Presented>,
    pub now: i64,
}

/// The parts of Entra's error body: `{"error","error_description","error_codes",…}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntraError {
    pub error: String,
    /// The description up to its trailer (Trace ID, Correlation ID, Timestamp).
    pub description: String,
    pub aadsts: Option<u32>,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
    pub timestamp: Option<String>,
}

/// Entra's `timestamp` (`2026-12-01 22:00:00Z`), its own clock at the answer, as epoch seconds.
pub fn entra_time(ts: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(ts.trim(), "%Y-%m-%d %H:%M:%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// How far Entra's clock (from its answer's timestamp) is from this machine's, in words.
pub fn entra_clock_words(entra: i64, now: i64) -> String {
    let d = entra - now;
    match d {
        -2..=2 => "Entra's clock agrees with this machine's".to_string(),
        d if d > 0 => format!(
            "Entra's clock is {} ahead of this machine's",
            claims::duration(d)
        ),
        d => format!(
            "Entra's clock is {} behind this machine's",
            claims::duration(-d)
        ),
    }
}

/// `AADSTS700213: No matching …` → 700213.
fn aadsts_in(text: &str) -> Option<u32> {
    let i = text.find("AADSTS")?;
    let digits: String = text[i + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The description without its trailer, which older bodies separate with `\r\n` and newer
/// ones with spaces.
fn strip_trailer(d: &str) -> &str {
    let cut = ["\r\n", "\n", " Trace ID:"]
        .iter()
        .filter_map(|m| d.find(m))
        .min()
        .unwrap_or(d.len());
    d[..cut].trim()
}

pub fn parse_body(body: &[u8]) -> Option<EntraError> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let error = v.get("error")?.as_str()?.to_string();
    let full = v
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let aadsts = aadsts_in(full).or_else(|| {
        v.get("error_codes")
            .and_then(|c| c.get(0))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    });
    Some(EntraError {
        error,
        description: strip_trailer(full).to_string(),
        aadsts,
        trace_id: s("trace_id"),
        correlation_id: s("correlation_id"),
        timestamp: s("timestamp"),
    })
}

/// Entra's error as one `Error`: the AADSTS code verbatim, trace and correlation ids as request ids.
pub fn parse_error(status: u16, headers: &[(String, String)], body: &[u8], cx: &Context) -> Error {
    let Some(e) = parse_body(body) else {
        let mut err = response::parse_error(Flavour::Workload, status, headers, body);
        err.hint = format!(
            "this is not Entra's error shape: check AZURE_AUTHORITY_HOST ({}); {}",
            cx.inputs.authority, err.hint
        );
        return err;
    };
    let mut request_ids = crate::error::RequestIds::default();
    for (k, v) in [
        ("trace_id", &e.trace_id),
        ("correlation_id", &e.correlation_id),
        ("timestamp", &e.timestamp),
    ] {
        if let Some(v) = v {
            request_ids.push((k.to_string(), v.clone()));
        }
    }
    if let Some(v) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-ms-request-id"))
    {
        request_ids.push(("x-ms-request-id".into(), v.1.clone()));
    }
    // The code is in `code`; the message need not say it twice.
    let text = e.description.trim_start();
    let text = match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("AADSTS") => rest,
        _ => text,
    };
    let description = response::redact_tokens(text);
    let description: String = description.chars().take(600).collect();
    Error {
        kind: ErrorKind::Endpoint,
        status: Some(status),
        code: e.aadsts.map(|n| format!("AADSTS{n}")),
        cause: (e.aadsts == Some(500011) || e.error == "invalid_resource")
            .then_some(crate::error::Cause::UnknownResource),
        message: format!("({}) {description}", e.error),
        hint: hint(&e, cx),
        request_ids,
        detail: None,
    }
}

/// A federated-credential name the Azure CLI accepts (`^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$`).
fn credential_name(t: &ServiceAccountToken) -> String {
    let base = match (&t.namespace, &t.service_account) {
        (Some(n), Some(s)) => format!("fic-{n}-{s}"),
        _ => "fic-workload".into(),
    };
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect()
}

/// The exact command that creates a federated credential matching what the pod presented.
pub fn federated_credential_command(t: &ServiceAccountToken) -> String {
    format!(
        "az identity federated-credential create --name {} --identity-name <identity-name> --resource-group <resource-group> --issuer \"{}\" --subject \"{}\" --audiences {EXCHANGE_AUDIENCE}",
        credential_name(t),
        t.issuer.as_deref().unwrap_or("<issuer>"),
        t.subject.as_deref().unwrap_or("<subject>"),
    )
}

/// Which part of the record Entra named, from the code or, since the codes changed over the
/// years (70021, then 700211/700212/700213), from the text.
fn mismatch_part(e: &EntraError) -> Option<&'static str> {
    let d = e.description.to_ascii_lowercase();
    let federated = d.contains("no matching federated identity record")
        || matches!(e.aadsts, Some(70021 | 700211 | 700212 | 700213));
    if !federated {
        return None;
    }
    Some(match e.aadsts {
        Some(700211) => "issuer",
        Some(700212) => "audience",
        Some(700213) => "subject",
        _ if d.contains("assertion issuer '") => "issuer",
        _ if d.contains("assertion audience '") => "audience",
        _ if d.contains("assertion subject '") => "subject",
        _ => "issuer, subject or audience",
    })
}

fn hint(e: &EntraError, cx: &Context) -> String {
    if let Some(p) = cx.managed {
        return managed_hint(e, p, cx);
    }
    let t = cx.token;
    let iss = t.and_then(|t| t.issuer.as_deref()).unwrap_or("(none)");
    let d = e.description.to_ascii_lowercase();
    if let Some(part) = mismatch_part(e) {
        let sub = t.and_then(|t| t.subject.as_deref()).unwrap_or("(none)");
        let aud = t.map(|t| t.audiences.join(", ")).unwrap_or_default();
        let mut culprits = Vec::new();
        if !iss.ends_with('/') {
            culprits.push("the presented issuer has no trailing '/': a credential registered with one (AKS issuers end with '/') does not match".to_string());
        } else {
            culprits.push("the credential's issuer must end with '/' exactly as the token's does (az aks show --query oidcIssuerProfile.issuerUrl -o tsv)".to_string());
        }
        if iss.contains("kubernetes.default.svc") {
            culprits.push("the issuer is the cluster's internal default: enable the OIDC issuer (az aks update --enable-oidc-issuer)".into());
        }
        if sub.chars().any(|c| c.is_ascii_uppercase()) {
            culprits.push("the subject has capitals: matching is case-sensitive, and Kubernetes names are lower case".into());
        } else {
            culprits.push("the subject is matched case-sensitively: namespace and service account exactly as in the pod".into());
        }
        if !aud.split(", ").any(|a| a == EXCHANGE_AUDIENCE) {
            culprits.push(format!("the token's audience is not {EXCHANGE_AUDIENCE}: the file is not the webhook's projected token"));
        }
        let cmd = t
            .map(federated_credential_command)
            .unwrap_or_else(|| "az identity federated-credential create --name <name> --identity-name <identity-name> --resource-group <resource-group> --issuer <issuer> --subject system:serviceaccount:<namespace>:<name> --audiences api://AzureADTokenExchange".into());
        return format!(
            "no federated credential on client {c} matches this service-account token ({part} differs). Presented: issuer '{iss}', subject '{sub}', audience '{aud}'. A credential that matches: {cmd} (the identity's name and group: az identity list --query \"[?clientId=='{c}'].[name,resourceGroup]\" -o tsv; app registrations: az ad app federated-credential create --id <app object id> with the same issuer, subject and audiences). Usual culprits: {}. A new credential takes a minute or two to apply.",
            culprits.join("; "),
            c = cx.inputs.client_id,
        );
    }
    match e.aadsts {
        Some(700016) => {
            let c = &cx.inputs.client_id;
            let what = if c.contains("/subscriptions/") || c.contains('/') {
                "AZURE_CLIENT_ID is an ARM resource id, not a client id: "
            } else {
                ""
            };
            format!(
                "{what}Entra has no application {c} in tenant {}: AZURE_CLIENT_ID comes from the service account's azure.workload.identity/client-id annotation and must be the identity's client (application) id, a GUID; if the identity is in another tenant, annotate azure.workload.identity/tenant-id. Pods see annotation changes only after a restart.",
                cx.inputs.tenant
            )
        }
        Some(700024) => {
            let times = t
                .map(|t| {
                    format!(
                        "the file's token was issued {} and expires {} (now {} UTC)",
                        t.issued_at.map_or("(no iat)".into(), claims::utc_string),
                        t.expires_at.map_or("(no exp)".into(), claims::utc_string),
                        claims::utc_string(cx.now)
                    )
                })
                .unwrap_or_default();
            let clock = e
                .timestamp
                .as_deref()
                .and_then(entra_time)
                .map(|t| format!(" ({})", entra_clock_words(t, cx.now)))
                .unwrap_or_default();
            format!(
                "the service-account token is outside its valid time range: {times}. Either the file is stale (kubelet rewrites it at ~80 % of its lifetime; a client that read it once keeps sending the old one; tokscope reads it on every fetch) or a clock is off{clock}: the cluster's, which stamps iat, or this machine's (tokscope doctor compares it with Entra's)."
            )
        }
        Some(70023) => format!(
            "the assertion {}: Entra accepts at most 25 h and needs iat. This is the pod's default service-account token (/var/run/secrets/kubernetes.io/serviceaccount/token), not the webhook's projected one: point AZURE_FEDERATED_TOKEN_FILE at the projected file, and keep azure.workload.identity/service-account-token-expiration at or below 86400.",
            match t.and_then(|t| t.lifetime_s) {
                Some(l) => format!("lives {}", claims::duration(l)),
                None => "has no iat".into(),
            }
        ),
        Some(90061) => format!(
            "Entra could not fetch the issuer's discovery document: {iss}.well-known/openid-configuration and its jwks_uri (…/openid/v1/jwks) must be public over https (try curl from outside the cluster); on AKS enable the issuer with az aks update -g <resource-group> -n <cluster> --enable-oidc-issuer"
        ),
        Some(700222) => format!(
            "an Entra-issued token was sent as the assertion (issuer {iss}): AZURE_FEDERATED_TOKEN_FILE must hold the Kubernetes service-account token that the webhook projects, not an access token"
        ),
        Some(700027) => format!(
            "the assertion's signature does not check against the issuer's keys (kid {}): the cluster's signing keys rotated (az aks oidc-issuer rotate-signing-keys) or the token comes from another cluster",
            t.and_then(|t| t.kid.as_deref()).unwrap_or("(none)")
        ),
        Some(90002) => format!(
            "Entra has no tenant {}: AZURE_TENANT_ID (or the azure.workload.identity/tenant-id annotation) is wrong, or AZURE_AUTHORITY_HOST is another cloud's",
            cx.inputs.tenant
        ),
        _ if d.contains("scope") || e.error == "invalid_scope" => "Entra refused the scope: pass the resource as its App ID URI (e.g. https://management.azure.com/)".into(),
        _ => "see Entra's message above; the trace and correlation ids are what Microsoft support asks for; `tokscope doctor` checks both tokens step by step".into(),
    }
}

/// The federated credential an app registration needs to take this managed identity's token.
pub fn app_credential_json(p: &crate::token::federation::Presented) -> serde_json::Value {
    let short: String = p.subject.chars().take(8).collect();
    serde_json::json!({
        "name": format!("mi-{short}"),
        "issuer": p.issuer,
        "subject": p.subject,
        "audiences": [EXCHANGE_AUDIENCE],
        "description": "a managed identity as this app's credential",
    })
}

/// A managed identity's token refused as an app registration's assertion, by cause.
fn managed_hint(e: &EntraError, p: &crate::token::federation::Presented, cx: &Context) -> String {
    let app = &cx.inputs.client_id;
    let fic = app_credential_json(p);
    let create = format!(
        "az ad app federated-credential create --id <object id of app {app}> --parameters '{fic}'"
    );
    match e.aadsts {
        Some(700211) => format!(
            "the app's federated credential does not name this token's issuer '{}': for a managed identity it is exactly https://login.microsoftonline.com/<the identity's tenant>/v2.0 (not the v1 form https://sts.windows.net/<tenant>/). Replace it: {create}",
            p.issuer
        ),
        Some(700213 | 70021) => format!(
            "no federated credential of app {app} has the subject '{}', the managed identity's object (principal) id (not its client id): {create}",
            p.subject
        ),
        Some(700212) => format!("the app's federated credential must list the audience {EXCHANGE_AUDIENCE}: {create}"),
        Some(700222) => format!(
            "the app's tenant refuses Entra-issued tokens as assertions for app {app}: managed identities as credentials are not available there (tenant or cloud), or the app's credential is not for a managed identity; check with {create}"
        ),
        Some(700226) => "only a managed identity's token can be the assertion for an Entra issuer, and this one is not (it has no xms_mirid): fetch it from the managed identity's endpoint on the resource it is assigned to, with --client-id for a user-assigned one".into(),
        Some(700227) => format!(
            "the managed identity's token must be for {EXCHANGE_AUDIENCE} and this one is for '{}': ask the endpoint for exactly that resource",
            p.audiences.join(", ")
        ),
        Some(700236) => format!(
            "the app's tenant {} does not accept Entra tokens from the managed identity's tenant: its admin must allow it (cross-tenant access settings), or use an identity of a tenant it trusts",
            cx.inputs.tenant
        ),
        Some(700016) => format!(
            "tenant {} has no application {app}: --app-client-id is the app's client (application) id and --app-tenant-id its home tenant",
            cx.inputs.tenant
        ),
        _ => "see Entra's message above; the trace and correlation ids are what Microsoft support asks for".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_trailer_forms_are_cut_and_the_code_kept() {
        let a = br#"{"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:demo:X'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation Trace ID: t-1 Correlation ID: c-1 Timestamp: 2026-12-01 22:00:00Z","error_codes":[700213],"trace_id":"t-1","correlation_id":"c-1"}"#;
        let e = parse_body(a).unwrap();
        assert_eq!(e.aadsts, Some(700213));
        assert!(e.description.ends_with("workload-identity-federation"));
        let b = b"{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90061: Request to External OIDC endpoint failed.\\r\\nTrace ID: t\",\"error_codes\":[90061]}";
        let e = parse_body(b).unwrap();
        assert_eq!(
            (e.aadsts, e.description.as_str()),
            (
                Some(90061),
                "AADSTS90061: Request to External OIDC endpoint failed."
            )
        );
        assert_eq!(mismatch_part(&e), None);
    }
}
