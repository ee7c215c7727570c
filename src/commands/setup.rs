//! From command-line arguments to a `Session` (endpoint and client), and the in-process
//! emulator for --demo. The binary holds the returned `Setup`, so it owns the emulator for as
//! long as it runs; front ends get the `Session`, which knows the emulator only by its URL.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::cli::EndpointArgs;
use crate::emulator::{self, Running};
use crate::endpoint::{
    self, ClientOptions, EnvSnapshot, Flavour, Identity, Overrides, RetryPolicy, TokenClient,
};
use crate::error::Result;
use crate::files::{self, ReadRule};
use crate::flavour::Demo;
use crate::secret::HeaderSecret;
use crate::session::Session;

/// The session a command runs with, and the demo emulator it talks to, kept alive while held.
pub struct Setup {
    pub session: Session,
    pub emulator: Option<Running>,
}

impl std::ops::Deref for Setup {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

/// Demo tokens live two minutes and are renewed one minute before expiry: a refresh shows up quickly.
pub fn demo_config() -> emulator::Config {
    emulator::Config {
        lifetime: 120,
        refresh_before: 60,
        ..emulator::Config::default()
    }
}

pub fn identity_of(args: &EndpointArgs) -> Identity {
    match (&args.client_id, &args.object_id, &args.resource_id) {
        (Some(c), _, _) => Identity::ClientId(c.clone()),
        (_, Some(o), _) => Identity::ObjectId(o.clone()),
        (_, _, Some(r)) => Identity::ResourceId(r.clone()),
        _ => Identity::SystemAssigned,
    }
}

/// The path and secret on the emulator for a flavour, so that --demo can show each one.
fn demo_overrides(run: &Running, flavour: Flavour) -> Overrides {
    let spec = flavour.spec();
    match spec.demo {
        Demo::Path(path) => Overrides {
            endpoint: Some(format!("{}{path}", run.base_url())),
            flavour: Some(flavour),
            secret: flavour
                .secret_var()
                .map(|_| HeaderSecret::new(run.shared.config.identity_header.clone())),
            ..Overrides::default()
        },
        Demo::Pod => {
            let s = &run.shared;
            Overrides {
                flavour: Some(flavour),
                identity: Identity::ClientId(s.workload_client_id()),
                token_file: Some(s.cluster.token_file()),
                tenant: Some(s.tenant_id().to_string()),
                authority_host: Some(s.authority()),
                ..Overrides::default()
            }
        }
        // One step: the table's test checks that the other flavour's demo is a path or the pod.
        Demo::As(other) => demo_overrides(run, other),
    }
}

/// What the endpoint flags say, to override detection.
pub fn overrides_of(args: &EndpointArgs) -> Result<Overrides> {
    Ok(Overrides {
        endpoint: args.endpoint.clone(),
        flavour: args.flavour,
        identity: identity_of(args),
        secret: header_secret(args)?,
        token_file: args.token_file.clone(),
        tenant: args.tenant_id.clone(),
        authority_host: args.authority_host.clone(),
    })
}

/// Retry budget, timeout and Arc key directory as the endpoint flags ask.
pub fn client_options(args: &EndpointArgs) -> ClientOptions {
    let retry = if args.retry_max == 0 {
        RetryPolicy::none()
    } else {
        RetryPolicy {
            budget: Duration::from_secs(args.retry_max),
            ..RetryPolicy::default()
        }
    };
    let mut opts = ClientOptions {
        retry,
        timeout: Duration::from_secs(args.timeout.max(1)),
        ..ClientOptions::default()
    };
    if let Some(dir) = &args.arc_key_dir {
        opts.arc_key_dir = dir.clone();
    }
    opts
}

/// Longest secret file read: real header secrets are short.
const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// The header secret from `--secret` or `--secret-file`, if either is given.
pub fn header_secret(args: &EndpointArgs) -> Result<Option<HeaderSecret>> {
    if let Some(s) = &args.secret {
        return Ok(Some(HeaderSecret::new(s.clone())));
    }
    let Some(path) = &args.secret_file else {
        return Ok(None);
    };
    let cannot = |why: String| {
        crate::error::Error::config(
            format!("cannot read --secret-file {}: {why}", path.display()),
            "give a readable file holding only the header secret",
        )
    };
    // Through the file gate: a FIFO or device is refused at once, not waited on or streamed.
    let raw = files::read_text(path, ReadRule::new(MAX_SECRET_FILE_BYTES))
        .map_err(|e| cannot(e.to_string()))?;
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(cannot("the file is empty".into()));
    }
    Ok(Some(HeaderSecret::new(secret)))
}

/// `demo_cfg` is called only with `--demo`: an emulator's configuration draws random secrets,
/// and seeding the generator is the largest cost of a one-shot command's start.
pub async fn setup(
    args: &EndpointArgs,
    demo: bool,
    demo_cfg: impl FnOnce() -> emulator::Config,
) -> Result<Setup> {
    // With --demo, Arc's key file lives in the emulator's directory.
    let (env, mut overrides, running, demo_arc_dir) = if demo {
        let run = emulator::start(demo_cfg(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let ov = demo_overrides(&run, args.flavour.unwrap_or(Flavour::Imds));
        let dir = run.shared.config.arc_key_dir.clone();
        (EnvSnapshot::default(), ov, Some(run), Some(dir))
    } else {
        (EnvSnapshot::from_process(), overrides_of(args)?, None, None)
    };
    if !(demo && overrides.flavour == Some(Flavour::Workload)) {
        overrides.identity = identity_of(args);
    }
    let mut endpoint = endpoint::detect(&env, &overrides)?;
    if demo {
        endpoint.detected_from = vec!["--demo".into()];
        if let Some(asked) = args.flavour.filter(|f| endpoint.flavour != *f) {
            // Said, not silently swapped: the note is a cause of every verdict of the run.
            endpoint.detected_from = vec![format!(
                "--demo (--flavour {} shown as {})",
                asked.name(),
                endpoint.flavour.name()
            )];
            endpoint.notes.push(format!(
                "--demo cannot show --flavour {}: the emulator does not run it ({}), so this is {}'s answer instead; without --demo, tokscope runs the real one",
                asked.name(),
                asked.describe(),
                endpoint.flavour.name()
            ));
        }
    }
    let mut opts = client_options(args);
    if let Some(dir) = demo_arc_dir {
        opts.arc_key_dir = dir;
    }
    let client = TokenClient::new(opts)?;
    let demo_url = running.as_ref().map(Running::base_url);
    Ok(Setup {
        session: Session {
            endpoint,
            client,
            env,
            overrides,
            demo_url,
        },
        emulator: running,
    })
}

/// An ARM token file holds one token: a few kilobytes at most.
const MAX_ARM_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// Where and with which token to read workload identity's federated credentials, from
/// `--arm-token-file` (and `--arm-url`, else the demo emulator, else the cloud's ARM).
pub fn arm_reader(
    file: Option<&std::path::Path>,
    cloud: crate::arm::Cloud,
    arm_url: Option<&str>,
    emulator: Option<String>,
    timeout: Duration,
) -> Result<Option<crate::doctor::federation::ArmReader>> {
    let Some(path) = file else {
        return Ok(None);
    };
    let cannot = |why: String| {
        crate::error::Error::config(
            format!("cannot read --arm-token-file {}: {why}", path.display()),
            "give a file holding only an ARM access token (az account get-access-token --query accessToken -o tsv > FILE)",
        )
    };
    let raw = files::read_text(path, ReadRule::new(MAX_ARM_TOKEN_FILE_BYTES))
        .map_err(|e| cannot(e.to_string()))?;
    let token = raw.trim();
    if token.is_empty() {
        return Err(cannot("the file is empty".into()));
    }
    Ok(Some(crate::doctor::federation::ArmReader {
        token: crate::secret::AccessToken::new(token),
        target: crate::arm::Target::new(cloud, arm_url, emulator, timeout)?,
    }))
}
