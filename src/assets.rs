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

/// One `permissions` entry of a role or deny definition: what it grants (or denies), minus
/// the `not` lists, for the control plane (`actions`) and the data plane (`dataActions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default, alias = "actions")]
    pub actions: Vec<String>,
    #[serde(default, alias = "not_actions")]
    pub not_actions: Vec<String>,
    #[serde(default, alias = "data_actions")]
    pub data_actions: Vec<String>,
    #[serde(default, alias = "not_data_actions")]
    pub not_data_actions: Vec<String>,
}

/// A role definition as Azure ships it (built-in roles carry their real ids and action lists).
#[derive(Debug, Clone, Deserialize)]
pub struct RoleDefinition {
    /// The definition's GUID, the last segment of its ARM id.
    pub id: String,
    pub role_name: String,
    /// `BuiltInRole` or `CustomRole`.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

/// A role assignment of the demo tenant. `principal` names an identity of the tenant (`system`,
/// `cloud_shell_user` or a user-assigned identity's name) or gives an object id; `{subscription}`
/// in the scope stands for the tenant's subscription.
#[derive(Debug, Clone, Deserialize)]
pub struct AssignmentSeed {
    pub name: String,
    pub principal: String,
    /// The role, by name.
    pub role: String,
    pub scope: String,
    #[serde(default)]
    pub condition: Option<String>,
}

/// A deny assignment, as a deployment stack or a managed application leaves one: it applies to
/// everyone but `exclude_principals`.
#[derive(Debug, Clone, Deserialize)]
pub struct DenySeed {
    pub id: String,
    pub name: String,
    pub description: String,
    pub scope: String,
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub exclude_principals: Vec<String>,
}

/// A Key Vault access policy (the legacy permission model): a principal and its secret rights.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessPolicy {
    pub principal: String,
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoVault {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    /// `enableRbacAuthorization`: RBAC mode when true, access policies when false.
    pub rbac: bool,
    /// Public network access disabled: every data-plane request is refused by the firewall.
    pub firewall: bool,
    pub secrets: Vec<String>,
    #[serde(default)]
    pub access_policies: Vec<AccessPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoStorageAccount {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    /// Network rules default to Deny: every data-plane request is refused.
    pub firewall: bool,
    pub containers: Vec<String>,
}

/// The demo tenant's authorization: roles, assignments, deny assignments, and the data-plane
/// resources whose refusals tokscope explains.
#[derive(Debug, Clone, Deserialize)]
pub struct Rbac {
    pub role_definitions: Vec<RoleDefinition>,
    pub assignments: Vec<AssignmentSeed>,
    pub deny_assignments: Vec<DenySeed>,
    pub vaults: Vec<DemoVault>,
    pub storage_accounts: Vec<DemoStorageAccount>,
}

/// Built-in role definitions with their real ids and action lists, and the demo tenant's
/// assignments. Compiled in and parsed by a test, as the tenant is.
#[allow(
    clippy::panic,
    reason = "the file is compiled in and parsed by a test, so a failure is a build defect, not outside data"
)]
pub fn demo_rbac() -> Rbac {
    match serde_json::from_str(include_str!("../assets/rbac.json")) {
        Ok(t) => t,
        Err(e) => panic!("assets/rbac.json is invalid: {e}"),
    }
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
        assert!(super::demo_rbac().role_definitions.len() >= 9);
    }
}
