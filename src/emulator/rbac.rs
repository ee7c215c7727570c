//! The demo tenant's Azure RBAC: role definitions with the built-in action lists, role
//! assignments per principal and scope (with `createdOn`, an optional ABAC condition and a
//! propagation delay before they take effect), deny assignments, and ARM's authorization API
//! over them (`permissions`, `roleAssignments` with its `$filter` forms and PUT/DELETE,
//! `roleDefinitions`, `denyAssignments`).

use std::sync::Mutex;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::arm::{arm_error, query_param, Caller};
use super::Shared;
use crate::assets::{Permission, Rbac, RoleDefinition, Tenant};
use crate::authz::{any_grants, pattern_matches, scope_covers};

/// The object id that stands for everyone in a deny assignment.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// api-version of the authorization API, as ARM's own clients use it.
pub const AUTHZ_API_VERSION: &str = "2022-04-01";

#[derive(Debug, Clone)]
pub struct Assignment {
    pub name: String,
    pub scope: String,
    /// The role definition's GUID.
    pub role_id: String,
    pub principal_id: String,
    pub principal_type: String,
    pub created_on: i64,
    /// When the assignment starts to count: `created_on` plus the propagation delay.
    pub effective_at: i64,
    pub condition: Option<String>,
    pub description: Option<String>,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Deny {
    pub id: String,
    pub name: String,
    pub description: String,
    pub scope: String,
    pub permission: Permission,
    pub exclude: Vec<String>,
}

/// What the emulator's tenant allows, and what changed since start.
pub struct Model {
    pub definitions: Vec<RoleDefinition>,
    pub assignments: Mutex<Vec<Assignment>>,
    pub deny: Vec<Deny>,
    pub rbac: Rbac,
}

/// What a request is, beyond its action and scope, for conditions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    pub container: Option<&'a str>,
}

/// The outcome of checking one action.
#[derive(Debug)]
pub enum Decision {
    Allowed,
    Denied(Box<Deny>),
    NotGranted,
}

/// A principal named in the seed file: an identity of the tenant, or an object id.
pub fn principal_named(t: &Tenant, name: &str) -> String {
    match name {
        "system" => t.system_identity.object_id.clone(),
        "cloud_shell_user" => t.cloud_shell_user.object_id.clone(),
        other => t
            .user_identities
            .iter()
            .find(|u| u.name == other)
            .map_or_else(|| other.to_string(), |u| u.object_id.clone()),
    }
}

impl Model {
    pub fn new(t: &Tenant) -> Self {
        let rbac = crate::assets::demo_rbac();
        let sub = |s: &str| s.replace("{subscription}", &t.subscription_id);
        let role_id = |name: &str| {
            rbac.role_definitions
                .iter()
                .find(|r| r.role_name == name)
                .map_or_else(String::new, |r| r.id.clone())
        };
        let assignments = rbac
            .assignments
            .iter()
            .map(|a| Assignment {
                name: a.name.clone(),
                scope: sub(&a.scope),
                role_id: role_id(&a.role),
                principal_id: principal_named(t, &a.principal),
                principal_type: if a.principal == "cloud_shell_user" {
                    "User"
                } else {
                    "ServicePrincipal"
                }
                .into(),
                created_on: t.tenant_created,
                effective_at: t.tenant_created,
                condition: a.condition.clone(),
                description: None,
                created_by: None,
            })
            .collect();
        let deny = rbac
            .deny_assignments
            .iter()
            .map(|d| Deny {
                id: d.id.clone(),
                name: d.name.clone(),
                description: d.description.clone(),
                scope: sub(&d.scope),
                permission: Permission {
                    actions: d.actions.clone(),
                    not_actions: d.not_actions.clone(),
                    ..Default::default()
                },
                exclude: d
                    .exclude_principals
                    .iter()
                    .map(|p| principal_named(t, p))
                    .collect(),
            })
            .collect();
        Self {
            definitions: rbac.role_definitions.clone(),
            assignments: Mutex::new(assignments),
            deny,
            rbac,
        }
    }

    pub fn assignments(&self) -> Vec<Assignment> {
        match self.assignments.lock() {
            Ok(a) => a.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn with_assignments<T>(&self, f: impl FnOnce(&mut Vec<Assignment>) -> T) -> T {
        match self.assignments.lock() {
            Ok(mut a) => f(&mut a),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub fn definition(&self, id: &str) -> Option<&RoleDefinition> {
        let g = id.rsplit('/').next().unwrap_or(id);
        self.definitions
            .iter()
            .find(|d| d.id.eq_ignore_ascii_case(g))
    }

    /// The role entries in effect for a principal at a scope: what ARM's permissions API lists.
    pub fn effective(
        &self,
        principal: &str,
        scope: &str,
        now: i64,
    ) -> Vec<(Assignment, Permission)> {
        self.assignments()
            .into_iter()
            .filter(|a| {
                a.principal_id.eq_ignore_ascii_case(principal)
                    && a.effective_at <= now
                    && scope_covers(&a.scope, scope)
            })
            .filter_map(|a| {
                let perms = self.definition(&a.role_id)?.permissions.clone();
                Some(
                    perms
                        .into_iter()
                        .map(move |p| (a.clone(), p))
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .collect()
    }

    /// Whether `principal` may do `action` at `scope`: deny assignments first, then any role in
    /// effect whose condition (if any) holds for this request.
    pub fn decide(
        &self,
        principal: &str,
        action: &str,
        data: bool,
        scope: &str,
        ctx: Context,
        now: i64,
    ) -> Decision {
        if let Some(d) = self.deny.iter().find(|d| {
            scope_covers(&d.scope, scope)
                && !d.exclude.iter().any(|e| e.eq_ignore_ascii_case(principal))
                && any_grants(std::slice::from_ref(&d.permission), action, data)
        }) {
            return Decision::Denied(Box::new(d.clone()));
        }
        let granted = self.effective(principal, scope, now).iter().any(|(a, p)| {
            p.grants(action, data)
                && a.condition
                    .as_deref()
                    .is_none_or(|c| condition_holds(c, action, ctx))
        });
        if granted {
            Decision::Allowed
        } else {
            Decision::NotGranted
        }
    }

    /// Whether the principal holds any role in effect on the subscription or below it.
    pub fn has_any_role(&self, principal: &str, subscription_scope: &str, now: i64) -> bool {
        self.assignments().iter().any(|a| {
            a.principal_id.eq_ignore_ascii_case(principal)
                && a.effective_at <= now
                && (scope_covers(&a.scope, subscription_scope)
                    || scope_covers(subscription_scope, &a.scope))
        })
    }

    /// Every pending assignment takes effect now: the propagation window crossed on demand.
    pub fn settle(&self, now: i64) -> usize {
        self.with_assignments(|list| {
            let mut n = 0;
            for a in list.iter_mut().filter(|a| a.effective_at > now) {
                a.effective_at = now;
                n += 1;
            }
            n
        })
    }
}

/// The ABAC conditions the emulator evaluates: "(!(ActionMatches{'A'})) OR
/// (@Resource[…/containers:name] StringEquals 'C')", the portal's container restriction. Any
/// other condition is not understood and so does not hold (fail closed, as a typo would).
pub fn condition_holds(condition: &str, action: &str, ctx: Context) -> bool {
    let quoted = |after: &str| -> Vec<String> {
        condition
            .match_indices(after)
            .filter_map(|(i, _)| {
                let rest = condition.get(i + after.len()..)?;
                rest.split('\'').next().map(str::to_string)
            })
            .collect()
    };
    let actions = quoted("ActionMatches{'");
    let containers = quoted("containers:name] StringEquals '");
    if actions.is_empty() || containers.is_empty() {
        return false;
    }
    let applies = actions.iter().any(|a| pattern_matches(a, action));
    !applies
        || ctx
            .container
            .is_some_and(|c| containers.iter().any(|x| x == c))
}

fn iso(epoch: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.0000000Z")
        .to_string()
}

fn definition_id(sub: &str, guid: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}")
}

fn permission_json(p: &Permission) -> Value {
    json!({
        "actions": p.actions,
        "notActions": p.not_actions,
        "dataActions": p.data_actions,
        "notDataActions": p.not_data_actions,
    })
}

pub fn definition_json(sub: &str, d: &RoleDefinition) -> Value {
    json!({
        "id": definition_id(sub, &d.id),
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": d.id,
        "properties": {
            "roleName": d.role_name,
            "type": d.kind,
            "description": d.description,
            "assignableScopes": ["/"],
            "permissions": d.permissions.iter().map(permission_json).collect::<Vec<_>>(),
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-04-18T00:00:00.0000000Z",
            "createdBy": null,
            "updatedBy": null,
        }
    })
}

pub fn assignment_json(sub: &str, a: &Assignment) -> Value {
    json!({
        "id": format!("{}/providers/Microsoft.Authorization/roleAssignments/{}", a.scope.trim_end_matches('/'), a.name),
        "type": "Microsoft.Authorization/roleAssignments",
        "name": a.name,
        "properties": {
            "roleDefinitionId": definition_id(sub, &a.role_id),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
            "condition": a.condition,
            "conditionVersion": a.condition.as_ref().map(|_| "2.0"),
            "createdOn": iso(a.created_on),
            "updatedOn": iso(a.created_on),
            "createdBy": a.created_by,
            "updatedBy": a.created_by,
            "delegatedManagedIdentityResourceId": null,
            "description": a.description,
        }
    })
}

fn deny_json(d: &Deny) -> Value {
    json!({
        "id": format!("{}/providers/Microsoft.Authorization/denyAssignments/{}", d.scope, d.id),
        "type": "Microsoft.Authorization/denyAssignments",
        "name": d.id,
        "properties": {
            "denyAssignmentName": d.name,
            "description": d.description,
            "permissions": [permission_json(&d.permission)],
            "scope": d.scope,
            "doNotApplyToChildScopes": false,
            "principals": [{"id": EVERYONE, "type": "SystemDefined"}],
            "excludePrincipals": d.exclude.iter().map(|e| json!({"id": e, "type": "User"})).collect::<Vec<_>>(),
            "isSystemProtected": true,
        }
    })
}

/// ARM's refusal for an action, naming the deny assignment when one is the reason.
pub fn forbidden(caller: &Caller, action: &str, scope: &str, deny: Option<&Deny>) -> Response {
    let because = deny.map_or(String::new(), |d| {
        format!(
            " The access is denied because of the deny assignment with name '{}' and Id '{}' at scope '{}'.",
            d.name, d.id, d.scope
        )
    });
    arm_error(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        &format!(
            "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.{because}",
            caller.appid, caller.oid
        ),
    )
}

/// Check an ARM action for the caller; the 403 to answer when it is not allowed.
pub fn authorize(
    s: &Shared,
    caller: &Caller,
    action: &str,
    scope: &str,
) -> Result<(), Box<Response>> {
    if s.config.arm_deny_all {
        return Err(Box::new(forbidden(caller, action, scope, None)));
    }
    match s.rbac.decide(
        &caller.oid,
        action,
        false,
        scope,
        Context::default(),
        s.now(),
    ) {
        Decision::Allowed => Ok(()),
        Decision::Denied(d) => Err(Box::new(forbidden(caller, action, scope, Some(&d)))),
        Decision::NotGranted => Err(Box::new(forbidden(caller, action, scope, None))),
    }
}

/// The `$filter` forms ARM takes on role assignments.
#[derive(Debug, Default)]
struct Filter {
    at_scope: bool,
    principal: Option<String>,
    /// `assignedTo` (at or above the scope, with groups) rather than `principalId eq` (at,
    /// above and below).
    assigned_to: bool,
}

fn quoted_arg(s: &str, after: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let at = lower.find(after)? + after.len();
    let rest = s
        .get(at..)?
        .trim_start()
        .trim_start_matches(['(', ' '])
        .strip_prefix('\'')?;
    rest.split('\'').next().map(str::to_string)
}

fn parse_filter(raw: Option<&str>) -> Result<Filter, String> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Filter::default());
    };
    let lower = raw.to_ascii_lowercase();
    let mut f = Filter {
        at_scope: lower.contains("atscope()"),
        ..Default::default()
    };
    if let Some(p) = quoted_arg(raw, "assignedto") {
        f.principal = Some(p);
        f.assigned_to = true;
    } else if let Some(p) = quoted_arg(raw, "principalid eq") {
        if f.at_scope {
            return Err("atScope() cannot be combined with principalId eq; use assignedTo".into());
        }
        f.principal = Some(p);
    } else if !f.at_scope && !lower.contains("astarget()") {
        return Err(format!("the filter {raw:?} is not one ARM takes here"));
    }
    Ok(f)
}

fn bad_request(code: &str, message: &str) -> Response {
    arm_error(StatusCode::BAD_REQUEST, code, message)
}

/// What a path ends with under `…/providers/Microsoft.Authorization/`.
pub struct AuthzPath<'a> {
    pub scope: String,
    pub kind: &'a str,
    pub name: Option<&'a str>,
}

/// Split `{scope}/providers/Microsoft.Authorization/{kind}[/{name}]`.
pub fn authz_path(path: &str) -> Option<AuthzPath<'_>> {
    let lower = path.to_ascii_lowercase();
    let at = lower.rfind("/providers/microsoft.authorization/")?;
    let scope = path.get(..at)?.to_string();
    let rest = path.get(at + "/providers/microsoft.authorization/".len()..)?;
    let mut parts = rest.trim_end_matches('/').splitn(2, '/');
    let kind = parts.next()?;
    let name = parts.next().filter(|n| !n.is_empty() && !n.contains('/'));
    Some(AuthzPath {
        scope: if scope.is_empty() { "/".into() } else { scope },
        kind,
        name,
    })
}

/// Page a list as ARM does: `value` plus an absolute `nextLink` while more remain.
pub fn paged(
    s: &Shared,
    h: &HeaderMap,
    uri: &Uri,
    q: &[(String, String)],
    items: Vec<Value>,
) -> Result<Value, Box<Response>> {
    let offset = match query_param(q, "$skiptoken") {
        None => 0,
        Some(t) => super::arm::decode_skiptoken(t).ok_or_else(|| {
            Box::new(bad_request(
                "InvalidSkipToken",
                "The skip token in the request is not valid.",
            ))
        })?,
    };
    let size = s.config.arm_page_size.max(1);
    let page: Vec<Value> = items.iter().skip(offset).take(size).cloned().collect();
    let mut body = json!({ "value": page });
    if offset + size < items.len() {
        let host = h
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("127.0.0.1");
        let keep: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                q.iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken")),
            )
            .append_pair("$skiptoken", &super::arm::encode_skiptoken(offset + size))
            .finish();
        if let Some(obj) = body.as_object_mut() {
            obj.insert(
                "nextLink".into(),
                format!("{}://{host}{}?{keep}", s.scheme(), uri.path()).into(),
            );
        }
    }
    Ok(body)
}

/// GET on the authorization API.
pub fn get(
    s: &Shared,
    caller: &Caller,
    h: &HeaderMap,
    uri: &Uri,
    q: &[(String, String)],
    p: &AuthzPath,
) -> Response {
    let sub = s.tenant.subscription_id.clone();
    let now = s.now();
    let respond = |items: Vec<Value>| match paged(s, h, uri, q, items) {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => *r,
    };
    match (p.kind.to_ascii_lowercase().as_str(), p.name) {
        // The caller asks about itself: no role is needed to ask.
        ("permissions", None) => {
            let items = s
                .rbac
                .effective(&caller.oid, &p.scope, now)
                .iter()
                .map(|(a, perm)| {
                    let mut v = permission_json(perm);
                    if let (Some(c), Some(o)) = (&a.condition, v.as_object_mut()) {
                        o.insert("condition".into(), c.clone().into());
                        o.insert("conditionVersion".into(), "2.0".into());
                    }
                    v
                })
                .collect();
            respond(items)
        }
        ("roledefinitions", None) => {
            let filter = query_param(q, "$filter").unwrap_or("");
            let name = quoted_arg(filter, "rolename eq");
            let items = s
                .rbac
                .definitions
                .iter()
                .filter(|d| name.as_deref().is_none_or(|n| d.role_name.eq_ignore_ascii_case(n)))
                .map(|d| definition_json(&sub, d))
                .collect();
            respond(items)
        }
        ("roledefinitions", Some(id)) => match s.rbac.definition(id) {
            Some(d) => axum::Json(definition_json(&sub, d)).into_response(),
            None => arm_error(
                StatusCode::NOT_FOUND,
                "RoleDefinitionDoesNotExist",
                &format!("The specified role definition with ID '{id}' does not exist."),
            ),
        },
        ("roleassignments", name) => {
            let filter = match parse_filter(query_param(q, "$filter")) {
                Ok(f) => f,
                Err(e) => return bad_request("InvalidFilter", &e),
            };
            let own = filter.principal.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&caller.oid));
            // A principal may read its own assignments (the emulator's choice, so that an identity
            // without roles can see one that has not applied yet); anything else needs the read
            // action at the scope.
            if !own {
                if let Err(r) = authorize(s, caller, "Microsoft.Authorization/roleAssignments/read", &p.scope) {
                    return *r;
                }
            }
            let all = s.rbac.assignments();
            if let Some(n) = name {
                return match all.iter().find(|a| a.name.eq_ignore_ascii_case(n) && scope_covers(&a.scope, &p.scope) && scope_covers(&p.scope, &a.scope)) {
                    Some(a) => axum::Json(assignment_json(&sub, a)).into_response(),
                    None => arm_error(StatusCode::NOT_FOUND, "RoleAssignmentNotFound", "The role assignment does not exist."),
                };
            }
            let items = all
                .iter()
                .filter(|a| {
                    let above = scope_covers(&a.scope, &p.scope);
                    let below = scope_covers(&p.scope, &a.scope);
                    let here = if filter.at_scope || filter.assigned_to { above } else { above || below };
                    here && filter.principal.as_deref().is_none_or(|x| a.principal_id.eq_ignore_ascii_case(x))
                })
                .map(|a| assignment_json(&sub, a))
                .collect();
            respond(items)
        }
        ("denyassignments", None) => {
            if let Err(r) = authorize(s, caller, "Microsoft.Authorization/denyAssignments/read", &p.scope) {
                return *r;
            }
            let items = s
                .rbac
                .deny
                .iter()
                .filter(|d| scope_covers(&d.scope, &p.scope) || scope_covers(&p.scope, &d.scope))
                .map(deny_json)
                .collect();
            respond(items)
        }
        _ => arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            &format!("The resource type '{}' could not be found in the namespace 'Microsoft.Authorization'.", p.kind),
        ),
    }
}

/// `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`, as `az role
/// assignment create` sends it.
pub fn put(s: &Shared, caller: &Caller, p: &AuthzPath, body: &[u8]) -> Response {
    let (true, Some(name)) = (p.kind.eq_ignore_ascii_case("roleAssignments"), p.name) else {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Only role assignments can be created here.",
        );
    };
    if let Err(r) = authorize(
        s,
        caller,
        "Microsoft.Authorization/roleAssignments/write",
        &p.scope,
    ) {
        return *r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        );
    };
    let props = v.get("properties").unwrap_or(&Value::Null);
    let field = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(principal) = field("principalId").filter(|p| !p.is_empty()) else {
        return bad_request(
            "InvalidPrincipalId",
            "A valid principal ID must be provided for role assignment.",
        );
    };
    let Some(role) =
        field("roleDefinitionId").and_then(|r| s.rbac.definition(&r).map(|d| d.id.clone()))
    else {
        return bad_request(
            "RoleDefinitionDoesNotExist",
            &format!(
                "The specified role definition with ID '{}' does not exist.",
                field("roleDefinitionId").unwrap_or_default()
            ),
        );
    };
    let now = s.now();
    let new = Assignment {
        name: name.to_string(),
        scope: p.scope.clone(),
        role_id: role,
        principal_id: principal,
        principal_type: field("principalType").unwrap_or_else(|| "ServicePrincipal".into()),
        created_on: now,
        effective_at: now.saturating_add(crate::duration::secs_i64(s.config.rbac_propagation)),
        condition: field("condition"),
        description: field("description"),
        created_by: Some(caller.oid.clone()),
    };
    let sub = s.tenant.subscription_id.clone();
    s.rbac.with_assignments(|list| {
        if let Some(same) = list.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
            return if same.principal_id.eq_ignore_ascii_case(&new.principal_id) && same.role_id == new.role_id {
                (StatusCode::OK, axum::Json(assignment_json(&sub, same))).into_response()
            } else {
                arm_error(StatusCode::BAD_REQUEST, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
            };
        }
        if list.iter().any(|a| {
            a.principal_id.eq_ignore_ascii_case(&new.principal_id)
                && a.role_id == new.role_id
                && a.scope.eq_ignore_ascii_case(&new.scope)
                && a.condition == new.condition
        }) {
            return arm_error(StatusCode::CONFLICT, "RoleAssignmentExists", "The role assignment already exists.");
        }
        let body = assignment_json(&sub, &new);
        list.push(new);
        (StatusCode::CREATED, axum::Json(body)).into_response()
    })
}

/// `DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
pub fn delete(s: &Shared, caller: &Caller, p: &AuthzPath) -> Response {
    let (true, Some(name)) = (p.kind.eq_ignore_ascii_case("roleAssignments"), p.name) else {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Only role assignments can be deleted here.",
        );
    };
    if let Err(r) = authorize(
        s,
        caller,
        "Microsoft.Authorization/roleAssignments/delete",
        &p.scope,
    ) {
        return *r;
    }
    let sub = s.tenant.subscription_id.clone();
    s.rbac.with_assignments(|list| {
        match list.iter().position(|a| a.name.eq_ignore_ascii_case(name)) {
            Some(i) => {
                let gone = list.remove(i);
                axum::Json(assignment_json(&sub, &gone)).into_response()
            }
            None => StatusCode::NO_CONTENT.into_response(),
        }
    })
}

/// The admin view: every assignment with when it takes effect, as JSON.
pub fn admin_json(s: &Shared) -> Value {
    let now = s.now();
    let sub = s.tenant.subscription_id.clone();
    let list: Vec<Value> = s
        .rbac
        .assignments()
        .iter()
        .map(|a| {
            let mut v = assignment_json(&sub, a);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "roleName".into(),
                    s.rbac
                        .definition(&a.role_id)
                        .map(|d| d.role_name.clone())
                        .into(),
                );
                o.insert("effective".into(), (a.effective_at <= now).into());
                o.insert("effectiveAt".into(), iso(a.effective_at).into());
            }
            v
        })
        .collect();
    json!({
        "propagationSeconds": crate::duration::secs_i64(s.config.rbac_propagation),
        "assignments": list,
        "denyAssignments": s.rbac.deny.iter().map(deny_json).collect::<Vec<_>>(),
    })
}

/// The identities the emulator serves, one line each with their ids and roles, for the
/// `emulate` banner.
pub fn describe_identities(s: &Shared) -> String {
    let t = &s.tenant;
    let mut who = vec![(
        "system-assigned".to_string(),
        t.system_identity.client_id.clone(),
        t.system_identity.object_id.clone(),
    )];
    who.extend(
        t.user_identities
            .iter()
            .map(|u| (u.name.clone(), u.client_id.clone(), u.object_id.clone())),
    );
    let all = s.rbac.assignments();
    let mut out = String::new();
    for (name, client, object) in who {
        let roles: Vec<String> = all
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(&object))
            .map(|a| {
                let role = s
                    .rbac
                    .definition(&a.role_id)
                    .map_or("?", |d| d.role_name.as_str());
                let cond = if a.condition.is_some() {
                    " (with a condition)"
                } else {
                    ""
                };
                format!("{role} at {}{cond}", a.scope)
            })
            .collect();
        let roles = if roles.is_empty() {
            "no role".to_string()
        } else {
            roles.join("; ")
        };
        out.push_str(&format!(
            "#   {name}: client id {client}, object id {object}: {roles}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_condition() {
        let c = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'public'))";
        let read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
        assert!(condition_holds(
            c,
            read,
            Context {
                container: Some("public")
            }
        ));
        assert!(!condition_holds(
            c,
            read,
            Context {
                container: Some("private")
            }
        ));
        assert!(condition_holds(
            c,
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            Context::default()
        ));
        assert!(!condition_holds(
            "@Request[x] StringEquals 'y'",
            read,
            Context::default()
        ));
    }

    #[test]
    fn filters() {
        let f = parse_filter(Some("atScope() and assignedTo('abc')")).unwrap();
        assert!(f.at_scope && f.assigned_to);
        assert_eq!(f.principal.as_deref(), Some("abc"));
        assert!(parse_filter(Some("atScope() and principalId eq 'abc'")).is_err());
        assert_eq!(
            parse_filter(Some("principalId eq 'x'"))
                .unwrap()
                .principal
                .as_deref(),
            Some("x")
        );
        assert!(parse_filter(Some("roleName eq 'x'")).is_err());
    }

    #[test]
    fn authz_paths() {
        let p = authz_path("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/n1").unwrap();
        assert_eq!(
            (p.scope.as_str(), p.kind, p.name),
            (
                "/subscriptions/s/resourceGroups/rg",
                "roleAssignments",
                Some("n1")
            )
        );
        assert!(
            authz_path("/subscriptions/s/providers/Microsoft.Compute/virtualMachines").is_none()
        );
    }
}
