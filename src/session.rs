//! What a front end runs with once the command line is read: the endpoint, the client that
//! fetches from it, and the environment and overrides it was found from. The CLI commands and
//! the terminal UI both take a `Session`; neither knows how it was made.

use crate::endpoint::{Endpoint, EnvSnapshot, Overrides, TokenClient};

#[derive(Clone)]
pub struct Session {
    pub endpoint: Endpoint,
    pub client: TokenClient,
    pub env: EnvSnapshot,
    pub overrides: Overrides,
    /// With --demo, the base URL of the in-process emulator the binary started (its ARM side
    /// and signing keys live there too). None against a real endpoint.
    pub demo_url: Option<String>,
}
