//! Changing faults while the emulator runs: `POST /admin/faults` with one spec per line
//! replaces them, `DELETE /admin/faults` clears them, `GET /admin/faults` lists them.
//! `GET /admin/rbac` lists role and deny assignments (JSON) with when each takes effect;
//! `POST /admin/rbac/settle` makes every pending assignment effective now.
//! Only callers on loopback that send this run's admin token, and no foreign `Origin`, are
//! served: a web page in the user's browser can send a plain POST here without a preflight.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::guard::admin_refusal;
use super::{Fault, Shared};

fn list(shared: &Shared) -> String {
    let faults = match shared.faults.lock() {
        Ok(f) => f.clone(),
        Err(p) => p.into_inner().clone(),
    };
    faults.iter().map(|f| format!("{f:?}\n")).collect()
}

pub async fn get_faults(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    admin_refusal(&s, peer, &headers).unwrap_or_else(|| list(&s).into_response())
}

pub async fn set_faults(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = admin_refusal(&s, peer, &headers) {
        return r;
    }
    let parsed: Result<Vec<Fault>, String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(Fault::parse)
        .collect();
    match parsed {
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
        Ok(faults) => {
            match s.faults.lock() {
                Ok(mut f) => *f = faults,
                Err(p) => *p.into_inner() = faults,
            }
            list(&s).into_response()
        }
    }
}

pub async fn clear_faults(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admin_refusal(&s, peer, &headers) {
        return r;
    }
    match s.faults.lock() {
        Ok(mut f) => f.clear(),
        Err(p) => p.into_inner().clear(),
    }
    StatusCode::NO_CONTENT.into_response()
}

pub async fn get_rbac(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    admin_refusal(&s, peer, &headers)
        .unwrap_or_else(|| axum::Json(super::rbac::admin_json(&s)).into_response())
}

/// Ends the propagation window of every pending assignment, so a test (or a demo) crosses it
/// by a request instead of a wait.
pub async fn settle_rbac(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admin_refusal(&s, peer, &headers) {
        return r;
    }
    let settled = s.rbac.settle(s.now());
    axum::Json(serde_json::json!({ "settled": settled })).into_response()
}
