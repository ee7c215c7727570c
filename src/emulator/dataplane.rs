//! Key Vault and Blob Storage data planes, enough to be refused as they refuse: a vault in RBAC
//! mode (`ForbiddenByRbac`), one in access-policy mode (`ForbiddenByPolicy`), one behind its
//! firewall (`ForbiddenByFirewall`), and storage accounts whose blobs need a data role
//! (`AuthorizationPermissionMismatch`) or whose network rules refuse everyone
//! (`AuthorizationFailure`). One port has no room for `{vault}.vault.azure.net`, so a vault is
//! served under `/vault/{name}/` and an account under `/blob/{name}/`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::arm::{authenticate, query_params, stamp_ids, Caller};
use super::rbac::{Context, Decision};
use super::Shared;
use crate::assets::{DemoStorageAccount, DemoVault};

type S = State<Arc<Shared>>;

const VAULT_AUDIENCES: &[&str] = &["https://vault.azure.net"];
const STORAGE_AUDIENCES: &[&str] = &["https://storage.azure.com"];

fn vault_id(s: &Shared, v: &DemoVault) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
        s.tenant.subscription_id, v.resource_group, v.name
    )
}

pub fn account_id(s: &Shared, a: &DemoStorageAccount) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
        s.tenant.subscription_id, a.resource_group, a.name
    )
}

pub fn vault_arm_id(s: &Shared, v: &DemoVault) -> String {
    vault_id(s, v)
}

fn kv_error(status: StatusCode, code: &str, inner: Option<&str>, message: &str) -> Response {
    let mut error = json!({"code": code, "message": message});
    if let (Some(i), Some(o)) = (inner, error.as_object_mut()) {
        o.insert("innererror".into(), json!({"code": i}));
    }
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        json!({ "error": error }).to_string(),
    )
        .into_response()
}

/// The `Caller:` line Key Vault writes: who the token says the caller is.
fn caller_line(c: &Caller) -> String {
    let mut line = format!("appid={};oid={};iss={}", c.appid, c.oid, c.iss);
    if let Some(m) = &c.mirid {
        line.push_str(&format!(";xms_mirid={m}"));
    }
    line
}

/// The secret permission an access policy must hold for a request.
fn policy_permission(method: &Method, one: bool) -> &'static str {
    match *method {
        Method::PUT => "set",
        Method::DELETE => "delete",
        _ if one => "get",
        _ => "list",
    }
}

/// `/vault/{name}/secrets[/{secret}[/{version}]]`.
pub async fn vault(
    State(s): S,
    method: Method,
    h: HeaderMap,
    Path((name, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = vault_answer(&s, &method, &h, &name, &rest, q.as_deref());
    stamp_ids(r, &h)
}

fn vault_answer(
    s: &Shared,
    method: &Method,
    h: &HeaderMap,
    name: &str,
    rest: &str,
    q: Option<&str>,
) -> Response {
    let caller = match authenticate(s, h, VAULT_AUDIENCES, "https://vault.azure.net") {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let q = query_params(q);
    if super::arm::query_param(&q, "api-version").is_none_or(str::is_empty) {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            None,
            "The 'api-version' query parameter is required.",
        );
    }
    let Some(v) = s
        .rbac
        .rbac
        .vaults
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case(name))
    else {
        return kv_error(
            StatusCode::NOT_FOUND,
            "VaultNotFound",
            None,
            &format!("The vault '{name}' does not exist here."),
        );
    };
    let seg: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if !seg
        .first()
        .is_some_and(|k| k.eq_ignore_ascii_case("secrets"))
    {
        return kv_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            None,
            "This vault serves secrets only.",
        );
    }
    let secret = seg.get(1).copied();
    let vault_line = format!("{};location={}", v.name, v.location);
    if v.firewall {
        return kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            Some("ForbiddenByFirewall"),
            &format!(
                "Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.1\r\nCaller: {}\r\nVault: {vault_line}",
                caller_line(&caller)
            ),
        );
    }
    let action = match (method.clone(), secret.is_some()) {
        (Method::PUT, _) => "Microsoft.KeyVault/vaults/secrets/setSecret/action",
        (Method::DELETE, _) => "Microsoft.KeyVault/vaults/secrets/delete",
        (_, true) => "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        (_, false) => "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    };
    let id = vault_id(s, v);
    let resource = match secret {
        Some(n) => format!("{}/secrets/{n}", id.to_ascii_lowercase()),
        None => id.to_ascii_lowercase(),
    };
    if !v.rbac {
        let wanted = policy_permission(method, secret.is_some());
        let allowed = v.access_policies.iter().any(|p| {
            super::rbac::principal_named(&s.tenant, &p.principal).eq_ignore_ascii_case(&caller.oid)
                && p.secrets.iter().any(|x| x.eq_ignore_ascii_case(wanted))
        });
        if !allowed {
            return kv_error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                Some("ForbiddenByPolicy"),
                &format!(
                    "The user, group or application '{}' does not have secrets {wanted} permission on key vault '{vault_line}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                    caller_line(&caller)
                ),
            );
        }
    } else {
        let decision = s.rbac.decide(
            &caller.oid,
            action,
            true,
            &resource,
            Context::default(),
            s.now(),
        );
        let deny = match decision {
            Decision::Allowed => None,
            Decision::Denied(d) => Some(d.id),
            Decision::NotGranted => Some(String::new()),
        };
        if let Some(deny) = deny {
            let (deny_id, reason) = if deny.is_empty() {
                ("null".to_string(), "DeniedWithNoValidRBAC")
            } else {
                (deny, "DeniedWithDenyAssignment")
            };
            return kv_error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                Some("ForbiddenByRbac"),
                &format!(
                    "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {}\r\nAction: '{action}'\r\nResource: '{resource}'\r\nAssignment: (not found)\r\nDenyAssignmentId: {deny_id}\r\nDecisionReason: '{reason}' \r\nVault: {vault_line}\r\n",
                    caller_line(&caller)
                ),
            );
        }
    }
    let base = format!("https://{}.vault.azure.net", v.name);
    match (method.clone(), secret) {
        (Method::GET, Some(n)) if v.secrets.iter().any(|x| x == n) => axum::Json(json!({
            "value": "emulated-secret-value",
            "id": format!("{base}/secrets/{n}/4387e9f3d6e14c459867679a90fd0f79"),
            "attributes": {"enabled": true, "created": s.tenant.tenant_created, "updated": s.tenant.tenant_created, "recoveryLevel": "Recoverable+Purgeable"},
        }))
        .into_response(),
        (Method::GET, None) => axum::Json(json!({
            "value": v.secrets.iter().map(|n| json!({"id": format!("{base}/secrets/{n}"), "attributes": {"enabled": true}})).collect::<Vec<_>>(),
            "nextLink": null,
        }))
        .into_response(),
        (Method::GET, Some(n)) => kv_error(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            None,
            &format!("A secret with (name/id) {n} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"),
        ),
        _ => kv_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", None, "The emulator's vaults are read-only."),
    }
}

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    let request_id = super::arm::uuid_v4_like();
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:{request_id}\nTime:{}</Message></Error>",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f0Z")
    );
    let mut r = (status, [("content-type", "application/xml")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        r.headers_mut().insert("x-ms-error-code", v);
    }
    r
}

/// `/blob/{account}/{container}[/{blob}]`: list a container or read a blob.
pub async fn blob(
    State(s): S,
    method: Method,
    h: HeaderMap,
    Path((name, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = blob_answer(&s, &method, &h, &name, &rest, q.as_deref());
    stamp_ids(r, &h)
}

fn blob_answer(
    s: &Shared,
    method: &Method,
    h: &HeaderMap,
    name: &str,
    rest: &str,
    q: Option<&str>,
) -> Response {
    let caller = match authenticate(s, h, STORAGE_AUDIENCES, "https://storage.azure.com") {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let q = query_params(q);
    let Some(a) = s
        .rbac
        .rbac
        .storage_accounts
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
    else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    };
    if a.firewall {
        return storage_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailure",
            "This request is not authorized to perform this operation.",
        );
    }
    let seg: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let Some(container) = seg.first().copied() else {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidUri",
            "The emulator serves container listings and blobs only.",
        );
    };
    let action = match *method {
        Method::PUT => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
        Method::DELETE => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
        _ => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    };
    let scope = format!(
        "{}/blobServices/default/containers/{container}",
        account_id(s, a)
    );
    let ctx = Context {
        container: Some(container),
    };
    if !matches!(
        s.rbac
            .decide(&caller.oid, action, true, &scope, ctx, s.now()),
        Decision::Allowed
    ) {
        return storage_error(
            StatusCode::FORBIDDEN,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        );
    }
    if !a.containers.iter().any(|c| c == container) {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ContainerNotFound",
            "The specified container does not exist.",
        );
    }
    let listing = super::arm::query_param(&q, "comp").is_some_and(|c| c == "list");
    match (method.clone(), seg.get(1), listing) {
        (Method::GET, None, true) => (
            StatusCode::OK,
            [("content-type", "application/xml")],
            format!(
                "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"https://{}.blob.core.windows.net/\" ContainerName=\"{container}\"><Blobs><Blob><Name>readme.txt</Name><Properties><Content-Length>42</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob></Blobs><NextMarker /></EnumerationResults>",
                a.name
            ),
        )
            .into_response(),
        (Method::GET | Method::HEAD, Some(_), _) => (StatusCode::OK, [("content-type", "text/plain")], "emulated blob content\n").into_response(),
        _ => storage_error(StatusCode::BAD_REQUEST, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb."),
    }
}
