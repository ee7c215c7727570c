//! The official azure-identity client gets tokens from the emulator, and tokscope decodes them the same.
//!
//! Needs a Python with azure-identity: scripts/test.sh makes one and sets TOKSCOPE_PYTHON.
//! Without it the test says so and passes, unless TOKSCOPE_REQUIRE_INTEROP=1 (as in CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// Tests report what they skip on their own output; tokscope itself prints through its print layer.
#![allow(clippy::disallowed_macros)]

mod common;
use common::*;

use std::process::Command;

use tokscope::endpoint::Flavour;

fn python() -> Option<String> {
    let py = std::env::var("TOKSCOPE_PYTHON").ok()?;
    let ok = Command::new(&py)
        .args(["-c", "import azure.identity"])
        .output()
        .ok()?
        .status
        .success();
    ok.then_some(py)
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_identity_gets_tokens_in_three_modes() {
    let Some(py) = python() else {
        assert!(
            std::env::var("TOKSCOPE_REQUIRE_INTEROP").is_err(),
            "TOKSCOPE_PYTHON with azure-identity is required here"
        );
        eprintln!(
            "skipped: set TOKSCOPE_PYTHON to a Python with azure-identity (scripts/test.sh does)"
        );
        return;
    };
    let run = emulator().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/azure_identity_get_token.py"
    );
    for flavour in [Flavour::Cloudshell, Flavour::Appservice, Flavour::Imds] {
        let env = env_for(&run, flavour);
        let mut cmd = Command::new(&py);
        cmd.arg(script)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for var in tokscope::endpoint::detect::IDENTITY_VARS {
            if let Some(v) = env.get(var) {
                cmd.env(var, v);
            }
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        // stderr holds azure-identity's own messages, never the token: safe to show on failure.
        assert!(
            out.status.success(),
            "{flavour:?}: azure-identity failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let token = got["token"].as_str().unwrap().to_string();
        assert!(
            got["expires_on"].as_i64().unwrap() > chrono::Utc::now().timestamp(),
            "{flavour:?}"
        );

        let (_, decoded) = tokscope_with_stdin(&["decode", "--json", "-"], &token);
        let v: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(
            v["jwt"]["claims"], got["claims"],
            "{flavour:?}: claims differ"
        );
        assert_eq!(
            v["jwt"]["claims"]["aud"], "https://management.azure.com",
            "{flavour:?}: azure-identity strips /.default"
        );
    }
}
