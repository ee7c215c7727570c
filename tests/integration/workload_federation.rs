//! Workload identity's configured side over real HTTP: the emulator's ARM serves the identity's
//! federated credentials, and for every way the chain breaks the doctor compares them with the
//! pod's token field by field; `get` leads its hint with the same diff and fix.

use std::time::Duration;

use crate::common::{
    client, diagnose_env, emulator_with, endpoint, env_for, says, tokscope_text_and_json, ARM,
};
use tokscope::arm::{Cloud, Target};
use tokscope::doctor::federation::{ArmReader, FEDERATION};
use tokscope::doctor::{Diagnosis, Status};
use tokscope::emulator::workload::WorkloadFault;
use tokscope::emulator::{Config, Running};
use tokscope::endpoint::{Flavour, Identity};
use tokscope::secret::AccessToken;

const UPDATE: &str = "az identity federated-credential update --name fic-demo-workload-sa --identity-name id-build-agent --resource-group rg-identities";

/// An ARM token of the demo's system identity, which owns the subscription.
async fn arm_token(run: &Running) -> AccessToken {
    let ep = endpoint(run, Flavour::Imds, Identity::SystemAssigned);
    client(run)
        .fetch(&ep, ARM)
        .await
        .unwrap()
        .token
        .access_token
}

async fn reader(run: &Running) -> ArmReader {
    ArmReader {
        token: arm_token(run).await,
        target: Target::new(
            Cloud::Public,
            Some(&run.base_url()),
            None,
            Duration::from_secs(5),
        )
        .unwrap(),
    }
}

async fn diagnose(run: &Running, federation: Option<ArmReader>) -> Diagnosis {
    diagnose_env(run, &env_for(run, Flavour::Workload), federation).await
}

/// The doctor with ARM readable, under one fault: the federation check and its data.
async fn with_fault(fault: WorkloadFault) -> (Running, Diagnosis) {
    let run = emulator_with(Config {
        workload_faults: vec![fault],
        ..Config::default()
    })
    .await;
    let r = reader(&run).await;
    let d = diagnose(&run, Some(r)).await;
    (run, d)
}

fn federation(d: &Diagnosis) -> &tokscope::doctor::Check {
    d.check(FEDERATION)
        .unwrap_or_else(|| panic!("no federation check in {:?}", d.checks))
}

/// The one differing field's data.
fn only_diff(d: &Diagnosis) -> serde_json::Value {
    let diffs = d.federation.as_ref().unwrap()["closest"]["diffs"].clone();
    assert_eq!(diffs.as_array().map(Vec::len), Some(1), "{diffs}");
    diffs[0].clone()
}

/// A fault whose cause is not the credentials: the closest one matches exactly.
async fn matches_exactly(fault: WorkloadFault) {
    let (_run, d) = with_fault(fault).await;
    let c = federation(&d);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    says(
        &c.evidence,
        "fic-demo-workload-sa on id-build-agent matches issuer, subject and audience exactly",
    );
    assert_eq!(
        d.federation.as_ref().unwrap()["closest"]["diffs"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn wrong_subject_names_the_character_both_values_and_the_update() {
    let (_run, d) = with_fault(WorkloadFault::WrongSubject).await;
    let c = federation(&d);
    assert_eq!(c.status, Status::Fail);
    says(&c.evidence, "subject differs at character 28: presented 'W', configured 'w' (only in case: matching is case-sensitive)");
    says(&c.evidence, "presented 'system:serviceaccount:demo:Workload-sa', configured 'system:serviceaccount:demo:workload-sa'");
    says(&c.hint, UPDATE);
    says(
        &c.hint,
        "--subject \"system:serviceaccount:demo:Workload-sa\"",
    );
    let diff = only_diff(&d);
    assert_eq!(diff["field"], "subject");
    assert_eq!(diff["position"], 28);
    assert_eq!(diff["case_only"], true);
}

#[tokio::test]
async fn the_older_mismatch_code_gets_the_same_diff() {
    let (_run, d) = with_fault(WorkloadFault::LegacyMismatch).await;
    assert!(d.check("token").unwrap().evidence.contains("AADSTS70021"));
    let diff = only_diff(&d);
    assert_eq!(
        (
            &diff["field"],
            &diff["presented_char"],
            &diff["configured_char"]
        ),
        (&"subject".into(), &"W".into(), &"w".into())
    );
}

#[tokio::test]
async fn an_issuer_without_its_slash_is_the_configured_one_plus_a_tail() {
    let (run, d) = with_fault(WorkloadFault::IssuerSlash).await;
    let issuer = run.shared.cluster_issuer();
    let c = federation(&d);
    assert_eq!(c.status, Status::Fail);
    let diff = only_diff(&d);
    assert_eq!(diff["field"], "issuer");
    assert_eq!(diff["configured"], issuer.as_str());
    assert_eq!(diff["presented"], issuer.trim_end_matches('/'));
    assert_eq!(diff["position"], issuer.chars().count());
    assert_eq!(diff["presented_char"], serde_json::Value::Null);
    assert_eq!(diff["configured_char"], "/");
    says(&c.evidence, "plus a tail");
    says(&c.hint, UPDATE);
}

#[tokio::test]
async fn a_wrong_audience_differs_from_the_first_character() {
    let (_run, d) = with_fault(WorkloadFault::WrongAudience).await;
    let diff = only_diff(&d);
    assert_eq!(diff["field"], "audience");
    assert_eq!(diff["position"], 1);
    assert_eq!(
        diff["presented"],
        "https://kubernetes.default.svc.cluster.local"
    );
    assert_eq!(diff["configured"], "api://AzureADTokenExchange");
}

#[tokio::test]
async fn an_entra_token_differs_in_every_field() {
    let (_run, d) = with_fault(WorkloadFault::EntraAssertion).await;
    let c = federation(&d);
    assert_eq!(c.status, Status::Fail);
    let fields: Vec<String> = d.federation.as_ref().unwrap()["closest"]["diffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["issuer", "subject", "audience"]);
}

#[tokio::test]
async fn an_expired_assertion_is_not_the_credentials_fault() {
    matches_exactly(WorkloadFault::ExpiredAssertion).await;
}

#[tokio::test]
async fn a_long_lifetime_is_not_the_credentials_fault() {
    matches_exactly(WorkloadFault::LongLifetime).await;
}

#[tokio::test]
async fn an_unknown_client_is_not_the_credentials_fault() {
    matches_exactly(WorkloadFault::UnknownClient).await;
}

#[tokio::test]
async fn an_unreachable_issuer_is_not_the_credentials_fault() {
    matches_exactly(WorkloadFault::IssuerUnreachable).await;
}

#[tokio::test]
async fn a_bad_signature_is_not_the_credentials_fault() {
    matches_exactly(WorkloadFault::BadSignature).await;
}

#[tokio::test]
async fn without_arm_access_the_check_says_so_and_the_presented_hint_stays() {
    let run = emulator_with(Config {
        workload_faults: vec![WorkloadFault::WrongSubject],
        ..Config::default()
    })
    .await;
    let d = diagnose(&run, None).await;
    let c = federation(&d);
    assert_eq!(c.status, Status::Skip);
    says(&c.evidence, "no ARM access");
    assert!(d.check("token").unwrap().hint.contains("Presented: issuer"));
    // With nothing refused and no ARM token, there is nothing to say.
    let run = emulator_with(Config::default()).await;
    assert!(diagnose(&run, None).await.check(FEDERATION).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn get_leads_with_the_diff_and_the_fix_in_text_and_json() {
    let run = emulator_with(Config {
        workload_faults: vec![WorkloadFault::WrongSubject],
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("arm.jwt");
    std::fs::write(&file, arm_token(&run).await.expose()).unwrap();
    let file = file.display().to_string();
    let env = tokscope::emulator::workload::exports(&run.shared);
    let base = run.base_url();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST", &base));
    let args = ["get", "--arm-token-file", &file, "--arm-url", &base];
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (text, json) = tokscope_text_and_json(args, env).await;
    assert!(!text.status.success());
    let stderr = String::from_utf8_lossy(&text.stderr);
    says(&stderr, "AADSTS700213");
    says(&stderr, "hint: closest federated credential fic-demo-workload-sa on id-build-agent: subject differs at character 28");
    says(&stderr, UPDATE);
    // The ARM token given in the file is a secret like any other.
    assert!(!stderr.contains(&std::fs::read_to_string(&file).unwrap()));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let fed = &v["error"]["detail"]["federation"];
    assert_eq!(fed["arm"], "read");
    assert_eq!(fed["identity"]["name"], "id-build-agent");
    assert_eq!(fed["closest"]["diffs"][0]["field"], "subject");
    assert!(fed["fix"].as_str().unwrap().starts_with(UPDATE));
}

#[tokio::test]
async fn a_credential_written_through_arm_changes_what_entra_accepts() {
    let run = emulator_with(Config {
        workload_faults: vec![WorkloadFault::WrongSubject],
        ..Config::default()
    })
    .await;
    let token = arm_token(&run).await;
    let t = &run.shared.tenant;
    let url = format!(
        "{}/subscriptions/{}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-build-agent/federatedIdentityCredentials/fic-capital?api-version=2023-01-31",
        run.base_url(),
        t.subscription_id
    );
    let http = reqwest::Client::new();
    let body = serde_json::json!({"properties": {
        "issuer": run.shared.cluster_issuer(),
        "subject": "system:serviceaccount:demo:Workload-sa",
        "audiences": ["api://AzureADTokenExchange"],
    }});
    // New, then replaced.
    for want in [201, 200] {
        let put = http
            .put(&url)
            .bearer_auth(token.expose())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), want);
    }
    // Now the exchange succeeds, and the doctor names the credential that matched.
    let d = diagnose(&run, Some(reader(&run).await)).await;
    assert_ne!(d.check("token").unwrap().status, Status::Fail);
    let c = federation(&d);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    says(&c.evidence, "fic-capital");
    // Deleted, it is gone from the list and the exchange fails again.
    let del = http
        .delete(&url)
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let list: serde_json::Value = http
        .get(url.replace("/fic-capital", ""))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().map(Vec::len), Some(1), "{list}");
    let ep = endpoint(&run, Flavour::Workload, Identity::SystemAssigned);
    let e = client(&run).fetch(&ep, ARM).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("AADSTS700213"));
    // Without a token, nothing is read or written.
    let anon = http
        .get(url.replace("/fic-capital", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
}
