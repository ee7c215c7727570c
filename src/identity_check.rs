//! Which identity answered: the selector a fetch sent (its kind and value) against the identity
//! the token and the answer name (`appid`, `oid`, `xms_mirid`, `xms_az_rid`, the echoed ids).
//!
//! A legacy Arc agent ignores a user-assigned selector and hands out the system identity's
//! token; Service Fabric and Cloud Shell ignore selectors too; and an id of the wrong kind
//! (a name, an object id given as a client id) can select another identity than meant. The
//! newest SDKs refuse an answer that does not confirm the identity asked for; this check says
//! whether it does, and if not, the likely reason.

use serde::Serialize;
use serde_json::{json, Value};

use crate::endpoint::{Endpoint, Flavour, Identity, TokenResponse};
use crate::token::identity::{facts, IdentityKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The token is the identity the selector named.
    Match,
    /// Another identity answered: the selector was ignored, or named something else.
    Mismatch,
    /// Nothing in the token or the answer names the identity (an opaque token).
    Unverifiable,
    /// No selector was sent: the platform's default identity answered.
    System,
}

/// What was asked for: the kind of id, its value and the parameter that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// `system`, `client_id`, `object_id` or `resource_id`.
    pub kind: &'static str,
    pub value: Option<String>,
    /// The query or form parameter the flavour sends it as (`msi_res_id`, `principal_id` …).
    pub parameter: Option<&'static str>,
}

/// What came back, from the token's claims and the answer's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Received {
    pub client_id: Option<String>,
    pub object_id: Option<String>,
    pub xms_mirid: Option<String>,
    pub xms_az_rid: Option<String>,
    /// The answer's `client_id`, when it has one.
    pub answer_client_id: Option<String>,
    /// The other selectors the answer repeats.
    pub echoed: Vec<(String, String)>,
    pub kind: Option<IdentityKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCheck {
    pub requested: Requested,
    pub received: Received,
    pub verdict: Verdict,
    /// Why a mismatch (or an unverifiable answer) most likely happened, and what to do.
    pub cause: Option<String>,
}

impl IdentityCheck {
    pub fn mismatch(&self) -> bool {
        self.verdict == Verdict::Mismatch
    }

    /// One line for a header or a table: the verdict, what was asked and what came back.
    pub fn summary(&self) -> String {
        let asked = match &self.requested.value {
            Some(v) => format!("{} {v}", self.requested.kind),
            None => "the default identity".into(),
        };
        let got = self
            .received
            .client_id
            .as_deref()
            .or(self.received.object_id.as_deref())
            .unwrap_or("(unnamed)");
        match self.verdict {
            Verdict::Match => format!("match: asked {asked}, got it"),
            Verdict::System => format!("system: no selector sent; client id {got} answered"),
            Verdict::Unverifiable => {
                format!("unverifiable: asked {asked}; nothing names the identity that answered")
            }
            Verdict::Mismatch => format!("MISMATCH: asked {asked}, got client id {got}"),
        }
    }

    pub fn to_json(&self) -> Value {
        let r = &self.received;
        let echoed: serde_json::Map<String, Value> = r
            .echoed
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
        json!({
            "requested": {
                "kind": self.requested.kind,
                "value": self.requested.value,
                "parameter": self.requested.parameter,
            },
            "received": {
                "client_id": r.client_id,
                "object_id": r.object_id,
                "xms_mirid": r.xms_mirid,
                "xms_az_rid": r.xms_az_rid,
                "answer_client_id": r.answer_client_id,
                "echoed": echoed,
                "kind": r.kind.map(|k| k.describe()),
            },
            "verdict": self.verdict,
            "cause": self.cause,
        })
    }
}

/// The selector `ep` sends, as the flavour's table spells it.
pub fn requested(ep: &Endpoint) -> Requested {
    requested_for(ep.flavour, &ep.identity)
}

fn requested_for(flavour: Flavour, asked: &Identity) -> Requested {
    let sel = &flavour.spec().selectors;
    let (kind, value, parameter) = match asked {
        Identity::SystemAssigned => ("system", None, None),
        Identity::ClientId(v) => ("client_id", Some(v.clone()), sel.client_id),
        Identity::ObjectId(v) => ("object_id", Some(v.clone()), sel.object_id),
        Identity::ResourceId(v) => ("resource_id", Some(v.clone()), sel.resource_id),
    };
    Requested {
        kind,
        value,
        parameter,
    }
}

/// What the token and the answer say of the identity.
pub fn received(token: &TokenResponse) -> Received {
    let mut r = Received {
        answer_client_id: token.client_id.clone(),
        echoed: token.echoed.clone(),
        ..Received::default()
    };
    if let Ok(jwt) = &token.jwt {
        let f = facts(jwt);
        r.client_id = f.client_id;
        r.object_id = f.object_id;
        r.xms_mirid = jwt.claim_str("xms_mirid").map(str::to_string);
        r.xms_az_rid = jwt.claim_str("xms_az_rid").map(str::to_string);
        r.kind = Some(f.kind);
    }
    r
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn looks_like_guid(v: &str) -> bool {
    let v = v.trim();
    v.len() == 36
        && v.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Compare what `ep` asked for with what `token` is.
pub fn check(ep: &Endpoint, token: &TokenResponse) -> IdentityCheck {
    check_for(ep.flavour, &ep.identity, token)
}

/// [`check`], for a front end that keeps the flavour and the identity rather than the endpoint.
pub fn check_for(flavour: Flavour, asked: &Identity, token: &TokenResponse) -> IdentityCheck {
    let requested = requested_for(flavour, asked);
    let received = received(token);
    let (verdict, cause) = judge(flavour, asked, &received);
    IdentityCheck {
        requested,
        received,
        verdict,
        cause,
    }
}

fn judge(flavour: Flavour, asked: &Identity, got: &Received) -> (Verdict, Option<String>) {
    let (wanted, claim, echo_keys): (&str, Option<&str>, &[&str]) = match asked {
        Identity::SystemAssigned => return (Verdict::System, None),
        Identity::ClientId(v) => (v, got.client_id.as_deref(), &["client_id"]),
        Identity::ObjectId(v) => (v, got.object_id.as_deref(), &["object_id", "principal_id"]),
        Identity::ResourceId(v) => (v, got.xms_mirid.as_deref(), &["msi_res_id", "mi_res_id"]),
    };
    // What the answer repeats of the selector, where it repeats one.
    let echo = got
        .echoed
        .iter()
        .filter(|(k, _)| echo_keys.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
        .chain(
            echo_keys
                .contains(&"client_id")
                .then_some(got.answer_client_id.as_deref())
                .flatten(),
        )
        .next();
    let contradicting_echo = echo.filter(|e| !same(e, wanted));
    match (claim, echo) {
        (Some(c), _) if same(c, wanted) && contradicting_echo.is_none() => (Verdict::Match, None),
        (Some(_), _) => (Verdict::Mismatch, Some(why(flavour, asked, wanted, got))),
        (None, Some(e)) if same(e, wanted) => (Verdict::Match, None),
        (None, Some(_)) => (Verdict::Mismatch, Some(why(flavour, asked, wanted, got))),
        (None, None) => (
            Verdict::Unverifiable,
            Some("the token is not a readable JWT and the answer repeats no id: nothing here confirms which identity answered".into()),
        ),
    }
}

/// The likely reason another identity answered.
fn why(flavour: Flavour, asked: &Identity, wanted: &str, got: &Received) -> String {
    let is_guid = looks_like_guid(wanted);
    match asked {
        Identity::ClientId(_) if !is_guid => {
            return format!("wrong id kind: {wanted:?} is not a GUID, so it cannot be a client id (a name?); pass the identity's client id (az identity show -n NAME -g GROUP --query clientId)");
        }
        Identity::ClientId(_) if got.object_id.as_deref().is_some_and(|o| same(o, wanted)) => {
            return "wrong id kind: the value given as a client id is this identity's object id; pass it with --object-id, or pass the client id".into();
        }
        Identity::ObjectId(_) if got.client_id.as_deref().is_some_and(|c| same(c, wanted)) => {
            return "wrong id kind: the value given as an object id is this identity's client id; pass it with --client-id".into();
        }
        _ => {}
    }
    if got.kind == Some(IdentityKind::SystemAssigned) {
        let who = match flavour {
            Flavour::Arc => "a legacy Arc agent (before user-assigned support) ignores the selector and returns the system identity's token without echoing it; current MSAL and azure-identity refuse such an answer",
            Flavour::Servicefabric | Flavour::Cloudshell => "this platform ignores selectors: the identity comes from the application's configuration",
            _ => "the endpoint ignored the selector (a legacy agent, or something other than the platform's endpoint answering) and returned the system identity's token",
        };
        return format!("selector ignored: {who}; SDKs that check the answer will refuse it, the others will use the wrong identity");
    }
    if got.kind == Some(IdentityKind::User) {
        return "a signed-in user's token came back (Cloud Shell hands out the user's token whatever is asked)".into();
    }
    "another identity answered than the one named: check that the id is the one assigned to this resource, and that nothing between tokscope and the endpoint rewrites the request".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(client: &str, object: &str, kind: IdentityKind) -> Received {
        Received {
            client_id: Some(client.into()),
            object_id: Some(object.into()),
            kind: Some(kind),
            ..Received::default()
        }
    }

    const A: &str = "11111111-1111-1111-1111-111111111111";
    const B: &str = "22222222-2222-2222-2222-222222222222";

    #[test]
    fn a_matching_client_id_matches() {
        let (v, c) = judge(
            Flavour::Imds,
            &Identity::ClientId(A.to_uppercase()),
            &got(A, B, IdentityKind::UserAssigned),
        );
        assert_eq!((v, c), (Verdict::Match, None));
    }

    #[test]
    fn the_system_identity_answering_a_selector_is_a_mismatch_blaming_the_agent() {
        let (v, c) = judge(
            Flavour::Arc,
            &Identity::ClientId(A.into()),
            &got(B, B, IdentityKind::SystemAssigned),
        );
        assert_eq!(v, Verdict::Mismatch);
        assert!(c.unwrap().contains("legacy Arc agent"));
    }

    #[test]
    fn an_object_id_given_as_a_client_id_is_named() {
        let (v, c) = judge(
            Flavour::Imds,
            &Identity::ClientId(B.into()),
            &got(A, B, IdentityKind::UserAssigned),
        );
        assert_eq!(v, Verdict::Mismatch);
        assert!(c.unwrap().contains("object id"));
        let (_, c) = judge(
            Flavour::Imds,
            &Identity::ClientId("my-identity".into()),
            &got(A, B, IdentityKind::SystemAssigned),
        );
        assert!(c.unwrap().contains("not a GUID"));
    }

    #[test]
    fn an_echo_that_names_another_id_is_a_mismatch_and_no_claims_is_unverifiable() {
        let mut r = got(A, B, IdentityKind::UserAssigned);
        r.answer_client_id = Some(B.into());
        let (v, _) = judge(Flavour::Arc, &Identity::ClientId(A.into()), &r);
        assert_eq!(v, Verdict::Mismatch);
        let (v, _) = judge(
            Flavour::Imds,
            &Identity::ObjectId(A.into()),
            &Received::default(),
        );
        assert_eq!(v, Verdict::Unverifiable);
        let (v, _) = judge(
            Flavour::Imds,
            &Identity::SystemAssigned,
            &Received::default(),
        );
        assert_eq!(v, Verdict::System);
    }
}
