//! `tokscope decode`: a token from an argument or stdin, decoded and explained.

use std::io::Read;

use crate::cli::DecodeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{self, claims, jwt::MAX_TOKEN_BYTES};

fn read_input(arg: Option<&str>) -> Result<String> {
    match arg {
        Some(t) if t != "-" => Ok(t.to_string()),
        _ => {
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

pub fn run(args: &DecodeArgs) -> Result<String> {
    let input = read_input(args.token.as_deref())?;
    let jwt = token::decode(&input)?;
    let now = chrono::Utc::now().timestamp();
    if args.json {
        let v = serde_json::json!({"ok": true, "jwt": token::jwt_json(&jwt), "times": claims::times_json(&jwt, now)});
        return Ok(v.to_string());
    }
    Ok(super::render::jwt_text(&jwt, now))
}
