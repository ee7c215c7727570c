//! Every endpoint's answer, success or error, turned into one shape. Nothing downstream sees raw JSON.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde_json::{Map, Value};

use super::Flavour;
use crate::error::{Cause, Error, ErrorKind};
use crate::net::body::{clip, looks_like_html};
pub use crate::net::{describe_body, redact_tokens};
use crate::secret::AccessToken;
use crate::token;
use crate::token::claims::whole;

/// Where the expiry came from: `expires_on` is preferred since `expires_in` means the remaining
/// time at IMDS but the full lifetime at Cloud Shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpirySource {
    ExpiresOn,
    ExpiresIn,
    JwtExp,
}

/// A successful answer, normalised.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub token_type: String,
    pub expires_on: i64,
    pub expiry_source: ExpirySource,
    pub expires_in: Option<i64>,
    pub not_before: Option<i64>,
    pub refresh_in: Option<i64>,
    pub resource: Option<String>,
    pub client_id: Option<String>,
    /// The selectors the answer repeats besides `client_id` (`object_id`, `msi_res_id`,
    /// `mi_res_id`, `principal_id`): an Arc agent that serves user-assigned identities echoes
    /// the one it used.
    pub echoed: Vec<(String, String)>,
    /// Fallbacks used and disagreements found, in words.
    pub warnings: Vec<String>,
    /// The access token decoded, once, here: every consumer reads this.
    pub jwt: Result<token::Jwt, token::JwtError>,
}

/// The selector parameters an answer may repeat, besides `client_id`.
const ECHOED_SELECTORS: &[&str] = &["object_id", "principal_id", "msi_res_id", "mi_res_id"];

/// A number, or a string holding one, within the range of real times and durations.
fn as_i64(v: &Value) -> Option<i64> {
    as_any_i64(v).and_then(crate::token::claims::plausible_epoch)
}

fn as_any_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(whole))
        }
        _ => None,
    }
}

/// `expires_on` in any form seen in the wild: epoch number or string, Windows and Linux
/// date strings with or without AM/PM, ISO 8601 with up to 7 fraction digits.
pub fn parse_expires_on(v: &Value) -> Option<i64> {
    if let Some(n) = as_i64(v) {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return crate::token::claims::plausible_epoch(t.timestamp());
    }
    parse_us_date(s).and_then(crate::token::claims::plausible_epoch)
}

/// `M/D/YYYY h:mm:ss [AM|PM] ±hh:mm`. The hour is read leniently: the docs' own example
/// `00:00:00 PM` is refused by strict 12-hour parsers.
fn parse_us_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let (date, time, ampm, offset) = match parts.as_slice() {
        [d, t, m, o] => (*d, *t, Some(*m), *o),
        [d, t, o] => (*d, *t, None, *o),
        _ => return None,
    };
    let date = NaiveDate::parse_from_str(date, "%m/%d/%Y").ok()?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S%.f"))
        .ok()?;
    let mut secs = chrono::Timelike::num_seconds_from_midnight(&time) as i64;
    let hour = secs / 3600;
    match ampm.map(str::to_ascii_uppercase).as_deref() {
        Some("PM") if hour < 12 => secs += 12 * 3600,
        Some("AM") if hour == 12 => secs -= 12 * 3600,
        Some("AM") | Some("PM") | None => {}
        Some(_) => return None,
    }
    let offset = parse_offset(offset)?;
    let midnight = NaiveDateTime::new(date, NaiveTime::MIN);
    let local = offset.from_local_datetime(&midnight).single()?;
    Some(local.timestamp() + secs)
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s == "Z" || s.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest
        .split_once(':')
        .unwrap_or((rest.get(..2)?, rest.get(2..).unwrap_or("0")));
    if h.len() > 2 || m.len() > 2 {
        return None;
    }
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

/// The Azure CLI's `expiresOn`: local time without a zone, e.g. `2026-11-24 02:59:18.000000`.
fn parse_cli_local(s: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()?;
    Local
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.timestamp())
}

fn field<'a>(m: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| m.get(*n))
        .filter(|v| !v.is_null())
}

fn string_field(m: &Map<String, Value>, names: &[&str]) -> Option<String> {
    field(m, names).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Parse a 2xx body. `received_at` (epoch seconds) anchors a relative `expires_in`.
pub fn parse_success(body: &[u8], received_at: i64) -> Result<TokenResponse, Error> {
    let bad = |what: String| {
        Error::new(
            ErrorKind::BadResponse,
            what,
            "the endpoint answered 2xx without a usable token; if this repeats, something between tokscope and the endpoint (a proxy?) is answering, or the endpoint is failing",
        )
    };
    let text = String::from_utf8_lossy(body);
    let m = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(bad("the answer is JSON but not an object".into())),
        Err(_) => {
            return Err(bad(format!(
                "the answer is not JSON: {}",
                describe_body(body)
            )))
        }
    };
    let raw = match field(&m, &["access_token", "accessToken"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(bad("the answer has no access_token".into())),
    };
    let access_token = AccessToken::new(raw);
    let jwt = token::decode(access_token.expose());
    let jwt_exp = jwt.as_ref().ok().and_then(|j| j.claim_i64("exp"));
    let expires_in = field(&m, &["expires_in", "expiresIn"]).and_then(as_i64);
    let mut warnings = Vec::new();

    let expires_on_field = field(&m, &["expires_on"]);
    let expires_on = expires_on_field.and_then(parse_expires_on).or_else(|| {
        field(&m, &["expiresOn"])
            .and_then(Value::as_str)
            .and_then(parse_cli_local)
    });
    if let (Some(v), None) = (expires_on_field, expires_on) {
        warnings.push(format!("expires_on {v} is in no known format; ignored"));
    }
    let (expires_on, expiry_source) = match (expires_on, expires_in, jwt_exp) {
        (Some(e), _, _) => (e, ExpirySource::ExpiresOn),
        (None, Some(i), _) => {
            warnings.push("no expires_on in the answer: expiry computed from expires_in".into());
            (received_at.saturating_add(i), ExpirySource::ExpiresIn)
        }
        (None, None, Some(exp)) => {
            warnings.push(
                "no expires_on or expires_in in the answer: expiry taken from the token's exp"
                    .into(),
            );
            (exp, ExpirySource::JwtExp)
        }
        (None, None, None) => {
            return Err(bad(
                "the answer says nothing about when the token expires, and the token has no exp"
                    .into(),
            ))
        }
    };
    let (expires_on, expiry_source) = match jwt_exp {
        Some(exp) if expiry_source != ExpirySource::JwtExp => {
            let issued = jwt
                .as_ref()
                .ok()
                .and_then(|j| j.claim_i64("iat").or_else(|| j.claim_i64("nbf")));
            weigh_expiry(expires_on, expiry_source, exp, issued, &mut warnings)
        }
        _ => (expires_on, expiry_source),
    };
    Ok(TokenResponse {
        access_token,
        token_type: string_field(&m, &["token_type", "tokenType"])
            .unwrap_or_else(|| "Bearer".into()),
        expires_on,
        expiry_source,
        expires_in,
        not_before: field(&m, &["not_before"]).and_then(as_i64),
        refresh_in: field(&m, &["refresh_in"]).and_then(as_i64),
        resource: string_field(&m, &["resource"]),
        client_id: string_field(&m, &["client_id"]),
        echoed: ECHOED_SELECTORS
            .iter()
            .filter_map(|k| string_field(&m, &[k]).map(|v| (k.to_string(), v)))
            .collect(),
        warnings,
        jwt,
    })
}

/// The endpoint's expiry against the token's own `exp`. A small difference is only noted. One
/// larger than the token's whole lifetime (`exp` minus `iat`, or `nbf`) cannot be a clock or
/// rounding matter: the endpoint's field is misread or wrong (a date string in a form read
/// as another year), and the signed `exp` is what the resource will enforce, so it wins.
fn weigh_expiry(
    endpoint: i64,
    source: ExpirySource,
    exp: i64,
    issued: Option<i64>,
    warnings: &mut Vec<String>,
) -> (i64, ExpirySource) {
    let gap = exp.saturating_sub(endpoint);
    if gap.saturating_abs() <= 1 {
        return (endpoint, source);
    }
    let field = match source {
        ExpirySource::ExpiresIn => "expires_in",
        ExpirySource::ExpiresOn | ExpirySource::JwtExp => "expires_on",
    };
    let lifetime = issued.map(|i| exp.saturating_sub(i)).filter(|l| *l > 0);
    match lifetime {
        Some(life) if gap.saturating_abs() > life => {
            warnings.push(format!(
                "the endpoint's {field} is {} away from the token's exp, more than the token's whole lifetime ({}): {field} is wrong, so the expiry shown is the token's exp",
                crate::token::claims::duration(gap.saturating_abs()),
                crate::token::claims::duration(life)
            ));
            (exp, ExpirySource::JwtExp)
        }
        _ => {
            warnings.push(format!(
                "the endpoint's expiry and the token's exp differ by {}",
                crate::token::claims::duration(gap)
            ));
            (endpoint, source)
        }
    }
}

/// An error answer in any shape, with the service's own code and a next step.
pub fn parse_error(
    flavour: Flavour,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Error {
    let text = String::from_utf8_lossy(body);
    let mut request_ids: crate::error::RequestIds = headers
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "x-correlation-id" || k == "x-ms-request-id" || k == "x-ms-correlation-request-id"
        })
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let (code, message) = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => {
            if let Some(c) = string_field(&m, &["correlationId"]) {
                request_ids.push(("correlationId".into(), c));
            }
            match m.get("error") {
                // {"error":"invalid_resource","error_description":"…"}
                Some(Value::String(e)) => match string_field(&m, &["error_description"]) {
                    Some(d) => (Some(e.clone()), d),
                    // IMDS instance metadata: {"error":"Bad request. Required metadata header not specified"}
                    None if e.contains(' ') => (None, e.clone()),
                    None => (Some(e.clone()), "no description given".into()),
                },
                // {"error":{"code":"AudienceNotSupported","message":"…"}}
                Some(Value::Object(inner)) => {
                    if let Some(c) = string_field(inner, &["correlationId"]) {
                        request_ids.push(("correlationId".into(), c));
                    }
                    (
                        string_field(inner, &["code"]),
                        string_field(inner, &["message"])
                            .unwrap_or_else(|| "no message given".into()),
                    )
                }
                // {"statusCode":400,"message":"…","correlationId":"…"}
                _ => (
                    string_field(&m, &["code", "Code"]),
                    string_field(&m, &["message", "Message", "error_description"])
                        .unwrap_or_else(|| clip(&text, 200)),
                ),
            }
        }
        _ => (None, describe_body(body)),
    };
    let html = looks_like_html(text.trim());
    let supported = supported_audiences(&message);
    let message = if supported.is_empty() {
        clip(&message, 400)
    } else {
        // The list is the way out, so it is never cut, least of all in the middle of a URL.
        let head = message
            .split("Supported audiences:")
            .next()
            .unwrap_or_default();
        format!(
            "{} Supported audiences: {}",
            clip(head.trim(), 300),
            supported.join(", ")
        )
    };
    // The code is outside text too: a JWT or an echoed secret there is removed like in the message.
    let code = code.map(|c| clip(&c, 120));
    request_ids = request_ids
        .into_iter()
        .map(|(k, v)| (clip(&k, 80), clip(&v, 120)))
        .collect();
    let cause = cause_of(flavour, status, code.as_deref(), &message, html);
    let hint = match (cause, asked_audience(&message)) {
        (Some(Cause::AudienceNotSupported), Some(aud)) => format!(
            "{}; for another resource, ask the Azure CLI (Cloud Shell is signed in to it): `az account get-access-token --resource {aud}`, or `tokscope --flavour azcli -r {aud} get`",
            hint_for(cause, flavour, status)
        ),
        _ => hint_for(cause, flavour, status),
    };
    let detail = (!supported.is_empty())
        .then(|| Box::new(serde_json::json!({ "supported_audiences": supported })));
    Error {
        kind: ErrorKind::Endpoint,
        status: Some(status),
        hint,
        code,
        message,
        request_ids,
        cause,
        detail,
    }
}

/// Most audiences a refusal's list is read to, and the longest one kept.
const AUDIENCES_MAX: usize = 100;
const AUDIENCE_MAX_CHARS: usize = 200;

/// Cloud Shell's list after `Supported audiences:`, one entry per audience, each whole.
fn supported_audiences(message: &str) -> Vec<String> {
    let Some((_, list)) = message.split_once("Supported audiences:") else {
        return Vec::new();
    };
    list.split(',')
        .map(|a| a.trim().trim_end_matches('.').trim())
        .filter(|a| !a.is_empty())
        .take(AUDIENCES_MAX)
        .map(|a| clip(a, AUDIENCE_MAX_CHARS))
        .collect()
}

/// The audience a refusal names: `Audience X is not a supported …`.
fn asked_audience(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Audience ")?;
    let (aud, _) = rest.split_once(" is not")?;
    (!aud.is_empty() && !aud.contains(char::is_whitespace)).then(|| clip(aud, AUDIENCE_MAX_CHARS))
}

/// The well-known cause of a refusal, from the code the service gave, else its words.
fn cause_of(
    flavour: Flavour,
    status: u16,
    code: Option<&str>,
    message: &str,
    html: bool,
) -> Option<Cause> {
    let msg = message.to_ascii_lowercase();
    let code_l = code.unwrap_or("").to_ascii_lowercase();
    let secret_flavour = flavour.secret_var().is_some();
    Some(if html {
        Cause::HtmlPage
    } else if code_l == "audiencenotsupported" {
        Cause::AudienceNotSupported
    } else if code_l == "invalid_resource" || msg.contains("aadsts500011") {
        Cause::UnknownResource
    } else if msg.contains("identity not found")
        || code_l == "managedidentitynotfound"
        || msg.contains("unable to load the proper managed identity")
    {
        Cause::NoIdentity
    } else if msg.contains("metadata header") {
        Cause::MetadataHeaderMissing
    } else if code_l == "secretheadernotfound"
        || msg.contains("x-identity-header")
        || msg.contains("secret header")
        || (status == 401 || status == 403) && secret_flavour
    {
        Cause::SecretRefused
    } else if msg.contains("socket operation was attempted to an unreachable network") {
        Cause::DockerProxy
    } else {
        return None;
    })
}

fn hint_for(cause: Option<Cause>, flavour: Flavour, status: u16) -> String {
    match cause {
        Some(Cause::HtmlPage) => "an HTML page came back, so something between tokscope and the endpoint answered (a proxy, or Docker Desktop's network): check HTTP_PROXY/HTTPS_PROXY and NO_PROXY".into(),
        Some(Cause::AudienceNotSupported) => "this resource is not on the endpoint's allow-list of audiences: pick a supported resource (see the presets); Cloud Shell additions are requested at github.com/Azure/CloudShell/issues".into(),
        Some(Cause::UnknownResource) => "the tenant does not know this resource: check its spelling, try it with and without the trailing slash, or pick a preset".into(),
        Some(Cause::NoIdentity) => "no managed identity matches: assign one to this resource (az vm identity assign …), or check --client-id/--object-id/--resource-id against the identities it has".into(),
        Some(Cause::MetadataHeaderMissing) => "the request arrived without `Metadata: true`: a proxy between tokscope and the endpoint may strip it".into(),
        Some(Cause::SecretRefused) => format!("the endpoint refused the secret header: check that {} is the one the platform set for this process", flavour.secret_var().unwrap_or("the secret")),
        Some(Cause::DockerProxy) => "this answer comes from Docker Desktop's proxy: this machine is not on Azure; try --demo".into(),
        None => match status {
            429 => "the endpoint is throttling (IMDS allows about 20 requests/s): wait, and poll less often".into(),
            404 | 410 | 500..=599 => "the endpoint is busy, starting or updating (IMDS answers 410 for up to 70 s): try again in a minute; raise --retry-max to wait longer".into(),
            400 => "the endpoint refused the request: check the resource and the identity options".into(),
            _ => "see the message above; `tokscope doctor` checks the environment step by step".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_are_redacted_inside_words() {
        let t = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln";
        let cut = format!("{{\"access_token\":\"{}", &t[..30]);
        assert!(!redact_tokens(&cut).contains("eyJhbGciOiJSUzI1"));
        assert_eq!(redact_tokens(&format!("x {t} y")), "x <token removed> y");
        assert_eq!(redact_tokens("eyJ short"), "eyJ short");
        assert!(!parse_error(Flavour::Imds, 500, &[], cut.as_bytes())
            .message
            .contains("eyJhbG"));
    }

    #[test]
    fn every_expires_on_form() {
        let p = |v: Value| parse_expires_on(&v);
        assert_eq!(p(json!(1763957000)), Some(1763957000));
        assert_eq!(p(json!("1763957000")), Some(1763957000));
        assert_eq!(p(json!("1/10/2020 8:01:28 AM +00:00")), Some(1578643288));
        assert_eq!(p(json!("06/20/2019 02:57:58 +00:00")), Some(1560999478));
        assert_eq!(
            p(json!("2024-10-18T19:51:37.0000000+00:00")),
            Some(1729281097)
        );
        assert_eq!(p(json!("09/14/2017 00:00:00 PM +00:00")), Some(1505390400));
        assert_eq!(p(json!("11/24/2026 01:59:18 PM +02:00")), Some(1795521558));
        assert_eq!(p(json!("12/01/2026 12:00:00 AM +00:00")), Some(1796083200));
        assert_eq!(p(json!("next tuesday")), None);
    }

    #[test]
    fn error_shapes_keep_the_service_code() {
        let e = parse_error(Flavour::Cloudshell, 400, &[], br#"{"error":{"code":"AudienceNotSupported","message":"Audience x is not a supported MSI token audience"}}"#);
        assert_eq!(e.code.as_deref(), Some("AudienceNotSupported"));
        assert!(e.hint.contains("allow-list"));
        let e = parse_error(
            Flavour::Imds,
            400,
            &[],
            br#"{"error":"invalid_request","error_description":"Identity not found"}"#,
        );
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("invalid_request"), "Identity not found")
        );
        assert!(e.hint.contains("assign"));
        let e = parse_error(Flavour::Appservice, 400, &[], br#"{"statusCode":400,"message":"Unable to load the proper Managed Identity.","correlationId":"c-1"}"#);
        assert_eq!(
            e.request_ids,
            vec![("correlationId".to_string(), "c-1".to_string())]
        );
        let e = parse_error(
            Flavour::Imds,
            502,
            &[],
            b"<html><head><title>Bad Gateway</title></head></html>",
        );
        assert!(e.message.contains("Bad Gateway") && e.hint.contains("proxy"));
        assert_eq!(
            parse_error(Flavour::Imds, 500, &[], b"").message,
            "an empty body"
        );
        assert!(parse_error(Flavour::Imds, 500, &[], b"{\"error\":\"x")
            .message
            .contains("cut short"));
    }
}
