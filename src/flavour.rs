//! Every kind of token endpoint as one row of facts: how the environment names it, where its URL
//! comes from, what goes on the wire, which user-assigned identities it can select and by which
//! parameter, what it retries, how its secret travels and where the demo serves it.
//!
//! Detection, request building, retries, the command line, the emulator's exports and README's
//! detection table all read these rows, so a new flavour is one row here plus the quirks no row
//! can hold (its answer's oddities, its emulator handler) and its tests. The rows are written
//! once, in [`flavours!`], which also makes the enum, so neither can gain a flavour the other
//! lacks.

use serde::{Serialize, Serializer};

/// The facts of one flavour. Every field is required: a new row states each of them.
pub struct FlavourSpec {
    /// The `--flavour` value and the JSON name.
    pub name: &'static str,
    /// What it is, in a user's words.
    pub describe: &'static str,
    /// How the environment selects it; `None` for flavours only `--flavour` picks.
    pub detect: Option<Detect>,
    /// Where the endpoint URL comes from when `--endpoint` is not given.
    pub url: UrlSource,
    pub wire: Wire,
    /// Whether requests carry `Metadata: true`.
    pub metadata_header: bool,
    pub secret: Secret,
    /// The variable with the server certificate's SHA-1, which alone is trusted over HTTPS.
    pub thumbprint_var: Option<&'static str>,
    pub selectors: Selectors,
    pub retry: RetryRule,
    /// Whether the endpoint can be asked to replace a token it holds (`get --refresh`).
    pub revocation: Revocation,
    /// How `--demo` shows this flavour on the built-in emulator.
    pub demo: Demo,
}

/// The revocation protocol (MSAL's MI v1 spec): `xms_cc=cp1` and
/// `token_sha256_to_refresh=<hex SHA-256 of the old token>`, after which the endpoint bypasses
/// its cache when the hash names the token it holds.
pub enum Revocation {
    /// The endpoint understands it, on this api-version (`None`: the flavour's usual one).
    Supported { api_version: Option<&'static str> },
    /// It does not; what helps instead.
    Unsupported { instead: &'static str },
}

/// What helps where an endpoint keeps its token until near expiry and takes no revocation.
const NO_REVOCATION: &str = "only waiting helps: the endpoint keeps its token until shortly before it expires (IMDS tokens live 24 h); restarting your process clears the SDK's own cache, not the endpoint's";

/// The environment variables that select a flavour.
pub struct Detect {
    /// Lower ranks are tried first, in azure-identity's order.
    pub rank: u8,
    /// Selects the flavour when every one of them is set (and not empty).
    pub vars: &'static [&'static str],
    /// Named among the sources too when set, without being needed.
    pub also: &'static [&'static str],
    /// README's words beside the row, after the flavour's name and a dash.
    pub note: &'static str,
}

pub enum UrlSource {
    /// The one IMDS host setting (`AZURE_POD_IDENTITY_AUTHORITY_HOST`, else 169.254.169.254),
    /// with IMDS's token path.
    ImdsHost,
    /// A variable the platform sets, with a default when the platform may leave it out.
    Var {
        var: &'static str,
        default: Option<&'static str>,
    },
    /// Entra's v2 token URL for the tenant, from `AZURE_AUTHORITY_HOST`.
    Entra,
    /// Not an HTTP endpoint: the command tokscope runs.
    Command(&'static str),
}

pub enum Wire {
    /// `GET` with `api-version`, `resource` and the identity in the query.
    Query { api_version: &'static str },
    /// `POST` with `resource` and the identity as a form.
    Form,
    /// The service-account token exchanged at Entra (its own fetch).
    EntraExchange,
    /// `az account get-access-token` (its own fetch).
    AzCli,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    None,
    /// Read from `var` (or `--secret`) and sent as `header`.
    Header {
        var: &'static str,
        header: &'static str,
    },
    /// A key file the endpoint names in a 401 challenge, sent back as Basic authorization.
    ChallengeKey,
}

/// The parameter that names a user-assigned identity, by each kind of id; `None` where the
/// flavour cannot select by it.
pub struct Selectors {
    pub client_id: Option<&'static str>,
    pub object_id: Option<&'static str>,
    pub resource_id: Option<&'static str>,
    /// The variable whose client id is sent even for the system identity (Azure ML's).
    pub system_client_id_var: Option<&'static str>,
    /// The next step when the asked-for kind of id has no parameter here.
    pub otherwise: &'static str,
}

/// Which answers are retried, as the official SDKs agree for the flavour.
pub struct RetryRule {
    pub retryable: fn(u16) -> bool,
    /// Retries at most, whatever `--retry-max` allows; `None` leaves it to the time budget.
    pub max_retries: Option<u32>,
}

pub enum Demo {
    /// At this path on the emulator.
    Path(&'static str),
    /// A pod of the emulator's demo cluster, exchanging at its Entra.
    Pod,
    /// Through another flavour: the emulator has no Azure CLI.
    As(Flavour),
}

/// IMDS and Arc: 404 (not ready), 410 (updating), 429 and every 5xx; never 400, 401 or 403.
fn imds_retryable(status: u16) -> bool {
    matches!(status, 404 | 410 | 429 | 500..=599)
}

/// The SDKs' default policy for the other local endpoints and Entra.
fn sdk_retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Service Fabric's documentation retries throttling only.
fn throttling_retryable(status: u16) -> bool {
    status == 429
}

fn never_retryable(_: u16) -> bool {
    false
}

/// Retries the SDKs allow the local endpoints other than IMDS.
pub const LOCAL_ENDPOINT_RETRIES: u32 = 3;

/// Every variable a row names, and the others a diagnosis mentions: what tokscope reads of the
/// process environment. The table's test keeps it complete.
pub const IDENTITY_VARS: &[&str] = &[
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_AUTHORITY_HOST",
    "AZUREPS_HOST_ENVIRONMENT",
    "DEFAULT_IDENTITY_CLIENT_ID",
];

/// The user-assigned selector hint for flavours that take at least a client id.
const USE_CLIENT_ID: &str =
    "use --client-id, which every flavour that takes an identity understands";

/// Makes `Flavour`, `Flavour::ALL` (in the rows' order) and `Flavour::spec` from one list.
macro_rules! flavours {
    ($($(#[$doc:meta])* $variant:ident => $spec:expr;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Flavour {
            $($(#[$doc])* $variant,)+
        }

        impl Flavour {
            /// Every flavour, in the table's order.
            pub const ALL: &'static [Flavour] = &[$(Flavour::$variant),+];

            /// This flavour's row.
            pub fn spec(self) -> &'static FlavourSpec {
                match self {
                    $(Flavour::$variant => {
                        const ROW: FlavourSpec = $spec;
                        &ROW
                    })+
                }
            }
        }
    };
}

flavours! {
    /// A VM, a scale set or an AKS node.
    Imds => FlavourSpec {
        name: "imds",
        describe: "Azure Instance Metadata Service (VM, VMSS, AKS node)",
        detect: Some(Detect {
            rank: 80,
            vars: &["AZURE_POD_IDENTITY_AUTHORITY_HOST"],
            also: &[],
            note: "IMDS at that host instead of `http://169.254.169.254`; every IMDS call uses it",
        }),
        url: UrlSource::ImdsHost,
        wire: Wire::Query { api_version: "2018-02-01" },
        metadata_header: true,
        secret: Secret::None,
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("client_id"),
            object_id: Some("object_id"),
            resource_id: Some("msi_res_id"),
            system_client_id_var: None,
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: imds_retryable, max_retries: None },
        revocation: Revocation::Unsupported { instead: NO_REVOCATION },
        demo: Demo::Path("/metadata/identity/oauth2/token"),
    };
    Cloudshell => FlavourSpec {
        name: "cloudshell",
        describe: "Cloud Shell / legacy VM extension (port 50342)",
        detect: Some(Detect {
            rank: 60,
            vars: &["MSI_ENDPOINT"],
            also: &[],
            note: "Cloud Shell, and the legacy VM extension on port 50342",
        }),
        url: UrlSource::Var { var: "MSI_ENDPOINT", default: Some("http://localhost:50342/oauth2/token") },
        wire: Wire::Form,
        metadata_header: true,
        secret: Secret::None,
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("client_id"),
            object_id: None,
            resource_id: None,
            system_client_id_var: None,
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: sdk_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Unsupported { instead: "Cloud Shell hands out the signed-in user's token: sign in again (az login) or restart the Cloud Shell session for a new one" },
        demo: Demo::Path("/oauth2/token"),
    };
    Appservice => FlavourSpec {
        name: "appservice",
        describe: "App Service / Functions / Container Apps (2019-08-01)",
        detect: Some(Detect {
            rank: 20,
            vars: &["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
            also: &[],
            note: "App Service, Functions and Container Apps (API 2019-08-01)",
        }),
        url: UrlSource::Var { var: "IDENTITY_ENDPOINT", default: None },
        wire: Wire::Query { api_version: "2019-08-01" },
        metadata_header: true,
        secret: Secret::Header { var: "IDENTITY_HEADER", header: "X-IDENTITY-HEADER" },
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("client_id"),
            object_id: Some("principal_id"),
            resource_id: Some("mi_res_id"),
            system_client_id_var: None,
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: sdk_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Supported { api_version: Some("2025-03-30") },
        demo: Demo::Path("/msi/token"),
    };
    Appservice2017 => FlavourSpec {
        name: "appservice2017",
        describe: "App Service 2017-09-01 (legacy MSI_ENDPOINT + MSI_SECRET)",
        // No current SDK reads MSI_ENDPOINT + MSI_SECRET as App Service: that pair is Azure ML.
        detect: None,
        url: UrlSource::Var { var: "MSI_ENDPOINT", default: None },
        wire: Wire::Query { api_version: "2017-09-01" },
        metadata_header: false,
        secret: Secret::Header { var: "MSI_SECRET", header: "secret" },
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("clientid"),
            object_id: None,
            resource_id: None,
            system_client_id_var: None,
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: sdk_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Unsupported { instead: "the 2017-09-01 protocol has none; App Service's 2025-03-30 protocol has it: unset MSI_ENDPOINT/MSI_SECRET and use IDENTITY_ENDPOINT/IDENTITY_HEADER" },
        demo: Demo::Path("/msi2017/token"),
    };
    Azureml => FlavourSpec {
        name: "azureml",
        describe: "Azure Machine Learning (MSI_ENDPOINT + MSI_SECRET, 2017-09-01)",
        detect: Some(Detect {
            rank: 50,
            vars: &["MSI_ENDPOINT", "MSI_SECRET"],
            also: &[],
            note: "Azure Machine Learning, as every current SDK reads the pair (`clientid=$DEFAULT_IDENTITY_CLIENT_ID` for the system identity); `--flavour appservice2017` for App Service's legacy endpoint and its date forms",
        }),
        url: UrlSource::Var { var: "MSI_ENDPOINT", default: None },
        wire: Wire::Query { api_version: "2017-09-01" },
        metadata_header: true,
        secret: Secret::Header { var: "MSI_SECRET", header: "secret" },
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("clientid"),
            object_id: None,
            resource_id: None,
            // MSAL (.NET, Go, node) name even the system identity, by the id the platform sets.
            system_client_id_var: Some("DEFAULT_IDENTITY_CLIENT_ID"),
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: sdk_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Unsupported { instead: NO_REVOCATION },
        demo: Demo::Path("/msi/token"),
    };
    Arc => FlavourSpec {
        name: "arc",
        describe: "Azure Arc agent (himds)",
        detect: Some(Detect {
            rank: 30,
            vars: &["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"],
            also: &[],
            note: "the Azure Arc agent, with its key-file challenge",
        }),
        url: UrlSource::Var { var: "IDENTITY_ENDPOINT", default: None },
        wire: Wire::Query { api_version: "2020-06-01" },
        metadata_header: true,
        secret: Secret::ChallengeKey,
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("client_id"),
            object_id: Some("object_id"),
            resource_id: Some("msi_res_id"),
            system_client_id_var: None,
            otherwise: USE_CLIENT_ID,
        },
        retry: RetryRule { retryable: imds_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Unsupported { instead: NO_REVOCATION },
        demo: Demo::Path("/arc/metadata/identity/oauth2/token"),
    };
    Servicefabric => FlavourSpec {
        name: "servicefabric",
        describe: "Service Fabric",
        detect: Some(Detect {
            rank: 10,
            vars: &["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"],
            also: &[],
            note: "Service Fabric; over HTTPS only the certificate with that thumbprint is trusted",
        }),
        url: UrlSource::Var { var: "IDENTITY_ENDPOINT", default: None },
        wire: Wire::Query { api_version: "2019-07-01-preview" },
        metadata_header: false,
        secret: Secret::Header { var: "IDENTITY_HEADER", header: "Secret" },
        thumbprint_var: Some("IDENTITY_SERVER_THUMBPRINT"),
        selectors: Selectors {
            client_id: None,
            object_id: None,
            resource_id: None,
            system_client_id_var: None,
            otherwise: "Service Fabric picks the identity from the application manifest; drop the identity option",
        },
        retry: RetryRule { retryable: throttling_retryable, max_retries: Some(LOCAL_ENDPOINT_RETRIES) },
        revocation: Revocation::Supported { api_version: None },
        demo: Demo::Path("/sf/token"),
    };
    Workload => FlavourSpec {
        name: "workload",
        describe: "AKS workload identity (service-account token exchanged at Entra)",
        detect: Some(Detect {
            rank: 70,
            vars: &["AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"],
            also: &["AZURE_AUTHORITY_HOST"],
            note: "AKS workload identity: the pod's service-account token exchanged at Entra, after MSI_ENDPOINT and before IMDS as azure-identity orders them",
        }),
        url: UrlSource::Entra,
        wire: Wire::EntraExchange,
        metadata_header: false,
        secret: Secret::None,
        thumbprint_var: None,
        selectors: Selectors {
            client_id: Some("client_id"),
            object_id: None,
            resource_id: None,
            system_client_id_var: None,
            otherwise: "workload identity names its identity by client id only (AZURE_CLIENT_ID or --client-id)",
        },
        retry: RetryRule { retryable: sdk_retryable, max_retries: None },
        revocation: Revocation::Unsupported { instead: "each exchange at Entra already mints a new token; the SDK's cache is the only one to clear (restart the process)" },
        demo: Demo::Pod,
    };
    Azcli => FlavourSpec {
        name: "azcli",
        describe: "Azure CLI (az account get-access-token)",
        detect: None,
        url: UrlSource::Command("az account get-access-token"),
        wire: Wire::AzCli,
        metadata_header: false,
        secret: Secret::None,
        thumbprint_var: None,
        selectors: Selectors {
            client_id: None,
            object_id: None,
            resource_id: None,
            system_client_id_var: None,
            otherwise: "the Azure CLI uses the signed-in account; drop the identity option",
        },
        retry: RetryRule { retryable: never_retryable, max_retries: Some(0) },
        revocation: Revocation::Unsupported { instead: "the Azure CLI caches in its own token store: az account clear and az login again for a new one" },
        demo: Demo::As(Flavour::Imds),
    };
}

impl Flavour {
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn describe(self) -> &'static str {
        self.spec().describe
    }

    /// The variable holding the header secret, for flavours that send one.
    pub fn secret_var(self) -> Option<&'static str> {
        match self.spec().secret {
            Secret::Header { var, .. } => Some(var),
            Secret::None | Secret::ChallengeKey => None,
        }
    }

    /// The flavour named `name`, as `--flavour` and the JSON spell it.
    pub fn from_name(name: &str) -> Option<Flavour> {
        Flavour::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Every name, for a message listing the choices.
    pub fn names() -> String {
        Flavour::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FlavourSpec {
    /// The variables the platform sets for this flavour, the URL's first: what a client pointed
    /// at an emulator needs exported.
    pub fn env_vars(&self) -> Vec<&'static str> {
        let mut vars = Vec::new();
        if let UrlSource::Var { var, .. } = self.url {
            vars.push(var);
        }
        if let Some(d) = &self.detect {
            vars.extend(d.vars);
        }
        if let Secret::Header { var, .. } = self.secret {
            vars.push(var);
        }
        vars.extend(self.thumbprint_var);
        vars.extend(self.selectors.system_client_id_var);
        let mut seen = Vec::new();
        vars.retain(|v| {
            let new = !seen.contains(v);
            seen.push(*v);
            new
        });
        vars
    }
}

impl Serialize for Flavour {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for f in Flavour::ALL {
            assert_eq!(Flavour::from_name(f.name()), Some(*f));
            assert_eq!(
                serde_json::to_value(f).ok(),
                Some(serde_json::json!(f.name()))
            );
        }
    }

    #[test]
    fn detection_ranks_are_distinct() {
        let mut ranks: Vec<u8> = Flavour::ALL
            .iter()
            .filter_map(|f| f.spec().detect.as_ref().map(|d| d.rank))
            .collect();
        let n = ranks.len();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks.len(), n);
    }

    #[test]
    fn every_variable_a_row_names_is_read_from_the_environment() {
        for f in Flavour::ALL {
            let spec = f.spec();
            let also = spec.detect.iter().flat_map(|d| d.also.iter().copied());
            for var in spec.env_vars().into_iter().chain(also) {
                assert!(
                    IDENTITY_VARS.contains(&var),
                    "{var} ({f:?}) is missing from IDENTITY_VARS"
                );
            }
        }
    }

    #[test]
    fn a_demo_through_another_flavour_is_one_step() {
        for f in Flavour::ALL {
            if let Demo::As(other) = f.spec().demo {
                assert!(!matches!(other.spec().demo, Demo::As(_)), "{f:?}");
            }
        }
    }

    #[test]
    fn exports_name_the_url_first() {
        assert_eq!(
            Flavour::Servicefabric.spec().env_vars(),
            [
                "IDENTITY_ENDPOINT",
                "IDENTITY_HEADER",
                "IDENTITY_SERVER_THUMBPRINT"
            ]
        );
        assert_eq!(
            Flavour::Azureml.spec().env_vars(),
            ["MSI_ENDPOINT", "MSI_SECRET", "DEFAULT_IDENTITY_CLIENT_ID"]
        );
        assert_eq!(
            Flavour::Imds.spec().env_vars(),
            ["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
        );
    }
}
