//! `tokscope doctor`: run the checks against this machine (or the built-in emulator) and show them.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::arm::Target;
use crate::cli::{DiagnoseArgs, DoctorArgs, EndpointArgs};
use crate::doctor::{self, fleet, render, Diagnosis};
use crate::emulator::Running;
use crate::endpoint::{EnvSnapshot, Overrides, TokenClient};
use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, ReadRule};

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
        Some(Target::new(
            args.cloud,
            args.arm_url.as_deref(),
            emulator,
            p.client.timeout(),
        )?)
    } else {
        None
    };
    let opts = doctor::Options {
        resource: resource.to_string(),
        authority,
        arm,
        demo,
        federation: setup::arm_reader(
            args.arm_token_file.as_deref(),
            args.cloud,
            args.arm_url.as_deref(),
            p.emulator.as_ref().map(Running::base_url),
            p.client.timeout(),
        )?,
    };
    Ok(doctor::diagnose(&p.env, &p.overrides, &p.client, &opts).await)
}

/// Largest doctor result file `--summarize` reads (a result is a few kilobytes).
const SUMMARIZE_FILE_MAX: u64 = 16 * 1024 * 1024;

fn read_result(path: &Path) -> Result<String> {
    let hint = "give files written by `tokscope doctor --json` (or scripts/fleet-doctor.sh)";
    if path != Path::new("-") {
        // Through the file gate: regular files only, never a FIFO waited on, at most the cap.
        return files::read_text(path, ReadRule::new(SUMMARIZE_FILE_MAX))
            .map_err(|e| e.to_error("the doctor result", path, hint));
    }
    let cannot = |why: String| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read the doctor results on standard input: {why}"),
            hint,
        )
    };
    let mut text = String::new();
    std::io::stdin()
        .take(SUMMARIZE_FILE_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| cannot(e.to_string()))?;
    if text.len() as u64 > SUMMARIZE_FILE_MAX {
        return Err(cannot(format!("more than {SUMMARIZE_FILE_MAX} bytes")));
    }
    Ok(text)
}

/// `--summarize`: many machines' results as one table (see `doctor::fleet`).
pub fn summarize(files: &[PathBuf], json: bool) -> Result<(String, u8)> {
    let mut machines = Vec::new();
    for path in files {
        let text = read_result(path)?;
        let name = if path == Path::new("-") {
            "stdin".to_string()
        } else {
            path.to_string_lossy().into_owned()
        };
        machines.extend(fleet::parse(&text, &name));
    }
    let fleet = fleet::Fleet::new(machines);
    let text = if json {
        fleet::json(&fleet).to_string()
    } else {
        fleet::human(&fleet)
    };
    Ok((text, fleet.exit_code()))
}

/// The text to print and the exit code (0 all passed, 1 warnings, 2 failures).
pub async fn run(
    endpoint: &EndpointArgs,
    demo: bool,
    resource: &str,
    args: &DoctorArgs,
) -> Result<(String, u8)> {
    if !args.summarize.is_empty() {
        return summarize(&args.summarize, args.json);
    }
    let d = diagnosis(endpoint, demo, resource, &args.diagnose).await?;
    let text = if args.json {
        render::json(&d).to_string()
    } else {
        render::human(&d)
    };
    Ok((text, d.exit_code()))
}
