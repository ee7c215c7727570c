//! Every integration test, as modules of one test crate: one binary to build and link after a
//! change in `src/`, instead of one per file. Each module talks to the real emulator or the real
//! binary over loopback; `common` starts them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing unwrap, expect or index in a test is the test failing, as it should"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "tests make their fixtures and read what tokscope wrote directly; the file gate is for tokscope's own code"
)]

mod architecture;
mod arm;
mod attack;
mod cli;
mod common;
mod conventions;
mod doctor;
mod emulator_abuse;
mod emulator_tls;
mod endpoints;
mod flavours;
mod fleet;
mod forensics;
mod gates_echo_forms;
mod gates_encodings;
mod gates_files;
mod gates_output;
mod harness;
mod interop;
mod properties;
mod readme;
mod secret_hygiene;
mod servicefabric_tls;
mod tui_effects;
mod tui_fixture;
mod tui_snapshots;
mod tui_tmux;
mod tui_update;
mod verdict;
mod verify;
mod warnings;
mod watch;
mod watch_back_to_back;
mod why;
mod workload;
mod workload_federation;
mod workload_fic;
mod workload_interop;
mod workload_pod;
