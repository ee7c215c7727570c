//! Fleet diagnosis: doctor results made here against emulators with different faults, turned
//! into one machine × check table by `tokscope doctor --summarize`, and scripts/fleet-doctor.sh
//! driving stand-ins for `az` and `kubectl` that run the real doctor against the emulator.

use crate::common::*;

use std::path::Path;

use serde_json::Value;
use tokscope::emulator::{Config, Fault};

/// `tokscope doctor --json` against an emulator with `faults`, as one machine would print it.
async fn doctor_result(faults: &[&str]) -> (i32, String) {
    let config = Config {
        faults: faults.iter().map(|f| Fault::parse(f).unwrap()).collect(),
        ..Config::default()
    };
    let run = emulator_with(config).await;
    let host = run.base_url();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        tokscope(
            &[
                "doctor",
                "--json",
                "--retry-max",
                "0",
                "--timeout",
                "5",
                "--authority",
                &host,
            ],
            &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
        )
    })
    .await
    .unwrap();
    assert!(code <= 2, "{code}: {err}");
    (code, out)
}

/// The result with "machine" set, as the fleet script stores it.
fn as_machine(out: &str, machine: &str) -> String {
    let mut v: Value = serde_json::from_str(out.trim()).unwrap();
    v["machine"] = machine.into();
    v.to_string()
}

fn summarize(dir: &Path, json: bool) -> (i32, String) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut args = vec!["doctor", "--summarize"];
    args.extend(files.iter().map(String::as_str));
    if json {
        args.push("--json");
    }
    let (code, out, err) = tokscope(&args, &[]);
    assert!(err.is_empty() || code <= 2, "{err}");
    (code, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_json_is_schema_one_with_the_host() {
    let (code, out) = doctor_result(&[]).await;
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["tokscope"], env!("CARGO_PKG_VERSION"));
    if Path::new("/proc/sys/kernel/hostname").exists() {
        assert!(v["host"].as_str().is_some_and(|h| !h.is_empty()), "{v}");
    }
    for c in v["checks"].as_array().unwrap() {
        for k in ["name", "status", "evidence", "hint"] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn many_results_become_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let healthy = doctor_result(&[]).await.1;
    let (down_code, down) = doctor_result(&["500"]).await;
    assert_eq!(down_code, 2);
    let expired = doctor_result(&["expired"]).await.1;
    let proxy = doctor_result(&["no-metadata"]).await.1;
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write("vm-a.json", as_machine(&healthy, "vm-a"));
    write("vm-b.json", as_machine(&down, "vm-b"));
    // Two machines in one NDJSON file, as `kubectl exec` in a loop would append them.
    write(
        "pods.ndjson",
        format!(
            "{}\n{}\n",
            as_machine(&expired, "pod-c"),
            as_machine(&down, "pod-d")
        ),
    );
    // No "machine" field: named by the file.
    write("vm-e.json", proxy.clone());
    std::fs::write(
        dir.path().join("vm-e.json"),
        serde_json::to_string(&{
            let mut v: Value = serde_json::from_str(proxy.trim()).unwrap();
            v.as_object_mut().unwrap().remove("host");
            v
        })
        .unwrap(),
    )
    .unwrap();
    // What a machine without tokscope leaves behind.
    write("vm-f.json", String::new());

    let (code, table) = summarize(dir.path(), false);
    assert_eq!(code, 2, "{table}");
    let rows: Vec<&str> = table.lines().collect();
    let header = rows[0];
    for check in [
        "environment",
        "endpoint",
        "token",
        "jwt",
        "signature",
        "result",
    ] {
        assert!(header.contains(check), "{header}");
    }
    let row = |m: &str| {
        *rows
            .iter()
            .find(|r| r.starts_with(&format!("{m} ")))
            .unwrap_or_else(|| panic!("no row for {m}:\n{table}"))
    };
    assert!(row("vm-a").ends_with("ok"), "{table}");
    assert!(!row("vm-a").contains("FAIL"), "{table}");
    assert!(
        row("vm-b").contains("FAIL") && row("vm-b").ends_with("failed"),
        "{table}"
    );
    assert!(row("pod-c").contains("FAIL"), "{table}");
    assert!(
        row("vm-e").contains("FAIL") || row("vm-e").contains("WARN"),
        "{table}"
    );
    assert!(row("vm-f").ends_with("no result"), "{table}");
    // The same outage on two machines is one problem with both names and its hint once.
    let outage = table
        .lines()
        .find(|l| l.contains("vm-b") && l.contains("pod-d") && l.contains(" of 6: "))
        .unwrap_or_else(|| panic!("no grouped problem for vm-b and pod-d:\n{table}"));
    assert!(outage.contains("FAIL"), "{outage}");
    assert!(table.contains("hint: "), "{table}");
    assert!(table.contains("6 machines · 1 ok"), "{table}");

    let (jcode, json) = summarize(dir.path(), true);
    assert_eq!(jcode, 2);
    let v: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["summary"]["machines"], 6);
    assert_eq!(v["summary"]["ok"], 1);
    let machines = v["machines"].as_array().unwrap();
    let vm_b = machines.iter().find(|m| m["machine"] == "vm-b").unwrap();
    assert_eq!(vm_b["worst"], "fail");
    assert_eq!(vm_b["checks"]["environment"], "pass");
    assert!(machines
        .iter()
        .any(|m| m["machine"] == "vm-f" && m["error"].is_string()));
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["machines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "vm-b")
        && p["machines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "pod-d")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_fleet_exits_zero_and_stdin_works() {
    let healthy = doctor_result(&[]).await.1;
    let input = format!(
        "{}\n{}\n",
        as_machine(&healthy, "one"),
        as_machine(&healthy, "two")
    );
    let (ok, out) = tokio::task::spawn_blocking(move || {
        tokscope_with_stdin(&["doctor", "--summarize", "-"], &input)
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("2 machines · 2 ok"), "{out}");
    assert!(!out.contains("problems"), "{out}");
}

#[test]
fn outside_text_in_results_is_inert() {
    let dir = tempfile::tempdir().unwrap();
    let evil = serde_json::json!({
        "schema": 1,
        "machine": "vm\u{1b}]52;c;AAAA\u{7}",
        "checks": [{"name": "token", "status": "fail", "evidence": "x\u{1b}[2J", "hint": "\u{202e}y"}],
    });
    std::fs::write(dir.path().join("evil.json"), evil.to_string()).unwrap();
    let (code, out) = summarize(dir.path(), false);
    assert_eq!(code, 2);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
    let (_, out) = summarize(dir.path(), true);
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn an_unreadable_file_is_an_error_of_its_own() {
    let (code, _, err) = tokscope(&["doctor", "--summarize", "/nonexistent/x.json"], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

/// Write an executable stand-in for a runner into `dir`.
fn stand_in(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/usr/bin/env bash\nset -euo pipefail\n{body}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The script end to end with `az` and `kubectl` stand-ins that run its remote script here,
/// against an emulator with a fault, and answer in the runners' own shapes.
#[tokio::test(flavor = "multi_thread")]
async fn fleet_script_runs_the_doctor_through_the_runners() {
    for tool in ["jq", "gzip", "base64"] {
        if !have(tool) {
            assert!(
                std::env::var_os("TOKSCOPE_REQUIRE_INTEROP").is_none(),
                "{tool} is missing"
            );
            return;
        }
    }
    let good = emulator().await;
    let bad = emulator_with(Config {
        faults: vec![Fault::parse("503").unwrap()],
        ..Config::default()
    })
    .await;
    let bin_dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_tokscope");
    // vm-2 points at the failing emulator; vm-3 has no tokscope at all.
    stand_in(
        bin_dir.path(),
        "az",
        &format!(
            r#"case "$1 $2" in
  "vm list") printf 'vm-1\nvm-2\nvm-3\n' ;;
  "vm run-command")
    vm=""; script=""
    while [ $# -gt 0 ]; do case $1 in -n) vm=$2; shift ;; --scripts) script=$2; shift ;; esac; shift; done
    case $vm in
      vm-1) export AZURE_POD_IDENTITY_AUTHORITY_HOST={good} ;;
      vm-2) export AZURE_POD_IDENTITY_AUTHORITY_HOST={bad} ;;
      vm-3) script='echo "sh: tokscope: not found" >&2' ;;
    esac
    export FLEET_AUTHORITY=${{AZURE_POD_IDENTITY_AUTHORITY_HOST:-}}
    o=$(sh -c "$script" 2>/tmp/fleet-stderr.$$ || true); e=$(cat /tmp/fleet-stderr.$$); rm -f /tmp/fleet-stderr.$$
    jq -n --arg m "Enable succeeded: 
[stdout]
$o
[stderr]
$e" '{{value: [{{code: "ProvisioningState/succeeded", message: $m}}]}}' ;;
  *) exit 9 ;;
esac"#,
            good = good.base_url(),
            bad = bad.base_url()
        ),
    );
    stand_in(
        bin_dir.path(),
        "kubectl",
        &format!(
            r#"case $1 in
  get) printf 'pod-1\n' ;;
  exec) shift; while [ "$1" != "--" ]; do shift; done; shift
    AZURE_POD_IDENTITY_AUTHORITY_HOST={good} FLEET_AUTHORITY={good} "$@" ;;
  *) exit 9 ;;
esac"#,
            good = good.base_url()
        ),
    );
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fleet-doctor.sh");
    let run = |args: Vec<String>| {
        let mut cmd = std::process::Command::new("bash");
        for v in tokscope::endpoint::detect::IDENTITY_VARS {
            cmd.env_remove(v);
        }
        // Each stand-in points its machine at an emulator; nothing else may reach further.
        cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9");
        let out = cmd
            .arg(&script)
            .args(args)
            .env("PATH", &path)
            .env("TOKSCOPE", bin)
            .env("TOKSCOPE_REMOTE", bin)
            .env("FLEET_OUT", out_dir.path())
            .env(
                "FLEET_DOCTOR_ARGS",
                "--retry-max 0 --timeout 5 --authority \"$FLEET_AUTHORITY\"",
            )
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The emulators answer on the runtime's workers while this thread waits for the script.
    let (code, table, err) =
        tokio::task::block_in_place(|| run(vec!["vms".into(), "rg-demo".into()]));
    assert_eq!(code, 2, "{table}\n{err}");
    let row = |m: &str| {
        table
            .lines()
            .find(|r| r.starts_with(&format!("{m} ")))
            .unwrap_or_else(|| panic!("no row for {m}:\n{table}\n{err}"))
            .to_string()
    };
    assert!(row("vm-1").ends_with("ok"), "{table}");
    assert!(row("vm-2").contains("FAIL"), "{table}");
    assert!(row("vm-3").ends_with("no result"), "{table}");
    assert!(table.contains("tokscope: not found"), "{table}");

    for f in std::fs::read_dir(out_dir.path()).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let (code, table, err) =
        tokio::task::block_in_place(|| run(vec!["pods".into(), "default".into()]));
    assert_eq!(code, 0, "{table}\n{err}");
    assert!(table.contains("1 machine · 1 ok"), "{table}");
}
