//! Whatever an endpoint answers (any status, any headers, any body) must normalise into a
//! token response or an `Error`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tokscope::endpoint::{response, Flavour};

const FLAVOURS: [Flavour; 7] = [
    Flavour::Imds,
    Flavour::Cloudshell,
    Flavour::Appservice,
    Flavour::Appservice2017,
    Flavour::Arc,
    Flavour::Servicefabric,
    Flavour::Azcli,
];

fuzz_target!(|data: &[u8]| {
    // The first three bytes pick the flavour and the status; the rest is the body.
    let (head, body) = data.split_at(data.len().min(3));
    let flavour = FLAVOURS[usize::from(head.first().copied().unwrap_or(0)) % FLAVOURS.len()];
    let status = match head {
        [_, a, b] => u16::from_be_bytes([*a, *b]),
        _ => 500,
    };
    let received_at = 1_795_537_800;

    let _ = response::parse_success(body, received_at);
    let headers = vec![("x-ms-request-id".to_string(), "fuzz".to_string())];
    let _ = response::parse_error(flavour, status, &headers, body);

    // The body as an `expires_on` string, the way date strings arrive.
    let text = String::from_utf8_lossy(body).into_owned();
    let _ = response::parse_expires_on(&Value::String(text));
});
