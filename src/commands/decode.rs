//! `tokscope decode`: a token from an argument or stdin, decoded and explained.

use std::io::{IsTerminal, Read};

use crate::cli::DecodeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{self, claims, jwt::MAX_TOKEN_BYTES};

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

pub fn run(args: &DecodeArgs) -> Result<String> {
    let input = read_input(args.token.as_deref())?;
    let input = token_from_json(&input).unwrap_or(input);
    let jwt = token::decode(&input)?;
    let now = chrono::Utc::now().timestamp();
    if args.json {
        let mut v = serde_json::json!({"ok": true, "jwt": token::jwt_json(&jwt), "times": claims::times_json(&jwt, now)});
        if let (true, Some(map)) = (jwt.is_unsigned(), v.as_object_mut()) {
            map.insert(
                "warnings".into(),
                serde_json::json!([token::jwt::UNSIGNED_WARNING]),
            );
        }
        return Ok(v.to_string());
    }
    Ok(super::render::jwt_text(&jwt, now))
}
