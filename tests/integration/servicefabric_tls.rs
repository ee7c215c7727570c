//! Service Fabric over HTTPS: the secret goes only to the server whose certificate has the pinned thumbprint.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokscope::endpoint::pinned_tls::thumbprint;
use tokscope::endpoint::{
    detect, ClientOptions, EnvSnapshot, Flavour, Overrides, RetryPolicy, TokenClient,
};
use tokscope::error::ErrorKind;

/// A TLS server on 127.0.0.1 answering one request with a Service Fabric token body.
/// Returns its URL, its certificate's thumbprint, and what it received.
async fn server() -> (String, String, tokio::task::JoinHandle<Vec<u8>>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}/metadata/identity/oauth2/token",
        listener.local_addr().unwrap().port()
    );
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let Ok(mut tls) = acceptor.accept(tcp).await else {
            return Vec::new();
        };
        let mut buf = vec![0u8; 4096];
        let n = tls.read(&mut buf).await.unwrap_or(0);
        let body = r#"{"token_type":"Bearer","access_token":"opaque-test-value","expires_on":4102444800,"resource":"https://management.azure.com/"}"#;
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
        let _ = tls.write_all(answer.as_bytes()).await;
        let _ = tls.shutdown().await;
        buf.truncate(n);
        buf
    });
    (url, thumbprint(&der), task)
}

fn sf_env(url: &str, thumb: &str) -> EnvSnapshot {
    EnvSnapshot::from_pairs([
        ("IDENTITY_ENDPOINT", url),
        ("IDENTITY_HEADER", "sf-secret"),
        ("IDENTITY_SERVER_THUMBPRINT", thumb),
    ])
}

fn client() -> TokenClient {
    TokenClient::new(ClientOptions {
        retry: RetryPolicy::none(),
        ..ClientOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn the_pinned_certificate_is_trusted() {
    let (url, thumb, server) = server().await;
    let ep = detect(&sf_env(&url, &thumb.to_lowercase()), &Overrides::default()).unwrap();
    assert_eq!(ep.flavour, Flavour::Servicefabric);
    let got = client()
        .fetch(&ep, "https://management.azure.com/")
        .await
        .unwrap();
    assert_eq!(got.token.expires_on, 4102444800);
    let request = String::from_utf8_lossy(&server.await.unwrap()).to_ascii_lowercase();
    assert!(
        request.contains("secret: sf-secret") && request.contains("api-version=2019-07-01-preview"),
        "{request}"
    );
}

#[tokio::test]
async fn another_certificate_gets_no_secret() {
    let (url, _, server) = server().await;
    let ep = detect(
        &sf_env(&url, "00112233445566778899AABBCCDDEEFF00112233"),
        &Overrides::default(),
    )
    .unwrap();
    let e = client()
        .fetch(&ep, "https://management.azure.com/")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connect, "{e}");
    assert!(
        server.await.unwrap().is_empty(),
        "no request may reach a server with another certificate"
    );
}
