//! RS256 verification of the emulator's tokens against the emulator's published keys.

use std::time::Duration;

use tokscope::doctor::keys;
use tokscope::emulator::{self, Config};
use tokscope::endpoint::{self, ClientOptions, EnvSnapshot, Overrides, RetryPolicy, TokenClient};
use tokscope::token::jwt::encode_part;
use tokscope::token::verify::{self, Jwks, Verification};
use tokscope::token::{decode, Jwt};

/// A fresh token from an in-process emulator, with the emulator's base URL.
async fn token() -> (emulator::Running, String) {
    let run = emulator::start(Config::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let env =
        EnvSnapshot::from_pairs([("AZURE_POD_IDENTITY_AUTHORITY_HOST", run.base_url().as_str())]);
    let ep = endpoint::detect(&env, &Overrides::default()).unwrap();
    let client = TokenClient::new(ClientOptions {
        retry: RetryPolicy::none(),
        ..ClientOptions::default()
    })
    .unwrap();
    let f = client
        .fetch(&ep, "https://management.azure.com/")
        .await
        .unwrap();
    let raw = f.token.access_token.expose().to_string();
    (run, raw)
}

async fn keys_for(run: &emulator::Running, jwt: &Jwt) -> Jwks {
    let url = keys::openid_configuration_url(Some(&run.base_url()), jwt.claim_str("tid").unwrap());
    keys::fetch_keys(&url, Duration::from_secs(5))
        .await
        .unwrap()
        .jwks
}

#[tokio::test]
async fn emulator_token_verifies_against_its_jwks() {
    let (run, raw) = token().await;
    let jwt = decode(&raw).unwrap();
    let jwks = keys_for(&run, &jwt).await;
    match verify::verify(&jwt, &jwks) {
        Verification::Verified { kid } => assert_eq!(Some(kid.as_str()), jwt.header_str("kid")),
        other => panic!("expected Verified, got {other:?}"),
    }
}

#[tokio::test]
async fn key_is_found_by_x5t_when_kid_is_absent() {
    let (run, raw) = token().await;
    let jwt = decode(&raw).unwrap();
    let jwks = keys_for(&run, &jwt).await;
    let mut by_x5t = jwt.clone();
    by_x5t.header.remove("kid");
    // The header object changed but the signing input did not: verification still holds.
    assert!(matches!(
        verify::verify(&by_x5t, &jwks),
        Verification::Verified { .. }
    ));
    let mut unknown = jwt.clone();
    unknown.header.insert("kid".into(), "nope".into());
    unknown.header.insert("x5t".into(), "nope".into());
    assert_eq!(verify::verify(&unknown, &jwks), Verification::KeyNotFound);
}

#[tokio::test]
async fn tampered_claims_fail_verification() {
    let (run, raw) = token().await;
    let jwt = decode(&raw).unwrap();
    let jwks = keys_for(&run, &jwt).await;
    let parts: Vec<&str> = raw.split('.').collect();
    let mut claims = jwt.claims.clone();
    claims.insert("aud".into(), "https://vault.azure.net".into());
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        encode_part(&serde_json::Value::Object(claims)),
        parts[2]
    );
    let forged = decode(&forged).unwrap();
    assert!(matches!(
        verify::verify(&forged, &jwks),
        Verification::Failed(_)
    ));
}
