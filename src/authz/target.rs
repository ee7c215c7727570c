//! From a request (method and URL, or an ARM scope) to the action Azure checks and the scope it
//! checks it at: ARM from the provider, type and verb; Key Vault and Blob Storage from the
//! data-plane operation; Graph from the collection.

use serde::Serialize;

/// Which service answers the request, which decides the token's audience and the 403's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Arm,
    KeyVault,
    Blob,
    Graph,
}

impl Service {
    /// The resource to ask a token for (ARM's comes from the ARM client, which knows the cloud).
    pub fn audience(self) -> Option<&'static str> {
        match self {
            Service::Arm => None,
            Service::KeyVault => Some("https://vault.azure.net"),
            Service::Blob => Some("https://storage.azure.com"),
            Service::Graph => Some("https://graph.microsoft.com"),
        }
    }
}

/// A request, read for authorization.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub service: Service,
    pub method: String,
    /// The URL to send, when the target was one; None for an ARM path or scope, which goes to
    /// the ARM base.
    #[serde(skip)]
    pub url: Option<String>,
    /// The URL's path (and query), or the ARM path given.
    #[serde(skip)]
    pub path: String,
    pub action: String,
    /// Whether `action` is a data action (checked against `dataActions`).
    pub data_action: bool,
    /// The ARM scope the action is checked at, when the target itself says (ARM paths).
    pub scope: Option<String>,
    /// The vault or storage account, for data-plane targets.
    pub resource_name: Option<String>,
    /// The blob container, for Storage targets.
    pub container: Option<String>,
}

/// The path prefixes under which `tokscope emulate` serves vaults and storage accounts (one
/// port has no room for `{vault}.vault.azure.net`).
pub const EMULATED_VAULT_PREFIX: &str = "/vault/";
pub const EMULATED_BLOB_PREFIX: &str = "/blob/";

fn is(seg: Option<&&str>, lit: &str) -> bool {
    seg.is_some_and(|s| s.eq_ignore_ascii_case(lit))
}

/// ARM's verb for a method on a resource or collection; POST names an action.
fn arm_verb(method: &str) -> &'static str {
    match method {
        "PUT" | "PATCH" => "write",
        "DELETE" => "delete",
        _ => "read",
    }
}

/// The action and scope ARM checks for `method` on `path` (e.g.
/// `/subscriptions/s/providers/Microsoft.Compute/virtualMachines`).
pub fn arm_action(method: &str, path: &str) -> Result<(String, String), String> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let seg: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if !is(seg.first(), "subscriptions") || seg.len() < 2 {
        return Err(format!(
            "{path} is not an ARM path under /subscriptions/{{id}}: give a resource id, a list URL or a scope"
        ));
    }
    let join = |n: usize| format!("/{}", seg.get(..n).unwrap_or_default().join("/"));
    let Some(prov) = seg
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    else {
        // Subscriptions and resource groups are Microsoft.Resources types.
        return Ok(match seg.len() {
            2 => (
                format!("Microsoft.Resources/subscriptions/{}", arm_verb(method)),
                join(2),
            ),
            3 if is(seg.get(2), "resourceGroups") => (
                "Microsoft.Resources/subscriptions/resourceGroups/read".into(),
                join(2),
            ),
            3 if is(seg.get(2), "resources") => (
                "Microsoft.Resources/subscriptions/resources/read".into(),
                join(2),
            ),
            4 if is(seg.get(2), "resourceGroups") => (
                format!(
                    "Microsoft.Resources/subscriptions/resourceGroups/{}",
                    arm_verb(method)
                ),
                join(4),
            ),
            _ => {
                return Err(format!(
                    "{path}: no provider in the path, and not a subscription or resource group"
                ))
            }
        });
    };
    let Some(ns) = seg.get(prov + 1) else {
        return Err(format!(
            "{path} names no provider namespace after /providers"
        ));
    };
    let rest = seg.get(prov + 2..).unwrap_or_default();
    if rest.is_empty() {
        return Err(format!("{path} names no resource type after {ns}"));
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let n = seg.len();
    let (action, scope_len) = match (rest.len() % 2, method) {
        // A resource: checked at itself.
        (0, "POST") => (format!("{ns}/{}/action", types.join("/")), n),
        (0, _) => (format!("{ns}/{}/{}", types.join("/"), arm_verb(method)), n),
        // A POST on `…/{name}/{operation}`: the operation's action, on the resource.
        (_, "POST") if rest.len() >= 3 => {
            let kept = types.get(..types.len() - 1).unwrap_or_default();
            let op = types.last().copied().unwrap_or_default();
            (format!("{ns}/{}/{op}/action", kept.join("/")), n - 1)
        }
        // A collection: checked at its parent (for a top-level type, the scope before `providers`).
        _ => (
            format!("{ns}/{}/{}", types.join("/"), arm_verb(method)),
            if rest.len() == 1 { prov } else { n - 1 },
        ),
    };
    Ok((action, join(scope_len)))
}

/// The data action for a Key Vault request path (`/secrets/name`, `/keys`).
fn key_vault_action(method: &str, path: &[&str]) -> String {
    let kind = path.first().map_or("secrets", |s| s.trim());
    let one = path.len() >= 2;
    let base = "Microsoft.KeyVault/vaults";
    match (kind.to_ascii_lowercase().as_str(), method, one) {
        ("secrets", "GET", true) => format!("{base}/secrets/getSecret/action"),
        ("secrets", "GET", false) => format!("{base}/secrets/readMetadata/action"),
        ("secrets", "PUT", _) => format!("{base}/secrets/setSecret/action"),
        ("secrets", "DELETE", _) => format!("{base}/secrets/delete"),
        ("keys", "GET", _) => format!("{base}/keys/read"),
        ("keys", "POST", _) => format!("{base}/keys/{}/action", path.last().unwrap_or(&"sign")),
        ("certificates", "GET", _) => format!("{base}/certificates/read"),
        (k, "DELETE", _) => format!("{base}/{k}/delete"),
        (k, _, _) => format!("{base}/{k}/write"),
    }
}

/// The action for a Blob request: listing containers is a control action, blobs are data.
fn blob_action(method: &str, container: Option<&str>) -> (String, bool) {
    let base = "Microsoft.Storage/storageAccounts/blobServices/containers";
    match (container, method) {
        (None, _) => (format!("{base}/read"), false),
        (Some(_), "PUT") => (format!("{base}/blobs/write"), true),
        (Some(_), "DELETE") => (format!("{base}/blobs/delete"), true),
        (Some(_), _) => (format!("{base}/blobs/read"), true),
    }
}

/// The Graph application permission a collection needs: Graph checks app roles, not RBAC.
fn graph_permission(path: &[&str]) -> String {
    let collection = path
        .iter()
        .find(|s| !s.eq_ignore_ascii_case("v1.0") && !s.eq_ignore_ascii_case("beta"))
        .map(|s| s.to_ascii_lowercase());
    match collection.as_deref() {
        Some("users") => "User.Read.All",
        Some("groups") => "Group.Read.All",
        Some("applications" | "serviceprincipals") => "Application.Read.All",
        _ => "Directory.Read.All",
    }
    .into()
}

/// Read `target` (a URL, an ARM path or an ARM scope) for `method`.
pub fn parse(target: &str, method: &str) -> Result<Target, String> {
    let method = method.trim().to_ascii_uppercase();
    let target = target.trim();
    if target.starts_with('/') {
        let (action, scope) = arm_action(&method, target)?;
        return Ok(Target {
            service: Service::Arm,
            method,
            url: None,
            path: target.into(),
            action,
            data_action: false,
            scope: Some(scope),
            resource_name: None,
            container: None,
        });
    }
    let url = url::Url::parse(target).map_err(|e| {
        format!("{target:?} is neither a URL nor an ARM path ({e}): give e.g. /subscriptions/<id>/providers/Microsoft.Compute/virtualMachines")
    })?;
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let path: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(|p| p.to_string()).collect())
        .unwrap_or_default();
    let path_refs: Vec<&str> = path.iter().map(String::as_str).collect();
    let full_path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let emulated =
        |prefix: &str| url.path().starts_with(prefix) && crate::loopback::is_loopback_url(target);
    let mut t = Target {
        service: Service::Arm,
        method: method.clone(),
        url: Some(target.to_string()),
        path: full_path,
        action: String::new(),
        data_action: false,
        scope: None,
        resource_name: None,
        container: None,
    };
    let vault = if let Some(name) = host
        .strip_suffix(".vault.azure.net")
        .or_else(|| host.strip_suffix(".vault.azure.cn"))
        .or_else(|| host.strip_suffix(".vault.usgovcloudapi.net"))
    {
        Some((name.to_string(), &path_refs[..]))
    } else if emulated(EMULATED_VAULT_PREFIX) {
        path_refs
            .get(1)
            .map(|n| (n.to_string(), path_refs.get(2..).unwrap_or_default()))
    } else {
        None
    };
    let blob = if let Some(name) = host.strip_suffix(".blob.core.windows.net") {
        Some((name.to_string(), &path_refs[..]))
    } else if emulated(EMULATED_BLOB_PREFIX) {
        path_refs
            .get(1)
            .map(|n| (n.to_string(), path_refs.get(2..).unwrap_or_default()))
    } else {
        None
    };
    if let Some((name, rest)) = vault {
        t.service = Service::KeyVault;
        t.action = key_vault_action(&method, rest);
        t.data_action = true;
        t.resource_name = Some(name);
    } else if let Some((name, rest)) = blob {
        t.service = Service::Blob;
        let container = rest.first().map(|c| c.to_string());
        let (action, data) = blob_action(&method, container.as_deref());
        t.action = action;
        t.data_action = data;
        t.resource_name = Some(name);
        t.container = container;
    } else if host == "graph.microsoft.com" || host.ends_with(".graph.microsoft.com") {
        t.service = Service::Graph;
        t.action = graph_permission(&path_refs);
    } else {
        let (action, scope) = arm_action(&method, url.path())?;
        t.action = action;
        t.scope = Some(scope);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_actions_from_provider_type_and_verb() {
        let a = |m: &str, p: &str| arm_action(m, p).unwrap();
        assert_eq!(
            a(
                "GET",
                "/subscriptions/s/providers/Microsoft.Compute/virtualMachines"
            ),
            (
                "Microsoft.Compute/virtualMachines/read".into(),
                "/subscriptions/s".into()
            )
        );
        assert_eq!(
            a("DELETE", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"),
            (
                "Microsoft.Compute/virtualMachines/delete".into(),
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".into()
            )
        );
        assert_eq!(
            a("POST", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/start").0,
            "Microsoft.Compute/virtualMachines/start/action"
        );
        assert_eq!(
            a("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/instanceView"),
            (
                "Microsoft.Compute/virtualMachines/instanceView/read".into(),
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".into()
            )
        );
        assert_eq!(
            a("GET", "/subscriptions/s/resourceGroups/rg").0,
            "Microsoft.Resources/subscriptions/resourceGroups/read"
        );
        assert_eq!(
            a(
                "PUT",
                "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g"
            ),
            (
                "Microsoft.Authorization/roleAssignments/write".into(),
                "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g".into()
            )
        );
        assert_eq!(
            a("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments"),
            ("Microsoft.Authorization/roleAssignments/read".into(), "/subscriptions/s/resourceGroups/rg".into())
        );
        assert!(arm_action("GET", "/tenants").is_err());
        assert!(arm_action("GET", "/subscriptions/s/providers").is_err());
    }

    #[test]
    fn data_plane_actions() {
        let t = parse(
            "https://kv1.vault.azure.net/secrets/db?api-version=7.4",
            "get",
        )
        .unwrap();
        assert_eq!(t.service, Service::KeyVault);
        assert_eq!(
            t.action,
            "Microsoft.KeyVault/vaults/secrets/getSecret/action"
        );
        assert!(t.data_action);
        assert_eq!(t.resource_name.as_deref(), Some("kv1"));
        let t = parse("http://127.0.0.1:5/vault/kv2/secrets", "GET").unwrap();
        assert_eq!(
            t.action,
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
        );
        assert_eq!(t.resource_name.as_deref(), Some("kv2"));
        let t = parse(
            "https://acct.blob.core.windows.net/c1?restype=container&comp=list",
            "GET",
        )
        .unwrap();
        assert_eq!(
            t.action,
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
        );
        assert_eq!(t.container.as_deref(), Some("c1"));
        let t = parse("http://localhost:9/blob/acct/c1/b.txt", "PUT").unwrap();
        assert_eq!(
            t.action,
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
        );
        let t = parse("https://graph.microsoft.com/v1.0/users", "GET").unwrap();
        assert_eq!(
            (t.service, t.action.as_str()),
            (Service::Graph, "User.Read.All")
        );
        // Not on loopback: the emulator's prefixes mean nothing elsewhere.
        assert!(parse("https://example.com/vault/kv/secrets/x", "GET").is_err());
    }
}
