//! `tokscope sources`: this environment run through each SDK's documented detection order, so
//! nobody has to read SDK source code to learn what their app will do on this machine.
//!
//! The table is [`SDKS`]: per library and version, the order in which its
//! DefaultAzureCredential (or its managed-identity client) looks at the environment. Orders
//! marked "read from the package" were read from the released package the interop tests run;
//! the others come from the libraries' sources and changelogs as researched, and say so.

use std::time::Duration;

use serde_json::{json, Value};

/// The variables the detection orders read besides the identity variables every flavour
/// names ([`crate::flavour::IDENTITY_VARS`]). Secrets among them are kept as "set" only.
pub const CREDENTIAL_VARS: &[&str] = &[
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_TOKEN_CREDENTIALS",
];

/// Every variable read.
fn read_vars() -> impl Iterator<Item = &'static &'static str> {
    crate::flavour::IDENTITY_VARS.iter().chain(CREDENTIAL_VARS)
}

/// Variables whose value is a secret: only whether they are set is kept.
const SECRET_VARS: &[&str] = &["AZURE_CLIENT_SECRET", "IDENTITY_HEADER", "MSI_SECRET"];

/// Where the Arc agent's binary lies, as MSAL looks for it on Linux.
pub const HIMDS_MSAL: &str = "/opt/azcmagent/bin/himds";

/// What the detection orders look at: variables (set and not empty) and the Arc agent's file.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    vars: Vec<(&'static str, String)>,
    pub himds_file: bool,
    /// The identity the app would name (tokscope's own --client-id and kin), if any.
    pub selector: Option<(&'static str, String)>,
}

impl Inputs {
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        himds_file: bool,
    ) -> Self {
        let mut vars = Vec::new();
        for (k, v) in pairs {
            if let Some(name) = read_vars().find(|n| **n == k) {
                if !v.trim().is_empty() {
                    let v = if SECRET_VARS.contains(name) {
                        "(set)".to_string()
                    } else {
                        v.to_string()
                    };
                    vars.push((*name, v));
                }
            }
        }
        Self {
            vars,
            himds_file,
            selector: None,
        }
    }

    pub fn from_process() -> Self {
        let pairs: Vec<(&str, String)> = read_vars()
            .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v)))
            .collect();
        Self::from_pairs(
            pairs.iter().map(|(k, v)| (*k, v.as_str())),
            std::path::Path::new(HIMDS_MSAL).exists(),
        )
    }

    fn has(&self, var: &str) -> bool {
        self.vars.iter().any(|(k, _)| *k == var)
    }

    fn get(&self, var: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| *k == var)
            .map(|(_, v)| v.as_str())
    }
}

/// A place a credential can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// EnvironmentCredential: a service principal's secret or certificate, or a user's password.
    Environment,
    Workload,
    ServiceFabric,
    AppService,
    Arc,
    AzureMl,
    CloudShell,
    Imds,
    /// IDENTITY_ENDPOINT without its partner: the library gives up on managed identity.
    GivesUp,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Environment => "environment",
            Source::Workload => "workload",
            Source::ServiceFabric => "servicefabric",
            Source::AppService => "appservice",
            Source::Arc => "arc",
            Source::AzureMl => "azureml",
            Source::CloudShell => "cloudshell",
            Source::Imds => "imds",
            Source::GivesUp => "none",
        }
    }
}

/// One test in a detection order: the source it picks and what must hold.
#[derive(Debug, Clone, Copy)]
pub enum Test {
    /// Every one of these variables is set.
    All(&'static [&'static str], Source),
    /// This variable is set and that one is not (a pair's first half alone).
    Alone(&'static str, &'static str, Source),
    /// The Arc agent: IDENTITY_ENDPOINT and IMDS_ENDPOINT, or its binary on disk.
    ArcVarsOrFile,
    /// Cloud Shell as MSAL Python knows it: AZUREPS_HOST_ENVIRONMENT starts with `cloud-shell`.
    CloudShellHost,
    /// Nothing else matched.
    Otherwise(Source),
}

/// How a library treats a user-assigned selector on a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorRule {
    /// Sends it as the flavour's parameter.
    Sends,
    /// Raises before sending.
    Refuses,
    /// Sends it, and refuses an answer that does not echo it (Arc).
    SendsAndChecksEcho,
}

#[derive(Debug)]
pub struct Sdk {
    pub name: &'static str,
    pub version: &'static str,
    /// Where the order was read.
    pub basis: &'static str,
    /// EnvironmentCredential and WorkloadIdentityCredential come before managed identity
    /// (DefaultAzureCredential); MSAL and the CLI have managed identity only.
    pub dac: bool,
    pub order: &'static [Test],
    /// The selector rule per source; sources not named send it.
    pub selectors: &'static [(Source, SelectorRule)],
    /// DefaultAzureCredential's IMDS probe here, in words, with its timeout.
    pub probe: Option<Probe>,
}

#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub timeout: Duration,
    /// What else happens (a known regression, a skip).
    pub note: &'static str,
}

const SF_VARS: &[&str] = &[
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
];
const APP_VARS: &[&str] = &["IDENTITY_ENDPOINT", "IDENTITY_HEADER"];
const ARC_VARS: &[&str] = &["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"];
const ML_VARS: &[&str] = &["MSI_ENDPOINT", "MSI_SECRET"];
const WI_VARS: &[&str] = &[
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
];

/// azure-identity (Python) and its ManagedIdentityCredential, as the package reads it.
const PYTHON_MI: &[Test] = &[
    Test::All(SF_VARS, Source::ServiceFabric),
    Test::All(APP_VARS, Source::AppService),
    Test::All(ARC_VARS, Source::Arc),
    Test::Alone("IDENTITY_ENDPOINT", "IDENTITY_HEADER", Source::GivesUp),
    Test::All(ML_VARS, Source::AzureMl),
    Test::All(&["MSI_ENDPOINT"], Source::CloudShell),
    Test::All(WI_VARS, Source::Workload),
    Test::Otherwise(Source::Imds),
];

/// MSAL (.NET, node, Go) and the SDKs over them: Service Fabric, App Service, Azure ML, Cloud
/// Shell, Arc (variables or the agent's file), IMDS.
const MSAL_MI: &[Test] = &[
    Test::All(SF_VARS, Source::ServiceFabric),
    Test::All(APP_VARS, Source::AppService),
    Test::All(ML_VARS, Source::AzureMl),
    Test::All(&["MSI_ENDPOINT"], Source::CloudShell),
    Test::ArcVarsOrFile,
    Test::Otherwise(Source::Imds),
];

/// MSAL Python (and the Azure CLI over it): Cloud Shell only by AZUREPS_HOST_ENVIRONMENT, after Arc.
const MSAL_PYTHON_MI: &[Test] = &[
    Test::All(SF_VARS, Source::ServiceFabric),
    Test::All(APP_VARS, Source::AppService),
    Test::All(ML_VARS, Source::AzureMl),
    Test::ArcVarsOrFile,
    Test::CloudShellHost,
    Test::Otherwise(Source::Imds),
];

/// azidentity (Go): IDENTITY_ENDPOINT alone falls back to IMDS.
const GO_MI: &[Test] = &[
    Test::All(SF_VARS, Source::ServiceFabric),
    Test::All(APP_VARS, Source::AppService),
    Test::All(ARC_VARS, Source::Arc),
    Test::All(ML_VARS, Source::AzureMl),
    Test::All(&["MSI_ENDPOINT"], Source::CloudShell),
    Test::Otherwise(Source::Imds),
];

const REFUSE_UNSUPPORTED: &[(Source, SelectorRule)] = &[
    (Source::ServiceFabric, SelectorRule::Refuses),
    (Source::CloudShell, SelectorRule::Refuses),
    (Source::Arc, SelectorRule::SendsAndChecksEcho),
];

/// About one second, the probe timeout the azure-identity libraries give IMDS inside
/// DefaultAzureCredential (FRONTIER §2 row 1; per-library figures unconfirmed).
const DAC_PROBE: Duration = Duration::from_secs(1);

/// The table: each library's order, as researched.
pub const SDKS: &[Sdk] = &[
    Sdk {
        name: "azure-identity (Python)",
        version: "1.27",
        basis: "read from the package (azure/identity/_credentials/managed_identity.py)",
        dac: true,
        order: PYTHON_MI,
        selectors: &[
            (Source::ServiceFabric, SelectorRule::Refuses),
            (Source::CloudShell, SelectorRule::Refuses),
            (Source::Arc, SelectorRule::SendsAndChecksEcho),
        ],
        probe: Some(Probe { timeout: DAC_PROBE, note: "" }),
    },
    Sdk {
        name: "@azure/identity (JavaScript)",
        version: "4.14 (msal-node 6)",
        basis: "read from the package (msal-node ManagedIdentityClient)",
        dac: true,
        order: MSAL_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: Some(Probe { timeout: DAC_PROBE, note: "" }),
    },
    Sdk {
        name: "Azure.Identity (.NET)",
        version: "1.17 (MSAL.NET 4.8x)",
        basis: "MSAL.NET's source order (ManagedIdentityClient); unconfirmed against a package here",
        dac: true,
        order: MSAL_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: Some(Probe { timeout: DAC_PROBE, note: "with Azure.Core 1.59–1.60 the IMDSv2 probe then the v1 probe can take ~25 s off Azure or throw AuthenticationFailedException; set AZURE_TOKEN_CREDENTIALS=dev off Azure" }),
    },
    Sdk {
        name: "azidentity (Go)",
        version: "1.x",
        basis: "azidentity's managed identity client as researched; IDENTITY_ENDPOINT alone goes to IMDS",
        dac: true,
        order: GO_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: Some(Probe { timeout: DAC_PROBE, note: "" }),
    },
    Sdk {
        name: "azure-identity (Java)",
        version: "1.18",
        basis: "as azure-identity Python orders it (researched, unconfirmed)",
        dac: true,
        order: PYTHON_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: Some(Probe { timeout: DAC_PROBE, note: "1.18.1 skips the probe when AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential" }),
    },
    Sdk {
        name: "MSAL.NET",
        version: "4.8x",
        basis: "ManagedIdentityClient's order (IMDS v2 probed first since 4.84.2)",
        dac: false,
        order: MSAL_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: None,
    },
    Sdk {
        name: "MSAL Python",
        version: "1.39",
        basis: "read from the package (msal/managed_identity.py get_managed_identity_source)",
        dac: false,
        order: MSAL_PYTHON_MI,
        selectors: &[(Source::Arc, SelectorRule::SendsAndChecksEcho)],
        probe: None,
    },
    Sdk {
        name: "MSAL Go",
        version: "1.9",
        basis: "GetSource's order as researched",
        dac: false,
        order: MSAL_MI,
        selectors: &[(Source::Arc, SelectorRule::SendsAndChecksEcho)],
        probe: None,
    },
    Sdk {
        name: "MSAL JS (msal-node)",
        version: "6",
        basis: "read from the package (ManagedIdentityClient)",
        dac: false,
        order: MSAL_MI,
        selectors: REFUSE_UNSUPPORTED,
        probe: None,
    },
    Sdk {
        name: "Azure CLI (az login --identity)",
        version: "2.73+",
        basis: "MSAL Python's managed identity client, which the CLI uses",
        dac: false,
        order: MSAL_PYTHON_MI,
        selectors: &[(Source::Arc, SelectorRule::SendsAndChecksEcho)],
        probe: None,
    },
];

/// What one library would do here.
#[derive(Debug, Clone)]
pub struct Pick {
    pub sdk: &'static Sdk,
    pub source: Source,
    /// Why: the variables (or file) that decided it.
    pub because: String,
    /// The user-assigned selector it would send, or why it would refuse one.
    pub selector: String,
    /// DefaultAzureCredential's IMDS probe here, in words.
    pub probe: Option<String>,
}

fn test_hits(test: &Test, env: &Inputs) -> Option<(Source, String)> {
    match *test {
        Test::All(vars, source) => vars
            .iter()
            .all(|v| env.has(v))
            .then(|| (source, vars.join(" + "))),
        Test::Alone(var, without, source) => (env.has(var) && !env.has(without))
            .then(|| (source, format!("{var} without {without}"))),
        Test::ArcVarsOrFile => {
            if ARC_VARS.iter().all(|v| env.has(v)) {
                Some((Source::Arc, ARC_VARS.join(" + ")))
            } else {
                env.himds_file
                    .then(|| (Source::Arc, format!("{HIMDS_MSAL} exists")))
            }
        }
        Test::CloudShellHost => env
            .get("AZUREPS_HOST_ENVIRONMENT")
            .filter(|v| v.starts_with("cloud-shell"))
            .map(|_| {
                (
                    Source::CloudShell,
                    "AZUREPS_HOST_ENVIRONMENT=cloud-shell…".into(),
                )
            }),
        Test::Otherwise(source) => Some((source, "no other source's variables are set".into())),
    }
}

/// The AZURE_TOKEN_CREDENTIALS choice: `dev` leaves managed identity out, `prod` the tools.
fn token_credentials(env: &Inputs) -> Option<String> {
    env.get("AZURE_TOKEN_CREDENTIALS")
        .map(|v| v.trim().to_ascii_lowercase())
}

/// Run one library's order over `env`.
pub fn pick(sdk: &'static Sdk, env: &Inputs) -> Pick {
    let choice = token_credentials(env).filter(|_| sdk.dac);
    let mut found = None;
    if sdk.dac && choice.as_deref() != Some("managedidentitycredential") {
        let credential = [
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_USERNAME",
        ]
        .iter()
        .any(|v| env.has(v));
        if credential && env.has("AZURE_TENANT_ID") && env.has("AZURE_CLIENT_ID") {
            found = Some((Source::Environment, "AZURE_TENANT_ID + AZURE_CLIENT_ID with a secret, certificate or user name (EnvironmentCredential comes first)".to_string()));
        }
        if found.is_none() && WI_VARS.iter().all(|v| env.has(v)) {
            found = Some((
                Source::Workload,
                format!(
                    "{} (WorkloadIdentityCredential comes before managed identity)",
                    WI_VARS.join(" + ")
                ),
            ));
        }
    }
    let (source, because) = found.unwrap_or_else(|| {
        sdk.order
            .iter()
            .find_map(|t| test_hits(t, env))
            .unwrap_or((Source::Imds, "default".into()))
    });
    let because = match (source, choice.as_deref()) {
        (_, Some("dev")) if source != Source::Environment => {
            format!("{because}; but AZURE_TOKEN_CREDENTIALS=dev leaves managed identity and workload identity out: developer tools (az login …) are used")
        }
        _ => because,
    };
    let selector = selector_words(sdk, source, env);
    let probe = sdk.probe.filter(|_| source == Source::Imds && choice.as_deref() != Some("dev")).map(|p| {
        let skip = choice.as_deref() == Some("managedidentitycredential") && sdk.name.contains("Java");
        if skip {
            "no probe: AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential".to_string()
        } else {
            let mut s = format!(
                "up to {} s probing IMDS at {} when nothing answers (refused: at once); off Azure, AZURE_TOKEN_CREDENTIALS=dev skips it",
                p.timeout.as_secs(),
                env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST").unwrap_or("169.254.169.254")
            );
            if !p.note.is_empty() {
                s = format!("{s}; {}", p.note);
            }
            s
        }
    });
    Pick {
        sdk,
        source,
        because,
        selector,
        probe,
    }
}

fn selector_words(sdk: &Sdk, source: Source, env: &Inputs) -> String {
    let named = env.selector.clone().or_else(|| {
        (sdk.dac && source != Source::Workload && source != Source::Environment)
            .then(|| {
                env.get("AZURE_CLIENT_ID")
                    .map(|v| ("client_id", v.to_string()))
            })
            .flatten()
    });
    let Some((kind, value)) = named else {
        return "none: the system-assigned (or platform's) identity".into();
    };
    let rule = sdk
        .selectors
        .iter()
        .find(|(s, _)| *s == source)
        .map_or(SelectorRule::Sends, |(_, r)| *r);
    match (rule, source) {
        (_, Source::Workload) => format!("client id {value} (the federated identity's)"),
        (_, Source::Environment | Source::GivesUp) => "none".into(),
        (SelectorRule::Refuses, _) => format!(
            "refuses {kind} {value}: {} cannot select a user-assigned identity",
            source.name()
        ),
        (SelectorRule::SendsAndChecksEcho, _) => {
            format!("sends {kind} {value} and refuses an answer that does not echo it")
        }
        (SelectorRule::Sends, _) => format!("sends {kind} {value}"),
    }
}

/// Every library's pick here.
pub fn picks(env: &Inputs) -> Vec<Pick> {
    SDKS.iter().map(|sdk| pick(sdk, env)).collect()
}

pub fn to_json(picks: &[Pick], env: &Inputs) -> Value {
    json!({
        "variables": env.vars.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "himds_file": env.himds_file,
        "sdks": picks.iter().map(|p| json!({
            "sdk": p.sdk.name,
            "version": p.sdk.version,
            "basis": p.sdk.basis,
            "source": p.source.name(),
            "because": p.because,
            "selector": p.selector,
            "imds_probe": p.probe,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_of(sdk: &str, pairs: &[(&str, &str)]) -> Source {
        let env = Inputs::from_pairs(pairs.iter().copied(), false);
        let sdk = SDKS.iter().find(|s| s.name.starts_with(sdk)).unwrap();
        pick(sdk, &env).source
    }

    #[test]
    fn an_orphan_identity_endpoint_splits_the_libraries() {
        let orphan = [
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/x"),
            ("MSI_ENDPOINT", "http://127.0.0.1:1/y"),
        ];
        assert_eq!(
            source_of("azure-identity (Python)", &orphan),
            Source::GivesUp
        );
        assert_eq!(source_of("azidentity", &orphan), Source::CloudShell);
        assert_eq!(source_of("MSAL.NET", &orphan), Source::CloudShell);
    }

    #[test]
    fn cloud_shell_needs_its_host_variable_for_msal_python() {
        let cs = [("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")];
        assert_eq!(source_of("MSAL Python", &cs), Source::Imds);
        assert_eq!(source_of("@azure/identity", &cs), Source::CloudShell);
    }

    #[test]
    fn dev_leaves_managed_identity_out_and_workload_comes_first() {
        let wi = [
            ("AZURE_FEDERATED_TOKEN_FILE", "/t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_TENANT_ID", "t"),
            ("MSI_ENDPOINT", "http://127.0.0.1:1/"),
        ];
        assert_eq!(source_of("Azure.Identity", &wi), Source::Workload);
        assert_eq!(source_of("MSAL.NET", &wi), Source::CloudShell);
        let env = Inputs::from_pairs([("AZURE_TOKEN_CREDENTIALS", "dev")], false);
        let p = pick(&SDKS[0], &env);
        assert!(p.because.contains("developer tools"));
        assert!(p.probe.is_none());
    }

    #[test]
    fn secrets_are_kept_as_set_only() {
        let env = Inputs::from_pairs([("IDENTITY_HEADER", "s3cret")], false);
        assert_eq!(env.get("IDENTITY_HEADER"), Some("(set)"));
    }
}
