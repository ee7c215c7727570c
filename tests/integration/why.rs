//! `tokscope why` against the emulator's RBAC, through its HTTP, the real binary and its JSON:
//! every verdict, and an identity with no role getting one (refused, propagating, allowed).

use crate::common;

use std::time::Duration;

use serde_json::{json, Value};
use tokscope::emulator::{self, Config, Running};
use tokscope::endpoint::{
    detect, ClientOptions, EnvSnapshot, Flavour, Identity, Overrides, RetryPolicy, TokenClient,
};

const NO_ROLE_CLIENT: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";
const NO_ROLE_OID: &str = "1ff13534-2e82-4ce1-958d-003d9a0b2361";
const BUILD_AGENT_CLIENT: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// An emulator whose new assignments wait an hour: only `/admin/rbac/settle` applies them, so
/// nothing here depends on time passing.
async fn start() -> Running {
    emulator::start(
        Config {
            rbac_propagation: Duration::from_secs(3600),
            // Small pages, so every list (role definitions too) is followed through nextLink.
            arm_page_size: 4,
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn sub(run: &Running) -> String {
    run.shared.tenant.subscription_id.clone()
}

/// `tokscope [identity] why ARGS --json` against the emulator: (exit code, JSON).
fn why(run: &Running, identity: &[&str], args: &[&str]) -> (i32, Value) {
    let b = run.base_url();
    let mut all: Vec<&str> = vec!["--endpoint", &b, "--flavour", "imds"];
    all.extend(identity);
    all.push("why");
    all.extend(args);
    all.extend(["--arm-url", &b, "--json"]);
    let (code, out, err) = common::tokscope(&all, &[]);
    assert!(
        !common::has_jwt(&out) && !common::has_jwt(&err),
        "a token in why's output"
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn vms(run: &Running, identity: &[&str]) -> (i32, String) {
    let b = run.base_url();
    let mut all: Vec<&str> = vec!["--endpoint", &b, "--flavour", "imds"];
    all.extend(identity);
    all.extend(["vms", "--arm-url", &b, "--json"]);
    let (code, out, _) = common::tokscope(&all, &[]);
    (code, out)
}

async fn token(run: &Running, identity: Identity, resource: &str) -> String {
    let ov = Overrides {
        endpoint: Some(run.base_url()),
        flavour: Some(Flavour::Imds),
        identity,
        ..Overrides::default()
    };
    let ep = detect(&EnvSnapshot::default(), &ov).unwrap();
    let client = TokenClient::new(ClientOptions {
        retry: RetryPolicy::none(),
        ..ClientOptions::default()
    })
    .unwrap();
    client
        .fetch(&ep, resource)
        .await
        .unwrap()
        .token
        .access_token
        .expose()
        .to_string()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_role_then_a_role_assignment_propagates_then_the_vm_list_works() {
    let run = start().await;
    let s = sub(&run);
    let no_role = ["--client-id", NO_ROLE_CLIENT];
    let (code, out) = vms(&run, &no_role);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("AuthorizationFailed") && out.contains("403"),
        "{out}"
    );

    let (code, v) = why(&run, &no_role, &[]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["verdict"], "no_role", "{v}");
    assert_eq!(v["action"], "Microsoft.Compute/virtualMachines/read");
    assert_eq!(v["scope"], format!("/subscriptions/{s}"));
    assert_eq!(v["principal_id"], NO_ROLE_OID);
    assert_eq!(v["least_role"], "Reader");
    let fix = v["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("--assignee-object-id {NO_ROLE_OID} --assignee-principal-type ServicePrincipal --role \"Reader\" --scope /subscriptions/{s}")),
        "{fix}"
    );
    assert_eq!(v["refusal"]["code"], "AuthorizationFailed");
    assert!(!v["request_ids"].as_array().unwrap().is_empty());
    assert!(v["evidence"].as_array().unwrap().len() >= 3);

    // The Owner (the system identity) assigns Reader, as `az role assignment create` does.
    let owner = token(
        &run,
        Identity::SystemAssigned,
        "https://management.azure.com/",
    )
    .await;
    let url = format!(
        "{}/subscriptions/{s}/providers/Microsoft.Authorization/roleAssignments/0f4a7c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b?api-version=2022-04-01",
        run.base_url()
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": NO_ROLE_OID,
        "principalType": "ServicePrincipal",
    }});
    let r = http()
        .put(&url)
        .bearer_auth(&owner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["properties"]["principalId"], NO_ROLE_OID);
    // The same again is a conflict, as at ARM.
    let again = http()
        .put(url.replace("0f4a7c1e", "1f4a7c1e"))
        .bearer_auth(&owner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let (code, v) = why(&run, &no_role, &[]);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (2, Some("propagating")),
        "{v}"
    );
    assert_eq!(v["granted_by"], json!(["Reader"]));
    let at = v["assigned_at"].as_i64().unwrap();
    assert_eq!(v["expected_by"].as_i64(), Some(at + 600));
    assert_eq!(vms(&run, &no_role).0, 1, "not in effect yet");

    // The window crossed on demand: no waiting.
    let settled: Value = common::admin_client(&run)
        .post(format!("{}/admin/rbac/settle", run.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settled["settled"], 1);
    let (code, v) = why(&run, &no_role, &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("allowed")), "{v}");
    let (code, out) = vms(&run, &no_role);
    assert_eq!(code, 0, "{out}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        listed["vms"].as_array().unwrap().len(),
        run.shared.tenant.vms.len()
    );

    // And taken away again.
    let r = http()
        .delete(&url)
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(why(&run, &no_role, &[]).1["verdict"], "no_role");
}

/// (identity flags, why's arguments, verdict, action, a piece of the fix)
type Case<'a> = (&'a [&'a str], Vec<String>, &'a str, &'a str, &'a str);

#[tokio::test(flavor = "multi_thread")]
async fn every_other_verdict_through_the_cli() {
    let run = start().await;
    let b = run.base_url();
    let s = sub(&run);
    let agent = ["--client-id", BUILD_AGENT_CLIENT];
    let vm = format!("/subscriptions/{s}/resourceGroups/rg-data/providers/Microsoft.Compute/virtualMachines/vm-sql-01");
    let cases: Vec<Case> = vec![
        (
            &[],
            vec![vm.clone(), "--method".into(), "DELETE".into()],
            "denied_by_assignment",
            "Microsoft.Compute/virtualMachines/delete",
            "--deny-settings-excluded-principals",
        ),
        (
            &[],
            vec![format!("{b}/vault/kv-tokscope-rbac/secrets/db-password")],
            "data_role_missing",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "--role \"Key Vault Secrets User\"",
        ),
        (
            &[],
            vec![format!("{b}/vault/kv-tokscope-legacy/secrets/db-password")],
            "access_policy_mode",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "az keyvault set-policy --name kv-tokscope-legacy",
        ),
        (
            &agent,
            vec![format!(
                "{b}/blob/sttokscopedemo/private?restype=container&comp=list"
            )],
            "condition",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "az role assignment update",
        ),
        (
            &[],
            vec![format!("{b}/vault/kv-tokscope-locked/secrets/db-password")],
            "network",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "az keyvault network-rule add",
        ),
        (
            &agent,
            vec![format!(
                "{b}/blob/sttokscopelocked/backups?restype=container&comp=list"
            )],
            "network",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "az storage account network-rule add",
        ),
        (
            &agent,
            vec![format!(
                "{b}/blob/sttokscopedemo/public?restype=container&comp=list"
            )],
            "allowed",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "",
        ),
        (
            &agent,
            vec![format!("{b}/vault/kv-tokscope-rbac/secrets/db-password")],
            "allowed",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "",
        ),
    ];
    for (identity, args, verdict, action, fix) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, v) = why(&run, identity, &args);
        assert_eq!(v["verdict"], verdict, "{args:?}: {v:#}");
        assert_eq!(code, if verdict == "allowed" { 0 } else { 2 }, "{args:?}");
        assert_eq!(v["action"], action, "{args:?}");
        assert!(
            v["scope"]
                .as_str()
                .unwrap()
                .starts_with(&format!("/subscriptions/{s}/resourceGroups/rg-data/")),
            "{args:?}: {v}"
        );
        if fix.is_empty() {
            assert!(v["fix"].is_null());
        } else {
            assert!(
                v["fix"].as_str().unwrap().contains(fix),
                "{args:?}: {}",
                v["fix"]
            );
        }
    }
    // The text form says the same, one labelled line each.
    let (code, out, _) = common::tokscope(
        &[
            "--endpoint",
            &b,
            "--flavour",
            "imds",
            "why",
            &format!("{b}/vault/kv-tokscope-rbac/secrets/db-password"),
            "--arm-url",
            &b,
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(out.starts_with("verdict    data_role_missing\n"), "{out}");
    assert!(
        out.contains("\nfix        az role assignment create"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_planes_refuse_with_their_real_bodies() {
    let run = start().await;
    let b = run.base_url();
    let kv = token(&run, Identity::SystemAssigned, "https://vault.azure.net").await;
    let get = |url: String, t: &str| {
        let t = t.to_string();
        async move {
            http()
                .get(url)
                .bearer_auth(t)
                .header("x-ms-version", "2023-11-03")
                .send()
                .await
                .unwrap()
        }
    };
    for (vault, inner) in [
        ("kv-tokscope-rbac", "ForbiddenByRbac"),
        ("kv-tokscope-legacy", "ForbiddenByPolicy"),
        ("kv-tokscope-locked", "ForbiddenByFirewall"),
    ] {
        let r = get(
            format!("{b}/vault/{vault}/secrets/db-password?api-version=7.4"),
            &kv,
        )
        .await;
        assert_eq!(r.status(), 403, "{vault}");
        assert!(r.headers().contains_key("x-ms-request-id"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "Forbidden");
        assert_eq!(v["error"]["innererror"]["code"], inner, "{vault}");
    }
    let r = get(
        format!("{b}/vault/kv-tokscope-rbac/secrets/db-password?api-version=7.4"),
        &kv,
    )
    .await;
    let text = r.text().await.unwrap();
    assert!(
        text.contains("DecisionReason: 'DeniedWithNoValidRBAC'")
            && text.contains("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"),
        "{text}"
    );
    // A token for ARM is not one for the vault.
    let arm = token(
        &run,
        Identity::SystemAssigned,
        "https://management.azure.com/",
    )
    .await;
    let r = get(
        format!("{b}/vault/kv-tokscope-rbac/secrets/db-password?api-version=7.4"),
        &arm,
    )
    .await;
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("resource=\"https://vault.azure.net\""),
        "{challenge}"
    );

    let st = token(
        &run,
        Identity::ClientId(BUILD_AGENT_CLIENT.into()),
        "https://storage.azure.com",
    )
    .await;
    for (path, status, code) in [
        (
            "sttokscopedemo/private?restype=container&comp=list",
            403,
            Some("AuthorizationPermissionMismatch"),
        ),
        (
            "sttokscopelocked/backups?restype=container&comp=list",
            403,
            Some("AuthorizationFailure"),
        ),
        (
            "sttokscopedemo/public?restype=container&comp=list",
            200,
            None,
        ),
    ] {
        let r = get(format!("{b}/blob/{path}"), &st).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()
                .get("x-ms-error-code")
                .map(|v| v.to_str().unwrap()),
            code,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_authorization_api_answers_as_arm_does() {
    let run = start().await;
    let b = run.base_url();
    let s = sub(&run);
    let owner = token(
        &run,
        Identity::SystemAssigned,
        "https://management.azure.com/",
    )
    .await;
    let nobody = token(
        &run,
        Identity::ClientId(NO_ROLE_CLIENT.into()),
        "https://management.azure.com/",
    )
    .await;
    let get = |path: String, t: &str| {
        let t = t.to_string();
        let url = format!("{b}{path}");
        async move {
            let r = http().get(url).bearer_auth(t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let authz = format!("/subscriptions/{s}/providers/Microsoft.Authorization");
    let (st, v) = get(
        format!(
            "{authz}/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20%27Reader%27"
        ),
        &owner,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["value"][0]["name"], READER);
    assert_eq!(
        v["value"][0]["properties"]["permissions"][0]["actions"],
        json!(["*/read"])
    );
    // Paged as ARM pages, with an absolute nextLink.
    let (_, all) = get(
        format!("{authz}/roleDefinitions?api-version=2022-04-01"),
        &owner,
    )
    .await;
    assert!(all["nextLink"].as_str().unwrap().starts_with(&b), "{all}");
    // The permissions API answers a principal about itself, roles or not.
    let (st, v) = get(
        format!("{authz}/permissions?api-version=2022-04-01"),
        &nobody,
    )
    .await;
    assert_eq!((st, v["value"].as_array().unwrap().len()), (200, 0));
    let (_, v) = get(
        format!("{authz}/permissions?api-version=2022-04-01"),
        &owner,
    )
    .await;
    assert_eq!(v["value"][0]["actions"], json!(["*"]));
    // Filters: atScope() with assignedTo works, with principalId eq it does not.
    let own = format!("{authz}/roleAssignments?api-version=2022-04-01&$filter=atScope()%20and%20assignedTo(%27{NO_ROLE_OID}%27)");
    let (st, v) = get(own.clone(), &nobody).await;
    assert_eq!((st, v["value"].as_array().unwrap().len()), (200, 0));
    let (st, _) = get(format!("{authz}/roleAssignments?api-version=2022-04-01&$filter=atScope()%20and%20principalId%20eq%20%27x%27"), &owner).await;
    assert_eq!(st, 400);
    let (st, v) = get(
        format!("{authz}/roleAssignments?api-version=2022-04-01"),
        &nobody,
    )
    .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (403, Some("AuthorizationFailed"))
    );
    let (st, v) = get(
        format!("{authz}/denyAssignments?api-version=2022-04-01"),
        &owner,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        v["value"][0]["properties"]["principals"][0]["id"],
        "00000000-0000-0000-0000-000000000000"
    );
    // The admin view is JSON.
    let admin: Value = common::admin_client(&run)
        .get(format!("{b}/admin/rbac"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["propagationSeconds"], 3600);
    assert!(admin["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["effective"] == true));
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_arm_carries_the_verdict() {
    let run = start().await;
    let b = run.base_url();
    let (code, out, err) = common::tokscope(
        &[
            "--endpoint",
            &b,
            "--flavour",
            "imds",
            "--client-id",
            NO_ROLE_CLIENT,
            "doctor",
            "--arm",
            "--arm-url",
            &b,
            "--authority",
            &b,
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let arm = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "arm")
        .unwrap();
    assert!(
        arm["evidence"].as_str().unwrap().contains("why: no_role"),
        "{arm}"
    );
    assert!(
        arm["hint"].as_str().unwrap().contains("--role \"Reader\""),
        "{arm}"
    );
}
