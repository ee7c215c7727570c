//! Any pasted text must decode to a token or a clear error, never a panic; a decoded
//! token's time claims must render in every form whatever numbers they hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokscope::token::{self, claims};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(jwt) = token::decode(&text) {
        // A fixed "now" keeps runs reproducible; the extremes exercise the arithmetic.
        for now in [0, 1_795_537_800, i64::MIN, i64::MAX] {
            let _ = claims::times_json(&jwt, now);
        }
        let _ = token::jwt_json(&jwt);
    }
});
