//! National identifiers never reach the logs (R40): the real binary, logging at debug level,
//! is asked for people by identifier, and its log is searched for them.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::data;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[actix_web::test]
async fn national_identifiers_do_not_reach_the_log() {
    let binary = env!("CARGO_BIN_EXE_ehds-gateway");
    let dir = std::env::temp_dir().join(format!("ehds-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let env = [
        ("EHDS_SERVER__PORT", port.to_string()),
        ("EHDS_SERVER__WORKERS", "1".to_owned()),
        (
            "EHDS_AUTH__DEV_ISSUER__KEY_FILE",
            dir.join("key.pem").display().to_string(),
        ),
        ("EHDS_TELEMETRY__LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    let mut gateway = Command::new(binary)
        .arg("serve")
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Read the log as it comes, so that a full pipe never stalls the gateway.
    let mut stderr = gateway.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let token = {
        let out = Command::new(binary)
            .args(["dev-token", "--scope", "user/*.rs"])
            .envs(env.iter().cloned())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/metadata")).send().await.is_ok() {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        gateway.kill().unwrap();
        panic!("the gateway does not answer: {}", reader.join().unwrap());
    }
    let fnr = data::NO_ADULT_FNR;
    let wrong = "12848801266";
    for query in [
        format!("Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{fnr}"),
        format!("Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{wrong}"),
        format!("Patient?identifier=urn:oid:1.2.3|{fnr}"),
    ] {
        let response = client
            .get(format!("{base}/{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(response.status().as_u16() < 500);
        let body = response.text().await.unwrap();
        assert!(!body.contains(wrong), "not echoed to the client either");
    }
    let read = client
        .get(format!("{base}/Patient/{}", data::NO_ADULT))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    gateway.kill().unwrap();
    let _ = gateway.wait();
    let log = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
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
