//! Every flavour, every expires_on form, every error shape, retries and identities, over HTTP.

mod common;
use common::*;

use tokscope::emulator::{Config, ExpiresOnFormat, Fault};
use tokscope::endpoint::{ExpirySource, Flavour, Identity};
use tokscope::error::ErrorKind;

const FLAVOURS: [Flavour; 6] = [
    Flavour::Imds,
    Flavour::Cloudshell,
    Flavour::Appservice,
    Flavour::Appservice2017,
    Flavour::Arc,
    Flavour::Servicefabric,
];

#[tokio::test]
async fn every_flavour_gets_a_decodable_token() {
    let run = emulator().await;
    let c = client(&run);
    for f in FLAVOURS {
        let ep = endpoint(&run, f, Identity::SystemAssigned);
        let got = c
            .fetch(&ep, ARM)
            .await
            .unwrap_or_else(|e| panic!("{f:?}: {e}"));
        let jwt = tokscope::token::decode(got.token.access_token.expose()).unwrap();
        assert_eq!(jwt.claim_str("aud"), Some(ARM), "{f:?}");
        assert_eq!(got.token.expiry_source, ExpirySource::ExpiresOn, "{f:?}");
        assert_eq!(Some(got.token.expires_on), jwt.claim_i64("exp"), "{f:?}");
        assert!(
            got.token.warnings.is_empty(),
            "{f:?}: {:?}",
            got.token.warnings
        );
    }
}

#[tokio::test]
async fn the_endpoint_caches_until_refresh_before() {
    let run = emulator_with(Config {
        lifetime: 3600,
        refresh_before: 300,
        ..Config::default()
    })
    .await;
    let (c, ep) = (
        client(&run),
        endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
    );
    let a = c.fetch(&ep, ARM).await.unwrap();
    let b = c.fetch(&ep, ARM).await.unwrap();
    assert_eq!(a.token.access_token, b.token.access_token);
    let run = emulator_with(Config {
        lifetime: 100,
        refresh_before: 200,
        ..Config::default()
    })
    .await;
    let (c, ep) = (
        client(&run),
        endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
    );
    let a = c.fetch(&ep, ARM).await.unwrap();
    let b = c.fetch(&ep, ARM).await.unwrap();
    assert_ne!(
        a.token.access_token, b.token.access_token,
        "inside refresh_before a new token is minted"
    );
}

#[tokio::test]
async fn every_expires_on_format_is_understood() {
    for fmt in [
        ExpiresOnFormat::Number,
        ExpiresOnFormat::String,
        ExpiresOnFormat::Windows,
        ExpiresOnFormat::Linux,
        ExpiresOnFormat::Iso,
    ] {
        let run = emulator_with(Config {
            expires_on_format: Some(fmt),
            ..Config::default()
        })
        .await;
        for f in [Flavour::Cloudshell, Flavour::Appservice2017] {
            let got = client(&run)
                .fetch(&endpoint(&run, f, Identity::SystemAssigned), ARM)
                .await
                .unwrap();
            let exp = tokscope::token::decode(got.token.access_token.expose())
                .unwrap()
                .claim_i64("exp");
            assert_eq!(Some(got.token.expires_on), exp, "{fmt:?} via {f:?}");
        }
    }
}

#[tokio::test]
async fn user_assigned_identities_by_each_id() {
    let run = emulator().await;
    let t = &run.shared.tenant;
    let u = &t.user_identities[0];
    let rid = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        t.subscription_id, u.resource_group, u.name
    );
    let c = client(&run);
    let cases = [
        (Flavour::Imds, Identity::ClientId(u.client_id.clone())),
        (Flavour::Imds, Identity::ObjectId(u.object_id.clone())),
        (Flavour::Imds, Identity::ResourceId(rid.clone())),
        (Flavour::Appservice, Identity::ClientId(u.client_id.clone())),
        (Flavour::Appservice, Identity::ObjectId(u.object_id.clone())),
        (Flavour::Appservice, Identity::ResourceId(rid)),
        (
            Flavour::Appservice2017,
            Identity::ClientId(u.client_id.clone()),
        ),
        (Flavour::Cloudshell, Identity::ClientId(u.client_id.clone())),
        (Flavour::Arc, Identity::ClientId(u.client_id.clone())),
    ];
    for (f, id) in cases {
        let got = c
            .fetch(&endpoint(&run, f, id.clone()), ARM)
            .await
            .unwrap_or_else(|e| panic!("{f:?} {id:?}: {e}"));
        let jwt = tokscope::token::decode(got.token.access_token.expose()).unwrap();
        assert_eq!(
            jwt.claim_str("oid"),
            Some(u.object_id.as_str()),
            "{f:?} {id:?}"
        );
        assert!(jwt
            .claim_str("xms_mirid")
            .unwrap()
            .contains("userAssignedIdentities"));
    }
    let err = c
        .fetch(
            &endpoint(&run, Flavour::Servicefabric, Identity::ClientId("x".into())),
            ARM,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Config);
}

#[tokio::test]
async fn unknown_identity_is_named_with_a_next_step() {
    let run = emulator().await;
    let c = client(&run);
    let id = Identity::ClientId("00000000-0000-0000-0000-000000000000".into());
    let e = c
        .fetch(&endpoint(&run, Flavour::Imds, id.clone()), ARM)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.status, e.code.as_deref()),
        (ErrorKind::Endpoint, Some(400), Some("invalid_request"))
    );
    assert_eq!(e.message, "Identity not found");
    assert!(e.hint.contains("assign"));
    let e = c
        .fetch(&endpoint(&run, Flavour::Appservice, id), ARM)
        .await
        .unwrap_err();
    assert_eq!(e.message, "Unable to load the proper Managed Identity.");
    assert!(e.request_ids.iter().any(|(k, _)| k == "correlationId"));
}

#[tokio::test]
async fn unsupported_audience_in_each_shape() {
    let run = emulator().await;
    let c = client(&run);
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Cloudshell, Identity::SystemAssigned),
            "https://newservice.azure.com/",
        )
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("AudienceNotSupported"));
    assert!(e.hint.contains("allow-list"));
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            "https://newservice.azure.com/",
        )
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("invalid_resource"));
    assert!(e.message.starts_with("AADSTS500011"));
}

#[tokio::test]
async fn wrong_secret_is_refused_with_a_hint() {
    let run = emulator().await;
    let c = client(&run);
    for f in [Flavour::Appservice, Flavour::Servicefabric] {
        let mut ep = endpoint(&run, f, Identity::SystemAssigned);
        ep.secret = Some(tokscope::secret::HeaderSecret::new("wrong"));
        let e = c.fetch(&ep, ARM).await.unwrap_err();
        assert!(e.hint.contains("IDENTITY_HEADER"), "{f:?}: {e}");
    }
}

#[tokio::test]
async fn retries_410_then_succeeds() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("410:count=2:retry-after=0").unwrap()],
        ..Config::default()
    })
    .await;
    let c = client_with(&run, quick_retries());
    let got = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap();
    assert_eq!(got.retries, 2);
    assert_eq!(
        run.shared
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
}

#[tokio::test]
async fn retries_stop_at_the_budget_and_say_so() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("503").unwrap()],
        ..Config::default()
    })
    .await;
    let c = client_with(&run, quick_retries());
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(503));
    assert!(e.message.contains("after 5 retries"), "{}", e.message);
}

#[tokio::test]
async fn no_retry_on_400() {
    let run = emulator().await;
    let c = client_with(&run, quick_retries());
    let _ = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::ClientId("nobody".into())),
            ARM,
        )
        .await
        .unwrap_err();
    assert_eq!(
        run.shared
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn bad_bodies_on_200_are_clear_errors() {
    for (spec, needle) in [
        ("html", "HTML page"),
        ("empty", "not JSON"),
        ("truncated", "cut short"),
    ] {
        let run = emulator_with(Config {
            faults: vec![Fault::parse(spec).unwrap()],
            ..Config::default()
        })
        .await;
        let e = client(&run)
            .fetch(
                &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
                ARM,
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadResponse, "{spec}: {e}");
        assert!(e.message.contains(needle), "{spec}: {}", e.message);
        assert!(!contains_jwt(&e.to_string()));
    }
}

#[tokio::test]
async fn a_reset_connection_is_named() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("reset").unwrap()],
        ..Config::default()
    })
    .await;
    let e = client(&run)
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connect);
    assert!(e.message.contains("broke before a complete answer"), "{e}");
}

#[tokio::test]
async fn connection_refused_names_the_flavour_and_why() {
    let run = emulator().await;
    let ep = endpoint(&run, Flavour::Cloudshell, Identity::SystemAssigned);
    let c = client(&run);
    drop(run);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let e = c.fetch(&ep, ARM).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connect);
    assert!(
        e.hint.contains("Cloud Shell") && e.hint.contains("MSI_ENDPOINT"),
        "{}",
        e.hint
    );
}

#[tokio::test]
async fn a_hanging_endpoint_times_out() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("hang").unwrap()],
        ..Config::default()
    })
    .await;
    let c = tokscope::endpoint::TokenClient::new(tokscope::endpoint::ClientOptions {
        retry: tokscope::endpoint::RetryPolicy::none(),
        timeout: std::time::Duration::from_millis(300),
        arc_key_dir: run.shared.config.arc_key_dir.clone(),
    })
    .unwrap();
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn arc_refuses_a_realm_outside_its_key_folder() {
    let run = emulator().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let c = tokscope::endpoint::TokenClient::new(tokscope::endpoint::ClientOptions {
        retry: tokscope::endpoint::RetryPolicy::none(),
        timeout: std::time::Duration::from_secs(5),
        arc_key_dir: elsewhere.path().to_path_buf(),
    })
    .unwrap();
    let e = c
        .fetch(&endpoint(&run, Flavour::Arc, Identity::SystemAssigned), ARM)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("outside the agent's token folder"),
        "{e}"
    );
}

#[tokio::test]
async fn expired_and_wrong_aud_tokens_are_reported_not_hidden() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("expired").unwrap()],
        ..Config::default()
    })
    .await;
    let got = client(&run)
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap();
    assert!(got.token.expires_on < chrono::Utc::now().timestamp());
    let run = emulator_with(Config {
        faults: vec![Fault::parse("wrong-aud").unwrap()],
        ..Config::default()
    })
    .await;
    let got = client(&run)
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap();
    let jwt = tokscope::token::decode(got.token.access_token.expose()).unwrap();
    assert_ne!(jwt.claim_str("aud"), Some(ARM));
}

#[tokio::test]
async fn faults_change_while_the_emulator_runs() {
    let run = emulator().await;
    let (c, ep) = (
        client(&run),
        endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
    );
    c.fetch(&ep, ARM).await.unwrap();
    let admin = format!("{}/admin/faults", run.base_url());
    let http = reqwest::Client::new();
    let r = http
        .post(&admin)
        .body("500:count=1\n")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(c.fetch(&ep, ARM).await.unwrap_err().status, Some(500));
    c.fetch(&ep, ARM).await.unwrap();
    let r = http.post(&admin).body("teapot\n").send().await.unwrap();
    assert_eq!(r.status(), 400);
    http.post(&admin).body("html").send().await.unwrap();
    assert_eq!(
        c.fetch(&ep, ARM).await.unwrap_err().kind,
        ErrorKind::BadResponse
    );
    assert_eq!(http.delete(&admin).send().await.unwrap().status(), 204);
    c.fetch(&ep, ARM).await.unwrap();
}
