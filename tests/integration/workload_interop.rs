//! The official clients, as a pod on AKS runs them, get tokens from the emulator's Entra over
//! HTTPS with the emulator's cluster token file, and surface Entra's codes when the federation
//! is broken: azure-identity (Python) WorkloadIdentityCredential and DefaultAzureCredential,
//! @azure/identity WorkloadIdentityCredential and DefaultAzureCredential.
//!
//! Needs the clients scripts/test.sh installs (TOKSCOPE_PYTHON, tests/interop/node). Without
//! them a test says so and passes, unless TOKSCOPE_REQUIRE_INTEROP=1 (as in CI).

use crate::common::*;
use crate::harness;
use harness::{Case, Id};

use serde_json::Value;
use tokscope::emulator::workload::WorkloadFault;
use tokscope::emulator::{Config, Running};

fn require_python() -> Option<String> {
    let py = harness::python_with("azure.identity");
    if py.is_none() {
        harness::skip("TOKSCOPE_PYTHON is no Python with azure-identity");
    }
    py
}

async fn https_emulator(faults: &[WorkloadFault]) -> Running {
    emulator_with(Config {
        tls: true,
        workload_faults: faults.to_vec(),
        ..Config::default()
    })
    .await
}

/// The pod's environment as the emulator prints it (the webhook's four variables and the CA
/// bundles), and the IMDS host on loopback.
fn pod_env(run: &Running) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = run
        .pod_exports()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AZURE_CLIENT_ID",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST",
            "REQUESTS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS"
        ]
    );
    env.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), run.base_url()));
    env.push(("NO_PROXY".into(), "127.0.0.1,localhost".into()));
    env
}

async fn run_script(py: &str, run: &Running) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/azure_identity_workload.py"
    );
    let mut cmd = harness::client_command(py, &pod_env(run));
    cmd.arg(script);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    // stderr holds azure-identity's own messages, never the token: safe to show on failure.
    assert!(
        out.status.success(),
        "the script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn workload_and_default_credentials_get_tokens_over_https() {
    let Some(py) = require_python() else { return };
    let run = https_emulator(&[]).await;
    assert!(run.shared.authority().starts_with("https://127.0.0.1:"));
    let got = run_script(&py, &run).await;
    let client_id = run.shared.workload_client_id();
    for credential in ["workload", "default"] {
        let r = &got[credential];
        let token = r["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{credential}: {}", r["error"]));
        assert!(
            r["expires_on"].as_i64().unwrap() > chrono::Utc::now().timestamp() + 60,
            "{credential}"
        );
        let (ok, decoded) = tokscope_with_stdin(&["decode", "--json", "-"], token);
        assert!(ok, "{credential}: {decoded}");
        let v: Value = serde_json::from_str(&decoded).unwrap();
        let claims = &v["jwt"]["claims"];
        assert_eq!(claims, &r["claims"], "{credential}: claims differ");
        assert_eq!(
            claims["aud"], "https://management.azure.com",
            "{credential}"
        );
        assert_eq!(claims["appid"], client_id.as_str(), "{credential}");
        assert_eq!(claims["tid"], run.shared.tenant_id(), "{credential}");
        assert!(
            claims["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp(),
            "{credential}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_identity_reports_entra_codes_for_a_broken_federation() {
    let Some(py) = require_python() else { return };
    for (fault, code) in [
        (WorkloadFault::WrongSubject, "AADSTS700213"),
        (WorkloadFault::UnknownClient, "AADSTS700016"),
    ] {
        let run = https_emulator(&[fault]).await;
        let got = run_script(&py, &run).await;
        let e = got["workload"]["error"].as_str().unwrap_or_default();
        assert!(e.contains(code), "{}: {e}", fault.name());
        assert!(!contains_jwt(e), "{e}");
        assert!(got["default"]["token"].is_null(), "{}", fault.name());
    }
}

/// @azure/identity through the harness: each token decoded by tokscope (aud, appid, expiry).
#[tokio::test(flavor = "multi_thread")]
async fn azure_identity_for_javascript_gets_tokens_over_https() {
    let Some(node) = harness::node() else {
        return harness::skip("node or tests/interop/node/node_modules (npm ci) is missing");
    };
    let run = https_emulator(&[]).await;
    let appid = run.shared.workload_client_id();
    let cases: Vec<Case> = ["https://management.azure.com", "https://vault.azure.net"]
        .iter()
        .map(|r| Case {
            id: Id::System,
            scope: format!("{r}/.default"),
            aud: (*r).to_string(),
            appid: appid.clone(),
        })
        .collect();
    let script = harness::node_dir().join("workload_identity.mjs");
    for credential in ["workload", "default"] {
        let mut cmd = harness::client_command(&node, &pod_env(&run));
        cmd.current_dir(harness::node_dir()).arg(&script);
        let label = format!("@azure/identity {credential}");
        harness::run_plan(&label, cmd, harness::plan(credential, &cases), &cases).await;
    }

    // A broken federation comes back with Entra's code through the SDK's error.
    let run = https_emulator(&[WorkloadFault::WrongSubject]).await;
    let mut cmd = harness::client_command(&node, &pod_env(&run));
    cmd.current_dir(harness::node_dir())
        .arg(&script)
        .arg(harness::plan("workload", &cases[..1]).to_string());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let e = results[0]["error"].as_str().unwrap_or_default();
    assert_eq!(results[0]["ok"], false);
    assert!(e.contains("AADSTS700213"), "{e}");
    assert!(!contains_jwt(e), "{e}");
}
