//! `tokscope doctor`: run the checks against this machine (or the built-in emulator) and show them.

use crate::arm::Target;
use crate::cli::{DiagnoseArgs, DoctorArgs, EndpointArgs};
use crate::doctor::{self, render, Diagnosis};
use crate::emulator::Running;
use crate::endpoint::{EnvSnapshot, Overrides, TokenClient};
use crate::error::{ErrorKind, Result};

use super::setup;

/// What the checks run with. Holds the demo emulator alive while in use.
struct Prepared {
    env: EnvSnapshot,
    overrides: Overrides,
    client: TokenClient,
    emulator: Option<Running>,
}

async fn prepare(args: &EndpointArgs, demo: bool) -> Result<Prepared> {
    match setup::setup(args, demo, setup::demo_config).await {
        Ok(s) => Ok(Prepared {
            env: s.session.env,
            overrides: s.session.overrides,
            client: s.session.client,
            emulator: s.emulator,
        }),
        // The environment names no usable endpoint: that is a finding, not a reason to stop.
        Err(e) if !demo && e.kind == ErrorKind::Config => {
            let client = TokenClient::new(setup::client_options(args))?;
            Ok(Prepared {
                env: EnvSnapshot::from_process(),
                overrides: setup::overrides_of(args)?,
                client,
                emulator: None,
            })
        }
        Err(e) => Err(e),
    }
}

/// Run every check. With --demo the signing keys come from the emulator unless --authority says otherwise.
pub async fn diagnosis(
    endpoint: &EndpointArgs,
    demo: bool,
    resource: &str,
    args: &DiagnoseArgs,
) -> Result<Diagnosis> {
    let p = prepare(endpoint, demo).await?;
    let authority = args
        .authority
        .clone()
        .or_else(|| p.emulator.as_ref().map(Running::base_url));
    let arm = if args.arm {
        let emulator = p.emulator.as_ref().map(Running::base_url);
        Some(Target::new(args.cloud, args.arm_url.as_deref(), emulator)?)
    } else {
        None
    };
    let opts = doctor::Options {
        resource: resource.to_string(),
        authority,
        arm,
        demo,
    };
    Ok(doctor::diagnose(&p.env, &p.overrides, &p.client, &opts).await)
}

/// The text to print and the exit code (0 all passed, 1 warnings, 2 failures).
pub async fn run(
    endpoint: &EndpointArgs,
    demo: bool,
    resource: &str,
    args: &DoctorArgs,
) -> Result<(String, u8)> {
    let d = diagnosis(endpoint, demo, resource, &args.diagnose).await?;
    let text = if args.json {
        render::json(&d).to_string()
    } else {
        render::human(&d)
    };
    Ok((text, d.exit_code()))
}
