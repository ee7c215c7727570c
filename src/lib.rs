//! tokscope: fetch, decode, count down, watch and use Azure managed-identity access tokens.

pub mod arm;
pub mod assets;
pub mod cli;
pub mod color;
pub mod commands;
pub mod doctor;
pub mod duration;
pub mod emulator;
pub mod endpoint;
pub mod error;
pub mod flavour;
pub mod inspect;
pub mod net;
pub mod output;
pub mod report;
pub mod sanitize;
pub mod secret;
pub mod session;
pub mod text;
pub mod token;
pub mod tui;
pub mod watch;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
