//! `tokscope emulate --tls`: every route over HTTPS on 127.0.0.1 with a CA made at start, trusted
//! by tokscope's clients only when told (here through `trust::add`, as `--ca-file` does).

use std::time::Duration;

use crate::common::*;
use serde_json::Value;
use tokscope::arm;
use tokscope::emulator::{Config, Running};
use tokscope::endpoint::{Flavour, Identity};
use tokscope::error::ErrorKind;
use tokscope::net::trust;

async fn tls_emulator() -> Running {
    emulator_with(Config {
        tls: true,
        ..Config::default()
    })
    .await
}

/// Trust this run's CA in clients built from now on, as `--ca-file` does in the binary.
fn trust_ca(run: &Running) {
    trust::add(trust::load("test", run.ca_pem_path().unwrap()).unwrap());
}

#[tokio::test]
async fn the_base_url_and_ca_file_say_https() {
    let run = tls_emulator().await;
    assert!(run.base_url().starts_with("https://127.0.0.1:"));
    let ca = run.ca_pem_path().unwrap().to_path_buf();
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(run.server_thumbprint().unwrap().len(), 40);
    let exports = run.exports();
    for name in [
        "REQUESTS_CA_BUNDLE=",
        "NODE_EXTRA_CA_CERTS=",
        "CURL_CA_BUNDLE=",
        "IDENTITY_SERVER_THUMBPRINT=",
    ] {
        assert!(exports.contains(name), "{name} missing from\n{exports}");
    }
    assert!(!exports.contains("http://"), "{exports}");
    drop(run);
    assert!(!ca.exists(), "a temporary CA file goes with the emulator");
}

#[tokio::test]
async fn a_client_that_was_not_told_refuses_the_certificate() {
    let run = tls_emulator().await;
    let plain = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = plain
        .get(format!("{}/metadata/instance", run.base_url()))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect(), "{e}");
}

#[tokio::test]
async fn a_client_trusting_the_ca_file_gets_a_token_on_every_name_of_loopback() {
    let run = tls_emulator().await;
    let ca = reqwest::Certificate::from_pem(run.ca_pem().unwrap().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let port = run.addr.port();
    for host in ["127.0.0.1", "localhost", "[::1]"] {
        let url = format!("https://{host}:{port}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={ARM}");
        // ::1 answers only where the emulator listens on it; the name must verify where it does.
        let Ok(resp) = http.get(&url).header("metadata", "true").send().await else {
            assert_eq!(host, "[::1]", "{url} did not answer");
            continue;
        };
        assert_eq!(resp.status(), 200, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["access_token"].as_str().unwrap().starts_with("eyJ"));
    }
}

#[tokio::test]
async fn tokscope_fetches_every_flavour_over_https_once_told() {
    let run = tls_emulator().await;
    trust_ca(&run);
    let client = client(&run);
    for flavour in [
        Flavour::Imds,
        Flavour::Cloudshell,
        Flavour::Appservice,
        Flavour::Appservice2017,
        Flavour::Azureml,
        Flavour::Arc,
    ] {
        let ep = endpoint(&run, flavour, Identity::SystemAssigned);
        assert!(ep.url.expose().starts_with("https://"), "{}", ep.url);
        let got = client.fetch(&ep, ARM).await;
        assert!(got.is_ok(), "{flavour:?}: {:?}", got.err());
    }
}

#[tokio::test]
async fn service_fabric_over_https_pins_the_printed_thumbprint() {
    let run = tls_emulator().await;
    let thumb = run.server_thumbprint().unwrap().to_string();
    let b = run.base_url();
    let secret = run.shared.config.identity_header.clone();
    let env = |thumb: &str| {
        tokscope::endpoint::EnvSnapshot::from_pairs([
            ("IDENTITY_ENDPOINT", format!("{b}/sf/token").as_str()),
            ("IDENTITY_HEADER", secret.as_str()),
            ("IDENTITY_SERVER_THUMBPRINT", thumb),
        ])
    };
    let ov = tokscope::endpoint::Overrides::default();
    let ep = tokscope::endpoint::detect(&env(&thumb), &ov).unwrap();
    assert_eq!(ep.flavour, Flavour::Servicefabric);
    let got = client(&run).fetch(&ep, ARM).await.unwrap();
    assert!(got.token.expires_on > 0);
    let wrong = tokscope::endpoint::detect(&env(&"0".repeat(40)), &ov).unwrap();
    let e = client(&run).fetch(&wrong, ARM).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connect, "{e}");
}

#[tokio::test]
async fn arm_next_links_keep_the_https_scheme_and_host() {
    let run = tls_emulator().await;
    trust_ca(&run);
    let ep = endpoint(&run, Flavour::Imds, Identity::SystemAssigned);
    let tok = client(&run)
        .fetch(&ep, ARM)
        .await
        .unwrap()
        .token
        .access_token;
    let arm_client = arm::Client::new(&run.base_url()).unwrap();
    let sub = tokscope::assets::demo_tenant().subscription_id;
    let list = arm::list_vms(&arm_client, &tok, &sub, None, false)
        .await
        .unwrap();
    assert_eq!(list.pages, 3);
    for r in &list.requests {
        assert!(r.url.starts_with(&run.base_url()), "{}", r.url);
    }
}

#[test]
fn the_binary_trusts_the_ca_only_when_told() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run = rt.block_on(tls_emulator());
    let ca = run.ca_pem_path().unwrap().to_str().unwrap().to_string();
    let host = run.base_url();
    let base = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", host.as_str())];
    let (code, _, err) = tokscope(&["get", "--retry-max", "0"], &base);
    assert_ne!(code, 0);
    assert!(
        err.contains("not trusted") && err.contains("--ca-file"),
        "{err}"
    );
    let (code, out, err) = tokscope(&["get", "--ca-file", &ca], &base);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sha256:"), "{out}");
    for var in trust::CA_VARS {
        let env = [base[0], (var, ca.as_str())];
        let (code, _, err) = tokscope(&["get"], &env);
        assert_eq!(code, 0, "{var}: {err}");
    }
}

#[tokio::test]
async fn metadata_endpoints_name_the_emulator_as_arm_and_login() {
    let run = tls_emulator().await;
    let ca = reqwest::Certificate::from_pem(run.ca_pem().unwrap().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let get = |api: &'static str| {
        let url = format!("{}/metadata/endpoints?api-version={api}", run.base_url());
        let http = http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // What `az cloud register --endpoint-resource-manager` asks for.
    let one = get("2022-09-01").await;
    assert_eq!(one["resourceManager"], format!("{}/", run.base_url()));
    assert_eq!(one["authentication"]["loginEndpoint"], run.base_url());
    assert_eq!(
        one["authentication"]["audiences"][0],
        "https://management.core.windows.net/"
    );
    assert_eq!(one["name"], "AzureCloud");
    let list = get("2019-05-01").await;
    assert_eq!(list[0]["resourceManager"], one["resourceManager"]);
    let legacy = get("2015-01-01").await;
    assert!(legacy["authentication"]["loginEndpoint"].is_string());
}
