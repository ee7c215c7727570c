//! What each flavour puts on the wire: method, URL, query, headers, body.

use super::{Endpoint, Flavour, Identity};
use crate::error::{Error, Result};

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

pub const IMDS_API: &str = "2018-02-01";
pub const APPSERVICE_API: &str = "2019-08-01";
pub const APPSERVICE2017_API: &str = "2017-09-01";
pub const ARC_API: &str = "2020-06-01";
pub const SERVICEFABRIC_API: &str = "2019-07-01-preview";

/// The parameter name each flavour uses for each kind of user-assigned identity.
/// `system` is the client id to send for the system-assigned identity, where the flavour sends one.
fn identity_param(
    flavour: Flavour,
    id: &Identity,
    system: Option<&str>,
) -> Result<Option<(&'static str, String)>> {
    let (client, object, resource) = match flavour {
        Flavour::Imds | Flavour::Arc => ("client_id", Some("object_id"), Some("msi_res_id")),
        Flavour::Appservice => ("client_id", Some("principal_id"), Some("mi_res_id")),
        Flavour::Appservice2017 | Flavour::Azureml => ("clientid", None, None),
        Flavour::Cloudshell => ("client_id", None, None),
        Flavour::Servicefabric | Flavour::Azcli | Flavour::Workload => ("", None, None),
    };
    let unsupported = |what: &str| {
        Error::config(
            format!("the {} endpoint cannot select a user-assigned identity by {what}", flavour.name()),
            match flavour {
                Flavour::Servicefabric => "Service Fabric picks the identity from the application manifest; drop the identity option",
                Flavour::Azcli => "the Azure CLI uses the signed-in account; drop the identity option",
                Flavour::Workload => "workload identity names its identity by client id only (AZURE_CLIENT_ID or --client-id)",
                _ => "use --client-id, which every flavour that takes an identity understands",
            },
        )
    };
    Ok(match id {
        Identity::SystemAssigned => system.map(|c| (client, c.to_string())),
        Identity::ClientId(v) if !client.is_empty() => Some((client, v.clone())),
        Identity::ClientId(_) => return Err(unsupported("client id")),
        Identity::ObjectId(v) => Some((object.ok_or_else(|| unsupported("object id"))?, v.clone())),
        Identity::ResourceId(v) => Some((
            resource.ok_or_else(|| unsupported("resource id"))?,
            v.clone(),
        )),
    })
}

pub fn build(ep: &Endpoint, resource: &str) -> Result<Call> {
    // Azure ML names even the system identity: MSAL (.NET, Go, node) send
    // clientid=$DEFAULT_IDENTITY_CLIENT_ID, which the platform always sets.
    let system = match ep.flavour {
        Flavour::Azureml => ep.system_client_id.as_deref(),
        _ => None,
    };
    let id = identity_param(ep.flavour, &ep.identity, system)?;
    let secret = || {
        ep.secret
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default()
    };
    let get = |api: &'static str, headers: Vec<(&'static str, String)>| {
        let mut query = vec![
            ("api-version", api.to_string()),
            ("resource", resource.to_string()),
        ];
        query.extend(id.clone());
        Call {
            method: Method::Get,
            url: ep.url.clone(),
            query,
            headers,
            form: Vec::new(),
        }
    };
    let metadata = ("Metadata", "true".to_string());
    Ok(match ep.flavour {
        Flavour::Imds => get(IMDS_API, vec![metadata]),
        Flavour::Arc => get(ARC_API, vec![metadata]),
        Flavour::Appservice => get(
            APPSERVICE_API,
            vec![("X-IDENTITY-HEADER", secret()), metadata],
        ),
        Flavour::Appservice2017 => get(APPSERVICE2017_API, vec![("secret", secret())]),
        Flavour::Azureml => get(APPSERVICE2017_API, vec![("secret", secret()), metadata]),
        Flavour::Servicefabric => get(SERVICEFABRIC_API, vec![("Secret", secret())]),
        Flavour::Cloudshell => {
            let mut form = vec![("resource", resource.to_string())];
            form.extend(id);
            Call {
                method: Method::Post,
                url: ep.url.clone(),
                query: Vec::new(),
                headers: vec![metadata],
                form,
            }
        }
        Flavour::Azcli | Flavour::Workload => {
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
