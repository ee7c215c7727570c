//! Data shipped inside the binary: resource presets and the emulator's demo tenant.

use serde::Deserialize;

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

#[derive(Debug, Clone, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub subscription_id: String,
    pub tenant_created: i64,
    pub vm: DemoVm,
    pub system_identity: SystemIdentity,
    pub user_identities: Vec<UserIdentity>,
    pub vms: Vec<TenantVm>,
}

/// The demo tenant. It is part of the binary and checked by a test, so a parse failure is a bug.
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
