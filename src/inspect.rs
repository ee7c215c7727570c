//! What a fetched token tells, computed once for every front end: `tokscope get`, doctor, the
//! report and the terminal UI all call [`inspect`] and show its [`Inspection`] as it is.
//!
//! ```text
//! let seen = inspect::inspect(&endpoint.notes, resource, &fetched, now);
//! seen.facts.identity      // whose token: "the signed-in user ada@contoso.com", a managed identity …
//! seen.facts.owner         // the resource the identity belongs to (xms_mirid / xms_az_rid)
//! seen.facts.expiry_source // which field the expiry came from; seen.facts.disagreement
//! seen.verdict             // OK / WARN / FAIL and its causes (`verdict.rs`)
//! seen.warnings            // the causes in words, in the one order all front ends print
//! ```
//!
//! The token is decoded once, by the endpoint parser (`TokenResponse::jwt`); nothing here
//! decodes again. The warnings are, in order: the parser's notes on the answer (fallbacks and an
//! `expires_on` that disagrees with `exp`), the endpoint's notes, the service-account token's,
//! then what the token shows, as `verdict::token` judges it: expired (since it was fetched,
//! already when served, or only by this machine's clock), served nearly expired, not valid
//! yet, unsigned, a wrong audience, a clock off from the endpoint's, and no JWT at all.

use std::fmt;

use crate::endpoint::{Endpoint, ExpirySource, Fetched, Flavour, Identity};
use crate::token::Jwt;
use crate::verdict::{self, Arrival, TokenInput, Verdict};

pub use crate::verdict::SKEW_WARN;

/// Whose token this is, as its claims say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    /// A user's token (Cloud Shell hands these out): `idtyp` user, or a `upn`.
    User { upn: String },
    /// A user-assigned managed identity, named by its resource id (`xms_mirid`).
    UserAssigned { resource_id: String },
    /// A system-assigned managed identity: `xms_mirid` is the resource it belongs to.
    SystemAssigned { resource_id: String },
    /// An application or service principal with no managed-identity claims.
    Application { app_id: Option<String> },
    /// The claims say nothing either way (or the token is not a JWT).
    Unknown,
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityKind::User { upn } => write!(f, "the signed-in user {upn}"),
            IdentityKind::UserAssigned { resource_id } => write!(
                f,
                "the user-assigned managed identity {}",
                last_segment(resource_id)
            ),
            IdentityKind::SystemAssigned { resource_id } => write!(
                f,
                "the system-assigned managed identity of {}",
                last_segment(resource_id)
            ),
            IdentityKind::Application { app_id: Some(a) } => write!(f, "the application {a}"),
            IdentityKind::Application { app_id: None } => f.write_str("an application"),
            IdentityKind::Unknown => f.write_str("an identity the token does not name"),
        }
    }
}

fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// The facts about a token that every front end shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub identity: IdentityKind,
    /// The Azure resource the identity belongs to: `xms_az_rid`, else `xms_mirid`.
    pub owner: Option<String>,
    /// Which part of the answer the expiry was read from.
    pub expiry_source: ExpirySource,
    /// The expiry the client acts on (the endpoint's).
    pub expires_on: i64,
    /// The token's own `exp`, when it is a JWT that has one.
    pub exp: Option<i64>,
    /// `exp` minus `expires_on` when they differ by more than a second.
    pub disagreement: Option<i64>,
    /// The endpoint's clock minus this machine's, from its Date header.
    pub skew: Option<i64>,
}

/// Facts, warnings and the verdict for one fetched token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub facts: Facts,
    /// The verdict's causes in words, in order (`verdict.messages()`).
    pub warnings: Vec<String>,
    pub verdict: Verdict,
}

/// The identity line every front end shows: the signed-in user when the token is a user's
/// (Cloud Shell's always is), else the identity that was asked for.
pub fn identity_label(ep: &Endpoint, jwt: Option<&Jwt>) -> String {
    if let Some(kind @ IdentityKind::User { .. }) = jwt.map(identity_kind) {
        return kind.to_string();
    }
    if ep.flavour == Flavour::Cloudshell && ep.identity == Identity::SystemAssigned {
        return "the signed-in user (Cloud Shell hands out the portal user's token)".into();
    }
    ep.identity.to_string()
}

/// Who the claims say the token is for.
pub fn identity_kind(jwt: &Jwt) -> IdentityKind {
    let upn = jwt
        .claim_str("upn")
        .or_else(|| jwt.claim_str("unique_name"))
        .or_else(|| jwt.claim_str("preferred_username"));
    if jwt.claim_str("idtyp") == Some("user")
        || (upn.is_some() && jwt.claim_str("xms_mirid").is_none())
    {
        return IdentityKind::User {
            upn: upn.unwrap_or("(no upn)").to_string(),
        };
    }
    if let Some(mirid) = jwt.claim_str("xms_mirid") {
        let resource_id = mirid.to_string();
        return if mirid
            .to_ascii_lowercase()
            .contains("/microsoft.managedidentity/userassignedidentities/")
        {
            IdentityKind::UserAssigned { resource_id }
        } else {
            IdentityKind::SystemAssigned { resource_id }
        };
    }
    if jwt.claim_str("idtyp") == Some("app") || jwt.claim_str("appid").is_some() {
        let app_id = jwt
            .claim_str("appid")
            .or_else(|| jwt.claim_str("azp"))
            .map(str::to_string);
        return IdentityKind::Application { app_id };
    }
    IdentityKind::Unknown
}

/// The facts, warnings and verdict for `fetched`, asked for `resource` from an endpoint with
/// `endpoint_notes` (`Endpoint::notes`), at `now`.
pub fn inspect(
    endpoint_notes: &[String],
    resource: &str,
    fetched: &Fetched,
    now: i64,
) -> Inspection {
    let t = &fetched.token;
    let jwt = t.jwt.as_ref().ok();
    let exp = jwt.and_then(|j| j.claim_i64("exp"));
    let disagreement = exp
        .map(|e| e.saturating_sub(t.expires_on))
        .filter(|d| t.expiry_source != ExpirySource::JwtExp && d.saturating_abs() > 1);
    let facts = Facts {
        identity: jwt.map_or(IdentityKind::Unknown, identity_kind),
        owner: jwt.and_then(|j| {
            j.claim_str("xms_az_rid")
                .or_else(|| j.claim_str("xms_mirid"))
                .map(str::to_string)
        }),
        expiry_source: t.expiry_source,
        expires_on: t.expires_on,
        exp,
        disagreement,
        skew: skew(fetched),
    };
    let verdict = verdict_of(endpoint_notes, Some(resource), fetched, now);
    Inspection {
        facts,
        warnings: verdict.messages(),
        verdict,
    }
}

/// [`inspect`] with what only the endpoint knows added to the verdict: whether the identity
/// that answered is the one the request named (`identity_check`). What `get` and doctor show.
pub fn inspect_at(ep: &Endpoint, resource: &str, fetched: &Fetched, now: i64) -> Inspection {
    let mut seen = inspect(&ep.notes, resource, fetched, now);
    let identity = crate::identity_check::check(ep, &fetched.token);
    if identity.mismatch() {
        let mut causes = std::mem::take(&mut seen.verdict.causes);
        causes.push(verdict::Cause::IdentityMismatch {
            summary: identity.summary(),
            cause: identity.cause,
        });
        seen.verdict = Verdict::from_causes(causes);
        seen.warnings = seen.verdict.messages();
    }
    seen
}

/// The endpoint's clock minus this machine's, from the answer's Date header.
fn skew(fetched: &Fetched) -> Option<i64> {
    fetched
        .server_date
        .map(|d| d.saturating_sub(fetched.received_at))
}

/// The verdict on a fetched token at `now`: the answer's and the endpoint's notes (and the
/// service-account token's), then what the token shows; the audience is checked against
/// `resource` when there is one.
pub fn verdict_of(
    endpoint_notes: &[String],
    resource: Option<&str>,
    fetched: &Fetched,
    now: i64,
) -> Verdict {
    let t = &fetched.token;
    let mut notes = t.warnings.clone();
    notes.extend(endpoint_notes.iter().cloned());
    if let Some(fed) = &fetched.federated {
        notes.extend(fed.file.token.warnings(now));
    }
    verdict::token(
        &TokenInput {
            jwt: Some(t.jwt.as_ref().map_err(ToString::to_string)),
            expires_on: Some(t.expires_on),
            resource,
            arrival: Some(Arrival {
                received_at: fetched.received_at,
                skew_s: skew(fetched),
            }),
            notes,
        },
        now,
    )
}
