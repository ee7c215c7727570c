//! A Kubernetes service-account token, the assertion of AKS workload identity, read as a token
//! in its own right: who the cluster says the pod is, for whom, and until when.

use serde::Serialize;
use serde_json::Value;

use super::claims;
use super::Jwt;

/// The audience the workload-identity webhook projects and Entra's federated credentials expect.
pub const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The audience of service-account tokens projected for an AKS identity binding (the token proxy
/// exchanges them, against the identity's `aks-identity-binding` credential).
pub const IDENTITY_BINDING_AUDIENCE: &str = "api://AKSIdentityBinding";
/// The client_assertion_type of a JWT bearer assertion (RFC 7523), as the SDKs send it.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Entra refuses an assertion living longer than 1.01:00:00 (AADSTS70023).
pub const MAX_ASSERTION_LIFETIME: i64 = 25 * 3600;
/// Kubelet refreshes a projected token once 80 % of its lifetime has passed.
pub const ROTATION_SHARE: f64 = 0.8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAccountToken {
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub audiences: Vec<String>,
    pub issued_at: Option<i64>,
    pub not_before: Option<i64>,
    pub expires_at: Option<i64>,
    /// exp − iat, when both are there.
    pub lifetime_s: Option<i64>,
    /// When kubelet is expected to have written a new token (80 % of the lifetime).
    pub rotation_due: Option<i64>,
    pub pod: Option<String>,
    pub pod_uid: Option<String>,
    pub node: Option<String>,
    pub kid: Option<String>,
    pub alg: Option<String>,
}

fn nested<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    let mut cur = v?;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

impl ServiceAccountToken {
    pub fn from_jwt(jwt: &Jwt) -> Self {
        let subject = jwt.claim_str("sub").map(str::to_string);
        let (namespace, service_account) = subject
            .as_deref()
            .and_then(split_subject)
            .map(|(n, s)| (Some(n.to_string()), Some(s.to_string())))
            .unwrap_or((None, None));
        let k8s = jwt.claims.get("kubernetes.io");
        let issued_at = jwt.claim_i64("iat");
        let expires_at = jwt.claim_i64("exp");
        let lifetime_s = issued_at.zip(expires_at).map(|(i, e)| e - i);
        let rotation_due = issued_at
            .zip(lifetime_s)
            .map(|(i, l)| i + claims::whole(l as f64 * ROTATION_SHARE).unwrap_or(l));
        Self {
            issuer: jwt.claim_str("iss").map(str::to_string),
            subject,
            namespace: namespace.or_else(|| nested(k8s, &["namespace"]).map(str::to_string)),
            service_account: service_account
                .or_else(|| nested(k8s, &["serviceaccount", "name"]).map(str::to_string)),
            audiences: claims::audiences(jwt),
            issued_at,
            not_before: jwt.claim_i64("nbf"),
            expires_at,
            lifetime_s,
            rotation_due,
            pod: nested(k8s, &["pod", "name"]).map(str::to_string),
            pod_uid: nested(k8s, &["pod", "uid"]).map(str::to_string),
            node: nested(k8s, &["node", "name"]).map(str::to_string),
            kid: jwt.header_str("kid").map(str::to_string),
            alg: jwt.header_str("alg").map(str::to_string),
        }
    }

    /// What is wrong with this token as an assertion for Entra, before Entra says so.
    pub fn warnings(&self, now: i64) -> Vec<String> {
        let mut out = Vec::new();
        if !self
            .audiences
            .iter()
            .any(|a| a == EXCHANGE_AUDIENCE || a == IDENTITY_BINDING_AUDIENCE)
        {
            out.push(format!(
                "its audience is {}, not {EXCHANGE_AUDIENCE}: Entra finds no federated credential for it (AADSTS700212); the file is not the webhook's projected token",
                if self.audiences.is_empty() { "missing".to_string() } else { crate::sanitize::exact(&self.audiences.join(", ")) }
            ));
        }
        match self.issuer.as_deref() {
            None => out.push("it has no iss claim: Entra cannot match it to a federated credential".into()),
            Some(iss) if is_entra_issuer(iss) => out.push(format!(
                "its issuer {iss} is Entra itself: an Entra token is not a federated assertion (AADSTS700222); AZURE_FEDERATED_TOKEN_FILE should hold the cluster's service-account token"
            )),
            Some(iss) if iss.contains("kubernetes.default.svc") => out.push(format!(
                "its issuer {iss} is the cluster's internal default: the OIDC issuer is not enabled (AKS: az aks update --enable-oidc-issuer), so Entra cannot fetch its keys"
            )),
            Some(iss) if !iss.starts_with("https://") && !crate::loopback::is_loopback_url(iss) => out.push(format!(
                "its issuer {iss} is not https: Entra fetches the issuer's discovery document over https only"
            )),
            Some(_) => {}
        }
        if self.subject.is_some() && self.namespace.is_none() {
            out.push(format!(
                "its subject {} is not system:serviceaccount:<namespace>:<name>",
                self.subject.as_deref().unwrap_or_default()
            ));
        }
        match (self.issued_at, self.lifetime_s) {
            (None, _) => out.push("it has no iat claim: Entra refuses it (AADSTS70023)".into()),
            (Some(_), Some(l)) if l > MAX_ASSERTION_LIFETIME => out.push(format!(
                "it lives {}, longer than the 25 h Entra accepts (AADSTS70023): this looks like the pod's default service-account token, not the projected one",
                claims::duration(l)
            )),
            _ => {}
        }
        if let Some(exp) = self.expires_at {
            if exp <= now {
                out.push(format!(
                    "it expired {} ago: kubelet did not refresh the file, or this machine's clock is ahead (AADSTS700024)",
                    claims::duration(now - exp)
                ));
            } else if let Some(due) = self.rotation_due {
                if now > due + 60 {
                    out.push(format!(
                        "kubelet should have replaced it {} ago (at 80 % of its lifetime) and has not: check the kubelet on node {}",
                        claims::duration(now - due),
                        self.node.as_deref().unwrap_or("(unknown)")
                    ));
                }
            }
        }
        out
    }

    pub fn to_json(&self, now: i64) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let (Some(exp), Value::Object(m)) = (self.expires_at, &mut v) {
            m.insert("expires_in_s".into(), (exp - now).into());
            m.insert("expires_on".into(), claims::utc_string(exp).into());
        }
        v
    }
}

/// `system:serviceaccount:NS:NAME` → (NS, NAME).
pub fn split_subject(sub: &str) -> Option<(&str, &str)> {
    let rest = sub.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// Issuers of Entra's own tokens (v1 and v2, every cloud).
pub fn is_entra_issuer(iss: &str) -> bool {
    let hosts = [
        "https://sts.windows.net/",
        "https://login.microsoftonline.com/",
        "https://login.microsoftonline.us/",
        "https://login.chinacloudapi.cn/",
        "https://sts.chinacloudapi.cn/",
    ];
    hosts.iter().any(|h| iss.starts_with(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_split_into_namespace_and_name() {
        assert_eq!(
            split_subject("system:serviceaccount:demo:workload-sa"),
            Some(("demo", "workload-sa"))
        );
        assert_eq!(split_subject("system:serviceaccount:demo"), None);
        assert_eq!(split_subject("repo:org/x:ref:main"), None);
    }
}
