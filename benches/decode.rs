//! Decoding a typical Entra access token (about 1.5 KB), and normalising an endpoint's answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing unwrap in a benchmark is the benchmark failing"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use tokscope::token::{self, jwt::encode_part};

/// A token shaped like a real ARM token from IMDS: the same claims, similar lengths.
fn typical_token() -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "x5t": "kWbkaa6qs8wsTnBwiiNYOhHbnAw", "kid": "kWbkaa6qs8wsTnBwiiNYOhHbnAw"});
    let claims = json!({
        "aud": "https://management.azure.com/",
        "iss": "https://sts.windows.net/566bf9d7-c55a-45f8-91a6-e55e9b9b1325/",
        "iat": 1795537778, "nbf": 1795537778, "exp": 1795624478,
        "aio": "k2BgYNj4yTPz9xLn/KzF3/nrRU9fAQA=",
        "appid": "5e6a0a2e-dd70-434d-81d7-7cffb7decc0c", "appidacr": "2",
        "idp": "https://sts.windows.net/566bf9d7-c55a-45f8-91a6-e55e9b9b1325/", "idtyp": "app",
        "oid": "b37523a5-3b4a-4ee2-8463-513755ac0ecd",
        "rh": "0.AQwA1_lrVlrF-EWRpuVem5sTJUZIf3kAutdPukPawfj2MBMMAAA.",
        "sub": "b37523a5-3b4a-4ee2-8463-513755ac0ecd", "tid": "566bf9d7-c55a-45f8-91a6-e55e9b9b1325",
        "uti": "vpC4u5jxHnJpverU6ML4uA", "ver": "1.0",
        "xms_mirid": "/subscriptions/5d96cf7f-265b-4da9-8f0c-26ef4243ed52/resourcegroups/rg-demo/providers/Microsoft.Compute/virtualMachines/vm-tokscope-demo",
        "xms_tcdt": 1528925000
    });
    let sig = "A".repeat(342);
    format!("{}.{}.{sig}", encode_part(&header), encode_part(&claims))
}

fn bench(c: &mut Criterion) {
    let t = typical_token();
    assert!(t.len() > 1400, "token is {} bytes", t.len());
    c.bench_function("decode_1.5KB_token", |b| {
        b.iter(|| token::decode(black_box(&t)))
    });
    let body = json!({"access_token": t, "client_id": "x", "expires_in": "86399", "expires_on": "1795624478",
        "ext_expires_in": "86399", "not_before": "1795537778", "resource": "https://management.azure.com/", "token_type": "Bearer"})
    .to_string();
    c.bench_function("normalise_imds_answer", |b| {
        b.iter(|| {
            tokscope::endpoint::response::parse_success(black_box(body.as_bytes()), 1795537800)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
