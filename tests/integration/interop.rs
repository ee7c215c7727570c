//! The official clients get tokens from the emulator, unchanged, and tokscope decodes them.
//!
//! Needs the clients scripts/test.sh installs: a Python with azure-identity and msal
//! (TOKSCOPE_PYTHON), the Azure CLI (TOKSCOPE_AZ), and @azure/identity under tests/interop/node.
//! Without them a test says so and passes, unless TOKSCOPE_REQUIRE_INTEROP=1 (as in CI).
#![allow(
    clippy::disallowed_macros,
    reason = "tests report what they skip on their own output; tokscope itself prints through its print layer"
)]

use crate::common::*;
use crate::harness;
use harness::{Case, Id};

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use tokscope::emulator::{Config, Running};
use tokscope::endpoint::Flavour;

fn python() -> Option<String> {
    harness::python_with("azure.identity")
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_identity_gets_tokens_in_three_modes() {
    let Some(py) = python() else {
        return harness::skip("TOKSCOPE_PYTHON is no Python with azure-identity");
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

/// The folder the official Arc clients accept key files from, and nowhere else.
const ARC_TOKENS: &str = "/var/opt/azcmagent/tokens";

/// Tests sharing the Arc agent's folder: it is made by the first and removed by the last,
/// unless it was there before.
static ARC_DIR_USERS: Mutex<(usize, bool)> = Mutex::new((0, false));

struct ArcDir;

impl ArcDir {
    /// None when this user cannot write there (not root): the official Arc clients cannot run.
    fn take() -> Option<ArcDir> {
        let mut users = ARC_DIR_USERS.lock().unwrap_or_else(|p| p.into_inner());
        if users.0 == 0 {
            let existed = std::path::Path::new(ARC_TOKENS).exists();
            if std::fs::create_dir_all(ARC_TOKENS).is_err() {
                return None;
            }
            let probe = PathBuf::from(ARC_TOKENS).join(".tokscope-probe");
            if std::fs::write(&probe, b"").is_err() {
                return None;
            }
            let _ = std::fs::remove_file(probe);
            users.1 = !existed;
        }
        users.0 += 1;
        Some(ArcDir)
    }
}

impl Drop for ArcDir {
    fn drop(&mut self) {
        let mut users = ARC_DIR_USERS.lock().unwrap_or_else(|p| p.into_inner());
        users.0 -= 1;
        if users.0 == 0 && users.1 {
            // Our key files are gone with their emulators; remove the folders we made.
            let _ = std::fs::remove_dir(ARC_TOKENS);
            let _ = std::fs::remove_dir("/var/opt/azcmagent");
        }
    }
}

/// An emulator whose Arc key files go where the official clients look for them.
async fn arc_emulator(tls: bool) -> Running {
    emulator_with(Config {
        arc_key_dir: ARC_TOKENS.into(),
        arc_key_dir_owned: false,
        tls,
        ..Config::default()
    })
    .await
}

/// The variables a flavour's platform sets, plus the loopback IMDS host every run names.
fn mode_env(run: &Running, flavour: Flavour) -> Vec<(String, String)> {
    let env = env_for(run, flavour);
    let mut pairs: Vec<(String, String)> = tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .filter_map(|k| env.get(k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    if env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST").is_none() {
        pairs.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), run.base_url()));
    }
    if let Some(thumb) = run.server_thumbprint() {
        for (k, v) in pairs.iter_mut() {
            if k == "IDENTITY_SERVER_THUMBPRINT" {
                *v = thumb.to_string();
            }
        }
    }
    if let Some(ca) = run.ca_pem_path() {
        let ca = ca.display().to_string();
        for v in [
            "REQUESTS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
            "CURL_CA_BUNDLE",
        ] {
            pairs.push((v.into(), ca.clone()));
        }
    }
    pairs
}

/// The identity selectors to try: "system", "client", "object", "resource".
fn cases(run: &Running, kinds: &[&str]) -> Vec<Case> {
    let t = &run.shared.tenant;
    let u = &t.user_identities[0];
    let rid = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        t.subscription_id, u.resource_group, u.name
    );
    let scopes = ["https://management.azure.com", "https://vault.azure.net"];
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (id, appid) = match *k {
                "system" => (Id::System, t.system_identity.client_id.clone()),
                "client" => (Id::Client(u.client_id.clone()), u.client_id.clone()),
                "object" => (Id::Object(u.object_id.clone()), u.client_id.clone()),
                "resource" => (Id::Resource(rid.clone()), u.client_id.clone()),
                other => panic!("no identity kind {other}"),
            };
            let aud = scopes[i % 2].to_string();
            Case {
                id,
                scope: format!("{aud}/.default"),
                aud,
                appid,
            }
        })
        .collect()
}

const EVERY_ID: &[&str] = &["system", "client", "object", "resource"];

#[tokio::test(flavor = "multi_thread")]
async fn azure_identity_for_javascript_in_every_mode() {
    let Some(node) = harness::node() else {
        return harness::skip("node or tests/interop/node/node_modules (npm ci) is missing");
    };
    let Some(_arc) = ArcDir::take() else {
        return harness::skip("/var/opt/azcmagent/tokens is not writable (Arc clients need root)");
    };
    let run = arc_emulator(false).await;
    let script = harness::node_dir().join("get_token.mjs");
    let modes: &[(&str, Flavour, &[&str])] = &[
        ("managed", Flavour::Imds, EVERY_ID),
        ("managed", Flavour::Appservice, EVERY_ID),
        ("managed", Flavour::Cloudshell, &["system"]),
        ("managed", Flavour::Azureml, &["system", "client"]),
        ("managed", Flavour::Arc, EVERY_ID),
        ("managed", Flavour::Servicefabric, &["system"]),
        ("default", Flavour::Imds, &["system", "client"]),
        ("default", Flavour::Appservice, &["system", "client"]),
    ];
    for (credential, flavour, kinds) in modes {
        let mut cases = cases(&run, kinds);
        if *flavour == Flavour::Cloudshell {
            // Cloud Shell hands out the signed-in user's token, issued to the portal's app.
            for c in &mut cases {
                c.appid = run.shared.tenant.cloud_shell_user.app_id.clone();
            }
        }
        let mut cmd = harness::client_command(&node, &mode_env(&run, *flavour));
        cmd.current_dir(harness::node_dir()).arg(&script);
        let label = format!("@azure/identity {credential} {flavour:?}");
        harness::run_plan(&label, cmd, harness::plan(credential, &cases), &cases).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn msal_python_in_every_mode_over_https() {
    let Some(py) = harness::python_with("msal, requests") else {
        return harness::skip("TOKSCOPE_PYTHON is no Python with msal");
    };
    let Some(_arc) = ArcDir::take() else {
        return harness::skip("/var/opt/azcmagent/tokens is not writable (Arc clients need root)");
    };
    let run = arc_emulator(true).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/msal_get_token.py"
    );
    let modes: &[(Flavour, &[&str])] = &[
        (Flavour::Imds, EVERY_ID),
        (Flavour::Appservice, EVERY_ID),
        (Flavour::Azureml, &["system", "client"]),
        (Flavour::Arc, EVERY_ID),
        (Flavour::Servicefabric, &["system"]),
    ];
    for (flavour, kinds) in modes {
        let cases = cases(&run, kinds);
        let mut cmd = harness::client_command(&py, &mode_env(&run, *flavour));
        cmd.arg(script);
        let label = format!("MSAL Python {flavour:?} over HTTPS");
        harness::run_plan(&label, cmd, harness::plan("managed", &cases), &cases).await;
    }
}

/// The Azure CLI, when scripts/test.sh installed it (TOKSCOPE_AZ).
fn az_cli() -> Option<String> {
    let az = std::env::var("TOKSCOPE_AZ").ok()?;
    Command::new(&az)
        .arg("version")
        .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
        .output()
        .ok()?
        .status
        .success()
        .then_some(az)
}

/// The Azure CLI pointed at an HTTPS emulator as its cloud, with a configuration folder of its
/// own (removed on drop) and every address but loopback sent to a closed port.
struct AzCli {
    az: String,
    env: Vec<(String, String)>,
    config_dir: PathBuf,
}

impl AzCli {
    async fn new(az: String, run: &Running) -> Self {
        let config_dir = tempfile_dir();
        let mut env = mode_env(run, Flavour::Imds);
        env.extend(
            [
                ("AZURE_CONFIG_DIR", config_dir.display().to_string()),
                ("AZURE_CORE_COLLECT_TELEMETRY", "false".into()),
                ("AZURE_CORE_NO_COLOR", "true".into()),
                // Anything not addressed to loopback goes to a closed port, never out.
                ("HTTPS_PROXY", "http://127.0.0.1:9".into()),
                ("HTTP_PROXY", "http://127.0.0.1:9".into()),
                ("NO_PROXY", "127.0.0.1,localhost".into()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let cli = Self {
            az,
            env,
            config_dir,
        };
        let b = run.base_url();
        // Endpoint discovery reads the emulator's /metadata/endpoints; every later call goes there.
        cli.run(&[
            "cloud",
            "register",
            "-n",
            "TokscopeEmulator",
            "--endpoint-resource-manager",
            &b,
            "-o",
            "none",
        ])
        .await;
        cli.run(&["cloud", "set", "-n", "TokscopeEmulator"]).await;
        cli
    }

    /// `az ARGS`, which must succeed; its stdout.
    async fn run(&self, args: &[&str]) -> String {
        let mut cmd = harness::client_command(&self.az, &self.env);
        cmd.args(args);
        let label = args.join(" ");
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "az {label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for AzCli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.config_dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_cli_logs_in_gets_tokens_and_lists_every_vm_over_https() {
    let Some(az) = az_cli() else {
        return harness::skip("TOKSCOPE_AZ names no working Azure CLI");
    };
    let run = emulator_with(Config {
        tls: true,
        ..Config::default()
    })
    .await;
    let cli = AzCli::new(az, &run).await;
    let az_run = |args: Vec<String>| {
        let cli = &cli;
        async move {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.run(&a).await
        }
    };
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let t = &run.shared.tenant;
    let u = &t.user_identities[0];
    for (login, appid) in [
        (vec!["--identity"], &t.system_identity.client_id),
        (
            vec!["--identity", "--client-id", &u.client_id],
            &u.client_id,
        ),
    ] {
        let mut args = vec!["login"];
        args.extend(login);
        args.extend(["-o", "json"]);
        let accounts: serde_json::Value = serde_json::from_str(&az_run(s(&args)).await).unwrap();
        assert_eq!(accounts[0]["id"], t.subscription_id.as_str(), "{args:?}");
        for aud in ["https://management.azure.com", "https://vault.azure.net"] {
            let got: serde_json::Value = serde_json::from_str(
                &az_run(s(&[
                    "account",
                    "get-access-token",
                    "--resource",
                    aud,
                    "-o",
                    "json",
                ]))
                .await,
            )
            .unwrap();
            let case = Case {
                id: Id::System,
                scope: aud.into(),
                aud: aud.into(),
                appid: appid.clone(),
            };
            harness::check_token(
                &format!("az {args:?} for {aud}"),
                got["accessToken"].as_str().unwrap(),
                got["expires_on"].as_i64(),
                &case,
            );
        }
    }
    // Every demo VM, over several pages of HTTPS nextLinks.
    assert!(t.vms.len() > run.shared.config.arm_page_size);
    let names: Vec<String> =
        serde_json::from_str(&az_run(s(&["vm", "list", "--query", "[].name", "-o", "json"])).await)
            .unwrap();
    let mut want: Vec<String> = t.vms.iter().map(|v| v.name.clone()).collect();
    let mut got = names;
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // The identity's federated credentials, listed and created as the CLI sends them.
    let fic = |verb: &str, extra: &[&str]| {
        let mut v = s(&[
            "identity",
            "federated-credential",
            verb,
            "--identity-name",
            "id-build-agent",
            "--resource-group",
            "rg-identities",
            "-o",
            "json",
        ]);
        v.extend(s(extra));
        v
    };
    let names = |out: String| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names(az_run(fic("list", &[])).await),
        ["fic-demo-workload-sa"]
    );
    let made: serde_json::Value = serde_json::from_str(
        &az_run(fic(
            "create",
            &[
                "--name",
                "fic-from-az",
                "--issuer",
                "https://issuer.example.test/cluster/",
                "--subject",
                "system:serviceaccount:demo:az-sa",
            ],
        ))
        .await,
    )
    .unwrap();
    assert_eq!(made["subject"], "system:serviceaccount:demo:az-sa");
    assert_eq!(made["audiences"][0], "api://AzureADTokenExchange");
    assert_eq!(
        names(az_run(fic("list", &[])).await),
        ["fic-demo-workload-sa", "fic-from-az"]
    );
}

/// `tokscope why --json` for the identity without a role, over the emulator's HTTPS.
fn why_no_role(run: &Running) -> serde_json::Value {
    let b = run.base_url();
    let ca = run.ca_pem_path().unwrap().display().to_string();
    let (_, out, err) = tokscope(
        &[
            "--endpoint",
            &b,
            "--flavour",
            "imds",
            "--client-id",
            NO_ROLE_CLIENT,
            "--ca-file",
            &ca,
            "why",
            "--arm-url",
            &b,
            "--json",
        ],
        &[],
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
}

const NO_ROLE_CLIENT: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";
const NO_ROLE_OID: &str = "1ff13534-2e82-4ce1-958d-003d9a0b2361";

/// The fix `why` names, made with the Azure CLI itself: the verdict follows it from `no_role`
/// through `propagating` to `allowed`, and back when the assignment is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn azure_cli_role_assignments_change_the_verdict() {
    let Some(az) = az_cli() else {
        return harness::skip("TOKSCOPE_AZ names no working Azure CLI");
    };
    let run = emulator_with(Config {
        tls: true,
        // Applied only by /admin/rbac/settle: the test never waits for time to pass.
        rbac_propagation: std::time::Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let cli = AzCli::new(az, &run).await;
    let sub = run.shared.tenant.subscription_id.clone();
    let scope = format!("/subscriptions/{sub}");
    assert_eq!(why_no_role(&run)["verdict"], "no_role");

    // The system identity owns the subscription.
    cli.run(&["login", "--identity", "-o", "none"]).await;
    let reader: Vec<String> = serde_json::from_str(
        &cli.run(&[
            "role",
            "definition",
            "list",
            "--name",
            "Reader",
            "--query",
            "[].name",
            "-o",
            "json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(reader, ["acdd72a7-3385-48ef-bd42-f606fba81ae7"]);
    let created: serde_json::Value = serde_json::from_str(
        &cli.run(&[
            "role",
            "assignment",
            "create",
            "--assignee-object-id",
            NO_ROLE_OID,
            "--assignee-principal-type",
            "ServicePrincipal",
            "--role",
            "Reader",
            "--scope",
            &scope,
            "-o",
            "json",
        ])
        .await,
    )
    .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    // `--assignee` would look the object id up in Graph first, which the emulator does not
    // serve: list every assignment and pick the principal's.
    let query = format!("[?principalId=='{NO_ROLE_OID}'].roleDefinitionName");
    let listed: Vec<String> = serde_json::from_str(
        &cli.run(&[
            "role",
            "assignment",
            "list",
            "--all",
            "--fill-principal-name",
            "false",
            "--query",
            &query,
            "-o",
            "json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(listed, ["Reader"]);

    let v = why_no_role(&run);
    assert_eq!(v["verdict"], "propagating", "{v}");
    assert_eq!(v["granted_by"], serde_json::json!(["Reader"]));
    let admin = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(
            reqwest::Certificate::from_pem(run.ca_pem().unwrap().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let settled = admin
        .post(format!("{}/admin/rbac/settle", run.base_url()))
        .header(tokscope::emulator::ADMIN_TOKEN_HEADER, run.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200);
    let v = why_no_role(&run);
    assert_eq!(v["verdict"], "allowed", "{v}");

    cli.run(&["role", "assignment", "delete", "--ids", &id])
        .await;
    assert_eq!(why_no_role(&run)["verdict"], "no_role");
}

/// A fresh folder for the CLI's configuration, so that no real login is read or changed.
fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "tokscope-az-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
