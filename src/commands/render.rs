//! Human-readable text for the plain commands.

use std::fmt::Write;

use serde_json::Value;

use crate::sanitize::{sanitize, sanitize_json};
use crate::token::claims::{explain_claim, explain_header, time_forms, TIME_CLAIMS};
use crate::token::Jwt;

/// A claim or header value on one line: outside controls and line breaks made visible.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => sanitize(s).into_owned(),
        other => sanitize_json(&other.to_string()).into_owned(),
    }
}

/// Header and claims, each with its explanation; time claims in every form. What is wrong
/// with the token (unsigned, expired …) is the verdict's, printed above this.
pub fn jwt_text(jwt: &Jwt, now: i64) -> String {
    let mut out = String::new();
    let width = jwt
        .header
        .keys()
        .chain(jwt.claims.keys())
        .map(String::len)
        .max()
        .unwrap_or(4)
        .min(14);
    let _ = writeln!(out, "header");
    for (k, v) in &jwt.header {
        let _ = writeln!(out, "  {:width$}  {}", sanitize(k), value_text(v));
        if let Some(e) = explain_header(k) {
            let _ = writeln!(out, "  {:width$}  └ {e}", "");
        }
    }
    let _ = writeln!(out, "claims");
    for (k, v) in &jwt.claims {
        let _ = writeln!(out, "  {:width$}  {}", sanitize(k), value_text(v));
        if TIME_CLAIMS.contains(&k.as_str()) {
            if let Some(epoch) = jwt.claim_i64(k) {
                let t = time_forms(epoch, now);
                let _ = writeln!(
                    out,
                    "  {:width$}  = {} UTC · {} local · {}",
                    "", t.utc, t.local, t.relative
                );
            }
        }
        match explain_claim(k) {
            Some(e) => {
                let _ = writeln!(out, "  {:width$}  └ {e}", "");
            }
            None => {
                let _ = writeln!(out, "  {:width$}  └ (not a claim tokscope knows)", "");
            }
        }
    }
    let _ = writeln!(out, "signature  {} bytes (not shown)", jwt.signature_len());
    out
}
