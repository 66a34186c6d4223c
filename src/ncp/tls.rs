//! The NCP listener's TLS: TLS 1.2 and 1.3 only, a client certificate required and verified
//! against the configured trust store and its CRLs, and a server certificate and trust store
//! that can be swapped while the listener runs.
//!
//! Both the server certificate and the client verifier sit behind a lock that a reload
//! replaces as a whole. A handshake takes what is there when it starts; connections already
//! open keep their session and are never dropped by a reload.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};

use super::settings::NcpSettings;

/// The files the listener's TLS is made of.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_ca: PathBuf,
    pub crls: Vec<PathBuf>,
}

impl TlsFiles {
    pub fn of(settings: &NcpSettings) -> TlsFiles {
        TlsFiles {
            server_cert: settings.server_cert_file.clone(),
            server_key: settings.server_key_file.clone(),
            client_ca: settings.client_ca_file.clone(),
            crls: settings.crl_files.clone(),
        }
    }

    /// Every file, for watching them.
    pub fn all(&self) -> Vec<&Path> {
        let mut all = vec![
            self.server_cert.as_path(),
            self.server_key.as_path(),
            self.client_ca.as_path(),
        ];
        all.extend(self.crls.iter().map(PathBuf::as_path));
        all
    }
}

/// The TLS state that a reload replaces.
pub struct NcpTls {
    provider: Arc<CryptoProvider>,
    files: TlsFiles,
    certificate: Arc<SwappableCertificate>,
    verifier: Arc<SwappableVerifier>,
}

impl NcpTls {
    /// Reads every file; any fault is an error (the listener does not start half-configured).
    pub fn load(files: TlsFiles) -> anyhow::Result<NcpTls> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = certified_key(&files, &provider)?;
        let verifier = client_verifier(&files, &provider)?;
        Ok(NcpTls {
            provider,
            files,
            certificate: Arc::new(SwappableCertificate(RwLock::new(key))),
            verifier: Arc::new(SwappableVerifier(RwLock::new(verifier))),
        })
    }

    /// The rustls configuration of the listener: TLS 1.2+, client certificates required.
    pub fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(self.verifier.clone())
            .with_cert_resolver(self.certificate.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// Reads the files again and swaps in what they hold. On any fault nothing changes: the
    /// listener goes on with what it had, and the error says why.
    pub fn reload(&self) -> anyhow::Result<()> {
        let key = certified_key(&self.files, &self.provider)?;
        let verifier = client_verifier(&self.files, &self.provider)?;
        *self
            .certificate
            .0
            .write()
            .unwrap_or_else(|e| e.into_inner()) = key;
        *self.verifier.0.write().unwrap_or_else(|e| e.into_inner()) = verifier;
        Ok(())
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }
}

fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain = CertificateDer::pem_file_iter(&files.server_cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            anyhow::anyhow!("ncp.server_cert_file {}: {e}", files.server_cert.display())
        })?;
    if chain.is_empty() {
        anyhow::bail!(
            "ncp.server_cert_file {}: no certificate in it",
            files.server_cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&files.server_key)
        .map_err(|e| anyhow::anyhow!("ncp.server_key_file {}: {e}", files.server_key.display()))?;
    let certified = CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        anyhow::anyhow!("ncp.server_key_file does not fit ncp.server_cert_file: {e}")
    })?;
    Ok(Arc::new(certified))
}

fn client_verifier(
    files: &TlsFiles,
    provider: &Arc<CryptoProvider>,
) -> anyhow::Result<Arc<dyn ClientCertVerifier>> {
    let mut roots = RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(&files.client_ca)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("ncp.client_ca_file {}: {e}", files.client_ca.display()))?;
    let (added, _ignored) = roots.add_parsable_certificates(cas);
    if added == 0 {
        anyhow::bail!(
            "ncp.client_ca_file {}: no usable CA certificate in it",
            files.client_ca.display()
        );
    }
    let mut crls = Vec::new();
    for path in &files.crls {
        let list = CertificateRevocationListDer::pem_file_iter(path)
            .and_then(|items| items.collect::<Result<Vec<_>, _>>())
            .map_err(|e| anyhow::anyhow!("ncp.crl_files {}: {e}", path.display()))?;
        if list.is_empty() {
            anyhow::bail!("ncp.crl_files {}: no CRL in it", path.display());
        }
        crls.extend(list);
    }
    // Only the client's own certificate is checked against the CRLs: the CAs' CRLs cover the
    // certificates they issued, and an NCP's chain is one CA deep.
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if !crls.is_empty() {
        builder = builder.with_crls(crls).only_check_end_entity_revocation();
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("the NCP client verifier: {e}"))
}

/// The server certificate, swapped whole by a reload.
struct SwappableCertificate(RwLock<Arc<CertifiedKey>>);

impl fmt::Debug for SwappableCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SwappableCertificate")
    }
}

impl ResolvesServerCert for SwappableCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// The client verifier (trust store and CRLs), swapped whole by a reload.
struct SwappableVerifier(RwLock<Arc<dyn ClientCertVerifier>>);

impl SwappableVerifier {
    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl fmt::Debug for SwappableVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SwappableVerifier")
    }
}

impl ClientCertVerifier for SwappableVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// No CA names are sent (an empty list means "any", RFC 5246 §7.4.4, RFC 8446 §4.2.4):
    /// the list could not follow a reload of the trust store, and an NCP has one certificate.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.current()
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.current().supported_verify_schemes()
    }
}
