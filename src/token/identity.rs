//! Who a token speaks for, read from its claims once: the kind of identity, its ids, its
//! tenant, the Azure resource a managed identity belongs to (from `xms_mirid`, else
//! `xms_az_rid`), what it may do. Front ends show these facts; none of them reads claims for it.

use super::claims;
use super::Jwt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// A managed identity the resource itself has.
    SystemAssigned,
    /// A managed identity of its own (`Microsoft.ManagedIdentity/userAssignedIdentities`),
    /// attached to the resource that asked.
    UserAssigned,
    /// A signed-in person (Cloud Shell, `az login`): the token has a user name or scopes.
    User,
    /// An application token with no managed-identity resource in it.
    App,
}

impl IdentityKind {
    pub fn describe(self) -> &'static str {
        match self {
            IdentityKind::SystemAssigned => "system-assigned managed identity",
            IdentityKind::UserAssigned => "user-assigned managed identity",
            IdentityKind::User => "signed-in user",
            IdentityKind::App => "application (no managed-identity resource in the token)",
        }
    }
}

/// An ARM resource id taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    pub id: String,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    /// `Microsoft.Compute/virtualMachines`.
    pub kind: Option<String>,
    pub name: Option<String>,
}

/// Read `/subscriptions/S/resourcegroups/G/providers/NS/TYPE/NAME[/…]`, case-insensitively
/// as ARM does; None for text that is not a resource id.
pub fn parse_resource_id(id: &str) -> Option<ResourceId> {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    let at = |name: &str| {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(name))
            .and_then(|i| parts.get(i + 1))
            .map(|s| s.to_string())
    };
    let subscription = at("subscriptions");
    subscription.as_ref()?;
    let (kind, name) = match parts
        .iter()
        .rposition(|p| p.eq_ignore_ascii_case("providers"))
    {
        Some(i) => match (parts.get(i + 1), parts.get(i + 2), parts.get(i + 3)) {
            (Some(ns), Some(ty), name) => (Some(format!("{ns}/{ty}")), name.map(|n| n.to_string())),
            _ => (None, None),
        },
        None => (None, None),
    };
    Some(ResourceId {
        id: id.to_string(),
        subscription,
        resource_group: at("resourcegroups"),
        kind,
        name,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFacts {
    pub kind: IdentityKind,
    /// `appid` (v1) or `azp` (v2).
    pub client_id: Option<String>,
    pub object_id: Option<String>,
    pub tenant: Option<String>,
    /// A signed-in user's name (`upn`, `unique_name`, `preferred_username`).
    pub user: Option<String>,
    /// The resource the identity belongs to: for a user-assigned identity, the identity's own
    /// resource.
    pub owner: Option<ResourceId>,
    pub audiences: Vec<String>,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    pub version: Option<String>,
}

fn strings(jwt: &Jwt, name: &str) -> Vec<String> {
    match jwt.claims.get(name) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The identity facts of a decoded token.
pub fn facts(jwt: &Jwt) -> IdentityFacts {
    let s = |n: &str| jwt.claim_str(n).map(str::to_string);
    let mirid = s("xms_mirid").or_else(|| s("xms_az_rid"));
    let owner = mirid.as_deref().and_then(parse_resource_id);
    let user = s("upn")
        .or_else(|| s("unique_name"))
        .or_else(|| s("preferred_username"));
    let scopes = strings(jwt, "scp");
    let kind = if owner.as_ref().is_some_and(|o| {
        o.kind.as_deref().is_some_and(|k| {
            k.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities")
        })
    }) {
        IdentityKind::UserAssigned
    } else if owner.is_some() {
        IdentityKind::SystemAssigned
    } else if jwt.claim_str("idtyp") == Some("user") || user.is_some() || !scopes.is_empty() {
        IdentityKind::User
    } else {
        IdentityKind::App
    };
    IdentityFacts {
        kind,
        client_id: s("appid").or_else(|| s("azp")),
        object_id: s("oid"),
        tenant: s("tid"),
        user,
        owner,
        audiences: claims::audiences(jwt),
        roles: strings(jwt, "roles"),
        scopes,
        version: s("ver"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_resource_id_comes_apart() {
        let r = parse_resource_id(
            "/subscriptions/s-1/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
        )
        .unwrap();
        assert_eq!(r.subscription.as_deref(), Some("s-1"));
        assert_eq!(r.resource_group.as_deref(), Some("rg"));
        assert_eq!(r.kind.as_deref(), Some("Microsoft.Compute/virtualMachines"));
        assert_eq!(r.name.as_deref(), Some("vm1"));
        assert!(parse_resource_id("not an id").is_none());
    }

    #[test]
    fn kinds_follow_the_claims() {
        use base64::Engine;
        let jwt = |c: serde_json::Value| {
            let b = |v: serde_json::Value| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
            };
            crate::token::decode(&format!(
                "{}.{}.c2ln",
                b(serde_json::json!({"alg":"RS256"})),
                b(c)
            ))
            .unwrap()
        };
        let ua = jwt(
            serde_json::json!({"xms_mirid": "/subscriptions/s/resourcegroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"}),
        );
        assert_eq!(facts(&ua).kind, IdentityKind::UserAssigned);
        let sa = jwt(
            serde_json::json!({"xms_az_rid": "/subscriptions/s/resourceGroups/g/providers/Microsoft.HybridCompute/machines/m"}),
        );
        assert_eq!(facts(&sa).kind, IdentityKind::SystemAssigned);
        let user = jwt(serde_json::json!({"upn": "a@b.c", "scp": "user_impersonation"}));
        let f = facts(&user);
        assert_eq!(f.kind, IdentityKind::User);
        assert_eq!(f.scopes, ["user_impersonation"]);
    }
}
