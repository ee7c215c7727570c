//! One token, one verdict: `get`, `decode`, doctor, the report and the verdict the terminal UI
//! renders (`inspect`, in process) agree on OK / WARN / FAIL for each kind of token the real
//! emulator can hand out, and `get` and `decode` exit by it.

use serde_json::Value;
use tokscope::emulator::{Config, Fault};
use tokscope::endpoint::{self, Flavour, Overrides};
use tokscope::verdict::{self, Activity, Arrival, Cause, Level, TokenInput};

use crate::common::{self, emulator_with, tokscope, ARM};

/// One row: how the emulator is set up, the verdict every front end that fetched must give
/// (level and first cause), and `decode`'s level, which knows nothing of the fetch (no skew,
/// no arrival time) and so can only judge what the token itself shows.
struct Case {
    name: &'static str,
    fault: Option<&'static str>,
    clock_skew: i64,
    level: &'static str,
    cause: Option<&'static str>,
    decode_level: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "good",
        fault: None,
        clock_skew: 0,
        level: "ok",
        cause: None,
        decode_level: "ok",
    },
    Case {
        name: "expired",
        fault: Some("expired"),
        clock_skew: 0,
        level: "fail",
        cause: Some("served_expired"),
        decode_level: "fail",
    },
    Case {
        name: "wrong audience",
        fault: Some("wrong-aud"),
        clock_skew: 0,
        level: "fail",
        cause: Some("wrong_audience"),
        decode_level: "fail",
    },
    Case {
        name: "unsigned",
        fault: Some("unsigned"),
        clock_skew: 0,
        level: "fail",
        cause: Some("unsigned"),
        decode_level: "fail",
    },
    Case {
        name: "near expiry",
        fault: Some("nearly-expired"),
        clock_skew: 0,
        level: "warn",
        cause: Some("served_nearly_expired"),
        decode_level: "ok",
    },
    Case {
        // The endpoint's clock ten minutes behind: tokens live that much less here.
        name: "skewed behind",
        fault: None,
        clock_skew: -600,
        level: "warn",
        cause: Some("clock_skew"),
        decode_level: "ok",
    },
    Case {
        // Ten minutes ahead: by this machine's clock the token is not valid yet.
        name: "skewed ahead",
        fault: None,
        clock_skew: 600,
        level: "fail",
        cause: Some("clock_skew"),
        decode_level: "fail",
    },
];

fn json_of(what: &str, out: &str, err: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{what}: {e}: {out} {err}"))
}

fn codes(v: &Value) -> Vec<String> {
    v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

fn first_code(v: &Value) -> Option<String> {
    v["causes"][0]["code"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn get_decode_doctor_report_and_the_ui_give_one_verdict_per_token() {
    for case in CASES {
        let run = emulator_with(Config {
            faults: case
                .fault
                .map(|f| vec![Fault::parse(f).unwrap()])
                .unwrap_or_default(),
            clock_skew: case.clock_skew,
            ..Config::default()
        })
        .await;
        let base = run.base_url();
        let env = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str())];
        let quick = ["--retry-max", "0", "--timeout", "5"];
        let args = |cmd: &[&str]| -> Vec<String> {
            quick.iter().chain(cmd).map(|s| s.to_string()).collect()
        };
        let call = |a: Vec<String>| {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            tokscope(&a, &env)
        };
        let name = case.name;
        let want_code = if case.level == "fail" { 2 } else { 0 };

        let (code, out, err) = call(args(&["get", "--json", "--show-token"]));
        let get = json_of("get", &out, &err);
        assert_eq!(code, want_code, "{name}: get's exit code: {get}");
        assert_eq!(get["verdict"]["level"], case.level, "{name}: get {get}");
        assert_eq!(
            first_code(&get["verdict"]).as_deref(),
            case.cause,
            "{name}: get {get}"
        );
        let token = get["token"]["access_token"].as_str().unwrap().to_string();

        let (code, _, _) = call(args(&["get", "--allow-unusable"]));
        assert_eq!(code, 0, "{name}: --allow-unusable keeps the old exit code");

        let (_, out, err) = call(args(&["doctor", "--json", "--authority", &base]));
        let doctor = json_of("doctor", &out, &err);
        // The doctor fetches a token of its own: the same verdict, though times may differ.
        assert_eq!(doctor["verdict"]["level"], case.level, "{name}: doctor");
        assert_eq!(
            codes(&doctor["verdict"]),
            codes(&get["verdict"]),
            "{name}: doctor"
        );

        let (_, out, err) = call(args(&["report", "--format", "json", "--authority", &base]));
        let report = json_of("report", &out, &err);
        assert_eq!(report["verdict"]["level"], case.level, "{name}: report");
        assert_eq!(
            first_code(&report["verdict"]),
            first_code(&get["verdict"]),
            "{name}: report"
        );
        let (_, md, _) = call(args(&["report", "--authority", &base]));
        assert!(
            md.contains(&format!(
                "- verdict: **{}**",
                case.level.to_ascii_uppercase()
            )),
            "{name}: {md}"
        );

        let (code, out, err) = call(vec![
            "decode".into(),
            "--json".into(),
            "--audience".into(),
            ARM.into(),
            token.clone(),
        ]);
        let decode = json_of("decode", &out, &err);
        assert_eq!(
            decode["verdict"]["level"], case.decode_level,
            "{name}: decode {decode}"
        );
        let decode_code = if case.decode_level == "fail" { 2 } else { 0 };
        assert_eq!(code, decode_code, "{name}: decode's exit code");

        // What the terminal UI renders: the same verdict from `inspect`, in process.
        let envs = common::env_for(&run, Flavour::Imds);
        let ep = endpoint::detect(&envs, &Overrides::default()).unwrap();
        let f = common::client(&run).fetch(&ep, ARM).await.unwrap();
        let seen = tokscope::inspect::inspect(&ep.notes, ARM, &f, f.received_at);
        assert_eq!(
            serde_json::to_value(&seen.verdict).unwrap()["level"],
            case.level,
            "{name}: the UI's verdict {:?}",
            seen.verdict
        );
        assert_eq!(
            seen.verdict.causes.first().map(Cause::code),
            case.cause,
            "{name}: the UI's verdict"
        );
    }
}

/// A short-lived token from the emulator, judged at three moments of its life without
/// waiting for any of them: fresh, run out since it was fetched, and served already expired.
#[tokio::test]
async fn expiry_causes_are_told_apart_on_a_short_lived_emulator_token() {
    let run = emulator_with(Config {
        lifetime: 60,
        refresh_before: 0,
        ..Config::default()
    })
    .await;
    let env = common::env_for(&run, Flavour::Imds);
    let ep = endpoint::detect(&env, &Overrides::default()).unwrap();
    let f = common::client(&run).fetch(&ep, ARM).await.unwrap();
    let exp = f.token.expires_on;
    let fresh = tokscope::inspect::verdict_of(&ep.notes, Some(ARM), &f, f.received_at);
    assert_eq!(fresh.level, Level::Ok, "{fresh:?}");
    // Two minutes on, by this machine's clock: it was fine when fetched, and has run out.
    let later = tokscope::inspect::verdict_of(&ep.notes, Some(ARM), &f, exp + 60);
    assert!(
        matches!(later.causes[..], [Cause::ExpiredSinceFetch { .. }]),
        "{later:?}"
    );
    assert_eq!(later.level, Level::Fail);
    assert!(later.causes[0].message().contains("fetch again"));
    assert!(!later.causes[0].message().contains("stale"));
    // The same token, had it arrived at `received_at` with the endpoint's clock `skew_s` off.
    let arrived = |received_at: i64, skew_s: i64| {
        verdict::token(
            &TokenInput {
                jwt: Some(f.token.jwt.as_ref().map_err(ToString::to_string)),
                expires_on: Some(exp),
                resource: Some(ARM),
                arrival: Some(Arrival {
                    received_at,
                    skew_s: Some(skew_s),
                }),
                notes: Vec::new(),
            },
            received_at,
        )
    };
    // Had it arrived only after its expiry, the endpoint would have served it stale.
    let late = arrived(exp + 60, 0);
    assert!(
        matches!(late.causes[..], [Cause::ServedExpired { .. }]),
        "{late:?}"
    );
    assert!(late.causes[0].message().contains("stale cache"));
    // And a clock an hour ahead of the endpoint's makes it look expired here only.
    let skewed = arrived(f.received_at + 3600, -3600);
    assert!(
        matches!(skewed.causes[..], [Cause::Clock { .. }]),
        "{skewed:?}"
    );
    let words = skewed.causes[0].message();
    assert!(
        words.contains("software on this machine would refuse it")
            && !words.contains("services refuse"),
        "{words}"
    );
}

/// The session verdict counts each kind of failure once, with its last words.
#[test]
fn a_session_verdict_counts_failures_by_kind() {
    let v = verdict::session(
        None,
        &[
            verdict::Attempt::ok(Activity::Fetch),
            verdict::Attempt::failed(Activity::Poll, "HTTP 503"),
            verdict::Attempt::ok(Activity::Poll),
            verdict::Attempt::failed(Activity::Arm, "HTTP 403 AuthorizationFailed"),
        ],
    );
    assert_eq!(v.level, Level::Fail);
    let codes: Vec<&str> = v.causes.iter().map(Cause::code).collect();
    assert_eq!(codes, ["poll_failed", "arm_failed"]);
    assert_eq!(v.causes[0].level(), Level::Warn, "the poll recovered");
}

/// A proxy variable without NO_PROXY covering the endpoint: tokscope still gets its token (it
/// bypasses proxies), but the verdict warns that the SDKs would not.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_the_sdks_would_use_is_a_cause_of_the_verdict() {
    let run = common::emulator().await;
    let base = run.base_url();
    // A dead loopback port: nothing is ever sent there.
    let proxy = "http://127.0.0.1:9";
    let get = |extra: &[(&'static str, &'static str)]| {
        let mut env = vec![
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str()),
            ("HTTPS_PROXY", proxy),
        ];
        env.extend_from_slice(extra);
        let (code, out, err) = tokscope(&["--retry-max", "0", "get", "--json"], &env);
        assert_eq!(code, 0, "{out}{err}");
        json_of("get", &out, &err)
    };
    let v = get(&[]);
    assert_eq!(v["verdict"]["level"], "warn", "{v}");
    let words = v["verdict"]["causes"][0]["message"].as_str().unwrap();
    assert!(
        words.contains("NO_PROXY does not cover 127.0.0.1") && words.contains("azure-identity"),
        "{words}"
    );
    let v = get(&[("NO_PROXY", "localhost,127.0.0.1")]);
    assert_eq!(v["verdict"]["level"], "ok", "{v}");
}
