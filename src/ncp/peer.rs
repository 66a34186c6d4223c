//! The NCP at the other end of a connection, from the client certificate it presented in the
//! handshake (which the trust store and CRLs have already accepted).
//!
//! - the certificate's thumbprint, `base64url(SHA-256(DER))`, which a certificate-bound
//!   token's `cnf.x5t#S256` must equal (RFC 8705 §3.1);
//! - the NCP's country: the subject's countryName (C), or else a SAN URI
//!   `urn:ehdsi:ncp:<CC>`;
//! - its name: the subject's organizationName (O), else its commonName (CN).

use std::any::Any;
use std::sync::Arc;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::AttributeTypeAndValue;

/// The SAN URI prefix that names an NCP's country.
pub const NCP_URI_PREFIX: &str = "urn:ehdsi:ncp:";

/// Who is connected, as the certificate says. Attached to every request of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcpPeer {
    /// `base64url(SHA-256(certificate DER))`, the RFC 8705 `x5t#S256`.
    pub thumbprint: String,
    /// ISO 3166-1 alpha-2, upper case; `None` when the certificate names none.
    pub country: Option<String>,
    /// The NCP's name (subject O, else CN).
    pub name: Option<String>,
}

/// The connection's peer: `None` for a connection without a usable client certificate
/// (which the handshake does not let through in the first place).
#[derive(Debug, Clone)]
pub struct ConnectionPeer(pub Option<Arc<NcpPeer>>);

/// `HttpServer::on_connect` hook: reads the client certificate of a TLS connection once and
/// attaches what it says to the connection.
pub fn on_connect(connection: &dyn Any, extensions: &mut Extensions) {
    let peer = connection
        .downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<TcpStream>>()
        .and_then(|tls| tls.get_ref().1.peer_certificates()?.first().cloned())
        .map(|certificate| Arc::new(NcpPeer::from_der(certificate.as_ref())));
    extensions.insert(ConnectionPeer(peer));
}

/// `base64url(SHA-256(der))`.
pub fn thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(der))
}

impl NcpPeer {
    pub fn from_der(der: &[u8]) -> NcpPeer {
        let thumbprint = thumbprint(der);
        let Ok((_, certificate)) = X509Certificate::from_der(der) else {
            return NcpPeer {
                thumbprint,
                country: None,
                name: None,
            };
        };
        let subject = certificate.subject();
        let from_subject = first_text(subject.iter_country()).filter(|c| is_country(c));
        let from_san = || {
            certificate
                .subject_alternative_name()
                .ok()
                .flatten()?
                .value
                .general_names
                .iter()
                .find_map(|name| match name {
                    GeneralName::URI(uri) => uri
                        .strip_prefix(NCP_URI_PREFIX)
                        .map(str::to_ascii_uppercase)
                        .filter(|c| is_country(c)),
                    _ => None,
                })
        };
        let country = from_subject
            .map(|c| c.to_ascii_uppercase())
            .or_else(from_san);
        let name = first_text(subject.iter_organization())
            .or_else(|| first_text(subject.iter_common_name()));
        NcpPeer {
            thumbprint,
            country,
            name,
        }
    }
}

/// The first non-empty text among a name's attributes of one type.
fn first_text<'a, 'b: 'a>(
    mut values: impl Iterator<Item = &'a AttributeTypeAndValue<'b>>,
) -> Option<String> {
    values.find_map(|a| {
        a.as_str()
            .ok()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    fn certificate(subject: &[(DnType, &str)], sans: Vec<SanType>) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        for (kind, value) in subject {
            params.distinguished_name.push(kind.clone(), *value);
        }
        params.subject_alt_names = sans;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn country_and_name_from_the_subject_or_the_san() {
        let subject = certificate(
            &[
                (DnType::CountryName, "de"),
                (DnType::OrganizationName, "NCPeH Germany"),
                (DnType::CommonName, "ncp.example.de"),
            ],
            vec![SanType::URI("urn:ehdsi:ncp:FR".try_into().unwrap())],
        );
        let peer = NcpPeer::from_der(&subject);
        assert_eq!(peer.country.as_deref(), Some("DE"));
        assert_eq!(peer.name.as_deref(), Some("NCPeH Germany"));
        assert_eq!(peer.thumbprint, thumbprint(&subject));
        assert_eq!(peer.thumbprint.len(), 43);

        let san = NcpPeer::from_der(&certificate(
            &[(DnType::CommonName, "NCPeH France")],
            vec![
                SanType::DnsName("ncp.example.fr".try_into().unwrap()),
                SanType::URI("urn:ehdsi:ncp:fr".try_into().unwrap()),
            ],
        ));
        assert_eq!(san.country.as_deref(), Some("FR"));
        assert_eq!(san.name.as_deref(), Some("NCPeH France"));

        for (subject, sans) in [
            (vec![(DnType::CountryName, "DEU")], vec![]),
            (
                vec![(DnType::CommonName, "x")],
                vec![SanType::URI("urn:ehdsi:ncp:F1".try_into().unwrap())],
            ),
            (vec![(DnType::CommonName, "x")], vec![]),
        ] {
            assert_eq!(
                NcpPeer::from_der(&certificate(&subject, sans)).country,
                None
            );
        }
        let garbage = NcpPeer::from_der(b"not a certificate");
        assert_eq!((garbage.country, garbage.name), (None, None));
    }
}
