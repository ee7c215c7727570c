//! Checks of the environment alone: which identity variables are set, and proxies.
//! Only variable names are shown: values such as IDENTITY_HEADER and proxy URLs may hold secrets.

use super::{Check, Status};
use crate::endpoint::{Endpoint, EnvSnapshot, Overrides};
use crate::error::Result;

pub const ENVIRONMENT: &str = "environment";
pub const PROXY: &str = "proxy";

/// A problem with the identity variables, and how bad it is.
struct Conflict {
    status: Status,
    what: String,
    hint: String,
}

fn conflicts(env: &EnvSnapshot) -> Vec<Conflict> {
    let has = |k: &str| env.has(k);
    let mut out = Vec::new();
    let mut warn = |what: &str, hint: &str| {
        out.push(Conflict {
            status: Status::Warn,
            what: what.to_string(),
            hint: hint.to_string(),
        })
    };
    if has("IDENTITY_ENDPOINT") && (has("IDENTITY_HEADER") || has("IMDS_ENDPOINT")) {
        let same = env.get("IDENTITY_ENDPOINT") == env.get("MSI_ENDPOINT");
        // App Service sets both pairs to the same URL; only a different MSI_ENDPOINT is lost.
        if has("MSI_ENDPOINT") && !same {
            warn(
                "MSI_ENDPOINT is set to another URL than IDENTITY_ENDPOINT, and is ignored: IDENTITY_ENDPOINT comes first",
                "unset the pair you do not mean to use",
            );
        }
    }
    if has("IDENTITY_HEADER") && !has("IDENTITY_ENDPOINT") {
        warn(
            "IDENTITY_HEADER is set without IDENTITY_ENDPOINT, so nothing uses it",
            "set IDENTITY_ENDPOINT too, or unset IDENTITY_HEADER",
        );
    }
    if has("IMDS_ENDPOINT") && !has("IDENTITY_ENDPOINT") {
        warn(
            "IMDS_ENDPOINT is set without IDENTITY_ENDPOINT: Azure Arc needs both",
            "set IDENTITY_ENDPOINT (the Arc agent's is http://localhost:40342/metadata/identity/oauth2/token)",
        );
    }
    if has("IDENTITY_SERVER_THUMBPRINT") && !(has("IDENTITY_ENDPOINT") && has("IDENTITY_HEADER")) {
        warn(
            "IDENTITY_SERVER_THUMBPRINT is set without IDENTITY_ENDPOINT and IDENTITY_HEADER: Service Fabric needs all three",
            "set the missing variables, or unset IDENTITY_SERVER_THUMBPRINT",
        );
    }
    if has("MSI_SECRET") && !has("MSI_ENDPOINT") {
        warn(
            "MSI_SECRET is set without MSI_ENDPOINT, so nothing uses it",
            "set MSI_ENDPOINT too, or unset MSI_SECRET",
        );
    }
    out
}

/// Which identity variables are set, which flavour follows, and whether they contradict each other.
pub fn environment(
    env: &EnvSnapshot,
    overrides: &Overrides,
    detected: &Result<Endpoint>,
    demo: bool,
) -> Check {
    let set = env.identity_vars_set();
    let mut evidence = if demo {
        "--demo: the machine's environment is ignored".to_string()
    } else if set.is_empty() {
        "no identity variables set".to_string()
    } else {
        format!("set: {}", set.join(", "))
    };
    let ep = match detected {
        Ok(ep) => ep,
        Err(e) => {
            let mut hint = e.hint.clone();
            if env.has("MSI_ENDPOINT") && env.has("IDENTITY_ENDPOINT") {
                hint = format!("MSI_ENDPOINT is hidden by IDENTITY_ENDPOINT; {hint}");
            }
            return Check::fail(ENVIRONMENT, format!("{evidence}; {}", e.message), hint);
        }
    };
    let why = if demo {
        "on the built-in emulator".to_string()
    } else if overrides.flavour.is_some() || overrides.endpoint.is_some() {
        "chosen on the command line".to_string()
    } else if ep.detected_from.is_empty() {
        "the default".to_string()
    } else {
        format!("from {}", ep.detected_from.join(", "))
    };
    evidence = format!(
        "{evidence} → {}, {why}: {}",
        ep.flavour.name(),
        ep.flavour.describe()
    );
    for note in &ep.notes {
        evidence = format!("{evidence}; {note}");
    }
    let found = if demo { Vec::new() } else { conflicts(env) };
    if found.is_empty() {
        return Check::pass(ENVIRONMENT, evidence);
    }
    let status = found.iter().map(|c| c.status).max().unwrap_or(Status::Warn);
    let what: Vec<&str> = found.iter().map(|c| c.what.as_str()).collect();
    let hints: Vec<&str> = found.iter().map(|c| c.hint.as_str()).collect();
    Check {
        name: ENVIRONMENT.into(),
        status,
        evidence: format!("{evidence}; {}", what.join("; ")),
        hint: hints.join("; "),
    }
}

use crate::endpoint::proxy::{self, no_proxy_covers, url_host, MUST_BYPASS};

/// A proxy variable set without NO_PROXY covering the local endpoints: other clients will break.
/// `endpoint_urls` are this machine's own (the detected endpoint, the IMDS host), checked
/// besides the usual local hosts.
pub fn proxy(env: &EnvSnapshot, endpoint_urls: &[&str]) -> Check {
    let set = proxy::proxies_set(env);
    if set.is_empty() {
        return Check::pass(PROXY, "no HTTP(S)_PROXY set");
    }
    let no_proxy = proxy::no_proxy(env);
    let mut hosts: Vec<String> = MUST_BYPASS.iter().map(|h| h.to_string()).collect();
    for host in endpoint_urls.iter().filter_map(|u| url_host(u)) {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    let (covered, missed): (Vec<String>, Vec<String>) = hosts
        .into_iter()
        .partition(|h| no_proxy_covers(&no_proxy, h));
    let which = format!("{} set", set.join(", "));
    if missed.is_empty() {
        return Check::pass(
            PROXY,
            format!("{which}; NO_PROXY covers {}", covered.join(", ")),
        );
    }
    let coverage = if no_proxy.trim().is_empty() {
        "NO_PROXY is not set".to_string()
    } else {
        format!("NO_PROXY does not cover {}", missed.join(", "))
    };
    Check::warn(
        PROXY,
        format!("{which}; {coverage}"),
        format!(
            "tokscope itself bypasses proxies for token endpoints, but azure-identity, the Azure CLI and curl send those requests to the proxy, which answers with an HTML page or strips the Metadata header: add {} to NO_PROXY (and no_proxy)",
            missed.join(",")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_forms() {
        assert!(no_proxy_covers("*", "169.254.169.254"));
        assert!(no_proxy_covers(
            "example.com, 169.254.169.254",
            "169.254.169.254"
        ));
        assert!(no_proxy_covers("169.254.0.0/16", "169.254.169.254"));
        assert!(!no_proxy_covers("10.0.0.0/8", "169.254.169.254"));
        assert!(no_proxy_covers("localhost:50342", "localhost"));
        assert!(no_proxy_covers(".corp.example", "a.corp.example"));
        assert!(!no_proxy_covers("254.169.254", "169.254.169.254"));
        assert!(!no_proxy_covers("", "localhost"));
    }

    #[test]
    fn the_detected_endpoint_and_imds_host_must_bypass_too() {
        let env = EnvSnapshot::from_pairs([
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "169.254.169.254,localhost,127.0.0.1"),
        ]);
        let urls = [
            "http://10.1.2.3:42356/msi/token",
            "http://imds.corp.example",
        ];
        let check = proxy(&env, &urls);
        assert_eq!(check.status, Status::Warn);
        assert!(check.evidence.contains("10.1.2.3"), "{}", check.evidence);
        assert!(check.evidence.contains("imds.corp.example"));
        assert!(check
            .hint
            .contains("add 10.1.2.3,imds.corp.example to NO_PROXY"));

        let all = EnvSnapshot::from_pairs([
            ("HTTPS_PROXY", "http://p:1"),
            (
                "NO_PROXY",
                "169.254.169.254,localhost,127.0.0.1,10.0.0.0/8,.corp.example",
            ),
        ]);
        let check = proxy(&all, &urls);
        assert_eq!(check.status, Status::Pass, "{}", check.evidence);
        assert!(check.evidence.contains("10.1.2.3"));
    }
}
