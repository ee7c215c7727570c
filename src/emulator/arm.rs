//! A small Azure Resource Manager: the VM list with paging, instance views and the subscription
//! list, behind ARM's own authentication, authorization and error shapes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::faults::{self, Outcome, Surface};
use super::mint::{normalise_audience, random_hex};
use super::{dataplane, rbac, Shared};
use crate::assets::TenantVm;

type S = State<Arc<Shared>>;
/// An answer that ends a request early; boxed, as responses are large.
pub(super) type Refused = Box<Response>;

/// Audiences ARM takes, compared after [`normalise_audience`].
const ARM_AUDIENCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
];

/// The identity behind a valid token.
pub struct Caller {
    pub oid: String,
    pub appid: String,
    pub iss: String,
    /// `xms_mirid`: the identity's (or its compute resource's) ARM id, for managed identities.
    pub mirid: Option<String>,
}

pub fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        json!({"error": {"code": code, "message": message}}).to_string(),
    )
        .into_response()
}

pub fn uuid_v4_like() -> String {
    let h = random_hex(16);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// ARM's three ids on every answer. A correlation id sent by the client is echoed, as ARM does.
pub fn stamp_ids(mut r: Response, request: &HeaderMap) -> Response {
    let request_id = uuid_v4_like();
    let correlation = request
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .map_or_else(uuid_v4_like, str::to_string);
    let routing = format!(
        "WESTEUROPE:{}:{request_id}",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    let h = r.headers_mut();
    for (name, value) in [
        ("x-ms-request-id", request_id),
        ("x-ms-correlation-request-id", correlation),
        ("x-ms-routing-request-id", routing),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    r
}

fn unauthorized(shared: &Shared, resource: &str, code: &str, message: &str) -> Refused {
    let mut r = arm_error(StatusCode::UNAUTHORIZED, code, message);
    // ARM's challenge names the error; the data planes name the resource to ask a token for.
    let challenge = if resource.contains("management.") {
        format!(
            "Bearer authorization_uri=\"https://login.microsoftonline.com/{}\", error=\"invalid_token\", error_description=\"{message}\"",
            shared.tenant_id()
        )
    } else {
        format!(
            "Bearer authorization=\"https://login.microsoftonline.com/{}\", resource=\"{resource}\"",
            shared.tenant_id()
        )
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert("www-authenticate", v);
    }
    Box::new(r)
}

/// `11/25/2026 4:35:00 PM`, the form ARM's expiry message uses.
fn arm_time(epoch: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%m/%d/%Y %-I:%M:%S %p")
        .to_string()
}

/// Accept only tokens this emulator minted, unexpired, for one of `audiences` (`resource` is
/// the one named in a challenge).
pub fn authenticate(
    shared: &Shared,
    h: &HeaderMap,
    audiences: &[&str],
    resource: &str,
) -> Result<Caller, Refused> {
    let unauthorized =
        |shared: &Shared, code: &str, message: &str| unauthorized(shared, resource, code, message);
    let Some(auth) = h.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(unauthorized(
            shared,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let Some(raw) = auth
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("bearer "))
        .map(|_| auth[7..].trim())
    else {
        return Err(unauthorized(
            shared,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        ));
    };
    let invalid = || {
        unauthorized(
            shared,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
    };
    let jwt = crate::token::decode(raw).map_err(|_| invalid())?;
    if !shared.keys.verify(raw) {
        return Err(unauthorized(
            shared,
            "InvalidAuthenticationToken",
            "The access token is invalid. Its signature does not match a signing key of the issuer.",
        ));
    }
    let now = shared.now();
    let exp = jwt.claim_i64("exp").ok_or_else(invalid)?;
    if exp <= now {
        return Err(unauthorized(
            shared,
            "ExpiredAuthenticationToken",
            &format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                arm_time(exp),
                arm_time(now)
            ),
        ));
    }
    let aud = jwt.claim_str("aud").unwrap_or("");
    if !audiences.contains(&normalise_audience(aud).as_str()) {
        let allowed: Vec<String> = audiences
            .iter()
            .flat_map(|a| [format!("'{a}/'"), format!("'{a}'")])
            .collect();
        return Err(unauthorized(
            shared,
            "InvalidAuthenticationTokenAudience",
            &format!("The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences {}.", allowed.join(",")),
        ));
    }
    let oid = jwt.claim_str("oid").ok_or_else(invalid)?.to_string();
    let appid = jwt.claim_str("appid").unwrap_or("").to_string();
    let iss = jwt.claim_str("iss").unwrap_or("").to_string();
    let mirid = jwt.claim_str("xms_mirid").map(str::to_string);
    Ok(Caller {
        oid,
        appid,
        iss,
        mirid,
    })
}

/// An active fault's answer on ARM, in ARM's error shape with the codes ARM uses.
async fn apply_faults(shared: &Shared) -> Outcome {
    let status = |s: u16, retry_after: Option<u32>| {
        let st = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, message) = match s {
            429 => ("SubscriptionRequestsThrottled".to_string(), format!("Number of 'read' requests for subscription '{}' exceeded. Please try again after '{}' seconds after additional tasks are completed.", shared.tenant.subscription_id, retry_after.unwrap_or(5))),
            502 => ("BadGateway".into(), "The gateway did not receive a response from 'Microsoft.Compute' within the specified time period.".into()),
            503 => ("ServiceUnavailable".into(), "The server (leader) is currently unable to receive requests. Please retry your request.".into()),
            504 => ("GatewayTimeout".into(), "The gateway did not receive a response from 'Microsoft.Compute' within the specified time period.".into()),
            s if s >= 500 => ("InternalServerError".into(), format!("Encountered internal server error. Diagnostic information: timestamp '{}'.", Utc::now().format("%Y%m%dT%H%M%SZ"))),
            _ => ("BadRequest".into(), "The request is invalid (emulated fault).".into()),
        };
        arm_error(st, &code, &message)
    };
    let surface = Surface {
        status: &status,
        reset_prefix: b"{\"value\":[",
        truncated: "{\"value\":[{\"name\":\"vm-",
        // Token twists and the Metadata header belong to the token side.
        no_metadata: None,
        mints: false,
    };
    faults::apply(&shared.arm_faults, &surface).await
}

pub fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

pub fn query_param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks every ARM request shares: authentication, api-version, injected faults.
pub(super) async fn gate(
    shared: &Shared,
    h: &HeaderMap,
    q: &[(String, String)],
) -> Result<Caller, Refused> {
    shared.arm_requests.fetch_add(1, Ordering::Relaxed);
    let caller = authenticate(shared, h, ARM_AUDIENCES, "https://management.azure.com/")?;
    if query_param(q, "api-version").is_none_or(str::is_empty) {
        return Err(Box::new(arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )));
    }
    if let Outcome::Respond(r) = apply_faults(shared).await {
        return Err(Box::new(r));
    }
    Ok(caller)
}

/// `GET /subscriptions`: the demo subscription, to identities that hold a role on it.
pub async fn subscriptions(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let q = query_params(q.as_deref());
    let r = match gate(&s, &h, &q).await {
        Err(r) => *r,
        Ok(caller) => {
            let t = &s.tenant;
            let sub_scope = format!("/subscriptions/{}", t.subscription_id);
            let value: Vec<Value> = if !s.config.arm_deny_all
                && s.rbac.has_any_role(&caller.oid, &sub_scope, s.now())
            {
                vec![json!({
                    "id": format!("/subscriptions/{}", t.subscription_id),
                    "authorizationSource": "RoleBased",
                    "subscriptionId": t.subscription_id,
                    "tenantId": s.tenant_id(),
                    "displayName": "tokscope demo",
                    "state": "Enabled",
                })]
            } else {
                Vec::new()
            };
            let n = value.len();
            axum::Json(json!({"value": value, "count": {"type": "Total", "value": n}}))
                .into_response()
        }
    };
    stamp_ids(r, &h)
}

/// `GET /metadata/endpoints`: the cloud's endpoints, as ARM describes its own cloud, with the
/// emulator standing in for ARM and the login authority (both on the scheme and host the request
/// came in on). `az cloud register --endpoint-resource-manager` reads this first. Like ARM,
/// api-version 2019-05-01 answers a list of clouds, 2015-01-01 the old flat shape, and the
/// others (2022-09-01, what az asks) one cloud. No token is needed, as at ARM.
pub async fn metadata_endpoints(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let q = query_params(q.as_deref());
    let Some(api) = query_param(&q, "api-version") else {
        let r = arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
        return stamp_ids(r, &h);
    };
    let host = h
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("{}://{host}", s.scheme());
    let audiences = json!([
        "https://management.core.windows.net/",
        "https://management.azure.com/"
    ]);
    let body = if api == "2015-01-01" {
        json!({
            "galleryEndpoint": format!("{base}/"),
            "graphEndpoint": "https://graph.windows.net/",
            "portalEndpoint": "https://portal.azure.com/",
            "authentication": { "loginEndpoint": format!("{base}/"), "audiences": audiences },
        })
    } else {
        let cloud = json!({
            "portal": "https://portal.azure.com",
            "authentication": {
                "loginEndpoint": base,
                "audiences": audiences,
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "media": "https://rest.media.azure.net",
            "graphAudience": "https://graph.windows.net/",
            "graph": "https://graph.windows.net/",
            "name": "AzureCloud",
            "suffixes": {
                "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                "acrLoginServer": "azurecr.io",
                "sqlServerHostname": "database.windows.net",
                "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                "keyVaultDns": "vault.azure.net",
                "storage": "core.windows.net",
                "azureFrontDoorEndpointSuffix": "azurefd.net",
                "storageSyncEndpointSuffix": "afs.azure.net",
                "mhsmDns": "managedhsm.azure.net",
                "mysqlServerEndpoint": "mysql.database.azure.com",
                "postgresqlServerEndpoint": "postgres.database.azure.com",
                "mariadbServerEndpoint": "mariadb.database.azure.com",
                "synapseAnalytics": "dev.azuresynapse.net",
                "attestationEndpoint": "attest.azure.net",
            },
            "batch": "https://batch.core.windows.net/",
            "resourceManager": format!("{base}/"),
            "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
            "activeDirectoryDataLake": "https://datalake.azure.net/",
            "sqlManagement": "https://management.core.windows.net:8443/",
            "microsoftGraphResourceId": "https://graph.microsoft.com/",
            "appInsightsResourceId": "https://api.applicationinsights.io",
            "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
            "attestationResourceId": "https://attest.azure.net",
            "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
            "logAnalyticsResourceId": "https://api.loganalytics.io",
            "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        });
        if api == "2019-05-01" {
            json!([cloud])
        } else {
            cloud
        }
    };
    stamp_ids(axum::Json(body).into_response(), &h)
}

/// What a path under `/subscriptions/` asks for. Literal segments match without case, as ARM's do.
enum Scope {
    Vms {
        sub: String,
        rg: Option<String>,
    },
    InstanceView {
        sub: String,
        rg: String,
        name: String,
    },
    Unknown,
}

fn parse_scope(rest: &str) -> Scope {
    let seg: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let is = |i: usize, lit: &str| seg.get(i).is_some_and(|s| s.eq_ignore_ascii_case(lit));
    let provider_at = |i: usize| {
        is(i, "providers") && is(i + 1, "Microsoft.Compute") && is(i + 2, "virtualMachines")
    };
    match *seg.as_slice() {
        [sub, _, _, _] if provider_at(1) => Scope::Vms {
            sub: sub.into(),
            rg: None,
        },
        [sub, _, rg, _, _, _] if is(1, "resourceGroups") && provider_at(3) => Scope::Vms {
            sub: sub.into(),
            rg: Some(rg.into()),
        },
        [sub, _, rg, _, _, _, name, _]
            if is(1, "resourceGroups") && provider_at(3) && is(7, "instanceView") =>
        {
            Scope::InstanceView {
                sub: sub.into(),
                rg: rg.into(),
                name: name.into(),
            }
        }
        _ => Scope::Unknown,
    }
}

fn vm_arm_id(sub: &str, vm: &TenantVm, index: usize) -> String {
    // Real ids mix `resourceGroups` and `resourcegroups`; clients must compare without case.
    let segment = if index % 3 == 2 {
        "resourcegroups"
    } else {
        "resourceGroups"
    };
    format!(
        "/subscriptions/{sub}/{segment}/{}/providers/Microsoft.Compute/virtualMachines/{}",
        vm.resource_group, vm.name
    )
}

fn vm_json(sub: &str, vm: &TenantVm, index: usize) -> Value {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, vm.name.as_bytes());
    let h: String = digest
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let vm_id = super::mint::uuid_from_hex(&h);
    json!({
        "name": vm.name,
        "id": vm_arm_id(sub, vm, index),
        "type": "Microsoft.Compute/virtualMachines",
        "location": vm.location,
        "tags": {},
        "properties": {
            "vmId": vm_id,
            "hardwareProfile": {"vmSize": vm.size},
            "storageProfile": {"osDisk": {"osType": vm.os_type, "name": format!("{}_OsDisk_1", vm.name), "createOption": "FromImage"}},
            "osProfile": {"computerName": vm.name},
            "provisioningState": vm.provisioning_state,
        }
    })
}

fn not_found_subscription(sub: &str) -> Response {
    arm_error(
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        &format!("The subscription '{sub}' could not be found."),
    )
}

/// `GET /subscriptions/{sub}/…`: the VM list (whole subscription or one resource group),
/// instance views, vaults and storage accounts, and the authorization API.
pub async fn scoped(
    State(s): S,
    h: HeaderMap,
    uri: Uri,
    Path(rest): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let q = query_params(q.as_deref());
    let r = match gate(&s, &h, &q).await {
        Err(r) => *r,
        Ok(caller) => {
            let path = format!("/subscriptions/{rest}");
            if let Some(p) = rbac::authz_path(&path) {
                rbac::get(&s, &caller, &h, &uri, &q, &p)
            } else {
                match parse_scope(&rest) {
                    Scope::Vms { sub, rg } => {
                        list_vms(&s, &caller, &h, &uri, &q, &sub, rg.as_deref())
                    }
                    Scope::InstanceView { sub, rg, name } => {
                        instance_view(&s, &caller, &sub, &rg, &name)
                    }
                    Scope::Unknown => match data_resources(&s, &caller, &h, &uri, &q, &path) {
                        Some(r) => r,
                        None => arm_error(
                            StatusCode::NOT_FOUND,
                            "InvalidResourceType",
                            "The resource type could not be found: this emulator serves virtualMachines, Key Vault vaults, storage accounts and Microsoft.Authorization.",
                        ),
                    },
                }
            }
        }
    };
    stamp_ids(r, &h)
}

/// `PUT` and `DELETE` under `/subscriptions/`: role assignments, as `az role assignment
/// create` and `delete` send them.
pub async fn scoped_write(
    State(s): S,
    method: axum::http::Method,
    h: HeaderMap,
    Path(rest): Path<String>,
    RawQuery(q): RawQuery,
    body: axum::body::Bytes,
) -> Response {
    let q = query_params(q.as_deref());
    let r = match gate(&s, &h, &q).await {
        Err(r) => *r,
        Ok(caller) => {
            let path = format!("/subscriptions/{rest}");
            match rbac::authz_path(&path) {
                Some(p) if method == axum::http::Method::DELETE => rbac::delete(&s, &caller, &p),
                Some(p) => rbac::put(&s, &caller, &p, &body),
                None => arm_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The emulator changes role assignments only.",
                ),
            }
        }
    };
    stamp_ids(r, &h)
}

/// Vaults and storage accounts as ARM resources: the subscription's lists, and each one by id
/// with the properties that decide a data-plane refusal (`enableRbacAuthorization`,
/// `networkAcls`).
fn data_resources(
    s: &Shared,
    caller: &Caller,
    h: &HeaderMap,
    uri: &Uri,
    q: &[(String, String)],
    path: &str,
) -> Option<Response> {
    let sub = &s.tenant.subscription_id;
    let lower = path.trim_end_matches('/').to_ascii_lowercase();
    let sub_scope = format!("/subscriptions/{sub}");
    let host = h
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("{}://{host}", s.scheme());
    let rb = &s.rbac.rbac;
    let vaults: Vec<(String, Value)> = rb
        .vaults
        .iter()
        .map(|v| {
            let id = dataplane::vault_arm_id(s, v);
            let deny = if v.firewall { "Deny" } else { "Allow" };
            let body = json!({
                "id": id, "name": v.name, "type": "Microsoft.KeyVault/vaults", "location": v.location,
                "properties": {
                    "tenantId": s.tenant_id(),
                    "enableRbacAuthorization": v.rbac,
                    "vaultUri": format!("{base}/vault/{}/", v.name),
                    "publicNetworkAccess": if v.firewall { "Disabled" } else { "Enabled" },
                    "networkAcls": {"bypass": "AzureServices", "defaultAction": deny, "ipRules": [], "virtualNetworkRules": []},
                    "accessPolicies": v.access_policies.iter().map(|p| json!({
                        "tenantId": s.tenant_id(),
                        "objectId": rbac::principal_named(&s.tenant, &p.principal),
                        "permissions": {"secrets": p.secrets},
                    })).collect::<Vec<_>>(),
                }
            });
            (id, body)
        })
        .collect();
    let accounts: Vec<(String, Value)> = rb
        .storage_accounts
        .iter()
        .map(|a| {
            let id = dataplane::account_id(s, a);
            let body = json!({
                "id": id, "name": a.name, "type": "Microsoft.Storage/storageAccounts", "location": a.location,
                "kind": "StorageV2",
                "properties": {
                    "primaryEndpoints": {"blob": format!("{base}/blob/{}/", a.name)},
                    "networkAcls": {"bypass": "AzureServices", "defaultAction": if a.firewall { "Deny" } else { "Allow" }, "ipRules": [], "virtualNetworkRules": []},
                }
            });
            (id, body)
        })
        .collect();
    for (kind, items, read) in [
        (
            "microsoft.keyvault/vaults",
            &vaults,
            "Microsoft.KeyVault/vaults/read",
        ),
        (
            "microsoft.storage/storageaccounts",
            &accounts,
            "Microsoft.Storage/storageAccounts/read",
        ),
    ] {
        if lower == format!("{}/providers/{kind}", sub_scope.to_ascii_lowercase()) {
            return Some(match rbac::authorize(s, caller, read, &sub_scope) {
                Err(r) => *r,
                Ok(()) => {
                    match rbac::paged(s, h, uri, q, items.iter().map(|(_, v)| v.clone()).collect())
                    {
                        Ok(v) => axum::Json(v).into_response(),
                        Err(r) => *r,
                    }
                }
            });
        }
        if let Some((id, body)) = items
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(path.trim_end_matches('/')))
        {
            return Some(match rbac::authorize(s, caller, read, id) {
                Err(r) => *r,
                Ok(()) => axum::Json(body.clone()).into_response(),
            });
        }
    }
    None
}

pub(super) fn check_subscription(s: &Shared, sub: &str) -> Result<(), Refused> {
    if sub.eq_ignore_ascii_case(&s.tenant.subscription_id) {
        Ok(())
    } else {
        Err(Box::new(not_found_subscription(sub)))
    }
}

#[allow(
    clippy::indexing_slicing,
    reason = "indexes JSON objects built here: serde_json inserts or reads, it panics only on non-objects"
)]
fn list_vms(
    s: &Shared,
    caller: &Caller,
    h: &HeaderMap,
    uri: &Uri,
    q: &[(String, String)],
    sub: &str,
    rg: Option<&str>,
) -> Response {
    if let Err(r) = check_subscription(s, sub) {
        return *r;
    }
    let scope = match rg {
        Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        None => format!("/subscriptions/{sub}"),
    };
    if let Err(r) = rbac::authorize(s, caller, "Microsoft.Compute/virtualMachines/read", &scope) {
        return *r;
    }
    let vms: Vec<(usize, &TenantVm)> = s
        .tenant
        .vms
        .iter()
        .enumerate()
        .filter(|(_, v)| rg.is_none_or(|rg| v.resource_group.eq_ignore_ascii_case(rg)))
        .collect();
    if let (Some(rg), true) = (rg, vms.is_empty()) {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            &format!("Resource group '{rg}' could not be found."),
        );
    }
    let items = vms
        .iter()
        .map(|(i, v)| vm_json(&s.tenant.subscription_id, v, *i))
        .collect();
    match rbac::paged(s, h, uri, q, items) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => *r,
    }
}

/// Opaque to clients, as ARM's continuation tokens are.
pub fn encode_skiptoken(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

pub fn decode_skiptoken(t: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(t.trim()).ok()?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

fn instance_view(s: &Shared, caller: &Caller, sub: &str, rg: &str, name: &str) -> Response {
    if let Err(r) = check_subscription(s, sub) {
        return *r;
    }
    let scope = format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"
    );
    if let Err(r) = rbac::authorize(s, caller, "Microsoft.Compute/virtualMachines/read", &scope) {
        return *r;
    }
    let Some(vm) =
        s.tenant.vms.iter().find(|v| {
            v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name)
        })
    else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!("The Resource 'Microsoft.Compute/virtualMachines/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
        );
    };
    let power_display = match vm.power_state.as_str() {
        "running" => "VM running".to_string(),
        "deallocated" => "VM deallocated".to_string(),
        "stopped" => "VM stopped".to_string(),
        other => format!("VM {other}"),
    };
    axum::Json(json!({
        "computerName": vm.name,
        "osName": if vm.os_type.eq_ignore_ascii_case("windows") { "Windows Server 2022 Datacenter" } else { "ubuntu" },
        "statuses": [
            {"code": format!("ProvisioningState/{}", vm.provisioning_state.to_ascii_lowercase()), "level": "Info", "displayStatus": format!("Provisioning {}", vm.provisioning_state.to_ascii_lowercase())},
            {"code": format!("PowerState/{}", vm.power_state), "level": "Info", "displayStatus": power_display},
        ]
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_match_without_case() {
        assert!(matches!(
            parse_scope("s1/providers/microsoft.compute/VIRTUALMACHINES"),
            Scope::Vms { rg: None, .. }
        ));
        assert!(matches!(
            parse_scope("s1/resourcegroups/rg-a/providers/Microsoft.Compute/virtualMachines"),
            Scope::Vms { rg: Some(_), .. }
        ));
        assert!(matches!(
            parse_scope("s1/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1/instanceView"),
            Scope::InstanceView { .. }
        ));
        assert!(matches!(
            parse_scope("s1/providers/Microsoft.Storage/storageAccounts"),
            Scope::Unknown
        ));
    }

    #[test]
    fn skiptokens_round_trip() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(20)), Some(20));
        assert_eq!(decode_skiptoken("garbage!"), None);
    }
}
