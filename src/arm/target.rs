//! Where ARM calls go and which token they need, from `--cloud`, `--arm-url` and `--demo`.
//! `tokscope vms` and `tokscope doctor --arm` both start here, so they never disagree.

use std::time::Duration;

use super::{is_arm_audience, Client, Cloud, Discovery};
use crate::endpoint::detect::imds_host;
use crate::endpoint::{EnvSnapshot, Flavour, Overrides};
use crate::error::Result;

/// An ARM client and the cloud whose audience its tokens must have.
#[derive(Clone)]
pub struct Target {
    pub client: Client,
    /// The cloud whose audience tokens are asked for.
    pub cloud: Cloud,
    /// The in-process emulator's base URL under --demo; it also answers instance metadata.
    pub emulator: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.client.base())
            .field("cloud", &self.cloud)
            .field("emulator", &self.emulator)
            .finish()
    }
}

impl Target {
    /// `arm_url` wins, then the demo emulator, then the cloud's own ARM. Checking the URL here
    /// (plain http only to loopback) happens before anything goes on the network. `timeout` is
    /// each request's (`--timeout`).
    pub fn new(
        cloud: Cloud,
        arm_url: Option<&str>,
        emulator: Option<String>,
        timeout: Duration,
    ) -> Result<Self> {
        let base = match (arm_url, &emulator) {
            (Some(url), _) => {
                // A credential inside --arm-url is a secret of this run from now on.
                crate::display_url::keep_credentials(url);
                url.to_string()
            }
            (None, Some(emu)) => emu.clone(),
            (None, None) => cloud.base_url().to_string(),
        };
        let mut client = Client::with_timeout(&base, timeout)?;
        // The demo's ARM is the emulator, which takes public-cloud tokens whatever --cloud says.
        let cloud = if emulator.is_some() && arm_url.is_none() {
            Cloud::Public
        } else {
            cloud
        };
        client.audience = cloud.audience().to_string();
        Ok(Self {
            client,
            cloud,
            emulator,
        })
    }

    /// The resource (audience) a token for this ARM is asked for.
    pub fn audience(&self) -> &'static str {
        self.cloud.audience()
    }

    /// The resource to fetch a token for: the one asked for when ARM takes it, else ARM's own,
    /// with a note saying so.
    pub fn token_resource(&self, requested: &str) -> (String, Option<String>) {
        if is_arm_audience(requested, self.cloud) {
            return (requested.to_string(), None);
        }
        let audience = self.audience();
        (
            audience.to_string(),
            Some(format!(
                "the resource given was {requested}; ARM needs a token for {audience}, so tokscope fetched one for it"
            )),
        )
    }

    /// The IMDS host to ask for instance metadata: the emulator under --demo, else only where
    /// IMDS is in play or was named explicitly.
    pub fn metadata_host(
        &self,
        env: &EnvSnapshot,
        overrides: &Overrides,
        flavour: Flavour,
    ) -> Option<String> {
        if let Some(emu) = &self.emulator {
            return Some(emu.clone());
        }
        let explicit = env.has("AZURE_POD_IDENTITY_AUTHORITY_HOST");
        (flavour == Flavour::Imds || explicit).then(|| imds_host(env, overrides))
    }

    /// What subscription discovery may use, besides the token.
    pub fn discovery(
        &self,
        flag: Option<String>,
        env: &EnvSnapshot,
        overrides: &Overrides,
        flavour: Flavour,
    ) -> Discovery {
        Discovery {
            flag,
            imds_host: self.metadata_host(env, overrides, flavour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn arm_url_wins_and_demo_takes_public_tokens() {
        let t = Target::new(Cloud::China, Some("http://127.0.0.1:9"), None, T).unwrap();
        assert_eq!(t.client.base(), "http://127.0.0.1:9");
        assert_eq!(t.audience(), Cloud::China.audience());
        let t = Target::new(Cloud::China, None, Some("http://127.0.0.1:8".into()), T).unwrap();
        assert_eq!(t.client.base(), "http://127.0.0.1:8");
        assert_eq!(t.cloud, Cloud::Public);
        let t = Target::new(Cloud::Usgov, None, None, T).unwrap();
        assert_eq!(t.client.base(), Cloud::Usgov.base_url());
        assert!(Target::new(Cloud::Public, Some("http://example.invalid"), None, T).is_err());
    }

    #[test]
    fn other_resources_are_swapped_for_arms() {
        let t = Target::new(Cloud::Public, None, None, T).unwrap();
        let (r, note) = t.token_resource("https://management.azure.com");
        assert_eq!(r, "https://management.azure.com");
        assert!(note.is_none());
        let (r, note) = t.token_resource("https://graph.microsoft.com/");
        assert_eq!(r, Cloud::Public.audience());
        assert!(note.is_some_and(|n| n.contains("graph.microsoft.com")));
    }
}
