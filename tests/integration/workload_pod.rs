//! The pod's side of workload identity against the emulator's pod layouts: a pod the webhook
//! never mutated, the v1.5 and v1.6 token paths, an identity binding, and a stale token file,
//! each diagnosed in one line by the doctor (and by `get`).

use crate::common::{diagnose_env, emulator_with, env_for, says, tokscope_text_and_json};
use tokscope::doctor::pod::{POD, ROTATION};
use tokscope::doctor::{Check, Diagnosis, Status};
use tokscope::emulator::workload::{PodLayout, WorkloadFault};
use tokscope::emulator::{Config, Running};
use tokscope::endpoint::{EnvSnapshot, Flavour};

async fn pod(layout: PodLayout, faults: &[WorkloadFault]) -> Running {
    emulator_with(Config {
        pod_layout: Some(layout),
        workload_faults: faults.to_vec(),
        ..Config::default()
    })
    .await
}

/// The pod's environment as the emulator exports it, changed by `edit`.
fn pod_env(run: &Running, edit: impl FnOnce(&mut Vec<(String, String)>)) -> EnvSnapshot {
    let mut pairs: Vec<(String, String)> = tokscope::emulator::workload::exports(&run.shared)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    pairs.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), run.base_url()));
    edit(&mut pairs);
    EnvSnapshot::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

async fn diagnose(run: &Running, env: &EnvSnapshot) -> Diagnosis {
    diagnose_env(run, env, None).await
}

fn check<'a>(d: &'a Diagnosis, name: &str) -> &'a Check {
    d.check(name)
        .unwrap_or_else(|| panic!("no {name} check in {:?}", d.checks))
}

#[tokio::test]
async fn an_unmutated_pod_is_named_with_the_label_it_lacks() {
    let run = pod(PodLayout::Unmutated, &[]).await;
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    let c = check(&d, POD);
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(
        c.evidence
            .starts_with("a pod the workload-identity webhook did not mutate"),
        "{}",
        c.evidence
    );
    says(&c.hint, "azure.workload.identity/use: \"true\"");
    assert!(
        !c.hint.contains("automountServiceAccountToken"),
        "{}",
        c.hint
    );
    // Without even the default service-account token, automount is off.
    let root = run.shared.cluster.root.clone().unwrap();
    std::fs::remove_file(root.join("var/run/secrets/kubernetes.io/serviceaccount/token")).unwrap();
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    assert!(
        check(&d, POD)
            .hint
            .contains("automountServiceAccountToken is false"),
        "{:?}",
        check(&d, POD)
    );
    // Outside a pod, with nothing of the webhook, there is no such line.
    let env = pod_env(&run, |v| v.retain(|(k, _)| k != "KUBERNETES_SERVICE_HOST"));
    assert!(diagnose(&run, &env).await.check(POD).is_none());
}

#[tokio::test]
async fn a_v16_pod_is_recognised_and_the_old_path_is_warned_of() {
    let run = pod(PodLayout::V16, &[]).await;
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    let c = check(&d, POD);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(
        c.evidence.starts_with(
            "webhook v1.6 layout, token at /var/run/secrets/azure/wi/token/azure-identity-token"
        ),
        "{}",
        c.evidence
    );
    assert_eq!(check(&d, "token").status, Status::Pass);
    // A variable pointing at the v1.5 path while the token is at v1.6's.
    let root = run.shared.cluster.root.clone().unwrap();
    let old = root.join("var/run/secrets/azure/tokens/azure-identity-token");
    let env = pod_env(&run, |v| {
        for (k, val) in v.iter_mut() {
            if k == "AZURE_FEDERATED_TOKEN_FILE" {
                *val = old.display().to_string();
            }
        }
    });
    let c = check(&diagnose(&run, &env).await, POD).clone();
    assert_eq!(c.status, Status::Fail, "{c:?}");
    says(
        &c.evidence,
        "which is missing, and the token is at /var/run/secrets/azure/wi/token/",
    );
}

#[tokio::test]
async fn a_v15_pod_is_told_where_v16_moves_the_token() {
    let run = pod(PodLayout::V15, &[]).await;
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    let c = check(&d, POD);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(
        c.evidence.starts_with("webhook v1.5 layout"),
        "{}",
        c.evidence
    );
    says(&c.evidence, "webhook v1.6 moves it");
}

#[tokio::test]
async fn a_binding_pod_shows_its_proxy_sni_and_ca() {
    let run = pod(PodLayout::Binding, &[]).await;
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    let c = check(&d, POD);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(
        c.evidence
            .starts_with("identity binding pod: webhook v1.6 layout"),
        "{}",
        c.evidence
    );
    says(&c.evidence, "SNI identity-binding.tokscope.test, CA file");
    // Its token is for api://AKSIdentityBinding, which the binding's credential accepts.
    let sa = d.service_account.as_ref().unwrap();
    assert_eq!(sa.token.audiences, ["api://AKSIdentityBinding"]);
    assert_eq!(check(&d, "sa-token").status, Status::Pass);
    assert_eq!(check(&d, "token").status, Status::Pass);
    // A proxy URL the SDKs refuse, and both CA forms at once.
    let bad = |var: &'static str, value: String| {
        pod_env(&run, move |v| {
            v.retain(|(k, _)| k != var);
            v.push((var.to_string(), value));
        })
    };
    let with_query = bad(
        "AZURE_KUBERNETES_TOKEN_PROXY",
        format!("{}/?x=1", run.base_url()),
    );
    let c = check(&diagnose(&run, &with_query).await, POD).clone();
    assert_eq!(c.status, Status::Fail);
    says(&c.evidence, "no query or fragment");
    let both = bad(
        "AZURE_KUBERNETES_CA_DATA",
        "-----BEGIN CERTIFICATE-----".into(),
    );
    let c = check(&diagnose(&run, &both).await, POD).clone();
    says(&c.evidence, "both");
}

#[tokio::test]
async fn a_stale_token_file_is_overdue_for_rotation() {
    let run = pod(PodLayout::V16, &[WorkloadFault::StaleFile]).await;
    let d = diagnose(&run, &pod_env(&run, |_| {})).await;
    let c = check(&d, ROTATION);
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(
        c.evidence.starts_with("stale token file: file written"),
        "{}",
        c.evidence
    );
    says(&c.evidence, "overdue by");
    says(&c.hint, "AADSTS700024");
    // The file is as old as its token: written when it was issued.
    let sa = d.service_account.as_ref().unwrap();
    let (written, issued) = (sa.modified.unwrap(), sa.token.issued_at.unwrap());
    assert!((written - issued).abs() <= 2, "{written} {issued}");
    // A fresh pod's file passes.
    let run = pod(PodLayout::V16, &[]).await;
    let d = diagnose(&run, &env_for(&run, Flavour::Workload)).await;
    assert_eq!(check(&d, ROTATION).status, Status::Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_shows_the_pod_in_text_and_json() {
    let run = pod(PodLayout::V16, &[WorkloadFault::StaleFile]).await;
    let env: Vec<(String, String)> = tokscope::emulator::workload::exports(&run.shared)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain([(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_string(),
            run.base_url(),
        )])
        .collect();
    let (text, json) = tokscope_text_and_json(vec!["get".into()], env).await;
    let out = String::from_utf8_lossy(&text.stdout);
    says(&out, "\nthe pod\n");
    says(&out, "webhook v1.6 layout");
    says(&out, "FAIL  sa-rotation  stale token file");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let pod = &v["federated_token"]["pod"];
    assert_eq!(pod[0]["name"], "pod");
    assert_eq!(pod[1]["status"], "fail");
}
