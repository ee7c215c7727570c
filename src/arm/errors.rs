//! ARM's error answers, clipped and with secrets removed, with the request ids and a next step.

use serde_json::Value;

use super::client::REQUEST_ID_HEADERS;
use crate::error::{Error, ErrorKind, RequestIds};
use crate::net::redact_outside;

/// What the hints need to be specific: who is calling, on which subscription, for which audience.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    /// The token's `oid` claim.
    pub oid: Option<String>,
    pub subscription: Option<String>,
    /// The resource a token for this ARM is asked for.
    pub audience: String,
}

impl ErrorContext {
    /// Context from the token itself (its `oid`), for a subscription and audience.
    pub fn for_token(
        token: &(impl super::Bearer + ?Sized),
        subscription: Option<&str>,
        audience: &str,
    ) -> Self {
        let oid = token
            .jwt()
            .and_then(|j| j.claim_str("oid").map(str::to_string));
        Self {
            oid,
            subscription: subscription.map(str::to_string),
            audience: audience.to_string(),
        }
    }
}

/// The request-id headers present, in a fixed order. Names are lower case.
pub fn request_ids(headers: &[(String, String)]) -> RequestIds {
    REQUEST_ID_HEADERS
        .iter()
        .filter_map(|name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| (name.to_string(), redact_outside(v, 120)))
        })
        .collect()
}

/// `with object id '…'` in an AuthorizationFailed message, when the token gave none.
fn oid_from_message(message: &str) -> Option<String> {
    let rest = message.split("object id '").nth(1)?;
    rest.split('\'').next().map(str::to_string)
}

/// An ARM error answer as an [`Error`] of kind Arm.
pub fn from_answer(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    ctx: &ErrorContext,
) -> Error {
    let parsed: Option<(Option<String>, Option<String>)> =
        serde_json::from_slice::<Value>(body).ok().and_then(|v| {
            let e = v.get("error")?;
            Some((
                e.get("code").and_then(Value::as_str).map(str::to_string),
                e.get("message").and_then(Value::as_str).map(str::to_string),
            ))
        });
    let (code, message) = match parsed {
        Some((code, message)) => (
            code,
            message.unwrap_or_else(|| "ARM gave no message".to_string()),
        ),
        None => (
            None,
            format!("ARM answered {status}: {}", crate::net::describe_body(body)),
        ),
    };
    // ARM's words are outside text: a gateway may echo the Authorization header, so the bearer
    // token (and any other secret of this run) is removed and the fields are clipped.
    let code = code.map(|c| redact_outside(&c, 120));
    let message = redact_outside(&message, 600);
    let retry_after = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| redact_outside(v.trim(), 40));
    let hint = hint_for(
        status,
        code.as_deref(),
        &message,
        retry_after.as_deref(),
        ctx,
    );
    Error {
        kind: ErrorKind::Arm,
        status: Some(status),
        code,
        message,
        hint,
        request_ids: request_ids(headers),
        cause: None,
        detail: None,
    }
}

fn hint_for(
    status: u16,
    code: Option<&str>,
    message: &str,
    retry_after: Option<&str>,
    ctx: &ErrorContext,
) -> String {
    let sub = ctx.subscription.as_deref().unwrap_or("<subscription id>");
    match code {
        Some("AuthorizationFailed") => {
            let oid = ctx
                .oid
                .clone()
                .or_else(|| oid_from_message(message))
                .unwrap_or_else(|| "<object id>".into());
            format!(
                "give the identity whose oid is {oid} a Reader role on the subscription: az role assignment create --assignee-object-id {oid} --role Reader --scope /subscriptions/{sub} (`tokscope why` explains the refusal)"
            )
        }
        Some("ExpiredAuthenticationToken") => "the token has expired: fetch it again (the endpoint hands out a new one near expiry); if it comes back expired, check this machine's clock and `tokscope watch`".into(),
        Some("InvalidAuthenticationTokenAudience") => format!(
            "ARM needs a token for {}: fetch one with --resource {}",
            ctx.audience, ctx.audience
        ),
        Some("InvalidAuthenticationToken") => format!(
            "ARM did not accept the token (signature, issuer or format): fetch a fresh one for {} and check its iss and tid with `tokscope get`",
            ctx.audience
        ),
        Some("AuthenticationFailed") => "the request carried no usable bearer token: fetch one and send it as 'Authorization: Bearer …'".into(),
        Some("SubscriptionNotFound") => format!(
            "check the subscription id {sub} (--subscription) and that it belongs to the token's tenant; `tokscope vms` without --subscription finds one"
        ),
        Some("ResourceGroupNotFound") => "check the name given to --resource-group (list every VM without it)".into(),
        _ if status == 429 => match retry_after {
            Some(s) => format!("ARM is throttling this identity: wait {s} s (Retry-After) and try again"),
            None => "ARM is throttling this identity: wait a minute and try again".into(),
        },
        _ if status >= 500 => "ARM or the resource provider failed: retry later, and give support the request ids above if it persists".into(),
        _ => "see ARM's message; give support the request ids above".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<(String, String)> {
        vec![
            ("x-ms-routing-request-id".into(), "WESTEUROPE:x:r".into()),
            ("x-ms-request-id".into(), "r1".into()),
            ("x-ms-correlation-request-id".into(), "c1".into()),
            ("content-type".into(), "application/json".into()),
        ]
    }

    #[test]
    fn authorization_failed_names_the_oid_from_the_message() {
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"The client 'a' with object id 'oid-1' does not have authorization"}}"#;
        let ctx = ErrorContext {
            subscription: Some("sub-1".into()),
            ..Default::default()
        };
        let e = from_answer(403, &ids(), body, &ctx);
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        assert!(e.hint.contains("--assignee-object-id oid-1"));
        assert!(e.hint.contains("--scope /subscriptions/sub-1"));
        assert_eq!(e.request_ids[0], ("x-ms-request-id".into(), "r1".into()));
        assert_eq!(e.request_ids.len(), 3);
    }

    #[test]
    fn non_json_answers_are_described() {
        let e = from_answer(
            502,
            &[],
            b"<html>bad gateway</html>",
            &ErrorContext::default(),
        );
        assert_eq!(e.code, None);
        assert!(e.hint.contains("retry later"));
    }
}
