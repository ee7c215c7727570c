//! Which endpoint this machine has, found from env vars in azure-identity's order.

use std::collections::BTreeMap;

use super::workload::{self, WorkloadInputs};
use super::{Endpoint, Flavour, Identity};
use crate::display_url::{DisplayUrl, PrivateUrl};
use crate::error::{Error, Result};
use crate::flavour::{Detect, UrlSource, Wire};
use crate::secret::HeaderSecret;

pub const DEFAULT_IMDS_HOST: &str = "http://169.254.169.254";
pub const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";

pub use crate::flavour::IDENTITY_VARS;

/// What a pod's environment says about the webhook's work beyond the four inputs: whether this
/// is a pod at all, an identity binding's proxy, and (for tests against the emulator) where the
/// pod's `/` is.
pub const POD_VARS: &[&str] = &[
    "KUBERNETES_SERVICE_HOST",
    "AZURE_KUBERNETES_TOKEN_PROXY",
    "AZURE_KUBERNETES_SNI_NAME",
    "AZURE_KUBERNETES_CA_FILE",
    "AZURE_KUBERNETES_CA_DATA",
    "TOKSCOPE_POD_ROOT",
];

pub const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The part of the environment tokscope looks at, captured once so that detection is a pure
/// function (and tests never touch the process environment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot(BTreeMap<String, String>);

impl EnvSnapshot {
    pub fn from_process() -> Self {
        let vars = IDENTITY_VARS.iter().chain(PROXY_VARS).chain(POD_VARS);
        Self(
            vars.filter_map(|k| {
                std::env::var(k)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (k.to_string(), v))
            })
            .collect(),
        )
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every variable captured, with its value.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Names of the identity variables that are set (values may be secrets, so names only).
    pub fn identity_vars_set(&self) -> Vec<&'static str> {
        IDENTITY_VARS
            .iter()
            .copied()
            .filter(|k| self.has(k))
            .collect()
    }
}

/// What the command line says, overriding detection.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub endpoint: Option<String>,
    pub flavour: Option<Flavour>,
    pub identity: Identity,
    /// For flavours that need a header secret when it is not in the environment.
    pub secret: Option<HeaderSecret>,
    /// Workload identity: the service-account token file, instead of AZURE_FEDERATED_TOKEN_FILE.
    pub token_file: Option<std::path::PathBuf>,
    /// Workload identity: the tenant, instead of AZURE_TENANT_ID.
    pub tenant: Option<String>,
    /// Workload identity: Entra's host, instead of AZURE_AUTHORITY_HOST.
    pub authority_host: Option<String>,
}

/// The variables the workload-identity webhook injects, each with what its absence points to.
pub const WORKLOAD_VARS: &[(&str, &str)] = &[
    ("AZURE_FEDERATED_TOKEN_FILE", "the pod lacks the label azure.workload.identity/use: \"true\" (the webhook mutates only labelled pods, at creation), the container is in azure.workload.identity/skip-containers, or the pod is in kube-system"),
    ("AZURE_CLIENT_ID", "the service account has no azure.workload.identity/client-id annotation (an empty value is not injected); restart the pod after adding it"),
    ("AZURE_TENANT_ID", "the service account has no azure.workload.identity/tenant-id annotation and the webhook's config has no AZURE_TENANT_ID"),
    ("AZURE_AUTHORITY_HOST", "the webhook sets it from its cloud (AZURE_ENVIRONMENT); without it the public cloud's https://login.microsoftonline.com/ is used"),
];

/// The workload inputs from flags first, then the webhook's variables.
fn workload_inputs(env: &EnvSnapshot, ov: &Overrides) -> Result<WorkloadInputs> {
    let missing = |what: &str, var: &str, flag: &str| {
        let cause = WORKLOAD_VARS
            .iter()
            .find(|(v, _)| *v == var)
            .map_or("", |(_, c)| c);
        Error::config(
            format!("workload identity needs {what}, and neither {flag} nor {var} is set"),
            format!("{var} is missing: {cause}; or pass {flag}"),
        )
    };
    let token_file = ov
        .token_file
        .clone()
        .or_else(|| env.get("AZURE_FEDERATED_TOKEN_FILE").map(Into::into))
        .ok_or_else(|| {
            missing(
                "the service-account token file",
                "AZURE_FEDERATED_TOKEN_FILE",
                "--token-file",
            )
        })?;
    let tenant = ov
        .tenant
        .clone()
        .or_else(|| env.get("AZURE_TENANT_ID").map(str::to_string))
        .ok_or_else(|| missing("a tenant", "AZURE_TENANT_ID", "--tenant-id"))?;
    let client_id = match &ov.identity {
        Identity::ClientId(c) => c.clone(),
        Identity::SystemAssigned => env
            .get("AZURE_CLIENT_ID")
            .map(str::to_string)
            .ok_or_else(|| missing("a client id", "AZURE_CLIENT_ID", "--client-id"))?,
        _ => {
            return Err(Error::config(
                "workload identity names its identity by client id only",
                "pass --client-id (or set AZURE_CLIENT_ID), not --object-id or --resource-id",
            ))
        }
    };
    let authority = ov
        .authority_host
        .as_deref()
        .or(ov.endpoint.as_deref())
        .or_else(|| env.get("AZURE_AUTHORITY_HOST"))
        .unwrap_or(workload::DEFAULT_AUTHORITY);
    Ok(WorkloadInputs {
        token_file,
        tenant: tenant.trim().to_string(),
        client_id: client_id.trim().to_string(),
        authority: workload::normalise_authority(authority),
    })
}

/// The IMDS host, one setting for every IMDS call (token and instance metadata):
/// `--endpoint` when the flavour is IMDS, else AZURE_POD_IDENTITY_AUTHORITY_HOST, else 169.254.169.254.
pub fn imds_host(env: &EnvSnapshot, ov: &Overrides) -> String {
    let from_flag = ov.endpoint.as_deref().filter(|u| match ov.flavour {
        Some(f) => f == Flavour::Imds,
        None => infer_flavour(u) == Some(Flavour::Imds),
    });
    let host = from_flag
        .or_else(|| env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST"))
        .unwrap_or(DEFAULT_IMDS_HOST);
    host_of(host)
}

/// A URL as people type it for an endpoint: a bare `127.0.0.1:8080` means http.
fn parse_loose(url: &str) -> Option<url::Url> {
    let url = url.trim();
    if url.contains("://") {
        url::Url::parse(url).ok()
    } else {
        url::Url::parse(&format!("http://{url}")).ok()
    }
}

/// Scheme and authority of a URL, without path: `http://127.0.0.1:8080/x` → `http://127.0.0.1:8080`.
fn host_of(url: &str) -> String {
    match parse_loose(url) {
        Some(u) if u.has_host() => u.origin().ascii_serialization(),
        // Not a URL: left as given, so that the request's own error names it.
        _ => url.trim().trim_end_matches('/').to_string(),
    }
}

fn imds_token_url(host: &str) -> String {
    format!("{}{IMDS_TOKEN_PATH}", host_of(host))
}

/// Guess the flavour from a URL's path, for `--endpoint` without `--flavour`.
fn infer_flavour(url: &str) -> Option<Flavour> {
    let parsed = parse_loose(url)?;
    let path = parsed.path().trim_end_matches('/');
    if path.is_empty() || path.starts_with("/metadata") {
        Some(Flavour::Imds)
    } else if path.ends_with("/oauth2/token") {
        Some(Flavour::Cloudshell)
    } else {
        None
    }
}

pub fn detect(env: &EnvSnapshot, ov: &Overrides) -> Result<Endpoint> {
    let flavour_and_source = match (ov.flavour, ov.endpoint.as_deref()) {
        (Some(f), _) => (f, vec!["--flavour".to_string()]),
        (None, Some(url)) => match infer_flavour(url) {
            Some(f) => (f, vec!["--endpoint".to_string()]),
            None => {
                return Err(Error::config(
                    format!(
                        "cannot tell which kind of endpoint {} is",
                        DisplayUrl::of(url)
                    ),
                    format!("add --flavour ({})", Flavour::names()),
                ))
            }
        },
        (None, None) => from_env(env)?,
    };
    let (flavour, mut detected_from) = flavour_and_source;
    if ov.endpoint.is_some() && !detected_from.iter().any(|s| s == "--endpoint") {
        detected_from.push("--endpoint".into());
    }
    let workload = if matches!(flavour.spec().wire, Wire::EntraExchange) {
        Some(workload_inputs(env, ov)?)
    } else {
        None
    };
    let url = match &workload {
        Some(w) => w.token_url(),
        None => endpoint_url(flavour, env, ov)?,
    };
    let spec = flavour.spec();
    let secret = match flavour.secret_var() {
        Some(var) => Some(
            ov.secret
                .clone()
                .or_else(|| env.get(var).map(HeaderSecret::new))
                .ok_or_else(|| {
                    Error::config(
                        format!(
                            "the {} endpoint needs a secret header, and {var} is not set",
                            flavour.name()
                        ),
                        format!("set {var} (the platform sets it for the app), or pass --secret"),
                    )
                })?,
        ),
        None => None,
    };
    let thumbprint = spec
        .thumbprint_var
        .and_then(|var| env.get(var))
        .map(str::to_string);
    let mut notes = Vec::new();
    let some_workload = WORKLOAD_VARS.iter().take(3).any(|(v, _)| env.has(v));
    if flavour != Flavour::Workload && env.has("AZURE_FEDERATED_TOKEN_FILE") {
        let absent: Vec<&str> = WORKLOAD_VARS
            .iter()
            .take(3)
            .filter(|(v, _)| !env.has(v))
            .map(|(v, _)| *v)
            .collect();
        notes.push(if absent.is_empty() {
            "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are set: this is AKS workload identity, which azure-identity uses before IMDS; --flavour workload shows that exchange".into()
        } else {
            format!("AZURE_FEDERATED_TOKEN_FILE is set but {} is not: azure-identity skips workload identity here; `tokscope doctor` says why", absent.join(" and "))
        });
    } else if flavour != Flavour::Workload
        && some_workload
        && env.has("AZURE_CLIENT_ID")
        && env.has("AZURE_TENANT_ID")
        && !env.has("AZURE_FEDERATED_TOKEN_FILE")
    {
        notes.push("AZURE_CLIENT_ID and AZURE_TENANT_ID are set without AZURE_FEDERATED_TOKEN_FILE: if this is an AKS pod, the workload-identity webhook did not mutate it (pod label azure.workload.identity/use: \"true\")".into());
    }
    let system_var = spec.selectors.system_client_id_var;
    let system_client_id = system_var.and_then(|var| env.get(var)).map(str::to_string);
    if let (Some(var), Identity::SystemAssigned) = (system_var, &ov.identity) {
        notes.push(match &system_client_id {
            Some(_) => format!("the system identity is asked for by {var}, as MSAL and azidentity do on {}", spec.describe),
            None => format!("{var} is not set (the platform always sets it): the system identity is asked for without an id, as azure-identity (Python) does"),
        });
    }
    if flavour == Flavour::Azureml && detected_from.iter().any(|v| v == "MSI_SECRET") {
        notes.push("MSI_ENDPOINT with MSI_SECRET is Azure ML to every current SDK; App Service's legacy 2017-09-01 endpoint uses the same pair: --flavour appservice2017 reads its date forms".into());
    }
    if flavour == Flavour::Cloudshell && env.has("IDENTITY_ENDPOINT") && !env.has("IDENTITY_HEADER")
    {
        notes.push("IDENTITY_ENDPOINT is set without IDENTITY_HEADER or IMDS_ENDPOINT: azure-identity (Python) would give up here instead of using MSI_ENDPOINT".into());
    }
    // The Azure CLI's token comes from a process, not a URL a proxy could catch.
    if flavour != Flavour::Azcli {
        notes.extend(super::proxy::gap(env, &url));
    }
    Ok(Endpoint {
        flavour,
        url: PrivateUrl::new(url),
        secret,
        thumbprint,
        detected_from,
        identity: match &workload {
            Some(w) => Identity::ClientId(w.client_id.clone()),
            None => ov.identity.clone(),
        },
        system_client_id,
        notes,
        workload,
    })
}

fn endpoint_url(flavour: Flavour, env: &EnvSnapshot, ov: &Overrides) -> Result<String> {
    let (var, default) = match (&flavour.spec().url, &ov.endpoint) {
        // The token URL is always derived from the one IMDS host, so that the token and
        // the instance metadata can never go to different places.
        (UrlSource::ImdsHost, _) => return Ok(imds_token_url(&imds_host(env, ov))),
        (_, Some(url)) => return Ok(url.clone()),
        (UrlSource::Var { var, default }, None) => (*var, *default),
        (UrlSource::Command(command), None) => return Ok(command.to_string()),
        // Made from the tenant and authority by `workload_inputs`.
        (UrlSource::Entra, None) => return Ok(String::new()),
    };
    match env.get(var).or(default) {
        Some(url) => Ok(url.to_string()),
        None => Err(Error::config(
            format!(
                "--flavour {} needs an endpoint URL, and {var} is not set",
                flavour.name()
            ),
            "pass --endpoint URL",
        )),
    }
}

/// The first row, in rank order, whose variables are all set; IMDS at its default host when none is.
fn from_env(env: &EnvSnapshot) -> Result<(Flavour, Vec<String>)> {
    let mut rows: Vec<(Flavour, &Detect)> = Flavour::ALL
        .iter()
        .filter_map(|f| f.spec().detect.as_ref().map(|d| (*f, d)))
        .collect();
    rows.sort_by_key(|(_, d)| d.rank);
    for (flavour, row) in rows {
        if row.vars.iter().all(|v| env.has(v)) {
            let set = row.also.iter().filter(|v| env.has(v));
            let from = row.vars.iter().chain(set).map(|v| v.to_string()).collect();
            return Ok((flavour, from));
        }
        // Past the rows that read IDENTITY_ENDPOINT, it set alone is a half-configured platform.
        if !row.vars.contains(&"IDENTITY_ENDPOINT") && env.has("IDENTITY_ENDPOINT") {
            return Err(Error::config(
                "IDENTITY_ENDPOINT is set, but neither IDENTITY_HEADER (App Service, Service Fabric) nor IMDS_ENDPOINT (Azure Arc) is",
                "set the missing variable, or unset IDENTITY_ENDPOINT; azure-identity (Python) gives up here and ignores MSI_ENDPOINT, while MSAL and Go's azidentity fall back to IMDS. To choose yourself, pass --flavour",
            ));
        }
    }
    Ok((Flavour::Imds, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(p: &[(&str, &str)]) -> EnvSnapshot {
        EnvSnapshot::from_pairs(p.iter().copied())
    }

    #[test]
    fn overrides_debug_hides_the_secret() {
        let ov = Overrides {
            secret: Some(HeaderSecret::new("s3cr3t-header-value")),
            ..Overrides::default()
        };
        assert!(!format!("{ov:?}").contains("s3cr3t-header-value"));
    }

    #[test]
    fn order_follows_azure_identity() {
        let d = |p: &[(&str, &str)]| detect(&env(p), &Overrides::default()).map(|e| e.flavour);
        let ie = ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token");
        let ih = ("IDENTITY_HEADER", "h");
        assert_eq!(
            d(&[ie, ih, ("IDENTITY_SERVER_THUMBPRINT", "t")]),
            Ok(Flavour::Servicefabric)
        );
        assert_eq!(
            d(&[ie, ih, ("MSI_ENDPOINT", "x"), ("MSI_SECRET", "s")]),
            Ok(Flavour::Appservice)
        );
        assert_eq!(d(&[ie, ("IMDS_ENDPOINT", "x")]), Ok(Flavour::Arc));
        assert!(d(&[ie, ("MSI_ENDPOINT", "x")]).is_err());
        assert_eq!(
            d(&[
                ("MSI_ENDPOINT", "http://localhost:50342/oauth2/token"),
                ("MSI_SECRET", "s")
            ]),
            Ok(Flavour::Azureml)
        );
        assert_eq!(
            d(&[("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")]),
            Ok(Flavour::Cloudshell)
        );
        assert_eq!(d(&[]), Ok(Flavour::Imds));
        let wi = [
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                "/var/run/secrets/azure/tokens/azure-identity-token",
            ),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"),
        ];
        assert_eq!(d(&wi), Ok(Flavour::Workload));
        assert_eq!(d(&wi[1..]), Ok(Flavour::Imds));
        assert_eq!(
            d(&[
                wi[0],
                wi[1],
                wi[2],
                ("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")
            ]),
            Ok(Flavour::Cloudshell)
        );
    }

    #[test]
    fn workload_authority_defaults_to_the_public_cloud() {
        let e = env(&[
            ("AZURE_FEDERATED_TOKEN_FILE", "/t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t1"),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"),
        ]);
        let ep = detect(&e, &Overrides::default()).unwrap();
        assert_eq!(
            ep.url.expose(),
            "https://login.microsoftonline.com/t1/oauth2/v2.0/token"
        );
        let e2 = env(&[
            ("AZURE_FEDERATED_TOKEN_FILE", "/t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t1"),
            ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"),
        ]);
        let ep = detect(&e2, &Overrides::default()).unwrap();
        assert_eq!(
            ep.url.expose(),
            "https://login.microsoftonline.us/t1/oauth2/v2.0/token"
        );
        assert_eq!(ep.identity, Identity::ClientId("c".into()));
    }

    #[test]
    fn imds_host_is_one_setting() {
        let e = env(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9/")]);
        let ep = detect(&e, &Overrides::default()).unwrap();
        assert_eq!(
            ep.url.expose(),
            "http://127.0.0.1:9/metadata/identity/oauth2/token"
        );
        assert_eq!(imds_host(&e, &Overrides::default()), "http://127.0.0.1:9");
        let ov = Overrides {
            endpoint: Some("127.0.0.1:7".into()),
            ..Default::default()
        };
        assert_eq!(imds_host(&e, &ov), "http://127.0.0.1:7");
        assert_eq!(
            detect(&e, &ov).unwrap().url.expose(),
            "http://127.0.0.1:7/metadata/identity/oauth2/token"
        );
        assert_eq!(
            imds_host(&env(&[]), &Overrides::default()),
            DEFAULT_IMDS_HOST
        );
        let custom = Overrides {
            endpoint: Some("http://127.0.0.1:8080/custom".into()),
            flavour: Some(Flavour::Imds),
            ..Default::default()
        };
        assert_eq!(imds_host(&e, &custom), "http://127.0.0.1:8080");
        assert_eq!(
            detect(&e, &custom).unwrap().url.expose(),
            "http://127.0.0.1:8080/metadata/identity/oauth2/token"
        );
    }
}
