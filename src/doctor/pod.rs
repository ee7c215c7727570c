//! The pod's side of workload identity: which of the webhook's variables and files are there
//! (webhook v1.5 or v1.6 token path, an identity binding's proxy, or nothing: a pod the webhook
//! never mutated) and whether the token file is being rotated. One line each.

use std::path::{Path, PathBuf};

use super::workload::FileFacts;
use super::Check;
use crate::display_url::DisplayUrl;
use crate::endpoint::EnvSnapshot;
use crate::token::claims;
use crate::token::service_account::IDENTITY_BINDING_AUDIENCE;

pub const POD: &str = "pod";
pub const ROTATION: &str = "sa-rotation";

/// Webhook v1.0–v1.5's token path.
pub const V15_TOKEN: &str = "/var/run/secrets/azure/tokens/azure-identity-token";
/// Webhook v1.6's token path.
pub const V16_TOKEN: &str = "/var/run/secrets/azure/wi/token/azure-identity-token";
/// The service-account token every pod gets unless automount is off.
pub const DEFAULT_SA_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Where the pod's `/` is: `/` itself, or the emulator's folder standing for it.
pub const ROOT_VAR: &str = "TOKSCOPE_POD_ROOT";

const PROXY: &str = "AZURE_KUBERNETES_TOKEN_PROXY";
const SNI: &str = "AZURE_KUBERNETES_SNI_NAME";
const CA_FILE: &str = "AZURE_KUBERNETES_CA_FILE";
const CA_DATA: &str = "AZURE_KUBERNETES_CA_DATA";

fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

fn exists(p: &Path) -> bool {
    std::fs::metadata(p).is_ok()
}

/// Why the token proxy's URL cannot be used, as the SDKs check it: https (plain http only to
/// loopback here), and no query, fragment or userinfo.
pub fn proxy_problem(raw: &str) -> Option<String> {
    let Ok(u) = url::Url::parse(raw) else {
        return Some(format!("{PROXY} is not a URL"));
    };
    let scheme_ok =
        u.scheme() == "https" || (u.scheme() == "http" && crate::loopback::is_loopback_url(raw));
    if !scheme_ok {
        return Some(format!("{PROXY} must be https"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Some(format!("{PROXY} must have no query or fragment"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some(format!("{PROXY} must have no user name or password"));
    }
    None
}

/// The identity binding's variables, judged; None when there are none.
fn binding(env: &EnvSnapshot, token_line: &str, file: Option<&FileFacts>) -> Option<Check> {
    if ![PROXY, SNI, CA_FILE, CA_DATA].iter().any(|v| env.has(v)) {
        return None;
    }
    let Some(proxy) = env.get(PROXY) else {
        return Some(Check::fail(
            POD,
            format!("identity binding variables without {PROXY}"),
            "the webhook sets all of them for pods annotated azure.workload.identity/use-identity-binding: \"true\"; recreate the pod",
        ));
    };
    if let Some(why) = proxy_problem(proxy) {
        return Some(Check::fail(
            POD,
            format!("identity binding pod: {why} ({})", DisplayUrl::of(proxy)),
            "the SDKs refuse such a proxy URL; check the webhook's custom token endpoint configuration",
        ));
    }
    if env.has(CA_FILE) && env.has(CA_DATA) {
        return Some(Check::fail(
            POD,
            format!("identity binding pod: both {CA_FILE} and {CA_DATA} are set"),
            "they are mutually exclusive (the SDKs refuse both); keep the one the webhook set",
        ));
    }
    let ca = match (env.get(CA_FILE), env.has(CA_DATA)) {
        (Some(f), _) if !exists(Path::new(f)) => {
            return Some(Check::fail(
                POD,
                format!("identity binding pod: {CA_FILE} {f} does not exist"),
                "the webhook mounts the proxy's CA next to the token (…/wi/ca-cert/ca.crt): check the pod's volumes and the CA's ConfigMap or ClusterTrustBundle",
            ))
        }
        (Some(f), _) => format!("CA file {f}"),
        (None, true) => format!("CA in {CA_DATA}"),
        (None, false) => "no CA (the system's roots)".to_string(),
    };
    let aud = file.is_none_or(|f| {
        f.token
            .audiences
            .iter()
            .any(|a| a == IDENTITY_BINDING_AUDIENCE)
    });
    let evidence = format!(
        "identity binding pod: {token_line}; token proxy {}, SNI {}, {ca}",
        DisplayUrl::of(proxy),
        env.get(SNI).unwrap_or("(none)")
    );
    Some(if aud {
        Check::pass(POD, evidence)
    } else {
        Check::warn(
            POD,
            evidence,
            format!("the token's audience is not {IDENTITY_BINDING_AUDIENCE}, which binding pods are projected with: the pod predates the binding's annotation; recreate it"),
        )
    })
}

/// The webhook's work on this pod, in one line; None outside a pod with nothing of the webhook.
pub fn layout(env: &EnvSnapshot, file: Option<&FileFacts>) -> Option<Check> {
    let root = PathBuf::from(env.get(ROOT_VAR).unwrap_or("/"));
    let in_pod = env.has("KUBERNETES_SERVICE_HOST");
    let var = env.get("AZURE_FEDERATED_TOKEN_FILE");
    let (v15, v16) = (under(&root, V15_TOKEN), under(&root, V16_TOKEN));
    let found = [(&v15, V15_TOKEN), (&v16, V16_TOKEN)]
        .into_iter()
        .find(|(p, _)| exists(p));
    let Some(var) = var else {
        if let Some((_, shown)) = found {
            return Some(Check::fail(
                POD,
                format!("a projected token is at {shown} but AZURE_FEDERATED_TOKEN_FILE is not set"),
                "the webhook mutated the pod but not this container: it is listed in azure.workload.identity/skip-containers, or its env overrides the variables",
            ));
        }
        if !in_pod {
            return None;
        }
        let mut hint = "if this pod should use workload identity: the pod (its template, not the service account) needs the label azure.workload.identity/use: \"true\" when it is created, after the webhook is installed (delete the pod so that its controller makes a new one); the webhook also skips kube-system".to_string();
        if !exists(&under(&root, DEFAULT_SA_TOKEN)) {
            hint.push_str(&format!("; no service-account token is mounted at all ({DEFAULT_SA_TOKEN}): automountServiceAccountToken is false on the pod or its service account"));
        }
        return Some(Check::warn(
            POD,
            format!("a pod the workload-identity webhook did not mutate: none of its variables, and no projected token at {V15_TOKEN} or {V16_TOKEN}"),
            hint,
        ));
    };
    let at = Path::new(var);
    let token_line = if at == v16 {
        format!("webhook v1.6 layout, token at {V16_TOKEN}")
    } else if at == v15 {
        format!("webhook v1.5 layout, token at {V15_TOKEN}")
    } else {
        format!("token at {var}, not a webhook path")
    };
    if !exists(at) {
        if let Some((_, shown)) = found {
            return Some(Check::fail(
                POD,
                format!("AZURE_FEDERATED_TOKEN_FILE names {var}, which is missing, and the token is at {shown}"),
                "read the path from the variable the webhook sets, never a fixed one: webhook v1.6 moved it from /var/run/secrets/azure/tokens/ to /var/run/secrets/azure/wi/token/",
            ));
        }
    }
    if let Some(c) = binding(env, &token_line, file) {
        return Some(c);
    }
    let note = if at == v16 {
        format!("; code with the v1.5 path {V15_TOKEN} hard-coded finds nothing here")
    } else if at == v15 {
        format!("; webhook v1.6 moves it to {V16_TOKEN}: read AZURE_FEDERATED_TOKEN_FILE, never a fixed path")
    } else {
        String::new()
    };
    Some(Check::pass(POD, format!("{token_line}{note}")))
}

/// The file's age against its token's: whether kubelet has been replacing it.
pub fn rotation(f: &FileFacts, now: i64) -> Option<Check> {
    let t = &f.token;
    let (iat, exp, due, life) = (t.issued_at?, t.expires_at?, t.rotation_due?, t.lifetime_s?);
    let written = f.modified.map_or_else(String::new, |m| {
        format!(
            "file written {} ({}), ",
            claims::utc_string(m),
            claims::relative(m - now)
        )
    });
    let evidence = format!(
        "{written}token issued {} ({}) for {}; kubelet replaces it at 80 %: {} ({})",
        claims::utc_string(iat),
        claims::relative(iat - now),
        claims::duration(life),
        claims::utc_string(due),
        claims::relative(due - now)
    );
    if now <= due + 60 {
        return Some(Check::pass(ROTATION, evidence));
    }
    let ends = if exp > now {
        format!(
            "Entra will refuse it with AADSTS700024 {}",
            claims::relative(exp - now)
        )
    } else {
        "Entra refuses it already (AADSTS700024)".to_string()
    };
    Some(Check::fail(
        ROTATION,
        format!(
            "stale token file: {evidence}; overdue by {}",
            claims::duration(now - due)
        ),
        format!(
            "kubelet has not replaced the projected token in this container: {ends}. Kubernetes 1.32 nodes have served containers a stale copy while the node's was fresh; delete the pod for a fresh mount, check kubelet on node {} (journalctl -u kubelet) and its clock",
            t.node.as_deref().unwrap_or("(unknown)")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_as_the_sdks_do() {
        assert_eq!(proxy_problem("https://proxy.example:8443/"), None);
        assert!(proxy_problem("https://proxy.example/?x=1").is_some());
        assert!(proxy_problem("https://proxy.example/#f").is_some());
        assert!(proxy_problem("https://u:p@proxy.example/").is_some());
        assert!(proxy_problem("http://proxy.example/").is_some());
        assert_eq!(proxy_problem("http://127.0.0.1:8080/"), None);
    }
}
