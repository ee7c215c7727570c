//! Identities, audiences and the token cache: what a token for (identity, resource) looks like.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::{Cached, Shared};

/// `n` bytes from the system's generator (through aws-lc, whose generator aborts the process
/// rather than return fewer bytes, so the result needs no check).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    let _ = aws_lc_rs::rand::fill(&mut b);
    b
}

pub fn random_hex(bytes: usize) -> String {
    random_bytes(bytes)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A GUID-shaped string from 32 hex digits (shorter input is padded with zeros), for the ids
/// the emulated services hand out.
pub fn uuid_from_hex(hex: &str) -> String {
    let h = format!("{hex:0<32}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A fresh random GUID-shaped id.
pub fn random_uuid() -> String {
    uuid_from_hex(&random_hex(16))
}

fn random_b64(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// How a request names its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    System,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

#[derive(Debug, Clone)]
pub struct Ident {
    pub client_id: String,
    pub object_id: String,
    /// ARM id of the identity: the VM for system-assigned, the identity resource otherwise.
    pub mirid: String,
    pub user_assigned: bool,
    pub has_role: bool,
}

pub fn vm_id(shared: &Shared) -> String {
    let t = &shared.tenant;
    format!(
        "/subscriptions/{}/resourcegroups/{}/providers/Microsoft.Compute/virtualMachines/{}",
        t.subscription_id, t.vm.resource_group, t.vm.name
    )
}

pub fn find_identity(shared: &Shared, wanted: &Wanted) -> Option<Ident> {
    let t = &shared.tenant;
    // The system identity has a client id too; Azure ML clients name it by that
    // (DEFAULT_IDENTITY_CLIENT_ID), and the platforms answer with the system identity.
    let names_system = match wanted {
        Wanted::System => true,
        Wanted::ClientId(c) => c.eq_ignore_ascii_case(&t.system_identity.client_id),
        Wanted::ObjectId(o) => o.eq_ignore_ascii_case(&t.system_identity.object_id),
        Wanted::ResourceId(_) => false,
    };
    if names_system {
        return Some(Ident {
            client_id: t.system_identity.client_id.clone(),
            object_id: t.system_identity.object_id.clone(),
            mirid: vm_id(shared),
            user_assigned: false,
            has_role: true,
        });
    }
    t.user_identities.iter().find_map(|u| {
        let mirid = format!(
            "/subscriptions/{}/resourcegroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            t.subscription_id, u.resource_group, u.name
        );
        let hit = match wanted {
            Wanted::ClientId(c) => c.eq_ignore_ascii_case(&u.client_id),
            Wanted::ObjectId(o) => o.eq_ignore_ascii_case(&u.object_id),
            // ARM ids mix resourcegroups and resourceGroups: compare without case.
            Wanted::ResourceId(r) => r.eq_ignore_ascii_case(&mirid),
            Wanted::System => false,
        };
        hit.then(|| Ident {
            client_id: u.client_id.clone(),
            object_id: u.object_id.clone(),
            mirid,
            user_assigned: true,
            has_role: u.has_role,
        })
    })
}

/// `https://management.azure.com/`, `https://management.azure.com` and `…/.default` are one audience.
pub use crate::token::claims::normalise_audience;

pub fn audience_allowed(shared: &Shared, resource: &str) -> bool {
    let r = normalise_audience(resource);
    shared
        .config
        .audiences
        .iter()
        .any(|a| normalise_audience(a) == r)
}

/// What to mint differently, for faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Twist {
    None,
    Expired,
    /// A minute left of a full lifetime.
    NearlyExpired,
    WrongAud,
    /// `alg: none`, no signature.
    Unsigned,
}

/// Issued-at, expiry and audience of a new token, as a fault twists them. Entra backdates
/// `iat`/`nbf` by five minutes; an expired token ran out ten minutes ago.
fn validity(shared: &Shared, resource: &str, twist: Twist) -> (i64, i64, String) {
    validity_after(shared, resource, twist, None)
}

/// [`validity`], for a token that replaces a revoked one issued at `replaces`: issued after it,
/// even within the same second, so that its `iat` proves it new.
fn validity_after(
    shared: &Shared,
    resource: &str,
    twist: Twist,
    replaces: Option<i64>,
) -> (i64, i64, String) {
    let (now, lifetime) = (shared.now(), shared.config.lifetime);
    let now = replaces.map_or(now, |old| now.max(old + IAT_BACKDATE + 1));
    let (iat, exp) = match twist {
        Twist::Expired => (now - 600 - lifetime, now - 600),
        Twist::NearlyExpired => (now + 60 - lifetime, now + 60),
        Twist::None | Twist::WrongAud | Twist::Unsigned => (now - IAT_BACKDATE, now + lifetime),
    };
    let aud = match twist {
        Twist::WrongAud => "https://wrong-audience.example.com/".to_string(),
        Twist::None | Twist::Expired | Twist::NearlyExpired | Twist::Unsigned => {
            resource.to_string()
        }
    };
    (iat, exp, aud)
}

/// Entra back-dates `iat` and `nbf` by five minutes.
const IAT_BACKDATE: i64 = 300;

fn mint(
    shared: &Shared,
    id: &Ident,
    resource: &str,
    twist: Twist,
    replaces: Option<i64>,
) -> Cached {
    let (iat, exp, aud) = validity_after(shared, resource, twist, replaces);
    let tid = shared.tenant_id().to_string();
    let mut c = Map::new();
    let mut put = |k: &str, v: Value| {
        c.insert(k.to_string(), v);
    };
    // Tokens for the exchange audience are v2, issued by the tenant's v2 authority: what an
    // app's federated credential for a managed identity names as its issuer.
    let exchange = normalise_audience(resource)
        == normalise_audience(crate::token::service_account::EXCHANGE_AUDIENCE);
    let iss = if exchange {
        format!("https://login.microsoftonline.com/{tid}/v2.0")
    } else {
        shared.issuer()
    };
    let aud = if exchange && shared.has_workload_fault(super::workload::WorkloadFault::FicAudience)
    {
        "https://management.azure.com/".to_string()
    } else {
        aud
    };
    put("aud", json!(aud));
    put("iss", json!(iss));
    put("iat", json!(iat));
    put("nbf", json!(iat));
    put("exp", json!(exp));
    put("aio", json!(random_b64(36)));
    put("appid", json!(id.client_id));
    put("appidacr", json!("2"));
    put("idp", json!(shared.issuer()));
    put("idtyp", json!("app"));
    put("oid", json!(id.object_id));
    put("rh", json!(format!("0.{}.", random_b64(30))));
    put("sub", json!(id.object_id));
    put("tid", json!(tid));
    put("uti", json!(random_b64(16)));
    put("ver", json!(if exchange { "2.0" } else { "1.0" }));
    if !(exchange && shared.has_workload_fault(super::workload::WorkloadFault::FicNotManaged)) {
        put("xms_mirid", json!(id.mirid));
    }
    if id.user_assigned {
        put("xms_az_rid", json!(vm_id(shared)));
    }
    put("xms_tcdt", json!(shared.tenant.tenant_created));
    Cached {
        token: if twist == Twist::Unsigned {
            super::keys::unsigned(&c)
        } else {
            shared.keys.sign(&c)
        },
        not_before: iat,
        expires_on: exp,
    }
}

/// Cloud Shell's token: the signed-in portal user's delegated one, not a managed identity's.
fn mint_user(shared: &Shared, resource: &str, twist: Twist) -> Cached {
    let u = &shared.tenant.cloud_shell_user;
    let (iat, exp, aud) = validity(shared, resource, twist);
    let c = json!({
        "aud": aud, "iss": shared.issuer(), "iat": iat, "nbf": iat, "exp": exp,
        "acr": "1", "aio": random_b64(36), "amr": u.amr,
        "appid": u.app_id, "appidacr": "0",
        "family_name": u.family_name, "given_name": u.given_name,
        "idtyp": "user", "ipaddr": "127.0.0.1", "name": u.name,
        "oid": u.object_id, "rh": format!("0.{}.", random_b64(30)),
        "scp": "user_impersonation", "sub": random_b64(32),
        "tid": shared.tenant_id(), "unique_name": u.upn, "upn": u.upn,
        "uti": random_b64(16), "ver": "1.0",
    });
    let claims = match c {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    Cached {
        token: if twist == Twist::Unsigned {
            super::keys::unsigned(&claims)
        } else {
            shared.keys.sign(&claims)
        },
        not_before: iat,
        expires_on: exp,
    }
}

/// The signed-in user's cached token for `resource`, as Cloud Shell caches it.
pub fn user_token_for(shared: &Shared, resource: &str, twist: Twist) -> Cached {
    if twist != Twist::None {
        return mint_user(shared, resource, twist);
    }
    let oid = &shared.tenant.cloud_shell_user.object_id;
    cached(shared, oid, resource, None, |_| {
        mint_user(shared, resource, twist)
    })
}

/// The cached token for (identity, resource), replaced only within `refresh_before` of expiry,
/// or when `revoke` (a client's `token_sha256_to_refresh`) is the hash of the token held.
pub fn token_for(
    shared: &Shared,
    id: &Ident,
    resource: &str,
    twist: Twist,
    revoke: Option<&str>,
) -> Cached {
    if twist != Twist::None {
        return mint(shared, id, resource, twist, None);
    }
    cached(shared, &id.object_id, resource, revoke, |replaces| {
        mint(shared, id, resource, twist, replaces)
    })
}

/// The holder's cached token for `resource`, or a new one from `make`, cached until it is
/// within `refresh_before` of expiry. The cache is bypassed only when `revoke` names the token
/// it holds (the revocation protocol's rule: a stale or foreign hash changes nothing); `make`
/// is then told when the revoked token was issued.
fn cached(
    shared: &Shared,
    holder: &str,
    resource: &str,
    revoke: Option<&str>,
    make: impl FnOnce(Option<i64>) -> Cached,
) -> Cached {
    let (now, refresh_before) = (shared.now(), shared.config.refresh_before);
    let mut cache = match shared.cache.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    let held = cache.fresh(holder, resource, now, refresh_before);
    let replaces = match (held, revoke) {
        (Some(c), Some(hash)) if crate::secret::sha256_hex(&c.token).eq_ignore_ascii_case(hash) => {
            Some(c.not_before)
        }
        (Some(c), _) => return c,
        (None, _) => None,
    };
    let fresh = make(replaces);
    cache.put(holder, resource, fresh.clone(), now, refresh_before);
    fresh
}
