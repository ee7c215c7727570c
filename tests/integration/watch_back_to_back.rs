//! `watch --interval 0ms`: back-to-back polling, as a soak test drives it, only on loopback.

use crate::common;

use serde_json::Value;

#[tokio::test]
async fn a_zero_interval_polls_a_loopback_emulator_back_to_back() {
    let run = common::emulator().await;
    let base = run.base_url();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        common::tokscope(
            &[
                "--endpoint",
                &base,
                "--flavour",
                "imds",
                "watch",
                "--interval",
                "0ms",
                "--count",
                "300",
                "--json",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 301, "300 polls and the summary");
    assert_eq!(lines[0]["event"], "fetched");
    assert!(lines[1..300].iter().all(|e| e["event"] == "unchanged"));
    let summary = &lines[300]["summary"];
    assert_eq!(summary["polls"], 300);
    assert_eq!(summary["errors"], 0);
}

/// 0.0.0.0 is not loopback by name, yet a connection to it stays on this machine: were the
/// refusal missing, nothing would leave it either.
#[test]
fn a_zero_interval_is_refused_for_an_endpoint_off_loopback() {
    let (code, out, err) = common::tokscope(
        &[
            "--endpoint",
            "http://0.0.0.0:9",
            "--flavour",
            "imds",
            "--retry-max",
            "0",
            "watch",
            "--interval",
            "0ms",
            "--count",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "no poll was made: {out}");
    assert!(err.contains("back to back"), "{err}");
}
