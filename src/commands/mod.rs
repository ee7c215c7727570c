//! The plain commands, thin over the core.

pub mod completions;
pub mod decode;
pub mod doctor;
pub mod emulate;
pub mod get;
pub mod render;
pub mod report;
pub mod setup;
pub mod sources;
pub mod vms;
pub mod watch;
pub mod why;
