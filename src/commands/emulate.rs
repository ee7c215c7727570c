//! `tokscope emulate`: the endpoint emulator as a standalone server.

use std::net::SocketAddr;

use crate::cli::EmulateArgs;
use crate::emulator::{self, Fault, ADMIN_TOKEN_HEADER};
use crate::error::{Error, Result};
use crate::output::{self, TerminalText};

pub fn config(args: &EmulateArgs) -> Result<emulator::Config> {
    let mut c = emulator::Config {
        lifetime: args.lifetime,
        refresh_before: args.refresh_before,
        allow_remote: args.allow_remote,
        tenant: args.tenant.clone(),
        clock_skew: args.clock_skew,
        expires_on_format: args.expires_on_format,
        ..emulator::Config::default()
    };
    if let Some(a) = &args.audiences {
        c.audiences = a
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(h) = &args.identity_header {
        c.identity_header = h.clone();
    }
    if let Some(d) = &args.arc_key_dir {
        c.arc_key_dir = d.clone();
        c.arc_key_dir_owned = false;
    }
    c.faults = args
        .faults
        .iter()
        .map(|s| {
            Fault::parse(s)
                .map_err(|e| Error::config(e, "see tokscope emulate --help for the fault syntax"))
        })
        .collect::<Result<_>>()?;
    c.tls = args.tls;
    c.ca_out = args.ca_out.clone();
    c.arm_page_size = args.arm_page_size.max(1);
    c.workload_faults = args.workload_faults.clone();
    c.sa_lifetime = args.sa_lifetime;
    c.sa_token_dir = args.sa_token_dir.clone();
    c.pod_layout = args.pod_layout;
    c.arm_deny_all = args.arm_deny;
    c.rbac_propagation = args.rbac_propagation;
    c.arm_faults = args
        .arm_faults
        .iter()
        .map(|s| {
            Fault::parse(s)
                .map_err(|e| Error::config(e, "see tokscope emulate --help for the fault syntax"))
        })
        .collect::<Result<_>>()?;
    Ok(c)
}

pub async fn run(args: &EmulateArgs) -> Result<()> {
    // Installed before anything is written, so that a signal that comes as soon as the banner
    // is read (or while the emulator starts) still stops it cleanly, its files removed.
    let stop = crate::shutdown_signal();
    let running = emulator::start(config(args)?, SocketAddr::new(args.bind, args.port)).await?;
    if !emulator::guard::is_loopback(args.bind) {
        output::note(&format!(
            "warning: listening on {}, beyond loopback: anyone who can reach it can mint tokens",
            args.bind
        ));
    }
    // Through the print layer, never println!, which panics when stdout is closed (`emulate | head -1`).
    let banner = format!(
        "tokscope emulator on {} (tenant {}, tokens live {} s, renewed {} s before expiry)\n{}\n\
         # ARM (VM list, {} per page): tokscope --endpoint {b} vms --arm-url {b}\n\
         # Identities and their roles (assignments made here apply after {} s; POST /admin/rbac/settle applies them now):\n{}\
         # Why a call is refused: tokscope --endpoint {b} --client-id <id> why --arm-url {b}\n\
         # Faults while it runs (admin token new each run; loopback callers only):\n\
         curl -H '{ADMIN_TOKEN_HEADER}: {t}' --data-binary '503:count=1' {b}/admin/faults",
        running.base_url(),
        running.shared.tenant_id(),
        running.shared.config.lifetime,
        running.shared.config.refresh_before,
        running.exports(),
        running.shared.config.arm_page_size,
        crate::duration::secs_i64(running.shared.config.rbac_propagation),
        emulator::rbac::describe_identities(&running.shared),
        b = running.base_url(),
        t = running.admin_token(),
    );
    output::stdout_line(&TerminalText::text(&banner))?;
    stop.await;
    Ok(())
}
