//! One verdict from the facts gathered about a request: whether the call goes through, and if
//! not, the one reason with its evidence and the exact change that fixes it.

use serde::Serialize;

use super::refusal::{Refusal, RefusalKind};
use super::target::{Service, Target};
use super::{any_grants, scope_covers, Permission};

/// How long Azure documents a role assignment may take to apply ("up to 10 minutes"; ARM's own
/// cache can take longer).
pub const DOCUMENTED_PROPAGATION_SECS: i64 = 600;

/// The object id of "Everyone" in a deny assignment's principals.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// The documented set of answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    NoRole,
    DeniedByAssignment,
    DataRoleMissing,
    AccessPolicyMode,
    Condition,
    Propagating,
    Network,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::NoRole => "no_role",
            Verdict::DeniedByAssignment => "denied_by_assignment",
            Verdict::DataRoleMissing => "data_role_missing",
            Verdict::AccessPolicyMode => "access_policy_mode",
            Verdict::Condition => "condition",
            Verdict::Propagating => "propagating",
            Verdict::Network => "network",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A role definition, from ARM or (when ARM will not show them) the built-in table.
#[derive(Debug, Clone, Serialize)]
pub struct RoleInfo {
    /// The definition's GUID.
    pub id: String,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<Permission>,
}

/// A role assignment of the principal that applies at the scope.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentInfo {
    pub id: String,
    /// The role definition's id (a full ARM id or the GUID).
    pub role_definition_id: String,
    pub scope: String,
    pub principal_id: String,
    /// Epoch seconds, from `createdOn`.
    pub created_on: Option<i64>,
    pub condition: Option<String>,
}

/// A deny assignment that applies at the scope.
#[derive(Debug, Clone, Serialize)]
pub struct DenyInfo {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub permissions: Vec<Permission>,
    pub principals: Vec<String>,
    pub exclude_principals: Vec<String>,
}

/// What came of sending the request itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Probe {
    /// Not sent: only GET and HEAD are sent, as a diagnosis must not change anything.
    NotSent {
        reason: String,
    },
    Succeeded {
        status: u16,
    },
    Refused(Refusal),
}

/// Everything gathered about one request; a fact that could not be read holds why.
#[derive(Debug, Clone)]
pub struct Facts {
    pub target: Target,
    pub scope: Option<String>,
    pub principal_id: Option<String>,
    /// `ServicePrincipal` for applications and managed identities, `User` for people.
    pub principal_type: &'static str,
    pub probe: Probe,
    pub permissions: Result<Vec<Permission>, String>,
    pub assignments: Result<Vec<AssignmentInfo>, String>,
    pub deny_assignments: Result<Vec<DenyInfo>, String>,
    pub roles: Vec<RoleInfo>,
    /// The vault's `enableRbacAuthorization`, when read.
    pub vault_rbac: Option<bool>,
    pub now: i64,
}

/// The verdict with its reasons, computed once for every front end.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    /// One sentence.
    pub summary: String,
    pub evidence: Vec<String>,
    /// The command (or change) that fixes it; None when nothing needs fixing.
    pub fix: Option<String>,
    /// The least role that grants the action, from the role definitions.
    pub least_role: Option<String>,
    /// Roles (by name) whose assignments here grant the action.
    pub granted_by: Vec<String>,
    /// For `propagating`: when the newest granting assignment was made, and when Azure's
    /// documented window ends.
    pub assigned_at: Option<i64>,
    pub expected_by: Option<i64>,
}

fn guid_of(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn role_for<'a>(roles: &'a [RoleInfo], definition_id: &str) -> Option<&'a RoleInfo> {
    let g = guid_of(definition_id);
    roles.iter().find(|r| r.id.eq_ignore_ascii_case(g))
}

/// Whether a role writes anything (so that a read-only role is preferred for a read).
fn writes(r: &RoleInfo) -> bool {
    r.permissions.iter().any(|p| {
        p.actions.iter().chain(&p.data_actions).any(|a| {
            let a = a.to_ascii_lowercase();
            a.ends_with("/write")
                || a.ends_with("/delete")
                || (a.ends_with('*') && !a.ends_with("*/read"))
        })
    })
}

/// How much a role grants besides: each pattern counts, a wildcard more the less it names.
fn breadth(r: &RoleInfo) -> usize {
    r.permissions
        .iter()
        .flat_map(|p| p.actions.iter().chain(&p.data_actions))
        .map(|a| match a.as_str() {
            "*" => 10_000,
            a if a.starts_with('*') => 1_000,
            a if a.contains('*') => 100,
            _ => 1,
        })
        .sum()
}

/// The role that grants `action` and least else: read-only first, then the narrowest, then
/// built-in before custom.
pub fn least_role<'a>(roles: &'a [RoleInfo], action: &str, data: bool) -> Option<&'a RoleInfo> {
    roles
        .iter()
        .filter(|r| any_grants(&r.permissions, action, data))
        .min_by_key(|r| (writes(r), breadth(r), !r.builtin, r.name.clone()))
}

fn deny_applies(d: &DenyInfo, principal: &str, action: &str, data: bool, scope: &str) -> bool {
    let named = d
        .principals
        .iter()
        .any(|p| p == EVERYONE || p.eq_ignore_ascii_case(principal));
    let excluded = d
        .exclude_principals
        .iter()
        .any(|p| p.eq_ignore_ascii_case(principal));
    named && !excluded && scope_covers(&d.scope, scope) && any_grants(&d.permissions, action, data)
}

fn when(epoch: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(epoch, 0).map_or_else(
        || epoch.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Decide. Pure: the same facts give the same diagnosis.
pub fn decide(f: &Facts) -> Diagnosis {
    let t = &f.target;
    let action = t.action.as_str();
    let data = t.data_action;
    let scope = f.scope.as_deref().unwrap_or("<scope>");
    let oid = f.principal_id.as_deref().unwrap_or("<object id>");
    let kind = if data { "data action" } else { "action" };
    let mut evidence = vec![format!("the request needs the {kind} {action} at {scope}")];
    let mut d = Diagnosis {
        verdict: Verdict::Unknown,
        summary: String::new(),
        evidence: Vec::new(),
        fix: None,
        least_role: None,
        granted_by: Vec::new(),
        assigned_at: None,
        expected_by: None,
    };
    let least = least_role(&f.roles, action, data);
    d.least_role = least.map(|r| r.name.clone());
    let refusal = match &f.probe {
        Probe::Refused(r) => {
            evidence.push(format!(
                "the service answered {} {}: {}",
                r.status,
                r.code.as_deref().unwrap_or("(no code)"),
                r.message
            ));
            Some(r)
        }
        Probe::Succeeded { status } => {
            evidence.push(format!("the request itself succeeded ({status})"));
            None
        }
        Probe::NotSent { reason } => {
            evidence.push(format!("the request was not sent: {reason}"));
            None
        }
    };
    let granted = match &f.permissions {
        Ok(p) => {
            let by: Vec<&str> = p
                .iter()
                .filter_map(|e| e.granting_pattern(action, data))
                .collect();
            evidence.push(match (p.is_empty(), by.first()) {
                (true, _) => {
                    format!("the permissions API lists no role for this principal at {scope}")
                }
                (false, Some(pat)) => {
                    format!("the permissions API grants it at {scope} through the pattern {pat}")
                }
                (false, None) => format!(
                    "the permissions API lists {} role entr{} at {scope}, none granting it",
                    p.len(),
                    if p.len() == 1 { "y" } else { "ies" }
                ),
            });
            Some(!by.is_empty())
        }
        Err(e) => {
            evidence.push(format!("the permissions API could not be read: {e}"));
            None
        }
    };
    // The principal's assignments at or above the scope whose role grants the action.
    let granting: Vec<(&AssignmentInfo, Option<&RoleInfo>)> = match &f.assignments {
        Ok(list) => list
            .iter()
            .filter(|a| scope_covers(&a.scope, scope))
            .map(|a| (a, role_for(&f.roles, &a.role_definition_id)))
            .filter(|(_, r)| r.is_some_and(|r| any_grants(&r.permissions, action, data)))
            .collect(),
        Err(e) => {
            evidence.push(format!("role assignments could not be read: {e}"));
            Vec::new()
        }
    };
    d.granted_by = granting
        .iter()
        .filter_map(|(_, r)| r.map(|r| r.name.clone()))
        .collect();
    for (a, r) in &granting {
        evidence.push(format!(
            "role assignment {} gives {} at {}{}",
            guid_of(&a.id),
            r.map_or("?", |r| r.name.as_str()),
            a.scope,
            a.created_on
                .map_or(String::new(), |c| format!(", made {}", when(c)))
        ));
    }
    let deny: Option<&DenyInfo> = match &f.deny_assignments {
        Ok(list) => list
            .iter()
            .find(|x| deny_applies(x, oid, action, data, scope)),
        Err(e) => {
            evidence.push(format!("deny assignments could not be read: {e}"));
            None
        }
    };
    let role_fix = |role: Option<&RoleInfo>| {
        role.map(|r| {
            format!(
                "az role assignment create --assignee-object-id {oid} --assignee-principal-type {} --role \"{}\" --scope {scope}",
                f.principal_type, r.name
            )
        })
    };
    let vault = t.resource_name.as_deref().unwrap_or("<vault>");
    let (verdict, summary, fix): (Verdict, String, Option<String>) = if refusal.is_none()
        && matches!(f.probe, Probe::Succeeded { .. })
    {
        (
            Verdict::Allowed,
            format!("allowed: the call goes through ({action})"),
            None,
        )
    } else if let Some(r) = refusal.filter(|r| r.kind == RefusalKind::Network) {
        let fix = match t.service {
            Service::KeyVault => format!("az keyvault network-rule add --name {vault} --ip-address <this machine's public address>, or reach the vault through its private endpoint"),
            Service::Blob => format!("az storage account network-rule add --account-name {} --ip-address <this machine's public address>, or reach the account through its private endpoint", t.resource_name.as_deref().unwrap_or("<account>")),
            _ => "allow this machine's address in the resource's network rules".into(),
        };
        (
            Verdict::Network,
            format!("network: the resource's firewall refused this machine before any role was checked ({})", r.code.as_deref().unwrap_or("")),
            Some(fix),
        )
    } else if refusal.is_some_and(|r| r.kind == RefusalKind::AccessPolicy)
        || (t.service == Service::KeyVault && f.vault_rbac == Some(false))
    {
        if f.vault_rbac == Some(false) {
            evidence.push(format!("the vault {vault} has enableRbacAuthorization false: roles do not apply to its data"));
        }
        (
            Verdict::AccessPolicyMode,
            format!("access_policy_mode: the vault {vault} uses access policies, so no role can grant {action}"),
            Some(format!(
                "az keyvault set-policy --name {vault} --object-id {oid} --secret-permissions get list   (or move the vault to RBAC: az keyvault update --name {vault} --enable-rbac-authorization true, then grant a role)"
            )),
        )
    } else if let Some(x) = deny {
        evidence.push(format!(
            "deny assignment '{}' at {} denies it to {}",
            x.name,
            x.scope,
            if x.principals.iter().any(|p| p == EVERYONE) {
                "everyone not excluded"
            } else {
                "this principal"
            }
        ));
        (
            Verdict::DeniedByAssignment,
            format!("denied_by_assignment: the deny assignment '{}' overrides every role", x.name),
            Some(format!(
                "a deny assignment is changed where it was made (a deployment stack's deny settings, a managed application): exclude {oid} there, e.g. az stack group set … --deny-settings-excluded-principals {oid}"
            )),
        )
    } else if let Some(name) = refusal.and_then(|r| r.deny_assignment.clone()) {
        (
            Verdict::DeniedByAssignment,
            format!("denied_by_assignment: the service names the deny assignment {name}"),
            Some(format!("exclude {oid} from the deny assignment {name} where it was made (deployment stack or managed application)")),
        )
    } else if granted == Some(true) {
        let conditioned: Vec<&&AssignmentInfo> = granting
            .iter()
            .map(|(a, _)| a)
            .filter(|a| a.condition.is_some())
            .collect();
        match (refusal, conditioned.first()) {
            (Some(_), Some(a)) => {
                evidence.push(format!(
                    "the assignment {} carries the condition {}",
                    guid_of(&a.id),
                    a.condition.as_deref().unwrap_or("")
                ));
                (
                    Verdict::Condition,
                    "condition: a role grants the action, but its assignment's condition excludes this request".into(),
                    Some(format!(
                        "ask only for what the condition allows, or change it: az role assignment update --role-assignment '{{\"id\": \"{}\", \"condition\": \"<new condition>\", \"conditionVersion\": \"2.0\"}}'",
                        a.id
                    )),
                )
            }
            (Some(_), None) => (
                Verdict::Unknown,
                "unknown: the permissions API grants the action, yet the service refused it (a condition or deny assignment this principal cannot read, or a cache)".into(),
                Some("ask someone who can read role and deny assignments at this scope to run tokscope why (or the portal's Check access)".into()),
            ),
            (None, _) => (
                Verdict::Allowed,
                format!("allowed: the permissions API grants {action} at {scope} and no deny assignment applies"),
                None,
            ),
        }
    } else if let Some((a, r)) = granting.iter().max_by_key(|(a, _)| a.created_on) {
        d.assigned_at = a.created_on;
        d.expected_by = a.created_on.map(|c| c + DOCUMENTED_PROPAGATION_SECS);
        let age = a.created_on.map(|c| f.now - c);
        (
            Verdict::Propagating,
            format!(
                "propagating: {} was assigned{} but is not in effect yet; Azure documents up to 10 minutes{}",
                r.map_or("a role", |r| r.name.as_str()),
                age.map_or(String::new(), |s| format!(" {} s ago", s.max(0))),
                d.expected_by.map_or(String::new(), |e| format!(", so expect it by {}", when(e)))
            ),
            Some("nothing to change: wait, then run tokscope why again (a token the service cached may also need renewing)".into()),
        )
    } else if granted == Some(false)
        || refusal.is_some_and(|r| r.kind == RefusalKind::NotAuthorized)
    {
        let control_only = data
            && f.permissions
                .as_ref()
                .is_ok_and(|p| p.iter().any(|e| !e.actions.is_empty()));
        if t.service == Service::Graph {
            (
                Verdict::NoRole,
                format!("no_role: Graph needs the application permission {action}, an app role this identity does not hold"),
                Some(format!(
                    "grant the app role {action} of Microsoft Graph to the service principal {oid} (POST https://graph.microsoft.com/v1.0/servicePrincipals/{oid}/appRoleAssignments), then fetch a new token: the roles claim changes only then"
                )),
            )
        } else if control_only {
            evidence.push("this principal's roles here carry actions but no dataActions: control-plane roles (Owner, Contributor) do not reach the data".into());
            (
                Verdict::DataRoleMissing,
                format!("data_role_missing: a control-plane role only; {action} needs a data role"),
                role_fix(least),
            )
        } else {
            (
                Verdict::NoRole,
                format!("no_role: no role of this principal grants {action} at {scope}"),
                role_fix(least),
            )
        }
    } else {
        (
            Verdict::Unknown,
            "unknown: not enough could be read to decide".into(),
            Some("run tokscope why with a token that may read the scope's role assignments, or check the portal's Check access".into()),
        )
    };
    d.verdict = verdict;
    d.summary = summary;
    d.fix = fix;
    d.evidence = evidence;
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::target;

    fn roles() -> Vec<RoleInfo> {
        crate::assets::demo_rbac()
            .role_definitions
            .into_iter()
            .map(|r| RoleInfo {
                builtin: r.kind == "BuiltInRole",
                id: r.id,
                name: r.role_name,
                permissions: r.permissions,
            })
            .collect()
    }

    #[test]
    fn least_roles_are_the_ones_people_name() {
        let r = roles();
        let name = |a: &str, d: bool| least_role(&r, a, d).map(|r| r.name.clone());
        assert_eq!(
            name("Microsoft.Compute/virtualMachines/read", false).as_deref(),
            Some("Reader")
        );
        assert_eq!(
            name("Microsoft.KeyVault/vaults/secrets/getSecret/action", true).as_deref(),
            Some("Key Vault Secrets User")
        );
        assert_eq!(
            name(
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                true
            )
            .as_deref(),
            Some("Storage Blob Data Reader")
        );
        assert_eq!(
            name("Microsoft.Compute/virtualMachines/start/action", false).as_deref(),
            Some("VM Operator (no delete)")
        );
        assert_eq!(
            name("Microsoft.Authorization/roleAssignments/write", false).as_deref(),
            Some("Owner")
        );
    }

    fn facts(method: &str, path: &str) -> Facts {
        let target = target::parse(path, method).unwrap();
        Facts {
            scope: target.scope.clone(),
            target,
            principal_id: Some("p1".into()),
            principal_type: "ServicePrincipal",
            probe: Probe::NotSent {
                reason: "test".into(),
            },
            permissions: Ok(vec![]),
            assignments: Ok(vec![]),
            deny_assignments: Ok(vec![]),
            roles: roles(),
            vault_rbac: None,
            now: 1_000_000,
        }
    }

    #[test]
    fn no_role_names_reader_and_propagating_names_the_window() {
        let mut f = facts(
            "GET",
            "/subscriptions/s/providers/Microsoft.Compute/virtualMachines",
        );
        let d = decide(&f);
        assert_eq!(d.verdict, Verdict::NoRole);
        assert!(d
            .fix
            .unwrap()
            .contains("--role \"Reader\" --scope /subscriptions/s"));
        f.assignments = Ok(vec![AssignmentInfo {
            id: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a1".into(),
            role_definition_id: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7".into(),
            scope: "/subscriptions/s".into(),
            principal_id: "p1".into(),
            created_on: Some(999_990),
            condition: None,
        }]);
        let d = decide(&f);
        assert_eq!(d.verdict, Verdict::Propagating);
        assert_eq!(d.expected_by, Some(999_990 + DOCUMENTED_PROPAGATION_SECS));
        f.permissions = Ok(vec![Permission {
            actions: vec!["*/read".into()],
            ..Default::default()
        }]);
        assert_eq!(decide(&f).verdict, Verdict::Allowed);
    }

    #[test]
    fn deny_assignments_override_roles() {
        let mut f = facts(
            "DELETE",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        );
        f.permissions = Ok(vec![Permission {
            actions: vec!["*".into()],
            ..Default::default()
        }]);
        f.deny_assignments = Ok(vec![DenyInfo {
            id: "d".into(),
            name: "stack".into(),
            scope: "/subscriptions/s/resourceGroups/rg".into(),
            permissions: vec![Permission {
                actions: vec!["*/delete".into()],
                ..Default::default()
            }],
            principals: vec![EVERYONE.into()],
            exclude_principals: vec!["admin".into()],
        }]);
        assert_eq!(decide(&f).verdict, Verdict::DeniedByAssignment);
        f.principal_id = Some("admin".into());
        assert_eq!(decide(&f).verdict, Verdict::Allowed);
    }
}
