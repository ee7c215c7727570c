//! The plain commands, thin over the core.

pub mod decode;
pub mod emulate;
pub mod get;
pub mod render;
pub mod setup;
pub mod vms;
pub mod watch;
