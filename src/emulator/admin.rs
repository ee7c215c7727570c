//! Changing faults while the emulator runs: `POST /admin/faults` with one spec per line
//! replaces them, `DELETE /admin/faults` clears them, `GET /admin/faults` lists them.
//! Only callers on loopback are served.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fault, Shared};

fn loopback_only(peer: SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        (
            StatusCode::FORBIDDEN,
            "the admin path answers loopback callers only\n",
        )
            .into_response()
    })
}

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
) -> Response {
    loopback_only(peer).unwrap_or_else(|| list(&s).into_response())
}

pub async fn set_faults(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: String,
) -> Response {
    if let Some(r) = loopback_only(peer) {
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
) -> Response {
    if let Some(r) = loopback_only(peer) {
        return r;
    }
    match s.faults.lock() {
        Ok(mut f) => f.clear(),
        Err(p) => p.into_inner().clear(),
    }
    StatusCode::NO_CONTENT.into_response()
}
