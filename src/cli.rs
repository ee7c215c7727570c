//! The command line (clap derive). Endpoint options are shared by every command that fetches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::emulator::ExpiresOnFormat;
use crate::endpoint::Flavour;

pub const DEFAULT_RESOURCE: &str = "https://management.azure.com/";

/// `--version`: the package version and the commit it was built from (see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("TOKSCOPE_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "tokscope",
    version = VERSION,
    about = "Inspect Azure managed-identity access tokens: fetch, decode, count down, watch and use them",
    long_about = "Without a command, tokscope opens its terminal UI on the endpoint this machine has.\n\
                  With --demo it starts its own emulator and ignores the machine's environment.",
    after_help = "Examples:\n  \
                  tokscope --demo        the terminal UI on the built-in emulator\n  \
                  tokscope get           a token for ARM from this machine's endpoint\n  \
                  tokscope doctor        what stands between this machine and a token"
)]
pub struct Cli {
    /// Run against the built-in emulator on a random loopback port, ignoring the environment.
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Resource (audience) to ask a token for.
    #[arg(long, short, global = true, default_value = DEFAULT_RESOURCE)]
    pub resource: String,

    /// Which cloud's ARM the terminal UI's ARM tab calls.
    #[arg(long, value_enum, default_value_t = crate::arm::Cloud::Public)]
    pub cloud: crate::arm::Cloud,

    /// ARM base URL for the terminal UI's ARM tab instead of the cloud's (plain http only to loopback).
    #[arg(long, value_name = "URL")]
    pub arm_url: Option<String>,

    /// When to colour output: auto colours a terminal unless NO_COLOR is set; always overrides
    /// NO_COLOR, even into a pipe.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = crate::color::ColorChoice::Auto)]
    pub color: crate::color::ColorChoice,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The command line of this process, or clap's own exit (help, version, a usage error).
///
/// `Cli::parse()` would drop the command definition afterwards: several hundred allocations
/// (every global option is copied into every command), freed one by one, which took longer than
/// decoding a token. The definition is left to the end of the process instead.
pub fn parse() -> Cli {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut matches = command
        .try_get_matches_from_mut(std::env::args_os())
        .unwrap_or_else(|e| e.exit());
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
        .unwrap_or_else(|e| e.format(&mut command).exit());
    std::mem::forget(command);
    cli
}

/// The options of every command that fetches a token, grouped under their own heading, so
/// that `emulate --help` (which fetches nothing) shows its own options first and apart.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Endpoint options (for commands that fetch a token)")]
pub struct EndpointArgs {
    /// Token endpoint URL; for IMDS the host (e.g. http://127.0.0.1:50342), like AZURE_POD_IDENTITY_AUTHORITY_HOST.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Endpoint flavour, instead of detecting it from the environment.
    #[arg(long, global = true, value_enum)]
    pub flavour: Option<Flavour>,

    /// User-assigned identity, by client (application) id.
    #[arg(long, global = true, conflicts_with_all = ["object_id", "resource_id"])]
    pub client_id: Option<String>,

    /// User-assigned identity, by object (principal) id.
    #[arg(long, global = true, conflicts_with = "resource_id")]
    pub object_id: Option<String>,

    /// User-assigned identity, by ARM resource id.
    #[arg(long, global = true)]
    pub resource_id: Option<String>,

    /// Workload identity: the service-account token file (else AZURE_FEDERATED_TOKEN_FILE).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Workload identity: the tenant to ask Entra in (else AZURE_TENANT_ID).
    #[arg(long, global = true, value_name = "TENANT")]
    pub tenant_id: Option<String>,

    /// Workload identity: Entra's host (else AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com/).
    #[arg(long, global = true, value_name = "URL")]
    pub authority_host: Option<String>,

    /// Header secret for App Service / Service Fabric when IDENTITY_HEADER or MSI_SECRET is not set.
    /// A command line is visible to every user of the machine (`ps`): prefer --secret-file or
    /// the environment variable.
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        conflicts_with = "secret_file"
    )]
    pub secret: Option<String>,

    /// Read the header secret from this file (surrounding whitespace dropped), so it never sits
    /// on the command line where `ps` shows it to every user.
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_file: Option<std::path::PathBuf>,

    /// Longest total time spent retrying (404/410/429/5xx), in seconds; 0 disables retries.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 75)]
    pub retry_max: u64,

    /// Time allowed for each request, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 15)]
    pub timeout: u64,

    /// Also trust the certificate authorities in this PEM file (e.g. `tokscope emulate --tls`'s CA)
    /// [default: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or NODE_EXTRA_CA_CERTS, the first set].
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Folder Azure Arc's agent writes its challenge key files to: tokscope reads the key a
    /// 401 names only from here, never through a link [default: /var/opt/azcmagent/tokens; an
    /// emulator's folder, as `tokscope emulate` prints it, when testing against one].
    #[arg(long, global = true, value_name = "DIR")]
    pub arc_key_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch a token and show what it says.
    #[command(after_help = "Examples:\n  \
        tokscope get\n  \
        tokscope get --resource https://vault.azure.net --json | jq .token.expires_on")]
    Get(GetArgs),
    /// Decode a token given as an argument or on stdin.
    #[command(after_help = "Example:\n  \
        az account get-access-token --query accessToken -o tsv | tokscope decode")]
    Decode(DecodeArgs),
    /// Run the endpoint emulator, printing the env exports that point clients at it.
    ///
    /// It also prints this run's admin token: /admin/faults takes it in the
    /// x-tokscope-admin-token header, from loopback only.
    #[command(
        after_help = "Example (then paste the export lines it prints into another shell):\n  \
        tokscope emulate --port 8080 --fault 429:count=2:retry-after=1"
    )]
    Emulate(Box<EmulateArgs>),
    /// Check this machine step by step: environment, proxy, endpoint, token, clock, signature.
    /// Exits 0 when all pass, 1 with warnings, 2 with failures.
    #[command(after_help = "Examples:\n  \
        tokscope doctor\n  \
        tokscope doctor --arm --json > \"$(hostname).json\"\n  \
        tokscope doctor --summarize results/*.json")]
    Doctor(DoctorArgs),
    /// Write a support report (the doctor's findings, the decoded token, the system),
    /// safe to paste into a ticket: the token itself is never in it.
    #[command(after_help = "Example:\n  \
        tokscope report -o ticket.md")]
    Report(ReportArgs),
    /// List the subscription's VMs through ARM with the token: shows what the identity may read.
    #[command(after_help = "Example:\n  \
        tokscope vms -g my-resource-group --power-state")]
    Vms(VmsArgs),
    /// Explain why a call with this identity's token is refused (or that it is not): the action
    /// it needs, what the identity's roles grant at that scope, the service's refusal, one
    /// verdict and the fix. Exits 0 when allowed, 2 when refused.
    #[command(after_help = "Examples:\n  \
        tokscope why                                   the VM list the UI's ARM tab calls\n  \
        tokscope why /subscriptions/<id>/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1 --method DELETE\n  \
        tokscope why https://myvault.vault.azure.net/secrets/db-password --json")]
    Why(WhyArgs),
    /// Poll the endpoint and print one event per poll (fetched, unchanged, refreshed, error).
    #[command(after_help = "Example (a minute, every 5 seconds):\n  \
        tokscope watch --interval 5s --count 12")]
    Watch(WatchArgs),
    /// What each SDK would do here: this environment run through the detection order of
    /// azure-identity (Python, JS, .NET, Go, Java), MSAL (.NET, Python, Go, JS) and the Azure
    /// CLI: the source each picks, the selector it sends or refuses, DefaultAzureCredential's
    /// IMDS probe. Reads the environment only; sends nothing.
    #[command(after_help = "Example:\n  \
        tokscope sources --json")]
    Sources(SourcesArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        tokscope completions bash > /etc/bash_completion.d/tokscope\n  \
        tokscope completions zsh > \"${fpath[1]}/_tokscope\"\n  \
        tokscope completions fish > ~/.config/fish/completions/tokscope.fish\n  \
        tokscope completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SourcesArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What the doctor checks beyond the defaults.
#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    /// Also check that ARM accepts the token and permits listing VMs.
    #[arg(long)]
    pub arm: bool,
    /// Issuer host, or OpenID configuration URL, whose keys check the token's signature
    /// [default: https://login.microsoftonline.com; with --demo the emulator].
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// Which cloud's ARM --arm calls.
    #[arg(long, value_enum, default_value_t = crate::arm::Cloud::Public)]
    pub cloud: crate::arm::Cloud,
    /// ARM base URL for --arm and --arm-token-file instead of the cloud's (plain http only to
    /// loopback, e.g. an emulator) [with --demo: the emulator].
    #[arg(long, value_name = "URL")]
    pub arm_url: Option<String>,
    /// Workload identity: an ARM access token (a file holding only the token) that may read the
    /// identity's federated credentials, compared field by field with the pod's token.
    #[arg(long, value_name = "FILE")]
    pub arm_token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub diagnose: DiagnoseArgs,
    /// Print JSON for scripts (a versioned contract: see "schema").
    #[arg(long)]
    pub json: bool,
    /// Check nothing here: read many machines' `doctor --json` results (files of one document
    /// or NDJSON; `-` for stdin) and print one table of machine × check with the problems' hints.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["arm", "authority"])]
    pub summarize: Vec<PathBuf>,
}

/// `Default` is `tokscope vms` with no flags, as the TUI's ARM tab runs it.
#[derive(Debug, Default, Args)]
pub struct VmsArgs {
    /// Subscription id; found from instance metadata, the token or ARM when not given.
    #[arg(long)]
    pub subscription: Option<String>,
    /// List only this resource group.
    #[arg(long, short = 'g')]
    pub resource_group: Option<String>,
    /// Which cloud's ARM to call.
    #[arg(long, value_enum, default_value_t = crate::arm::Cloud::Public)]
    pub cloud: crate::arm::Cloud,
    /// ARM base URL instead of the cloud's (plain http only to loopback, e.g. an emulator).
    #[arg(long, value_name = "URL")]
    pub arm_url: Option<String>,
    /// Also ask each VM's instance view for its power state (one request per VM).
    #[arg(long)]
    pub power_state: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Args)]
pub struct WhyArgs {
    /// An ARM URL, path or scope, a Key Vault, Blob Storage or Graph URL [default: the
    /// subscription's VM list].
    pub target: Option<String>,
    /// The request's method. Only GET and HEAD are sent; others are judged from the
    /// permissions alone, as sending them would change things.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// The ARM scope to check at, when the target does not name it (e.g. a storage account's id).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Subscription id; found from instance metadata, the token or ARM when not given.
    #[arg(long)]
    pub subscription: Option<String>,
    /// Which cloud's ARM to ask.
    #[arg(long, value_enum, default_value_t = crate::arm::Cloud::Public)]
    pub cloud: crate::arm::Cloud,
    /// ARM base URL instead of the cloud's (plain http only to loopback, e.g. an emulator).
    #[arg(long, value_name = "URL")]
    pub arm_url: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub diagnose: DiagnoseArgs,
    #[arg(long, value_enum, default_value = "md")]
    pub format: crate::report::Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Time between polls: 30s, 1s, 500ms, 2m. 0ms polls back to back, for a loopback endpoint
    /// only (a soak test against `tokscope emulate`).
    #[arg(long, default_value = "30s", value_parser = crate::duration::parse_interval)]
    pub interval: std::time::Duration,
    /// Stop after this many polls (default: until Ctrl-C).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// One JSON object per line (NDJSON), then a final {"summary":{…}} line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
    /// Print the raw access token too. It is a secret: mind your screen and your logs.
    #[arg(long)]
    pub show_token: bool,
    /// Exit 0 even when the verdict is FAIL (expired, another audience, unsigned): by default
    /// such a token exits 2, so `tokscope get && call-api` stops. Warnings never change the code.
    #[arg(long)]
    pub allow_unusable: bool,
    /// Ask the endpoint to replace the token it holds (xms_cc=cp1 and token_sha256_to_refresh,
    /// where it supports revocation: Service Fabric, App Service 2025-03-30), and show whether
    /// a new token came back. Elsewhere says what helps instead, sending nothing.
    #[arg(long)]
    pub refresh: bool,
    /// Workload identity: an ARM access token (a file holding only the token) that may read the
    /// identity's federated credentials, to compare them with the pod's token when Entra finds
    /// no match, e.g. `az account get-access-token --query accessToken -o tsv > arm.jwt`.
    #[arg(long, value_name = "FILE")]
    pub arm_token_file: Option<PathBuf>,
    /// ARM base URL for --arm-token-file instead of the cloud's (plain http only to loopback).
    #[arg(long, value_name = "URL", requires = "arm_token_file")]
    pub arm_url: Option<String>,
    /// Which cloud's ARM --arm-token-file reads.
    #[arg(long, value_enum, default_value_t = crate::arm::Cloud::Public)]
    pub cloud: crate::arm::Cloud,
    /// Use the managed identity as an app registration's federated credential: fetch its token
    /// for api://AzureADTokenExchange, show the credential the app needs, and exchange the
    /// token at the app's tenant (Entra's host: --authority-host, else AZURE_AUTHORITY_HOST).
    #[arg(long, requires_all = ["app_client_id", "app_tenant_id"])]
    pub as_fic: bool,
    /// With --as-fic: the app registration's client (application) id.
    #[arg(long, value_name = "ID", requires = "as_fic")]
    pub app_client_id: Option<String>,
    /// With --as-fic: the app registration's home tenant.
    #[arg(long, value_name = "TENANT", requires = "as_fic")]
    pub app_tenant_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token, or `-` (or nothing) to read it from stdin.
    pub token: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// The audience the token must be for (a resource URI or app id): another one is a FAIL.
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// Exit 0 even when the verdict is FAIL (expired, unsigned, another audience): by default
    /// such a token exits 2. Warnings never change the code.
    #[arg(long)]
    pub allow_unusable: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EmulateArgs {
    #[arg(long, default_value_t = 50342)]
    pub port: u16,
    /// Address to listen on. Anything but loopback needs --allow-remote.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Accept a --bind beyond loopback: anyone who can reach it can mint tokens, and clients'
    /// tokens and secrets cross the network in plain HTTP. /admin stays loopback-only.
    #[arg(long)]
    pub allow_remote: bool,
    /// Seconds a minted token lives (1 to a year).
    #[arg(long, value_name = "SECS", default_value_t = 86_400, value_parser = lifetime_secs)]
    pub lifetime: i64,
    /// Seconds before expiry at which the cache hands out a new token (0 to a year).
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = refresh_secs)]
    pub refresh_before: i64,
    /// Comma-separated allow-list of audiences (replaces the default list).
    #[arg(long, value_delimiter = ',')]
    pub audiences: Option<Vec<String>>,
    /// Tenant id in the tokens.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The IDENTITY_HEADER / MSI_SECRET value clients must send (random by default).
    #[arg(long)]
    pub identity_header: Option<String>,
    /// Where Arc challenge key files go.
    #[arg(long)]
    pub arc_key_dir: Option<PathBuf>,
    /// Seconds to add to the emulator's clock (negative for behind; at most ten years).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = skew_secs
    )]
    pub clock_skew: i64,
    /// Write expires_on in this form for every flavour.
    #[arg(long, value_enum)]
    pub expires_on_format: Option<ExpiresOnFormat>,
    /// Break the workload-identity chain (repeatable); each is answered by Entra's own code.
    #[arg(long = "workload-fault", value_enum, value_name = "FAULT")]
    pub workload_faults: Vec<crate::emulator::workload::WorkloadFault>,
    /// Seconds the demo cluster's service-account tokens live; the file is rewritten at 80 %.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub sa_lifetime: i64,
    /// Folder for the demo pod's token file (a private temporary one by default): made 0700 if
    /// missing; an existing one must be yours and writable by you alone.
    #[arg(long, value_name = "DIR")]
    pub sa_token_dir: Option<PathBuf>,
    /// Lay the demo pod out as the webhook does, under a folder standing for its `/`
    /// (exported as TOKSCOPE_POD_ROOT, which tokscope's pod checks read instead of `/`).
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub pod_layout: Option<crate::emulator::workload::PodLayout>,
    /// Inject a fault: STATUS or latency=500ms|hang|reset|truncated|html|empty|expired|nearly-expired|wrong-aud|unsigned|no-metadata,
    /// then optional :count=N, :share=P, :retry-after=S. Repeatable.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// VMs per page of the emulated ARM VM list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub arm_page_size: usize,
    /// Answer every ARM call with 403 AuthorizationFailed.
    #[arg(long)]
    pub arm_deny: bool,
    /// How long a role assignment made while it runs (`az role assignment create`) takes to
    /// apply: 30s, 2m, 0s. POST /admin/rbac/settle applies every pending one at once.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::duration::parse_duration)]
    pub rbac_propagation: std::time::Duration,
    /// Inject a fault into ARM answers, same syntax as --fault (e.g. 429:count=2:retry-after=1). Repeatable.
    #[arg(long = "arm-fault", value_name = "SPEC")]
    pub arm_faults: Vec<String>,
    /// Serve every route over HTTPS, with a CA and certificate made at start for
    /// localhost, 127.0.0.1 and ::1; the exports say how each client trusts the CA.
    #[arg(long)]
    pub tls: bool,
    /// Where --tls writes the CA certificate (PEM): a new file, or one of yours nobody else can
    /// write (never through a link) [default: in a private temporary folder, removed at exit].
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca_out: Option<PathBuf>,
}

/// Whole seconds between `lo` and `hi`, so that the emulator's clock arithmetic cannot overflow.
fn secs_between(s: &str, lo: i64, hi: i64) -> Result<i64, String> {
    let v: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not whole seconds"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between {lo} and {hi} seconds"))
    }
}

fn lifetime_secs(s: &str) -> Result<i64, String> {
    secs_between(s, 1, crate::emulator::LIFETIME_MAX)
}

fn refresh_secs(s: &str) -> Result<i64, String> {
    secs_between(s, 0, crate::emulator::LIFETIME_MAX)
}

fn skew_secs(s: &str) -> Result<i64, String> {
    secs_between(
        s,
        -crate::emulator::CLOCK_SKEW_MAX,
        crate::emulator::CLOCK_SKEW_MAX,
    )
}

/// The command line's names and help for core enums. They live here, not on the types, so that
/// the core needs no clap; every variant must be listed (the match has no wildcard), so a new
/// one cannot reach the command line without a name.
macro_rules! value_enum {
    ($t:ty { $($v:ident => $name:literal $(: $help:literal)?),+ $(,)? }) => {
        impl clap::ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(<$t>::$v),+]
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(match self {
                    $(<$t>::$v => clap::builder::PossibleValue::new($name)$(.help($help))?),+
                })
            }
        }
    };
}

// Flavours are named by their rows in the flavour table, so a new one reaches --flavour with it.
impl clap::ValueEnum for Flavour {
    fn value_variants<'a>() -> &'a [Self] {
        Flavour::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

value_enum!(crate::arm::Cloud {
    Public => "public",
    Usgov => "usgov",
    China => "china",
});

value_enum!(crate::report::Format {
    Md => "md": "Markdown, for a ticket or a chat",
    Json => "json",
});

value_enum!(crate::color::ColorChoice {
    Auto => "auto": "Colour when writing to a terminal and NO_COLOR is not set",
    Always => "always": "Always colour, even into a pipe; overrides NO_COLOR",
    Never => "never": "Never colour",
});

value_enum!(ExpiresOnFormat {
    Number => "number": "A JSON number of epoch seconds (Service Fabric)",
    String => "string": "A string of epoch seconds (IMDS, Cloud Shell, App Service)",
    Windows => "windows": "`11/24/2026 1:59:18 AM +00:00` (App Service 2017 on Windows)",
    Linux => "linux": "`11/24/2026 01:59:18 +00:00` (App Service 2017 on Linux)",
    Iso => "iso": "`2026-11-24T01:59:18.0000000+00:00`",
    Docs => "docs": "`11/24/2026 01:59:18 AM +00:00`, hours modulo 12 as the App Service 2017 docs' sample (`09/14/2017 00:00:00 PM +00:00`) writes them",
});

value_enum!(crate::emulator::workload::WorkloadFault {
    WrongSubject => "wrong-subject": "The service-account name in the token differs in case from the credential's (700213)",
    IssuerSlash => "issuer-slash": "The token's issuer lacks the trailing '/' the credential has (700211)",
    ExpiredAssertion => "expired-assertion": "The file holds an expired token: kubelet stopped rotating it (700024)",
    LongLifetime => "long-lifetime": "The token lives 48 h, as the pod's default service-account token does (70023)",
    WrongAudience => "wrong-audience": "The token's audience is the API server's, not api://AzureADTokenExchange (700212)",
    UnknownClient => "unknown-client": "Entra knows no application with the pod's client id (700016)",
    IssuerUnreachable => "issuer-unreachable": "Entra cannot fetch the issuer's discovery document (90061)",
    EntraAssertion => "entra-assertion": "The file holds an Entra access token instead of a service-account token (700222)",
    BadSignature => "bad-signature": "The token's signature does not check against the issuer's keys (700027)",
    LegacyMismatch => "legacy-mismatch": "The subject mismatch answered as Entra did in 2022: code 70021, one message naming issuer, subject and audience, the trailer after CR LF",
    StaleFile => "stale-file": "The file holds a token past its rotation time, dated as old as it, and is never rewritten (700024 once it expires)",
    FicIssuerV1 => "fic-issuer-v1": "The app's federated credential names the identity's tenant by its v1 issuer (700211)",
    FicNotManaged => "fic-not-managed": "The exchange-audience token is no managed identity's (700226)",
    FicAudience => "fic-audience": "The managed identity's token is minted for ARM instead of api://AzureADTokenExchange (700227)",
    FicTenantBlocked => "fic-tenant-blocked": "The app's tenant accepts no Entra tokens from the identity's tenant (700236)",
    FicEntraRefused => "fic-entra-refused": "Entra-issued assertions are refused for the app (700222)",
});

value_enum!(crate::emulator::workload::PodLayout {
    V15 => "v1.5": "Webhook v1.5: /var/run/secrets/azure/tokens/azure-identity-token",
    V16 => "v1.6": "Webhook v1.6: /var/run/secrets/azure/wi/token/azure-identity-token",
    Binding => "binding": "v1.6 with an identity binding: the token proxy's variables, its CA file, tokens for api://AKSIdentityBinding",
    Unmutated => "unmutated": "A pod the webhook never mutated: no variables, no projected token",
});
