//! Hostile input against every output path: tokens, endpoints and ARM gateways that send escape
//! sequences, bidi controls and echo secrets back. Everything runs on 127.0.0.1 and asserts on
//! the raw bytes tokscope writes.

use crate::common;

use std::process::{Command, Stdio};

use tokscope::token::jwt::encode_part;

/// Escape sequences and reordering controls an attacker would put in a claim or an error:
/// clipboard write (OSC 52), window title (OSC 0), clear screen, C1 CSI, bare CR, RLO, isolates.
pub const HOSTILE: &str =
    "x\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\x1b[2J\u{9b}31m\rfake\u{202e}gnp.exe\u{2066}i\u{2069}\u{85}";

/// The raw bytes hold no character that acts on a terminal: no ESC, BEL or other C0 control
/// but line feed and tab, no DEL, no C1 (raw or UTF-8), no bidi or other reordering control.
pub fn assert_inert(what: &str, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        assert!(
            *b >= 0x20 && *b != 0x7f || *b == b'\n' || *b == b'\t' || *b >= 0x80,
            "{what}: raw control byte {b:#04x} at {i} in {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        assert!(
            !tokscope::sanitize::is_unsafe(c) || c == '\n' || c == '\t',
            "{what}: unsafe character U+{:04X} in {text:?}",
            c as u32
        );
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run the binary with no identity variable but IMDS pointed at `imds` (never the real one).
pub fn run(args: &[&str], env: &[(&str, &str)], imds: &str) -> Run {
    let mut cmd = common::tokscope_command();
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
    {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds)
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn hostile_token() -> String {
    let h = encode_part(&serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": HOSTILE}));
    let c = encode_part(&serde_json::json!({
        "aud": HOSTILE,
        "exp": 4_000_000_000i64,
        "iat": 1_700_000_000i64,
        HOSTILE: "claim name",
        "name": "Zoë Müller 東京",
    }));
    format!("{h}.{c}.c2ln")
}

#[test]
fn decoding_a_hostile_token_prints_it_inert() {
    let token = hostile_token();
    let r = run(&["decode", &token], &[], "http://127.0.0.1:9");
    assert_eq!(r.code, Some(0));
    assert_inert("decode", &r.stdout);
    assert_inert("decode stderr", &r.stderr);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("\\u{1b}]52;c;"), "escapes are shown: {text}");
    assert!(text.contains("Zoë Müller 東京"), "letters are kept: {text}");

    let r = run(&["decode", "--json", &token], &[], "http://127.0.0.1:9");
    assert_eq!(r.code, Some(0));
    assert_inert("decode --json", &r.stdout);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        v["jwt"]["claims"]["aud"], HOSTILE,
        "JSON keeps the value exactly"
    );
}

/// Run through `sh` so a standard stream can be closed or pointed at /dev/full.
fn run_sh(script: &str) -> Option<i32> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("TOKSCOPE", env!("CARGO_BIN_EXE_tokscope"))
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .env_remove("IDENTITY_ENDPOINT")
        .env_remove("MSI_ENDPOINT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out.status.code()
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    // Nothing listens on port 9, so the error goes to the closed stderr.
    assert_eq!(
        run_sh(r#""$TOKSCOPE" --retry-max 0 get 2>&-"#),
        Some(1),
        "a failure with stderr closed exits 1, not 101"
    );
    assert_eq!(run_sh(r#""$TOKSCOPE" --demo get 2>&-"#), Some(0));
}

#[test]
fn a_full_stdout_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    assert_eq!(
        run_sh(r#""$TOKSCOPE" --demo get --json > /dev/full 2>/dev/null"#),
        Some(1)
    );
    // A reader that goes away early is not a failure.
    assert_eq!(
        run_sh(
            r#""$TOKSCOPE" decode --help >/dev/null; "$TOKSCOPE" --demo get | head -c 1 >/dev/null"#
        ),
        Some(0)
    );
}

// ---------------------------------------------------------------------------------------------
// A scripted hostile server on 127.0.0.1: answers every request with what `answer` returns.

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::Arc;

pub struct Request {
    /// The request line, as sent (`GET /path HTTP/1.1`).
    pub line: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The request head as lines, the request line first, for servers that echo it.
    pub fn head_lines(&self) -> Vec<String> {
        std::iter::once(self.line.clone())
            .chain(self.headers.iter().map(|(k, v)| format!("{k}: {v}")))
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub fn json_answer(status: u16, v: serde_json::Value) -> Answer {
    Answer {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: v.to_string().into_bytes(),
    }
}

/// Serve on 127.0.0.1:0 until the test ends; returns `http://127.0.0.1:PORT`.
pub fn hostile_server(answer: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                let path = first.split(' ').nth(1).unwrap_or("/").to_string();
                let mut headers = Vec::new();
                let mut body_len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            body_len = v.trim().parse().unwrap_or(0);
                        }
                        headers.push((k.to_string(), v.trim().to_string()));
                    }
                }
                let mut body = vec![0u8; body_len];
                let _ = std::io::Read::read_exact(&mut reader, &mut body);
                let line = first.trim_end().to_string();
                let a = answer(&Request {
                    line,
                    path,
                    headers,
                });
                let mut out = stream;
                let mut head = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    a.status,
                    a.body.len()
                );
                for (k, v) in &a.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&a.body);
            });
        }
    });
    base
}

/// The IDENTITY_HEADER the hostile App Service endpoint is given, and echoes back.
const IDENTITY_SECRET: &str = "idh-9f3c1e77b2d44a0f";
const SECRET_FILE_SECRET: &str = "file-secret-5b1d09e3c8";

/// A token endpoint that fails with every error field hostile: escapes, bidi, a JWT, and the
/// secret header it was sent, echoed back.
fn echoing_endpoint() -> String {
    hostile_server(|r| {
        let echoed = format!(
            "{HOSTILE} secret={} jwt=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtbGVha3M",
            r.header("x-identity-header").unwrap_or("")
        );
        let mut a = json_answer(
            400,
            serde_json::json!({"error": {"code": echoed, "message": echoed}}),
        );
        // Headers cannot carry controls; the rest of the echo can.
        let printable: String = echoed.chars().filter(|c| !c.is_control()).collect();
        a.headers.push(("x-ms-request-id".into(), printable));
        a
    })
}

fn assert_no_secret(what: &str, bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        assert!(!text.contains(s), "{what}: secret {s:?} leaked: {text}");
    }
    assert!(!common::contains_jwt(&text), "{what}: a JWT leaked: {text}");
    assert!(
        !text.contains("c2lnbmF0dXJlLXRoYXQtbGVha3M"),
        "{what}: a signature leaked: {text}"
    );
}

#[test]
fn an_endpoint_echoing_escapes_and_secrets_gets_neither_through() {
    let base = echoing_endpoint();
    let url = format!("{base}/msi/token");
    let env = [
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", IDENTITY_SECRET),
    ];
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let report_json = dir.path().join("report.json");
    let report_arg = report.to_str().unwrap().to_string();
    let report_json_arg = report_json.to_str().unwrap().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["--retry-max", "0", "get"],
        vec!["--retry-max", "0", "get", "--json"],
        vec!["--retry-max", "0", "doctor"],
        vec!["--retry-max", "0", "doctor", "--json"],
        vec!["--retry-max", "0", "watch", "--count", "1"],
        vec!["--retry-max", "0", "watch", "--count", "1", "--json"],
        vec!["--retry-max", "0", "report", "-o", &report_arg],
        vec![
            "--retry-max",
            "0",
            "report",
            "--format",
            "json",
            "-o",
            &report_json_arg,
        ],
        vec!["--retry-max", "0", "report"],
    ];
    for args in &runs {
        let r = run(args, &env, "http://127.0.0.1:9");
        let what = args.join(" ");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            // A markdown report escapes the `<` and `>` of the label: it renders the same.
            args.contains(&"-o")
                || all.contains("<secret removed>")
                || all.contains("\\<secret removed\\>"),
            "{what}: the echo arrived and was redacted: {all}"
        );
        assert_inert(&what, &r.stdout);
        assert_inert(&what, &r.stderr);
        assert_no_secret(&what, &r.stdout, &[IDENTITY_SECRET]);
        assert_no_secret(&what, &r.stderr, &[IDENTITY_SECRET]);
    }
    for file in [&report, &report_json] {
        let bytes = std::fs::read(file).unwrap();
        assert_inert("report file", &bytes);
        assert_no_secret("report file", &bytes, &[IDENTITY_SECRET]);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("<secret removed>") || text.contains("\\<secret removed\\>"));
    }
    // The JSON report is still JSON.
    let _: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_json).unwrap()).unwrap();

    // The same secret from --secret-file is hidden too, and never on the command line.
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET_FILE_SECRET}\n")).unwrap();
    let r = run(
        &[
            "--retry-max",
            "0",
            "--flavour",
            "appservice",
            "--secret-file",
            secret_file.to_str().unwrap(),
            "get",
        ],
        &[("IDENTITY_ENDPOINT", url.as_str())],
        "http://127.0.0.1:9",
    );
    assert_eq!(r.code, Some(1));
    assert_inert("--secret-file", &r.stderr);
    assert_no_secret("--secret-file", &r.stderr, &[SECRET_FILE_SECRET]);
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("<secret removed>"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_arm_gateway_echoing_the_bearer_token_leaks_nothing() {
    let emulator = common::emulator().await;
    let arm = hostile_server(|r| {
        let auth = r.header("authorization").unwrap_or("").to_string();
        let echoed = format!("{HOSTILE} you sent: {auth}");
        let mut a = json_answer(
            403,
            serde_json::json!({"error": {"code": echoed, "message": echoed}}),
        );
        a.headers.push(("x-ms-request-id".into(), auth));
        a
    });
    let token_host = emulator.base_url();
    let (token, signature) = {
        let (_, out, _) = common::tokscope(
            &["get", "--json", "--show-token"],
            &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &token_host)],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["token"]["access_token"].is_string(), "{out}");
        let t = v["token"]["access_token"].as_str().unwrap().to_string();
        let s = t.rsplit('.').next().unwrap().to_string();
        (t, s)
    };
    // The emulator hands out the same cached token, so the one ARM sees is the one above.
    for json in [false, true] {
        let mut args = vec![
            "--retry-max",
            "0",
            "vms",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--arm-url",
            &arm,
        ];
        if json {
            args.push("--json");
        }
        let r = run(&args, &[], &token_host);
        assert_ne!(r.code, Some(0));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            all.contains("<token removed>"),
            "the echo arrived and was redacted: {all}"
        );
        for (name, bytes) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            let what = format!("vms json={json} {name}");
            assert_inert(&what, bytes);
            assert_no_secret(&what, bytes, &[&token, &signature]);
        }
    }
}

/// Run with a hard bound: a process still running after `limit` is killed and the test fails.
fn run_bounded(args: &[&str], env: &[(&str, &str)], imds: &str, limit: std::time::Duration) -> Run {
    let mut cmd = common::tokscope_command();
    for v in tokscope::endpoint::detect::IDENTITY_VARS {
        cmd.env_remove(v);
    }
    let mut child = cmd
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds)
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} outlived its bound of {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

#[cfg(unix)]
#[test]
fn an_arc_realm_naming_a_fifo_or_a_symlink_is_refused_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stuck.key");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "not a key").unwrap();
    let link = dir.path().join("link.key");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    for (realm, expect) in [
        (fifo.clone(), "not a regular file"),
        (link.clone(), "symbolic link"),
        (
            dir.path().join("..").join("x.key"),
            "outside the agent's token folder",
        ),
    ] {
        let realm_s = realm.to_str().unwrap().to_string();
        let arc = hostile_server(move |_| Answer {
            status: 401,
            headers: vec![("www-authenticate".into(), format!("Basic realm={realm_s}"))],
            body: Vec::new(),
        });
        let url = format!("{arc}/metadata/identity/oauth2/token");
        let r = run_bounded(
            &[
                "--retry-max",
                "0",
                "--timeout",
                "3",
                "--arc-key-dir",
                dir.path().to_str().unwrap(),
                "get",
            ],
            &[
                ("IDENTITY_ENDPOINT", url.as_str()),
                ("IMDS_ENDPOINT", arc.as_str()),
            ],
            "http://127.0.0.1:9",
            std::time::Duration::from_secs(20),
        );
        assert_eq!(r.code, Some(1));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(expect), "{realm:?}: {err}");
        assert!(!err.contains("not a key"), "{err}");
    }
}

#[test]
fn a_huge_arm_listing_stops_at_the_total_cap() {
    use tokscope::arm::vms::MAX_LISTING_BYTES;
    // Pages under the per-answer cap, but together beyond the listing's cap.
    let page_bytes = 20 << 20;
    let pages_needed = MAX_LISTING_BYTES / page_bytes + 2;
    let filler = "x".repeat(page_bytes);
    let emulator_base = background_emulator();
    let arm = hostile_server(move |r| {
        let n: usize = r
            .path
            .rsplit("page=")
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let next = (n < pages_needed).then(|| {
            format!(
                "/subscriptions/s/providers/Microsoft.Compute/virtualMachines?page={}",
                n + 1
            )
        });
        Answer {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: format!(
                "{{\"value\":[{{\"name\":\"{filler}\"}}],\"nextLink\":{}}}",
                next.map(|p| format!(
                    "\"{}{p}\"",
                    r.header("host")
                        .map(|h| format!("http://{h}"))
                        .unwrap_or_default()
                ))
                .unwrap_or("null".into())
            )
            .into_bytes(),
        }
    });
    let r = run_bounded(
        &[
            "--retry-max",
            "0",
            "vms",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--arm-url",
            &arm,
        ],
        &[],
        &emulator_base,
        std::time::Duration::from_secs(120),
    );
    assert_eq!(r.code, Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("64 MiB in total"), "{err}");
}

/// The real emulator on its own thread and runtime, for tests that block on the binary.
fn background_emulator() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let running = common::emulator().await;
            tx.send(running.base_url()).unwrap();
            std::future::pending::<()>().await
        })
    });
    rx.recv().unwrap()
}
