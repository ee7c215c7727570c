//! The services' refusals, read: ARM's `AuthorizationFailed` and `LinkedAuthorizationFailed`,
//! Key Vault's `ForbiddenByRbac`, `ForbiddenByPolicy` and `ForbiddenByFirewall`, Storage's
//! `AuthorizationPermissionMismatch` and `AuthorizationFailure`, Graph's
//! `Authorization_RequestDenied`, and a `WWW-Authenticate` claims challenge.
//!
//! The body handed in is already free of secrets and folded to one line (by `arm::why`), so
//! every field read here may be shown.

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

/// What kind of refusal an answer is, whatever service gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// No role grants the action (ARM, Key Vault in RBAC mode, Storage, Graph).
    NotAuthorized,
    /// ARM: the caller may do the action but not a second one it implies, on another scope.
    LinkedNotAuthorized,
    /// Key Vault in access-policy mode: no policy gives the permission.
    AccessPolicy,
    /// A firewall or network rule refused the caller's address, before any role was looked at.
    Network,
    /// A 401 asking for a new token with more claims (`insufficient_claims`).
    ClaimsChallenge,
    /// Anything else that is not a success.
    Other,
}

/// A refusal as the service wrote it.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub status: u16,
    pub kind: RefusalKind,
    /// The service's code: ARM's `error.code`, Key Vault's inner code, Storage's `x-ms-error-code`.
    pub code: Option<String>,
    pub message: String,
    /// The action the service says was refused, when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The ARM scope or resource id the service names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A deny assignment the service names as the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_assignment: Option<String>,
    /// The claims a challenge asks for, decoded from base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
}

/// The text after `key` up to the next `'`, for `Action: '…'` and `scope '…'`.
fn quoted_after(message: &str, key: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find(&key.to_ascii_lowercase())? + key.len();
    let rest = message.get(at..)?;
    let rest = rest.strip_prefix('\'')?;
    rest.split('\'')
        .next()
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// The word after `key`, for `DenyAssignmentId: …`.
fn word_after(message: &str, key: &str) -> Option<String> {
    let at = message.find(key)? + key.len();
    let word = message.get(at..)?.split_whitespace().next()?;
    let word = word.trim_matches(|c| c == '\'' || c == ',' || c == ';');
    (!word.is_empty() && !word.eq_ignore_ascii_case("null")).then(|| word.to_string())
}

/// A `WWW-Authenticate` parameter's value (`error="…"`).
fn challenge_param(header: &str, name: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let at = lower.find(&format!("{name}=\""))? + name.len() + 2;
    header.get(at..)?.split('"').next().map(str::to_string)
}

/// The claims of an `insufficient_claims` challenge, when the answer carries one.
pub fn claims_challenge(www_authenticate: &str) -> Option<String> {
    if challenge_param(www_authenticate, "error")?.as_str() != "insufficient_claims" {
        return None;
    }
    let raw = challenge_param(www_authenticate, "claims")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(raw.trim().trim_end_matches('='))
        })
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Read a refusal. `header` looks a response header up by name; `body` is the answer's text.
pub fn parse(status: u16, header: &dyn Fn(&str) -> Option<String>, body: &str) -> Refusal {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error = json
        .as_ref()
        .and_then(|v| v.get("error").or(v.get("odata.error")));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let inner = error
        .and_then(|e| e.get("innererror"))
        .and_then(|i| i.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let storage_code = header("x-ms-error-code").or_else(|| xml_tag(body, "Code"));
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(|m| {
            m.as_str()
                .map(str::to_string)
                .or_else(|| m.get("value").and_then(Value::as_str).map(str::to_string))
        })
        .or_else(|| xml_tag(body, "Message"))
        .unwrap_or_else(|| body.chars().take(400).collect());
    // Key Vault writes its message as CR LF separated lines: one line reads better and parses the same.
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let claims = header("www-authenticate").and_then(|h| claims_challenge(&h));
    let best = inner.clone().or(storage_code.clone()).or(code.clone());
    let kind = match best.as_deref() {
        _ if claims.is_some() => RefusalKind::ClaimsChallenge,
        Some(
            "AuthorizationFailed"
            | "ForbiddenByRbac"
            | "AuthorizationPermissionMismatch"
            | "Authorization_RequestDenied",
        ) => RefusalKind::NotAuthorized,
        Some("LinkedAuthorizationFailed") => RefusalKind::LinkedNotAuthorized,
        Some("ForbiddenByPolicy" | "AccessDenied") => RefusalKind::AccessPolicy,
        Some("ForbiddenByFirewall" | "ForbiddenByConnection" | "AuthorizationFailure") => {
            RefusalKind::Network
        }
        _ if message.contains("does not have secrets")
            || message.contains("does not have keys") =>
        {
            RefusalKind::AccessPolicy
        }
        _ => RefusalKind::Other,
    };
    // ARM: "perform action 'X' over scope 'Y'"; Key Vault: "Action: 'X'", "Resource: 'Y'".
    let action =
        quoted_after(&message, "perform action ").or_else(|| quoted_after(&message, "Action: "));
    let scope =
        quoted_after(&message, "over scope ").or_else(|| quoted_after(&message, "Resource: "));
    let deny_assignment = word_after(&message, "DenyAssignmentId:")
        .or_else(|| quoted_after(&message, "deny assignment with name "));
    Refusal {
        status,
        kind,
        code: best,
        message,
        action,
        scope,
        deny_assignment,
        claims,
    }
}

/// The text of `<tag>…</tag>` in Storage's XML errors.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let at = body.find(&open)? + open.len();
    let rest = body.get(at..)?;
    let end = rest.find(&format!("</{tag}>"))?;
    rest.get(..end).map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn arm_names_the_action_and_scope() {
        let body = r#"{"error":{"code":"AuthorizationFailed","message":"The client 'a' with object id 'o' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/s' or the scope is invalid. If access was recently granted, please refresh your credentials."}}"#;
        let r = parse(403, &none, body);
        assert_eq!(r.kind, RefusalKind::NotAuthorized);
        assert_eq!(
            r.action.as_deref(),
            Some("Microsoft.Compute/virtualMachines/read")
        );
        assert_eq!(r.scope.as_deref(), Some("/subscriptions/s"));
    }

    #[test]
    fn key_vault_shapes() {
        let rbac = r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource. Caller: appid=a;oid=o;iss=i Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' Resource: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/secrets/x' Assignment: (not found) DenyAssignmentId: null DecisionReason: 'DeniedWithNoValidRBAC' Vault: kv;location=westeurope","innererror":{"code":"ForbiddenByRbac"}}}"#;
        let r = parse(403, &none, rbac);
        assert_eq!(r.kind, RefusalKind::NotAuthorized);
        assert_eq!(r.code.as_deref(), Some("ForbiddenByRbac"));
        assert_eq!(
            r.action.as_deref(),
            Some("Microsoft.KeyVault/vaults/secrets/getSecret/action")
        );
        assert!(r.scope.unwrap().ends_with("/vaults/kv/secrets/x"));
        assert_eq!(r.deny_assignment, None);
        let policy = r#"{"error":{"code":"Forbidden","message":"The user, group or application 'appid=a;oid=o' does not have secrets get permission on key vault 'kv;location=westeurope'.","innererror":{"code":"ForbiddenByPolicy"}}}"#;
        assert_eq!(parse(403, &none, policy).kind, RefusalKind::AccessPolicy);
        let fw = r#"{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.","innererror":{"code":"ForbiddenByFirewall"}}}"#;
        assert_eq!(parse(403, &none, fw).kind, RefusalKind::Network);
    }

    #[test]
    fn storage_and_graph_shapes() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>";
        let r = parse(403, &none, body);
        assert_eq!(r.kind, RefusalKind::NotAuthorized);
        let h = |n: &str| (n == "x-ms-error-code").then(|| "AuthorizationFailure".to_string());
        assert_eq!(parse(403, &h, "").kind, RefusalKind::Network);
        let graph = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        assert_eq!(parse(403, &none, graph).kind, RefusalKind::NotAuthorized);
    }

    #[test]
    fn claims_challenges_decode() {
        let claims = base64::engine::general_purpose::STANDARD
            .encode(r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#);
        let header = format!("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{claims}\"");
        let h = move |n: &str| (n == "www-authenticate").then(|| header.clone());
        let r = parse(401, &h, "");
        assert_eq!(r.kind, RefusalKind::ClaimsChallenge);
        assert!(r.claims.unwrap().contains("essential"));
        assert_eq!(claims_challenge("Bearer error=\"invalid_token\""), None);
    }
}
