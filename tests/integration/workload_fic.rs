//! A managed identity as an app registration's federated credential, end to end against the
//! emulator: the identity's token for api://AzureADTokenExchange from IMDS, exchanged at the
//! app's tenant for the app's token, and each of Entra's refusals explained.

use crate::common::{client, emulator_with, endpoint, says, ARM};
use tokscope::emulator::workload::WorkloadFault;
use tokscope::emulator::{Config, Running};
use tokscope::endpoint::mi_fic::{self, App};
use tokscope::endpoint::{Flavour, Identity};
use tokscope::error::Error;

const BUILD_AGENT: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";

fn app(run: &Running) -> App {
    let a = &run.shared.tenant.apps[0];
    App {
        client_id: a.client_id.clone(),
        tenant: a.tenant_id.clone(),
        authority: format!("{}/", run.base_url()),
    }
}

async fn chain(run: &Running, identity: Identity, app: &App) -> Result<mi_fic::Chain, Error> {
    let ep = endpoint(run, Flavour::Imds, identity);
    mi_fic::run(&client(run), &ep, app, ARM).await
}

async fn refused(fault: Option<WorkloadFault>, code: &str) -> Error {
    let run = emulator_with(Config {
        workload_faults: fault.into_iter().collect(),
        ..Config::default()
    })
    .await;
    let e = chain(&run, Identity::ClientId(BUILD_AGENT.into()), &app(&run))
        .await
        .err()
        .unwrap_or_else(|| panic!("{code} expected"));
    assert_eq!(e.code.as_deref(), Some(code), "{e}");
    // What the identity presented and the credential the app needs travel with the error.
    let d = e.detail.as_ref().unwrap();
    assert_eq!(
        d["as_fic"]["credential"]["audiences"][0],
        "api://AzureADTokenExchange"
    );
    e
}

#[tokio::test]
async fn the_identitys_token_is_exchanged_for_the_apps() {
    let run = emulator_with(Config::default()).await;
    let a = app(&run);
    let c = chain(&run, Identity::ClientId(BUILD_AGENT.into()), &a)
        .await
        .unwrap();
    let tid = run.shared.tenant_id();
    assert_eq!(
        c.presented.issuer,
        format!("https://login.microsoftonline.com/{tid}/v2.0")
    );
    assert_eq!(c.presented.subject, "683447c1-0cc8-4f11-9d4e-abbd1fcfb980");
    assert_eq!(c.presented.audiences, ["api://AzureADTokenExchange"]);
    assert_eq!(c.credential["issuer"], c.presented.issuer.as_str());
    assert_eq!(c.credential["subject"], c.presented.subject.as_str());
    let jwt = tokscope::token::decode(c.app.token.access_token.expose()).unwrap();
    assert_eq!(jwt.claim_str("appid"), Some(a.client_id.as_str()));
    assert_eq!(jwt.claim_str("tid"), Some(a.tenant.as_str()));
}

#[tokio::test]
async fn a_v1_issuer_on_the_credential_is_700211() {
    let e = refused(Some(WorkloadFault::FicIssuerV1), "AADSTS700211").await;
    says(
        &e.hint,
        "https://login.microsoftonline.com/<the identity's tenant>/v2.0",
    );
    says(&e.hint, "az ad app federated-credential create");
}

#[tokio::test]
async fn another_identity_is_700213_with_its_object_id() {
    let run = emulator_with(Config::default()).await;
    let e = chain(&run, Identity::SystemAssigned, &app(&run))
        .await
        .err()
        .unwrap();
    assert_eq!(e.code.as_deref(), Some("AADSTS700213"), "{e}");
    says(&e.hint, &run.shared.tenant.system_identity.object_id);
    says(&e.hint, "object (principal) id");
}

#[tokio::test]
async fn entra_assertions_refused_is_700222() {
    let e = refused(Some(WorkloadFault::FicEntraRefused), "AADSTS700222").await;
    says(&e.hint, "refuses Entra-issued tokens");
}

#[tokio::test]
async fn a_token_that_is_no_managed_identitys_is_700226() {
    let e = refused(Some(WorkloadFault::FicNotManaged), "AADSTS700226").await;
    says(&e.hint, "only a managed identity's token");
}

#[tokio::test]
async fn a_token_for_another_audience_is_700227() {
    let e = refused(Some(WorkloadFault::FicAudience), "AADSTS700227").await;
    says(&e.hint, "must be for api://AzureADTokenExchange");
    says(&e.hint, "https://management.azure.com/");
}

#[tokio::test]
async fn a_tenant_that_refuses_the_identitys_tenant_is_700236() {
    let e = refused(Some(WorkloadFault::FicTenantBlocked), "AADSTS700236").await;
    says(&e.hint, "cross-tenant access settings");
}

#[tokio::test]
async fn an_unknown_app_is_700016() {
    let run = emulator_with(Config::default()).await;
    let mut a = app(&run);
    a.client_id = "00000000-0000-0000-0000-000000000001".into();
    let e = chain(&run, Identity::ClientId(BUILD_AGENT.into()), &a)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code.as_deref(), Some("AADSTS700016"), "{e}");
    says(&e.hint, "--app-client-id");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_as_fic_prints_the_credential_and_the_apps_token() {
    let run = emulator_with(Config::default()).await;
    let a = app(&run);
    let args: Vec<String> = [
        "get",
        "--client-id",
        BUILD_AGENT,
        "--as-fic",
        "--app-client-id",
        &a.client_id,
        "--app-tenant-id",
        &a.tenant,
        "--authority-host",
        &a.authority,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let env = vec![(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_string(),
        run.base_url(),
    )];
    let (text, json) = crate::common::tokscope_text_and_json(args, env).await;
    assert!(text.status.success());
    let out = String::from_utf8_lossy(&text.stdout);
    says(
        &out,
        "  subject         683447c1-0cc8-4f11-9d4e-abbd1fcfb980",
    );
    says(&out, "the app's federated credential");
    says(&out, "\"audiences\":[\"api://AzureADTokenExchange\"]");
    says(&out, "app token sha256:");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["credential"]["subject"],
        "683447c1-0cc8-4f11-9d4e-abbd1fcfb980"
    );
    assert_eq!(v["jwt"]["claims"]["appid"], a.client_id.as_str());
    // Neither token is printed.
    assert!(!crate::common::has_jwt(&out), "{out}");
}
