//! Which subscription to list: the flag, the VM's instance metadata, the token's own ARM ids,
//! or the first subscription ARM shows the identity — in that order, saying which one it was.

use crate::display_url::DisplayUrl;
use serde::Serialize;
use serde_json::Value;

use super::client::{transport_error, Client, Recorder, RequestRecord};
use super::errors::ErrorContext;
use super::{INSTANCE_API_VERSION, SUBSCRIPTIONS_API_VERSION};
use crate::error::{Error, ErrorKind, Result};
use crate::net::{read_capped, BodyEnd, SMALL_BODY_CAP};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionSource {
    Flag,
    InstanceMetadata,
    XmsMirid,
    XmsAzRid,
    SubscriptionsList,
}

impl SubscriptionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionSource::Flag => "flag",
            SubscriptionSource::InstanceMetadata => "instance_metadata",
            SubscriptionSource::XmsMirid => "xms_mirid",
            SubscriptionSource::XmsAzRid => "xms_az_rid",
            SubscriptionSource::SubscriptionsList => "subscriptions_list",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SubscriptionSource::Flag => "--subscription",
            SubscriptionSource::InstanceMetadata => "the VM's instance metadata",
            SubscriptionSource::XmsMirid => "the token's xms_mirid claim",
            SubscriptionSource::XmsAzRid => "the token's xms_az_rid claim",
            SubscriptionSource::SubscriptionsList => "ARM's subscription list",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    pub source: SubscriptionSource,
    /// Steps that were tried and skipped, or choices made, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What discovery may use besides the token.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `--subscription`.
    pub flag: Option<String>,
    /// The IMDS host to ask for instance metadata; None skips that step (not on a VM).
    pub imds_host: Option<String>,
}

/// A subscription id is a GUID; refusing anything else keeps it from reshaping the URL.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The subscription in an ARM id such as `/subscriptions/{id}/resourcegroups/…`.
pub fn subscription_of(arm_id: &str) -> Option<String> {
    let mut seg = arm_id.split('/').filter(|s| !s.is_empty());
    while let Some(s) = seg.next() {
        if s.eq_ignore_ascii_case("subscriptions") {
            return seg.next().filter(|id| valid_id(id)).map(str::to_string);
        }
    }
    None
}

async fn from_instance_metadata(
    client: &Client,
    host: &str,
    recorder: &Recorder,
) -> std::result::Result<String, String> {
    let url = format!(
        "{}/metadata/instance?api-version={INSTANCE_API_VERSION}",
        host.trim_end_matches('/')
    );
    let started = std::time::Instant::now();
    let sent = client
        .imds
        .get(&url)
        .header("Metadata", "true")
        .send()
        .await;
    let mut rec = RequestRecord {
        method: "GET",
        url: DisplayUrl::of(&url),
        status: None,
        latency_ms: 0,
        request_ids: crate::error::RequestIds::default(),
    };
    let answer = match sent {
        Ok(resp) => {
            let answer = read_capped(resp, SMALL_BODY_CAP).await;
            rec.status = Some(answer.status);
            Ok(answer)
        }
        Err(e) => Err(transport_error(host, &e).message),
    };
    rec.latency_ms = crate::duration::millis(started.elapsed());
    client.record(rec, recorder);
    let answer = answer?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("{host} answered {}", answer.status));
    }
    match &answer.ending {
        BodyEnd::Complete => {}
        BodyEnd::TooLarge => return Err(format!("{host} answered more than 1 MiB")),
        BodyEnd::Cut(e) => return Err(format!("the answer from {host} broke off: {e}")),
    }
    let v: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("{host} answered with no JSON: {e}"))?;
    v.pointer("/compute/subscriptionId")
        .and_then(Value::as_str)
        .filter(|s| valid_id(s))
        .map(str::to_string)
        .ok_or_else(|| format!("{host} gave no compute.subscriptionId"))
}

/// Find the subscription to work in, in the documented order.
pub async fn discover_subscription(
    client: &Client,
    token: &(impl super::Bearer + ?Sized),
    d: &Discovery,
) -> Result<Subscription> {
    let mut notes = Vec::new();
    let recorder = Recorder::default();
    if let Some(flag) = d.flag.as_deref().map(str::trim) {
        if !valid_id(flag) {
            return Err(Error::config(
                format!("{flag:?} is not a subscription id"),
                "pass the subscription's GUID, e.g. --subscription 00000000-0000-0000-0000-000000000000",
            ));
        }
        return Ok(Subscription {
            id: flag.to_string(),
            source: SubscriptionSource::Flag,
            notes,
        });
    }
    if let Some(host) = &d.imds_host {
        match from_instance_metadata(client, host, &recorder).await {
            Ok(id) => {
                return Ok(Subscription {
                    id,
                    source: SubscriptionSource::InstanceMetadata,
                    notes,
                })
            }
            Err(why) => notes.push(format!("instance metadata: {why}")),
        }
    }
    if let Some(jwt) = token.jwt() {
        // xms_az_rid names the resource using a user-assigned identity; xms_mirid names the
        // identity itself, which may live in another subscription.
        for (claim, source) in [
            ("xms_az_rid", SubscriptionSource::XmsAzRid),
            ("xms_mirid", SubscriptionSource::XmsMirid),
        ] {
            if let Some(id) = jwt.claim_str(claim).and_then(subscription_of) {
                return Ok(Subscription { id, source, notes });
            }
        }
    }
    let url = client.url(
        &["subscriptions"],
        &[("api-version", SUBSCRIPTIONS_API_VERSION)],
    );
    let ctx = ErrorContext::for_token(token, None, &client.audience);
    let v = client
        .get_json(&url, token.secret(), &ctx, &recorder)
        .await?;
    let subs: Vec<&Value> = v
        .get("value")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let enabled = subs
        .iter()
        .find(|s| s.get("state").and_then(Value::as_str) == Some("Enabled"))
        .or(subs.first());
    let Some(id) = enabled
        .and_then(|s| s.get("subscriptionId"))
        .and_then(Value::as_str)
        .filter(|s| valid_id(s))
    else {
        return Err(Error::new(
            ErrorKind::Arm,
            "this identity sees no subscription",
            "give it a role on a subscription (e.g. Reader), or pass --subscription",
        ));
    };
    if subs.len() > 1 {
        notes.push(format!(
            "{} subscriptions are visible; using {id}. Pass --subscription to choose",
            subs.len()
        ));
    }
    Ok(Subscription {
        id: id.to_string(),
        source: SubscriptionSource::SubscriptionsList,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_from_arm_ids() {
        assert_eq!(
            subscription_of("/subscriptions/5d96cf7f-265b/resourcegroups/rg/providers/x")
                .as_deref(),
            Some("5d96cf7f-265b")
        );
        assert_eq!(
            subscription_of("/SUBSCRIPTIONS/abc/resourceGroups/rg").as_deref(),
            Some("abc")
        );
        assert_eq!(subscription_of("/subscriptions/../x"), None);
        assert_eq!(subscription_of("no id"), None);
    }
}
