//! `tokscope watch` as scripts use it: NDJSON events against the emulator on 127.0.0.1.

use crate::common;

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
    assert!(
        l[2].starts_with(
            "2 polls · 0 refreshes · 0 errors · 0 retries · 0 recovered after retrying · latency p50"
        ),
        "{out}"
    );
    assert!(l[2].ends_with(" · verdict OK"), "{out}");
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
        let mut child = common::tokscope_async()
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

/// Replace the emulator's token faults through its admin path, as a user would with curl.
async fn set_faults(run: &Running, specs: &str) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!("{}/admin/faults", run.base_url()))
        .header(emulator::ADMIN_TOKEN_HEADER, run.admin_token())
        .body(specs.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{specs}: {}", r.status());
}

/// What one poll of a scripted watch should show.
enum Expect {
    Fetched,
    Unchanged,
    /// An error event of this kind (and status, when the endpoint answered).
    Error(&'static str, Option<u16>),
    /// A successful poll whose latency is at least this many ms.
    SlowerThan(u64),
    /// A successful poll carrying a warning that contains this text.
    Warns(&'static str),
    /// A successful poll with another token than the steady one.
    OtherToken,
    /// A successful poll with the steady token (the endpoint's cached one).
    Steady,
}

/// Run `watch --json --count N` with the emulator's faults queued up front, one request each:
/// `script[i]` answers poll i+1 (an empty spec is a plain answer). The faults are in place before
/// the first poll, so nothing depends on how fast the test reacts between polls. A retry takes
/// the next entry, so a script puts retried faults last or before plain answers. Returns the
/// events and the summary line.
async fn scripted_watch(run: &Running, extra: &[&str], script: &[(&str, Expect)]) -> Vec<Value> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let base = run.base_url();
    let count = script.len().to_string();
    let mut args = vec!["--endpoint", base.as_str(), "--flavour", "imds"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["watch", "--json", "--interval", "10ms", "--count", &count]);
    let queue: Vec<&str> = script
        .iter()
        .map(|(spec, _)| {
            if spec.is_empty() {
                "latency=0ms:count=1"
            } else {
                spec
            }
        })
        .collect();
    set_faults(run, &queue.join("\n")).await;
    let mut child = common::tokscope_async()
        .args(&args)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    tokio::time::timeout(LIMIT, async {
        while let Some(line) = out.next_line().await.unwrap() {
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            events.push(v);
        }
        assert!(child.wait().await.unwrap().success());
    })
    .await
    .expect("the watch took too long");
    events
}

/// Check each event against the script; the steady token is the first one fetched.
fn check_script(events: &[Value], script: &[(&str, Expect)]) {
    assert_eq!(
        events.len(),
        script.len() + 1,
        "every poll is an event, then the summary: {events:#?}"
    );
    let steady = events[0]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for (i, ((spec, expect), e)) in script.iter().zip(events).enumerate() {
        let what = format!("poll {} (fault {spec:?}): {e}", i + 1);
        let kind = e["event"].as_str().unwrap();
        match expect {
            Expect::Fetched => assert_eq!(kind, "fetched", "{what}"),
            Expect::Unchanged => assert_eq!(kind, "unchanged", "{what}"),
            Expect::Error(k, status) => {
                assert_eq!(kind, "error", "{what}");
                assert_eq!(e["error"]["kind"], *k, "{what}");
                assert!(
                    e["error"]["hint"].as_str().is_some_and(|h| !h.is_empty()),
                    "{what}"
                );
                match status {
                    Some(s) => assert_eq!(e["error"]["status"], *s, "{what}"),
                    None => assert!(e["error"].get("status").is_none(), "{what}"),
                }
                assert!(e.get("fingerprint").is_none(), "{what}");
            }
            Expect::SlowerThan(ms) => {
                assert_ne!(kind, "error", "{what}");
                assert!(e["latency_ms"].as_u64().unwrap() >= *ms, "{what}");
            }
            Expect::Warns(text) => {
                assert_ne!(kind, "error", "{what}");
                let warnings = e["warnings"].as_array().unwrap_or_else(|| panic!("{what}"));
                assert!(
                    warnings.iter().any(|w| w.as_str().unwrap().contains(text)),
                    "{what}"
                );
            }
            Expect::OtherToken => {
                assert_ne!(kind, "error", "{what}");
                assert_ne!(e["fingerprint"], steady.as_str(), "{what}");
            }
            Expect::Steady => {
                assert_ne!(kind, "error", "{what}");
                assert_eq!(e["fingerprint"], steady.as_str(), "{what}");
            }
        }
    }
    let errors = script
        .iter()
        .filter(|(_, x)| matches!(x, Expect::Error(..)))
        .count();
    let s = &events[script.len()]["summary"];
    assert_eq!(s["polls"], script.len() as u64, "{s}");
    assert_eq!(s["errors"], errors as u64, "{s}");
}

#[tokio::test]
async fn watch_rides_out_status_latency_and_hang_faults() {
    let run = start(Config::default()).await;
    let script = [
        ("", Expect::Fetched),
        ("503:count=1", Expect::Error("endpoint", Some(503))),
        ("", Expect::Unchanged),
        ("latency=300ms:count=1", Expect::SlowerThan(300)),
        ("hang:count=1", Expect::Error("timeout", None)),
        ("", Expect::Unchanged),
        (
            "429:count=1:retry-after=1",
            Expect::Error("endpoint", Some(429)),
        ),
        ("", Expect::Unchanged),
    ];
    let events = scripted_watch(&run, &["--retry-max", "0", "--timeout", "1"], &script).await;
    check_script(&events, &script);
}

#[tokio::test]
async fn watch_rides_out_broken_bodies_and_odd_tokens() {
    let run = start(Config::default()).await;
    let script = [
        ("", Expect::Fetched),
        ("reset:count=1", Expect::Error("connect", None)),
        ("truncated:count=1", Expect::Error("bad_response", None)),
        ("html:count=1", Expect::Error("bad_response", None)),
        ("empty:count=1", Expect::Error("bad_response", None)),
        ("", Expect::Unchanged),
        ("expired:count=1", Expect::Warns("stale cache")),
        ("wrong-aud:count=1", Expect::OtherToken),
        ("", Expect::Steady),
    ];
    let events = scripted_watch(&run, &["--retry-max", "0", "--timeout", "1"], &script).await;
    check_script(&events, &script);
}

#[tokio::test]
async fn watch_honours_retry_after_when_retries_are_on() {
    let run = start(Config::default()).await;
    let script = [
        ("", Expect::Fetched),
        ("429:count=1:retry-after=2", Expect::SlowerThan(2000)),
        ("", Expect::Unchanged),
    ];
    let events = scripted_watch(&run, &["--retry-max", "30"], &script).await;
    check_script(&events, &script);
    assert_eq!(
        events[1]["event"], "unchanged",
        "the retry got the cached token"
    );
    // Three polls and one retry reached the endpoint.
    let requests = run
        .shared
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(requests, 4);
}

#[test]
fn a_long_watch_keeps_bounded_memory_and_counts_every_poll() {
    use tokscope::error::{Error, ErrorKind};
    use tokscope::watch::{Timeline, LATENCY_WINDOW};
    let mut t = Timeline::new(50);
    let polls = LATENCY_WINDOW as u64 + 2_000;
    let err = Err(Error::new(ErrorKind::Timeout, "no answer", "try again"));
    for i in 0..polls {
        // One slow poll early on: it leaves the percentile window but stays the maximum.
        let ms = if i == 3 { 9_000 } else { 10 + i % 7 };
        t.record(i64::try_from(i).unwrap(), Duration::from_millis(ms), &err);
    }
    assert_eq!(t.events().len(), 50);
    assert_eq!(t.latencies_held(), LATENCY_WINDOW);
    let s = t.summary();
    assert_eq!(s.polls, polls);
    assert_eq!(s.errors, polls);
    assert_eq!(s.latency_max_ms, 9_000);
    assert!(s.latency_p95_ms <= 16, "{s:?}");
}
