//! Runs official clients as their own processes against the emulator, and checks every token
//! they got with `tokscope decode`.
//!
//! A client script takes a JSON plan on its command line (the identities and scopes to ask for)
//! and prints a JSON array with one result per case: `{"ok": true, "token", "expires_on"}` or
//! `{"ok": false, "error"}`. The endpoint comes from the environment, as on Azure; the child
//! sees only the variables given here, PATH and HOME.
//!
//! To add a client script: put it beside the others (tests/interop/node/ for JavaScript, with
//! its packages in that folder's package.json), and call [`run_plan`] with its command.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

/// CI sets TOKSCOPE_REQUIRE_INTEROP=1: there a missing client is a failure, not a skip.
pub fn required() -> bool {
    std::env::var("TOKSCOPE_REQUIRE_INTEROP").is_ok_and(|v| !v.trim().is_empty())
}

/// Says why a test does not run, or fails when interop is required.
pub fn skip(why: &str) {
    assert!(!required(), "TOKSCOPE_REQUIRE_INTEROP is set, but {why}");
    #[allow(
        clippy::disallowed_macros,
        reason = "a test says on its own output why it skipped"
    )]
    {
        eprintln!("skipped: {why} (scripts/test.sh installs the clients)");
    }
}

/// The folder with package.json and the JavaScript client scripts.
pub fn node_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/node"))
}

/// `node`, when it runs and `npm ci` has installed the packages.
pub fn node() -> Option<String> {
    let installed = node_dir()
        .join("node_modules/@azure/identity/package.json")
        .exists();
    let runs = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (installed && runs).then(|| "node".to_string())
}

/// A Python with the given modules importable (TOKSCOPE_PYTHON, which scripts/test.sh sets).
pub fn python_with(modules: &str) -> Option<String> {
    let py = std::env::var("TOKSCOPE_PYTHON").ok()?;
    let ok = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .output()
        .ok()?
        .status
        .success();
    ok.then_some(py)
}

/// How a case names its identity.
#[derive(Debug, Clone)]
pub enum Id {
    System,
    Client(String),
    Object(String),
    Resource(String),
}

impl Id {
    /// The plan's form: null, or {"clientId" | "objectId" | "resourceId": …}.
    pub fn to_json(&self) -> Value {
        match self {
            Id::System => Value::Null,
            Id::Client(v) => json!({ "clientId": v }),
            Id::Object(v) => json!({ "objectId": v }),
            Id::Resource(v) => json!({ "resourceId": v }),
        }
    }
}

/// One token to ask for, and what `tokscope decode` must find in it.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: Id,
    pub scope: String,
    pub aud: String,
    pub appid: String,
}

/// A command for a client, with exactly these variables besides PATH and HOME.
/// Every run names a loopback IMDS host, so that no client falls back to the real one.
pub fn client_command(program: &str, env: &[(String, String)]) -> Command {
    let imds = env
        .iter()
        .find(|(k, _)| k == "AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .map(|(_, v)| v.as_str());
    assert!(
        imds.is_some_and(
            |v| v.starts_with("http://127.0.0.1") || v.starts_with("https://127.0.0.1")
        ),
        "every interop run sets AZURE_POD_IDENTITY_AUTHORITY_HOST to the emulator"
    );
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null());
    cmd
}

/// Runs `cmd` with the plan as its last argument and checks every result.
pub async fn run_plan(label: &str, mut cmd: Command, plan: Value, cases: &[Case]) {
    cmd.arg(plan.to_string());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    // stderr holds the client's own messages, never a token: safe to show on failure.
    assert!(
        out.status.success(),
        "{label}: the client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{label}: no JSON on stdout ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(results.len(), cases.len(), "{label}");
    for (r, c) in results.iter().zip(cases) {
        let what = format!("{label}, {:?}, {}", c.id, c.scope);
        assert_eq!(r["ok"], true, "{what}: {}", r["error"]);
        check_token(
            &what,
            r["token"].as_str().unwrap(),
            r["expires_on"].as_i64(),
            c,
        );
    }
}

/// `tokscope decode` confirms the audience, the app id and the expiry the client reported.
pub fn check_token(what: &str, token: &str, expires_on: Option<i64>, c: &Case) {
    let (ok, decoded) = super::common::tokscope_with_stdin(&["decode", "--json", "-"], token);
    assert!(ok, "{what}: tokscope decode failed");
    let v: Value = serde_json::from_str(&decoded).unwrap();
    let claims = &v["jwt"]["claims"];
    assert_eq!(claims["aud"], c.aud.as_str(), "{what}: aud");
    assert_eq!(claims["appid"], c.appid.as_str(), "{what}: appid");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > chrono::Utc::now().timestamp() + 60, "{what}: expired");
    if let Some(e) = expires_on {
        assert!(
            (e - exp).abs() <= 5,
            "{what}: the client reads expiry {e}, the token says {exp}"
        );
    }
}

/// The plan for [`run_plan`]: `credential` is the script's credential kind.
pub fn plan(credential: &str, cases: &[Case]) -> Value {
    json!({
        "credential": credential,
        "cases": cases.iter().map(|c| json!({"id": c.id.to_json(), "scope": c.scope})).collect::<Vec<_>>(),
    })
}
