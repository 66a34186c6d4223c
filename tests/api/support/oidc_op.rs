//! A real OpenID Provider for tests: the npm package `oidc-provider` (9.x), run by
//! `tests/oidc-provider/provider.mjs` on 127.0.0.1 at a free port.
//!
//! `OidcOp::start(config)` takes the JSON configuration that `provider.mjs` documents
//! (clients, users with their national ID and `acr`, the national-ID claim's name) and returns
//! once discovery answers; dropping the `OidcOp` kills the node process, which also stops by
//! itself when this test process is gone or after its lifetime. Node and
//! `npm ci` in `tests/oidc-provider` are needed (`scripts/test` installs them).
//!
//! With a `login_hint` naming a user the provider logs that user in at once, so a flow is a
//! chain of redirects that [`follow_redirects`] walks with a cookie-keeping client.

// Each test binary that includes this file uses only some of its helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub struct OidcOp {
    issuer: String,
    child: Child,
}

impl OidcOp {
    /// Starts a provider with `config` (see `tests/oidc-provider/provider.mjs`).
    pub fn start(config: Value) -> OidcOp {
        let dir = node_dir("oidc-provider");
        let mut command = Command::new("node");
        command
            .arg(dir.join("provider.mjs"))
            .arg(config.to_string())
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(test_stderr());
        let mut child = command.spawn().expect("node runs (is Node.js installed?)");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = sender.send(line);
            // Whatever else comes is drained, so that the provider never writes into a
            // closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_default();
        let announced: Value = serde_json::from_str(line.trim()).unwrap_or(Value::Null);
        let Some(issuer) = announced["issuer"].as_str().map(str::to_owned) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the OpenID Provider did not start (said: {line:?}); set TEST_LOG to see why");
        };
        let op = OidcOp { issuer, child };
        op.wait_for_discovery();
        op
    }

    /// `http://127.0.0.1:PORT`
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The provider's discovery document answers 200.
    fn wait_for_discovery(&self) {
        let address = self.issuer.trim_start_matches("http://").to_owned();
        for _ in 0..100 {
            if let Ok(mut stream) = TcpStream::connect(&address) {
                let request = format!(
                    "GET /.well-known/openid-configuration HTTP/1.0\r\nHost: {address}\r\n\r\n"
                );
                let mut answer = String::new();
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut answer).is_ok()
                    && answer.starts_with("HTTP/1.1 200")
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the OpenID Provider at {} does not answer discovery",
            self.issuer
        );
    }
}

impl Drop for OidcOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder of `tests/` holding a node script and its `node_modules`.
pub fn node_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    assert!(
        dir.join("node_modules").is_dir(),
        "run `npm ci` in {} first (scripts/test does)",
        dir.display()
    );
    dir
}

/// Where a child's stderr goes: to the test's stderr with TEST_LOG, else nowhere.
pub fn test_stderr() -> Stdio {
    if std::env::var_os("TEST_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// A PKCE pair: (code_verifier, S256 code_challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(random_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A random value for `state` and `nonce`.
pub fn random_value() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes())
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
    bytes
}

/// A client that keeps cookies and does not follow redirects by itself.
pub fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// GETs `start` and follows redirects (relative ones too) until one leads to a URL that starts
/// with `prefix`, which is returned without being requested (it is usually the relying
/// party's callback). Panics on an answer that is not a redirect, or after 20 hops.
pub async fn follow_redirects(client: &reqwest::Client, start: &str, prefix: &str) -> String {
    let mut url = reqwest::Url::parse(start).expect("an absolute URL");
    for _ in 0..20 {
        if url.as_str().starts_with(prefix) {
            return url.into();
        }
        let response = client.get(url.clone()).send().await.expect("an answer");
        let status = response.status();
        let Some(location) = response.headers().get("location").cloned() else {
            let body = response.text().await.unwrap_or_default();
            panic!("{url} answered {status} without a redirect: {body}");
        };
        url = url
            .join(location.to_str().expect("a readable Location"))
            .expect("a valid Location");
    }
    panic!("more than 20 redirects from {start}");
}

/// The value of a query parameter of `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The payload of a compact JWT, unverified (tests verify signatures separately).
pub fn jwt_payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a compact JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}
