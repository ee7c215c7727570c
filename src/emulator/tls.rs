//! HTTPS for the emulator: a certificate authority made at start and a server certificate it
//! signs for `localhost`, `127.0.0.1` and `::1`. The handshake itself runs in [`super::serve`].
//!
//! Real clients only talk to some flavours over HTTPS (MSAL Python's Service Fabric, azure-core's
//! bearer-token policy for ARM), and they trust a server through a CA bundle file
//! (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, CURL_CA_BUNDLE), so the CA is written to a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, ErrorKind, Result};
use crate::files;

/// The names the server certificate is valid for: every way a local client spells loopback.
const SERVER_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The emulator's certificates, made fresh for each run.
pub struct Certificates {
    /// The CA certificate clients are told to trust, PEM.
    pub ca_pem: String,
    /// SHA-1 of the server certificate, upper-case hex: Service Fabric's IDENTITY_SERVER_THUMBPRINT.
    pub server_thumbprint: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what}: {e}"),
        "report this as a bug",
    )
}

impl Certificates {
    /// A CA and a server certificate signed by it, both valid from a year ago to a year ahead
    /// (in the emulator's own clock, so a skewed run still verifies where its tokens do).
    pub fn generate(now: i64) -> Result<Self> {
        let year = chrono::DateTime::<chrono::Utc>::from_timestamp(now, 0)
            .unwrap_or_default()
            .year();
        let validity = |p: &mut CertificateParams| {
            p.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
            p.not_after = rcgen::date_time_ymd(year + 1, 12, 31);
        };

        let ca_key = KeyPair::generate().map_err(|e| tls_error("make the CA key", e))?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name("tokscope emulator CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut ca);
        let ca_cert = ca
            .self_signed(&ca_key)
            .map_err(|e| tls_error("sign the CA certificate", e))?;

        let server_key = KeyPair::generate().map_err(|e| tls_error("make the server key", e))?;
        let names: Vec<String> = SERVER_NAMES.iter().map(|s| s.to_string()).collect();
        let mut server = CertificateParams::new(names)
            .map_err(|e| tls_error("name the server certificate", e))?;
        // rcgen reads "::1" and "127.0.0.1" as IP SANs already; say so in case that changes.
        server.subject_alt_names = SERVER_NAMES
            .iter()
            .map(|n| match n.parse() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => (*n)
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|e| tls_error("name the server certificate", e)),
            })
            .collect::<Result<_>>()?;
        server.distinguished_name = name("localhost");
        server.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // OpenSSL's strict mode (Python 3.13's default) wants the issuer's key id in the leaf.
        server.use_authority_key_identifier_extension = true;
        validity(&mut server);
        let server_cert = server
            .signed_by(&server_key, &ca_cert, &ca_key)
            .map_err(|e| tls_error("sign the server certificate", e))?;

        Ok(Self {
            ca_pem: ca_cert.pem(),
            server_thumbprint: thumbprint(server_cert.der()),
            server_chain: vec![server_cert.der().clone(), ca_cert.der().clone()],
            server_key: server_key.serialize_der(),
        })
    }

    /// A TLS acceptor serving the server certificate (and the CA, for clients that want the chain).
    pub fn acceptor(&self) -> Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("configure TLS", e))?
            .with_no_client_auth()
            .with_single_cert(self.server_chain.clone(), key)
            .map_err(|e| tls_error("configure TLS", e))?;
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Upper-case hex SHA-1 of a DER certificate, the form Service Fabric's thumbprint takes.
/// Computed here, not by the client's pinning code, so the emulator stays an independent check.
fn thumbprint(der: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "tokscope");
    dn
}

/// The CA certificate on disk for clients to trust. Written through the file gate: at
/// `--ca-out` only as a new file or over a file of ours nobody else can write (never through a
/// link, never into another user's file, who could swap in their own CA), else in a private
/// temporary folder removed when this is dropped.
pub struct CaFile {
    pub path: PathBuf,
    /// The private folder holding a CA file the emulator placed itself.
    _folder: Option<files::TempFolder>,
}

impl CaFile {
    /// Write `pem` to `path`, or into a new private temporary folder when `path` is None.
    pub fn write(pem: &str, path: Option<&Path>) -> Result<Self> {
        let (path, folder) = match path {
            Some(p) => (p.to_path_buf(), None),
            None => {
                let folder = files::TempFolder::new("tokscope-emulator-ca").map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("cannot make a private folder for the CA certificate: {e}"),
                        "check that the temporary folder is writable, or choose --ca-out",
                    )
                })?;
                (folder.path().join("ca.pem"), Some(folder))
            }
        };
        files::replace(&path, pem.as_bytes(), files::Access::Shared).map_err(|e| {
            e.to_error(
                "the CA certificate to",
                &path,
                "choose a --ca-out path that does not exist yet, in a folder of yours",
            )
        })?;
        Ok(Self {
            path,
            _folder: folder,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "tests look at what was written directly"
)]
mod tests {
    use super::*;

    #[test]
    fn certificates_name_every_loopback_spelling() {
        let c = Certificates::generate(chrono::Utc::now().timestamp()).unwrap();
        assert!(c.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(c.server_thumbprint.len(), 40);
        assert_eq!(c.server_chain.len(), 2);
        assert!(c.acceptor().is_ok());
    }

    #[test]
    fn a_chosen_ca_file_stays_and_a_temporary_one_goes() {
        let dir = tempfile::tempdir().unwrap();
        let chosen = dir.path().join("ca.pem");
        drop(CaFile::write("pem", Some(&chosen)).unwrap());
        assert!(chosen.exists());
        let temp = CaFile::write("pem", None).unwrap();
        let path = temp.path.clone();
        assert!(path.exists());
        drop(temp);
        assert!(!path.exists());
    }
}
