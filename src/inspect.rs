//! What a fetched token tells, for every front end alike: the warnings `tokscope get`, doctor,
//! the report and the terminal UI show for it.

use crate::endpoint::Fetched;
use crate::token::{claims, Jwt};

/// What the token itself shows is wrong, beyond the parser's notes on the answer: it has
/// already expired (a stale cache, or a clock ahead), or it is for another audience than asked.
pub fn token_warnings(resource: &str, f: &Fetched, jwt: Option<&Jwt>, now: i64) -> Vec<String> {
    let mut out = Vec::new();
    let t = &f.token;
    let exp = jwt
        .and_then(|j| j.claim_i64("exp"))
        .map_or(t.expires_on, |e| e.min(t.expires_on));
    if exp <= now {
        out.push(format!(
            "the token expired {} ago ({} UTC): the endpoint served a stale cached token, or this machine's clock is ahead; services refuse it (ARM: 401 ExpiredAuthenticationToken)",
            claims::duration(now - exp),
            claims::utc_string(exp)
        ));
    }
    if let Some(j) = jwt {
        let auds = claims::audiences(j);
        if !auds.is_empty() && !auds.iter().any(|a| claims::same_audience(a, resource)) {
            out.push(format!(
                "the token's aud is {}, not the resource asked for ({resource}): services refuse it (ARM: 401 InvalidAuthenticationTokenAudience); check the resource's spelling, else the endpoint is at fault",
                auds.join(", ")
            ));
        }
    }
    out
}
