//! The doctor and the support report, against the real emulator on 127.0.0.1.

use crate::common;

use std::time::Duration;

use tokscope::arm::{Cloud, Target};
use tokscope::doctor::{self, environment, token as checks, Diagnosis, Status};
use tokscope::emulator::{self, Config, Fault, Running};
use tokscope::endpoint::{self, ClientOptions, EnvSnapshot, Overrides, RetryPolicy, TokenClient};
use tokscope::report;
use tokscope::token::jwt::encode_part;

const ARM: &str = "https://management.azure.com/";

async fn emulator_with(config: Config) -> Running {
    emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn faulty(spec: &str) -> Config {
    Config {
        faults: vec![Fault::parse(spec).unwrap()],
        ..Config::default()
    }
}

fn client() -> TokenClient {
    TokenClient::new(ClientOptions {
        retry: RetryPolicy::none(),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// Environment pointing IMDS at the emulator, plus any extra variables.
fn imds_env(run: &Running, extra: &[(&str, &str)]) -> EnvSnapshot {
    let base = run.base_url();
    let mut pairs = vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str())];
    pairs.extend_from_slice(extra);
    EnvSnapshot::from_pairs(pairs)
}

async fn diagnose(run: &Running, env: &EnvSnapshot, resource: &str) -> Diagnosis {
    let opts = doctor::Options {
        resource: resource.into(),
        authority: Some(run.base_url()),
        arm: None,
        demo: false,
        federation: None,
    };
    doctor::diagnose(env, &Overrides::default(), &client(), &opts).await
}

fn status(d: &Diagnosis, name: &str) -> Status {
    d.check(name)
        .unwrap_or_else(|| panic!("no {name} check in {:?}", d.checks))
        .status
}

#[tokio::test]
async fn healthy_endpoint_passes_every_check() {
    let run = emulator_with(Config::default()).await;
    let d = diagnose(&run, &imds_env(&run, &[]), ARM).await;
    for c in &d.checks {
        assert_eq!(c.status, Status::Pass, "{c:?}");
    }
    assert_eq!(d.exit_code(), 0);
    assert!(d.ok());
    assert!(d.jwt.is_some());
    let json = doctor::render::json(&d);
    assert_eq!(json["ok"], true);
    assert_eq!(json["summary"]["pass"], d.checks.len());
    assert_eq!(json["checks"][0]["name"], "environment");
    assert_eq!(json["checks"][0]["status"], "pass");
}

#[tokio::test]
async fn missing_metadata_header_answer_blames_a_proxy() {
    let run = emulator_with(faulty("no-metadata")).await;
    let d = diagnose(&run, &imds_env(&run, &[]), ARM).await;
    let token = d.check(checks::TOKEN).unwrap();
    assert_eq!(token.status, Status::Fail);
    assert!(token
        .evidence
        .contains("Required metadata header not specified"));
    assert!(token.hint.contains("strips the header"), "{}", token.hint);
    // The endpoint did answer: that part is fine.
    assert_eq!(status(&d, checks::ENDPOINT), Status::Pass);
    assert_eq!(status(&d, checks::JWT), Status::Skip);
    assert_eq!(d.exit_code(), 2);
}

#[tokio::test]
async fn unsupported_audience_fails_with_the_endpoints_code() {
    let run = emulator_with(Config::default()).await;
    let odd = "https://newservice.azure.com/";
    let cloudshell = EnvSnapshot::from_pairs([(
        "MSI_ENDPOINT",
        format!("{}/oauth2/token", run.base_url()).as_str(),
    )]);
    let d = diagnose(&run, &cloudshell, odd).await;
    let token = d.check(checks::TOKEN).unwrap();
    assert_eq!(token.status, Status::Fail);
    assert!(token.evidence.contains("AudienceNotSupported"), "{token:?}");
    assert!(token.hint.contains("allow-list"), "{token:?}");

    let d = diagnose(&run, &imds_env(&run, &[]), odd).await;
    let token = d.check(checks::TOKEN).unwrap();
    assert_eq!(token.status, Status::Fail);
    assert!(token.evidence.contains("invalid_resource"), "{token:?}");
    assert_eq!(d.exit_code(), 2);
}

#[tokio::test]
async fn skewed_clock_warns_at_three_minutes_and_fails_at_ten() {
    for (skew, expected) in [
        (180, Status::Warn),
        (600, Status::Fail),
        (-600, Status::Fail),
    ] {
        let run = emulator_with(Config {
            clock_skew: skew,
            ..Config::default()
        })
        .await;
        let d = diagnose(&run, &imds_env(&run, &[]), ARM).await;
        let clock = d.check(checks::CLOCK).unwrap();
        assert_eq!(clock.status, expected, "skew {skew}: {clock:?}");
        let word = if skew > 0 { "ahead" } else { "behind" };
        assert!(clock.evidence.contains(word), "{clock:?}");
        assert!(!clock.hint.is_empty());
    }
}

#[tokio::test]
async fn the_emulators_date_header_follows_its_skewed_clock() {
    let run = emulator_with(Config {
        clock_skew: 3600,
        ..Config::default()
    })
    .await;
    let ep = endpoint::detect(&imds_env(&run, &[]), &Overrides::default()).unwrap();
    let f = client().fetch(&ep, ARM).await.unwrap();
    let skew = f.server_date.unwrap() - f.received_at;
    assert!((3590..=3610).contains(&skew), "Date is {skew} s off");
}

#[tokio::test]
async fn proxy_without_no_proxy_warns() {
    let run = emulator_with(Config::default()).await;
    let env = imds_env(&run, &[("HTTPS_PROXY", "http://proxy.invalid:3128")]);
    let d = diagnose(&run, &env, ARM).await;
    let proxy = d.check(environment::PROXY).unwrap();
    assert_eq!(proxy.status, Status::Warn);
    assert!(proxy.evidence.contains("HTTPS_PROXY"));
    assert!(!proxy.evidence.contains("proxy.invalid"), "values stay out");
    assert!(proxy.hint.contains("NO_PROXY"));
    // tokscope bypasses the proxy, so the token still arrives.
    assert_eq!(status(&d, checks::TOKEN), Status::Pass);
    assert_eq!(d.exit_code(), 1);

    let partial =
        EnvSnapshot::from_pairs([("http_proxy", "http://p:1"), ("no_proxy", "localhost")]);
    let check = environment::proxy(&partial, &[]);
    assert_eq!(check.status, Status::Warn);
    assert!(check.evidence.contains("169.254.169.254"));

    let covered = EnvSnapshot::from_pairs([
        ("HTTP_PROXY", "http://p:1"),
        ("NO_PROXY", "169.254.169.254,localhost,127.0.0.1"),
    ]);
    assert_eq!(environment::proxy(&covered, &[]).status, Status::Pass);
}

#[tokio::test]
async fn wrong_audience_fails_the_jwt_check() {
    let run = emulator_with(faulty("wrong-aud")).await;
    let d = diagnose(&run, &imds_env(&run, &[]), ARM).await;
    let jwt = d.check(checks::JWT).unwrap();
    assert_eq!(jwt.status, Status::Fail);
    assert!(
        jwt.evidence.contains("wrong-audience.example.com"),
        "{jwt:?}"
    );
    assert!(jwt.hint.contains("InvalidAuthenticationTokenAudience"));
}

#[tokio::test]
async fn audience_compares_without_case_or_trailing_slash() {
    assert!(checks::same_audience(
        "https://management.azure.com/",
        "https://Management.Azure.com"
    ));
    assert!(!checks::same_audience(
        "https://management.azure.com/",
        "https://vault.azure.net"
    ));
}

/// A token from the emulator with its claims changed and its signature kept.
fn tampered(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = tokscope::token::decode(token).unwrap().claims;
    claims.insert("oid".into(), "00000000-0000-0000-0000-000000000000".into());
    format!(
        "{}.{}.{}",
        parts[0],
        encode_part(&serde_json::Value::Object(claims)),
        parts[2]
    )
}

#[tokio::test]
async fn tampered_token_fails_the_signature_check() {
    let run = emulator_with(Config::default()).await;
    let ep = endpoint::detect(&imds_env(&run, &[]), &Overrides::default()).unwrap();
    let raw = client().fetch(&ep, ARM).await.unwrap();
    let raw = raw.token.access_token.expose().to_string();
    let base = run.base_url();

    let good = tokscope::token::decode(&raw).unwrap();
    assert_eq!(
        checks::signature(&good, Some(&base)).await.status,
        Status::Pass
    );
    let bad = tokscope::token::decode(&tampered(&raw)).unwrap();
    let check = checks::signature(&bad, Some(&base)).await;
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(check.evidence.contains("does not match"));
}

#[tokio::test]
async fn unreachable_keys_skip_and_graph_tokens_are_not_verifiable() {
    let run = emulator_with(Config::default()).await;
    let ep = endpoint::detect(&imds_env(&run, &[]), &Overrides::default()).unwrap();
    let raw = client().fetch(&ep, ARM).await.unwrap();
    let jwt = tokscope::token::decode(raw.token.access_token.expose()).unwrap();
    let closed = closed_port().await;
    let check = checks::signature(&jwt, Some(&format!("http://127.0.0.1:{closed}"))).await;
    assert_eq!(check.status, Status::Skip, "{check:?}");

    let mut graph = jwt.clone();
    graph.header.insert("nonce".into(), "abc".into());
    let check = checks::signature(&graph, Some(&run.base_url())).await;
    assert_eq!(check.status, Status::Skip);
    assert!(check.evidence.contains("not verifiable by design"));
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn unreachable_endpoint_fails_and_skips_the_rest() {
    let port = closed_port().await;
    let env = EnvSnapshot::from_pairs([(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        format!("http://127.0.0.1:{port}").as_str(),
    )]);
    let opts = doctor::Options {
        resource: ARM.into(),
        authority: Some(format!("http://127.0.0.1:{port}")),
        arm: Some(
            Target::new(
                Cloud::Public,
                Some(&format!("http://127.0.0.1:{port}")),
                None,
                Duration::from_secs(15),
            )
            .unwrap(),
        ),
        demo: false,
        federation: None,
    };
    let d = doctor::diagnose(&env, &Overrides::default(), &client(), &opts).await;
    assert_eq!(status(&d, checks::ENDPOINT), Status::Fail);
    for n in [checks::TOKEN, checks::JWT, checks::CLOCK, checks::SIGNATURE] {
        assert_eq!(status(&d, n), Status::Skip, "{n}");
    }
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Skip);
    assert_eq!(arm.evidence, "no token: see the token check");
    assert_eq!(d.exit_code(), 2);
}

#[test]
fn environment_conflicts_are_named() {
    let check = |pairs: &[(&str, &str)]| {
        let env = EnvSnapshot::from_pairs(pairs.iter().copied());
        let ov = Overrides::default();
        environment::environment(&env, &ov, &endpoint::detect(&env, &ov), false)
    };
    let c = check(&[
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token"),
        ("MSI_ENDPOINT", "http://127.0.0.1:9/oauth2/token"),
    ]);
    assert_eq!(c.status, Status::Fail);
    assert!(c.hint.contains("MSI_ENDPOINT is hidden"), "{c:?}");

    let c = check(&[("MSI_SECRET", "s")]);
    assert_eq!(c.status, Status::Warn);
    assert!(c
        .evidence
        .contains("MSI_SECRET is set without MSI_ENDPOINT"));
    assert!(!c.evidence.contains("=s"), "names only");

    let c = check(&[
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token"),
        ("IDENTITY_HEADER", "secret-value"),
        ("MSI_ENDPOINT", "http://127.0.0.1:9/other"),
    ]);
    assert_eq!(c.status, Status::Warn);
    assert!(c.evidence.contains("appservice"));
    assert!(!c.evidence.contains("secret-value"));

    let c = check(&[("IDENTITY_HEADER", "orphan-header-3b8d")]);
    assert_eq!(c.status, Status::Warn);
    let c = check(&[]);
    assert_eq!(c.status, Status::Pass);
    assert!(c.evidence.contains("imds"));
}

#[tokio::test]
async fn report_never_contains_the_token() {
    let run = emulator_with(Config::default()).await;
    let env = imds_env(&run, &[]);
    let d = diagnose(&run, &env, ARM).await;
    // The emulator caches: asking again returns the token the doctor saw.
    let ep = endpoint::detect(&env, &Overrides::default()).unwrap();
    let f = client().fetch(&ep, ARM).await.unwrap();
    let raw = f.token.access_token.expose();
    assert_eq!(
        d.fingerprint.as_deref(),
        Some(f.token.access_token.fingerprint().as_str())
    );
    let signature = raw.rsplit('.').next().unwrap();
    let signing_input = &raw[..raw.len() - signature.len() - 1];

    for format in [report::Format::Md, report::Format::Json] {
        let text = report::build(&d, format);
        assert!(!text.contains(raw), "{format:?} holds the token");
        assert!(!text.contains(signature), "{format:?} holds the signature");
        assert!(!text.contains(signing_input));
        assert!(common::jwt_shaped(&text).is_empty(), "{format:?}");
        assert!(text.contains(&f.token.access_token.fingerprint()));
        assert!(text.contains(env!("CARGO_PKG_VERSION")));
        assert!(text.contains(std::env::consts::OS));
        assert!(text.contains("xms_mirid"), "claims are in");
    }
    let json: serde_json::Value =
        serde_json::from_str(&report::build(&d, report::Format::Json)).unwrap();
    assert_eq!(json["doctor"]["ok"], true);
    assert_eq!(json["token"]["header"]["alg"], "RS256");
    assert!(json["token"]["times"]["exp"]["utc"].is_string());
    assert_eq!(json["tokscope_version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn report_carries_request_ids_from_a_failure() {
    let run = emulator_with(faulty("400")).await;
    let secret = run.shared.config.identity_header.clone();
    let url = format!("{}/msi/token", run.base_url());
    let env = EnvSnapshot::from_pairs([
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", secret.as_str()),
    ]);
    let d = diagnose(&run, &env, ARM).await;
    assert_eq!(status(&d, checks::TOKEN), Status::Fail);
    assert!(!d.request_ids.is_empty());
    let md = report::build(&d, report::Format::Md);
    assert!(md.contains(&d.request_ids[0].1));
    assert!(!md.contains(&secret), "the identity header stays out");
}

fn tokscope(args: &[&str]) -> std::process::Output {
    common::tokscope_command().args(args).output().unwrap()
}

#[test]
fn binary_demo_doctor_json_passes() {
    let out = tokscope(&["--demo", "doctor", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["summary"]["fail"], 0);
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "environment",
            "proxy",
            "endpoint",
            "token",
            "identity",
            "jwt",
            "clock",
            "signature",
            "who-answered",
            "imds-probes"
        ]
    );
}

#[test]
fn binary_demo_doctor_fails_for_an_unsupported_audience() {
    let out = tokscope(&[
        "--demo",
        "--flavour",
        "cloudshell",
        "-r",
        "https://newservice.azure.com/",
        "doctor",
        "--arm",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  token"), "{text}");
    assert!(text.contains("AudienceNotSupported"));
    // No token for the resource asked, but ARM's own is allowed: the ARM check still runs.
    assert!(text.contains("PASS  arm"), "{text}");
}

#[test]
fn binary_demo_report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = tokscope(&[
        "--demo",
        "report",
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(common::jwt_shaped(&text).is_empty());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["doctor"]["ok"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("report written to"));
}

/// The demo tenant's identity that holds no role on the subscription.
const NO_ROLE_CLIENT_ID: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";

/// The doctor with `--arm` against the emulator's own ARM, IMDS pointed at it.
async fn diagnose_arm(run: &Running, resource: &str, arm_url: &str) -> Diagnosis {
    let opts = doctor::Options {
        resource: resource.into(),
        authority: Some(run.base_url()),
        arm: Some(
            Target::new(Cloud::Public, Some(arm_url), None, Duration::from_secs(15)).unwrap(),
        ),
        demo: false,
        federation: None,
    };
    doctor::diagnose(&imds_env(run, &[]), &Overrides::default(), &client(), &opts).await
}

#[tokio::test]
async fn arm_check_passes_with_the_subscription_source_and_vm_count() {
    let run = emulator_with(Config::default()).await;
    let d = diagnose_arm(&run, ARM, &run.base_url()).await;
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Pass, "{arm:?}");
    let vms = tokscope::assets::demo_tenant().vms.len();
    assert!(arm.evidence.contains(&format!("{vms} VMs")), "{arm:?}");
    assert!(arm.evidence.contains("from the VM's instance metadata"));
    assert!(arm.evidence.contains(&run.base_url()));
    assert!(d
        .request_ids
        .iter()
        .any(|(k, v)| k == "arm x-ms-request-id" && arm.evidence.contains(v.as_str())));
    assert_eq!(d.exit_code(), 0);
}

#[tokio::test]
async fn arm_check_fetches_arms_own_token_for_another_resource() {
    let run = emulator_with(Config::default()).await;
    let d = diagnose_arm(&run, "https://graph.microsoft.com/", &run.base_url()).await;
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Pass, "{arm:?}");
    assert!(arm.evidence.contains("ARM needs a token for"));
}

#[tokio::test]
async fn arm_check_names_an_expired_token() {
    let run = emulator_with(faulty("expired")).await;
    let d = diagnose_arm(&run, ARM, &run.base_url()).await;
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Fail, "{arm:?}");
    assert!(arm.evidence.contains("401 ExpiredAuthenticationToken"));
    assert!(arm.evidence.contains("x-ms-request-id"));
    assert!(arm.hint.contains("expired"));
    assert_eq!(d.exit_code(), 2);
}

#[tokio::test]
async fn arm_check_names_a_token_for_the_wrong_audience() {
    let run = emulator_with(faulty("wrong-aud")).await;
    let d = diagnose_arm(&run, ARM, &run.base_url()).await;
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Fail, "{arm:?}");
    assert!(
        arm.evidence.contains("InvalidAuthenticationToken"),
        "{arm:?}"
    );
    assert!(arm.hint.contains(ARM), "{arm:?}");
}

#[tokio::test]
async fn arm_check_fails_when_arm_is_unreachable() {
    let run = emulator_with(Config::default()).await;
    let port = closed_port().await;
    let d = diagnose_arm(&run, ARM, &format!("http://127.0.0.1:{port}")).await;
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Fail, "{arm:?}");
    assert!(arm.evidence.contains("unreachable"), "{arm:?}");
    assert!(!arm.hint.is_empty());
}

#[tokio::test]
async fn arm_check_skips_when_no_arm_token_comes() {
    // The endpoint hands out Graph tokens only: the doctor's own checks pass, ARM gets no token.
    let run = emulator_with(Config {
        audiences: vec!["https://graph.microsoft.com/".into()],
        ..Config::default()
    })
    .await;
    let d = diagnose_arm(&run, "https://graph.microsoft.com/", &run.base_url()).await;
    assert_eq!(status(&d, checks::TOKEN), Status::Pass);
    let arm = d.check(doctor::arm::ARM).unwrap();
    assert_eq!(arm.status, Status::Skip, "{arm:?}");
    assert!(arm
        .evidence
        .starts_with("no token for https://management.azure.com/"));
    assert_eq!(
        run.shared
            .arm_requests
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[test]
fn binary_demo_doctor_arm_passes() {
    let out = tokscope(&["--demo", "doctor", "--arm", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arm = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "arm")
        .unwrap();
    assert_eq!(arm["status"], "pass", "{arm}");
    let vms = tokscope::assets::demo_tenant().vms.len();
    assert!(arm["evidence"]
        .as_str()
        .unwrap()
        .contains(&format!("VM list permitted: {vms} VMs")));
}

#[test]
fn binary_demo_doctor_arm_fails_for_the_identity_without_a_role() {
    let out = tokscope(&[
        "--demo",
        "--client-id",
        NO_ROLE_CLIENT_ID,
        "doctor",
        "--arm",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  arm"), "{text}");
    assert!(text.contains("403 AuthorizationFailed"), "{text}");
    assert!(text.contains("x-ms-request-id"), "{text}");
    // The verdict joins the evidence, and its fix is the hint.
    assert!(text.contains("why: no_role"), "{text}");
    assert!(text.contains("--role \"Reader\""), "{text}");
}

#[test]
fn binary_demo_report_carries_the_arm_check_and_its_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = tokscope(&[
        "--demo",
        "--client-id",
        NO_ROLE_CLIENT_ID,
        "report",
        "--arm",
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(common::jwt_shaped(&text).is_empty());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let arm = v["doctor"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "arm")
        .unwrap();
    assert_eq!(arm["status"], "fail");
    assert!(arm["hint"].as_str().unwrap().contains("Reader"));
    let id = v["request_ids"]["arm x-ms-request-id"].as_str().unwrap();
    assert!(arm["evidence"].as_str().unwrap().contains(id));

    let md = tokscope(&[
        "--demo",
        "--client-id",
        NO_ROLE_CLIENT_ID,
        "report",
        "--arm",
    ]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("| FAIL | arm |"), "{md}");
    assert!(md.contains("- arm x-ms-request-id: "), "{md}");
}
