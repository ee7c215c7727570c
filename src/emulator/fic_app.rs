//! Entra in a second tenant: an app registration that takes a managed identity of the demo
//! tenant as its federated credential. The identity's token for `api://AzureADTokenExchange`
//! is the client assertion; the checks and their codes follow what Entra reports for this
//! flow (700016, 700222, 700236, 700027, 700226, 700227, 700211, 700213, 700024).

use axum::response::Response;
use serde_json::{json, Map};

use super::workload::{entra_error, entra_success, fmt_time, WorkloadFault, FEDERATION_DOC};
use super::Shared;
use crate::assets::AppRegistration;
use crate::token::service_account::{is_entra_issuer, CLIENT_ASSERTION_TYPE, EXCHANGE_AUDIENCE};

/// The app registration whose tenant this is, if any.
pub fn app_in<'a>(s: &'a Shared, tenant: &str) -> Option<&'a AppRegistration> {
    s.tenant
        .apps
        .iter()
        .find(|a| a.tenant_id.eq_ignore_ascii_case(tenant))
}

/// The app's credentials with the identity's tenant and object id filled in: (issuer, subject,
/// audiences). With `fic-issuer-v1` the credential names the tenant's v1 issuer instead.
fn credentials(s: &Shared, app: &AppRegistration) -> Vec<(String, String, Vec<String>)> {
    let tid = s.tenant_id();
    app.federated_credentials
        .iter()
        .filter_map(|f| {
            let mi = s
                .tenant
                .user_identities
                .iter()
                .find(|u| u.name.eq_ignore_ascii_case(&f.identity))?;
            let issuer = if s.has_workload_fault(WorkloadFault::FicIssuerV1) {
                format!("https://sts.windows.net/{tid}/")
            } else {
                f.issuer.replace("{tenant}", tid)
            };
            Some((
                issuer,
                f.subject.replace("{object_id}", &mi.object_id),
                f.audiences.clone(),
            ))
        })
        .collect()
}

/// The app's own token for `resource`, from its tenant.
fn app_token(s: &Shared, app: &AppRegistration, resource: &str) -> (String, i64) {
    let now = s.now();
    let exp = now + s.config.lifetime;
    let iss = format!("https://sts.windows.net/{}/", app.tenant_id);
    let mut c = Map::new();
    for (k, v) in [
        ("aud", json!(resource)),
        ("iss", json!(iss)),
        ("iat", json!(now - 300)),
        ("nbf", json!(now - 300)),
        ("exp", json!(exp)),
        ("appid", json!(app.client_id)),
        ("appidacr", json!("2")),
        ("idp", json!(iss)),
        ("idtyp", json!("app")),
        ("oid", json!(app.service_principal_id)),
        ("sub", json!(app.service_principal_id)),
        ("tid", json!(app.tenant_id)),
        ("ver", json!("1.0")),
    ] {
        c.insert(k.into(), v);
    }
    (s.keys.sign(&c), exp - now)
}

/// `POST /{app tenant}/oauth2/v2.0/token` with a managed identity's token as the assertion.
pub fn exchange(s: &Shared, app: &AppRegistration, form: &[(String, String)]) -> Response {
    let p = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let tenant = &app.tenant_id;
    let client_id = p("client_id").unwrap_or_default();
    if !client_id.eq_ignore_ascii_case(&app.client_id) {
        return entra_error(s, 400, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."));
    }
    if p("grant_type") != Some("client_credentials")
        || p("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE)
    {
        return entra_error(s, 400, "invalid_request", 900144, "The request body must contain grant_type=client_credentials and a jwt-bearer client_assertion_type.");
    }
    let assertion = p("client_assertion").unwrap_or_default();
    let Ok(jwt) = crate::token::decode(assertion) else {
        return entra_error(
            s,
            400,
            "invalid_request",
            50027,
            "Invalid JWT token. The token is malformed.",
        );
    };
    let iss = jwt.claim_str("iss").unwrap_or_default().to_string();
    let fics = credentials(s, app);
    if is_entra_issuer(&iss) {
        if s.has_workload_fault(WorkloadFault::FicEntraRefused) {
            return entra_error(
                s,
                401,
                "invalid_client",
                700222,
                "AAD-issued tokens may not be used for federated identity flows.",
            );
        }
        if s.has_workload_fault(WorkloadFault::FicTenantBlocked) {
            return entra_error(s, 401, "invalid_client", 700236, &format!("Entra ID tokens issued by issuer '{iss}' may not be used for federated identity credential flows for applications or managed identities registered in this tenant."));
        }
        if !s.keys.verify(assertion) {
            return entra_error(
                s,
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation.",
            );
        }
        if jwt.claim_str("xms_mirid").is_none() {
            return entra_error(
                s,
                401,
                "invalid_client",
                700226,
                "Only MSI tokens may be used as federated identity credentials for AAD issuer.",
            );
        }
        let auds = crate::token::claims::audiences(&jwt);
        if !auds.iter().any(|a| a == EXCHANGE_AUDIENCE) {
            return entra_error(s, 401, "invalid_client", 700227, &format!("The token audience '{}' is forbidden for federated identity credential flows: Entra ID tokens used as assertions must be for {EXCHANGE_AUDIENCE}.", auds.join(",")));
        }
    }
    let by_issuer: Vec<_> = fics.iter().filter(|f| f.0 == iss).collect();
    if by_issuer.is_empty() {
        return entra_error(s, 401, "invalid_client", 700211, &format!("No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}"));
    }
    let sub = jwt.claim_str("sub").unwrap_or_default().to_string();
    if !by_issuer.iter().any(|f| f.1 == sub) {
        return entra_error(s, 401, "invalid_client", 700213, &format!("No matching federated identity record found for presented assertion subject '{sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}"));
    }
    let now = s.now();
    let (nbf, exp) = (jwt.claim_i64("nbf"), jwt.claim_i64("exp"));
    if now + 300 < nbf.unwrap_or(0) || now - 300 > exp.unwrap_or(0) {
        return entra_error(s, 401, "invalid_client", 700024, &format!("Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.", fmt_time(Some(now)), fmt_time(nbf), fmt_time(exp)));
    }
    let scope = p("scope").unwrap_or_default();
    let Some(resource) = scope.strip_suffix("/.default") else {
        return entra_error(s, 400, "invalid_scope", 1002012, &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."));
    };
    let (token, expires_in) = app_token(s, app, resource);
    entra_success(&token, expires_in)
}
