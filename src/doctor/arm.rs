//! The ARM check (`--arm`): ARM reachable with this token, and the VM list permitted.

use super::Check;

pub const ARM: &str = "arm";

/// Kept apart from the endpoint checks so that the ARM client can be wired in on its own.
pub fn arm_check() -> Check {
    Check::skip(ARM, "ARM check not available in this build")
}
