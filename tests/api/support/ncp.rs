//! National Contact Points for the NCP listener's tests: a test PKI made with rcgen (a CA, the
//! server's certificate, NCP client certificates of two countries, one revoked in the CA's
//! CRL, one from a CA the gateway does not trust, one that names no country), a gateway with
//! the NCP listener on, TLS clients that present a certificate, and NCP tokens from the test
//! issuer that are bound to a certificate and carry the IUA claims, or from the listener's own
//! token endpoint (`NcpApp::endpoint_token`), asked with a private_key_jwt assertion.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use ehds_gateway::config::Settings;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
use reqwest::StatusCode;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::support::app::{IDP, read_fhir, spawn_from, test_settings};

/// The audience of NCP tokens (fixed before the port is known).
pub const NCP_AUDIENCE: &str = "https://ncp.ehds-gateway.test/fhir";

/// The NCP registered in `[[ncp.clients]]`; its keys are the test IdP's (so that
/// `IDP.token_with` signs its client assertions).
pub const NCP_CLIENT: &str = "ncp-de";

/// A certificate and its key, as an NCP (or the server) holds them.
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Identity {
    /// `base64url(SHA-256(DER))`, the `x5t#S256` a token bound to it carries.
    pub fn thumbprint(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(self.der.as_ref()))
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

pub struct TestPki {
    pub dir: PathBuf,
    pub ca_pem: String,
    pub server: Identity,
    /// The German NCP: C=DE in the subject.
    pub germany: Identity,
    /// The French NCP: no C, a SAN URI `urn:ehdsi:ncp:FR`.
    pub france: Identity,
    /// Issued by the trusted CA, then revoked in its CRL.
    pub revoked: Identity,
    /// Issued by a CA the gateway does not trust.
    pub stranger: Identity,
    /// Issued by the trusted CA, but naming no country.
    pub countryless: Identity,
    /// A second server certificate of the same CA, for the reload test.
    pub server_renewed: Identity,
}

/// One PKI for the whole test binary; the files live in the run folder of the test process
/// (`support::db`), removed when it exits.
pub static PKI: LazyLock<TestPki> = LazyLock::new(TestPki::generate);

fn key_usages_of_a_ca(params: &mut CertificateParams) {
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
}

fn leaf(
    subject: &[(DnType, &str)],
    sans: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
    serial: u64,
    issuer: &Issuer<'_, &KeyPair>,
) -> Identity {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    for (kind, value) in subject {
        params.distinguished_name.push(kind.clone(), *value);
    }
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.serial_number = Some(SerialNumber::from(serial));
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, issuer).unwrap();
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

impl TestPki {
    fn generate() -> TestPki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "MyHealth@EU Test CA");
        key_usages_of_a_ca(&mut ca_params);
        ca_params.key_identifier_method = KeyIdMethod::Sha256;
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);

        let stranger_key = KeyPair::generate().unwrap();
        let mut stranger_params = CertificateParams::default();
        stranger_params
            .distinguished_name
            .push(DnType::CommonName, "Untrusted CA");
        key_usages_of_a_ca(&mut stranger_params);
        let stranger_issuer = Issuer::from_params(&stranger_params, &stranger_key);

        let server_sans = || {
            vec![
                SanType::IpAddress("127.0.0.1".parse().unwrap()),
                SanType::DnsName("localhost".try_into().unwrap()),
            ]
        };
        let server = leaf(
            &[(DnType::CommonName, "ehds-gateway NCP listener")],
            server_sans(),
            ExtendedKeyUsagePurpose::ServerAuth,
            1,
            &issuer,
        );
        let server_renewed = leaf(
            &[(DnType::CommonName, "ehds-gateway NCP listener (renewed)")],
            server_sans(),
            ExtendedKeyUsagePurpose::ServerAuth,
            2,
            &issuer,
        );
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let germany = leaf(
            &[
                (DnType::CountryName, "DE"),
                (DnType::OrganizationName, "NCPeH Germany"),
                (DnType::CommonName, "ncp.example.de"),
            ],
            vec![],
            client.clone(),
            10,
            &issuer,
        );
        let france = leaf(
            &[(DnType::CommonName, "NCPeH France")],
            vec![SanType::URI("urn:ehdsi:ncp:FR".try_into().unwrap())],
            client.clone(),
            11,
            &issuer,
        );
        let revoked = leaf(
            &[
                (DnType::CountryName, "BE"),
                (DnType::OrganizationName, "NCPeH Belgium (revoked)"),
            ],
            vec![],
            client.clone(),
            12,
            &issuer,
        );
        let countryless = leaf(
            &[(DnType::CommonName, "a client with no country")],
            vec![],
            client.clone(),
            13,
            &issuer,
        );
        let stranger = leaf(
            &[
                (DnType::CountryName, "DE"),
                (DnType::OrganizationName, "NCPeH Germany (forged)"),
            ],
            vec![],
            client,
            14,
            &stranger_issuer,
        );
        let now = OffsetDateTime::now_utc();
        let crl = |number: u64, revoked: &[u64]| {
            CertificateRevocationListParams {
                this_update: now - Duration::hours(1),
                next_update: now + Duration::days(30),
                crl_number: SerialNumber::from(number),
                issuing_distribution_point: None,
                revoked_certs: revoked
                    .iter()
                    .map(|serial| RevokedCertParams {
                        serial_number: SerialNumber::from(*serial),
                        revocation_time: now - Duration::minutes(30),
                        reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                        invalidity_date: None,
                    })
                    .collect(),
                key_identifier_method: KeyIdMethod::Sha256,
            }
            .signed_by(&issuer)
            .unwrap()
            .pem()
            .unwrap()
        };

        let dir = crate::support::db::fresh_path("ncp-pki");
        std::fs::create_dir_all(&dir).unwrap();
        let pki = TestPki {
            dir,
            ca_pem: ca.pem(),
            server,
            germany,
            france,
            revoked,
            stranger,
            countryless,
            server_renewed,
        };
        pki.write(&pki.dir, &pki.server);
        // The CA's CRL revokes serial 12; an earlier one revoked nothing.
        std::fs::write(pki.dir.join("crl.pem"), crl(2, &[12])).unwrap();
        std::fs::write(pki.dir.join("crl-before.pem"), crl(1, &[])).unwrap();
        pki
    }

    /// Writes the CA and a server identity into `dir` (`ca.pem`, `server-cert.pem`,
    /// `server-key.pem`).
    pub fn write(&self, dir: &Path, server: &Identity) {
        std::fs::write(dir.join("ca.pem"), &self.ca_pem).unwrap();
        std::fs::write(dir.join("server-cert.pem"), &server.cert_pem).unwrap();
        std::fs::write(dir.join("server-key.pem"), &server.key_pem).unwrap();
    }
}

/// Test settings with the NCP listener on (random port, the PKI's files in `dir`), trusting
/// the test issuer for NCP tokens.
pub fn ncp_settings_in(dir: &Path) -> Settings {
    let mut settings = test_settings(&IDP);
    let ncp = &mut settings.ncp;
    ncp.enabled = true;
    ncp.port = 0;
    ncp.server_cert_file = dir.join("server-cert.pem");
    ncp.server_key_file = dir.join("server-key.pem");
    ncp.client_ca_file = dir.join("ca.pem");
    ncp.crl_files = vec![PKI.dir.join("crl.pem")];
    ncp.trusted_issuers = vec![
        serde_json::from_value(json!({
            "issuer": IDP.issuer(),
            "audiences": [NCP_AUDIENCE],
        }))
        .unwrap(),
    ];
    ncp.clients = vec![
        serde_json::from_value(json!({
            "client_id": NCP_CLIENT,
            "name": "NCPeH Germany",
            "kind": "confidential-asymmetric",
            "scopes": ["system/*.rs"],
            "jwks": IDP.jwks(),
        }))
        .unwrap(),
    ];
    settings
}

pub fn ncp_settings() -> Settings {
    ncp_settings_in(&PKI.dir)
}

/// A gateway with its NCP listener.
pub struct NcpApp {
    pub app: crate::support::app::TestApp,
    /// `https://127.0.0.1:<port>/fhir`
    pub ncp_fhir_base: String,
    pub ncp_port: u16,
}

pub async fn spawn_ncp(settings: Settings) -> NcpApp {
    let (app, ncp) = spawn_from(settings).await;
    let (ncp_port, ncp_base) = ncp.expect("the NCP listener is on");
    NcpApp {
        app,
        ncp_fhir_base: format!("{ncp_base}/fhir"),
        ncp_port,
    }
}

/// The test CA as a client's trust store.
pub fn roots() -> RootCertStore {
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(PKI.ca_pem.as_bytes()).unwrap())
        .unwrap();
    roots
}

/// The rustls configuration of a client presenting `identity` (or no certificate), trusting
/// the test CA.
pub fn client_config(identity: Option<&Identity>) -> ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots());
    match identity {
        Some(id) => builder
            .with_client_auth_cert(vec![id.der.clone()], id.key())
            .unwrap(),
        None => builder.with_no_client_auth(),
    }
}

/// An HTTP client that presents `identity`.
pub fn ncp_client(identity: &Identity) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(Some(identity)))
        .build()
        .unwrap()
}

type ClientStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// A TLS connection to the NCP listener as `identity`, handshake done, nothing sent yet.
pub async fn open_connection(port: u16, identity: &Identity) -> ClientStream {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(Some(identity))));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap()
}

/// Sends one request on an open connection and returns the answer's text.
pub async fn request_on(mut tls: ClientStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(b"GET /fhir/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Opens a TLS connection to the NCP listener with `config` and sends one request. `Ok` with
/// the server certificate's DER when a response came back, `Err` with the TLS error text
/// when the handshake was refused (in TLS 1.3 the client learns it at its first read).
pub async fn try_connection(
    port: u16,
    config: ClientConfig,
) -> Result<CertificateDer<'static>, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let server_name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector
        .connect(server_name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let server_cert = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    tls.write_all(b"GET /fhir/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    match tls.read_to_end(&mut answer).await {
        Ok(_) if answer.starts_with(b"HTTP/1.1 ") => Ok(server_cert),
        Ok(_) => Err(format!(
            "no HTTP answer: {:?}",
            String::from_utf8_lossy(&answer)
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The IUA claims of a German doctor's treatment request.
pub fn iua_claims() -> Value {
    json!({
        "subject_name": "Dr. Anna Schmidt",
        "subject_role": {"system": "urn:oid:2.16.840.1.113883.2.9.6.2.7", "code": "221", "display": "Medical Doctors"},
        "subject_organization": "Charité Universitätsmedizin Berlin",
        "subject_organization_id": "urn:oid:1.2.276.0.76.4.8.1",
        "purpose_of_use": "TREATMENT",
        "home_community_id": "urn:oid:1.2.276.0.76.3.1.1",
    })
}

/// An NCP token bound to `bound_to`, with the IUA claims changed by `change`.
pub fn ncp_token_with(bound_to: Option<&Identity>, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = IDP.standard_claims(NCP_AUDIENCE, "system/*.rs", None);
    for (name, value) in iua_claims().as_object().unwrap() {
        claims[name] = value.clone();
    }
    if let Some(identity) = bound_to {
        claims["cnf"] = json!({"x5t#S256": identity.thumbprint()});
    }
    change(&mut claims);
    IDP.token(claims)
}

/// A TREATMENT token bound to `identity`.
pub fn ncp_token(identity: &Identity) -> String {
    ncp_token_with(Some(identity), |_| {})
}

impl NcpApp {
    /// The NCP listener's token endpoint (the `aud` of client assertions).
    pub fn token_endpoint(&self) -> String {
        format!(
            "{}/auth/token",
            self.ncp_fhir_base.trim_end_matches("/fhir")
        )
    }

    /// The claims of a good ES384 client assertion of [`NCP_CLIENT`] with the IUA claims,
    /// changed by `change`.
    pub fn assertion_claims(&self, change: impl FnOnce(&mut Value)) -> Value {
        let now = crate::support::authz::now();
        let mut claims = json!({
            "iss": NCP_CLIENT, "sub": NCP_CLIENT, "aud": self.token_endpoint(),
            "iat": now, "exp": now + 60,
            "jti": format!("ncp-{}", crate::support::authz::uuid_like()),
        });
        for (name, value) in iua_claims().as_object().unwrap() {
            claims[name] = value.clone();
        }
        change(&mut claims);
        claims
    }

    /// POSTs `form` to the token endpoint as `identity`: status, headers, JSON body.
    pub async fn post_token(
        &self,
        identity: &Identity,
        form: &[(String, String)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let response = ncp_client(identity)
            .post(self.token_endpoint())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
            .await
            .expect("the NCP listener answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, headers, body)
    }

    /// A token from the listener's own token endpoint, asked over `identity`'s connection
    /// (and so bound to its certificate) with an assertion whose claims `change` alters.
    pub async fn endpoint_token_with(
        &self,
        identity: &Identity,
        change: impl FnOnce(&mut Value),
    ) -> String {
        let assertion = IDP.token_with(
            "ES384",
            Some(crate::support::idp::ES384_KID),
            self.assertion_claims(change),
        );
        let form = crate::support::authz::client_credentials(&assertion, "system/*.rs");
        let (status, _, body) = self.post_token(identity, &form).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A TREATMENT token from the listener's token endpoint, bound to `identity`.
    pub async fn endpoint_token(&self, identity: &Identity) -> String {
        self.endpoint_token_with(identity, |_| {}).await
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.ncp_fhir_base, path)
        }
    }

    /// GET on the NCP listener as `identity` with `token`; the body validated as FHIR.
    pub async fn get(&self, identity: &Identity, path: &str, token: &str) -> (StatusCode, Value) {
        let response = ncp_client(identity)
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the NCP listener answers");
        read_fhir(response).await
    }

    /// A GET that must succeed.
    pub async fn ok(&self, identity: &Identity, path: &str, token: &str) -> Value {
        let (status, body) = self.get(identity, path, token).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body:#}");
        body
    }
}
