//! tokscope: fetch, decode, count down, watch and use Azure managed-identity access tokens.

pub mod arm;
pub mod assets;
pub mod authz;
pub mod charset;
pub mod cli;
pub mod color;
pub mod commands;
pub mod display_url;
pub mod doctor;
pub mod duration;
pub mod emulator;
pub mod endpoint;
pub mod error;
pub mod files;
pub mod flavour;
pub mod identity_check;
pub mod inspect;
pub mod loopback;
pub mod net;
pub mod output;
pub mod report;
pub mod sanitize;
pub mod secret;
pub mod session;
pub mod sources;
pub mod text;
pub mod token;
pub mod tui;
pub mod vault;
pub mod verdict;
pub mod watch;

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (a closed SSH session or terminal window). The
/// handlers are installed when this is called, not when the future is first polled, so a
/// signal that comes before the first poll still stops the command gracefully instead of
/// killing it: what it made (the demo emulator's files, the terminal's state) is cleaned up as
/// it drops. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn next(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                // Not installed: only the other signals stop the command.
                None => std::future::pending::<()>().await,
            }
        }
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        // Under `nohup` (SIGHUP ignored) a closed session must not stop the command: tokio's
        // handler would replace the inherited ignore, so it is installed only when not ignored.
        let hangup = if hangup_ignored() {
            None
        } else {
            signal(SignalKind::hangup()).ok()
        };
        async move {
            tokio::select! {
                _ = next(interrupt) => {},
                _ = next(terminate) => {},
                _ = next(hangup) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether this process inherited SIGHUP as ignored (as `nohup` starts a command).
#[cfg(unix)]
fn hangup_ignored() -> bool {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`, which is zeroed memory
    // of the right type; nothing is changed.
    let read = unsafe { libc::sigaction(libc::SIGHUP, std::ptr::null(), old.as_mut_ptr()) };
    // SAFETY: `old` was zero-initialised and, on success, filled in by sigaction.
    read == 0 && unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN
}
