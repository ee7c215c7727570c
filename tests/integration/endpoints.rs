//! Every flavour, every expires_on form, every error shape, retries and identities, over HTTP.

use crate::common;
use crate::common::*;

use serde_json::Value;
use tokscope::emulator::{Config, ExpiresOnFormat, Fault};
use tokscope::endpoint::{ExpirySource, Flavour, Identity};
use tokscope::error::ErrorKind;

const FLAVOURS: [Flavour; 7] = [
    Flavour::Imds,
    Flavour::Cloudshell,
    Flavour::Appservice,
    Flavour::Appservice2017,
    Flavour::Azureml,
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
        ExpiresOnFormat::Docs,
    ] {
        let run = emulator_with(Config {
            expires_on_format: Some(fmt),
            ..Config::default()
        })
        .await;
        for f in [
            Flavour::Cloudshell,
            Flavour::Appservice2017,
            Flavour::Azureml,
        ] {
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
        (Flavour::Azureml, Identity::ClientId(u.client_id.clone())),
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
    let addr = run.addr;
    drop(run);
    until_refused(addr).await;
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
    let http = admin_client(&run);
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

/// `get --json` through the real binary, IMDS on the emulator, bounded in time.
async fn get_json(run: &tokscope::emulator::Running, extra: &[&str]) -> (Option<i32>, Value) {
    let mut cmd = common::tokscope_async();
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
    {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", run.base_url())
        .args(["--retry-max", "0", "--timeout", "1"])
        .args(extra)
        .args(["get", "--json"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), cmd.output())
        .await
        .expect("tokscope get took too long")
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code(), v)
}

#[tokio::test]
async fn get_names_each_fault_with_its_kind() {
    let run = emulator().await;
    let admin = format!("{}/admin/faults", run.base_url());
    let http = admin_client(&run);
    let cases: [(&str, &str, Option<u16>); 8] = [
        ("503", "endpoint", Some(503)),
        ("429:retry-after=1", "endpoint", Some(429)),
        ("hang", "timeout", None),
        ("reset", "connect", None),
        ("truncated", "bad_response", None),
        ("html", "bad_response", None),
        ("empty", "bad_response", None),
        ("no-metadata", "endpoint", Some(400)),
    ];
    for (spec, kind, status) in cases {
        let r = http.post(&admin).body(spec).send().await.unwrap();
        assert!(r.status().is_success(), "{spec}");
        let (code, v) = get_json(&run, &[]).await;
        assert_eq!(code, Some(1), "{spec}: {v}");
        assert_eq!(v["ok"], false, "{spec}: {v}");
        assert_eq!(v["error"]["kind"], kind, "{spec}: {v}");
        assert_eq!(
            v["error"]["status"].as_u64(),
            status.map(u64::from),
            "{spec}: {v}"
        );
        assert!(!v["error"]["hint"].as_str().unwrap().is_empty(), "{spec}");
    }
    // Latency alone is no failure; it shows in the latency.
    http.post(&admin)
        .body("latency=300ms")
        .send()
        .await
        .unwrap();
    let (code, v) = get_json(&run, &[]).await;
    assert_eq!(code, Some(0), "{v}");
    assert!(v["latency_ms"].as_u64().unwrap() >= 300, "{v}");
    assert_eq!(http.delete(&admin).send().await.unwrap().status(), 204);
    let (code, v) = get_json(&run, &[]).await;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0, "{v}");
}

#[tokio::test]
async fn get_warns_about_an_expired_token_and_a_wrong_audience() {
    let run = emulator().await;
    let admin = format!("{}/admin/faults", run.base_url());
    let http = admin_client(&run);
    let warnings = |v: &Value| -> Vec<String> {
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    };

    http.post(&admin)
        .body("expired:count=1")
        .send()
        .await
        .unwrap();
    // Both are unusable: the verdict is FAIL and get exits 2, so `get && call-api` stops.
    let (code, v) = get_json(&run, &[]).await;
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["verdict"]["level"], "fail", "{v}");
    assert!(v["token"]["expires_in_s"].as_i64().unwrap() < 0);
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("served a token that had already expired")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("ExpiredAuthenticationToken")),
        "{w:?}"
    );

    http.post(&admin)
        .body("wrong-aud:count=1")
        .send()
        .await
        .unwrap();
    let (code, v) = get_json(&run, &[]).await;
    assert_eq!(code, Some(2), "{v}");
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.contains("aud is https://wrong-audience.example.com/")),
        "{w:?}"
    );
    assert!(w.iter().all(|w| !w.contains("expired")), "{w:?}");

    // The same audience spelled another way is no mismatch.
    for resource in [
        "https://MANAGEMENT.azure.com",
        "https://management.azure.com/.default",
    ] {
        let (code, v) = get_json(&run, &["-r", resource]).await;
        assert_eq!(code, Some(0), "{v}");
        assert!(
            warnings(&v).iter().all(|w| !w.contains("aud is")),
            "{resource}: {v}"
        );
    }
}

#[tokio::test]
async fn azure_ml_answers_an_integer_and_knows_the_system_client_id() {
    let run = emulator().await;
    let sys = run.shared.tenant.system_identity.clone();
    let b = run.base_url();
    let secret = run.shared.config.identity_header.clone();
    let http = reqwest::Client::new();
    // As msal-node asks: clientid=$DEFAULT_IDENTITY_CLIENT_ID for the system identity.
    let body: Value = http
        .get(format!("{b}/msi/token"))
        .query(&[
            ("api-version", "2017-09-01"),
            ("resource", ARM),
            ("clientid", sys.client_id.as_str()),
        ])
        .header("secret", &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["expires_on"].is_i64(), "{body}");
    let jwt = tokscope::token::decode(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(jwt.claim_str("appid"), Some(sys.client_id.as_str()));
    // The legacy App Service path keeps its date strings.
    let legacy: Value = http
        .get(format!("{b}{}", tokscope::emulator::APPSERVICE2017_PATH))
        .query(&[("api-version", "2017-09-01"), ("resource", ARM)])
        .header("secret", &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        legacy["expires_on"].as_str().unwrap().contains('/'),
        "{legacy}"
    );

    // tokscope reads the pair as Azure ML and sends DEFAULT_IDENTITY_CLIENT_ID.
    let ep = endpoint(&run, Flavour::Azureml, Identity::SystemAssigned);
    assert_eq!(ep.system_client_id.as_deref(), Some(sys.client_id.as_str()));
    let call = tokscope::endpoint::request::build(&ep, ARM, None).unwrap();
    assert!(call
        .query
        .iter()
        .any(|(k, v)| *k == "clientid" && *v == sys.client_id));
    let got = client(&run).fetch(&ep, ARM).await.unwrap();
    assert_eq!(got.token.expiry_source, ExpirySource::ExpiresOn);
}

#[tokio::test]
async fn non_imds_flavours_retry_three_times_as_the_sdks_do() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("500").unwrap()],
        ..Config::default()
    })
    .await;
    let c = client_with(&run, quick_retries());
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Appservice, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("after 3 retries"), "{e}");
    let e = c
        .fetch(
            &endpoint(&run, Flavour::Imds, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("after 5 retries"), "{e}");
}

#[tokio::test]
async fn imds_paths_as_msal_node_spells_them_and_unknown_paths_say_so() {
    let run = emulator().await;
    let b = run.base_url();
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{b}{path}"))
            .query(&[("api-version", "2018-02-01"), ("resource", ARM)])
            .header("Metadata", "true")
            .send()
    };
    for path in [
        "//metadata/identity/oauth2/token",
        "/metadata/identity/oauth2/token/",
        "/Metadata/identity/oauth2/token",
        "/METADATA/IDENTITY/OAUTH2/TOKEN/",
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Unknown paths fail fast (400, not a retried 404) with a body naming the right path.
    let r = get("/metadata/identity/oauth2/tokens").await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("/metadata/identity/oauth2/token"));
    let r = get("/msi/tokn").await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("/msi/token"),
        "{body}"
    );
    let r = get("/nothing").await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn imds_and_arc_echo_the_selector_they_were_given() {
    let run = emulator().await;
    let t = &run.shared.tenant;
    let u = &t.user_identities[0];
    let rid = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        t.subscription_id, u.resource_group, u.name
    );
    let http = reqwest::Client::new();
    for (key, value) in [
        ("client_id", u.client_id.as_str()),
        ("object_id", u.object_id.as_str()),
        ("msi_res_id", rid.as_str()),
    ] {
        let body: Value = http
            .get(format!("{}/metadata/identity/oauth2/token", run.base_url()))
            .query(&[
                ("api-version", "2018-02-01"),
                ("resource", ARM),
                (key, value),
            ])
            .header("Metadata", "true")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body[key], value, "{key}");
        assert_eq!(body["client_id"], u.client_id.as_str(), "{key}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_shell_hands_out_the_signed_in_users_token_and_tokscope_says_so() {
    let run = emulator().await;
    let user = run.shared.tenant.cloud_shell_user.clone();
    let got = client(&run)
        .fetch(
            &endpoint(&run, Flavour::Cloudshell, Identity::SystemAssigned),
            ARM,
        )
        .await
        .unwrap();
    let jwt = tokscope::token::decode(got.token.access_token.expose()).unwrap();
    assert_eq!(jwt.claim_str("idtyp"), Some("user"));
    assert_eq!(jwt.claim_str("upn"), Some(user.upn.as_str()));
    assert_eq!(jwt.claim_str("unique_name"), Some(user.upn.as_str()));
    assert_eq!(jwt.claim_str("scp"), Some("user_impersonation"));
    assert_eq!(jwt.claim_str("name"), Some(user.name.as_str()));
    assert!(jwt.claims["amr"].is_array());
    assert!(jwt.claim_str("xms_mirid").is_none());

    let url = format!("{}/oauth2/token", run.base_url());
    let imds = run.base_url();
    let env = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.as_str())];
    let said = format!("the signed-in user {}", user.upn);
    let (code, out, err) = tokscope(
        &["get", "--flavour", "cloudshell", "--endpoint", &url],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("identity  {said}")), "{out}");
    let (_, out, _) = tokscope(
        &[
            "get",
            "--json",
            "--flavour",
            "cloudshell",
            "--endpoint",
            &url,
        ],
        &env,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["identity"], said.as_str());
    let (_, out, _) = tokscope(
        &["doctor", "--flavour", "cloudshell", "--endpoint", &url],
        &env,
    );
    // The doctor wraps its lines: compare with the wrapping undone.
    let unwrapped = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(unwrapped.contains(&said), "{out}");
    let (_, out, _) = tokscope(
        &["report", "--flavour", "cloudshell", "--endpoint", &url],
        &env,
    );
    assert!(out.contains(&said), "{out}");
}

/// App Service's documented `expires_on` sample (`09/14/2017 00:00:00 PM +00:00`) read literally
/// is nine years ago; the signed `exp` says an hour from now. A gap wider than the token's whole
/// lifetime means the endpoint's field is wrong: the expiry shown is `exp`, with a warning that
/// names the field.
#[test]
fn an_expiry_further_from_exp_than_the_lifetime_gives_way_to_exp() {
    use crate::attack::{hostile_server, json_answer, run};
    use tokscope::token::jwt::encode_part;
    let now = chrono::Utc::now().timestamp();
    let token = format!(
        "{}.{}.c2ln",
        encode_part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        encode_part(&serde_json::json!({
            "aud": ARM, "iat": now, "nbf": now, "exp": now + 3600,
            "oid": "66666666-7777-4888-9999-000000000000", "tid": "72f988bf-0000-4000-8000-000000000001"
        })),
    );
    let base = hostile_server(move |_| {
        json_answer(
            200,
            serde_json::json!({
                "access_token": token, "token_type": "Bearer", "resource": ARM,
                "expires_on": "09/14/2017 00:00:00 PM +00:00",
            }),
        )
    });
    let out = run(
        &["--endpoint", &base, "--flavour", "imds", "get", "--json"],
        &[],
        &base,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["token"]["expires_on_epoch"], now + 3600, "{v:#}");
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("expires_on is wrong") && warnings.contains("the token's exp"),
        "{warnings}"
    );

    // A gap of a few minutes is only noted: the endpoint's own figure stands.
    let near = format!(
        "{}.{}.c2ln",
        encode_part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        encode_part(&serde_json::json!({"aud": ARM, "iat": now, "exp": now + 3600})),
    );
    let base = hostile_server(move |_| {
        json_answer(
            200,
            serde_json::json!({"access_token": near, "resource": ARM, "expires_on": (now + 3300).to_string()}),
        )
    });
    let out = run(
        &["--endpoint", &base, "--flavour", "imds", "get", "--json"],
        &[],
        &base,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token"]["expires_on_epoch"], now + 3300, "{v:#}");
    assert!(v["warnings"].to_string().contains("differ by"), "{v:#}");
}

/// Cloud Shell's refusal of an audience keeps its whole list of supported audiences (never
/// cut in the middle of a URL, in the message or as `detail.supported_audiences`), and the
/// hint names the way out: the Azure CLI, which Cloud Shell is signed in to.
#[test]
fn cloud_shell_names_every_supported_audience_and_the_cli_way_out() {
    let (code, out, err) = common::tokscope(
        &[
            "--demo",
            "--flavour",
            "cloudshell",
            "-r",
            "https://example.com/",
            "get",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let e = &v["error"];
    let list: Vec<&str> = e["detail"]["supported_audiences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(list.len() >= 10, "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(!message.contains('…'), "{message}");
    assert!(message.ends_with(list[list.len() - 1]), "{message}");
    for aud in &list {
        assert!(message.contains(aud), "{aud}: {message}");
    }
    let hint = e["hint"].as_str().unwrap();
    assert!(
        hint.contains("az account get-access-token --resource https://example.com/")
            && hint.contains("tokscope --flavour azcli"),
        "{hint}"
    );
}
