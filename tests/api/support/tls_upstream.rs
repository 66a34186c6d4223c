//! An upstream behind mutual TLS, for the test of the HTTP source's client identity: a
//! rustls server that requires a client certificate from the test CA
//! (`tests/fixtures/tls/`) and serves `GET /no/v1/health` and `GET /no/v1/persons/{key}`
//! from the embedded Norwegian data. One thread per connection, one request per connection.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ehds_gateway::portal::model::CountryDataSet;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

pub struct TlsUpstream {
    base_url: String,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    served: AtomicUsize,
    refused: AtomicUsize,
}

impl TlsUpstream {
    pub fn start() -> TlsUpstream {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(fixture("ca.pem")).expect("the test CA"))
            .expect("a usable root");
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("a client verifier");
        let chain = CertificateDer::pem_file_iter(fixture("server-cert.pem"))
            .expect("the server certificate")
            .collect::<Result<Vec<_>, _>>()
            .expect("PEM");
        let key = PrivateKeyDer::from_pem_file(fixture("server-key.pem")).expect("the server key");
        let config = Arc::new(
            ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .expect("a server configuration"),
        );
        let data: CountryDataSet =
            serde_json::from_str(include_str!("../../../src/portal/embedded/no.json"))
                .expect("the Norwegian data");
        let persons: Arc<HashMap<String, String>> = Arc::new(
            data.persons
                .iter()
                .map(|p| (p.key.clone(), serde_json::to_string(p).unwrap()))
                .collect(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_url = format!(
            "https://127.0.0.1:{}/no",
            listener.local_addr().unwrap().port()
        );
        let counts = Arc::new(Counts::default());
        let server_counts = counts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, persons, counts) =
                    (config.clone(), persons.clone(), server_counts.clone());
                std::thread::spawn(move || serve(config, stream, &persons, &counts));
            }
        });
        TlsUpstream { base_url, counts }
    }

    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Requests answered over an authenticated connection.
    pub fn served(&self) -> usize {
        self.counts.served.load(Ordering::SeqCst)
    }

    /// Connections whose handshake failed (no or unknown client certificate).
    pub fn refused(&self) -> usize {
        self.counts.refused.load(Ordering::SeqCst)
    }
}

pub fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn serve(
    config: Arc<ServerConfig>,
    stream: TcpStream,
    persons: &HashMap<String, String>,
    counts: &Counts,
) {
    let connection = ServerConnection::new(config).expect("a server connection");
    let mut tls = StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => {
                if tls.conn.peer_certificates().is_none() {
                    counts.refused.fetch_add(1, Ordering::SeqCst);
                }
                return;
            }
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or_default();
    let (status, body) = match path.strip_prefix("/no/v1/") {
        Some("health") => ("200 OK", r#"{"status":"ok"}"#.to_owned()),
        Some(rest) => match rest.strip_prefix("persons/").and_then(|k| persons.get(k)) {
            Some(person) => ("200 OK", person.clone()),
            None => ("404 Not Found", "{}".to_owned()),
        },
        None => ("404 Not Found", "{}".to_owned()),
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    if tls.write_all(answer.as_bytes()).is_ok() {
        counts.served.fetch_add(1, Ordering::SeqCst);
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
