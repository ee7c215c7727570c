//! AKS workload identity, both sides: a cluster OIDC issuer that mints service-account tokens
//! into a file it rotates the way kubelet does, and Entra's v2 token endpoint that validates
//! them against the tenant's federated credentials and answers Entra's own error bodies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde_json::{json, Map};

use super::mint::{self, Twist, Wanted};
use super::Shared;
use crate::files;
use crate::token::service_account::{
    EXCHANGE_AUDIENCE, IDENTITY_BINDING_AUDIENCE, MAX_ASSERTION_LIFETIME, ROTATION_SHARE,
};

/// One way to break the chain, each answered by Entra's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadFault {
    /// The service-account name in the token differs in case from the credential's (700213).
    WrongSubject,
    /// The token's issuer lacks the trailing '/' the credential has (700211).
    IssuerSlash,
    /// The file holds an expired token: kubelet stopped rotating it (700024).
    ExpiredAssertion,
    /// The token lives 48 h, as the pod's default service-account token does (70023).
    LongLifetime,
    /// The token's audience is the API server's, not api://AzureADTokenExchange (700212).
    WrongAudience,
    /// Entra knows no application with the pod's client id (700016).
    UnknownClient,
    /// Entra cannot fetch the issuer's discovery document (90061).
    IssuerUnreachable,
    /// The file holds an Entra access token instead of a service-account token (700222).
    EntraAssertion,
    /// The token's signature does not check against the issuer's keys (700027).
    BadSignature,
    /// The subject mismatch answered as Entra did in 2022: code 70021, one message naming
    /// issuer, subject and audience, the trailer after CR LF.
    LegacyMismatch,
    /// The file holds a token past its rotation time, written that long ago, and kubelet's copy
    /// never reaches the container (Kubernetes 1.32's stale projected tokens): 700024 later.
    StaleFile,
    /// The app's credential names the identity's tenant by its v1 issuer (700211).
    FicIssuerV1,
    /// The exchange-audience token is no managed identity's (700226).
    FicNotManaged,
    /// The managed identity's token is for another audience (700227).
    FicAudience,
    /// The app's tenant does not accept Entra tokens from the identity's tenant (700236).
    FicTenantBlocked,
    /// Entra-issued assertions are refused for this app (700222).
    FicEntraRefused,
}

/// Where the webhook put things in the demo pod, under a folder standing for its `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodLayout {
    /// Webhook v1.0–v1.5: `/var/run/secrets/azure/tokens/azure-identity-token`.
    V15,
    /// Webhook v1.6: `/var/run/secrets/azure/wi/token/azure-identity-token`.
    V16,
    /// v1.6 with an identity binding: the token proxy's variables, its CA file, and tokens for
    /// `api://AKSIdentityBinding`.
    Binding,
    /// A pod the webhook never saw: no variables, no projected token, only the default
    /// service-account token.
    Unmutated,
}

impl PodLayout {
    pub fn name(self) -> &'static str {
        match self {
            PodLayout::V15 => "v1.5",
            PodLayout::V16 => "v1.6",
            PodLayout::Binding => "binding",
            PodLayout::Unmutated => "unmutated",
        }
    }

    /// The projected token's folder inside the pod, if the webhook made one.
    fn token_folder(self) -> Option<&'static str> {
        match self {
            PodLayout::V15 => Some("var/run/secrets/azure/tokens"),
            PodLayout::V16 | PodLayout::Binding => Some("var/run/secrets/azure/wi/token"),
            PodLayout::Unmutated => None,
        }
    }
}

/// The SNI name the demo's identity-binding proxy answers to.
pub const BINDING_SNI: &str = "identity-binding.tokscope.test";
/// The pod's default service-account token, under the pod's root.
const DEFAULT_SA_TOKEN: &str = "var/run/secrets/kubernetes.io/serviceaccount/token";
/// The binding CA the webhook mounts, under the pod's root.
const BINDING_CA: &str = "var/run/secrets/azure/wi/ca-cert/ca.crt";

impl WorkloadFault {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadFault::WrongSubject => "wrong-subject",
            WorkloadFault::IssuerSlash => "issuer-slash",
            WorkloadFault::ExpiredAssertion => "expired-assertion",
            WorkloadFault::LongLifetime => "long-lifetime",
            WorkloadFault::WrongAudience => "wrong-audience",
            WorkloadFault::UnknownClient => "unknown-client",
            WorkloadFault::IssuerUnreachable => "issuer-unreachable",
            WorkloadFault::EntraAssertion => "entra-assertion",
            WorkloadFault::BadSignature => "bad-signature",
            WorkloadFault::LegacyMismatch => "legacy-mismatch",
            WorkloadFault::StaleFile => "stale-file",
            WorkloadFault::FicIssuerV1 => "fic-issuer-v1",
            WorkloadFault::FicNotManaged => "fic-not-managed",
            WorkloadFault::FicAudience => "fic-audience",
            WorkloadFault::FicTenantBlocked => "fic-tenant-blocked",
            WorkloadFault::FicEntraRefused => "fic-entra-refused",
        }
    }
}

/// The pod's side: where its token file is.
pub struct Cluster {
    /// The folder kubelet would mount: `azure-identity-token → ..data/azure-identity-token`.
    pub dir: PathBuf,
    /// The folder everything lives under (removed at stop when `owned`).
    pub base: PathBuf,
    /// With a pod layout: the folder standing for the pod's `/`.
    pub root: Option<PathBuf>,
    pub owned: bool,
}

/// Make `base/rel` one private folder at a time (the file gate makes one level).
fn private_path(base: &Path, rel: &str) -> std::io::Result<PathBuf> {
    let mut at = base.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        at.push(part);
        files::private_dir(&at).map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(at)
}

impl Cluster {
    /// Lay out the pod under `base`: the token folder at the layout's path (or `base` itself
    /// without a layout, and for a pod the webhook never saw, where no pod path shows it).
    pub fn lay_out(base: PathBuf, owned: bool, layout: Option<PodLayout>) -> std::io::Result<Self> {
        files::private_dir(&base).map_err(|e| std::io::Error::other(e.to_string()))?;
        let Some(layout) = layout else {
            return Ok(Self {
                dir: base.clone(),
                base,
                root: None,
                owned,
            });
        };
        let root = private_path(&base, "root")?;
        let dir = match layout.token_folder() {
            Some(rel) => private_path(&root, rel)?,
            None => base.clone(),
        };
        Ok(Self {
            dir,
            base,
            root: Some(root),
            owned,
        })
    }
}

pub const TOKEN_NAME: &str = "azure-identity-token";

impl Cluster {
    pub fn token_file(&self) -> PathBuf {
        self.dir.join(TOKEN_NAME)
    }
}

impl Shared {
    fn has_fault(&self, f: WorkloadFault) -> bool {
        self.config.workload_faults.contains(&f)
    }

    pub fn has_workload_fault(&self, f: WorkloadFault) -> bool {
        self.has_fault(f)
    }

    /// The cluster's OIDC issuer, with the trailing slash AKS issuers have.
    pub fn cluster_issuer(&self) -> String {
        format!("{}/cluster/", self.base_url())
    }

    /// Entra's authority for AZURE_AUTHORITY_HOST, with the slash the webhook writes.
    pub fn authority(&self) -> String {
        format!("{}/", self.base_url())
    }

    /// The federated credentials as ARM holds them now: (client id, issuer, subject, audiences).
    /// A credential matching by claims expression has no subject and matches no assertion here.
    fn federated_credentials(&self) -> Vec<(String, String, Option<String>, Vec<String>)> {
        self.federated
            .all()
            .into_iter()
            .filter_map(|f| {
                let ident = self
                    .tenant
                    .user_identities
                    .iter()
                    .find(|u| u.name.eq_ignore_ascii_case(&f.identity))?;
                Some((ident.client_id.clone(), f.issuer, f.subject, f.audiences))
            })
            .collect()
    }

    /// The client id a pod of the demo cluster is annotated with.
    pub fn workload_client_id(&self) -> String {
        let w = &self.tenant.workload;
        self.tenant
            .user_identities
            .iter()
            .find(|u| u.name == w.identity)
            .map(|u| u.client_id.clone())
            .unwrap_or_default()
    }
}

/// A service-account token as kubelet asks the API server for it, twisted by the faults.
pub fn mint_service_account_token(s: &Shared) -> String {
    let w = &s.tenant.workload;
    let now = s.now();
    if s.has_fault(WorkloadFault::EntraAssertion) {
        if let Some(id) = mint::find_identity(s, &Wanted::ClientId(s.workload_client_id())) {
            return mint::token_for(s, &id, "https://management.azure.com/", Twist::None, None)
                .token;
        }
    }
    let life = if s.has_fault(WorkloadFault::LongLifetime) {
        48 * 3600
    } else {
        s.config.sa_lifetime
    };
    let iat = if s.has_fault(WorkloadFault::ExpiredAssertion) {
        now - 2 * life
    } else if s.has_fault(WorkloadFault::StaleFile) {
        now - life * 9 / 10
    } else {
        now
    };
    let mut iss = s.cluster_issuer();
    if s.has_fault(WorkloadFault::IssuerSlash) {
        iss.pop();
    }
    let sa =
        if s.has_fault(WorkloadFault::WrongSubject) || s.has_fault(WorkloadFault::LegacyMismatch) {
            capitalise(&w.service_account)
        } else {
            w.service_account.clone()
        };
    let aud = if s.has_fault(WorkloadFault::WrongAudience) {
        "https://kubernetes.default.svc.cluster.local"
    } else if s.config.pod_layout == Some(PodLayout::Binding) {
        IDENTITY_BINDING_AUDIENCE
    } else {
        EXCHANGE_AUDIENCE
    };
    let mut c = Map::new();
    c.insert("aud".into(), json!([aud]));
    c.insert("exp".into(), json!(iat + life));
    c.insert("iat".into(), json!(iat));
    c.insert("iss".into(), json!(iss));
    c.insert("jti".into(), json!(mint::random_uuid()));
    c.insert(
        "kubernetes.io".into(),
        json!({
            "namespace": w.namespace,
            "node": {"name": w.node, "uid": mint::random_uuid()},
            "pod": {"name": w.pod, "uid": mint::random_uuid()},
            "serviceaccount": {"name": sa, "uid": mint::random_uuid()},
        }),
    );
    c.insert("nbf".into(), json!(iat));
    c.insert(
        "sub".into(),
        json!(format!("system:serviceaccount:{}:{sa}", w.namespace)),
    );
    let token = s
        .keys
        .sign_with_header(json!({"alg": "RS256", "kid": s.keys.kid}), &c);
    if s.has_fault(WorkloadFault::BadSignature) {
        // Another token's signature on these claims: well-formed, and wrong.
        let (input, _) = token.rsplit_once('.').unwrap_or((&token, ""));
        let other = s.keys.sign(&Map::new());
        let sig = other.rsplit_once('.').map_or("", |(_, sig)| sig);
        return format!("{input}.{sig}");
    }
    token
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Publish a token the way kubelet's atomic writer does: into a fresh timestamped folder, then
/// `..data` swapped to it by a rename, with the file itself a stable link through `..data`.
/// Folders and the file are made through the file gate: private, new, never through a link.
pub fn publish(dir: &Path, token: &str, generation: u64) -> std::io::Result<()> {
    publish_dated(dir, token, generation, None)
}

/// [`publish`], the file dated `modified` (a token written long ago).
pub fn publish_dated(
    dir: &Path,
    token: &str,
    generation: u64,
    modified: Option<std::time::SystemTime>,
) -> std::io::Result<()> {
    let refused = |e: files::WriteError| match e {
        files::WriteError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    };
    files::private_dir(dir).map_err(refused)?;
    let gen_dir = format!("..{generation}");
    let target = dir.join(&gen_dir);
    // A folder the user named outlives the emulator: an earlier run's generation may be there.
    files::remove_tree(&target);
    files::private_dir(&target).map_err(refused)?;
    let file = target.join(TOKEN_NAME);
    files::create_new_dated(&file, token.as_bytes(), files::Access::Private, modified)
        .map_err(refused)?;
    files::swap_link(Path::new(&gen_dir), &dir.join("..data"))?;
    files::ensure_link(
        Path::new(&format!("..data/{TOKEN_NAME}")),
        &dir.join(TOKEN_NAME),
    )?;
    if generation > 0 {
        files::remove_tree(&dir.join(format!("..{}", generation - 1)));
    }
    Ok(())
}

/// When the first token file was written: now, or long ago for a stale file (as old as the
/// token in it, which is past its rotation time).
pub fn first_written(s: &Shared) -> Option<std::time::SystemTime> {
    let age = s.config.sa_lifetime * 9 / 10;
    s.has_fault(WorkloadFault::StaleFile)
        .then(|| std::time::SystemTime::now() - std::time::Duration::from_secs(age.unsigned_abs()))
}

/// Kubelet's rotation: a new token at 80 % of the lifetime, for as long as the emulator runs.
/// An expired-assertion fault stands for a kubelet that stopped refreshing: one stale token.
pub async fn rotate(s: Arc<Shared>) {
    let mut generation = 1;
    loop {
        let wait = (s.config.sa_lifetime as f64 * ROTATION_SHARE).max(1.0);
        tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
        if s.has_fault(WorkloadFault::ExpiredAssertion) || s.has_fault(WorkloadFault::StaleFile) {
            continue;
        }
        let token = mint_service_account_token(&s);
        let _ = publish(&s.cluster.dir, &token, generation);
        generation += 1;
    }
}

pub async fn cluster_openid(State(s): State<Arc<Shared>>) -> Response {
    if s.has_fault(WorkloadFault::IssuerUnreachable) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let iss = s.cluster_issuer();
    axum::Json(json!({
        "issuer": iss,
        "jwks_uri": format!("{iss}openid/v1/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

pub async fn cluster_jwks(State(s): State<Arc<Shared>>) -> Response {
    if s.has_fault(WorkloadFault::IssuerUnreachable) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    axum::Json(s.keys.jwks(&s.cluster_issuer())).into_response()
}

/// Entra's v2 OpenID configuration for the tenant, with every field msal-node requires, the
/// issuer on the authority's own origin so that its issuer check passes.
pub async fn entra_openid(
    State(s): State<Arc<Shared>>,
    UrlPath(tenant): UrlPath<String>,
) -> Response {
    let b = s.base_url();
    axum::Json(json!({
        "token_endpoint": format!("{b}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{b}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{b}/{tenant}/v2.0"),
        "authorization_endpoint": format!("{b}/{tenant}/oauth2/v2.0/authorize"),
        "tenant_region_scope": "EU",
    }))
    .into_response()
}

/// Entra's error body: AADSTS code in the description with its trailer, ids, no Retry-After.
pub(super) fn entra_error(s: &Shared, status: u16, error: &str, code: u32, text: &str) -> Response {
    entra_error_with(s, status, error, code, text, " ")
}

/// Entra's error body with the trailer after `sep`: a space today, CR LF in older answers.
fn entra_error_with(
    s: &Shared,
    status: u16,
    error: &str,
    code: u32,
    text: &str,
    sep: &str,
) -> Response {
    let trace = mint::random_uuid();
    let corr = mint::random_uuid();
    let ts = chrono::DateTime::<chrono::Utc>::from_timestamp(s.now(), 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {text}{sep}Trace ID: {trace}{sep}Correlation ID: {corr}{sep}Timestamp: {ts}"),
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": format!("{}/error?code={code}", s.base_url()),
    });
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        st,
        [
            ("content-type", "application/json; charset=utf-8"),
            ("cache-control", "no-store, no-cache"),
            ("x-ms-request-id", trace.as_str()),
        ],
        body.to_string(),
    )
        .into_response()
}

pub(super) const FEDERATION_DOC: &str =
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/// The success body of Entra's v2 token endpoint.
pub(super) fn entra_success(token: &str, expires_in: i64) -> Response {
    let body = json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    });
    let rid = mint::random_uuid();
    (
        StatusCode::OK,
        [
            ("content-type", "application/json; charset=utf-8"),
            ("cache-control", "no-store, no-cache"),
            ("pragma", "no-cache"),
            ("x-ms-request-id", rid.as_str()),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant with a federated assertion,
/// checked in the order Entra reports failures.
pub async fn entra_token(
    State(s): State<Arc<Shared>>,
    UrlPath(tenant): UrlPath<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    s.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if let Some(app) = super::fic_app::app_in(&s, &tenant) {
        return super::fic_app::exchange(&s, app, &form);
    }
    let tid = s.tenant_id().to_string();
    if !tenant.eq_ignore_ascii_case(&tid) {
        return entra_error(&s, 400, "invalid_request", 90002, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    for required in [
        "client_id",
        "grant_type",
        "scope",
        "client_assertion_type",
        "client_assertion",
    ] {
        if p(required).is_none() {
            return entra_error(
                &s,
                400,
                "invalid_request",
                900144,
                &format!("The request body must contain the following parameter: '{required}'."),
            );
        }
    }
    if p("grant_type") != Some("client_credentials") {
        return entra_error(
            &s,
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    if p("client_assertion_type") != Some(crate::token::service_account::CLIENT_ASSERTION_TYPE) {
        return entra_error(
            &s,
            400,
            "invalid_request",
            50027,
            "Invalid client_assertion_type.",
        );
    }
    let client_id = p("client_id").unwrap_or_default();
    let assertion = p("client_assertion").unwrap_or_default();
    let fics: Vec<_> = s
        .federated_credentials()
        .into_iter()
        .filter(|f| f.0.eq_ignore_ascii_case(client_id))
        .collect();
    let known = mint::find_identity(&s, &Wanted::ClientId(client_id.to_string()))
        .filter(|i| i.user_assigned);
    let Some(ident) = known.filter(|_| !s.has_fault(WorkloadFault::UnknownClient)) else {
        return entra_error(&s, 400, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{tid}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."));
    };
    let Ok(jwt) = crate::token::decode(assertion) else {
        return entra_error(
            &s,
            400,
            "invalid_request",
            50027,
            "Invalid JWT token. The token is malformed.",
        );
    };
    let iss = jwt.claim_str("iss").unwrap_or_default().to_string();
    if crate::token::service_account::is_entra_issuer(&iss) {
        return entra_error(
            &s,
            401,
            "invalid_client",
            700222,
            "AAD-issued tokens may not be used for federated identity flows.",
        );
    }
    let by_issuer: Vec<_> = fics.iter().filter(|f| f.1 == iss).collect();
    if by_issuer.is_empty() {
        return entra_error(&s, 401, "invalid_client", 700211, &format!("No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}"));
    }
    if s.has_fault(WorkloadFault::IssuerUnreachable) {
        return entra_error(
            &s,
            400,
            "invalid_request",
            90061,
            "Request to External OIDC endpoint failed.",
        );
    }
    if jwt.header_str("kid") != Some(s.keys.kid.as_str()) || !s.keys.verify(assertion) {
        return entra_error(
            &s,
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation.",
        );
    }
    let now = s.now();
    let (iat, exp) = (jwt.claim_i64("iat"), jwt.claim_i64("exp"));
    let lifetime_ok = iat
        .zip(exp)
        .is_some_and(|(i, e)| e - i <= MAX_ASSERTION_LIFETIME);
    if !lifetime_ok {
        return entra_error(&s, 400, "invalid_request", 70023, &format!("External OIDC Provider token must have a lifetime of less than or equal to 1.01:00:00. Token issued at {}, expires at {}.", fmt_time(iat), fmt_time(exp)));
    }
    let nbf = jwt.claim_i64("nbf").or(iat).unwrap_or(0);
    let exp = exp.unwrap_or(0);
    // Entra allows five minutes of clock skew either way.
    if now + 300 < nbf || now - 300 > exp {
        return entra_error(&s, 401, "invalid_client", 700024, &format!("Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .", fmt_time(Some(now)), fmt_time(Some(nbf)), fmt_time(Some(exp))));
    }
    let sub = jwt.claim_str("sub").unwrap_or_default().to_string();
    let by_subject: Vec<_> = by_issuer
        .iter()
        .filter(|f| f.2.as_deref() == Some(sub.as_str()))
        .collect();
    if by_subject.is_empty() && s.has_fault(WorkloadFault::LegacyMismatch) {
        let auds = crate::token::claims::audiences(&jwt).join(",");
        return entra_error_with(&s, 400, "invalid_request", 70021, &format!("No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{auds}'."), "\r\n");
    }
    if by_subject.is_empty() {
        return entra_error(&s, 401, "invalid_client", 700213, &format!("No matching federated identity record found for presented assertion subject '{sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}"));
    }
    let auds = crate::token::claims::audiences(&jwt);
    if !by_subject
        .iter()
        .any(|f| f.3.iter().any(|a| auds.contains(a)))
    {
        return entra_error(&s, 401, "invalid_client", 700212, &format!("No matching federated identity record found for presented assertion audience '{}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}", auds.join(",")));
    }
    let scope = p("scope").unwrap_or_default();
    let Some(resource) = scope.strip_suffix("/.default") else {
        return entra_error(&s, 400, "invalid_scope", 1002012, &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."));
    };
    if !mint::audience_allowed(&s, resource) {
        return entra_error(&s, 400, "invalid_scope", 500011, &format!("The resource principal named {resource} was not found in the tenant named {tid}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."));
    }
    let minted = mint::token_for(&s, &ident, resource, Twist::None, None);
    let expires_in = (minted.expires_on - now).max(0);
    entra_success(&minted.token, expires_in)
}

pub(super) fn fmt_time(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0))
        .map(|t| t.format("%m/%d/%Y %H:%M:%S").to_string())
        .unwrap_or_else(|| "0".into())
}

/// What a pod of the demo cluster has in its environment: with a pod layout, also where its
/// `/` is (TOKSCOPE_POD_ROOT) and the Kubernetes service variable every pod has.
pub fn exports(s: &Shared) -> Vec<(&'static str, String)> {
    let layout = s.config.pod_layout;
    let mut v = Vec::new();
    if layout != Some(PodLayout::Unmutated) {
        v.extend([
            ("AZURE_CLIENT_ID", s.workload_client_id()),
            ("AZURE_TENANT_ID", s.tenant_id().to_string()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                s.cluster.token_file().display().to_string(),
            ),
            ("AZURE_AUTHORITY_HOST", s.authority()),
        ]);
    }
    if let Some(root) = &s.cluster.root {
        v.push(("KUBERNETES_SERVICE_HOST", "10.0.0.1".to_string()));
        v.push(("TOKSCOPE_POD_ROOT", root.display().to_string()));
        if layout == Some(PodLayout::Binding) {
            v.push(("AZURE_KUBERNETES_TOKEN_PROXY", format!("{}/", s.base_url())));
            v.push(("AZURE_KUBERNETES_SNI_NAME", BINDING_SNI.to_string()));
            v.push((
                "AZURE_KUBERNETES_CA_FILE",
                root.join(BINDING_CA).display().to_string(),
            ));
        }
    }
    v
}

/// The rest of the pod's files: the default service-account token every pod with automount
/// has, and, for an identity binding, the proxy's CA (the emulator's own, or a placeholder
/// certificate file when it serves plain HTTP).
pub fn write_pod_files(s: &Shared, token: &str, ca_pem: Option<&str>) -> std::io::Result<()> {
    let Some(root) = &s.cluster.root else {
        return Ok(());
    };
    let refused = |e: files::WriteError| std::io::Error::other(e.to_string());
    let write = |rel: &str, bytes: &[u8]| {
        let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let dir = private_path(root, folder)?;
        files::create_new(&dir.join(name), bytes, files::Access::Private).map_err(refused)
    };
    write(DEFAULT_SA_TOKEN, token.as_bytes())?;
    if s.config.pod_layout == Some(PodLayout::Binding) {
        write(BINDING_CA, ca_pem.unwrap_or_default().as_bytes())?;
    }
    Ok(())
}
