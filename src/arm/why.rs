//! The requests behind `tokscope why`: the call itself (GET and HEAD only), then ARM's
//! authorization API with the identity's own token (effective permissions, its role
//! assignments, deny assignments, role definitions) and the resource's own settings. The
//! verdict is `authz::decide`'s; this module only gathers the facts.

use serde::Serialize;
use serde_json::Value;

use super::client::{RawAnswer, Recorder};
use super::{Bearer, Client, Cloud, Discovery, ErrorContext, RequestRecord};
use crate::authz::verdict::{AssignmentInfo, DenyInfo, Probe, RoleInfo};
use crate::authz::{self, Diagnosis, Facts, Permission, Service, Target};
use crate::display_url::DisplayUrl;
use crate::endpoint::{Endpoint, EnvSnapshot, Overrides, TokenClient, TokenResponse};
use crate::error::{Error, Result};
use crate::net::redact_outside;
use crate::session::Session;

/// api-version of ARM's authorization API.
pub const AUTHZ_API_VERSION: &str = "2022-04-01";
/// api-version of Key Vault's data plane.
pub const KEY_VAULT_API_VERSION: &str = "7.4";
/// `x-ms-version` sent to Blob Storage.
pub const STORAGE_VERSION: &str = "2023-11-03";

/// Pages of one list followed at most.
const MAX_PAGES: usize = 20;

/// What the user asked: `tokscope why`'s flags, as core values.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A URL, an ARM path or scope; None: the VM list the ARM tab calls.
    pub target: Option<String>,
    pub method: String,
    /// The ARM scope to check at, when the target does not say (a data-plane URL).
    pub scope: Option<String>,
    pub subscription: Option<String>,
    pub cloud: Cloud,
    pub arm_url: Option<String>,
}

/// Everything `why` found, for either output.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub diagnosis: Diagnosis,
    pub target: Target,
    /// The URL sent (or that would be), in its display form.
    pub url: Option<DisplayUrl>,
    pub scope: Option<String>,
    pub principal_id: Option<String>,
    pub principal_type: &'static str,
    pub probe: Probe,
    pub permissions: std::result::Result<Vec<Permission>, String>,
    pub assignments: std::result::Result<Vec<AssignmentInfo>, String>,
    pub deny_assignments: std::result::Result<Vec<DenyInfo>, String>,
    /// Where the role definitions came from: `arm` or `built-in table`.
    pub roles_source: &'static str,
    pub requests: Vec<RequestRecord>,
}

/// An ARM list, every page, or why it could not be read (one line).
async fn list_all(
    client: &Client,
    token: &TokenResponse,
    url: String,
    ctx: &ErrorContext,
) -> std::result::Result<Vec<Value>, String> {
    let recorder = Recorder::default();
    let mut next = Some(url);
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let Some(u) = next.take() else { break };
        let v = client
            .get_json(&u, &token.access_token, ctx, &recorder)
            .await
            .map_err(|e| one_line_error(&e))?;
        out.extend(
            v.get("value")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        next = v
            .get("nextLink")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(out)
}

fn one_line_error(e: &Error) -> String {
    let status = e.status.map_or(String::new(), |s| format!("{s} "));
    format!(
        "{status}{}: {}",
        e.code.as_deref().unwrap_or("error"),
        redact_outside(&e.message, 300)
    )
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn permission(v: &Value) -> Permission {
    Permission {
        actions: strings(v.get("actions")),
        not_actions: strings(v.get("notActions")),
        data_actions: strings(v.get("dataActions")),
        not_data_actions: strings(v.get("notDataActions")),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| redact_outside(s, 600))
}

fn assignment(v: &Value) -> Option<AssignmentInfo> {
    let p = v.get("properties")?;
    Some(AssignmentInfo {
        id: text(v, "id")?,
        role_definition_id: text(p, "roleDefinitionId")?,
        scope: text(p, "scope")?,
        principal_id: text(p, "principalId").unwrap_or_default(),
        created_on: p
            .get("createdOn")
            .and_then(Value::as_str)
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|t| t.timestamp()),
        condition: text(p, "condition"),
    })
}

fn deny(v: &Value) -> Option<DenyInfo> {
    let p = v.get("properties")?;
    let ids = |k: &str| -> Vec<String> {
        p.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| text(x, "id")).collect())
            .unwrap_or_default()
    };
    Some(DenyInfo {
        id: text(v, "name").or_else(|| text(v, "id"))?,
        name: text(p, "denyAssignmentName").unwrap_or_default(),
        scope: text(p, "scope").unwrap_or_default(),
        permissions: p
            .get("permissions")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(permission).collect())
            .unwrap_or_default(),
        principals: ids("principals"),
        exclude_principals: ids("excludePrincipals"),
    })
}

fn role(v: &Value) -> Option<RoleInfo> {
    let p = v.get("properties")?;
    Some(RoleInfo {
        id: text(v, "name")?,
        name: text(p, "roleName")?,
        builtin: p.get("type").and_then(Value::as_str) == Some("BuiltInRole"),
        permissions: p
            .get("permissions")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(permission).collect())
            .unwrap_or_default(),
    })
}

/// The built-in roles tokscope carries, for when ARM will not list definitions.
pub fn built_in_roles() -> Vec<RoleInfo> {
    crate::assets::demo_rbac()
        .role_definitions
        .into_iter()
        .filter(|r| r.kind == "BuiltInRole")
        .map(|r| RoleInfo {
            id: r.id,
            name: r.role_name,
            builtin: true,
            permissions: r.permissions,
        })
        .collect()
}

/// `/subscriptions/{id}` of a scope.
fn subscription_of(scope: &str) -> Option<String> {
    let mut seg = scope.split('/').filter(|s| !s.is_empty());
    let first = seg.next()?;
    first
        .eq_ignore_ascii_case("subscriptions")
        .then(|| seg.next().map(|s| format!("/subscriptions/{s}")))?
}

/// An ARM path with an api-version, for a target given without one.
fn with_api_version(path: &str, version: &str) -> String {
    if path.to_ascii_lowercase().contains("api-version=") {
        path.to_string()
    } else if path.contains('?') {
        format!("{path}&api-version={version}")
    } else {
        format!("{path}?api-version={version}")
    }
}

/// The api-version to send to a provider when the target names none.
fn api_version_for(path: &str) -> &'static str {
    let p = path.to_ascii_lowercase();
    if p.contains("/microsoft.compute/") {
        super::VM_API_VERSION
    } else if p.contains("/microsoft.authorization/") {
        AUTHZ_API_VERSION
    } else if p.contains("/microsoft.keyvault/") {
        "2023-07-01"
    } else if p.contains("/microsoft.storage/") {
        "2023-05-01"
    } else {
        "2021-04-01"
    }
}

/// The URL's origin (`scheme://host:port`), for a client of that service.
fn origin(url: &str) -> Result<String> {
    let u = reqwest::Url::parse(url).map_err(|e| {
        Error::config(
            format!("{} is not a URL: {e}", DisplayUrl::of(url)),
            "give a full https:// URL",
        )
    })?;
    Ok(u.origin().ascii_serialization())
}

/// Find a vault or storage account by name in the subscription: its ARM id and properties.
async fn find_resource(
    client: &Client,
    token: &TokenResponse,
    sub: &str,
    provider: &str,
    name: &str,
    ctx: &ErrorContext,
) -> Option<Value> {
    let url = client.url(&[], &[]);
    let url = format!(
        "{}{sub}/providers/{provider}?api-version={}",
        url.trim_end_matches('/'),
        api_version_for(provider)
    );
    let all = list_all(client, token, url, ctx).await.ok()?;
    all.into_iter().find(|r| {
        r.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

fn api_url(client: &Client, scope: &str, what: &str, filter: Option<&str>) -> String {
    let mut u = format!(
        "{}{}/providers/Microsoft.Authorization/{what}?api-version={AUTHZ_API_VERSION}",
        client.base(),
        scope.trim_end_matches('/')
    );
    if let Some(f) = filter {
        let f: String = url::form_urlencoded::byte_serialize(f.as_bytes()).collect();
        u.push_str(&format!("&$filter={f}"));
    }
    u
}

/// What `why` runs with: the token endpoint, and the ARM it asks (the doctor has these without
/// a `Session`).
pub struct Context<'a> {
    pub tokens: &'a TokenClient,
    pub endpoint: &'a Endpoint,
    pub env: &'a EnvSnapshot,
    pub overrides: &'a Overrides,
    pub arm: &'a super::Target,
}

/// Gather the facts about `request` and decide, with the session's endpoint and ARM.
pub async fn diagnose(session: &Session, request: &Request, resource: &str) -> Result<Outcome> {
    let arm = super::Target::new(
        request.cloud,
        request.arm_url.as_deref(),
        session.demo_url.clone(),
        session.client.timeout(),
    )?;
    let ctx = Context {
        tokens: &session.client,
        endpoint: &session.endpoint,
        env: &session.env,
        overrides: &session.overrides,
        arm: &arm,
    };
    diagnose_in(&ctx, request, resource).await
}

/// Gather the facts about `request` and decide; `request`'s cloud and ARM URL are `ctx.arm`'s.
pub async fn diagnose_in(
    ctx_in: &Context<'_>,
    request: &Request,
    resource: &str,
) -> Result<Outcome> {
    let arm = ctx_in.arm;
    let client = arm.client.clone();
    let (arm_resource, _) = arm.token_resource(resource);
    let arm_token = ctx_in
        .tokens
        .fetch(ctx_in.endpoint, &arm_resource)
        .await?
        .token;
    let ctx = ErrorContext::for_token(&arm_token, None, &arm_resource);
    let method = if request.method.trim().is_empty() {
        "GET".to_string()
    } else {
        request.method.trim().to_ascii_uppercase()
    };
    let raw_target = match &request.target {
        Some(t) => t.clone(),
        None => {
            let discovery: Discovery = arm.discovery(
                request.subscription.clone(),
                ctx_in.env,
                ctx_in.overrides,
                ctx_in.endpoint.flavour,
            );
            let sub = super::discover_subscription(&client, &arm_token, &discovery).await?;
            format!(
                "/subscriptions/{}/providers/Microsoft.Compute/virtualMachines",
                sub.id
            )
        }
    };
    let target = authz::target::parse(&raw_target, &method).map_err(|e| Error::config(e, "give an ARM path such as /subscriptions/<id>/resourceGroups/<rg>, or a Key Vault, Blob or Graph URL"))?;
    // The token the call itself needs.
    let token = match target.service.audience() {
        None => arm_token.clone(),
        Some(aud) => ctx_in.tokens.fetch(ctx_in.endpoint, aud).await?.token,
    };
    let jwt = token.jwt();
    let principal_id = jwt
        .as_ref()
        .and_then(|j| j.claim_str("oid").map(str::to_string));
    let principal_type = match jwt
        .as_ref()
        .and_then(|j| j.claim_str("idtyp").map(str::to_string))
        .as_deref()
    {
        Some("user") => "User",
        _ if jwt.as_ref().is_some_and(|j| j.claim_str("upn").is_some()) => "User",
        _ => "ServicePrincipal",
    };
    // The call itself, sent only when it changes nothing.
    let (url, probe_client) = match &target.url {
        Some(u) if target.service == Service::Arm && client.same_origin(u) => {
            (with_api_version(u, api_version_for(u)), client.clone())
        }
        Some(u) => {
            let u = match target.service {
                Service::KeyVault => with_api_version(u, KEY_VAULT_API_VERSION),
                Service::Arm => with_api_version(u, api_version_for(u)),
                _ => u.clone(),
            };
            let c = Client::with_timeout(&origin(&u)?, ctx_in.tokens.timeout())?;
            (u, c)
        }
        None => (
            format!(
                "{}{}",
                client.base(),
                with_api_version(&target.path, api_version_for(&target.path))
            ),
            client.clone(),
        ),
    };
    let headers: &[(&str, &str)] = if target.service == Service::Blob {
        &[("x-ms-version", STORAGE_VERSION)]
    } else {
        &[]
    };
    let probe = if matches!(method.as_str(), "GET" | "HEAD") {
        match probe_client
            .probe(&method, &url, &token.access_token, headers)
            .await
        {
            Ok(a) if (200..300).contains(&a.status) => Probe::Succeeded { status: a.status },
            Ok(a) => Probe::Refused(read_refusal(&a)),
            Err(e) => Probe::NotSent {
                reason: format!("it could not be sent: {}", one_line_error(&e)),
            },
        }
    } else {
        Probe::NotSent {
            reason: format!(
                "{method} changes things, so only what ARM says of the permissions counts"
            ),
        }
    };
    // The scope: given, from the target, from the refusal, or found by name.
    let refusal_scope = match &probe {
        Probe::Refused(r) if target.service == Service::KeyVault => r.scope.as_ref().map(|s| {
            let lower = s.to_ascii_lowercase();
            lower
                .find("/secrets/")
                .or(lower.find("/keys/"))
                .or(lower.find("/certificates/"))
                .map_or(s.clone(), |i| s.get(..i).unwrap_or(s).to_string())
        }),
        _ => None,
    };
    let given = request.scope.clone().or(target.scope.clone());
    let mut sub = given
        .as_deref()
        .or(refusal_scope.as_deref())
        .and_then(subscription_of)
        .or(request
            .subscription
            .as_ref()
            .map(|s| format!("/subscriptions/{s}")));
    if sub.is_none() {
        let discovery: Discovery =
            arm.discovery(None, ctx_in.env, ctx_in.overrides, ctx_in.endpoint.flavour);
        sub = super::discover_subscription(&client, &arm_token, &discovery)
            .await
            .ok()
            .map(|s| format!("/subscriptions/{}", s.id));
    }
    let mut vault_rbac = None;
    let mut found_scope = None;
    if let (Some(name), Some(sub)) = (&target.resource_name, &sub) {
        let provider = if target.service == Service::KeyVault {
            "Microsoft.KeyVault/vaults"
        } else {
            "Microsoft.Storage/storageAccounts"
        };
        if let Some(r) = find_resource(&client, &arm_token, sub, provider, name, &ctx).await {
            if target.service == Service::KeyVault {
                vault_rbac = r
                    .pointer("/properties/enableRbacAuthorization")
                    .and_then(Value::as_bool);
            }
            found_scope = text(&r, "id").map(|id| match &target.container {
                Some(c) => format!("{id}/blobServices/default/containers/{c}"),
                None => id,
            });
        }
    }
    let scope = given.or(found_scope).or(refusal_scope);
    let (permissions, assignments, deny_assignments) = match &scope {
        Some(sc) => {
            let oid = principal_id.clone().unwrap_or_default();
            let perms = list_all(
                &client,
                &arm_token,
                api_url(&client, sc, "permissions", None),
                &ctx,
            )
            .await
            .map(|l| l.iter().map(permission).collect());
            let filter = format!("atScope() and assignedTo('{oid}')");
            let assigned = list_all(
                &client,
                &arm_token,
                api_url(&client, sc, "roleAssignments", Some(&filter)),
                &ctx,
            )
            .await
            .map(|l| l.iter().filter_map(assignment).collect());
            let denies = list_all(
                &client,
                &arm_token,
                api_url(&client, sc, "denyAssignments", Some("atScope()")),
                &ctx,
            )
            .await
            .map(|l| l.iter().filter_map(deny).collect());
            (perms, assigned, denies)
        }
        None => {
            let why = "the scope is not known: give it with --scope".to_string();
            (Err(why.clone()), Err(why.clone()), Err(why))
        }
    };
    let (roles, roles_source) = match &sub {
        Some(sub) => match list_all(
            &client,
            &arm_token,
            api_url(&client, sub, "roleDefinitions", None),
            &ctx,
        )
        .await
        {
            Ok(l) if !l.is_empty() => (l.iter().filter_map(role).collect(), "arm"),
            _ => (built_in_roles(), "built-in table"),
        },
        None => (built_in_roles(), "built-in table"),
    };
    let facts = Facts {
        target: target.clone(),
        scope: scope.clone(),
        principal_id: principal_id.clone(),
        principal_type,
        probe: probe.clone(),
        permissions,
        assignments,
        deny_assignments,
        roles,
        vault_rbac,
        now: chrono::Utc::now().timestamp(),
    };
    let diagnosis = authz::decide(&facts);
    // A data-plane probe has its own client; an ARM one shares the ARM client's history.
    let mut requests = client.history();
    for r in probe_client.history() {
        if !requests
            .iter()
            .any(|x| x.url.as_str() == r.url.as_str() && x.method == r.method)
        {
            requests.push(r);
        }
    }
    Ok(Outcome {
        diagnosis,
        target,
        url: Some(DisplayUrl::of(&url)),
        scope,
        principal_id,
        principal_type,
        probe,
        permissions: facts.permissions,
        assignments: facts.assignments,
        deny_assignments: facts.deny_assignments,
        roles_source,
        requests,
    })
}

/// The refusal in an answer, its text freed of secrets and folded to one line first.
fn read_refusal(a: &RawAnswer) -> authz::Refusal {
    let body = redact_outside(&String::from_utf8_lossy(&a.body), 4000);
    let header = |n: &str| a.header(n).map(|v| redact_outside(&v, 2000));
    authz::refusal::parse(a.status, &header, &body)
}
