//! The gateway's SQLite files are readable by its own user only: the folder it creates 0700,
//! the database and its WAL and shared-memory files 0600, also after a write.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use reqwest::Method;
use serde_json::json;

use crate::consent_write::send;
use crate::support::app::{AUDIENCE, IDP, read_fhir, spawn_with, test_settings};
use crate::support::data;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[actix_web::test]
async fn the_sqlite_files_are_private_to_the_gateway_user() {
    let folder = crate::support::db::fresh_path("private");
    let database = folder.join("state").join("gateway.db");
    let mut settings = test_settings(&IDP);
    settings.database.url = format!("sqlite://{}", database.display());
    settings.database.schema = String::new();
    let app = spawn_with(settings).await;

    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cruds", Some(data::NO_ADULT));
    claims["pid"] = json!(data::NO_ADULT_FNR);
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{}", data::NO_ADULT)},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    });
    let response = send(
        &app,
        Method::POST,
        "/Consent",
        &IDP.token(claims),
        Some(&consent),
        None,
    )
    .await;
    let (status, created) = read_fhir(response).await;
    assert_eq!(status, 201, "{created:#}");

    assert_eq!(mode(&folder), 0o700, "the folder the gateway made");
    assert_eq!(
        mode(&folder.join("state")),
        0o700,
        "the folder the gateway made"
    );
    for suffix in ["", "-wal", "-shm"] {
        let file = folder.join("state").join(format!("gateway.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
