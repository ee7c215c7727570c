//! The VM list of a subscription or resource group, every page of it, and power states on request.

use crate::display_url::DisplayUrl;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::client::{Client, Recorder, RequestRecord};
use super::errors::ErrorContext;
use super::VM_API_VERSION;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::AccessToken;

/// More pages than any real subscription has: a server that keeps sending nextLink is stopped here.
const MAX_PAGES: u32 = 1000;
/// The most bytes a whole VM listing may take across its pages: far beyond any real
/// subscription (a VM is about 2 KiB of JSON), and it keeps memory bounded against a server
/// that sends many huge pages.
pub const MAX_LISTING_BYTES: usize = 64 << 20;
/// instanceView requests in flight at once: ARM throttles reads per identity.
const POWER_STATE_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vm {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub size: String,
    pub os_type: String,
    pub provisioning_state: String,
    pub id: String,
    /// `running`, `deallocated` … ; only with power states requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VmList {
    pub vms: Vec<Vm>,
    pub pages: u32,
    /// The requests this listing sent, in order.
    pub requests: Vec<RequestRecord>,
}

/// The resource group in an ARM id; the segment is `resourceGroups` or `resourcegroups`.
pub fn resource_group_of(id: &str) -> Option<&str> {
    let mut seg = id.split('/');
    while let Some(s) = seg.next() {
        if s.eq_ignore_ascii_case("resourceGroups") {
            return seg.next().filter(|s| !s.is_empty());
        }
    }
    None
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn vm_from(v: &Value) -> Vm {
    let id = text(v, "/id");
    Vm {
        name: text(v, "/name"),
        resource_group: resource_group_of(&id).unwrap_or("").to_string(),
        location: text(v, "/location"),
        size: text(v, "/properties/hardwareProfile/vmSize"),
        os_type: text(v, "/properties/storageProfile/osDisk/osType"),
        provisioning_state: text(v, "/properties/provisioningState"),
        id,
        power_state: None,
    }
}

fn bad_page(why: &str) -> Error {
    Error::new(
        ErrorKind::BadResponse,
        format!("ARM's VM list {why}"),
        "try again; if it persists, report the request ids",
    )
}

/// Every VM in the subscription (or one resource group), following each `nextLink` verbatim.
pub async fn list_vms(
    client: &Client,
    bearer: &(impl super::Bearer + ?Sized),
    subscription: &str,
    resource_group: Option<&str>,
    power_state: bool,
) -> Result<VmList> {
    let recorder = Arc::new(Recorder::default());
    let ctx = ErrorContext::for_token(bearer, Some(subscription), &client.audience);
    let token = bearer.secret();
    let mut segments = vec!["subscriptions", subscription];
    if let Some(rg) = resource_group {
        segments.extend(["resourceGroups", rg]);
    }
    segments.extend(["providers", "Microsoft.Compute", "virtualMachines"]);
    let mut next = Some(client.url(&segments, &[("api-version", VM_API_VERSION)]));
    let mut vms = Vec::new();
    let mut pages = 0u32;
    let mut listed_bytes = 0usize;
    let mut seen = std::collections::HashSet::new();
    while let Some(url) = next.take() {
        if pages >= MAX_PAGES || !seen.insert(url.clone()) {
            return Err(bad_page("keeps sending more pages (a nextLink loop)"));
        }
        let remaining = MAX_LISTING_BYTES - listed_bytes;
        let too_large = || {
            Error::new(
                ErrorKind::BadResponse,
                format!(
                    "ARM's VM listing is larger than {} MiB in total, after {pages} pages (the cap on a whole listing)",
                    MAX_LISTING_BYTES >> 20
                ),
                "narrow the list with --resource-group",
            )
        };
        let (page, size) = client
            .get_json_within(&url, token, &ctx, &recorder, remaining, &too_large)
            .await?;
        listed_bytes += size;
        pages += 1;
        let items = page
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| bad_page("page has no `value` array"))?;
        vms.extend(items.iter().map(vm_from));
        next = match page.get("nextLink") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => {
                if !client.same_origin(s) {
                    return Err(Error::new(
                        ErrorKind::Arm,
                        format!(
                            "ARM's nextLink points at another host: {}",
                            DisplayUrl::of(s)
                        ),
                        format!(
                            "refused, so the token stays with {}; report the request ids",
                            DisplayUrl::of(client.base())
                        ),
                    ));
                }
                Some(s.clone())
            }
            Some(_) => return Err(bad_page("nextLink is not a string")),
        };
    }
    if power_state {
        fill_power_states(client, token, &ctx, &recorder, &mut vms).await?;
    }
    let requests = match Arc::try_unwrap(recorder) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(shared) => match shared.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        },
    };
    Ok(VmList {
        vms,
        pages,
        requests,
    })
}

/// `PowerState/running` → `running`.
fn power_state_from(view: &Value) -> Option<String> {
    view.get("statuses")?.as_array()?.iter().find_map(|s| {
        s.get("code")?
            .as_str()?
            .strip_prefix("PowerState/")
            .map(str::to_string)
    })
}

async fn fill_power_states(
    client: &Client,
    token: &AccessToken,
    ctx: &ErrorContext,
    recorder: &Arc<Recorder>,
    vms: &mut [Vm],
) -> Result<()> {
    let gate = Arc::new(tokio::sync::Semaphore::new(POWER_STATE_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, vm) in vms.iter().enumerate() {
        if !vm.id.starts_with('/') || vm.id.contains(['?', '#']) {
            return Err(bad_page(&format!(
                "has a VM whose id is not an ARM path: {}",
                vm.id
            )));
        }
        // The id came from ARM; its path goes back to the same host with the client's base.
        let url = format!(
            "{}{}/instanceView?api-version={VM_API_VERSION}",
            client.base(),
            vm.id
        );
        let (client, token, ctx, recorder, gate) = (
            client.clone(),
            token.clone(),
            ctx.clone(),
            recorder.clone(),
            gate.clone(),
        );
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let view = client.get_json(&url, &token, &ctx, &recorder).await;
            (i, view)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, view) = joined.map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("a power-state request stopped: {e}"),
                "try again",
            )
        })?;
        let view = view?;
        if let Some(vm) = vms.get_mut(i) {
            vm.power_state = Some(power_state_from(&view).unwrap_or_else(|| "unknown".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_group_without_case() {
        assert_eq!(
            resource_group_of("/subscriptions/s/resourcegroups/RG-A/providers/x/y"),
            Some("RG-A")
        );
        assert_eq!(
            resource_group_of("/subscriptions/s/resourceGroups/rg-b/providers/x"),
            Some("rg-b")
        );
        assert_eq!(resource_group_of("/subscriptions/s"), None);
    }

    #[test]
    fn power_state_from_statuses() {
        let v = serde_json::json!({"statuses":[{"code":"ProvisioningState/succeeded"},{"code":"PowerState/deallocated"}]});
        assert_eq!(power_state_from(&v).as_deref(), Some("deallocated"));
    }
}
