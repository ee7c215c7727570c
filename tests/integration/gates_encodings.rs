//! The gates against secrets and text in the forms servers and clients re-encode them: credentials
//! a URL carries in unusual forms (a password holding `?` or `#`, the `Basic` header the
//! HTTP client makes of userinfo, query names a lenient server reads as `sig`), and more. Each
//! test runs the real binary against a hostile server on 127.0.0.1 and checks the raw bytes.

use crate::common;

/// A server on 127.0.0.1:0 that answers every request with HTTP 400 and a JSON error whose
/// description echoes every request header, as a debugging proxy might. Returns the address.
fn header_echo_server() -> String {
    encoding_echo_server(|line| line.to_string())
}

/// [`header_echo_server`] writing each echoed line in the form `encode` gives it: the attack
/// module's hostile server on 127.0.0.1. Returns the address, without the scheme.
fn encoding_echo_server(encode: fn(&str) -> String) -> String {
    let base = crate::attack::hostile_server(move |r| {
        let echoed: Vec<String> = r.head_lines().iter().map(|l| encode(l)).collect();
        crate::attack::json_answer(
            400,
            serde_json::json!({
                "error": "bad_request",
                "error_description": format!("got {}", echoed.join("; ")),
            }),
        )
    });
    base.trim_start_matches("http://").to_string()
}

/// The binary's stdout and stderr together, raw, with IMDS and every remote at closed loopback ports.
fn run(args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    common::both_streams(args, env)
}

fn assert_absent(what: &str, bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        assert!(!text.contains(s), "{what}: {s:?} leaked in {text}");
    }
}

const OUTPUTS: &[&[&str]] = &[
    &["get", "--timeout", "3"],
    &["get", "--json", "--timeout", "3"],
    &["doctor", "--authority", common::DEAD_IMDS, "--timeout", "3"],
    &[
        "doctor",
        "--json",
        "--authority",
        common::DEAD_IMDS,
        "--timeout",
        "3",
    ],
];

#[test]
fn a_password_holding_a_query_or_fragment_mark_is_never_shown() {
    let addr = header_echo_server();
    for raw in [
        format!("http://u:pa?ss-Q7w1e9@{addr}/msi/token"),
        format!("http://u:pa#ss-Q7w1e9@{addr}/msi/token"),
    ] {
        for args in OUTPUTS {
            let all = run(
                args,
                &[
                    ("IDENTITY_ENDPOINT", &raw),
                    ("IDENTITY_HEADER", "hdr-5b1d09e7"),
                ],
            );
            assert_absent(
                &format!("{raw} {args:?}"),
                &all,
                &["Q7w1e9", "pa?ss", "u:pa"],
            );
        }
    }
}

#[test]
fn the_basic_header_made_of_userinfo_is_not_echoed() {
    use base64::Engine as _;
    let addr = header_echo_server();
    let raw = format!("http://us%65r:Pw-3c9e2a71@{addr}/msi/token");
    let sent = base64::engine::general_purpose::STANDARD.encode("user:Pw-3c9e2a71");
    for args in OUTPUTS {
        let all = run(
            args,
            &[
                ("IDENTITY_ENDPOINT", &raw),
                ("IDENTITY_HEADER", "hdr-5b1d09e7"),
            ],
        );
        assert!(
            String::from_utf8_lossy(&all).contains("Basic"),
            "the server echoed no Authorization header: {}",
            String::from_utf8_lossy(&all)
        );
        assert_absent(
            &format!("{args:?}"),
            &all,
            &[&sent, "Pw-3c9e2a71", "hdr-5b1d09e7"],
        );
    }
}

#[test]
fn query_names_a_lenient_server_reads_as_sig_are_masked() {
    let addr = header_echo_server();
    let raw = format!(
        "http://{addr}/msi/token?api-version=2019-08-01&%00sig=Sv1a0f&sig%00=Sv2b1e&sig%20=Sv3c2d&sig[]=Sv4d3c&sig.=Sv5e4b"
    );
    for args in OUTPUTS {
        let all = run(
            args,
            &[
                ("IDENTITY_ENDPOINT", &raw),
                ("IDENTITY_HEADER", "hdr-5b1d09e7"),
            ],
        );
        assert_absent(
            &format!("{args:?}"),
            &all,
            &["Sv1a0f", "Sv2b1e", "Sv3c2d", "Sv4d3c", "Sv5e4b"],
        );
    }
}

/// A server on 127.0.0.1:0 that answers every request with this access token (App Service's
/// answer shape) and an `x-ms-request-id` of the caller's choosing. Returns the address.
fn token_server(access_token: String, request_id: &'static str) -> String {
    let base = crate::attack::hostile_server(move |_| {
        let mut answer = crate::attack::json_answer(
            200,
            serde_json::json!({
                "access_token": access_token,
                "expires_on": (chrono::Utc::now().timestamp() + 3600).to_string(),
                "resource": common::ARM,
                "token_type": "Bearer",
            }),
        );
        answer
            .headers
            .push(("x-ms-request-id".into(), request_id.into()));
        answer
    });
    base.trim_start_matches("http://").to_string()
}

fn jwt(claims: &serde_json::Value) -> String {
    use tokscope::token::jwt::encode_part;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "k<!--"});
    format!(
        "{}.{}.c2lnbmF0dXJl",
        encode_part(&header),
        encode_part(claims)
    )
}

/// Where `needle` stands in `text` without a backslash before it: markdown would act on it.
fn unescaped(text: &str, needle: &str) -> bool {
    text.match_indices(needle)
        .any(|(i, _)| i == 0 || text.as_bytes()[i - 1] != b'\\')
}

/// The report outside its fenced JSON blocks (inside them markdown is inert).
fn outside_fences(md: &str) -> String {
    md.split("```").step_by(2).collect::<Vec<_>>().join("\n")
}

#[test]
fn markdown_in_a_claim_stays_text_in_the_report() {
    let now = chrono::Utc::now().timestamp();
    let payload = "x` <!-- hidden <img src=http://127.0.0.1:9/beacon> ![i](http://127.0.0.1:9/i.png) [fix](http://127.0.0.1:9/fix) | y";
    let token = jwt(&serde_json::json!({
        "aud": format!("{}{payload}", common::ARM),
        "iss": format!("https://sts.windows.net/t/{payload}"),
        "tid": "t",
        "oid": payload,
        "appid": payload,
        "xms_mirid": format!("/subscriptions/s/{payload}"),
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
    }));
    let addr = token_server(token, "rid` <!-- [r](http://127.0.0.1:9/r)");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let endpoint = format!("http://{addr}/msi/token?x=`<img src=http://127.0.0.1:9/u>");
    run(
        &[
            "report",
            "-o",
            report.to_str().unwrap(),
            "--authority",
            common::DEAD_IMDS,
            "--timeout",
            "3",
        ],
        &[
            ("IDENTITY_ENDPOINT", &endpoint),
            ("IDENTITY_HEADER", "hdr-5b1d09e7"),
        ],
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("hidden"),
        "the claim is not in the report: {md}"
    );
    let text = outside_fences(&md);
    for needle in ["<!--", "<img", "![", "[fix]", "[r]", "`", "|"] {
        // Backticks and pipes are tokscope's own in fixed places: count those from outside only.
        if needle == "`" || needle == "|" {
            assert!(
                !unescaped(&text, &format!("x{needle}"))
                    && !unescaped(&text, &format!("d{needle}")),
                "{needle:?} from outside acts in {md}"
            );
            continue;
        }
        assert!(
            !unescaped(&text, needle),
            "{needle:?} acts in the report: {md}"
        );
    }
}

#[test]
fn markdown_in_an_error_stays_text_in_the_ui_report() {
    use crate::tui_fixture::{self, NOW};
    use tokscope::error::{Error, ErrorKind};
    use tokscope::tui::action::FetchKind;
    let payload = "x` <!-- hidden <img src=http://127.0.0.1:9/beacon> ![i](http://127.0.0.1:9/i.png) [fix](http://127.0.0.1:9/fix)";
    let mut app = tui_fixture::app();
    let mut e = Error::new(ErrorKind::Endpoint, payload, "h")
        .with_status(400)
        .with_code(Some(payload.into()));
    e.request_ids = vec![("x-ms-request-id".into(), payload.into())].into();
    tui_fixture::deliver(&mut app, FetchKind::User, NOW, Err(e));
    let story = tokscope::tui::report::session_story(&app);
    assert!(
        story.contains("hidden"),
        "the error is not in the story: {story}"
    );
    for needle in ["<!--", "<img", "![", "[fix]", "x`"] {
        assert!(
            !unescaped(&story, needle),
            "{needle:?} acts in the story: {story}"
        );
    }
    assert!(story.starts_with("## What this session saw\n"), "{story}");
}

#[test]
fn a_header_secret_echoed_percent_or_json_escaped_is_not_shown() {
    let secret = "Hs/9+k\"q\\é z";
    let percent: fn(&str) -> String =
        |line| url::form_urlencoded::byte_serialize(line.as_bytes()).collect();
    let json_escaped: fn(&str) -> String = |line| {
        let quoted = serde_json::to_string(line).unwrap();
        quoted[1..quoted.len() - 1].replace('/', "\\/")
    };
    let ascii_json: fn(&str) -> String = |line| {
        let quoted = serde_json::to_string(line).unwrap();
        quoted[1..quoted.len() - 1]
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("\\u{:04x}", c as u32)
                }
            })
            .collect()
    };
    for encode in [percent, json_escaped, ascii_json] {
        let addr = encoding_echo_server(encode);
        let shown = encode(secret);
        let endpoint = format!("http://{addr}/msi/token");
        for args in OUTPUTS {
            let all = run(
                args,
                &[
                    ("IDENTITY_ENDPOINT", &endpoint),
                    ("IDENTITY_HEADER", secret),
                ],
            );
            assert!(
                String::from_utf8_lossy(&all).contains("removed"),
                "nothing echoed: {}",
                String::from_utf8_lossy(&all)
            );
            assert_absent(
                &format!("{args:?} {shown}"),
                &all,
                &[&shown, "9+k", "9%2Bk"],
            );
        }
    }
}

/// A client that pipelines thousands of requests on one connection, with a small receive
/// buffer, and never reads an answer: the emulator's writes block on the full socket.
/// Holds the connection until `hold` has passed or the emulator closes it.
async fn pipeline_without_reading(addr: std::net::SocketAddr, hold: std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let Ok(mut stream) = socket.connect(addr).await else {
        return;
    };
    let one = format!(
        "GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        addr.port()
    );
    let many = one.repeat(20_000);
    let (mut read, mut write) = stream.split();
    let writing = async {
        let _ = write.write_all(many.as_bytes()).await;
        std::future::pending::<()>().await;
    };
    // Reading only to see the close: a zero-byte peek would consume nothing, so wait on a
    // read the emulator's close ends; the answers themselves are never drained before that.
    let closed = async {
        tokio::time::sleep(hold).await;
        let _ = read.read(&mut [0u8; 1]).await;
    };
    tokio::select! {
        () = writing => {}
        () = closed => {}
    }
}

#[tokio::test]
async fn clients_that_pipeline_and_never_read_cannot_hold_every_slot() {
    use std::time::Duration;
    use tokscope::emulator::Config;
    const GUARD: Duration = Duration::from_secs(60);
    let run = common::emulator_with(Config {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        connection_lifetime: Duration::from_secs(2),
        max_connections: 4,
        ..Config::default()
    })
    .await;
    let addr = run.addr;
    let hogs: Vec<_> = (0..4)
        .map(|_| tokio::spawn(pipeline_without_reading(addr, GUARD)))
        .collect();
    let full = async {
        while run.open_connections() < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(GUARD, full)
        .await
        .expect("the pipelining clients never filled the slots");
    let served = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
            run.base_url()
        ))
        .header("Metadata", "true")
        .send()
        .await
        .expect("a normal request was not served beside clients that never read");
    assert_eq!(served.status(), 200);
    for hog in hogs {
        hog.abort();
    }
}

#[test]
fn a_machine_cannot_pass_for_another_in_the_fleet_summary() {
    let dir = tempfile::tempdir().unwrap();
    let record = |machine: &str, status: &str| {
        serde_json::json!({"schema": 1, "ok": true, "machine": machine,
            "checks": [{"name": "token", "status": status, "evidence": "e", "hint": ""}]})
        .to_string()
    };
    let mut files = Vec::new();
    for (i, (machine, status)) in [
        ("web-1", "fail"),
        ("web-1\u{a0}", "pass"),
        ("web-1\u{200d}", "pass"),
        ("web-1\u{3000}", "pass"),
        ("web\u{2011}1", "pass"),
        ("w\u{435}b-1", "pass"),
        ("web-\u{ff11}", "pass"),
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("{i}.json"));
        std::fs::write(&path, record(machine, status)).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    let mut args = vec!["doctor", "--summarize"];
    args.extend(files.iter().map(String::as_str));
    let all = run(&args, &[]);
    let text = String::from_utf8_lossy(&all);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('w')).collect();
    assert_eq!(rows.len(), 7, "{text}");
    let looks_like = |row: &str| row.split("  ").next().unwrap_or("").trim_end().to_string();
    let names: Vec<String> = rows.iter().map(|r| looks_like(r)).collect();
    for (i, a) in names.iter().enumerate() {
        assert!(
            a.is_ascii() || a.contains("\\u{"),
            "row {i} names its machine with a character that passes for ASCII: {a:?}\n{text}"
        );
        for b in &names[i + 1..] {
            assert_ne!(a, b, "two rows read the same:\n{text}");
        }
    }
}

#[test]
fn a_header_secret_a_claim_echoes_is_masked_on_the_ui_screen() {
    use crate::tui_fixture::{self, NOW};
    use tokscope::tui::action::{Action, FetchKind};
    use tokscope::tui::app::update;
    // The secret this run sends (registered as every header secret is), and an old token's
    // signature, both echoed by the endpoint into the new token's claims.
    let secret = tokscope::secret::HeaderSecret::new("Hdr-7e6d5c4b3a".to_string());
    let old =
        tokscope::secret::AccessToken::new(tui_fixture::jwt(common::ARM, NOW - 7200, NOW + 600, 9));
    let old_signature = old.expose().rsplit('.').next().unwrap().to_string();
    let echo = format!("echo {} {old_signature}", "Hdr-7e6d5c4b3a");
    let exp = NOW + 3600;
    let raw = jwt(&serde_json::json!({
        "aud": common::ARM, "iss": "https://sts.windows.net/t/", "tid": "t",
        "oid": echo, "appid": echo, "name": echo, "exp": exp, "iat": NOW - 60, "nbf": NOW - 60,
    }));
    let mut app = tui_fixture::app();
    tui_fixture::deliver(
        &mut app,
        FetchKind::User,
        NOW,
        Ok(tui_fixture::fetched(&raw, exp, NOW)),
    );
    update(&mut app, Action::Tick(NOW));
    let screen = tui_fixture::render(&app, 200, 60);
    assert!(
        screen.contains("echo"),
        "the claim is not on screen:\n{screen}"
    );
    assert!(
        !screen.contains("Hdr-7e6d5c4b3a"),
        "the header secret is on screen:\n{screen}"
    );
    assert!(
        !screen.contains(&old_signature[..16]),
        "an old token's signature is on screen:\n{screen}"
    );
    drop((secret, old));
}

#[test]
fn a_header_secret_holding_whitespace_is_not_shown_folded() {
    let addr = header_echo_server();
    let endpoint = format!("http://{addr}/msi/token");
    let secret = "Hs  two\tspaces-9z";
    for args in OUTPUTS {
        let all = run(
            args,
            &[
                ("IDENTITY_ENDPOINT", &endpoint),
                ("IDENTITY_HEADER", secret),
            ],
        );
        assert!(
            String::from_utf8_lossy(&all).contains("removed"),
            "nothing echoed"
        );
        assert_absent(
            &format!("{args:?}"),
            &all,
            &["two spaces-9z", "spaces-9z", "two\tspaces"],
        );
    }
}

#[test]
fn a_format_control_outside_the_usual_blocks_cannot_hide_in_the_audience() {
    let now = chrono::Utc::now().timestamp();
    for hidden in ['\u{1d173}', '\u{1bca0}', '\u{13430}', '\u{110bd}'] {
        let token = jwt(&serde_json::json!({
            "aud": format!("{}{hidden}", common::ARM),
            "iss": "https://sts.windows.net/t/", "tid": "t",
            "exp": now + 3600, "iat": now, "nbf": now,
        }));
        let addr = token_server(token, "rid");
        let endpoint = format!("http://{addr}/msi/token");
        for args in [
            &["get", "--timeout", "3"][..],
            &["get", "--json", "--timeout", "3"],
        ] {
            let all = run(
                args,
                &[
                    ("IDENTITY_ENDPOINT", &endpoint),
                    ("IDENTITY_HEADER", "hdr-5b1d09e7"),
                ],
            );
            let text = String::from_utf8_lossy(&all);
            assert!(
                !text.contains(hidden),
                "{args:?}: U+{:04X} reached the output raw:\n{text}",
                hidden as u32
            );
        }
    }
}

#[test]
fn a_clipped_or_wrapped_claim_shows_no_piece_of_a_secret() {
    use crate::tui_fixture::{self, NOW};
    use tokscope::tui::action::{Action, FetchKind};
    use tokscope::tui::app::update;
    let secret_text = "Hdr-0a1b2c3d4e5f6a7b8c9d";
    let _secret = tokscope::secret::HeaderSecret::new(secret_text.to_string());
    let exp = NOW + 3600;
    let mut leaks = Vec::new();
    for pad in 100..240 {
        let echo = format!("{}{secret_text}", "p".repeat(pad));
        let raw = jwt(&serde_json::json!({
            "aud": common::ARM, "iss": "https://sts.windows.net/t/", "tid": "t",
            "oid": echo, "name": echo, "exp": exp, "iat": NOW - 60, "nbf": NOW - 60,
        }));
        let mut app = tui_fixture::app();
        tui_fixture::deliver(
            &mut app,
            FetchKind::User,
            NOW,
            Ok(tui_fixture::fetched(&raw, exp, NOW)),
        );
        update(&mut app, Action::Tick(NOW));
        let screen = tui_fixture::render(&app, 200, 60);
        // Any 10 characters of the secret in a row is a piece of it.
        for w in secret_text.as_bytes().windows(10) {
            let piece = std::str::from_utf8(w).unwrap();
            if screen.contains(piece) {
                leaks.push(format!("pad {pad}: {piece}"));
                break;
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "pieces of the secret on screen: {leaks:?}"
    );
}
