//! `tokscope watch` as scripts use it: NDJSON events against the emulator on 127.0.0.1.

use std::time::Duration;

use serde_json::Value;
use tokscope::emulator::{self, Config, Fault, Running};

const LIMIT: Duration = Duration::from_secs(30);

async fn start(config: Config) -> Running {
    emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn tokscope(args: &[&str]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tokscope"));
    cmd.args(args)
        .env_remove("IDENTITY_ENDPOINT")
        .env_remove("MSI_ENDPOINT")
        .env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .kill_on_drop(true);
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

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn watch_json_reports_a_refresh() {
    // Tokens live 3 s and are renewed with 2 s left: a new one comes about a second in.
    let run = start(Config {
        lifetime: 3,
        refresh_before: 2,
        ..Config::default()
    })
    .await;
    let base = run.base_url();
    let (ok, out, err) = tokscope(&[
        "--endpoint",
        &base,
        "--flavour",
        "imds",
        "watch",
        "--interval",
        "1s",
        "--count",
        "4",
        "--json",
    ])
    .await;
    assert!(ok, "{err}");
    let events = lines(&out);
    assert_eq!(events.len(), 5, "{out}");
    let (polls, summary) = events.split_at(4);
    assert_eq!(polls[0]["event"], "fetched");
    let refreshed: Vec<&Value> = polls.iter().filter(|e| e["event"] == "refreshed").collect();
    assert!(!refreshed.is_empty(), "{out}");
    assert!(refreshed[0]["refreshed_before_expiry_s"].is_i64());
    for e in polls {
        assert!(e["at"].is_i64());
        assert!(e["at_utc"].as_str().unwrap().ends_with('Z'));
        assert!(e["fingerprint"].as_str().unwrap().starts_with("sha256:"));
        assert!(e["expires_on_epoch"].is_i64());
        assert!(e["expires_in_s"].is_i64());
        assert!(e["latency_ms"].is_u64());
    }
    let s = &summary[0]["summary"];
    assert_eq!(s["polls"], 4);
    assert_eq!(s["refreshes"].as_u64().unwrap(), refreshed.len() as u64);
    assert_eq!(s["errors"], 0);
    for k in ["latency_p50_ms", "latency_p95_ms", "latency_max_ms"] {
        assert!(s[k].is_u64(), "{k}");
    }
    assert!(!out.contains("eyJ"), "the token must not be printed");
}

#[tokio::test]
async fn watch_reports_errors_as_events_and_counts_them() {
    let run = start(Config {
        faults: vec![Fault::parse("500").unwrap()],
        ..Config::default()
    })
    .await;
    let base = run.base_url();
    let (ok, out, err) = tokscope(&[
        "--endpoint",
        &base,
        "--flavour",
        "imds",
        "--retry-max",
        "0",
        "watch",
        "--interval",
        "100ms",
        "--count",
        "2",
        "--json",
    ])
    .await;
    assert!(ok, "{err}");
    let events = lines(&out);
    assert_eq!(events.len(), 3, "{out}");
    for e in &events[..2] {
        assert_eq!(e["event"], "error");
        assert_eq!(e["error"]["kind"], "endpoint");
        assert_eq!(e["error"]["status"], 500);
        assert!(e["error"]["hint"].is_string());
        assert!(e.get("fingerprint").is_none());
    }
    assert_eq!(events[2]["summary"]["errors"], 2);
    assert!(
        err.contains("throttles"),
        "an IMDS interval under 1 s is warned about: {err}"
    );
}

#[tokio::test]
async fn watch_human_lines_and_summary() {
    let (ok, out, err) =
        tokscope(&["--demo", "watch", "--interval", "200ms", "--count", "2"]).await;
    assert!(ok, "{err}");
    let l: Vec<&str> = out.lines().collect();
    assert_eq!(l.len(), 3, "{out}");
    assert!(l[0].contains("fetched"));
    assert!(l[1].contains("unchanged"));
    assert!(l[2].starts_with("2 polls · 0 refreshes · 0 errors · latency p50"));
}

#[tokio::test]
async fn watch_refuses_an_interval_without_a_unit() {
    let (ok, _, err) = tokscope(&["--demo", "watch", "--interval", "30", "--count", "1"]).await;
    assert!(!ok);
    assert!(err.contains("needs a unit"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_watch_with_a_summary() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    tokio::time::timeout(LIMIT, async {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tokscope"))
            .args(["--demo", "watch", "--interval", "1s", "--json"])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&out.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(first["event"], "fetched");
        let pid = child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let mut last = None;
        while let Some(l) = out.next_line().await.unwrap() {
            last = Some(l);
        }
        let last: Value = serde_json::from_str(&last.unwrap()).unwrap();
        assert!(last["summary"]["polls"].as_u64().unwrap() >= 1);
        assert!(child.wait().await.unwrap().success());
    })
    .await
    .unwrap();
}
