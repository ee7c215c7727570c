//! ARM's side of federation: the demo's user-assigned identities and their federated identity
//! credentials (`Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials`),
//! listed, read, created, replaced and deleted as `az identity federated-credential` does it. The
//! emulator's Entra matches assertions against this same store, so a credential written here
//! changes what the exchange accepts.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::arm::{self, Caller};
use super::Shared;
use crate::assets::UserIdentity;

/// ARM keeps at most this many federated credentials on one identity.
pub const MAX_PER_IDENTITY: usize = 20;

const FIC_TYPE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
const IDENTITY_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

/// One stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The identity's name (compared without case, as ARM names are).
    pub identity: String,
    pub name: String,
    pub issuer: String,
    /// None when the credential matches by `claimsMatchingExpression`.
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    pub claims_matching: Option<Value>,
}

/// Every identity's credentials, seeded from the demo tenant.
#[derive(Debug, Default)]
pub struct Store(Mutex<Vec<Stored>>);

impl Store {
    fn with<R>(&self, f: impl FnOnce(&mut Vec<Stored>) -> R) -> R {
        match self.0.lock() {
            Ok(mut v) => f(&mut v),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// The demo tenant's credentials, `{emulator}/cluster/` made the emulator's own issuer.
    pub fn seed(&self, s: &Shared) {
        let issuer = s.cluster_issuer();
        let seeded = s
            .tenant
            .workload
            .federated_credentials
            .iter()
            .map(|f| Stored {
                identity: f.identity.clone(),
                name: f.name.clone(),
                issuer: f.issuer.replace("{emulator}/cluster/", &issuer),
                subject: Some(f.subject.clone()),
                audiences: f.audiences.clone(),
                claims_matching: None,
            })
            .collect::<Vec<_>>();
        let mut seeded = seeded;
        // An identity binding: the one credential AKS makes on the identity for it.
        if s.config.pod_layout == Some(super::workload::PodLayout::Binding) {
            let w = &s.tenant.workload;
            seeded.push(Stored {
                identity: w.identity.clone(),
                name: "aks-identity-binding".into(),
                issuer,
                subject: Some(format!(
                    "system:serviceaccount:{}:{}",
                    w.namespace, w.service_account
                )),
                audiences: vec![crate::token::service_account::IDENTITY_BINDING_AUDIENCE.into()],
                claims_matching: None,
            });
        }
        self.with(|v| *v = seeded);
    }

    pub fn all(&self) -> Vec<Stored> {
        self.with(|v| v.clone())
    }
}

fn identity_id(sub: &str, u: &UserIdentity) -> String {
    format!(
        "/subscriptions/{sub}/resourcegroups/{}/providers/{IDENTITY_TYPE}/{}",
        u.resource_group, u.name
    )
}

fn identity_json(s: &Shared, sub: &str, u: &UserIdentity) -> Value {
    json!({
        "id": identity_id(sub, u),
        "name": u.name,
        "type": IDENTITY_TYPE,
        "location": s.tenant.vm.location,
        "tags": {},
        "properties": {
            "tenantId": s.tenant_id(),
            "principalId": u.object_id,
            "clientId": u.client_id,
        }
    })
}

fn fic_json(sub: &str, u: &UserIdentity, f: &Stored) -> Value {
    let mut props = json!({ "issuer": f.issuer, "audiences": f.audiences });
    if let (Some(sub), Some(m)) = (&f.subject, props.as_object_mut()) {
        m.insert("subject".into(), sub.clone().into());
    }
    if let (Some(c), Some(m)) = (&f.claims_matching, props.as_object_mut()) {
        m.insert("claimsMatchingExpression".into(), c.clone());
    }
    json!({
        "id": format!("{}/federatedIdentityCredentials/{}", identity_id(sub, u), f.name),
        "name": f.name,
        "type": FIC_TYPE,
        "properties": props,
    })
}

fn not_found_identity(rg: &str, name: &str) -> Response {
    arm::arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("The Resource '{IDENTITY_TYPE}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
    )
}

fn bad_request(message: &str) -> Response {
    arm::arm_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The gate every route here passes: authentication, api-version, faults, the subscription,
/// and a role on it for `action`.
async fn admitted(
    s: &Shared,
    h: &HeaderMap,
    q: Option<&str>,
    sub: &str,
    action: &str,
    scope: &str,
) -> Result<Caller, arm::Refused> {
    let q = arm::query_params(q);
    let caller = arm::gate(s, h, &q).await?;
    arm::check_subscription(s, sub)?;
    super::rbac::authorize(s, &caller, action, scope)?;
    Ok(caller)
}

fn find_identity<'a>(
    s: &'a Shared,
    rg: &str,
    name: &str,
) -> Result<&'a UserIdentity, arm::Refused> {
    s.tenant
        .user_identities
        .iter()
        .find(|u| u.resource_group.eq_ignore_ascii_case(rg) && u.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| Box::new(not_found_identity(rg, name)))
}

/// What a path under `/subscriptions/` asks of `Microsoft.ManagedIdentity`, literal segments
/// matched without case as ARM's are; None for every other path (ARM's own routes).
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Identities {
        sub: String,
    },
    Identity {
        sub: String,
        rg: String,
        name: String,
    },
    Credentials {
        sub: String,
        rg: String,
        name: String,
    },
    Credential {
        sub: String,
        rg: String,
        name: String,
        fic: String,
    },
}

fn parse(rest: &str) -> Option<Target> {
    let seg: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let is = |i: usize, lit: &str| seg.get(i).is_some_and(|s| s.eq_ignore_ascii_case(lit));
    let msi_at = |i: usize| {
        is(i, "providers")
            && is(i + 1, "Microsoft.ManagedIdentity")
            && is(i + 2, "userAssignedIdentities")
    };
    let s = |v: &str| v.to_string();
    match *seg.as_slice() {
        [sub, _, _, _] if msi_at(1) => Some(Target::Identities { sub: s(sub) }),
        [sub, _, rg, _, _, _, name] if is(1, "resourceGroups") && msi_at(3) => {
            Some(Target::Identity {
                sub: s(sub),
                rg: s(rg),
                name: s(name),
            })
        }
        [sub, _, rg, _, _, _, name, _]
            if is(1, "resourceGroups") && msi_at(3) && is(7, "federatedIdentityCredentials") =>
        {
            Some(Target::Credentials {
                sub: s(sub),
                rg: s(rg),
                name: s(name),
            })
        }
        [sub, _, rg, _, _, _, name, _, fic]
            if is(1, "resourceGroups") && msi_at(3) && is(7, "federatedIdentityCredentials") =>
        {
            Some(Target::Credential {
                sub: s(sub),
                rg: s(rg),
                name: s(name),
                fic: s(fic),
            })
        }
        _ => None,
    }
}

/// Everything under `/subscriptions/`: this module's paths, and ARM's own for the rest.
pub async fn subscriptions_rest(
    State(s): State<Arc<Shared>>,
    method: Method,
    h: HeaderMap,
    uri: Uri,
    Path(rest): Path<String>,
    RawQuery(q): RawQuery,
    body: axum::body::Bytes,
) -> Response {
    let Some(target) = parse(&rest) else {
        if method == Method::GET {
            return arm::scoped(State(s), h, uri, Path(rest), RawQuery(q)).await;
        }
        // Role assignments are created and deleted under any scope.
        return arm::scoped_write(State(s), method, h, Path(rest), RawQuery(q), body).await;
    };
    let q = q.as_deref();
    let r = match (target, &method) {
        (Target::Identities { sub }, &Method::GET) => list_identities(&s, &h, q, &sub).await,
        (Target::Identity { sub, rg, name }, &Method::GET) => {
            show_identity(&s, &h, q, (&sub, &rg, &name)).await
        }
        (Target::Credentials { sub, rg, name }, &Method::GET) => {
            list(&s, &h, q, (&sub, &rg, &name)).await
        }
        (Target::Credential { sub, rg, name, fic }, m)
            if *m == Method::GET || *m == Method::PUT || *m == Method::DELETE =>
        {
            one(&s, &h, q, m, (&sub, &rg, &name, &fic), &body).await
        }
        _ => not_allowed(&method),
    };
    arm::stamp_ids(r, &h)
}

fn not_allowed(method: &Method) -> Response {
    arm::arm_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("The requested method '{method}' is not allowed for this resource."),
    )
}

fn identity_scope(sub: &str, rg: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{IDENTITY_TYPE}/{name}")
}

async fn list_identities(s: &Shared, h: &HeaderMap, q: Option<&str>, sub: &str) -> Response {
    let scope = format!("/subscriptions/{sub}");
    if let Err(r) = admitted(s, h, q, sub, &format!("{IDENTITY_TYPE}/read"), &scope).await {
        return *r;
    }
    let value: Vec<Value> = s
        .tenant
        .user_identities
        .iter()
        .map(|u| identity_json(s, &s.tenant.subscription_id, u))
        .collect();
    axum::Json(json!({ "value": value })).into_response()
}

/// The gate, then the identity the path names.
async fn admitted_identity<'a>(
    s: &'a Shared,
    h: &HeaderMap,
    q: Option<&str>,
    (sub, rg, name): (&str, &str, &str),
    action: &str,
    scope: &str,
) -> Result<&'a UserIdentity, arm::Refused> {
    admitted(s, h, q, sub, action, scope).await?;
    find_identity(s, rg, name)
}

async fn show_identity(
    s: &Shared,
    h: &HeaderMap,
    q: Option<&str>,
    at: (&str, &str, &str),
) -> Response {
    let scope = identity_scope(at.0, at.1, at.2);
    match admitted_identity(s, h, q, at, &format!("{IDENTITY_TYPE}/read"), &scope).await {
        Err(r) => *r,
        Ok(u) => axum::Json(identity_json(s, &s.tenant.subscription_id, u)).into_response(),
    }
}

async fn list(s: &Shared, h: &HeaderMap, q: Option<&str>, at: (&str, &str, &str)) -> Response {
    let scope = identity_scope(at.0, at.1, at.2);
    let u = match admitted_identity(s, h, q, at, &format!("{FIC_TYPE}/read"), &scope).await {
        Err(r) => return *r,
        Ok(u) => u,
    };
    let value: Vec<Value> = s
        .federated
        .all()
        .iter()
        .filter(|f| f.identity.eq_ignore_ascii_case(&u.name))
        .map(|f| fic_json(&s.tenant.subscription_id, u, f))
        .collect();
    axum::Json(json!({ "value": value })).into_response()
}

/// What a PUT body asks for, or why it cannot be stored.
/// The identity and name are left empty, for the caller to fill from the path.
fn parse_put(body: &[u8]) -> Result<Stored, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        "The request content was invalid and could not be deserialized.".to_string()
    })?;
    let p = v
        .get("properties")
        .ok_or("The 'properties' of the federated identity credential are required.")?;
    let issuer = p
        .get("issuer")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
        .ok_or("The issuer of the federated identity credential is required.")?;
    let parsed = url::Url::parse(issuer)
        .map_err(|_| format!("The issuer '{issuer}' is not a valid URL."))?;
    if parsed.scheme() != "https"
        && !(parsed.scheme() == "http" && crate::loopback::is_loopback_url(issuer))
    {
        return Err(format!("The issuer '{issuer}' must use https."));
    }
    let subject = p
        .get("subject")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let cme = p
        .get("claimsMatchingExpression")
        .filter(|c| c.is_object())
        .cloned();
    if subject.is_some() == cme.is_some() {
        return Err(
            "Either 'subject' or 'claimsMatchingExpression' must be defined, but not both.".into(),
        );
    }
    let audiences: Vec<String> = p
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if audiences.len() != 1 {
        return Err("Exactly one audience is required on a federated identity credential of a user-assigned identity.".into());
    }
    Ok(Stored {
        identity: String::new(),
        name: String::new(),
        issuer: issuer.to_string(),
        subject: subject.map(str::to_string),
        audiences,
        claims_matching: cme,
    })
}

/// Names ARM accepts: `^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$`.
fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && (3..=120).contains(&n.len())
        && c.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One credential: GET it, PUT it (201 new, 200 replaced), DELETE it (200 removed, 204 none).
async fn one(
    s: &Shared,
    h: &HeaderMap,
    q: Option<&str>,
    method: &Method,
    (sub, rg, name, fic): (&str, &str, &str, &str),
    body: &[u8],
) -> Response {
    let scope = format!(
        "{}/federatedIdentityCredentials/{fic}",
        identity_scope(sub, rg, name)
    );
    let verb = match *method {
        Method::PUT => "write",
        Method::DELETE => "delete",
        _ => "read",
    };
    let at = (sub, rg, name);
    let u = match admitted_identity(s, h, q, at, &format!("{FIC_TYPE}/{verb}"), &scope).await {
        Err(r) => return *r,
        Ok(u) => u,
    };
    let sub = &s.tenant.subscription_id;
    let same =
        |f: &Stored| f.identity.eq_ignore_ascii_case(&u.name) && f.name.eq_ignore_ascii_case(fic);
    match *method {
        Method::GET => match s.federated.all().into_iter().find(|f| same(f)) {
            Some(f) => axum::Json(fic_json(sub, u, &f)).into_response(),
            None => arm::arm_error(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("The federated identity credential '{fic}' was not found on '{name}'."),
            ),
        },
        Method::DELETE => {
            let removed = s.federated.with(|v| {
                let before = v.len();
                v.retain(|f| !same(f));
                before != v.len()
            });
            if removed { StatusCode::OK } else { StatusCode::NO_CONTENT }.into_response()
        }
        _ if !valid_name(fic) => bad_request(&format!(
            "The federated identity credential name '{fic}' is invalid: it must match ^[a-zA-Z0-9][a-zA-Z0-9-_]{{2,119}}$."
        )),
        _ => {
            let new = match parse_put(body) {
                Err(m) => return bad_request(&m),
                Ok(p) => Stored {
                    identity: u.name.clone(),
                    name: fic.to_string(),
                    ..p
                },
            };
            let stored = s.federated.with(|v| {
                if let Some(old) = v.iter_mut().find(|f| same(f)) {
                    *old = new.clone();
                    return Some(StatusCode::OK);
                }
                let on_identity = v.iter().filter(|f| f.identity.eq_ignore_ascii_case(&u.name)).count();
                (on_identity < MAX_PER_IDENTITY).then(|| {
                    v.push(new.clone());
                    StatusCode::CREATED
                })
            });
            match stored {
                Some(status) => (status, axum::Json(fic_json(sub, u, &new))).into_response(),
                None => bad_request(&format!(
                    "The identity '{name}' already has {MAX_PER_IDENTITY} federated identity credentials, the most allowed."
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_without_case() {
        assert_eq!(
            parse("s/providers/microsoft.managedidentity/USERASSIGNEDIDENTITIES"),
            Some(Target::Identities { sub: "s".into() })
        );
        assert!(matches!(
            parse("s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id/federatedIdentityCredentials/f"),
            Some(Target::Credential { .. })
        ));
        assert_eq!(parse("s/providers/Microsoft.Compute/virtualMachines"), None);
    }

    #[test]
    fn names_follow_arms_pattern() {
        assert!(valid_name("fic-demo_1"));
        assert!(!valid_name("-x1"));
        assert!(!valid_name("ab"));
        assert!(!valid_name("a b c"));
    }

    #[test]
    fn a_body_needs_issuer_one_audience_and_subject_or_expression() {
        let ok = br#"{"properties":{"issuer":"https://i/","subject":"s","audiences":["api://AzureADTokenExchange"]}}"#;
        assert!(parse_put(ok).is_ok());
        let two = br#"{"properties":{"issuer":"https://i/","subject":"s","audiences":["a","b"]}}"#;
        assert!(parse_put(two).is_err());
        let plain =
            br#"{"properties":{"issuer":"http://example.com/","subject":"s","audiences":["a"]}}"#;
        assert!(parse_put(plain).is_err());
    }
}
