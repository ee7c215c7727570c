//! Who answered: the identity check on every fetch, the revocation protocol, and the faults
//! that put something other than the endpoint in the answer's place, through the real binary
//! and the real emulator on 127.0.0.1.

use crate::common;

use std::time::Duration;

use serde_json::Value;
use tokscope::emulator::{Config, Fault, Running};
use tokscope::endpoint::Flavour;

const USER_ASSIGNED: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";

fn with_faults(specs: &[&str]) -> Config {
    Config {
        faults: specs.iter().map(|s| Fault::parse(s).unwrap()).collect(),
        ..Config::default()
    }
}

/// The real binary with `env` (a flavour's variables on the emulator), bounded in time:
/// (exit code, stdout, stderr).
async fn run_bin(env: &[(String, String)], args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = common::tokscope_async();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["--retry-max", "0", "--timeout", "2"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("tokscope did not finish")
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The variables that point `flavour`'s clients at the emulator.
fn env_of(run: &Running, flavour: Flavour) -> Vec<(String, String)> {
    common::env_for(run, flavour)
        .pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn an_ignored_selector_is_a_mismatch_and_get_exits_non_zero() {
    let run = common::emulator_with(with_faults(&["ignore-selector"])).await;
    let env = env_of(&run, Flavour::Imds);
    let (code, out, _) = run_bin(&env, &["--client-id", USER_ASSIGNED, "get", "--json"]).await;
    assert_ne!(code, Some(0), "{out}");
    let v = json(&out);
    let check = &v["identity_check"];
    assert_eq!(check["verdict"], "mismatch", "{check}");
    assert_eq!(check["requested"]["kind"], "client_id");
    assert_eq!(check["requested"]["value"], USER_ASSIGNED);
    assert_eq!(
        check["received"]["client_id"],
        run.shared.tenant.system_identity.client_id.as_str()
    );
    assert!(
        check["cause"]
            .as_str()
            .unwrap()
            .contains("selector ignored"),
        "{check}"
    );
    assert_eq!(v["ok"], false);
    let (code, text, _) = run_bin(&env, &["--client-id", USER_ASSIGNED, "get"]).await;
    assert_ne!(code, Some(0));
    assert!(text.contains("MISMATCH"), "{text}");
}

#[tokio::test]
async fn an_honest_answer_matches_by_every_kind_of_id() {
    let run = common::emulator().await;
    let env = env_of(&run, Flavour::Imds);
    let ua = &run.shared.tenant.user_identities[0];
    for args in [
        ["--client-id", ua.client_id.as_str()],
        ["--object-id", ua.object_id.as_str()],
    ] {
        let mut all = args.to_vec();
        all.extend(["get", "--json"]);
        let (code, out, err) = run_bin(&env, &all).await;
        assert_eq!(code, Some(0), "{out}{err}");
        assert_eq!(json(&out)["identity_check"]["verdict"], "match", "{out}");
    }
    let (code, out, _) = run_bin(&env, &["get", "--json"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(json(&out)["identity_check"]["verdict"], "system");
}

#[tokio::test]
async fn an_arc_agent_serving_user_assigned_identities_echoes_and_matches() {
    let run = common::emulator().await;
    let env = env_of(&run, Flavour::Arc);
    let ua = &run.shared.tenant.user_identities[0];
    let dir = run.shared.config.arc_key_dir.display().to_string();
    let (code, out, err) = run_bin(
        &env,
        &[
            "--arc-key-dir",
            &dir,
            "--object-id",
            &ua.object_id,
            "get",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{out}{err}");
    let v = json(&out);
    assert_eq!(v["identity_check"]["verdict"], "match");
    assert_eq!(
        v["identity_check"]["received"]["echoed"]["object_id"],
        ua.object_id.as_str()
    );
}

async fn refresh_proves_a_new_token(flavour: Flavour) {
    let run = common::emulator().await;
    let (code, out, err) = run_bin(&env_of(&run, flavour), &["get", "--refresh", "--json"]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    let r = &json(&out)["refresh"];
    assert_eq!(r["replaced"], true, "{r}");
    assert_ne!(r["old_sha256"], r["new_sha256"]);
    assert!(r["new_iat"].as_i64().unwrap() > r["old_iat"].as_i64().unwrap());
    assert_eq!(r["issued_later"], true);
}

#[tokio::test]
async fn refresh_replaces_the_token_on_service_fabric() {
    refresh_proves_a_new_token(Flavour::Servicefabric).await;
}

#[tokio::test]
async fn refresh_replaces_the_token_on_app_service_2025_03_30() {
    refresh_proves_a_new_token(Flavour::Appservice).await;
}

#[tokio::test]
async fn refresh_on_imds_is_refused_before_anything_is_sent() {
    let run = common::emulator().await;
    let (code, out, err) = run_bin(&env_of(&run, Flavour::Imds), &["get", "--refresh"]).await;
    assert_ne!(code, Some(0), "{out}");
    assert!(err.contains("no revocation protocol"), "{err}");
    assert!(err.contains("only waiting helps"), "{err}");
    assert_eq!(
        run.shared
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "nothing reached the endpoint"
    );
}

/// One raw request to the emulator's token path for `flavour`, as the SDK's revocation sends it.
async fn raw(run: &Running, path_and_query: &str, header: (&str, &str)) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}{path_and_query}", run.base_url()))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_emulator_bypasses_its_cache_only_for_the_hash_of_the_token_it_holds() {
    let run = common::emulator().await;
    let secret = run.shared.config.identity_header.clone();
    let base = "/sf/token?api-version=2020-05-01&resource=https://management.azure.com/";
    let (s, first) = raw(&run, base, ("secret", &secret)).await;
    assert_eq!(s, 200, "{first}");
    let held = first["access_token"].as_str().unwrap().to_string();
    let stale = tokscope::secret::sha256_hex("test_token");
    let (_, same) = raw(
        &run,
        &format!("{base}&xms_cc=cp1&token_sha256_to_refresh={stale}"),
        ("secret", &secret),
    )
    .await;
    assert_eq!(
        same["access_token"],
        held.as_str(),
        "a foreign hash changes nothing"
    );
    let (_, no_cp1) = raw(
        &run,
        &format!(
            "{base}&token_sha256_to_refresh={}",
            tokscope::secret::sha256_hex(&held)
        ),
        ("secret", &secret),
    )
    .await;
    assert_eq!(no_cp1["access_token"], held.as_str(), "cp1 is required");
    let (_, new) = raw(
        &run,
        &format!(
            "{base}&xms_cc=cp1&token_sha256_to_refresh={}",
            tokscope::secret::sha256_hex(&held)
        ),
        ("secret", &secret),
    )
    .await;
    assert_ne!(new["access_token"], held.as_str());
    // App Service's 2019-08-01 protocol has no revocation: the parameters are not read.
    let app = "/msi/token?api-version=2019-08-01&resource=https://management.azure.com/";
    let (_, a) = raw(&run, app, ("x-identity-header", &secret)).await;
    let h = tokscope::secret::sha256_hex(a["access_token"].as_str().unwrap());
    let (_, b) = raw(
        &run,
        &format!("{app}&xms_cc=cp1&token_sha256_to_refresh={h}"),
        ("x-identity-header", &secret),
    )
    .await;
    assert_eq!(a["access_token"], b["access_token"]);
}

async fn doctor_with(spec: &str) -> tokscope::doctor::Diagnosis {
    let run = common::emulator_with(with_faults(&[spec])).await;
    let env = common::env_for(&run, Flavour::Imds);
    let opts = tokscope::doctor::Options {
        resource: common::ARM.into(),
        authority: Some(run.base_url()),
        arm: None,
        demo: false,
        federation: None,
    };
    tokscope::doctor::diagnose(
        &env,
        &tokscope::endpoint::Overrides::default(),
        &common::client(&run),
        &opts,
    )
    .await
}

/// The doctor's who-answered (or probes) line for a fault, and its status.
async fn named(spec: &str, check: &str) -> (tokscope::doctor::Status, String) {
    let d = doctor_with(spec).await;
    let c = d
        .check(check)
        .unwrap_or_else(|| panic!("no {check} in {:?}", d.checks));
    (c.status, c.evidence.clone())
}

use tokscope::doctor::answered::{IMDS_PROBES, WHO_ANSWERED};
use tokscope::doctor::Status;

#[tokio::test]
async fn doctor_names_the_guest_proxy_agent() {
    let (s, e) = named("gpa-deny", WHO_ANSWERED).await;
    assert_eq!(s, Status::Fail);
    assert!(e.starts_with("the Guest Proxy Agent"), "{e}");
    assert!(e.contains("Server (none)"), "{e}");
}

#[tokio::test]
async fn doctor_fails_the_identity_check_when_the_selector_is_ignored() {
    let run = common::emulator_with(with_faults(&["ignore-selector"])).await;
    let env = common::env_for(&run, Flavour::Imds);
    let opts = tokscope::doctor::Options {
        resource: common::ARM.into(),
        authority: Some(run.base_url()),
        arm: None,
        demo: false,
        federation: None,
    };
    let ov = tokscope::endpoint::Overrides {
        identity: tokscope::endpoint::Identity::ClientId(USER_ASSIGNED.into()),
        ..Default::default()
    };
    let d = tokscope::doctor::diagnose(&env, &ov, &common::client(&run), &opts).await;
    let c = d.check(tokscope::doctor::token::IDENTITY).unwrap();
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.evidence.starts_with("MISMATCH"), "{}", c.evidence);
    assert!(c.hint.contains("selector ignored"), "{}", c.hint);
    assert_eq!(d.exit_code(), 2);
}

#[tokio::test]
async fn doctor_names_a_proxy_that_caught_the_request() {
    let (s, e) = named("proxy-intercept", WHO_ANSWERED).await;
    assert_eq!(s, Status::Fail);
    assert!(e.starts_with("a proxy answered"), "{e}");
    assert!(e.contains("Fail to directly connect"), "{e}");
}

#[tokio::test]
async fn doctor_names_an_answer_without_imds_server_header() {
    let (s, e) = named("no-server-header", WHO_ANSWERED).await;
    assert_eq!(s, Status::Warn);
    assert!(e.starts_with("no Server: IMDS/"), "{e}");
}

#[tokio::test]
async fn doctor_names_a_v1_only_host() {
    let (s, e) = named("v1-only", IMDS_PROBES).await;
    assert_eq!(s, Status::Pass);
    assert!(e.contains("v2 probe: 404"), "{e}");
    assert!(e.contains("v1-only host"), "{e}");
    assert!(e.contains("v1 probe: 400"), "{e}");
    assert!(e.contains("identity/info: tenant"), "{e}");
}

#[tokio::test]
async fn doctor_names_imds_updating_in_a_410_burst() {
    let (s, e) = named("410:count=5", WHO_ANSWERED).await;
    assert_eq!(s, Status::Warn);
    assert!(e.starts_with("IMDS is updating (410)"), "{e}");
    assert!(e.contains("70 s"), "{e}");
}

#[tokio::test]
async fn a_healthy_imds_names_itself_and_answers_both_probes() {
    let d = doctor_with("latency=0ms").await;
    let w = d.check(WHO_ANSWERED).unwrap();
    assert_eq!(w.status, Status::Pass, "{w:?}");
    assert!(w.evidence.contains("Server: IMDS/"), "{}", w.evidence);
    let p = d.check(IMDS_PROBES).unwrap();
    assert!(p.evidence.contains("v2 probe: 400"), "{}", p.evidence);
}

/// Every flavour whose exports the emulator prints, with the source azure-identity names it by.
const EXPORTED: &[Flavour] = &[
    Flavour::Imds,
    Flavour::Cloudshell,
    Flavour::Appservice,
    Flavour::Azureml,
    Flavour::Arc,
    Flavour::Servicefabric,
    Flavour::Workload,
];

/// `tokscope sources --json` over one flavour's exports: SDK name → source.
async fn table_for(run: &Running, flavour: Flavour) -> Vec<(String, String)> {
    let (code, out, err) = run_bin(&env_of(run, flavour), &["sources", "--json"]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    json(&out)["sdks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["sdk"].as_str().unwrap().to_string(),
                s["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn source_in(table: &[(String, String)], sdk: &str) -> String {
    table
        .iter()
        .find(|(n, _)| n.starts_with(sdk))
        .unwrap_or_else(|| panic!("no {sdk} in {table:?}"))
        .1
        .clone()
}

#[tokio::test]
async fn sources_names_the_flavour_of_each_export_for_every_sdk() {
    let run = common::emulator().await;
    for &flavour in EXPORTED {
        let table = table_for(&run, flavour).await;
        assert_eq!(table.len(), tokscope::sources::SDKS.len());
        // azure-identity's DefaultAzureCredential, in any language, lands on the flavour.
        for sdk in [
            "azure-identity (Python)",
            "@azure/identity",
            "Azure.Identity",
            "azidentity",
        ] {
            assert_eq!(
                source_in(&table, sdk),
                flavour.name(),
                "{sdk} on {flavour:?}"
            );
        }
        // MSAL has no workload identity: the pod's IMDS host is its pick.
        let msal = if flavour == Flavour::Workload {
            "imds"
        } else {
            flavour.name()
        };
        assert_eq!(source_in(&table, "MSAL.NET"), msal, "{flavour:?}");
        // MSAL Python knows Cloud Shell by AZUREPS_HOST_ENVIRONMENT only.
        let msal_py = if flavour == Flavour::Cloudshell {
            "imds"
        } else {
            msal
        };
        assert_eq!(source_in(&table, "MSAL Python"), msal_py, "{flavour:?}");
    }
}

#[tokio::test]
async fn sources_says_which_selector_each_sdk_refuses() {
    let run = common::emulator().await;
    let (code, out, _) = run_bin(
        &env_of(&run, Flavour::Servicefabric),
        &["--client-id", USER_ASSIGNED, "sources", "--json"],
    )
    .await;
    assert_eq!(code, Some(0));
    let v = json(&out);
    let py = &v["sdks"][0];
    assert_eq!(py["source"], "servicefabric");
    assert!(
        py["selector"].as_str().unwrap().starts_with("refuses"),
        "{py}"
    );
    assert!(
        !out.contains(&run.shared.config.identity_header),
        "the header secret stays out"
    );
    let (_, out, _) = run_bin(&env_of(&run, Flavour::Imds), &["sources", "--json"]).await;
    let py = &json(&out)["sdks"][0];
    assert!(py["imds_probe"]
        .as_str()
        .unwrap()
        .contains("AZURE_TOKEN_CREDENTIALS=dev"));
}

/// What a real client picks in `flavour`'s exports, by running `program script`.
async fn real_pick(
    run: &Running,
    program: &str,
    script: &std::path::Path,
    flavour: Flavour,
) -> String {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .kill_on_drop(true);
    for (k, v) in env_of(run, flavour) {
        cmd.env(k, v);
    }
    // azure-identity refuses a plain-http authority as it builds the credential; nothing is
    // sent here, so a closed https port on loopback stands in for the demo's Entra.
    if flavour == Flavour::Workload {
        cmd.env("AZURE_AUTHORITY_HOST", "https://127.0.0.1:9/");
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the client did not finish")
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn azure_identity_python_picks_what_the_table_says() {
    let Some(py) = crate::harness::python_with("azure.identity") else {
        return crate::harness::skip("TOKSCOPE_PYTHON is no Python with azure-identity");
    };
    let script = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/which_source.py"
    ));
    let run = common::emulator().await;
    for &flavour in EXPORTED {
        let table = table_for(&run, flavour).await;
        let real = real_pick(&run, &py, script, flavour).await;
        assert_eq!(
            real,
            source_in(&table, "azure-identity (Python)"),
            "{flavour:?}"
        );
    }
}

#[tokio::test]
async fn msal_node_picks_what_the_table_says() {
    let Some(node) = crate::harness::node() else {
        return crate::harness::skip("node or tests/interop/node/node_modules (npm ci) is missing");
    };
    let script = crate::harness::node_dir().join("which_source.mjs");
    let run = common::emulator().await;
    for &flavour in EXPORTED {
        let table = table_for(&run, flavour).await;
        let real = real_pick(&run, &node, &script, flavour).await;
        assert_eq!(real, source_in(&table, "MSAL JS"), "{flavour:?}");
    }
}

/// The UI after one real fetch of `USER_ASSIGNED` from `run`, drawn at 80×24.
async fn ui_after_fetch(run: &Running) -> String {
    use tokscope::tui::app::App;
    let ep = common::endpoint(
        run,
        Flavour::Imds,
        tokscope::endpoint::Identity::ClientId(USER_ASSIGNED.into()),
    );
    let fetched = common::client(run).fetch(&ep, common::ARM).await.unwrap();
    let now = fetched.received_at;
    let mut app = App::new(&ep, common::ARM, tokscope::assets::resource_presets(), now);
    crate::tui_fixture::deliver(
        &mut app,
        tokscope::tui::action::FetchKind::User,
        now,
        Ok(fetched),
    );
    crate::tui_fixture::render(&app, 80, 24)
}

#[tokio::test]
async fn the_ui_header_shows_a_mismatch_at_80x24() {
    let run = common::emulator_with(with_faults(&["ignore-selector"])).await;
    let screen = ui_after_fetch(&run).await;
    let header: Vec<&str> = screen.lines().take(3).collect();
    assert!(
        header
            .iter()
            .any(|l| l.contains("! IDENTITY MISMATCH: got ")),
        "{screen}"
    );
    assert!(
        screen.contains("MISMATCH: asked client_id"),
        "the Token tab says it too:\n{screen}"
    );
    // An honest answer shows no mismatch.
    let screen = ui_after_fetch(&common::emulator().await).await;
    assert!(!screen.contains("MISMATCH"), "{screen}");
    assert!(screen.contains("match: asked client_id"), "{screen}");
}
