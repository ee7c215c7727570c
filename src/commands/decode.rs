//! `tokscope decode`: a token from an argument or stdin, decoded and explained.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use crate::cli::DecodeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{self, claims, jwt::MAX_TOKEN_BYTES, JwtParts};

fn read_input(arg: Option<&str>) -> Result<String> {
    match arg {
        Some(t) if t != "-" => Ok(t.to_string()),
        _ => {
            if std::io::stdin().is_terminal() {
                crate::output::note("paste the token, then press Enter and Ctrl-D");
            }
            let mut buf = Vec::new();
            // Read one byte past the limit so that an oversize input is named as such.
            std::io::stdin()
                .take(MAX_TOKEN_BYTES as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("cannot read stdin: {e}"),
                        "pass the token as an argument instead",
                    )
                })?;
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

/// The token itself when the input is an endpoint's JSON answer or `get --json --show-token`
/// output, so that either can be piped straight in; other input is left as it is.
#[allow(
    clippy::indexing_slicing,
    reason = "reading a serde_json Value by key gives Null when absent; it never panics"
)]
fn token_from_json(input: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(input.trim()).ok()?;
    [
        &v["access_token"],
        &v["accessToken"],
        &v["token"]["access_token"],
    ]
    .iter()
    .find_map(|t| t.as_str().map(str::to_string))
}

/// `decode --json`: `{"ok":true,"jwt":{"header","claims"},"times",["warnings"]}`.
#[derive(Serialize)]
struct DecodeJson<'a> {
    ok: bool,
    jwt: JwtParts<'a>,
    times: serde_json::Value,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [&'a str],
}

pub fn run(args: &DecodeArgs) -> Result<String> {
    let input = read_input(args.token.as_deref())?;
    let input = token_from_json(&input).unwrap_or(input);
    let jwt = token::decode(&input)?;
    let now = chrono::Utc::now().timestamp();
    if args.json {
        let warnings: &[&str] = if jwt.is_unsigned() {
            &[token::jwt::UNSIGNED_WARNING]
        } else {
            &[]
        };
        let out = DecodeJson {
            ok: true,
            jwt: JwtParts::from(&jwt),
            times: claims::times_json(&jwt, now),
            warnings,
        };
        // Only string-keyed maps and plain values: serde_json has nothing to refuse here.
        return serde_json::to_string(&out).map_err(|e| {
            Error::new(
                ErrorKind::InvalidToken,
                format!("cannot write the decoded token as JSON: {e}"),
                "decode without --json to see it as text",
            )
        });
    }
    Ok(super::render::jwt_text(&jwt, now))
}
