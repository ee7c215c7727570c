//! Using the token against Azure Resource Manager: which subscription, which VMs, and ARM's
//! errors with the request ids support asks for.
//!
//! ```no_run
//! # async fn demo(token: tokscope::secret::AccessToken) -> tokscope::error::Result<()> {
//! use tokscope::arm::{self, Client, Cloud, Discovery};
//! let client = Client::new(Cloud::Public.base_url())?;
//! let sub = arm::discover_subscription(&client, &token, &Discovery::default()).await?;
//! let list = arm::list_vms(&client, &token, &sub.id, None, false).await?;
//! println!("{} VMs in {} pages", list.vms.len(), list.pages);
//! # Ok(()) }
//! ```

pub mod bearer;
pub mod client;
pub mod errors;
pub mod federated;
pub mod listing;
pub mod subscription;
pub mod target;
pub mod vms;
pub mod why;

pub use bearer::Bearer;
pub use client::{Client, RequestRecord};
pub use errors::ErrorContext;
pub use subscription::{discover_subscription, Discovery, Subscription, SubscriptionSource};
pub use target::Target;
pub use vms::{list_vms, Vm, VmList};

/// api-version of the VM list and instance views.
pub const VM_API_VERSION: &str = "2021-07-01";
/// api-version of the subscription list.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";
/// api-version of IMDS instance metadata.
pub const INSTANCE_API_VERSION: &str = "2021-02-01";

/// An Azure cloud, by the ARM endpoint it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    #[default]
    Public,
    Usgov,
    China,
}

impl Cloud {
    pub fn base_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::Usgov => "https://management.usgovcloudapi.net",
            Cloud::China => "https://management.chinacloudapi.cn",
        }
    }

    /// The resource (audience) to ask a token for to call this cloud's ARM.
    pub fn audience(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/",
            Cloud::Usgov => "https://management.usgovcloudapi.net/",
            Cloud::China => "https://management.chinacloudapi.cn/",
        }
    }
}

/// Whether a resource names ARM's audience: ARM takes its own URL and the classic
/// `management.core.windows.net`, with or without a trailing slash or `/.default`.
pub fn is_arm_audience(resource: &str, cloud: Cloud) -> bool {
    let norm = crate::token::claims::normalise_audience;
    let r = norm(resource);
    let classic = match cloud {
        Cloud::Public => "https://management.core.windows.net",
        Cloud::Usgov => "https://management.core.usgovcloudapi.net",
        Cloud::China => "https://management.core.chinacloudapi.cn",
    };
    r == norm(cloud.audience()) || r == classic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_audiences() {
        assert!(is_arm_audience(
            "https://management.azure.com",
            Cloud::Public
        ));
        assert!(is_arm_audience(
            "https://management.core.windows.net/.default",
            Cloud::Public
        ));
        assert!(!is_arm_audience(
            "https://graph.microsoft.com",
            Cloud::Public
        ));
        assert!(!is_arm_audience(
            "https://management.azure.com/",
            Cloud::China
        ));
    }
}
