//! What each flavour puts on the wire: method, URL, query, headers, body.

use super::{Endpoint, Flavour, Identity};
use crate::error::{Error, Result};
use crate::flavour::{Revocation, Secret, Wire};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One HTTP request, described. Header values may hold a secret, so this is never printed whole.
pub struct Call {
    pub method: Method,
    pub url: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub form: Vec<(&'static str, String)>,
}

/// The parameter that names the identity, if one is sent. `system` is the client id sent for
/// the system-assigned identity, where the flavour sends one.
fn identity_param(
    flavour: Flavour,
    id: &Identity,
    system: Option<&str>,
) -> Result<Option<(&'static str, String)>> {
    let sel = &flavour.spec().selectors;
    let param = |name: Option<&'static str>, what: &str, v: &str| {
        name.map(|n| (n, v.to_string())).ok_or_else(|| {
            Error::config(
                format!(
                    "the {} endpoint cannot select a user-assigned identity by {what}",
                    flavour.name()
                ),
                sel.otherwise,
            )
        })
    };
    Ok(match id {
        Identity::SystemAssigned => system.and_then(|c| sel.client_id.map(|n| (n, c.to_string()))),
        Identity::ClientId(v) => Some(param(sel.client_id, "client id", v)?),
        Identity::ObjectId(v) => Some(param(sel.object_id, "object id", v)?),
        Identity::ResourceId(v) => Some(param(sel.resource_id, "resource id", v)?),
    })
}

/// Why `flavour` cannot be asked to replace its token, and what helps instead; this is said
/// before anything is sent.
pub fn no_revocation(flavour: Flavour) -> Error {
    let instead = match flavour.spec().revocation {
        Revocation::Unsupported { instead } => instead,
        Revocation::Supported { .. } => "",
    };
    Error::config(
        format!(
            "{} cannot be asked for a new token: it has no revocation protocol (xms_cc=cp1 with token_sha256_to_refresh), so nothing was sent",
            flavour.describe()
        ),
        instead,
    )
}

/// The request for a token; with `revoke` (the hex SHA-256 of a token the endpoint holds), the
/// revocation protocol's form of it, which only flavours that support it may send.
pub fn build(ep: &Endpoint, resource: &str, revoke: Option<&str>) -> Result<Call> {
    let spec = ep.flavour.spec();
    let id = identity_param(ep.flavour, &ep.identity, ep.system_client_id.as_deref())?;
    let mut headers = Vec::new();
    if let Secret::Header { header, .. } = spec.secret {
        let value = ep.secret.as_ref().map(|s| s.expose().to_string());
        headers.push((header, value.unwrap_or_default()));
    }
    if spec.metadata_header {
        headers.push(("Metadata", "true".to_string()));
    }
    let mut params = vec![("resource", resource.to_string())];
    params.extend(id);
    let mut api_version_override = None;
    if let Some(hash) = revoke {
        match spec.revocation {
            Revocation::Supported { api_version } => api_version_override = api_version,
            Revocation::Unsupported { .. } => return Err(no_revocation(ep.flavour)),
        }
        params.push(("xms_cc", "cp1".to_string()));
        params.push(("token_sha256_to_refresh", hash.to_string()));
    }
    Ok(match spec.wire {
        Wire::Query { api_version } => Call {
            method: Method::Get,
            url: ep.url.expose().to_string(),
            query: [(
                "api-version",
                api_version_override.unwrap_or(api_version).to_string(),
            )]
            .into_iter()
            .chain(params)
            .collect(),
            headers,
            form: Vec::new(),
        },
        Wire::Form => Call {
            method: Method::Post,
            url: ep.url.expose().to_string(),
            query: Vec::new(),
            headers,
            form: params,
        },
        Wire::EntraExchange | Wire::AzCli => {
            return Err(Error::config(
                format!(
                    "the {} flavour has no managed-identity request",
                    ep.flavour.name()
                ),
                "this is a bug in tokscope: it has its own fetch",
            ))
        }
    })
}
