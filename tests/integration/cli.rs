//! The plain commands as a script sees them: the JSON contract, exit codes, and the token kept secret.

use crate::common;
use crate::common::*;

use serde_json::Value;
use tokscope::emulator::{Config, Fault};
use tokscope::token::jwt::encode_part;

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn get_json_keeps_the_contract() {
    let run = emulator().await;
    let host = run.base_url();
    let (code, out, _) = tokio::task::spawn_blocking(move || {
        tokscope(
            &["get", "--json"],
            &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["source"]["flavour"], "imds");
    assert_eq!(
        v["source"]["detected_from"][0],
        "AZURE_POD_IDENTITY_AUTHORITY_HOST"
    );
    assert!(v["source"]["endpoint"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert_eq!(v["resource"], ARM);
    let t = &v["token"];
    assert!(t["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["expires_on"].as_str().unwrap().ends_with('Z'));
    assert!(
        t["expires_on_epoch"].is_i64()
            && t["expires_in_s"].is_i64()
            && t["not_before_epoch"].is_i64()
    );
    assert!(t.get("access_token").is_none());
    assert_eq!(v["jwt"]["header"]["alg"], "RS256");
    assert_eq!(v["jwt"]["claims"]["aud"], ARM);
    assert!(v["latency_ms"].is_u64());
    assert!(
        !contains_jwt(&out),
        "the token must not be printed without --show-token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn show_token_is_the_only_way_to_print_it() {
    let run = emulator().await;
    let host = run.base_url();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let env = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", host.as_str())];
        let human = tokscope(&["get"], &env);
        let shown = tokscope(&["get", "--json", "--show-token"], &env);
        assert!(!contains_jwt(&human.1) && !contains_jwt(&human.2));
        shown
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let raw = v["token"]["access_token"].as_str().unwrap();
    assert!(raw.starts_with("eyJ"));
    assert_eq!(
        tokscope::secret::fingerprint_of(raw),
        v["token"]["fingerprint"].as_str().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_keep_the_service_code_verbatim() {
    let run = emulator().await;
    let ep = format!("{}/oauth2/token", run.base_url());
    let (code, out, _) = tokio::task::spawn_blocking(move || {
        tokscope(
            &[
                "get",
                "--json",
                "--resource",
                "https://newservice.azure.com/",
            ],
            &[("MSI_ENDPOINT", &ep)],
        )
    })
    .await
    .unwrap();
    assert_ne!(code, 0);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["kind"], "endpoint");
    assert_eq!(v["error"]["status"], 400);
    assert_eq!(v["error"]["code"], "AudienceNotSupported");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not a supported MSI token audience"));
    assert!(!v["error"]["hint"].as_str().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_override_detection_and_retry_max_bounds_retries() {
    let run = emulator_with(Config {
        faults: vec![Fault::parse("503:count=1:retry-after=0").unwrap()],
        ..Config::default()
    })
    .await;
    let url = format!("{}/oauth2/token", run.base_url());
    let host = run.base_url();
    let (code, out, _) = tokio::task::spawn_blocking(move || {
        // The env says IMDS at the emulator; the flags say Cloud Shell, and win.
        tokscope(
            &[
                "get",
                "--json",
                "--endpoint",
                &url,
                "--flavour",
                "cloudshell",
                "--retry-max",
                "5",
            ],
            &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(v["source"]["flavour"], "cloudshell");
    assert_eq!(v["retries"], 1);
}

#[test]
fn nothing_listening_is_a_clear_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("http://127.0.0.1:{port}");
    let (code, out, _) = tokscope(
        &["get", "--json", "--retry-max", "0"],
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
    );
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "connect");
    assert!(v["error"]["hint"].as_str().unwrap().contains("--demo"));
    let (code, _, err) = tokscope(
        &["get", "--retry-max", "0"],
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
    );
    assert_eq!(code, 1);
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn half_set_env_is_explained() {
    let (code, out, _) = tokscope(
        &["get", "--json"],
        &[("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")],
    );
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "config");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("IDENTITY_HEADER"));
}

#[test]
fn demo_get_ignores_the_environment() {
    let (code, out, err) = tokscope(
        &["--demo", "get", "--json"],
        &[
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"),
            ("MSI_ENDPOINT", "http://127.0.0.1:9/x"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["source"]["detected_from"][0], "--demo");
    assert!(v["source"]["endpoint"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
}

#[test]
fn decode_from_argument_and_stdin() {
    let (_, out, _) = tokscope(&["--demo", "get", "--json", "--show-token"], &[]);
    let token = json(&out)["token"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, _) = tokscope(&["decode", "--json", &format!("Bearer {token}")], &[]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["jwt"]["claims"]["aud"], ARM);
    assert!(v["times"]["exp"]["utc"].as_str().unwrap().ends_with('Z'));
    assert!(!contains_jwt(&out));

    let (ok, text) = tokscope_with_stdin(&["decode", "-"], &format!("  {token}\n"));
    assert!(ok);
    assert!(text.contains("xms_mirid") && text.contains("signature  256 bytes (not shown)"));
    assert!(!contains_jwt(&text));
}

#[test]
fn an_unsigned_token_is_shown_under_a_loud_warning() {
    let none = encode_part(&serde_json::json!({"alg": "none", "typ": "JWT"}));
    let c = encode_part(&serde_json::json!({"aud": "https://management.azure.com", "appid": "a"}));
    let token = format!("{none}.{c}.");
    // An unsigned token is unusable: the verdict says FAIL first, and decode exits non-zero.
    let (ok, text) = tokscope_with_stdin(&["decode", "-"], &token);
    assert!(!ok, "{text}");
    assert!(
        text.starts_with("verdict   FAIL\n  FAIL    UNSIGNED"),
        "{text}"
    );
    assert!(text.contains("https://management.azure.com"), "{text}");
    let (ok, json) = tokscope_with_stdin(&["decode", "--json", "--allow-unusable", "-"], &token);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["jwt"]["header"]["alg"], "none");
    assert!(
        v["warnings"][0].as_str().unwrap().contains("UNSIGNED"),
        "{v}"
    );
    assert_eq!(v["verdict"]["level"], "fail", "{v}");
    assert_eq!(v["verdict"]["causes"][0]["code"], "unsigned", "{v}");
}

#[test]
fn each_bad_token_gives_its_own_json_error() {
    let h = encode_part(&serde_json::json!({"alg": "RS256"}));
    let c = encode_part(&serde_json::json!({"aud": "x"}));
    let cases = [
        ("a.b.c.d.e".to_string(), "encrypted"),
        ("abc".to_string(), "3 parts"),
        (format!("%%.{c}.x"), "base64url"),
        (
            format!("{h}.{}.x", encode_part(&serde_json::json!(["x"]))),
            "not an object",
        ),
        (format!("{h}.aGVsbG8.x"), "not JSON"),
        ("x".repeat(70_000), "64 KiB"),
    ];
    for (input, needle) in cases {
        let (code, out, _) = tokscope(&["decode", "--json", &input], &[]);
        assert_eq!(code, 1, "{needle}");
        let v = json(&out);
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["kind"], "invalid_token");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{needle}: {out}"
        );
        assert!(!v["error"]["hint"].as_str().unwrap().is_empty());
    }
}

#[test]
fn emulate_prints_the_exports_and_serves() {
    use std::io::{BufRead, BufReader};
    let mut child = common::tokscope_command()
        .args(["emulate", "--port", "0", "--lifetime", "600"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let mut exports = Vec::new();
    for l in lines.by_ref().take(12) {
        exports.push(l.unwrap());
    }
    let host = exports
        .iter()
        .find_map(|l| l.strip_prefix("export AZURE_POD_IDENTITY_AUTHORITY_HOST="))
        .unwrap()
        .to_string();
    assert!(
        first.contains("tokscope emulator on http://127.0.0.1:"),
        "{first}"
    );
    assert!(exports
        .iter()
        .any(|l| l.starts_with("export MSI_ENDPOINT=")));
    let (code, out, _) = tokscope(
        &["get", "--json"],
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &host)],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 0, "{out}");
}

#[test]
fn decode_takes_get_json_output_piped_in() {
    let (_, out, _) = tokscope(&["--demo", "get", "--json", "--show-token"], &[]);
    let (ok, decoded) = tokscope_with_stdin(&["decode", "--json", "-"], &out);
    assert!(ok);
    let v = json(&decoded);
    assert_eq!(v["jwt"]["claims"]["aud"], ARM);
}

#[test]
fn the_emulator_leaves_no_arc_key_folder_behind() {
    let child = common::tokscope_command()
        .args(["--demo", "--flavour", "arc", "get", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("tokscope-arc-{}-", child.id());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .count();
    assert_eq!(leftovers, 0, "{prefix}* is still in the temp folder");
}

/// Under a locale that is not UTF-8 the plain commands write ASCII only: `—`, `·` and `→`
/// become `-` and `>`, and JSON keeps its meaning through `\u` escapes.
#[test]
fn plain_commands_print_ascii_under_lang_c() {
    let ascii_env = [("LC_ALL", "C"), ("LANG", "C")];
    for args in [
        &["--demo", "get"][..],
        &["--demo", "doctor"],
        &["--demo", "watch", "--count", "1", "--interval", "1s"],
        &["--demo", "get", "--json"],
    ] {
        let (code, out, err) = tokscope(args, &ascii_env);
        assert!(code == 0, "{args:?}: {out}{err}");
        assert!(out.is_ascii(), "{args:?} printed beyond ASCII:\n{out}");
        assert!(
            err.is_ascii(),
            "{args:?} wrote beyond ASCII to stderr:\n{err}"
        );
        assert!(!out.is_empty());
    }
    let (_, out, _) = tokscope(&["--demo", "get"], &ascii_env);
    assert!(out.contains("flavour   imds - Azure"), "{out}");
    // Without a locale, or with a UTF-8 one, the glyphs stay.
    let (_, out, _) = tokscope(&["--demo", "get"], &[("LC_ALL", "C.UTF-8")]);
    assert!(out.contains("imds — Azure"), "{out}");
}

/// `--demo --flavour azcli` says what it shows instead of silently running IMDS; `--help`
/// names `--arc-key-dir`; `emulate --help` keeps the client's options apart from its own.
#[test]
fn the_help_and_the_demo_say_what_they_do() {
    let (_, out, err) = tokscope(&["--demo", "--flavour", "azcli", "get", "--json"], &[]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(v["verdict"]["level"], "warn", "{v}");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("--demo cannot show --flavour azcli"),
        "{v}"
    );
    let (_, help, _) = tokscope(&["get", "--help"], &[]);
    assert!(help.contains("--arc-key-dir <DIR>"), "{help}");
    let (_, help, _) = tokscope(&["emulate", "--help"], &[]);
    let (own, client) = help
        .split_once("Endpoint options (for commands that fetch a token):")
        .unwrap_or_else(|| panic!("{help}"));
    assert!(
        own.contains("--lifetime") && own.contains("--fault"),
        "{own}"
    );
    assert!(
        !own.contains("--client-id") && !own.contains("--retry-max"),
        "{own}"
    );
    assert!(client.contains("--client-id"), "{client}");
}
