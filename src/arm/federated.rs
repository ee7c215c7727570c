//! A user-assigned identity's federated identity credentials, read through ARM: the identity
//! found by its client id in the subscriptions the token can read, then its credentials.

use serde::Serialize;
use serde_json::Value;

use super::client::{Client, Recorder};
use super::errors::ErrorContext;
use super::SUBSCRIPTIONS_API_VERSION;
use crate::error::Result;
use crate::secret::AccessToken;
use crate::token::federation::Configured;

/// api-version of `Microsoft.ManagedIdentity` reads (identities and federated credentials).
pub const MSI_API_VERSION: &str = "2023-01-31";
/// Subscriptions searched for the identity, at most.
const MAX_SUBSCRIPTIONS: usize = 50;
/// Pages of one list followed, at most (a credential list holds 20 at most).
const MAX_PAGES: usize = 10;

/// Where the identity lives in ARM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRef {
    pub id: String,
    pub name: String,
    pub resource_group: String,
    pub subscription: String,
}

/// What ARM holds for one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credentials {
    pub identity: IdentityRef,
    pub credentials: Vec<Configured>,
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Every item of a list, following `nextLink` on the same host, a bounded number of pages.
async fn all_pages(
    client: &Client,
    token: &AccessToken,
    first: String,
    ctx: &ErrorContext,
    rec: &Recorder,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut url = Some(first);
    for _ in 0..MAX_PAGES {
        let Some(u) = url.take() else { break };
        let page = client.get_json(&u, token, ctx, rec).await?;
        if let Some(items) = page.get("value").and_then(Value::as_array) {
            out.extend(items.iter().cloned());
        }
        url = page
            .get("nextLink")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(out)
}

/// The identity whose `clientId` is `client_id`, in any subscription the token can list.
pub async fn find_identity(
    client: &Client,
    token: &AccessToken,
    client_id: &str,
) -> Result<Option<IdentityRef>> {
    let rec = Recorder::default();
    let ctx = ErrorContext::for_token(token, None, &client.audience);
    let subs = all_pages(
        client,
        token,
        client.url(
            &["subscriptions"],
            &[("api-version", SUBSCRIPTIONS_API_VERSION)],
        ),
        &ctx,
        &rec,
    )
    .await?;
    for s in subs.iter().take(MAX_SUBSCRIPTIONS) {
        let sub = text(s, "/subscriptionId");
        if sub.is_empty() {
            continue;
        }
        let ctx = ErrorContext::for_token(token, Some(&sub), &client.audience);
        let url = client.url(
            &[
                "subscriptions",
                &sub,
                "providers",
                "Microsoft.ManagedIdentity",
                "userAssignedIdentities",
            ],
            &[("api-version", MSI_API_VERSION)],
        );
        let identities = all_pages(client, token, url, &ctx, &rec).await?;
        if let Some(i) = identities
            .iter()
            .find(|i| text(i, "/properties/clientId").eq_ignore_ascii_case(client_id))
        {
            let id = text(i, "/id");
            return Ok(Some(IdentityRef {
                resource_group: super::vms::resource_group_of(&id).unwrap_or("").to_string(),
                name: text(i, "/name"),
                id,
                subscription: sub,
            }));
        }
    }
    Ok(None)
}

/// The identity's federated credentials.
pub async fn list_credentials(
    client: &Client,
    token: &AccessToken,
    identity: &IdentityRef,
) -> Result<Vec<Configured>> {
    let rec = Recorder::default();
    let ctx = ErrorContext::for_token(token, Some(&identity.subscription), &client.audience);
    let mut segments: Vec<&str> = identity.id.split('/').filter(|s| !s.is_empty()).collect();
    segments.push("federatedIdentityCredentials");
    let url = client.url(&segments, &[("api-version", MSI_API_VERSION)]);
    let items = all_pages(client, token, url, &ctx, &rec).await?;
    Ok(items
        .iter()
        .map(|f| Configured {
            name: text(f, "/name"),
            issuer: text(f, "/properties/issuer"),
            subject: f
                .pointer("/properties/subject")
                .and_then(Value::as_str)
                .map(str::to_string),
            audiences: f
                .pointer("/properties/audiences")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect())
}

/// Both steps: None when no readable subscription holds an identity with this client id.
pub async fn read(
    client: &Client,
    token: &AccessToken,
    client_id: &str,
) -> Result<Option<Credentials>> {
    let Some(identity) = find_identity(client, token, client_id).await? else {
        return Ok(None);
    };
    let credentials = list_credentials(client, token, &identity).await?;
    Ok(Some(Credentials {
        identity,
        credentials,
    }))
}
