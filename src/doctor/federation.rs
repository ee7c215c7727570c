//! Workload identity's configured side: the identity's federated credentials read through ARM
//! and compared, case-sensitively and character by character, with what the pod's token
//! presents; the closest credential, the field that differs and the command that fixes it.
//! Computed once here; `get`, `doctor` and the report only render it.

use serde_json::{json, Value};

use super::Check;
use crate::arm::federated::{self, Credentials};
use crate::arm::Target;
use crate::secret::AccessToken;
use crate::token::federation::{self, Comparison, Presented};
use crate::token::service_account::ServiceAccountToken;

pub const FEDERATION: &str = "federation";

/// Entra's codes for "no federated credential matches" (70021 before 2023, then one per field;
/// 7002138 is the case-sensitivity variant).
pub const MISMATCH_CODES: &[&str] = &[
    "AADSTS70021",
    "AADSTS700211",
    "AADSTS700212",
    "AADSTS700213",
    "AADSTS7002138",
];

/// How ARM is read: where, and with which token (one that may read the identity).
/// `Debug` shows the token's fingerprint only (`AccessToken`'s own form).
#[derive(Debug, Clone)]
pub struct ArmReader {
    pub target: Target,
    pub token: AccessToken,
}

/// The finding, as a check and as data.
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: Check,
    pub detail: Value,
}

/// What the pod's token presents, with empty strings for missing claims.
pub fn presented(t: &ServiceAccountToken) -> Presented {
    Presented {
        issuer: t.issuer.clone().unwrap_or_default(),
        subject: t.subject.clone().unwrap_or_default(),
        audiences: t.audiences.clone(),
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// The Azure CLI command that makes a credential equal to what was presented: `update` of the
/// closest one, or `create` when the identity has none.
pub fn fix_command(
    verb: &str,
    credential: &str,
    identity: &str,
    resource_group: &str,
    p: &Presented,
) -> String {
    format!(
        "az identity federated-credential {verb} --name {credential} --identity-name {identity} --resource-group {resource_group} --issuer {} --subject {} --audiences {}",
        quote(&p.issuer),
        quote(&p.subject),
        p.audiences
            .first()
            .map_or("api://AzureADTokenExchange".to_string(), |a| quote(a))
    )
}

/// The comparison in one line: the credential and each differing field with both values.
fn comparison_line(c: &Comparison, identity: &str) -> String {
    let fields: Vec<String> = c
        .diffs
        .iter()
        .map(|d| {
            format!(
                "{}; presented '{}', configured '{}'",
                d.describe(),
                d.presented,
                d.configured
            )
        })
        .collect();
    format!(
        "closest federated credential {} on {identity}: {}",
        c.credential.name,
        fields.join("; ")
    )
}

/// Compare what ARM holds with what the pod presents.
pub fn judge(creds: &Credentials, p: &Presented) -> Finding {
    let id = &creds.identity;
    let closest = federation::closest(p, &creds.credentials);
    let (check, fix) = match &closest {
        None => {
            let fix = fix_command("create", "<name>", &id.name, &id.resource_group, p);
            (
                Check::fail(
                    FEDERATION,
                    format!(
                        "identity {} ({}) has no federated credential",
                        id.name, id.resource_group
                    ),
                    format!("create one matching this pod: {fix}"),
                ),
                Some(fix),
            )
        }
        Some(c) if c.matches() => (
            Check::pass(
                FEDERATION,
                format!(
                    "federated credential {} on {} matches issuer, subject and audience exactly",
                    c.credential.name, id.name
                ),
            ),
            None,
        ),
        Some(c) => {
            let fix = fix_command(
                "update",
                &c.credential.name,
                &id.name,
                &id.resource_group,
                p,
            );
            (
                Check::fail(
                    FEDERATION,
                    comparison_line(c, &id.name),
                    format!(
                        "If the pod is right, make the credential match it: {fix}; if the credential is right, change the pod's side (namespace, service account, or the cluster's issuer) instead. A change takes a minute or two to apply."
                    ),
                ),
                Some(fix),
            )
        }
    };
    let detail = json!({
        "arm": "read",
        "identity": creds.identity,
        "credentials": creds.credentials,
        "presented": p,
        "closest": closest,
        "fix": fix,
    });
    Finding { check, detail }
}

/// Why the credentials could not be compared; today's presented-values hint still stands.
pub fn unreadable(why: &str) -> Finding {
    Finding {
        check: Check::skip(
            FEDERATION,
            format!("federated credentials not read: {why}; the exchange's hint shows the presented values only"),
        ),
        detail: json!({ "arm": "unreadable", "reason": why }),
    }
}

/// Read the identity's credentials through ARM and judge them; every failure is a finding.
pub async fn explain(
    reader: Option<&ArmReader>,
    client_id: &str,
    t: &ServiceAccountToken,
) -> Finding {
    let Some(r) = reader else {
        return unreadable(
            "no ARM access (give --arm-token-file with a token that may read the identity, e.g. from az account get-access-token --query accessToken -o tsv)",
        );
    };
    let p = presented(t);
    match federated::read(&r.target.client, &r.token, client_id).await {
        Ok(Some(creds)) => judge(&creds, &p),
        Ok(None) => unreadable(&format!(
            "no user-assigned identity with client id {client_id} in the subscriptions this ARM token can read (an app registration's credentials live in Graph: az ad app federated-credential list --id <app object id>)"
        )),
        Err(e) => unreadable(&format!("ARM refused: {}", e.headline())),
    }
}
