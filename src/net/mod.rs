//! The neutral HTTP layer under every caller (token endpoints, ARM, doctor's key discovery):
//! how a local client is built, how an answer is read under a cap, which hosts are loopback,
//! how Retry-After reads, and how an unexpected body is described without leaking a token.
//!
//! It knows no flavour, no token and no front end, so anything may use it and it uses nothing
//! of the crate but `error`.

pub mod body;
pub mod http;
pub mod loopback;
pub mod retry_after;

pub use body::{describe_body, redact_tokens};
pub use http::{local_client, read_capped, root_cause, Answer, BodyEnd, SMALL_BODY_CAP};
pub use loopback::is_loopback_url;
pub use retry_after::parse_retry_after;
