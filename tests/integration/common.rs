//! Shared test set-up: an emulator on 127.0.0.1 and clients pointed at it.

use std::time::Duration;

use tokscope::emulator::{self, Config, Running};
use tokscope::endpoint::{
    detect, ClientOptions, Endpoint, EnvSnapshot, Flavour, Identity, Overrides, RetryPolicy,
    TokenClient,
};

pub const ARM: &str = "https://management.azure.com/";

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tokscope");

pub async fn emulator_with(config: Config) -> Running {
    emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Wait, bounded, until nothing listens on `addr`: a dropped emulator's listener closes when its
/// aborted task is next run, not at the drop itself.
pub async fn until_refused(addr: std::net::SocketAddr) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the emulator still listens after it was dropped");
}

pub async fn emulator() -> Running {
    emulator_with(Config::default()).await
}

/// An endpoint on the emulator for a flavour, as the environment would describe it.
pub fn env_for(run: &Running, flavour: Flavour) -> EnvSnapshot {
    let b = run.base_url();
    let secret = run.shared.config.identity_header.clone();
    let pairs: Vec<(String, String)> = match flavour {
        Flavour::Imds => vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), b)],
        Flavour::Cloudshell => vec![("MSI_ENDPOINT".into(), format!("{b}/oauth2/token"))],
        Flavour::Appservice => vec![
            ("IDENTITY_ENDPOINT".into(), format!("{b}/msi/token")),
            ("IDENTITY_HEADER".into(), secret),
        ],
        Flavour::Appservice2017 => vec![
            (
                "MSI_ENDPOINT".into(),
                format!("{b}{}", emulator::APPSERVICE2017_PATH),
            ),
            ("MSI_SECRET".into(), secret),
        ],
        Flavour::Azureml => vec![
            ("MSI_ENDPOINT".into(), format!("{b}/msi/token")),
            ("MSI_SECRET".into(), secret),
            (
                "DEFAULT_IDENTITY_CLIENT_ID".into(),
                run.shared.tenant.system_identity.client_id.clone(),
            ),
        ],
        Flavour::Arc => vec![
            (
                "IDENTITY_ENDPOINT".into(),
                format!("{b}/arc/metadata/identity/oauth2/token"),
            ),
            ("IMDS_ENDPOINT".into(), b),
        ],
        Flavour::Servicefabric => vec![
            ("IDENTITY_ENDPOINT".into(), format!("{b}/sf/token")),
            ("IDENTITY_HEADER".into(), secret),
            ("IDENTITY_SERVER_THUMBPRINT".into(), "00".into()),
        ],
        Flavour::Workload => {
            let mut v: Vec<(String, String)> = emulator::workload::exports(&run.shared)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            // Never IMDS by accident, whatever the test does.
            v.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), b));
            v
        }
        Flavour::Azcli => vec![],
    };
    EnvSnapshot::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

pub fn endpoint(run: &Running, flavour: Flavour, identity: Identity) -> Endpoint {
    // The MSI_ENDPOINT + MSI_SECRET pair is Azure ML unless told otherwise.
    let ov = Overrides {
        identity,
        flavour: (flavour == Flavour::Appservice2017).then_some(flavour),
        ..Overrides::default()
    };
    let ep = detect(&env_for(run, flavour), &ov).unwrap();
    assert_eq!(ep.flavour, flavour);
    ep
}

pub fn client(run: &Running) -> TokenClient {
    client_with(run, RetryPolicy::none())
}

pub fn client_with(run: &Running, retry: RetryPolicy) -> TokenClient {
    TokenClient::new(ClientOptions {
        retry,
        timeout: Duration::from_secs(5),
        arc_key_dir: run.shared.config.arc_key_dir.clone(),
    })
    .unwrap()
}

/// A retry policy with tiny waits, for tests.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(10),
        max_retries: 5,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        min_wait: Duration::ZERO,
        ..RetryPolicy::default()
    }
}

/// Runs the real binary with a clean identity environment, returning (exit code, stdout, stderr).
pub fn tokscope(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = tokscope_command();
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null());
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// True when something in `text` looks like a compact JWT (see [`jwt_shaped`]).
pub fn contains_jwt(text: &str) -> bool {
    has_jwt(text)
}

/// Runs the real binary with `input` on its stdin, returning (success, stdout).
pub fn tokscope_with_stdin(args: &[&str], input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = tokscope_command()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A client for the emulator's `/admin/*` paths: it sends the run's admin token.
pub fn admin_client(run: &Running) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        emulator::ADMIN_TOKEN_HEADER,
        run.admin_token().parse().unwrap(),
    );
    reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Every piece of `text` shaped like a compact JWS: a run of base64url characters and dots
/// that starts with `eyJ` and holds at least two dots, wherever it sits (inside quotes, after
/// `x=`, glued to punctuation, mid-word). The one detector every test uses.
pub fn jwt_shaped(text: &str) -> Vec<String> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let word: String = rest[at..].chars().take_while(|c| is_part(*c)).collect();
        if word.matches('.').count() >= 2 {
            found.push(word.clone());
        }
        rest = &rest[at + word.len().max(3)..];
    }
    found
}

/// True when [`jwt_shaped`] finds anything.
pub fn has_jwt(text: &str) -> bool {
    !jwt_shaped(text).is_empty()
}

/// A closed loopback port: where IMDS points when a test wants no endpoint at all.
pub const DEAD_IMDS: &str = "http://127.0.0.1:9";

/// The tokscope binary, with no identity or proxy variable of the caller's environment and
/// IMDS pointed at a closed loopback port, so no run can reach 169.254.169.254. Tests add
/// their own variables and arguments on top.
pub fn tokscope_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
        .chain(tokscope::net::trust::CA_VARS)
    {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", DEAD_IMDS);
    cmd
}

/// Run [`tokscope_command`] with `env` and `args` and no input: its stdout and stderr together,
/// raw, after checking that it did not panic.
pub fn both_streams(args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let out = tokscope_command()
        .envs(env.iter().copied())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    let mut all = out.stdout;
    all.extend_from_slice(&out.stderr);
    all
}

/// [`tokscope_command`] for async tests; killed when dropped.
pub fn tokscope_async() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::from(tokscope_command());
    cmd.kill_on_drop(true);
    cmd
}

/// The binary run twice with the same arguments and environment, as text and with `--json`.
pub async fn tokscope_text_and_json(
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> (std::process::Output, std::process::Output) {
    tokio::task::spawn_blocking(move || {
        let run = |json: bool| {
            let mut cmd = std::process::Command::new(BIN);
            cmd.args(&args).envs(env.iter().map(|(k, v)| (k, v)));
            if json {
                cmd.arg("--json");
            }
            cmd.output().unwrap()
        };
        (run(false), run(true))
    })
    .await
    .unwrap()
}

/// Asserts that `text` contains `want`, showing the text when it does not.
#[track_caller]
pub fn says(text: &str, want: &str) {
    assert!(text.contains(want), "{want:?} not in:\n{text}");
}

/// The doctor on `env`, with the emulator's client and, optionally, ARM to read federated
/// credentials through.
pub async fn diagnose_env(
    run: &Running,
    env: &EnvSnapshot,
    federation: Option<tokscope::doctor::federation::ArmReader>,
) -> tokscope::doctor::Diagnosis {
    let opts = tokscope::doctor::Options {
        resource: ARM.into(),
        authority: None,
        arm: None,
        demo: false,
        federation,
    };
    tokscope::doctor::diagnose(env, &Overrides::default(), &client(run), &opts).await
}
