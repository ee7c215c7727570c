//! `tokscope decode`: a token from an argument or stdin, decoded and explained.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use crate::cli::DecodeArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{self, claims, jwt::MAX_TOKEN_BYTES, Jwt, JwtParts};
use crate::verdict::{TokenInput, Verdict};

fn read_input(arg: Option<&str>) -> Result<String> {
    match arg {
        Some(t) if t != "-" => Ok(t.to_string()),
        _ => {
            let _quiet = if std::io::stdin().is_terminal() {
                crate::output::note(
                    "paste the token (it is not shown), then press Enter and Ctrl-D",
                );
                NoEcho::on_stdin()
            } else {
                None
            };
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

/// The terminal's echo, off while a pasted token is read so that it does not land on the
/// screen (or in a screen recording or the scrollback), and back on when this is dropped,
/// on an error too. Lines are still edited and Ctrl-D still ends the input.
struct NoEcho {
    saved: rustix::termios::Termios,
}

impl NoEcho {
    /// None when stdin is no terminal or its modes cannot be read or set: the paste is then
    /// read as before, echoed.
    fn on_stdin() -> Option<Self> {
        use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&stdin, OptionalActions::Now, &quiet).ok()?;
        Some(Self { saved })
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        use rustix::termios::{tcsetattr, OptionalActions};
        // Nothing more to do if the terminal is gone; the shell restores its own modes.
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
        crate::output::note("(token read)");
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

/// `decode --json`: `{"ok":true,"jwt":{"header","claims"},"times","warnings","verdict"}`.
#[derive(Serialize)]
struct DecodeJson<'a> {
    ok: bool,
    jwt: JwtParts<'a>,
    times: serde_json::Value,
    warnings: Vec<String>,
    verdict: &'a Verdict,
}

/// The verdict on a pasted token: nothing says when or from where it came, so only what it
/// shows counts (expiry, not-before, signature), and the audience when `--audience` names one.
pub fn verdict(jwt: &Jwt, audience: Option<&str>, now: i64) -> Verdict {
    crate::verdict::token(
        &TokenInput {
            jwt: Some(Ok(jwt)),
            resource: audience,
            ..TokenInput::default()
        },
        now,
    )
}

/// The text or JSON to print, and the exit code the verdict asks for.
pub fn run(args: &DecodeArgs) -> Result<(String, u8)> {
    let input = read_input(args.token.as_deref())?;
    let input = token_from_json(&input).unwrap_or(input);
    let jwt = token::decode(&input)?;
    let now = chrono::Utc::now().timestamp();
    let verdict = verdict(&jwt, args.audience.as_deref(), now);
    let code = super::get::exit_code(&verdict, args.allow_unusable);
    if args.json {
        let out = DecodeJson {
            ok: true,
            jwt: JwtParts::from(&jwt),
            times: claims::times_json(&jwt, now),
            warnings: verdict.messages(),
            verdict: &verdict,
        };
        // Only string-keyed maps and plain values: serde_json has nothing to refuse here.
        let text = serde_json::to_string(&out).map_err(|e| {
            Error::new(
                ErrorKind::InvalidToken,
                format!("cannot write the decoded token as JSON: {e}"),
                "decode without --json to see it as text",
            )
        })?;
        return Ok((text, code));
    }
    let mut text = crate::verdict::text(&verdict);
    text.push('\n');
    text.push_str(&super::render::jwt_text(&jwt, now));
    Ok((text, code))
}
