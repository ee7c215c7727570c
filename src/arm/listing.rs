//! A VM listing from start to end, as `tokscope vms` and the terminal UI's ARM tab run it: decide
//! the plan (which token, which ARM, where the subscription comes from), then fetch the token,
//! find the subscription and page through the VMs.

use super::{Client, Cloud, Discovery, RequestRecord, Subscription, Target, VmList};
use crate::endpoint::{Endpoint, TokenClient};
use crate::error::Result;
use crate::secret::AccessToken;
use crate::session::Session;

/// What one successful run found, for either output.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub subscription: Subscription,
    pub list: VmList,
    pub requests: Vec<RequestRecord>,
    pub token_note: Option<String>,
    pub fingerprint: String,
    pub audience: String,
}

/// Everything a VM listing needs besides the token endpoint, decided before any request:
/// the ARM client, which token to ask for (and why), and where the subscription may come
/// from. The command and the terminal UI both build one here, so they behave alike.
#[derive(Clone)]
pub struct Plan {
    pub client: Client,
    /// The resource the token is asked for: the one given when it is ARM's, else ARM's.
    pub resource: String,
    /// Set when the resource given was not ARM's and another token is fetched.
    pub token_note: Option<String>,
    pub discovery: Discovery,
    pub resource_group: Option<String>,
    pub power_state: bool,
}

/// What the user asked of a listing: `tokscope vms`'s flags, as core values. `Default` is the
/// command with no flags, as the terminal UI's ARM tab runs it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub cloud: Cloud,
    pub arm_url: Option<String>,
    pub power_state: bool,
}

/// The plan for listing VMs as `request` asks, given the resource the user asked tokens for.
/// Checks the ARM URL before anything goes on the network.
pub fn plan(session: &Session, request: &Request, resource: &str) -> Result<Plan> {
    let target = Target::new(
        request.cloud,
        request.arm_url.as_deref(),
        session.demo_url.clone(),
        session.client.timeout(),
    )?;
    let (resource, token_note) = target.token_resource(resource);
    let discovery = target.discovery(
        request.subscription.clone(),
        &session.env,
        &session.overrides,
        session.endpoint.flavour,
    );
    Ok(Plan {
        client: target.client,
        resource,
        token_note,
        discovery,
        resource_group: request.resource_group.clone(),
        power_state: request.power_state,
    })
}

/// Fetch the ARM token, find the subscription and list its VMs. On failure the requests sent
/// so far are in `plan.client.history()`.
pub async fn list(plan: &Plan, tokens: &TokenClient, endpoint: &Endpoint) -> Result<Outcome> {
    let fetched = tokens.fetch(endpoint, &plan.resource).await?;
    let token: &AccessToken = &fetched.token.access_token;
    let client = &plan.client;
    let subscription =
        super::discover_subscription(client, &fetched.token, &plan.discovery).await?;
    let list = super::list_vms(
        client,
        &fetched.token,
        &subscription.id,
        plan.resource_group.as_deref(),
        plan.power_state,
    )
    .await?;
    Ok(Outcome {
        subscription,
        list,
        requests: client.history(),
        token_note: plan.token_note.clone(),
        fingerprint: token.fingerprint(),
        audience: plan.resource.clone(),
    })
}
