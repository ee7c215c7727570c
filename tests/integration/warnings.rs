//! One token, one list of warnings: `tokscope get`, doctor, the report and the terminal UI all
//! show what `inspect` finds, in the same order and the same words.

use crate::common;

use crate::common::{emulator_with, tokscope, ARM};
use serde_json::Value;
use tokscope::emulator::{Config, Fault};
use tokscope::endpoint::{self, Overrides};
use tokscope::inspect::{self, IdentityKind};
use tokscope::tui::app::Current;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// An emulator whose every token carries another audience than asked.
async fn wrong_audience() -> tokscope::emulator::Running {
    emulator_with(Config {
        faults: vec![Fault::parse("wrong-aud").unwrap()],
        ..Config::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn get_doctor_and_report_print_the_same_warnings() {
    let run = wrong_audience().await;
    let base = run.base_url();
    let env = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str())];
    let flags = ["--retry-max", "0", "--timeout", "5"];
    let authority = ["--authority", base.as_str()];
    let with =
        |cmd: &[&str]| -> Vec<String> { flags.iter().chain(cmd).map(|s| s.to_string()).collect() };
    let run_json = |args: Vec<String>| -> Value {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, out, err) = tokscope(&args, &env);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
    };

    let get = run_json(with(&["get", "--json"]));
    let get_w = strings(&get["warnings"]);
    assert!(
        get_w
            .iter()
            .any(|w| w.contains("InvalidAuthenticationTokenAudience")),
        "{get_w:?}"
    );
    let mut doctor_args = with(&["doctor", "--json"]);
    doctor_args.extend(authority.iter().map(|s| s.to_string()));
    let doctor = run_json(doctor_args);
    assert_eq!(strings(&doctor["warnings"]), get_w, "{doctor}");
    let mut report_args = with(&["report", "--format", "json"]);
    report_args.extend(authority.iter().map(|s| s.to_string()));
    let report = run_json(report_args);
    assert_eq!(strings(&report["doctor"]["warnings"]), get_w, "{report}");
}

#[tokio::test]
async fn the_tui_shows_the_warnings_get_prints_for_the_same_answer() {
    // A skewed clock adds a not-yet-valid token and a Date header off by ten minutes.
    let run = emulator_with(Config {
        faults: vec![Fault::parse("wrong-aud").unwrap()],
        clock_skew: 600,
        ..Config::default()
    })
    .await;
    let env = common::env_for(&run, endpoint::Flavour::Imds);
    let ep = endpoint::detect(&env, &Overrides::default()).unwrap();
    let f = common::client(&run).fetch(&ep, ARM).await.unwrap();
    let now = f.received_at;
    let get = tokscope::commands::get::success_json(&ep, ARM, &f, false, now);
    let tui = Current::new(ARM.to_string(), f.clone()).warnings(&ep.notes, now);
    assert_eq!(strings(&get["warnings"]), tui);
    let seen = inspect::inspect(&ep.notes, ARM, &f, now);
    assert_eq!(seen.warnings, tui);
    for want in ["InvalidAuthenticationTokenAudience", "not valid before"] {
        assert!(tui.iter().any(|w| w.contains(want)), "{want}: {tui:?}");
    }
    // The Date header has whole seconds and the request may straddle one: 600 s, give or take one.
    let skew = seen.facts.skew.unwrap();
    assert!((599..=601).contains(&skew), "{skew}");
    let shown = tokscope::token::claims::duration(skew);
    assert!(
        tui.iter()
            .any(|w| w.contains(&format!("the endpoint's clock is {shown} ahead"))),
        "{shown}: {tui:?}"
    );
    assert!(matches!(
        seen.facts.identity,
        IdentityKind::SystemAssigned { .. } | IdentityKind::UserAssigned { .. }
    ));
    assert!(seen.facts.owner.is_some(), "{:?}", seen.facts);
}
