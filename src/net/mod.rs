//! The neutral HTTP layer under every caller (token endpoints, ARM, doctor's key discovery):
//! how a local client is built, how an answer is read under a cap, which hosts are loopback (from `crate::loopback`),
//! how Retry-After reads, when to retry (one engine for every caller), how a transport failure
//! is told, how an unexpected body is described without leaking a token, and the
//! run's secrets remembered so that no error or output ever shows one (`redact`).
//!
//! It knows no flavour, no token and no front end, so anything may use it and it uses nothing
//! of the crate but `error` and the pure `loopback`.

pub mod body;
pub mod http;
pub mod redact;
pub mod retry;
pub mod retry_after;
pub mod transport;
pub mod trust;

pub use crate::loopback::{is_loopback_ip, is_loopback_url};
pub use body::{describe_body, redact_tokens};
pub use http::{
    local_client, loopback_plain_client, read_capped, root_cause, Answer, BodyEnd, SMALL_BODY_CAP,
};
pub use redact::{redact_known, redact_outside, reveal_tokens};
pub use retry::{Retries, RetryPolicy, Retryable};
pub use retry_after::parse_retry_after;
