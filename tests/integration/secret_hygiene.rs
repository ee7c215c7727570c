//! The access token stays secret: every command, run as a user would run it against one
//! emulator, is searched for the token, its signature and anything shaped like a JWT.
//! Only `get --show-token`, which asks for it, may print it.

use crate::common;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokscope::emulator::{self, Config, Running};

/// Longest any one run may take.
const LIMIT: Duration = Duration::from_secs(30);
/// The demo tenant's identity that holds no role on the subscription.
const NO_ROLE_CLIENT_ID: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The real binary with no identity, proxy or logging variables of the test's own environment,
/// and IMDS pointed at the emulator.
async fn tokscope(run: &Running, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = common::tokscope_async();
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
        .chain(&["RUST_LOG", "NO_PROXY", "no_proxy"])
    {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", run.base_url())
        .args(args)
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use tokio::io::AsyncWriteExt;
        pipe.write_all(text.as_bytes()).await.unwrap();
    }
    let out = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("tokscope {args:?} took longer than {LIMIT:?}"))
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The secret parts of one token.
struct Secret {
    raw: String,
    signature: String,
}

impl Secret {
    fn new(raw: &str) -> Self {
        let signature = raw.rsplit('.').next().unwrap().to_string();
        assert!(signature.len() > 40, "a real RS256 signature");
        Self {
            raw: raw.to_string(),
            signature,
        }
    }

    /// Fails naming the command and the stream that leaked.
    fn assert_absent(&self, what: &str, text: &str) {
        assert!(!text.contains(&self.raw), "{what} holds the token");
        assert!(
            !text.contains(&self.signature),
            "{what} holds the token's signature"
        );
        // The message names only where a JWT-shaped word starts, not the word itself.
        let shaped: Vec<String> = common::jwt_shaped(text)
            .iter()
            .map(|w| format!("{}…", &w[..12.min(w.len())]))
            .collect();
        assert!(
            shaped.is_empty(),
            "{what} holds JWT-shaped text: {shaped:?}"
        );
    }

    fn assert_run_clean(&self, args: &[&str], r: &Run) {
        self.assert_absent(&format!("stdout of {args:?}"), &r.stdout);
        self.assert_absent(&format!("stderr of {args:?}"), &r.stderr);
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_prints_the_token_unless_asked() {
    // A long lifetime: every command below sees the token fetched first, from the cache.
    let emu = emulator::start(
        Config {
            lifetime: 86_400,
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let base = emu.base_url();

    let shown = tokscope(&emu, &["get", "--json", "--show-token"], None).await;
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    let v: Value = serde_json::from_str(&shown.stdout).unwrap();
    let secret = Secret::new(v["token"]["access_token"].as_str().unwrap());
    let fingerprint = v["token"]["fingerprint"].as_str().unwrap().to_string();

    let human = tokscope(&emu, &["get", "--show-token"], None).await;
    assert_eq!(human.code, Some(0), "{}", human.stderr);
    assert!(
        human.stdout.contains(&secret.raw),
        "--show-token shows the token"
    );
    assert!(!human.stderr.contains(&secret.raw));

    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.json");
    let report_path = report_file.to_str().unwrap();
    let raw = secret.raw.as_str();
    // (arguments, expected exit code, whether the token's fingerprint must show)
    let kv_url = format!("{base}/vault/kv-tokscope-rbac/secrets/db-password");
    let runs: Vec<(Vec<&str>, i32, bool)> = vec![
        (vec!["get"], 0, true),
        (vec!["get", "--json"], 0, true),
        (vec!["decode", raw], 0, false),
        (vec!["decode", "--json", raw], 0, false),
        (vec!["watch", "--interval", "1s", "--count", "2"], 0, true),
        (
            vec!["watch", "--interval", "1s", "--count", "2", "--json"],
            0,
            true,
        ),
        (vec!["vms", "--arm-url", &base], 0, true),
        (vec!["vms", "--arm-url", &base, "--json"], 0, true),
        (vec!["doctor", "--authority", &base], 0, true),
        (vec!["doctor", "--authority", &base, "--json"], 0, true),
        (
            vec!["doctor", "--authority", &base, "--arm", "--arm-url", &base],
            0,
            true,
        ),
        (
            vec!["report", "--authority", &base, "--format", "md"],
            0,
            true,
        ),
        (
            vec![
                "report",
                "--authority",
                &base,
                "--arm",
                "--arm-url",
                &base,
                "--format",
                "json",
                "-o",
                report_path,
            ],
            0,
            false,
        ),
        // Authorization diagnosis: allowed, refused on ARM, refused by a vault's data plane.
        (vec!["why", "--arm-url", &base], 0, false),
        (vec!["why", "--arm-url", &base, "--json"], 0, false),
        (vec!["why", &kv_url, "--arm-url", &base, "--json"], 2, false),
        (
            vec!["--client-id", NO_ROLE_CLIENT_ID, "why", "--arm-url", &base],
            2,
            false,
        ),
        // Failures: an audience the endpoint does not know; an identity ARM refuses.
        (vec!["get", "-r", "https://unsupported.example/"], 1, false),
        (
            vec!["get", "--json", "-r", "https://unsupported.example/"],
            1,
            false,
        ),
        (
            vec!["--client-id", NO_ROLE_CLIENT_ID, "vms", "--arm-url", &base],
            1,
            false,
        ),
        (
            vec![
                "--client-id",
                NO_ROLE_CLIENT_ID,
                "vms",
                "--arm-url",
                &base,
                "--json",
            ],
            1,
            false,
        ),
    ];
    for (args, code, shows_fingerprint) in &runs {
        let r = tokscope(&emu, args, None).await;
        // Failure messages name the command without the token itself.
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == raw { "<token>" } else { *a })
            .collect();
        assert_eq!(r.code, Some(*code), "{args:?}\n{}\n{}", r.stdout, r.stderr);
        // What is checked is the command's answer, not an early refusal.
        if *shows_fingerprint {
            assert!(
                r.stdout.contains(&fingerprint),
                "{args:?} shows the fingerprint\n{}",
                r.stdout
            );
        }
        secret.assert_run_clean(&args, &r);
    }

    // The token on stdin, as `get --show-token | decode -` would give it.
    let piped = tokscope(&emu, &["decode", "-"], Some(&secret.raw)).await;
    assert_eq!(piped.code, Some(0), "{}", piped.stderr);
    secret.assert_run_clean(&["decode", "-"], &piped);

    let report = read(&report_file);
    secret.assert_absent("the JSON report file", &report);
    let v: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["token"]["fingerprint"], fingerprint.as_str());
}

#[test]
fn jwt_shapes_are_found_anywhere() {
    assert_eq!(common::jwt_shaped("x=\"eyJa.b.c\","), ["eyJa.b.c"]);
    assert_eq!(common::jwt_shaped("x=eyJa.b.c"), ["eyJa.b.c"]);
    assert_eq!(common::jwt_shaped("(eyJa.eyJb.)"), ["eyJa.eyJb."]);
    assert!(common::jwt_shaped("eyJa.b and eyJ alone").is_empty());
}
