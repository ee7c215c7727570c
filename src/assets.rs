//! Data shipped inside the binary: resource presets and the emulator's demo tenant.

use serde::Deserialize;

/// The portal user signed in to the demo Cloud Shell, whose delegated token Cloud Shell hands out.
#[derive(Debug, Clone, Deserialize)]
pub struct CloudShellUser {
    pub upn: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub object_id: String,
    /// The client application the portal signed the user in with.
    pub app_id: String,
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Preset {
    pub name: String,
    pub resource: String,
}

pub fn resource_presets() -> Vec<Preset> {
    serde_json::from_str(include_str!("../assets/resources.json")).unwrap_or_default()
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoVm {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub vm_size: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SystemIdentity {
    pub client_id: String,
    pub object_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserIdentity {
    pub name: String,
    pub resource_group: String,
    pub client_id: String,
    pub object_id: String,
    pub has_role: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TenantVm {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub size: String,
    pub os_type: String,
    pub provisioning_state: String,
    pub power_state: String,
}

/// A federated identity credential on a user-assigned identity.
#[derive(Debug, Clone, Deserialize)]
pub struct FederatedCredential {
    pub name: String,
    /// The user-assigned identity (by name) the credential belongs to.
    pub identity: String,
    /// `{emulator}/cluster/` stands for the emulator's own cluster issuer.
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// The demo cluster's pod and the federation that lets it act as an identity.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoWorkload {
    pub namespace: String,
    pub service_account: String,
    pub pod: String,
    pub node: String,
    /// The identity the service account is annotated with (azure.workload.identity/client-id).
    pub identity: String,
    pub federated_credentials: Vec<FederatedCredential>,
}

/// An app registration in another tenant that takes a managed identity of the demo tenant as
/// its federated credential (cross-tenant, secretless).
#[derive(Debug, Clone, Deserialize)]
pub struct AppRegistration {
    pub name: String,
    pub tenant_id: String,
    pub client_id: String,
    /// The application object's id (what `az ad app federated-credential` takes as `--id`).
    pub object_id: String,
    /// The app's service principal in its tenant: the `oid` of its tokens.
    pub service_principal_id: String,
    /// `identity` names the managed identity; `{tenant}` and `{object_id}` stand for its
    /// tenant and object id.
    pub federated_credentials: Vec<FederatedCredential>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub subscription_id: String,
    pub tenant_created: i64,
    pub vm: DemoVm,
    pub system_identity: SystemIdentity,
    pub cloud_shell_user: CloudShellUser,
    pub user_identities: Vec<UserIdentity>,
    pub vms: Vec<TenantVm>,
    pub workload: DemoWorkload,
    #[serde(default)]
    pub apps: Vec<AppRegistration>,
}

/// The demo tenant. It is part of the binary and checked by a test, so a parse failure is a bug.
#[allow(
    clippy::panic,
    reason = "the file is compiled in and parsed by a test, so a failure is a build defect, not outside data"
)]
pub fn demo_tenant() -> Tenant {
    match serde_json::from_str(include_str!("../assets/demo_tenant.json")) {
        Ok(t) => t,
        Err(e) => panic!("assets/demo_tenant.json is invalid: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn assets_parse() {
        assert!(super::resource_presets().len() >= 8);
        assert!(super::demo_tenant().vms.len() >= 20);
    }
}
