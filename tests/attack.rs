//! Hostile input against every output path: tokens, endpoints and ARM gateways that send escape
//! sequences, bidi controls and echo secrets back. Everything runs on 127.0.0.1 and asserts on
//! the raw bytes tokscope writes.

mod common;

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
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokscope"));
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
