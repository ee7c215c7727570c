//! The token paths of every flavour, each with its own success and error shapes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::faults::{self, FaultKind, Foreign, Outcome, Surface, IMDS_SERVER};
use super::mint::{self, Twist, Wanted};
use super::{ExpiresOnFormat, Shared};

type S = State<Arc<Shared>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flav {
    Imds,
    Arc,
    CloudShell,
    AppService,
    AppService2017,
    AzureMl,
    ServiceFabric,
}

fn params(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn has_metadata(h: &HeaderMap) -> bool {
    header(h, "metadata").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An error in the flavour's own shape.
fn error(flav: Flav, status: u16, code: &str, message: &str) -> Response {
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    match flav {
        Flav::Imds | Flav::Arc => {
            json_response(st, json!({"error": code, "error_description": message}))
        }
        Flav::CloudShell => json_response(st, json!({"error": {"code": code, "message": message}})),
        Flav::AppService | Flav::AppService2017 | Flav::AzureMl => {
            let cid = mint::random_uuid();
            let mut r = json_response(
                st,
                json!({"statusCode": status, "message": message, "correlationId": cid}),
            );
            if let Ok(v) = cid.parse() {
                r.headers_mut().insert("x-correlation-id", v);
            }
            r
        }
        Flav::ServiceFabric => json_response(
            st,
            json!({"error": {"correlationId": mint::random_uuid(), "code": code, "message": message}}),
        ),
    }
}

/// An active fault's answer on the token endpoints, in the flavour's error shape.
async fn apply_faults(shared: &Shared, flav: Flav) -> Outcome {
    let status = |s: u16, _retry_after: Option<u32>| {
        error(
            flav,
            s,
            "temporarily_unavailable",
            "The service is temporarily unavailable (emulated fault).",
        )
    };
    let no_metadata = || error(flav, 400, "invalid_request", NO_METADATA);
    let surface = Surface {
        status: &status,
        reset_prefix: b"{\"access_token\":\"",
        truncated: "{\"access_token\":\"eyJ0eXAi\",\"expires_",
        no_metadata: Some(&no_metadata),
        mints: true,
    };
    faults::apply(&shared.faults, &surface).await
}

fn format_expires_on(epoch: i64, fmt: ExpiresOnFormat) -> Value {
    let t = DateTime::<Utc>::from_timestamp(epoch, 0).unwrap_or_default();
    match fmt {
        ExpiresOnFormat::Number => json!(epoch),
        ExpiresOnFormat::String => json!(epoch.to_string()),
        ExpiresOnFormat::Windows => json!(t.format("%m/%d/%Y %-I:%M:%S %p +00:00").to_string()),
        ExpiresOnFormat::Linux => json!(t.format("%m/%d/%Y %H:%M:%S +00:00").to_string()),
        ExpiresOnFormat::Iso => json!(t.format("%Y-%m-%dT%H:%M:%S.0000000+00:00").to_string()),
        ExpiresOnFormat::Docs => {
            // The docs' own sample writes noon as `00:00:00 PM`: the hour modulo 12, zero-padded.
            let hour = t.format("%H").to_string().parse::<u32>().unwrap_or(0);
            json!(format!(
                "{} {:02}{} {} +00:00",
                t.format("%m/%d/%Y"),
                hour % 12,
                t.format(":%M:%S"),
                if hour < 12 { "AM" } else { "PM" }
            ))
        }
    }
}

/// The shared path after each flavour has checked its own headers. `revoke` is the hash of
/// a token the client wants replaced, where the flavour's protocol carries one.
async fn issue(
    shared: &Shared,
    flav: Flav,
    resource: Option<&str>,
    wanted: Wanted,
    revoke: Option<&str>,
) -> Response {
    let mut wanted = wanted;
    let (mut anonymous, mut echo) = (false, true);
    let twist = match apply_faults(shared, flav).await {
        Outcome::Respond(r) => return r,
        Outcome::Twist(t) => t,
        Outcome::Pass => Twist::None,
        Outcome::Anonymous => {
            anonymous = true;
            Twist::None
        }
        // A legacy agent reads no selector: the system identity answers, and nothing in the
        // answer says which identity was asked for.
        Outcome::IgnoreSelector => {
            wanted = Wanted::System;
            echo = false;
            Twist::None
        }
    };
    let mut r = issue_token(shared, flav, resource, wanted, echo, twist, revoke);
    if anonymous {
        r.extensions_mut().insert(Foreign);
    }
    r
}

#[allow(
    clippy::too_many_arguments,
    reason = "the request's parts, each read once"
)]
fn issue_token(
    shared: &Shared,
    flav: Flav,
    resource: Option<&str>,
    wanted: Wanted,
    echo: bool,
    twist: Twist,
    revoke: Option<&str>,
) -> Response {
    let Some(resource) = resource else {
        return match flav {
            Flav::AppService | Flav::AppService2017 | Flav::AzureMl => {
                error(flav, 400, "", "The resource parameter is required.")
            }
            Flav::ServiceFabric => error(
                flav,
                400,
                "ArgumentNullOrEmpty",
                "The resource parameter is missing or empty.",
            ),
            _ => error(
                flav,
                400,
                "invalid_request",
                "Required query variable 'resource' is missing",
            ),
        };
    };
    if !mint::audience_allowed(shared, resource) {
        return match flav {
            Flav::CloudShell => error(flav, 400, "AudienceNotSupported", &format!("Audience {resource} is not a supported MSI token audience. Supported audiences: {}", shared.config.audiences.join(", "))),
            Flav::ServiceFabric => error(flav, 500, "InternalServerError", "An unexpected error occured while fetching the token."),
            _ => error(flav, 400, "invalid_resource", &format!("AADSTS500011: The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant.", shared.tenant_id())),
        };
    }
    // Cloud Shell hands out the signed-in portal user's token; the legacy VM extension, on
    // the same path, took a client_id for a user-assigned identity.
    if flav == Flav::CloudShell && wanted == Wanted::System {
        let t = mint::user_token_for(shared, resource, twist);
        return json_response(
            StatusCode::OK,
            json!({
                "access_token": t.token, "refresh_token": "",
                "expires_in": (t.expires_on - t.not_before).to_string(),
                "expires_on": format_expires_on(t.expires_on, shared.config.expires_on_format.unwrap_or(ExpiresOnFormat::String)),
                "not_before": t.not_before.to_string(), "resource": resource, "token_type": "Bearer",
            }),
        );
    }
    let Some(id) = mint::find_identity(shared, &wanted) else {
        return match flav {
            Flav::AppService | Flav::AppService2017 | Flav::AzureMl => {
                error(flav, 400, "", "Unable to load the proper Managed Identity.")
            }
            Flav::ServiceFabric => error(
                flav,
                404,
                "ManagedIdentityNotFound",
                "The managed identity was not found.",
            ),
            _ => error(flav, 400, "invalid_request", "Identity not found"),
        };
    };
    let t = mint::token_for(shared, &id, resource, twist, revoke);
    let now = shared.now();
    let fmt = |default| {
        format_expires_on(
            t.expires_on,
            shared.config.expires_on_format.unwrap_or(default),
        )
    };
    let body = match flav {
        Flav::Imds | Flav::Arc => json!({
            "access_token": t.token, "client_id": id.client_id,
            "expires_in": (t.expires_on - now).max(0).to_string(),
            "expires_on": fmt(ExpiresOnFormat::String),
            "ext_expires_in": (t.expires_on - now).max(0).to_string(),
            "not_before": t.not_before.to_string(), "resource": resource, "token_type": "Bearer",
        }),
        Flav::CloudShell => json!({
            "access_token": t.token, "refresh_token": "",
            "expires_in": (t.expires_on - t.not_before).to_string(),
            "expires_on": fmt(ExpiresOnFormat::String),
            "not_before": t.not_before.to_string(), "resource": resource, "token_type": "Bearer",
        }),
        Flav::AppService => json!({
            "access_token": t.token, "expires_on": fmt(ExpiresOnFormat::String),
            "resource": resource, "token_type": "Bearer", "client_id": id.client_id,
        }),
        Flav::AppService2017 => json!({
            "access_token": t.token, "expires_on": fmt(ExpiresOnFormat::Windows),
            "resource": resource, "token_type": "Bearer",
        }),
        // Azure ML writes expires_on as a JSON integer: MSAL Python does int(expires_on).
        Flav::AzureMl => json!({
            "access_token": t.token, "expires_on": fmt(ExpiresOnFormat::Number),
            "resource": resource, "token_type": "Bearer",
        }),
        Flav::ServiceFabric => json!({
            "token_type": "Bearer", "access_token": t.token,
            "expires_on": fmt(ExpiresOnFormat::Number), "resource": resource,
        }),
    };
    let mut body = body;
    if matches!(flav, Flav::Imds | Flav::Arc) {
        if echo {
            echo_selector(&mut body, &wanted);
        } else if let Some(map) = body.as_object_mut() {
            map.remove("client_id");
        }
    }
    json_response(StatusCode::OK, body)
}

/// IMDS and an Arc agent that serves user-assigned identities name, in the answer, the
/// identity they used, by the selector the request gave; MSAL refuses an Arc token without it.
fn echo_selector(body: &mut Value, selector: &Wanted) {
    let (key, value) = match selector {
        Wanted::ObjectId(o) => ("object_id", o),
        Wanted::ResourceId(r) => ("msi_res_id", r),
        // client_id is always in the answer.
        Wanted::System | Wanted::ClientId(_) => return,
    };
    if let Some(map) = body.as_object_mut() {
        map.insert(key.to_string(), json!(value));
    }
}

fn wanted_from(p: &[(String, String)], client: &str, object: &str, res: &str) -> Wanted {
    if let Some(v) = param(p, client) {
        Wanted::ClientId(v.into())
    } else if let Some(v) = param(p, object) {
        Wanted::ObjectId(v.into())
    } else if let Some(v) = param(p, res) {
        Wanted::ResourceId(v.into())
    } else {
        Wanted::System
    }
}

fn count(shared: &Shared) {
    shared.requests.fetch_add(1, Ordering::Relaxed);
}

const NO_METADATA: &str = "Required metadata header not specified";

/// App Service's protocol, and the one that adds revocation.
const APPSERVICE_VERSION: &str = "2019-08-01";
const APPSERVICE_REVOCATION_VERSION: &str = "2025-03-30";
/// Service Fabric's protocol as most clients send it, and MSAL .NET's since 4.83.
const SERVICEFABRIC_VERSION: &str = "2019-07-01-preview";
const SERVICEFABRIC_NEW_VERSION: &str = "2020-05-01";

/// The token a client asks to have replaced: `token_sha256_to_refresh`, read only alongside
/// the `cp1` client capability (`xms_cc`, comma-joined), as the revocation protocol sends them.
fn revocation(p: &[(String, String)]) -> Option<&str> {
    let capable = param(p, "xms_cc")
        .is_some_and(|cc| cc.split(',').any(|c| c.trim().eq_ignore_ascii_case("cp1")));
    param(p, "token_sha256_to_refresh").filter(|_| capable)
}

pub async fn imds(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    as_imds(imds_token(&s, &h, q.as_deref()).await)
}

/// IMDS's own answers carry its `Server` header; a proxy's or the Guest Proxy Agent's do not.
pub fn as_imds(mut r: Response) -> Response {
    if r.extensions().get::<Foreign>().is_none() {
        r.headers_mut()
            .insert("server", axum::http::HeaderValue::from_static(IMDS_SERVER));
    }
    r
}

async fn imds_token(s: &Shared, h: &HeaderMap, q: Option<&str>) -> Response {
    if !has_metadata(h) {
        return error(Flav::Imds, 400, "invalid_request", NO_METADATA);
    }
    let p = params(q);
    if param(&p, "api-version").is_none() {
        return error(
            Flav::Imds,
            400,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    // Older docs name the resource-id parameter mi_res_id; accept both.
    let mut wanted = wanted_from(&p, "client_id", "object_id", "msi_res_id");
    if let (Wanted::System, Some(r)) = (&wanted, param(&p, "mi_res_id")) {
        wanted = Wanted::ResourceId(r.into());
    }
    // IMDS has no revocation: token_sha256_to_refresh is not read.
    issue(s, Flav::Imds, param(&p, "resource"), wanted, None).await
}

/// `GET /metadata/identity/info`: the tenant the VM's identities live in.
pub async fn identity_info(State(s): S, h: HeaderMap) -> Response {
    count(&s);
    if !has_metadata(&h) {
        return as_imds(error(Flav::Imds, 400, "invalid_request", NO_METADATA));
    }
    as_imds(json_response(
        StatusCode::OK,
        json!({"tenantId": s.tenant_id()}),
    ))
}

/// `GET /metadata/identity/getplatformmetadata?cred-api-version=2.0`: the IMDS v2 (MI v2)
/// metadata. Without `Metadata: true` it answers 400, which is how clients probe for v2; a
/// v1-only host answers 404 either way.
pub async fn platform_metadata(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    if faults::present(&s.faults, &FaultKind::V1Only) {
        return as_imds(error(
            Flav::Imds,
            404,
            "not_found",
            "The requested resource is not available on this host.",
        ));
    }
    if !has_metadata(&h) {
        return as_imds(error(Flav::Imds, 400, "invalid_request", NO_METADATA));
    }
    let p = params(q.as_deref());
    if param(&p, "cred-api-version") != Some("2.0") {
        return as_imds(error(
            Flav::Imds,
            400,
            "invalid_request",
            "cred-api-version 2.0 is required",
        ));
    }
    let t = &s.tenant;
    as_imds(json_response(
        StatusCode::OK,
        json!({
            "clientId": t.system_identity.client_id,
            "tenantId": s.tenant_id(),
            "cuId": {"vmId": mint::uuid_from_hex(&crate::secret::sha256_hex(&mint::vm_id(&s))), "vmssId": ""},
            "attestationEndpoint": "",
        }),
    ))
}

pub async fn arc(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    if !has_metadata(&h) {
        return error(Flav::Arc, 400, "invalid_request", NO_METADATA);
    }
    let offered = header(&h, "authorization")
        .and_then(|a| a.strip_prefix("Basic "))
        .map(str::trim);
    let ttl = s.config.arc_key_ttl;
    let known = |k: &str| match s.arc_keys.lock() {
        Ok(mut keys) => keys.accepts(k, ttl),
        Err(p) => p.into_inner().accepts(k, ttl),
    };
    if !offered.is_some_and(known) {
        return arc_challenge(&s);
    }
    let p = params(q.as_deref());
    issue(
        &s,
        Flav::Arc,
        param(&p, "resource"),
        wanted_from(&p, "client_id", "object_id", "msi_res_id"),
        None,
    )
    .await
}

fn arc_challenge(s: &Shared) -> Response {
    let (dir, ttl) = (&s.config.arc_key_dir, s.config.arc_key_ttl);
    let issued = match s.arc_keys.lock() {
        Ok(mut k) => k.issue(dir, ttl),
        Err(p) => p.into_inner().issue(dir, ttl),
    };
    let Ok(path) = issued else {
        return error(
            Flav::Arc,
            500,
            "internal_error",
            "The agent could not write its key file.",
        );
    };
    let realm = format!("Basic realm={}", path.display());
    let mut r = error(
        Flav::Arc,
        401,
        "unauthorized",
        "Authorization required: read the key file named in WWW-Authenticate.",
    );
    if let Ok(v) = realm.parse() {
        r.headers_mut().insert("www-authenticate", v);
    }
    r
}

pub async fn cloudshell(State(s): S, h: HeaderMap, body: Bytes) -> Response {
    count(&s);
    if !has_metadata(&h) {
        return error(Flav::Imds, 400, "invalid_request", NO_METADATA);
    }
    let p = params(std::str::from_utf8(&body).ok());
    issue(
        &s,
        Flav::CloudShell,
        param(&p, "resource"),
        wanted_from(&p, "client_id", "object_id", "msi_res_id"),
        None,
    )
    .await
}

pub async fn appservice(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    let p = params(q.as_deref());
    let secret = &s.config.identity_header;
    match param(&p, "api-version") {
        Some(version @ (APPSERVICE_VERSION | APPSERVICE_REVOCATION_VERSION)) => {
            if header(&h, "x-identity-header") != Some(secret.as_str()) {
                return error(
                    Flav::AppService,
                    400,
                    "",
                    "The X-IDENTITY-HEADER header is missing or does not match.",
                );
            }
            let wanted = wanted_from(&p, "client_id", "principal_id", "mi_res_id");
            let wanted = match (&wanted, param(&p, "object_id")) {
                (Wanted::System, Some(o)) => Wanted::ObjectId(o.into()),
                _ => wanted,
            };
            // Only the 2025-03-30 protocol carries revocation.
            let revoke = (version == APPSERVICE_REVOCATION_VERSION)
                .then(|| revocation(&p))
                .flatten();
            issue(&s, Flav::AppService, param(&p, "resource"), wanted, revoke).await
        }
        Some("2017-09-01") => msi_2017(&s, Flav::AzureMl, &h, &p).await,
        other => {
            let r = error(
                Flav::AppService,
                400,
                "UnsupportedApiVersion",
                &format!(
                    "UnsupportedApiVersion: api-version {} is not supported: use {APPSERVICE_VERSION}, {APPSERVICE_REVOCATION_VERSION} or 2017-09-01.",
                    other.unwrap_or("(none)")
                ),
            );
            r
        }
    }
}

/// The 2017-09-01 protocol: Azure ML on `/msi/token`, App Service's legacy dates on
/// [`super::APPSERVICE2017_PATH`]. Both take the identity as `clientid`.
async fn msi_2017(s: &Shared, flav: Flav, h: &HeaderMap, p: &[(String, String)]) -> Response {
    if header(h, "secret") != Some(s.config.identity_header.as_str()) {
        return error(
            flav,
            401,
            "",
            "The secret header is missing or does not match.",
        );
    }
    let wanted = param(p, "clientid").map_or(Wanted::System, |c| Wanted::ClientId(c.into()));
    issue(s, flav, param(p, "resource"), wanted, None).await
}

pub async fn appservice2017(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    let p = params(q.as_deref());
    match param(&p, "api-version") {
        Some("2017-09-01") => msi_2017(&s, Flav::AppService2017, &h, &p).await,
        other => error(
            Flav::AppService2017,
            400,
            "",
            &format!(
                "api-version {} is not supported: use 2017-09-01.",
                other.unwrap_or("(none)")
            ),
        ),
    }
}

pub async fn servicefabric(State(s): S, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    count(&s);
    if header(&h, "secret") != Some(s.config.identity_header.as_str()) {
        return error(
            Flav::ServiceFabric,
            401,
            "SecretHeaderNotFound",
            "Secret is not found in the request headers.",
        );
    }
    let p = params(q.as_deref());
    match param(&p, "api-version") {
        Some(SERVICEFABRIC_VERSION | SERVICEFABRIC_NEW_VERSION) => {}
        other => {
            return error(
                Flav::ServiceFabric,
                400,
                "InvalidApiVersion",
                &format!(
                    "The api-version {} is not supported: use {SERVICEFABRIC_VERSION} or {SERVICEFABRIC_NEW_VERSION}.",
                    other.unwrap_or("(none)")
                ),
            )
        }
    }
    issue(
        &s,
        Flav::ServiceFabric,
        param(&p, "resource"),
        Wanted::System,
        revocation(&p),
    )
    .await
}

/// The IMDS token path as the services that serve it match it: any case, with or without a
/// trailing slash (msal-node asks for `…/token/` in lower case).
fn is_imds_token_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .eq_ignore_ascii_case(super::IMDS_TOKEN_PATH)
}

/// Every path no route has: the IMDS token path in its other spellings, else an error in the
/// shape of the flavour the path belongs to, never an empty 404 (which IMDS clients retry).
pub async fn fallback(
    state: S,
    method: axum::http::Method,
    uri: axum::http::Uri,
    h: HeaderMap,
    q: RawQuery,
) -> Response {
    // `az cloud register --endpoint-resource-manager https://host/` asks `//metadata/endpoints`.
    let mut path = uri.path().to_string();
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    if is_imds_token_path(&path) && method == axum::http::Method::GET {
        return imds(state, h, q).await;
    }
    if path == "/metadata/endpoints" && method == axum::http::Method::GET {
        return super::arm::metadata_endpoints(state, h, q).await;
    }
    let path = path.as_str();
    let State(s) = state;
    count(&s);
    let lower = path.to_ascii_lowercase();
    // A URI path is printable ASCII (the rest arrives percent-encoded); keep it short.
    let shown: String = path.chars().take(200).collect();
    let what = format!("There is no {method} {shown} here.");
    let flav = if lower.starts_with("/arc/") {
        Flav::Arc
    } else if lower.starts_with("/metadata") {
        Flav::Imds
    } else if lower.starts_with("/oauth2") {
        Flav::CloudShell
    } else if lower.starts_with("/msi") {
        Flav::AppService
    } else if lower.starts_with("/sf/") {
        Flav::ServiceFabric
    } else {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": "NotFound", "message": format!("{what} The emulator serves {} (token paths), /metadata/instance, /subscriptions and the Entra discovery documents.", TOKEN_PATHS)}}),
        );
    };
    // 400, not 404: IMDS clients take a 404 for "updating" and retry for many seconds.
    let (code, hint) = match flav {
        Flav::Imds => (
            "invalid_request",
            format!("{what} The token path is {}.", super::IMDS_TOKEN_PATH),
        ),
        Flav::Arc => (
            "invalid_request",
            format!(
                "{what} The Arc token path is /arc{}.",
                super::IMDS_TOKEN_PATH
            ),
        ),
        Flav::CloudShell => (
            "BadRequest",
            format!("{what} Cloud Shell's token path is POST /oauth2/token."),
        ),
        Flav::ServiceFabric => (
            "NotFound",
            format!("{what} Service Fabric's token path is /sf/token."),
        ),
        _ => (
            "",
            format!(
                "{what} App Service's token path is /msi/token ({} for the 2017 date forms).",
                super::APPSERVICE2017_PATH
            ),
        ),
    };
    error(flav, 400, code, &hint)
}

const TOKEN_PATHS: &str = "/metadata/identity/oauth2/token, /oauth2/token, /msi/token, /msi2017/token, /arc/metadata/identity/oauth2/token and /sf/token";
