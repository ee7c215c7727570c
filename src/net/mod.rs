//! The neutral HTTP layer under every caller (token endpoints, ARM, doctor's key discovery):
//! how a local client is built, how an answer is read under a cap, which hosts are loopback (from `crate::loopback`),
//! how Retry-After reads, when to retry (one engine for every caller), how a transport failure
//! is told, and how an unexpected body is described without leaking a token or any of the
//! run's secrets (which `crate::vault` keeps).
//!
//! It knows no flavour, no token and no front end, so anything may use it and it uses nothing
//! of the crate but `error`, `vault` and the pure `loopback`.

pub mod body;
pub mod http;
pub mod retry;
pub mod retry_after;
pub mod transport;
pub mod trust;

pub use crate::loopback::{is_loopback_ip, is_loopback_url};
pub use body::{describe_body, redact_outside, redact_tokens};
pub use http::{
    local_client, loopback_plain_client, read_capped, root_cause, Answer, BodyEnd, SMALL_BODY_CAP,
};
pub use retry::{Retries, RetryPolicy, Retryable};
pub use retry_after::parse_retry_after;
