//! National identifiers never reach the logs (R40): the real binary, logging JSON at debug
//! level, is asked for people by identifier, in query strings and in paths, and its log is
//! searched for them. The pseudonyms that stand for them are keyed with the configured key.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::support::app::{assert_outcome, read_fhir};
use crate::support::data;

/// The pseudonym key of the logged gateways (32 bytes, base64 in the setting).
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The `ehds-gateway serve` binary with its stderr (the log) read line by line as it comes,
/// so that a full pipe never stalls it, and every file it writes in a folder of its own.
struct LoggedGateway {
    child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
    env: Vec<(String, String)>,
    dir: PathBuf,
    base: String,
}

impl LoggedGateway {
    /// Starts the gateway and waits until it says it listens (its socket is bound then).
    fn start(name: &str) -> LoggedGateway {
        let binary = env!("CARGO_BIN_EXE_ehds-gateway");
        let dir = crate::support::db::fresh_path(name);
        let port = free_port();
        let file = |name: &str| dir.join(name).display().to_string();
        let key = base64::engine::general_purpose::STANDARD.encode(KEY);
        let env: Vec<(String, String)> = [
            ("EHDS_SERVER__PORT", port.to_string()),
            ("EHDS_SERVER__WORKERS", "1".to_owned()),
            (
                "EHDS_DATABASE__URL",
                format!("sqlite://{}", file("gateway.db")),
            ),
            ("EHDS_AUTH__DEV_ISSUER__KEY_FILE", file("dev-issuer.pem")),
            ("EHDS_AUTH__SERVER__KEY_FILE", file("authz.pem")),
            ("EHDS_DEV_EID__KEY_FILE", file("dev-eid.pem")),
            ("EHDS_TELEMETRY__LOG_FORMAT", "json".to_owned()),
            ("EHDS_TELEMETRY__PSEUDONYM_KEY", key),
            ("RUST_LOG", "debug".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut child = Command::new(binary)
            .arg("serve")
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = LoggedGateway {
            child,
            lines,
            log: Vec::new(),
            env,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        gateway.wait_for_line("ehds-gateway listening");
        gateway
    }

    fn wait_for_line(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log.iter().any(|line| line.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.log.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let _ = self.child.kill();
                    panic!("no log line with {needle:?}:\n{}", self.log.join("\n"));
                }
            }
        }
    }

    /// A token of the dev issuer, minted by the binary's `dev-token` command.
    fn token(&self, scope: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_ehds-gateway"))
            .args(["dev-token", "--scope", scope])
            .envs(self.env.iter().cloned())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Stops the gateway and returns its whole log.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        let _ = self.child.wait();
        // The reader ends at the end of the pipe, after the last line the gateway wrote.
        self.log.extend(self.lines.iter());
        let _ = std::fs::remove_dir_all(&self.dir);
        self.log.join("\n")
    }
}

async fn get(path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(path);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[actix_web::test]
async fn national_identifiers_do_not_reach_the_log() {
    let gateway = LoggedGateway::start("logs-query");
    let token = gateway.token("user/*.rs");
    let base = format!("{}/fhir", gateway.base);
    let fnr = data::NO_ADULT_FNR;
    let wrong = "12848801266";
    for (query, expected) in [
        (
            format!("Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{fnr}"),
            200,
        ),
        (
            format!("Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{wrong}"),
            400,
        ),
        (format!("Patient?identifier=urn:oid:1.2.3|{fnr}"), 404),
    ] {
        let response = get(&format!("{base}/{query}"), Some(&token)).await;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, expected, "{query}: {body}");
        let expected_type = if expected == 200 {
            "Bundle"
        } else {
            "OperationOutcome"
        };
        assert_eq!(body["resourceType"], expected_type, "{body}");
        assert!(
            !body.to_string().contains(wrong),
            "not echoed to the client either"
        );
    }
    let read = get(&format!("{base}/Patient/{}", data::NO_ADULT), Some(&token)).await;
    assert_eq!(read.status(), 200);
    let log = gateway.stop();
    assert!(
        log.contains("\"route\""),
        "request spans were logged: {log}"
    );
    assert!(log.lines().count() > 3, "the log is not empty: {log}");
    assert!(!log.contains(fnr), "a national identifier reached the log");
    assert!(
        !log.contains(wrong),
        "a national identifier reached the log"
    );
}

/// Numbers of every country, valid or not, as a client might put them into a path.
const IN_PATHS: [&str; 6] = [
    data::NO_POLYPHARMACY_FNR, // NO fødselsnummer
    "12848801266",             // NO, wrong control digit
    "198403149803",            // SE personnummer
    "2110625629",              // DK CPR-nummer
    "131052-9085",             // FI henkilötunnus
    "01819010001",             // NO, valid but nobody's
];

#[actix_web::test]
async fn a_national_identifier_in_the_path_does_not_reach_the_log() {
    let gateway = LoggedGateway::start("logs-path");
    let token = gateway.token("user/*.rs");
    let base = &gateway.base;
    for number in IN_PATHS {
        // Unauthenticated: refused before anything is looked up, but still logged.
        let (status, body) =
            read_fhir(get(&format!("{base}/fhir/Patient/{number}"), None).await).await;
        assert_outcome(status, &body, 401, "login");
        // Authenticated: no such Patient; the error quotes the id it was given.
        for path in [
            format!("/fhir/Patient/{number}"),
            format!("/fhir/Patient/no.{number}"),
            format!("/fhir/Patient/{number}/$summary"),
        ] {
            let response = get(&format!("{base}{path}"), Some(&token)).await;
            let (status, body) = read_fhir(response).await;
            assert_outcome(status, &body, 404, "not-found");
        }
        // No such resource type, no such endpoint.
        for path in [format!("/fhir/{number}"), format!("/{number}/x")] {
            let (status, body) = read_fhir(get(&format!("{base}{path}"), Some(&token)).await).await;
            assert_outcome(status, &body, 404, "not-found");
        }
        // Percent-escaped digits are the same number.
        let escaped: String = number.bytes().map(|b| format!("%{b:02X}")).collect();
        let response = get(&format!("{base}/fhir/Patient/{escaped}"), Some(&token)).await;
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 404, "not-found");
        // Beside a byte that is no UTF-8.
        let response = get(&format!("{base}/fhir/Patient/%FF{number}"), Some(&token)).await;
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 404, "not-found");
    }
    let log = gateway.stop();
    let spans = log.lines().filter(|l| l.contains("\"path\"")).count();
    assert!(
        spans >= IN_PATHS.len() * 8,
        "the requests were logged: {log}"
    );
    assert!(
        log.contains("the request failed"),
        "the error lines were logged: {log}"
    );
    for number in IN_PATHS {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        for form in [number, digits.as_str()] {
            assert!(
                !log.contains(form),
                "{form} reached the log:\n{}",
                log.lines()
                    .filter(|l| l.contains(form))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// `NO-fnr#` and the first 8 bytes of HMAC-SHA256 under `KEY`, computed here independently.
fn keyed_pseudonym(system: &str, value: &str) -> String {
    use aws_lc_rs::hmac;
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &KEY),
        format!("{system}|{value}").as_bytes(),
    );
    let hex: String = tag.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("NO-fnr#{hex}")
}

#[actix_web::test]
async fn the_logged_pseudonym_is_keyed_with_the_configured_key() {
    use sha2::{Digest, Sha256};
    let gateway = LoggedGateway::start("logs-pseudonym");
    let token = gateway.token("user/*.rs");
    let fnr = data::NO_POLYPHARMACY_FNR;
    let system = "urn:oid:2.16.578.1.12.4.1.4.1";
    let response = get(
        &format!("{}/fhir/Patient/{fnr}", gateway.base),
        Some(&token),
    )
    .await;
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 404, "not-found");
    let log = gateway.stop();
    let expected = format!("/fhir/Patient/{}", keyed_pseudonym(system, fnr));
    assert!(
        log.contains(&format!("\"path\":\"{expected}\"")),
        "the request span's path is {expected}: {log}"
    );
    let digest = Sha256::digest(format!("{system}|{fnr}").as_bytes());
    let unkeyed: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!log.contains(&unkeyed), "no unkeyed hash in the log");
}
