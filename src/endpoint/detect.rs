//! Which endpoint this machine has, found from env vars in azure-identity's order.

use std::collections::BTreeMap;

use super::{Endpoint, Flavour, Identity};
use crate::error::{Error, Result};
use crate::secret::HeaderSecret;

pub const DEFAULT_IMDS_HOST: &str = "http://169.254.169.254";
pub const DEFAULT_CLOUDSHELL: &str = "http://localhost:50342/oauth2/token";
pub const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";

/// Variables that decide the flavour, or that a diagnosis should mention.
pub const IDENTITY_VARS: &[&str] = &[
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZUREPS_HOST_ENVIRONMENT",
    "DEFAULT_IDENTITY_CLIENT_ID",
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
        let vars = IDENTITY_VARS.iter().chain(PROXY_VARS);
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

/// Scheme and authority of a URL, without path: `http://127.0.0.1:8080/x` → `http://127.0.0.1:8080`.
fn host_of(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    match with_scheme.find("://").map(|i| i + 3) {
        Some(start) => match with_scheme[start..].find('/') {
            Some(p) => with_scheme[..start + p].to_string(),
            None => with_scheme,
        },
        None => with_scheme,
    }
}

fn imds_token_url(host: &str) -> String {
    format!("{}{IMDS_TOKEN_PATH}", host_of(host))
}

/// Guess the flavour from a URL's path, for `--endpoint` without `--flavour`.
fn infer_flavour(url: &str) -> Option<Flavour> {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split('?').next().unwrap_or("").trim_end_matches('/');
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
                    format!("cannot tell which kind of endpoint {url} is"),
                    "add --flavour (imds, cloudshell, appservice, appservice2017, arc, servicefabric, azcli)",
                ))
            }
        },
        (None, None) => from_env(env)?,
    };
    let (flavour, mut detected_from) = flavour_and_source;
    if ov.endpoint.is_some() && !detected_from.iter().any(|s| s == "--endpoint") {
        detected_from.push("--endpoint".into());
    }
    let url = endpoint_url(flavour, env, ov)?;
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
    let thumbprint = if flavour == Flavour::Servicefabric {
        env.get("IDENTITY_SERVER_THUMBPRINT").map(str::to_string)
    } else {
        None
    };
    let mut notes = Vec::new();
    if env.has("AZURE_FEDERATED_TOKEN_FILE") {
        notes.push("AZURE_FEDERATED_TOKEN_FILE is set: this is AKS workload identity, which azure-identity uses before IMDS; tokscope shows the managed-identity endpoint only".into());
    }
    if flavour == Flavour::Cloudshell && env.has("IDENTITY_ENDPOINT") && !env.has("IDENTITY_HEADER")
    {
        notes.push("IDENTITY_ENDPOINT is set without IDENTITY_HEADER or IMDS_ENDPOINT: azure-identity (Python) would give up here instead of using MSI_ENDPOINT".into());
    }
    Ok(Endpoint {
        flavour,
        url,
        secret,
        thumbprint,
        detected_from,
        identity: ov.identity.clone(),
        notes,
    })
}

fn endpoint_url(flavour: Flavour, env: &EnvSnapshot, ov: &Overrides) -> Result<String> {
    if flavour == Flavour::Imds {
        // The token URL is always derived from the one IMDS host, so that the token and
        // the instance metadata can never go to different places.
        return Ok(imds_token_url(&imds_host(env, ov)));
    }
    if let Some(u) = &ov.endpoint {
        return Ok(u.clone());
    }
    let var = match flavour {
        Flavour::Cloudshell => {
            return Ok(env
                .get("MSI_ENDPOINT")
                .unwrap_or(DEFAULT_CLOUDSHELL)
                .to_string())
        }
        Flavour::Azcli => return Ok("az account get-access-token".into()),
        Flavour::Appservice2017 => "MSI_ENDPOINT",
        _ => "IDENTITY_ENDPOINT",
    };
    env.get(var).map(str::to_string).ok_or_else(|| {
        Error::config(
            format!(
                "--flavour {} needs an endpoint URL, and {var} is not set",
                flavour.name()
            ),
            "pass --endpoint URL",
        )
    })
}

fn from_env(env: &EnvSnapshot) -> Result<(Flavour, Vec<String>)> {
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    if env.has("IDENTITY_ENDPOINT") {
        if env.has("IDENTITY_HEADER") {
            if env.has("IDENTITY_SERVER_THUMBPRINT") {
                return Ok((
                    Flavour::Servicefabric,
                    set(&[
                        "IDENTITY_ENDPOINT",
                        "IDENTITY_HEADER",
                        "IDENTITY_SERVER_THUMBPRINT",
                    ]),
                ));
            }
            return Ok((
                Flavour::Appservice,
                set(&["IDENTITY_ENDPOINT", "IDENTITY_HEADER"]),
            ));
        }
        if env.has("IMDS_ENDPOINT") {
            return Ok((Flavour::Arc, set(&["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"])));
        }
        return Err(Error::config(
            "IDENTITY_ENDPOINT is set, but neither IDENTITY_HEADER (App Service, Service Fabric) nor IMDS_ENDPOINT (Azure Arc) is",
            "set the missing variable, or unset IDENTITY_ENDPOINT; azure-identity (Python) gives up here and ignores MSI_ENDPOINT, while MSAL and Go's azidentity fall back to IMDS. To choose yourself, pass --flavour",
        ));
    }
    if env.has("MSI_ENDPOINT") {
        if env.has("MSI_SECRET") {
            return Ok((
                Flavour::Appservice2017,
                set(&["MSI_ENDPOINT", "MSI_SECRET"]),
            ));
        }
        return Ok((Flavour::Cloudshell, set(&["MSI_ENDPOINT"])));
    }
    if env.has("AZURE_POD_IDENTITY_AUTHORITY_HOST") {
        return Ok((Flavour::Imds, set(&["AZURE_POD_IDENTITY_AUTHORITY_HOST"])));
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
            Ok(Flavour::Appservice2017)
        );
        assert_eq!(
            d(&[("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")]),
            Ok(Flavour::Cloudshell)
        );
        assert_eq!(d(&[]), Ok(Flavour::Imds));
    }

    #[test]
    fn imds_host_is_one_setting() {
        let e = env(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9/")]);
        let ep = detect(&e, &Overrides::default()).unwrap();
        assert_eq!(ep.url, "http://127.0.0.1:9/metadata/identity/oauth2/token");
        assert_eq!(imds_host(&e, &Overrides::default()), "http://127.0.0.1:9");
        let ov = Overrides {
            endpoint: Some("127.0.0.1:7".into()),
            ..Default::default()
        };
        assert_eq!(imds_host(&e, &ov), "http://127.0.0.1:7");
        assert_eq!(
            detect(&e, &ov).unwrap().url,
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
            detect(&e, &custom).unwrap().url,
            "http://127.0.0.1:8080/metadata/identity/oauth2/token"
        );
    }
}
