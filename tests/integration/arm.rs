//! The ARM client against the emulator's ARM on 127.0.0.1: paging, errors, discovery, refusals.

use crate::common;

use std::time::Duration;

use serde_json::{json, Map, Value};
use tokscope::arm::{self, Client, Discovery, SubscriptionSource};
use tokscope::assets::demo_tenant;
use tokscope::emulator::{self, keys::Keys, Config, Fault, Running};
use tokscope::endpoint::{
    detect, ClientOptions, EnvSnapshot, Flavour, Identity, Overrides, RetryPolicy, TokenClient,
};
use tokscope::error::ErrorKind;
use tokscope::secret::AccessToken;

const ARM: &str = "https://management.azure.com/";
const NO_ROLE_CLIENT: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";
const NO_ROLE_OID: &str = "1ff13534-2e82-4ce1-958d-003d9a0b2361";
const BUILD_AGENT_CLIENT: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";
const LIMIT: Duration = Duration::from_secs(20);

async fn start(config: Config) -> Running {
    emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn token(run: &Running, identity: Identity, resource: &str) -> AccessToken {
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
}

fn fast_retries(c: Client) -> Client {
    c.with_retry(RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(10),
        longest_wait: Duration::from_secs(5),
        ..RetryPolicy::arm()
    })
}

fn sub() -> String {
    demo_tenant().subscription_id
}

fn arm_requests(run: &Running) -> u64 {
    run.shared
        .arm_requests
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// A token signed with the emulators' key, with exactly these claims.
fn signed(claims: Value) -> AccessToken {
    let Value::Object(m) = claims else {
        panic!("claims must be an object")
    };
    AccessToken::new(Keys::shared().unwrap().sign(&m))
}

fn system_claims_without_arm_ids() -> Value {
    let t = demo_tenant();
    let now = chrono::Utc::now().timestamp();
    json!({"aud": ARM, "iss": format!("https://sts.windows.net/{}/", t.tenant_id), "iat": now - 300,
           "nbf": now - 300, "exp": now + 3600, "appid": t.system_identity.client_id,
           "oid": t.system_identity.object_id, "tid": t.tenant_id, "ver": "1.0"})
}

#[tokio::test]
async fn lists_all_vms_across_three_pages() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config::default()).await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = Client::new(&run.base_url()).unwrap();
        let list = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap();
        assert_eq!(list.vms.len(), 23);
        assert_eq!(list.pages, 3);
        assert_eq!(list.requests.len(), 3);
        for r in &list.requests {
            assert_eq!(r.status, Some(200));
            assert!(r.url.contains("api-version=2021-07-01"), "{}", r.url);
            let names: Vec<&str> = r.request_ids.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                names,
                [
                    "x-ms-request-id",
                    "x-ms-correlation-request-id",
                    "x-ms-routing-request-id"
                ]
            );
        }
        // Ids mix resourceGroups and resourcegroups; every VM still has its group.
        assert!(list.vms.iter().any(|v| v.id.contains("/resourcegroups/")));
        let tenant = demo_tenant();
        for (vm, want) in list.vms.iter().zip(&tenant.vms) {
            assert_eq!(vm.name, want.name);
            assert_eq!(vm.resource_group, want.resource_group);
            assert_eq!(vm.size, want.size);
            assert_eq!(vm.os_type, want.os_type);
            assert_eq!(vm.provisioning_state, want.provisioning_state);
            assert_eq!(vm.power_state, None);
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn narrows_to_a_resource_group_and_reads_power_states() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config {
            arm_page_size: 2,
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = Client::new(&run.base_url()).unwrap();
        let list = arm::list_vms(&client, &tok, &sub(), Some("RG-DEMO"), true)
            .await
            .unwrap();
        let want: Vec<_> = demo_tenant()
            .vms
            .into_iter()
            .filter(|v| v.resource_group == "rg-demo")
            .collect();
        assert_eq!(list.vms.len(), want.len());
        assert_eq!(list.pages as usize, want.len().div_ceil(2));
        for (vm, w) in list.vms.iter().zip(&want) {
            assert_eq!(vm.power_state.as_deref(), Some(w.power_state.as_str()));
        }
        // One instanceView per VM, after the pages.
        assert_eq!(list.requests.len(), list.pages as usize + want.len());
        assert!(list
            .requests
            .iter()
            .any(|r| r.url.contains("/instanceView?")));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn authorization_failed_names_the_oid_and_the_role_to_grant() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config::default()).await;
        let tok = token(&run, Identity::ClientId(NO_ROLE_CLIENT.into()), ARM).await;
        let client = Client::new(&run.base_url()).unwrap();
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Arm);
        assert_eq!(e.status, Some(403));
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        assert!(e.message.contains(NO_ROLE_OID), "{}", e.message);
        assert!(e.message.contains("Microsoft.Compute/virtualMachines/read"));
        assert_eq!(
            e.hint,
            format!("give the identity whose oid is {NO_ROLE_OID} a Reader role on the subscription: az role assignment create --assignee-object-id {NO_ROLE_OID} --role Reader --scope /subscriptions/{} (`tokscope why` explains the refusal)", sub())
        );
        assert_eq!(e.request_ids.len(), 3);
        let json = serde_json::json!({"ok": false, "error": e});
        assert!(json["error"]["request_ids"]["x-ms-request-id"].is_string());
        assert!(json["error"]["request_ids"]["x-ms-correlation-request-id"].is_string());
        assert!(json["error"]["request_ids"]["x-ms-routing-request-id"].is_string());
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn deny_all_refuses_even_the_system_identity() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config {
            arm_deny_all: true,
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = Client::new(&run.base_url()).unwrap();
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        assert!(e.hint.contains(&demo_tenant().system_identity.object_id));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn token_errors_have_their_own_codes_and_hints() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config {
            faults: vec![Fault::parse("expired:count=1").unwrap()],
            ..Config::default()
        })
        .await;
        let client = Client::new(&run.base_url()).unwrap();
        let list = |tok: AccessToken| {
            let client = client.clone();
            async move {
                arm::list_vms(&client, &tok, &sub(), None, false)
                    .await
                    .unwrap_err()
            }
        };

        let expired = token(&run, Identity::SystemAssigned, ARM).await;
        let e = list(expired).await;
        assert_eq!(
            (e.status, e.code.as_deref()),
            (Some(401), Some("ExpiredAuthenticationToken"))
        );
        assert!(e.hint.contains("fetch it again"), "{}", e.hint);
        assert_eq!(e.request_ids.len(), 3);

        let graph = token(
            &run,
            Identity::SystemAssigned,
            "https://graph.microsoft.com",
        )
        .await;
        let e = list(graph).await;
        assert_eq!(
            e.code.as_deref(),
            Some("InvalidAuthenticationTokenAudience")
        );
        assert!(e.message.contains("https://graph.microsoft.com"));
        assert!(
            e.hint.contains("https://management.azure.com/"),
            "{}",
            e.hint
        );
        assert_eq!(e.request_ids.len(), 3);

        // Claims changed after signing: the signature no longer matches.
        let good = token(&run, Identity::SystemAssigned, ARM).await;
        let parts: Vec<&str> = good.expose().split('.').collect();
        let mut claims: Map<String, Value> =
            serde_json::from_slice(&base64_url_decode(parts[1])).unwrap();
        claims.insert("oid".into(), json!("00000000-0000-0000-0000-000000000001"));
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            tokscope::token::jwt::encode_part(&Value::Object(claims)),
            parts[2]
        );
        let e = list(AccessToken::new(forged)).await;
        assert_eq!(
            (e.status, e.code.as_deref()),
            (Some(401), Some("InvalidAuthenticationToken"))
        );
        assert!(e.hint.contains("fetch a fresh one"), "{}", e.hint);
        assert_eq!(e.request_ids.len(), 3);
    })
    .await
    .unwrap();
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

#[tokio::test]
async fn unknown_subscription_is_not_found() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config::default()).await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = Client::new(&run.base_url()).unwrap();
        let other = "00000000-0000-0000-0000-000000000000";
        let e = arm::list_vms(&client, &tok, other, None, false)
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_deref()),
            (Some(404), Some("SubscriptionNotFound"))
        );
        assert!(e.message.contains(other));
        assert!(e.hint.contains("--subscription"));
        assert_eq!(e.request_ids.len(), 3);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn throttling_is_retried_as_retry_after_says_then_reported() {
    tokio::time::timeout(LIMIT, async {
        // Two 429s, then answers: the listing succeeds after two retries.
        let run = start(Config {
            arm_faults: vec![Fault::parse("429:count=2:retry-after=0").unwrap()],
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = fast_retries(Client::new(&run.base_url()).unwrap());
        let list = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap();
        assert_eq!(list.vms.len(), 23);
        assert_eq!(arm_requests(&run), 5);
        let statuses: Vec<_> = list.requests.iter().map(|r| r.status).collect();
        assert_eq!(statuses[..3], [Some(429), Some(429), Some(200)]);

        // Throttled for good: a bounded number of retries, then the error with its ids.
        let run = start(Config {
            arm_faults: vec![Fault::parse("429:retry-after=0").unwrap()],
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = fast_retries(Client::new(&run.base_url()).unwrap());
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert_eq!(e.status, Some(429));
        assert_eq!(e.code.as_deref(), Some("SubscriptionRequestsThrottled"));
        assert!(e.message.contains("after 3 retries"), "{}", e.message);
        assert!(e.hint.contains("wait 0 s (Retry-After)"), "{}", e.hint);
        assert_eq!(e.request_ids.len(), 3);
        assert_eq!(arm_requests(&run), 4);

        // A Retry-After longer than the client will wait: no retry, the wait is in the hint.
        let run = start(Config {
            arm_faults: vec![Fault::parse("429:retry-after=120").unwrap()],
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = fast_retries(Client::new(&run.base_url()).unwrap());
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert!(e.hint.contains("wait 120 s"), "{}", e.hint);
        assert_eq!(arm_requests(&run), 1);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config {
            arm_faults: vec![Fault::parse("500:count=1").unwrap()],
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = fast_retries(Client::new(&run.base_url()).unwrap());
        let list = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap();
        assert_eq!(list.vms.len(), 23);

        let run = start(Config {
            arm_faults: vec![Fault::parse("503").unwrap()],
            ..Config::default()
        })
        .await;
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let client = fast_retries(Client::new(&run.base_url()).unwrap());
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_deref()),
            (Some(503), Some("ServiceUnavailable"))
        );
        assert!(e.hint.contains("retry later"), "{}", e.hint);
        assert_eq!(e.request_ids.len(), 3);
        assert_eq!(arm_requests(&run), 4);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn subscription_discovery_follows_its_order() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config::default()).await;
        let client = Client::new(&run.base_url()).unwrap();
        let system = token(&run, Identity::SystemAssigned, ARM).await;
        let user = token(&run, Identity::ClientId(BUILD_AGENT_CLIENT.into()), ARM).await;
        let flag = "11111111-2222-3333-4444-555555555555";

        // 1. The flag, even with instance metadata at hand.
        let d = Discovery {
            flag: Some(flag.into()),
            imds_host: Some(run.base_url()),
        };
        let s = arm::discover_subscription(&client, &system, &d)
            .await
            .unwrap();
        assert_eq!((s.id.as_str(), s.source), (flag, SubscriptionSource::Flag));

        // 2. Instance metadata.
        let d = Discovery {
            flag: None,
            imds_host: Some(run.base_url()),
        };
        let s = arm::discover_subscription(&client, &system, &d)
            .await
            .unwrap();
        assert_eq!(
            (s.id, s.source),
            (sub(), SubscriptionSource::InstanceMetadata)
        );

        // 3. No instance metadata (nothing listens on port 1): xms_az_rid before xms_mirid.
        let dead = Discovery {
            flag: None,
            imds_host: Some("http://127.0.0.1:1".into()),
        };
        let s = arm::discover_subscription(&client, &user, &dead)
            .await
            .unwrap();
        assert_eq!(s.source, SubscriptionSource::XmsAzRid);
        assert!(
            s.notes[0].starts_with("instance metadata:"),
            "{:?}",
            s.notes
        );
        let s = arm::discover_subscription(&client, &system, &dead)
            .await
            .unwrap();
        assert_eq!((s.id, s.source), (sub(), SubscriptionSource::XmsMirid));

        // 4. Neither metadata nor claims: ARM's subscription list.
        let bare = signed(system_claims_without_arm_ids());
        let s = arm::discover_subscription(&client, &bare, &Discovery::default())
            .await
            .unwrap();
        assert_eq!(
            (s.id, s.source),
            (sub(), SubscriptionSource::SubscriptionsList)
        );
        let last = client.history().pop().unwrap();
        assert!(
            last.url.ends_with("/subscriptions?api-version=2022-12-01"),
            "{}",
            last.url
        );

        // An identity without a role sees no subscription.
        let mut c = system_claims_without_arm_ids();
        c["oid"] = json!(NO_ROLE_OID);
        let e = arm::discover_subscription(&client, &signed(c), &Discovery::default())
            .await
            .unwrap_err();
        assert!(e.hint.contains("--subscription"));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    let e = Client::new("http://example.invalid").err().unwrap();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("plain HTTP"));
    assert!(Client::new("http://[::1]:8080").is_ok());
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    tokio::time::timeout(LIMIT, async {
        // A stand-in ARM whose first page points elsewhere.
        let app = axum::Router::new().route(
            "/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines",
            axum::routing::get(|| async {
                axum::Json(json!({"value": [], "nextLink": "https://attacker.example/subscriptions/x?api-version=2021-07-01"}))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::new(&format!("http://{addr}")).unwrap();
        let tok = AccessToken::new("a.b.c");
        let e = arm::list_vms(&client, &tok, &sub(), None, false)
            .await
            .unwrap_err();
        assert!(e.message.contains("another host"), "{}", e.message);
        assert_eq!(client.history().len(), 1);
        server.abort();
    })
    .await
    .unwrap();
}

/// Runs the real binary with the given arguments, bounded in time.
async fn tokscope(args: &[&str]) -> (bool, String, String) {
    let mut cmd = common::tokscope_async();
    cmd.args(args).kill_on_drop(true);
    let out = tokio::time::timeout(LIMIT, cmd.output())
        .await
        .expect("tokscope took too long")
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn binary_demo_vms_json_lists_everything() {
    let (ok, out, err) = tokscope(&["--demo", "vms", "--json"]).await;
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["vms"].as_array().unwrap().len(), 23);
    assert_eq!(v["pages"], 3);
    assert_eq!(v["subscription"]["id"], sub());
    assert_eq!(v["subscription"]["source"], "instance_metadata");
    assert_eq!(v["request_ids"].as_array().unwrap().len(), 3);
    let requests = v["requests"].as_array().unwrap();
    // Instance metadata, then three pages.
    assert_eq!(requests.len(), 4);
    assert!(requests[1]["url"]
        .as_str()
        .unwrap()
        .contains("api-version=2021-07-01"));
    assert!(requests[1]["request_ids"]["x-ms-request-id"].is_string());
    assert!(v.get("token_note").is_none());
    let vm = &v["vms"][0];
    for k in [
        "name",
        "resource_group",
        "location",
        "size",
        "os_type",
        "provisioning_state",
        "id",
    ] {
        assert!(vm[k].is_string(), "{k}");
    }
    assert!(!out.contains("eyJ"), "the token must not be printed");
}

#[tokio::test]
async fn binary_demo_vms_human_table() {
    let (ok, out, err) = tokscope(&["--demo", "vms", "--power-state", "-g", "rg-demo"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("NAME"));
    assert!(out.contains("POWER"));
    assert!(out.contains("vm-win-test-01"));
    assert!(out.contains("deallocated"));
    assert!(out.contains("3 VMs in 1 page"));
    assert!(out.contains("request  GET http://127.0.0.1:"));
    assert!(out.contains("x-ms-request-id"));
}

#[tokio::test]
async fn binary_fetches_an_arm_token_when_the_resource_is_another() {
    let (ok, out, err) = tokscope(&[
        "--demo",
        "--resource",
        "https://graph.microsoft.com",
        "vms",
        "--json",
    ])
    .await;
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["token_note"]
        .as_str()
        .unwrap()
        .contains("https://graph.microsoft.com"));
    assert_eq!(v["token"]["resource"], ARM);
    assert_eq!(v["vms"].as_array().unwrap().len(), 23);
}

#[tokio::test]
async fn binary_failure_prints_the_common_error_json() {
    let (ok, out, _) = tokscope(&["--demo", "--client-id", NO_ROLE_CLIENT, "vms", "--json"]).await;
    assert!(!ok);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["kind"], "arm");
    assert_eq!(v["error"]["status"], 403);
    assert_eq!(v["error"]["code"], "AuthorizationFailed");
    assert!(v["error"]["request_ids"]["x-ms-request-id"].is_string());
    assert!(v["error"]["hint"].as_str().unwrap().contains(NO_ROLE_OID));
}

#[tokio::test]
async fn binary_refuses_plain_http_arm_before_touching_the_network() {
    let run = start(Config::default()).await;
    let (ok, out, _) = tokscope(&[
        "--endpoint",
        &run.base_url(),
        "--flavour",
        "imds",
        "vms",
        "--arm-url",
        "http://example.invalid",
        "--json",
    ])
    .await;
    assert!(!ok);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "config");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("plain HTTP"));
    // Not even the token was fetched.
    assert_eq!(
        run.shared
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[tokio::test]
async fn binary_against_an_endpoint_and_arm_url() {
    let run = start(Config::default()).await;
    let base = run.base_url();
    let (ok, out, err) = tokscope(&[
        "--endpoint",
        &base,
        "--flavour",
        "imds",
        "vms",
        "--arm-url",
        &base,
        "--subscription",
        &sub(),
        "--json",
    ])
    .await;
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["subscription"]["source"], "flag");
    assert_eq!(v["vms"].as_array().unwrap().len(), 23);
    assert_eq!(arm_requests(&run), 3);
}

#[test]
fn emulate_flags_configure_the_arm_side() {
    use clap::Parser;
    let cli = tokscope::cli::Cli::parse_from([
        "tokscope",
        "emulate",
        "--arm-page-size",
        "5",
        "--arm-deny",
        "--arm-fault",
        "429:count=1:retry-after=2",
    ]);
    let Some(tokscope::cli::Command::Emulate(a)) = cli.command else {
        panic!("emulate expected")
    };
    let c = tokscope::commands::emulate::config(&a).unwrap();
    assert_eq!(c.arm_page_size, 5);
    assert!(c.arm_deny_all);
    assert_eq!(c.arm_faults.len(), 1);
    assert_eq!(c.arm_faults[0].retry_after, Some(2));
}

#[tokio::test]
async fn emulator_arm_answers_in_arms_shapes() {
    tokio::time::timeout(LIMIT, async {
        let run = start(Config::default()).await;
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!(
            "{}/subscriptions/{}/providers/Microsoft.Compute/virtualMachines",
            run.base_url(),
            sub()
        );
        // No Authorization header.
        let r = http
            .get(format!("{url}?api-version=2021-07-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer authorization_uri="));
        for h in [
            "x-ms-request-id",
            "x-ms-correlation-request-id",
            "x-ms-routing-request-id",
        ] {
            assert!(r.headers().contains_key(h), "{h}");
        }
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "AuthenticationFailed");

        // A client's correlation id is echoed; api-version is required.
        let tok = token(&run, Identity::SystemAssigned, ARM).await;
        let r = http
            .get(&url)
            .bearer_auth(tok.expose())
            .header("x-ms-correlation-request-id", "0123abcd-0000-0000-0000-000000000000")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.headers()["x-ms-correlation-request-id"],
            "0123abcd-0000-0000-0000-000000000000"
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "MissingApiVersionParameter");

        // An instance view of a VM that does not exist.
        let r = http
            .get(format!(
                "{}/subscriptions/{}/resourceGroups/rg-demo/providers/Microsoft.Compute/virtualMachines/vm-nope/instanceView?api-version=2021-07-01",
                run.base_url(),
                sub()
            ))
            .bearer_auth(tok.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "ResourceNotFound");
    })
    .await
    .unwrap();
}
