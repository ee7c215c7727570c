//! Echoes of a header secret in forms a byte-exact search misses: a server that upper-cases
//! what it logs, and one that wraps its error text at a fixed width, splitting the secret across
//! lines. The real binary runs against a hostile server on 127.0.0.1; the raw output is checked.

use crate::common;

use std::process::Stdio;

/// A hostile server on 127.0.0.1 (the attack module's) that answers every request with HTTP
/// 400 and a JSON error whose description is the request head as `reshape` gives it. Returns
/// its token endpoint's URL.
fn echo_server(reshape: fn(&str) -> String) -> String {
    let base = crate::attack::hostile_server(move |r| {
        let head = r.head_lines().join("\r\n");
        crate::attack::json_answer(
            400,
            serde_json::json!({"error": "bad_request", "error_description": reshape(&head)}),
        )
    });
    format!("{base}/msi/token")
}

/// What `args` print, both streams, against the echoing `endpoint` with `secret` as
/// IDENTITY_HEADER; the server must have echoed something.
fn echoed_output(endpoint: &str, secret: &str, args: &[&str]) -> String {
    let all = common::both_streams(
        args,
        &[("IDENTITY_ENDPOINT", endpoint), ("IDENTITY_HEADER", secret)],
    );
    let text = String::from_utf8_lossy(&all).into_owned();
    assert!(text.contains("removed"), "{args:?}: nothing echoed: {text}");
    text
}

/// Every 16 characters, a line break: the secret is split wherever it falls.
fn wrapped(head: &str) -> String {
    let chars: Vec<char> = head.chars().collect();
    chars
        .chunks(16)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_header_secret_echoed_upper_cased_or_wrapped_is_not_shown() {
    let secret = "Hdr5ecretValue42xyzQ";
    let reshapes: [fn(&str) -> String; 2] = [|h| h.to_uppercase(), wrapped];
    for reshape in reshapes {
        let endpoint = echo_server(reshape);
        for args in [
            &["get", "--timeout", "3"][..],
            &["get", "--json", "--timeout", "3"],
            &[
                "doctor",
                "--json",
                "--authority",
                common::DEAD_IMDS,
                "--timeout",
                "3",
            ],
        ] {
            let text = echoed_output(&endpoint, secret, args);
            // Without case and whitespace, no 8 characters of the secret in a row remain.
            let squeezed: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '\\')
                .flat_map(char::to_lowercase)
                .collect();
            let lower = secret.to_lowercase();
            for i in 0..=lower.len() - 8 {
                let piece = &lower[i..i + 8];
                assert!(
                    !squeezed.contains(piece),
                    "{args:?}: {piece:?} shown in {text}"
                );
            }
        }
    }
}

/// A server that echoes the whole request head as base64 (standard or URL-safe, at whatever
/// offset the header secret falls): no run of the encoded secret is printed.
#[test]
fn a_header_secret_echoed_inside_base64_is_not_shown() {
    use base64::Engine as _;
    let secret = "B64hdrSecretValue-0042";
    let reshapes: [fn(&str) -> String; 2] = [
        |h| base64::engine::general_purpose::STANDARD.encode(h),
        |h| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h),
    ];
    // Every run of 8 characters that encodes only bytes of the secret, at each offset.
    let mut pieces = Vec::new();
    for prefix in ["", "a", "ab"] {
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ] {
            let encoded = engine.encode(format!("{prefix}{secret}"));
            let inner = &encoded[3..encoded.len() - 4];
            for i in 0..=inner.len() - 8 {
                pieces.push(inner[i..i + 8].to_string());
            }
        }
    }
    for reshape in reshapes {
        let endpoint = echo_server(reshape);
        for args in [
            &["get", "--timeout", "3"][..],
            &["get", "--json", "--timeout", "3"],
        ] {
            let text = echoed_output(&endpoint, secret, args);
            for piece in &pieces {
                assert!(
                    !text.contains(piece.as_str()),
                    "{args:?}: {piece:?} shown in {text}"
                );
            }
        }
    }
}

/// Endpoint URLs whose credential only a parser that reads `\` as `/`, `;` as a query
/// separator or `;name=value` in a path segment as a parameter, finds: none of it is printed,
/// in any output, though the request goes out.
#[test]
fn credentials_behind_backslashes_or_semicolons_are_not_shown() {
    let closed = common::DEAD_IMDS.trim_start_matches("http://");
    for (endpoint, secret) in [
        (format!(r"http:\\u:PWbk7q@{closed}/msi/token"), "PWbk7q"),
        (format!(r"http:/\u:PWbk7q@{closed}/msi/token"), "PWbk7q"),
        (
            format!("http://{closed}/msi/token?x=1;sig=SGsemi7q"),
            "SGsemi7q",
        ),
        (
            format!("http://{closed}/msi/token;sig=SGpath7q"),
            "SGpath7q",
        ),
    ] {
        for args in [
            &["get", "--timeout", "3"][..],
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
        ] {
            let all = common::both_streams(
                args,
                &[
                    ("IDENTITY_ENDPOINT", &endpoint),
                    ("IDENTITY_HEADER", "hdr-value-0123456789"),
                ],
            );
            let text = String::from_utf8_lossy(&all);
            assert!(text.contains("127.0.0.1"), "{args:?}: {text}");
            assert!(!text.contains(secret), "{endpoint} {args:?}: {text}");
        }
    }
}

/// An ARM that echoes the request head, with the bearer token, wrapped at 64 columns: no piece
/// of the token's signature is shown, though each line holds only part of the token.
#[test]
fn a_token_echoed_wrapped_by_arm_is_not_shown() {
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<String>();
    let seen_tx = std::sync::Mutex::new(seen_tx);
    let arm = crate::attack::hostile_server(move |r| {
        let head = r.head_lines().join("\r\n");
        let _ = seen_tx.lock().unwrap().send(head.clone());
        let chars: Vec<char> = head.chars().collect();
        let wrapped = chars
            .chunks(64)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        crate::attack::json_answer(
            401,
            serde_json::json!({"error": {"code": "InvalidAuthenticationToken", "message": wrapped}}),
        )
    });
    let out = common::tokscope_command()
        .args(["--demo", "vms", "--arm-url", &arm, "--timeout", "5"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked");
    let mut all = out.stdout;
    all.extend_from_slice(&out.stderr);
    let text = String::from_utf8_lossy(&all);
    let head = seen_rx.try_recv().unwrap();
    let token = head
        .lines()
        .find_map(|l| l.strip_prefix("authorization: Bearer "))
        .unwrap()
        .trim();
    let signature = token.rsplit('.').next().unwrap();
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("removed"), "nothing echoed: {text}");
    for i in 0..=signature.len() - 12 {
        let piece = &signature[i..i + 12];
        assert!(!squeezed.contains(piece), "{piece:?} shown in {text}");
    }
}
