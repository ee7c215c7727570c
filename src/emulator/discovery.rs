//! Instance metadata, and the tenant's OpenID configuration and signing keys.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;

pub async fn instance(State(s): State<Arc<Shared>>, h: HeaderMap) -> Response {
    let ok = h
        .get("metadata")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ok {
        let body = json!({"error": "Bad request. Required metadata header not specified"});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let t = &s.tenant;
    axum::Json(json!({
        "compute": {
            "azEnvironment": "AzurePublicCloud",
            "location": t.vm.location,
            "name": t.vm.name,
            "resourceGroupName": t.vm.resource_group,
            "subscriptionId": t.subscription_id,
            "vmSize": t.vm.vm_size,
            "osType": "Linux",
            "resourceId": super::mint::vm_id(&s),
        }
    }))
    .into_response()
}

pub async fn openid(
    State(s): State<Arc<Shared>>,
    h: HeaderMap,
    Path(tenant): Path<String>,
) -> Response {
    let host = h
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    axum::Json(json!({
        "issuer": s.issuer(),
        "jwks_uri": format!("http://{host}/{tenant}/discovery/keys"),
        "token_endpoint": format!("http://{host}/{tenant}/oauth2/token"),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

pub async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    axum::Json(s.keys.jwks(&s.issuer())).into_response()
}
