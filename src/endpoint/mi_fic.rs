//! A managed identity as an app registration's federated credential (cross-tenant, secretless):
//! the identity's token for `api://AzureADTokenExchange`, the credential the app needs to take
//! it, and the exchange at the app's tenant with that token as the client assertion.

use std::path::PathBuf;

use serde_json::json;

use super::workload::{self, Exchanged, WorkloadInputs};
use super::{Endpoint, Fetched, TokenClient};
use crate::error::Result;
use crate::token::claims;
use crate::token::federation::Presented;
use crate::token::service_account::EXCHANGE_AUDIENCE;

/// The app registration to sign in as.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    pub tenant: String,
    /// Entra's host, as AZURE_AUTHORITY_HOST gives it.
    pub authority: String,
}

/// The whole chain: the identity's token, what it presents, and the app's token.
pub struct Chain {
    pub managed: Fetched,
    pub presented: Presented,
    /// The federated credential the app needs (Graph's shape).
    pub credential: serde_json::Value,
    pub inputs: WorkloadInputs,
    pub app: Exchanged,
}

/// What a managed identity's token presents as an assertion.
pub fn presented(f: &Fetched) -> Presented {
    let jwt = f.token.jwt.as_ref().ok();
    let s = |k: &str| {
        jwt.and_then(|j| j.claim_str(k))
            .unwrap_or_default()
            .to_string()
    };
    Presented {
        issuer: s("iss"),
        subject: s("sub"),
        audiences: jwt.map(claims::audiences).unwrap_or_default(),
    }
}

/// Fetch the identity's exchange-audience token from `ep`, then exchange it at the app's
/// tenant for a token for `resource`. A refusal carries the presented values and the credential
/// the app needs as `detail.as_fic`.
pub async fn run(tc: &TokenClient, ep: &Endpoint, app: &App, resource: &str) -> Result<Chain> {
    let managed = tc.fetch(ep, EXCHANGE_AUDIENCE).await?;
    let presented = presented(&managed);
    let credential = super::entra::app_credential_json(&presented);
    let inputs = WorkloadInputs {
        token_file: PathBuf::new(),
        tenant: app.tenant.clone(),
        client_id: app.client_id.clone(),
        authority: workload::normalise_authority(&app.authority),
    };
    let assertion = &managed.token.access_token;
    match workload::exchange(tc, &inputs, assertion, None, Some(&presented), resource).await {
        Ok(x) => Ok(Chain {
            managed,
            presented,
            credential,
            inputs,
            app: x,
        }),
        Err(mut e) => {
            e.detail = Some(Box::new(json!({"as_fic": {
                "managed_identity": {
                    "fingerprint": assertion.fingerprint(),
                    "issuer": presented.issuer,
                    "subject": presented.subject,
                    "audiences": presented.audiences,
                },
                "credential": credential,
            }})));
            Err(e)
        }
    }
}
