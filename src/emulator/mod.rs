//! A faithful imitation of every managed-identity endpoint on one port, minting real RS256 tokens.

pub mod admin;
pub mod arc_keys;
pub mod arm;
pub mod cache;
pub mod clock;
pub mod dataplane;
pub mod discovery;
pub mod faults;
pub mod federated;
pub mod fic_app;
pub mod guard;
pub mod keys;
pub mod mint;
pub mod rbac;
pub mod serve;
pub mod tls;
pub mod tokens;
pub mod workload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::{any, get, post};
use axum::Router;

use crate::assets::{demo_tenant, Tenant};
use crate::error::{Error, ErrorKind, Result};
use crate::flavour::{Demo, Flavour, Secret, UrlSource};
use arc_keys::ArcKeys;
use cache::TokenCache;
pub use faults::{Fault, FaultKind};
use keys::Keys;

/// The header that carries [`Config::admin_token`] on every `/admin/*` request.
pub const ADMIN_TOKEN_HEADER: &str = "x-tokscope-admin-token";

/// Arc challenge keys outstanding at once; the oldest goes (with its file) to make room.
pub const ARC_KEYS_MAX: usize = 64;

/// App Service's legacy 2017-09-01 endpoint, with its date forms; `/msi/token` answers the
/// same protocol as Azure ML does, which is what every current SDK expects of the pair.
pub const APPSERVICE2017_PATH: &str = "/msi2017/token";

/// IMDS's token path; the emulator also answers it in any case and with a trailing slash.
pub const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";

/// Tokens the cache holds at most.
pub const CACHE_MAX: usize = 512;

/// `--lifetime` and `--refresh-before` at most: a year.
pub const LIFETIME_MAX: i64 = 365 * 86_400;

/// `--clock-skew` at most, either way: ten years.
pub const CLOCK_SKEW_MAX: i64 = 10 * 365 * 86_400;

/// Audiences the emulator hands tokens for, as Cloud Shell's and IMDS's allow-lists do.
pub const DEFAULT_AUDIENCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
    "https://graph.microsoft.com",
    "https://vault.azure.net",
    "https://storage.azure.com",
    "https://database.windows.net",
    "https://api.loganalytics.io",
    "https://eventhubs.azure.net",
    "https://servicebus.azure.net",
    "https://help.kusto.windows.net",
    "https://cosmos.azure.com",
    "https://monitor.azure.com",
    "https://containerregistry.azure.net",
    "https://cognitiveservices.azure.com",
    "499b84ac-1321-427f-aa17-267ca6975798",
    "6dae42f8-4368-4678-94ff-3960e28e3630",
    // A managed identity's token for this audience is the assertion of an app registration
    // that takes the identity as its federated credential.
    "api://AzureADTokenExchange",
];

/// How `expires_on` is written; by default each flavour writes its own real form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiresOnFormat {
    /// A JSON number of epoch seconds (Service Fabric).
    Number,
    /// A string of epoch seconds (IMDS, Cloud Shell, App Service).
    String,
    /// `11/24/2026 1:59:18 AM +00:00` (App Service 2017 on Windows).
    Windows,
    /// `11/24/2026 01:59:18 +00:00` (App Service 2017 on Linux).
    Linux,
    /// `2026-11-24T01:59:18.0000000+00:00`.
    Iso,
    /// `11/24/2026 01:59:18 AM +00:00`, hours modulo 12 as the App Service 2017 docs' sample
    /// (`09/14/2017 00:00:00 PM +00:00`) writes them.
    Docs,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Seconds a minted token lives.
    pub lifetime: i64,
    /// A cached token is replaced only when it has less than this many seconds left.
    pub refresh_before: i64,
    pub audiences: Vec<String>,
    pub tenant: Option<String>,
    /// The value App Service and Service Fabric clients must send (IDENTITY_HEADER).
    pub identity_header: String,
    /// Where Arc challenge key files are written.
    pub arc_key_dir: PathBuf,
    /// Whether the emulator made `arc_key_dir` itself, and so removes it when it stops.
    pub arc_key_dir_owned: bool,
    /// Seconds added to the emulator's clock, to imitate a machine with a skewed clock.
    pub clock_skew: i64,
    pub expires_on_format: Option<ExpiresOnFormat>,
    pub faults: Vec<Fault>,
    /// VMs per page of the ARM VM list; the rest follows through nextLink.
    pub arm_page_size: usize,
    /// Answer every ARM call with 403 AuthorizationFailed, as for an identity without a role.
    pub arm_deny_all: bool,
    /// Faults injected into ARM answers (429, 5xx, latency …).
    pub arm_faults: Vec<Fault>,
    /// How long a role assignment made while the emulator runs takes to apply, as Azure's
    /// take minutes; `POST /admin/rbac/settle` ends the wait at once.
    pub rbac_propagation: Duration,
    /// The per-run secret `/admin/*` callers send in [`ADMIN_TOKEN_HEADER`].
    pub admin_token: String,
    /// Whether a non-loopback bind address is accepted: it serves tokens to the network.
    pub allow_remote: bool,
    /// How long an Arc challenge key stays valid (and its file on disk) unless used first.
    pub arc_key_ttl: Duration,
    /// A connection that has not sent a whole request head within this time is closed.
    pub header_read_timeout: Duration,
    /// A request whose body has not wholly arrived this long after its head fails, and its
    /// connection closes: a client dripping a body cannot hold a connection for longer.
    pub body_read_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long one connection is served: then it is closed after the answer in flight (which
    /// gets `header_read_timeout` more to be written), so a client that pipelines requests and
    /// never reads the answers cannot hold its slot for ever.
    pub connection_lifetime: Duration,
    /// Seconds the demo cluster's service-account tokens live (rotated at 80 %).
    pub sa_lifetime: i64,
    /// Ways to break the workload-identity chain.
    pub workload_faults: Vec<workload::WorkloadFault>,
    /// Where the demo pod's token file goes; a fresh temporary folder when None.
    pub sa_token_dir: Option<PathBuf>,
    /// Lay the demo pod out as the webhook does (v1.5 or v1.6 paths, an identity binding, or
    /// not mutated at all) under a folder standing for its `/`; None keeps one flat folder.
    pub pod_layout: Option<workload::PodLayout>,
    /// Serve every route over HTTPS with a certificate made at start (see [`tls`]).
    pub tls: bool,
    /// Where to write the CA certificate with `tls`; a temporary file (removed at stop) if None.
    pub ca_out: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lifetime: 86_400,
            refresh_before: 300,
            audiences: DEFAULT_AUDIENCES.iter().map(|s| s.to_string()).collect(),
            tenant: None,
            identity_header: mint::random_hex(16),
            arc_key_dir: std::env::temp_dir().join(format!(
                "tokscope-arc-{}-{}",
                std::process::id(),
                mint::random_hex(4)
            )),
            arc_key_dir_owned: true,
            clock_skew: 0,
            expires_on_format: None,
            faults: Vec::new(),
            arm_page_size: 10,
            arm_deny_all: false,
            arm_faults: Vec::new(),
            rbac_propagation: Duration::from_secs(5),
            admin_token: mint::random_hex(16),
            allow_remote: false,
            arc_key_ttl: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(15),
            body_read_timeout: Duration::from_secs(15),
            max_connections: 256,
            connection_lifetime: Duration::from_secs(60),
            sa_lifetime: 3600,
            workload_faults: Vec::new(),
            sa_token_dir: None,
            pod_layout: None,
            tls: false,
            ca_out: None,
        }
    }
}

/// A minted token, kept so that repeated requests get the same one, as real endpoints cache.
#[derive(Debug, Clone)]
pub struct Cached {
    pub token: String,
    pub not_before: i64,
    pub expires_on: i64,
}

pub struct Shared {
    pub config: Config,
    pub tenant: Tenant,
    pub keys: Arc<Keys>,
    pub cache: Mutex<TokenCache>,
    pub faults: Mutex<Vec<Fault>>,
    pub arc_keys: Mutex<ArcKeys>,
    /// The address the emulator listens on, for the Host and Origin checks.
    pub bound: SocketAddr,
    pub requests: std::sync::atomic::AtomicU64,
    pub arm_faults: Mutex<Vec<Fault>>,
    /// ARM requests answered, faults and errors included.
    pub arm_requests: std::sync::atomic::AtomicU64,
    /// The demo pod's token folder.
    pub cluster: workload::Cluster,
    /// Role definitions, assignments and deny assignments, enforced on every ARM and data-plane
    /// request.
    pub rbac: rbac::Model,
    /// The user-assigned identities' federated credentials, as ARM holds them.
    pub federated: federated::Store,
}

impl Shared {
    /// Where clients reach the emulator, e.g. `http://127.0.0.1:50342` (`https://` with `tls`).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.bound)
    }

    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.config.clock_skew
    }

    pub fn tenant_id(&self) -> &str {
        self.config
            .tenant
            .as_deref()
            .unwrap_or(&self.tenant.tenant_id)
    }

    /// The scheme every request comes in on: one listener, HTTP or HTTPS.
    pub fn scheme(&self) -> &'static str {
        if self.config.tls {
            "https"
        } else {
            "http"
        }
    }

    pub fn issuer(&self) -> String {
        format!("https://sts.windows.net/{}/", self.tenant_id())
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(IMDS_TOKEN_PATH, get(tokens::imds))
        .route("/metadata/identity/info", get(tokens::identity_info))
        .route(
            "/metadata/identity/getplatformmetadata",
            get(tokens::platform_metadata),
        )
        .route("/arc/metadata/identity/oauth2/token", get(tokens::arc))
        .route("/oauth2/token", post(tokens::cloudshell))
        .route("/msi/token", get(tokens::appservice))
        .route(APPSERVICE2017_PATH, get(tokens::appservice2017))
        .route("/sf/token", get(tokens::servicefabric))
        .route("/metadata/instance", get(discovery::instance))
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(discovery::openid),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(workload::entra_openid),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(workload::entra_token))
        .route(
            "/cluster/.well-known/openid-configuration",
            get(workload::cluster_openid),
        )
        .route("/cluster/openid/v1/jwks", get(workload::cluster_jwks))
        .route("/{tenant}/discovery/keys", get(discovery::jwks))
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::jwks))
        .route("/metadata/endpoints", get(arm::metadata_endpoints))
        .route("/subscriptions", get(arm::subscriptions))
        .route(
            "/subscriptions/{*rest}",
            axum::routing::any(federated::subscriptions_rest),
        )
        .route("/vault/{name}/{*rest}", any(dataplane::vault))
        .route("/blob/{name}/{*rest}", any(dataplane::blob))
        .route("/admin/rbac", get(admin::get_rbac))
        .route("/admin/rbac/settle", post(admin::settle_rbac))
        .route(
            "/admin/faults",
            get(admin::get_faults)
                .post(admin::set_faults)
                .delete(admin::clear_faults),
        )
        .fallback(tokens::fallback)
        .with_state(shared.clone())
        .layer(axum::middleware::map_response_with_state(
            shared.clone(),
            clock::stamp_date,
        ))
        // Outermost, so that no route, nor a 404, answers a rebound name.
        .layer(axum::middleware::from_fn_with_state(
            shared,
            guard::host_check,
        ))
}

/// A running emulator. Dropping it stops the server.
pub struct Running {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    /// The CA file and server thumbprint when serving HTTPS.
    https: Option<Https>,
    task: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    rotator: tokio::task::JoinHandle<()>,
    connections: Arc<serve::Counter>,
}

/// What clients need to trust an HTTPS emulator.
struct Https {
    ca_file: tls::CaFile,
    ca_pem: String,
    server_thumbprint: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        self.sweeper.abort();
        self.rotator.abort();
        if self.shared.cluster.owned {
            crate::files::remove_tree(&self.shared.cluster.base);
        }
        match self.shared.arc_keys.lock() {
            Ok(mut k) => k.clear(),
            Err(p) => p.into_inner().clear(),
        }
        // The folder exists only once an Arc client was challenged; nothing to do otherwise.
        if self.shared.config.arc_key_dir_owned {
            crate::files::remove_tree(&self.shared.config.arc_key_dir);
        }
    }
}

impl Running {
    /// The secret `/admin/*` requests carry in [`ADMIN_TOKEN_HEADER`].
    pub fn admin_token(&self) -> &str {
        &self.shared.config.admin_token
    }

    /// Connections being served right now.
    pub fn open_connections(&self) -> usize {
        self.connections.open()
    }

    /// `http://ADDR`, or `https://ADDR` when serving TLS.
    pub fn base_url(&self) -> String {
        let scheme = if self.https.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The CA certificate file clients must trust, when serving HTTPS.
    pub fn ca_pem_path(&self) -> Option<&std::path::Path> {
        self.https.as_ref().map(|h| h.ca_file.path.as_path())
    }

    /// The CA certificate itself (PEM), when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.https.as_ref().map(|h| h.ca_pem.as_str())
    }

    /// SHA-1 of the server certificate (IDENTITY_SERVER_THUMBPRINT), when serving HTTPS.
    pub fn server_thumbprint(&self) -> Option<&str> {
        self.https.as_ref().map(|h| h.server_thumbprint.as_str())
    }

    /// The env exports that point each kind of client at this emulator.
    pub fn exports(&self) -> String {
        let mut out = String::new();
        if let Some(ca) = self.ca_pem_path() {
            let ca = ca.display();
            out.push_str(&format!(
                "# Trust the emulator's CA (Python requests: azure-identity, MSAL, az; node; curl; tokscope):\n\
                 export REQUESTS_CA_BUNDLE={ca} NODE_EXTRA_CA_CERTS={ca} CURL_CA_BUNDLE={ca}\n"
            ));
        }
        for &flavour in Flavour::ALL {
            let spec = flavour.spec();
            let mut notes = Vec::new();
            if spec.detect.is_none() {
                notes.push(format!("tokscope --flavour {}", spec.name));
            }
            if spec.secret == Secret::ChallengeKey {
                notes.push(format!("key files in {}; tokscope needs --arc-key-dir with that folder, real clients accept only the agent's", self.shared.config.arc_key_dir.display()));
            }
            if spec.thumbprint_var.is_some() {
                notes.push(match self.https {
                    Some(_) => "the thumbprint is the server certificate's SHA-1".into(),
                    None => "plain HTTP here, so loopback only; --tls for HTTPS".into(),
                });
            }
            let vars = match spec.demo {
                Demo::Path(path) => spec
                    .env_vars()
                    .into_iter()
                    .map(|var| (var, self.export_value(flavour, var, path)))
                    .collect(),
                Demo::Pod => {
                    notes.push(format!(
                        "a pod; cluster issuer {}, token file rotated at 80 % of {} s",
                        self.shared.cluster_issuer(),
                        self.shared.config.sa_lifetime
                    ));
                    if self.https.is_none() {
                        notes.push("the SDKs reach Entra over https only: add --tls".into());
                    }
                    self.pod_exports()
                }
                // Not served here: shown through another flavour.
                Demo::As(_) => continue,
            };
            let mut comment = format!("# {}", spec.describe);
            if !notes.is_empty() {
                comment = format!("{comment} — {}", notes.join("; "));
            }
            let line: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("{comment}:\nexport {}\n", line.join(" ")));
        }
        out
    }

    /// The value of one of a flavour's variables on this emulator.
    fn export_value(&self, flavour: Flavour, var: &str, path: &str) -> String {
        let spec = flavour.spec();
        let base = self.base_url();
        if matches!(spec.url, UrlSource::Var { var: v, .. } if v == var) {
            format!("{base}{path}")
        } else if flavour.secret_var() == Some(var) {
            self.shared.config.identity_header.clone()
        } else if spec.thumbprint_var == Some(var) {
            self.server_thumbprint().unwrap_or("0000").to_string()
        } else if spec.selectors.system_client_id_var == Some(var) {
            self.shared.tenant.system_identity.client_id.clone()
        } else {
            // The IMDS host (AZURE_POD_IDENTITY_AUTHORITY_HOST, Arc's IMDS_ENDPOINT).
            base
        }
    }

    /// What a pod of the demo cluster has in its environment, with the CA its SDKs must trust
    /// when the emulator serves HTTPS.
    pub fn pod_exports(&self) -> Vec<(&'static str, String)> {
        let mut v = workload::exports(&self.shared);
        if let Some(ca) = self.ca_pem_path() {
            let ca = ca.display().to_string();
            v.push(("REQUESTS_CA_BUNDLE", ca.clone()));
            v.push(("NODE_EXTRA_CA_CERTS", ca));
        }
        v
    }
}

impl Config {
    /// Why this configuration cannot run, if it cannot: values whose arithmetic would overflow.
    pub fn check(&self) -> std::result::Result<(), String> {
        let within = |name: &str, v: i64, lo: i64, hi: i64| {
            (lo..=hi)
                .contains(&v)
                .then_some(())
                .ok_or_else(|| format!("{name} {v} is not between {lo} and {hi} seconds"))
        };
        within("lifetime", self.lifetime, 1, LIFETIME_MAX)?;
        within("refresh-before", self.refresh_before, 0, LIFETIME_MAX)?;
        within(
            "clock-skew",
            self.clock_skew,
            -CLOCK_SKEW_MAX,
            CLOCK_SKEW_MAX,
        )?;
        within("sa-lifetime", self.sa_lifetime, 10, 2 * 86_400)?;
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// Bind and serve in the background.
pub async fn start(config: Config, bind: SocketAddr) -> Result<Running> {
    config
        .check()
        .map_err(|e| Error::config(e, "see tokscope emulate --help for the bounds"))?;
    guard::check_bind(bind, config.allow_remote).map_err(|e| {
        Error::config(
            e,
            "bind to 127.0.0.1 or ::1, or pass --allow-remote if exposing it is what you want",
        )
    })?;
    let keys = Keys::shared().map_err(|e| Error::new(ErrorKind::Io, e, "report this as a bug"))?;
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot listen on {bind}: {e}"),
            "choose another --port (0 picks a free one), or stop what uses it",
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string(), "try again"))?;
    let limits = serve::Limits {
        header_read_timeout: config.header_read_timeout,
        body_read_timeout: config.body_read_timeout,
        max_connections: config.max_connections,
        connection_lifetime: config.connection_lifetime,
    };
    // A new private folder (never one planted under a guessed name). Until `Running` exists
    // to remove it at stop, the folder removes itself should the start fail (a refused
    // --ca-out), so a failed start leaves nothing behind either.
    let (sa_dir, sa_folder) = match &config.sa_token_dir {
        Some(d) => (d.clone(), None),
        None => {
            let folder = crate::files::TempFolder::new("tokscope-wi").map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot make a private folder for the demo pod's token: {e}"),
                    "check that the temporary folder is writable",
                )
            })?;
            (folder.path().to_path_buf(), Some(folder))
        }
    };
    let sa_owned = sa_folder.is_some();
    let tenant = demo_tenant();
    let shared = Arc::new(Shared {
        cluster: workload::Cluster::lay_out(sa_dir, sa_owned, config.pod_layout).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot lay out the demo pod's folders: {e}"),
                "check that the temporary folder is writable",
            )
        })?,
        faults: Mutex::new(config.faults.clone()),
        arm_faults: Mutex::new(config.arm_faults.clone()),
        arm_requests: Default::default(),
        config,
        rbac: rbac::Model::new(&tenant),
        tenant,
        keys,
        cache: Mutex::new(TokenCache::default()),
        arc_keys: Mutex::new(ArcKeys::default()),
        bound: addr,
        requests: Default::default(),
        federated: federated::Store::default(),
    });
    shared.federated.seed(&shared);
    let first = workload::mint_service_account_token(&shared);
    let written = workload::first_written(&shared);
    workload::publish_dated(&shared.cluster.dir, &first, 0, written).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "cannot write the demo pod's token into {}: {e}",
                shared.cluster.dir.display()
            ),
            "check that the temporary folder is writable",
        )
    })?;
    let connections = Arc::new(serve::Counter::default());
    let https = if shared.config.tls {
        let certs = tls::Certificates::generate(shared.now())?;
        let ca_file = tls::CaFile::write(&certs.ca_pem, shared.config.ca_out.as_deref())?;
        Some((
            certs.acceptor()?,
            Https {
                ca_file,
                ca_pem: certs.ca_pem,
                server_thumbprint: certs.server_thumbprint,
            },
        ))
    } else {
        None
    };
    let (acceptor, https) = https.map_or((None, None), |(a, h)| (Some(a), Some(h)));
    workload::write_pod_files(&shared, &first, https.as_ref().map(|h| h.ca_pem.as_str())).map_err(
        |e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot write the demo pod's files: {e}"),
                "check that the temporary folder is writable",
            )
        },
    )?;
    let task = tokio::spawn(serve::serve(
        listener,
        router(shared.clone()),
        limits,
        connections.clone(),
        acceptor,
    ));
    let sweeper = tokio::spawn(sweep_arc_keys(shared.clone()));
    let rotator = tokio::spawn(workload::rotate(shared.clone()));
    // From here `Running` removes the folder when it stops.
    let _ = sa_folder.map(crate::files::TempFolder::into_path);
    Ok(Running {
        addr,
        shared,
        https,
        task,
        sweeper,
        rotator,
        connections,
    })
}

/// Deletes expired Arc key files even when no further Arc request comes to do it.
async fn sweep_arc_keys(shared: Arc<Shared>) {
    let ttl = shared.config.arc_key_ttl;
    let mut tick = tokio::time::interval((ttl / 4).max(Duration::from_millis(50)));
    loop {
        tick.tick().await;
        match shared.arc_keys.lock() {
            Ok(mut k) => k.expire(ttl),
            Err(p) => p.into_inner().expire(ttl),
        }
    }
}
