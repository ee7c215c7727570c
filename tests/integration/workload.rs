//! AKS workload identity end to end over real HTTP: the emulator's cluster writes the pod's
//! service-account token, its Entra validates it, and every way the federation breaks comes
//! back with Entra's own code and the hint for that cause.

use crate::common;
use crate::tui_fixture;

use crate::common::{client, emulator_with, env_for, ARM};
use tokscope::emulator::workload::WorkloadFault;
use tokscope::emulator::{Config, Running};
use tokscope::endpoint::{detect, Flavour, Overrides};
use tokscope::error::Error;

async fn wi_emulator(faults: &[WorkloadFault]) -> Running {
    emulator_with(Config {
        workload_faults: faults.to_vec(),
        ..Config::default()
    })
    .await
}

async fn exchange(run: &Running) -> Result<tokscope::endpoint::Fetched, Error> {
    let ep = detect(&env_for(run, Flavour::Workload), &Overrides::default()).unwrap();
    assert_eq!(ep.flavour, Flavour::Workload);
    client(run).fetch(&ep, ARM).await
}

async fn failure(fault: WorkloadFault) -> Error {
    let run = wi_emulator(&[fault]).await;
    match exchange(&run).await {
        Ok(_) => panic!("{} should fail", fault.name()),
        Err(e) => {
            assert!(
                e.request_ids.iter().any(|(k, _)| k == "trace_id")
                    && e.request_ids.iter().any(|(k, _)| k == "correlation_id"),
                "{e}"
            );
            e
        }
    }
}

#[tokio::test]
async fn the_service_account_token_is_exchanged_for_an_access_token() {
    let run = wi_emulator(&[]).await;
    let f = exchange(&run).await.unwrap();
    let fed = f
        .federated
        .as_ref()
        .expect("the service-account token is kept");
    let sa = &fed.file.token;
    assert_eq!(
        sa.subject.as_deref(),
        Some("system:serviceaccount:demo:workload-sa")
    );
    assert_eq!(sa.namespace.as_deref(), Some("demo"));
    assert_eq!(sa.service_account.as_deref(), Some("workload-sa"));
    assert_eq!(sa.audiences, vec!["api://AzureADTokenExchange".to_string()]);
    assert!(sa.pod.is_some() && sa.node.is_some());
    // Kubelet's layout: the file is a link through ..data, and it is followed.
    assert!(fed.file.resolved.to_string_lossy().contains("/..0/"));
    // Entra v2's answer: expires_in only, which is its normal form and not worth a warning.
    assert!(f.token.warnings.is_empty(), "{:?}", f.token.warnings);
    assert_eq!(fed.ext_expires_in, f.token.expires_in);
    let jwt = tokscope::token::decode(f.token.access_token.expose()).unwrap();
    assert_eq!(
        jwt.claim_str("appid"),
        Some(run.shared.workload_client_id().as_str())
    );
}

#[tokio::test]
async fn a_subject_mismatch_names_the_exact_federated_credential_command() {
    let e = failure(WorkloadFault::WrongSubject).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700213"), "{e}");
    assert!(e.hint.contains("subject differs"), "{}", e.hint);
    assert!(
        e.hint
            .contains("az identity federated-credential create --name fic-demo-Workload-sa"),
        "{}",
        e.hint
    );
    assert!(
        e.hint
            .contains("--subject \"system:serviceaccount:demo:Workload-sa\""),
        "{}",
        e.hint
    );
    assert!(
        e.hint.contains("--audiences api://AzureADTokenExchange"),
        "{}",
        e.hint
    );
    assert!(e.hint.contains("case-sensitive"), "{}", e.hint);
}

#[tokio::test]
async fn the_older_code_for_a_mismatch_gets_the_same_hint() {
    let e = failure(WorkloadFault::LegacyMismatch).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS70021"), "{e}");
    assert_eq!(e.status, Some(400));
    // The CR LF trailer is cut; the ids are request ids, not part of the message.
    assert!(
        e.message
            .ends_with("Assertion Audience: 'api://AzureADTokenExchange'."),
        "{}",
        e.message
    );
    assert!(
        e.hint.contains("issuer, subject or audience differs"),
        "{}",
        e.hint
    );
    assert!(
        e.hint
            .contains("--subject \"system:serviceaccount:demo:Workload-sa\""),
        "{}",
        e.hint
    );
    assert!(e.hint.contains("case-sensitive"), "{}", e.hint);
}

#[tokio::test]
async fn an_issuer_without_its_slash_is_called_out() {
    let e = failure(WorkloadFault::IssuerSlash).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700211"), "{e}");
    assert!(e.hint.contains("issuer differs"), "{}", e.hint);
    assert!(e.hint.contains("no trailing '/'"), "{}", e.hint);
}

#[tokio::test]
async fn a_wrong_audience_is_a_federation_mismatch_too() {
    let e = failure(WorkloadFault::WrongAudience).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700212"), "{e}");
    assert!(e.hint.contains("audience differs"), "{}", e.hint);
    assert!(
        e.hint.contains("not the webhook's projected token"),
        "{}",
        e.hint
    );
}

#[tokio::test]
async fn an_unknown_client_id_points_at_the_annotation() {
    let e = failure(WorkloadFault::UnknownClient).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700016"), "{e}");
    assert!(
        e.hint.contains("azure.workload.identity/client-id"),
        "{}",
        e.hint
    );
}

#[tokio::test]
async fn a_stale_file_is_outside_its_time_range() {
    let e = failure(WorkloadFault::ExpiredAssertion).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700024"), "{e}");
    assert!(e.hint.contains("stale"), "{}", e.hint);
}

#[tokio::test]
async fn a_long_lived_token_is_the_default_service_account_token() {
    let e = failure(WorkloadFault::LongLifetime).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS70023"), "{e}");
    assert!(
        e.hint.contains("default service-account token"),
        "{}",
        e.hint
    );
}

#[tokio::test]
async fn an_unreachable_issuer_says_which_documents_entra_fetches() {
    let e = failure(WorkloadFault::IssuerUnreachable).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS90061"), "{e}");
    assert!(
        e.hint.contains(".well-known/openid-configuration"),
        "{}",
        e.hint
    );
}

#[tokio::test]
async fn an_entra_token_as_assertion_is_refused() {
    let e = failure(WorkloadFault::EntraAssertion).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700222"), "{e}");
    assert!(e.hint.contains("Entra-issued token"), "{}", e.hint);
}

#[tokio::test]
async fn a_bad_signature_points_at_key_rotation() {
    let e = failure(WorkloadFault::BadSignature).await;
    assert_eq!(e.code.as_deref(), Some("AADSTS700027"), "{e}");
    assert!(e.hint.contains("rotate-signing-keys"), "{}", e.hint);
}

#[tokio::test]
async fn the_file_is_read_on_every_fetch_and_refused_when_it_is_not_a_token() {
    let run = wi_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let mut env = env_for(&run, Flavour::Workload);
    let ov = Overrides {
        token_file: Some(file.clone()),
        ..Overrides::default()
    };
    let ep = detect(&env, &ov).unwrap();
    let c = client(&run);
    std::fs::write(&file, "SECRET=hunter2\n").unwrap();
    let e = c.fetch(&ep, ARM).await.unwrap_err();
    assert!(
        e.message.contains("does not hold a JWT") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    std::fs::copy(run.shared.cluster.token_file(), &file).unwrap();
    assert!(c.fetch(&ep, ARM).await.is_ok());
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    let e = c.fetch(&ep, ARM).await.unwrap_err();
    assert!(e.message.contains("not a regular file"), "{e}");
    // Missing variables fall back, with a note on what is missing.
    env = tokscope::endpoint::EnvSnapshot::from_pairs([
        ("AZURE_FEDERATED_TOKEN_FILE", "/nowhere"),
        ("AZURE_TENANT_ID", "t"),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"),
    ]);
    let ep = detect(&env, &Overrides::default()).unwrap();
    assert_eq!(ep.flavour, Flavour::Imds);
    assert!(
        ep.notes
            .iter()
            .any(|n| n.contains("AZURE_CLIENT_ID is not")),
        "{:?}",
        ep.notes
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_authority_is_refused_before_anything_is_read() {
    let run = wi_emulator(&[]).await;
    let ov = Overrides {
        authority_host: Some("http://login.example.com/".into()),
        ..Overrides::default()
    };
    let ep = detect(&env_for(&run, Flavour::Workload), &ov).unwrap();
    let e = client(&run).fetch(&ep, ARM).await.unwrap_err();
    assert!(e.message.contains("is not https"), "{e}");
}

async fn doctor_on(run: &Running) -> tokscope::doctor::Diagnosis {
    common::diagnose_env(run, &env_for(run, Flavour::Workload), None).await
}

fn check<'a>(d: &'a tokscope::doctor::Diagnosis, name: &str) -> &'a tokscope::doctor::Check {
    d.check(name)
        .unwrap_or_else(|| panic!("no {name} check in {:?}", d.checks))
}

#[tokio::test]
async fn doctor_names_the_federated_credential_for_a_subject_mismatch() {
    use tokscope::doctor::Status;
    let run = wi_emulator(&[WorkloadFault::WrongSubject]).await;
    let d = doctor_on(&run).await;
    assert_eq!(check(&d, "workload-env").status, Status::Pass);
    // The file itself is a fine token; only the federation does not match it.
    assert_eq!(check(&d, "sa-token").status, Status::Pass);
    let t = check(&d, "token");
    assert_eq!(t.status, Status::Fail);
    assert!(t.evidence.contains("AADSTS700213"), "{}", t.evidence);
    let issuer = run.shared.cluster_issuer();
    let want = format!(
        "az identity federated-credential create --name fic-demo-Workload-sa --identity-name <identity-name> --resource-group <resource-group> --issuer \"{issuer}\" --subject \"system:serviceaccount:demo:Workload-sa\" --audiences api://AzureADTokenExchange"
    );
    let hint = &t.hint;
    assert!(hint.contains(&want), "{hint}");
    assert!(
        hint.contains(&format!(
            "az identity list --query \"[?clientId=='{}']",
            run.shared.workload_client_id()
        )),
        "{hint}"
    );
    assert!(d.exit_code() == 2);
    // Entra's refusal still carries its clock, and here it agrees.
    let c = check(&d, "clock");
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(
        c.evidence.contains("Entra's clock agrees"),
        "{}",
        c.evidence
    );
}

#[tokio::test]
async fn doctor_compares_the_clock_with_entras_on_success_and_on_refusal() {
    use tokscope::doctor::Status;
    let run = emulator_with(Config {
        clock_skew: 900,
        ..Config::default()
    })
    .await;
    let d = doctor_on(&run).await;
    assert_ne!(check(&d, "token").status, Status::Fail);
    let c = check(&d, "clock");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.evidence.contains("Date is 15m"), "{}", c.evidence);

    let run = emulator_with(Config {
        clock_skew: -900,
        workload_faults: vec![WorkloadFault::ExpiredAssertion],
        ..Config::default()
    })
    .await;
    let d = doctor_on(&run).await;
    let t = check(&d, "token");
    assert!(t.evidence.contains("AADSTS700024"), "{}", t.evidence);
    assert!(
        t.hint
            .contains("Entra's clock is 15m 0s behind this machine's"),
        "{}",
        t.hint
    );
    let c = check(&d, "clock");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(
        c.evidence.contains("Entra's answer is stamped"),
        "{}",
        c.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_over_https_shows_both_tokens_and_the_chain_and_never_the_assertion() {
    let run = emulator_with(Config {
        tls: true,
        ..Config::default()
    })
    .await;
    let mut env: Vec<(String, String)> = run
        .pod_exports()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), run.base_url()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, out, err) = common::tokscope(&["get"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("flavour   workload"), "{out}");
    assert!(
        out.contains("service-account token (AZURE_FEDERATED_TOKEN_FILE"),
        "{out}"
    );
    assert!(
        out.contains("subject          system:serviceaccount:demo:workload-sa"),
        "{out}"
    );
    assert!(out.contains("kubelet rotates  at ~80 %"), "{out}");
    assert!(
        out.contains(&format!(
            "chain  service-account token (system:serviceaccount:demo:workload-sa) → Entra {}",
            run.base_url()
        )),
        "{out}"
    );
    assert!(
        out.contains("access token\nholder    the user-assigned managed identity"),
        "{out}"
    );
    assert!(!common::contains_jwt(&out), "{out}");

    let (code, out, err) = common::tokscope(&["get", "--json"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(!common::contains_jwt(&out), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fed = &v["federated_token"];
    assert_eq!(fed["subject"], "system:serviceaccount:demo:workload-sa");
    assert_eq!(fed["namespace"], "demo");
    assert_eq!(fed["service_account"], "workload-sa");
    assert_eq!(fed["issuer"], run.shared.cluster_issuer());
    assert_eq!(fed["audiences"][0], "api://AzureADTokenExchange");
    assert!(fed["expires_in_s"].as_i64().unwrap() > 3000);
    assert!(fed["rotation_due"].as_i64().unwrap() < fed["expires_at"].as_i64().unwrap());
    assert!(fed["assertion"].is_null());
    assert_eq!(
        v["jwt"]["claims"]["appid"],
        run.shared.workload_client_id().as_str()
    );
}

#[tokio::test]
async fn watch_puts_both_rotations_on_one_timeline() {
    use tokio::io::AsyncBufReadExt;
    let run = wi_emulator(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::copy(run.shared.cluster.token_file(), &file).unwrap();
    let env = env_for(&run, Flavour::Workload);
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tokscope"));
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
    {
        cmd.env_remove(v);
    }
    for v in tokscope::endpoint::detect::IDENTITY_VARS {
        if let Some(val) = env.get(v) {
            cmd.env(v, val);
        }
    }
    cmd.args(["--token-file"])
        .arg(&file)
        .args(["watch", "--interval", "1s", "--count", "3", "--json"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let next = |l: Option<String>| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap();
    let limit = std::time::Duration::from_secs(30);
    let first = next(
        tokio::time::timeout(limit, lines.next_line())
            .await
            .unwrap()
            .unwrap(),
    );
    // Kubelet writes a new token into the file between two polls.
    let token = tokscope::emulator::workload::mint_service_account_token(&run.shared);
    std::fs::write(&file, token).unwrap();
    let mut rest = Vec::new();
    while let Some(l) = tokio::time::timeout(limit, lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        rest.push(serde_json::from_str::<serde_json::Value>(&l).unwrap());
    }
    assert!(child.wait().await.unwrap().success());
    assert_eq!(first["event"], "fetched", "{first}");
    let sa = &first["service_account"];
    assert_eq!(sa["event"], "read", "{first}");
    assert!(sa["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(sa["expires_in_s"].as_i64().unwrap() > 3500, "{first}");
    assert!(sa["rotation_due_epoch"].as_i64().unwrap() < sa["expires_on_epoch"].as_i64().unwrap());
    let second = &rest[0];
    // The access token is Entra's cached one; the file's token is new.
    assert_eq!(second["event"], "unchanged", "{second}");
    assert_eq!(second["service_account"]["event"], "rotated", "{second}");
    let before = second["service_account"]["rotated_before_expiry_s"]
        .as_i64()
        .unwrap();
    assert!((3500..=3600).contains(&before), "{second}");
    assert_ne!(second["service_account"]["fingerprint"], sa["fingerprint"]);
    assert_eq!(
        rest[1]["service_account"]["event"], "unchanged",
        "{}",
        rest[1]
    );
    assert_eq!(
        rest[2]["summary"]["service_account_rotations"], 1,
        "{}",
        rest[2]
    );
    assert!(!rest.iter().any(|l| common::contains_jwt(&l.to_string())));
}

#[tokio::test]
async fn the_report_has_the_service_account_tokens_facts_and_not_the_token() {
    let run = wi_emulator(&[]).await;
    let d = doctor_on(&run).await;
    let sa = d.service_account.as_ref().expect("the file's facts");
    assert_eq!(
        sa.token.subject.as_deref(),
        Some("system:serviceaccount:demo:workload-sa")
    );
    let system = tokscope::report::system_info();
    let now = chrono::Utc::now().timestamp();
    let md = tokscope::report::markdown(&d, &system, now);
    assert!(md.contains("## Service-account token"), "{md}");
    assert!(
        md.contains("| subject | system:serviceaccount:demo:workload-sa |"),
        "{md}"
    );
    assert!(
        md.contains("| audience | api://AzureADTokenExchange |"),
        "{md}"
    );
    assert!(md.contains("| kubelet rotates (80 %) |"), "{md}");
    assert!(md.contains(&sa.fingerprint), "{md}");
    let json = tokscope::report::json_report(&d, &system, now);
    let j = &json["service_account_token"];
    assert_eq!(j["namespace"], "demo");
    assert_eq!(j["service_account"], "workload-sa");
    assert_eq!(j["pod"], "tokscope-demo-6f7d9c8b5-x2k4q");
    let raw = std::fs::read_to_string(run.shared.cluster.token_file()).unwrap();
    for text in [md, json.to_string()] {
        assert!(!text.contains(raw.trim()));
        assert!(!common::contains_jwt(&text));
    }
}

#[tokio::test]
async fn the_ui_shows_the_chain_and_the_files_rotation() {
    use tokscope::tui::action::{Action, FetchKind};
    use tokscope::tui::app::{update, App};
    let run = wi_emulator(&[]).await;
    let ep = detect(&env_for(&run, Flavour::Workload), &Overrides::default()).unwrap();
    let c = client(&run);
    let now = chrono::Utc::now().timestamp();
    let mut app = App::new(&ep, ARM, tokscope::assets::resource_presets(), now);
    tui_fixture::deliver(&mut app, FetchKind::User, now, c.fetch(&ep, ARM).await);
    let screen = tui_fixture::render(&app, 120, 40);
    for want in [
        "chain     service-account token → Entra → this access token",
        " 1 pod    system:serviceaccount:demo:workload-sa · sha256:",
        "iss http://127.0.0.1:",
        "aud api://AzureADTokenExchange · expires",
        "kubelet rotates in",
        " 2 Entra  http://127.0.0.1:",
        " 3 token  sha256:",
    ] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
    update(&mut app, Action::ToggleWatch);
    tui_fixture::deliver(&mut app, FetchKind::Poll, now, c.fetch(&ep, ARM).await);
    update(&mut app, Action::GoTab(1));
    let screen = tui_fixture::render(&app, 120, 40);
    assert!(screen.contains("SA token, expires in"), "{screen}");
    assert!(screen.contains(", rotates in"), "{screen}");
    assert!(!common::contains_jwt(&screen));
}

/// A token folder the user named (`emulate --sa-token-dir`) outlives the emulator: a second run
/// publishes into it again, over the first run's generation, as kubelet would.
#[test]
fn a_second_run_publishes_into_the_same_token_folder() {
    use tokscope::emulator::workload::publish;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("tokens");
    publish(&dir, "first", 0).unwrap();
    publish(&dir, "second", 0).unwrap();
    let link = dir.join("azure-identity-token");
    let read = std::fs::read_to_string(&link).unwrap_or_else(|e| panic!("{link:?}: {e}"));
    assert_eq!(read, "second");
    publish(&dir, "third", 1).unwrap();
    assert_eq!(std::fs::read_to_string(&link).unwrap(), "third");
}
