//! The NCP listener (MyHealth@EU): mutual TLS on loopback with certificates made by the
//! tests, certificate-bound tokens with the IUA claims (from the test issuer, and for the
//! services from the listener's own token endpoint, see `ncp_token.rs`), patient identification with
//! demographic cross-checks, the patient summary and ePrescription services, the
//! cross-border opt-out per service (portal register and Consent, and its withdrawal),
//! break-the-glass, and the reload of the server certificate.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::{
    AUDIENCE, IDP, acting_token, assert_outcome, ids, matches, read_fhir, user_token,
};
use crate::support::ncp::{
    Identity, NcpApp, PKI, client_config, ncp_settings, ncp_settings_in, ncp_token, ncp_token_with,
    roots, spawn_ncp, try_connection,
};

const NO_FNR: &str = "urn:oid:2.16.578.1.12.4.1.4.1";
const NO_DNR: &str = "urn:oid:2.16.578.1.12.4.1.4.2";
const SE_PNR: &str = "urn:oid:1.2.752.129.2.1.3.1";
const DK_CPR: &str = "urn:oid:1.2.208.176.1.2";
const FI_HETU: &str = "urn:oid:1.2.246.21";

async fn app() -> NcpApp {
    spawn_ncp(ncp_settings()).await
}

fn germany() -> &'static Identity {
    &PKI.germany
}

// ---- the handshake -------------------------------------------------------------------

#[actix_web::test]
async fn a_client_without_a_certificate_fails_the_handshake() {
    let ncp = app().await;
    let error = try_connection(ncp.ncp_port, client_config(None))
        .await
        .unwrap_err();
    assert!(error.contains("CertificateRequired"), "{error}");
}

#[actix_web::test]
async fn a_certificate_from_an_unknown_ca_fails_the_handshake() {
    let ncp = app().await;
    let error = try_connection(ncp.ncp_port, client_config(Some(&PKI.stranger)))
        .await
        .unwrap_err();
    assert!(error.contains("UnknownCA"), "{error}");
}

#[actix_web::test]
async fn a_revoked_certificate_fails_the_handshake() {
    let ncp = app().await;
    let error = try_connection(ncp.ncp_port, client_config(Some(&PKI.revoked)))
        .await
        .unwrap_err();
    assert!(error.contains("CertificateRevoked"), "{error}");
}

#[actix_web::test]
async fn a_trusted_certificate_completes_the_handshake_with_tls_1_2_and_1_3() {
    let ncp = app().await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots())
        .with_client_auth_cert(vec![germany().der.clone()], germany().key())
        .unwrap();
        config.alpn_protocols.clear();
        let server = try_connection(ncp.ncp_port, config).await.unwrap();
        assert_eq!(server, PKI.server.der, "{version:?}");
    }
}

/// A change to a token's claims.
type ClaimChange = Box<dyn FnOnce(&mut Value)>;

// ---- tokens ----------------------------------------------------------------------------

#[actix_web::test]
async fn a_token_bound_to_another_certificate_or_to_none_is_refused_with_401() {
    let ncp = app().await;
    let path = "/Patient/no.p-no-008/$summary";
    let stolen = ncp_token(&PKI.france);
    let unbound = ncp_token_with(None, |_| {});
    for token in [stolen, unbound] {
        let response = crate::support::ncp::ncp_client(germany())
            .get(ncp.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 401, "login");
    }
    // The very token the French NCP uses on its own connection works there.
    ncp.ok(&PKI.france, path, &ncp_token(&PKI.france)).await;
    // No token at all.
    let (status, body) = ncp.get(germany(), path, "").await;
    assert_outcome(status, &body, 401, "login");
}

#[actix_web::test]
async fn missing_or_malformed_professional_claims_are_refused_with_403() {
    let ncp = app().await;
    let path = "/Patient/no.p-no-008/$summary";
    let changes: Vec<(&str, ClaimChange)> = vec![
        (
            "no purpose of use",
            Box::new(|c| drop(c.as_object_mut().unwrap().remove("purpose_of_use"))),
        ),
        (
            "research purpose",
            Box::new(|c| c["purpose_of_use"] = json!("RESEARCH")),
        ),
        (
            "no role",
            Box::new(|c| drop(c.as_object_mut().unwrap().remove("subject_role"))),
        ),
        ("no name", Box::new(|c| c["subject_name"] = json!(""))),
        (
            "no organisation",
            Box::new(|c| drop(c.as_object_mut().unwrap().remove("subject_organization"))),
        ),
        (
            "no organisation id",
            Box::new(|c| drop(c.as_object_mut().unwrap().remove("subject_organization_id"))),
        ),
        (
            "no home community",
            Box::new(|c| drop(c.as_object_mut().unwrap().remove("home_community_id"))),
        ),
        (
            "home community not an OID",
            Box::new(|c| c["home_community_id"] = json!("germany")),
        ),
        (
            "organisation not text",
            Box::new(|c| c["subject_organization"] = json!(["a", "b"])),
        ),
    ];
    for (name, change) in changes {
        let token = ncp_token_with(Some(germany()), change);
        let (status, body) = ncp.get(germany(), path, &token).await;
        assert_outcome(status, &body, 403, "forbidden");
        assert!(!body.to_string().contains("Arne"), "{name}: {body}");
    }
    let (status, body) = ncp
        .get(&PKI.countryless, path, &ncp_token(&PKI.countryless))
        .await;
    assert_outcome(status, &body, 403, "forbidden");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("country")
    );
}

#[actix_web::test]
async fn only_the_configured_countries_may_call() {
    let mut settings = ncp_settings();
    settings.ncp.countries = vec!["FR".into()];
    let ncp = spawn_ncp(settings).await;
    let path = "/Patient/no.p-no-011/$summary";
    let (status, body) = ncp.get(germany(), path, &ncp_token(germany())).await;
    assert_outcome(status, &body, 403, "forbidden");
    ncp.ok(&PKI.france, path, &ncp_token(&PKI.france)).await;
}

// ---- routes ----------------------------------------------------------------------------

#[actix_web::test]
async fn nothing_but_the_cross_border_services_is_served() {
    let ncp = app().await;
    let token = ncp_token(germany());
    let outside_fhir = ["/healthz", "/metrics", "/auth/authorize"]
        .map(|p| format!("https://127.0.0.1:{}{p}", ncp.ncp_port));
    let in_fhir = [
        "/metadata",
        "/Patient/no.p-no-008",
        "/Patient/no.p-no-008/$everything",
        "/Immunization?patient=no.p-no-008",
        "/Condition?patient=no.p-no-008",
        "/Consent",
        "/MedicationRequest/no.p-no-008.rx-no-0001",
    ]
    .map(str::to_owned);
    for path in in_fhir.iter().chain(&outside_fhir) {
        let (status, body) = ncp.get(germany(), path, &token).await;
        assert_outcome(status, &body, 404, "not-found");
    }
    let response = crate::support::ncp::ncp_client(germany())
        .post(ncp.url("/Patient"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 405, "not-supported");
}

// ---- patient identification (R11) ------------------------------------------------------

#[actix_web::test]
async fn each_country_s_identifier_finds_its_patient_and_a_demographic_mismatch_finds_nobody() {
    let ncp = app().await;
    let token = ncp_token(germany());
    // (system, value, Patient id, birthdate, family, given, gender)
    let people = [
        (
            NO_FNR,
            "22817937784",
            "no.p-no-011",
            "1979-01-22",
            "Solberg",
            "Henrik",
            "male",
        ),
        (
            NO_DNR,
            "44879542127",
            "no.p-no-010",
            "1995-07-04",
            "Kowalski",
            "Piotr",
            "male",
        ),
        (
            SE_PNR,
            "199112019808",
            "se.p-se-012",
            "1991-12-01",
            "Bergqvist",
            "Sofia",
            "female",
        ),
        (
            DK_CPR,
            "1505920403",
            "dk.p-dk-009",
            "1992-05-15",
            "Andersen",
            "Mikkel",
            "male",
        ),
        (
            FI_HETU,
            "210666-901F",
            "fi.p-fi-011",
            "1966-06-21",
            "Salo",
            "Jari",
            "male",
        ),
    ];
    for (system, value, id, birthdate, family, given, gender) in people {
        let identifier = format!("identifier={system}|{value}");
        let bare = ncp
            .ok(germany(), &format!("/Patient?{identifier}"), &token)
            .await;
        assert_eq!(ids(&bare), [id], "{id}");
        let patient = &matches(&bare)[0];
        assert_eq!(patient["birthDate"], birthdate, "{id}");
        let checked = format!(
            "/Patient?{identifier}&birthdate={birthdate}&family={family}&given={given}&gender={gender}"
        );
        assert_eq!(
            ids(&ncp.ok(germany(), &checked, &token).await),
            [id],
            "{id}"
        );
        let other_gender = if gender == "male" { "female" } else { "male" };
        for mismatch in [
            "birthdate=1900-01-01".to_owned(),
            "family=Hansen".to_owned(),
            "given=Nobody".to_owned(),
            format!("gender={other_gender}"),
            format!("birthdate={birthdate}&family=Hansen"),
        ] {
            let bundle = ncp
                .ok(
                    germany(),
                    &format!("/Patient?{identifier}&{mismatch}"),
                    &token,
                )
                .await;
            assert_eq!(bundle["total"], 0, "{id} with {mismatch}");
            assert!(bundle.get("entry").is_none(), "{id} with {mismatch}");
        }
    }
    // An identifier system nobody issues here.
    let (status, body) = ncp
        .get(
            germany(),
            "/Patient?identifier=urn:oid:1.2.276.0.76.4.8|X123456789",
            &token,
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // A number that fails its check digits; no identifier; two; an unsupported parameter.
    for path in [
        format!("/Patient?identifier={NO_FNR}|22817937785"),
        "/Patient?family=Solberg".to_owned(),
        format!("/Patient?identifier={NO_FNR}|22817937784&identifier={SE_PNR}|199112019808"),
        format!("/Patient?identifier={NO_FNR}|22817937784&address=Oslo"),
    ] {
        let (status, body) = ncp.get(germany(), &path, &token).await;
        assert_outcome(status, &body, 400, "invalid");
    }
}

// ---- the services and the opt-out (R14, R15, R27) ----------------------------------------

async fn summary_status(ncp: &NcpApp, patient: &str, token: &str) -> (StatusCode, Value) {
    ncp.get(germany(), &format!("/Patient/{patient}/$summary"), token)
        .await
}

async fn eprescription_status(ncp: &NcpApp, patient: &str, token: &str) -> (StatusCode, Value) {
    ncp.get(
        germany(),
        &format!("/MedicationRequest?patient={patient}&status=active"),
        token,
    )
    .await
}

/// A 403 that says nothing about the patient's data.
fn assert_refused_without_detail(status: StatusCode, body: &Value) {
    assert_outcome(status, body, 403, "forbidden");
    assert_eq!(body["issue"].as_array().unwrap().len(), 1);
    let text = body.to_string();
    for clinical in [
        "Medication",
        "Condition",
        "Allergy",
        "Immunization",
        "Patient/",
    ] {
        assert!(!text.contains(clinical), "{text}");
    }
}

#[actix_web::test]
async fn the_summary_and_active_prescriptions_are_served_to_a_patient_without_opt_out() {
    let ncp = app().await;
    let token = ncp.endpoint_token(germany()).await;
    let patient = "no.p-no-008";
    let document = ncp
        .ok(germany(), &format!("/Patient/{patient}/$summary"), &token)
        .await;
    assert_eq!(document["type"], "document");
    assert_eq!(document["entry"][1]["resource"]["id"], patient);
    assert!(
        document["entry"][0]["fullUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("urn:uuid:"))
    );
    let by_identifier = ncp
        .ok(
            germany(),
            &format!("/Patient/$summary?identifier={NO_FNR}|17854110128"),
            &token,
        )
        .await;
    assert_eq!(by_identifier["entry"][1]["resource"]["id"], patient);

    let active = ncp
        .ok(
            germany(),
            &format!("/MedicationRequest?patient={patient}&status=active"),
            &token,
        )
        .await;
    let listed = ids(&active);
    assert!(!listed.is_empty());
    assert!(matches(&active).iter().all(|r| r["status"] == "active"));
    assert!(
        matches(&active)
            .iter()
            .all(|r| r["id"].as_str().is_some_and(|id| id.starts_with(patient)))
    );
    // The same list a domestic professional gets.
    let domestic = ncp
        .app
        .fhir_ok(
            &format!("/MedicationRequest?patient={patient}&status=active&_count=100"),
            &user_token("user/*.rs"),
        )
        .await;
    assert_eq!(listed, ids(&domestic));
    // fullUrls point at the NCP listener.
    assert!(
        active["entry"][0]["fullUrl"]
            .as_str()
            .unwrap()
            .starts_with(&ncp.ncp_fhir_base)
    );
    // The service is active prescriptions of one patient.
    for path in [
        format!("/MedicationRequest?patient={patient}"),
        format!("/MedicationRequest?patient={patient}&status=completed"),
        "/MedicationRequest?status=active".to_owned(),
        format!("/MedicationRequest?patient={patient}&status=active&code=C09AA05"),
    ] {
        let (status, body) = ncp.get(germany(), &path, &token).await;
        assert_outcome(status, &body, 400, "invalid");
    }
}

#[actix_web::test]
async fn the_portal_s_opt_out_refuses_each_service_on_its_own() {
    let ncp = app().await;
    let token = ncp.endpoint_token(germany()).await;
    // (patient, opted out of the summary, of ePrescription)
    let cases = [
        ("no.p-no-012", true, false),
        ("se.p-se-011", false, true),
        ("dk.p-dk-007", true, true),
        ("dk.p-dk-009", false, false),
    ];
    for (patient, summary_out, eprescription_out) in cases {
        let (status, body) = summary_status(&ncp, patient, &token).await;
        if summary_out {
            assert_refused_without_detail(status, &body);
        } else {
            assert_eq!(status, StatusCode::OK, "{patient}: {body:#}");
        }
        let (status, body) = eprescription_status(&ncp, patient, &token).await;
        if eprescription_out {
            assert_refused_without_detail(status, &body);
        } else {
            assert_eq!(status, StatusCode::OK, "{patient}: {body:#}");
        }
    }
    // The identifier form of the summary is refused the same way.
    let (status, body) = ncp
        .get(
            germany(),
            &format!("/Patient/$summary?identifier={NO_FNR}|05905825404"),
            &token,
        )
        .await;
    assert_refused_without_detail(status, &body);
    // Break-the-glass does not cross an opt-out.
    let emergency = ncp
        .endpoint_token_with(germany(), |c| c["purpose_of_use"] = json!("EMERGENCY"))
        .await;
    let (status, body) = summary_status(&ncp, "dk.p-dk-007", &emergency).await;
    assert_refused_without_detail(status, &body);
    // The patient's own access is untouched.
    let own = ncp
        .app
        .fhir_ok(
            "/Patient/no.p-no-012/$summary",
            &acting_token("05905825404", "no.p-no-012"),
        )
        .await;
    assert_eq!(own["type"], "document");
}

const FI_PATIENT: &str = "fi.p-fi-011";

fn fi_own_token() -> String {
    let mut claims = IDP.standard_claims(
        AUDIENCE,
        "patient/*.rs patient/Consent.cruds",
        Some(FI_PATIENT),
    );
    claims["pid"] = json!("210666-901F");
    IDP.token(claims)
}

fn opt_out(services: &[&str]) -> Value {
    let purpose: Vec<Value> = services
        .iter()
        .map(|s| json!({"system": "urn:ehds-gateway:cross-border-service", "code": s}))
        .collect();
    json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{FI_PATIENT}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "purpose": purpose}
    })
}

#[actix_web::test]
async fn a_consent_opts_out_per_service_and_its_withdrawal_restores_access_at_once() {
    let ncp = app().await;
    let token = ncp.endpoint_token(germany()).await;
    let own = fi_own_token();
    for (services, summary_out, eprescription_out) in [
        (&["patient-summary"][..], true, false),
        (&["e-prescription"][..], false, true),
        (&["patient-summary", "e-prescription"][..], true, true),
    ] {
        assert_eq!(
            summary_status(&ncp, FI_PATIENT, &token).await.0,
            StatusCode::OK
        );
        assert_eq!(
            eprescription_status(&ncp, FI_PATIENT, &token).await.0,
            StatusCode::OK
        );
        let response = ncp
            .app
            .client
            .post(ncp.app.url("/Consent"))
            .bearer_auth(&own)
            .header("Content-Type", "application/fhir+json")
            .body(opt_out(services).to_string())
            .send()
            .await
            .unwrap();
        let (status, created) = read_fhir(response).await;
        assert_eq!(status, StatusCode::CREATED, "{created:#}");
        let id = created["id"].as_str().unwrap().to_owned();

        let (status, body) = summary_status(&ncp, FI_PATIENT, &token).await;
        if summary_out {
            assert_refused_without_detail(status, &body);
        } else {
            assert_eq!(status, StatusCode::OK, "{services:?}");
        }
        let (status, body) = eprescription_status(&ncp, FI_PATIENT, &token).await;
        if eprescription_out {
            assert_refused_without_detail(status, &body);
        } else {
            assert_eq!(status, StatusCode::OK, "{services:?}");
        }
        // The patient's own summary is untouched by the opt-out.
        ncp.app
            .fhir_ok(&format!("/Patient/{FI_PATIENT}/$summary"), &own)
            .await;

        let withdrawn = ncp
            .app
            .client
            .delete(ncp.app.url(&format!("/Consent/{id}")))
            .bearer_auth(&own)
            .send()
            .await
            .unwrap();
        // Withdrawn: no body, and the new version's tag.
        assert_eq!(withdrawn.status(), 204);
        assert_eq!(withdrawn.headers()["etag"], "W/\"2\"");
        // The very next request is served again.
        assert_eq!(
            summary_status(&ncp, FI_PATIENT, &token).await.0,
            StatusCode::OK
        );
        assert_eq!(
            eprescription_status(&ncp, FI_PATIENT, &token).await.0,
            StatusCode::OK
        );
    }
    // A cross-border service the gateway does not know is refused, nothing stored.
    let response = ncp
        .app
        .client
        .post(ncp.app.url("/Consent"))
        .bearer_auth(&own)
        .header("Content-Type", "application/fhir+json")
        .body(opt_out(&["lab-results"]).to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 422, "processing");
}

// ---- restrictions and break-the-glass (R25, R26) -------------------------------------------

#[actix_web::test]
async fn restrictions_bind_an_ncp_silently_and_emergency_breaks_the_glass() {
    let ncp = spawn_ncp(ncp_settings()).await;
    let patient = "no.p-no-008";
    let path = format!("/MedicationRequest?patient={patient}&status=active");
    let treatment = ncp_token(germany());
    let before = ids(&ncp.ok(germany(), &path, &treatment).await);
    assert!(!before.is_empty());
    // The patient writes the restriction at the gateway's FHIR API.
    let consent = json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-01T10:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    });
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cud", Some(patient));
    claims["pid"] = json!("17854110128");
    let own = IDP.token(claims);
    let (status, body) = read_fhir(
        crate::consent_write::send(
            &ncp.app,
            Method::POST,
            "/Consent",
            &own,
            Some(&consent),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body:#}");

    let restricted = ncp.ok(germany(), &path, &treatment).await;
    assert_eq!(restricted["total"], 0);
    assert!(restricted.get("entry").is_none());
    let summary = format!("/Patient/{patient}/$summary");
    let statements = |document: &Value| {
        document["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["resource"]["resourceType"] == "MedicationStatement")
            .count()
    };
    let treated = ncp.ok(germany(), &summary, &treatment).await;
    // No statement, and a section that says it has nothing to list ("unavailable"), not
    // that something was left out ("withheld").
    assert_eq!(statements(&treated), 0);
    let medications = treated["entry"][0]["resource"]["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "10160-0")
        .cloned()
        .expect("the Medication Summary section");
    assert_eq!(
        medications["emptyReason"]["coding"][0]["code"],
        "unavailable"
    );

    let emergency = ncp_token_with(Some(germany()), |c| {
        c["purpose_of_use"] = json!("EMERGENCY")
    });
    assert_eq!(ids(&ncp.ok(germany(), &path, &emergency).await), before);
    let glass_broken = ncp.ok(germany(), &summary, &emergency).await;
    assert!(statements(&glass_broken) > 1);
}

// ---- reload ------------------------------------------------------------------------------

async fn served_certificate(ncp: &NcpApp) -> rustls::pki_types::CertificateDer<'static> {
    try_connection(ncp.ncp_port, client_config(Some(germany())))
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_new_server_certificate_is_taken_on_file_change_and_on_sighup_without_dropping_connections()
 {
    let dir = PKI.dir.join(format!("reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    PKI.write(&dir, &PKI.server);
    let mut settings = ncp_settings_in(&dir);
    settings.ncp.reload_check_seconds = 1;
    let ncp = spawn_ncp(settings).await;
    assert_eq!(served_certificate(&ncp).await, PKI.server.der);

    // A connection opened before the change.
    let open = crate::support::ncp::open_connection(ncp.ncp_port, germany()).await;

    PKI.write(&dir, &PKI.server_renewed);
    let mut renewed = false;
    for _ in 0..100 {
        if served_certificate(&ncp).await == PKI.server_renewed.der {
            renewed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(renewed, "the renewed certificate was not taken");
    // The connection opened before still works.
    let answer = crate::support::ncp::request_on(open).await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

    // SIGHUP: with file checks off, a changed file is taken only on the signal. A handler of
    // this process's own is installed first, so that the signal can never end it.
    let mut settings = ncp_settings_in(&dir);
    settings.ncp.reload_check_seconds = 0;
    let quiet = spawn_ncp(settings).await;
    let mut hangup =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).unwrap();
    assert_eq!(served_certificate(&quiet).await, PKI.server_renewed.der);
    PKI.write(&dir, &PKI.server);
    // The listener that checks the files takes the change; the quiet one, by then, has not.
    let mut taken = false;
    for _ in 0..100 {
        if served_certificate(&ncp).await == PKI.server.der {
            taken = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(taken, "the checking listener took the change");
    assert_eq!(served_certificate(&quiet).await, PKI.server_renewed.der);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    hangup.recv().await;
    let mut reloaded = false;
    for _ in 0..50 {
        if served_certificate(&quiet).await == PKI.server.der {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reloaded, "SIGHUP did not reload the certificate");

    // A broken file changes nothing: the listener goes on with what it has.
    let before = served_certificate(&ncp).await;
    let failed_before = failed_reloads(&ncp).await;
    std::fs::write(dir.join("server-cert.pem"), "not a certificate").unwrap();
    let mut tried = false;
    for _ in 0..100 {
        if failed_reloads(&ncp).await > failed_before {
            tried = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(tried, "the broken file was read and refused");
    assert_eq!(served_certificate(&ncp).await, before);
}

/// The count of NCP certificate reloads that failed, from the gateway's metrics.
async fn failed_reloads(ncp: &NcpApp) -> u64 {
    let text = ncp.app.get_plain("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("ehds_ncp_tls_reloads_total{outcome=\"failed\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

#[actix_web::test]
async fn a_revocation_published_while_running_is_enforced_after_the_crl_reload() {
    let dir = PKI.dir.join(format!("crl-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    PKI.write(&dir, &PKI.server);
    std::fs::copy(PKI.dir.join("crl-before.pem"), dir.join("crl.pem")).unwrap();
    let mut settings = ncp_settings_in(&dir);
    settings.ncp.crl_files = vec![dir.join("crl.pem")];
    settings.ncp.reload_check_seconds = 1;
    let ncp = spawn_ncp(settings).await;
    try_connection(ncp.ncp_port, client_config(Some(&PKI.revoked)))
        .await
        .expect("not revoked yet");

    std::fs::copy(PKI.dir.join("crl.pem"), dir.join("crl.pem")).unwrap();
    let mut refused = None;
    for _ in 0..100 {
        if let Err(error) = try_connection(ncp.ncp_port, client_config(Some(&PKI.revoked))).await {
            refused = Some(error);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let error = refused.expect("the new CRL was not taken");
    assert!(error.contains("CertificateRevoked"), "{error}");
    // Everyone else still gets in.
    try_connection(ncp.ncp_port, client_config(Some(germany())))
        .await
        .unwrap();
}

// ---- the access log (R37) -------------------------------------------------------------------

/// The events of a patient's log in which the German doctor acted.
async fn ncp_events(ncp: &NcpApp, patient: &str) -> Vec<Value> {
    let own = crate::support::app::patient_token(patient, "patient/*.rs");
    ncp.app
        .all_pages(&format!("/AuditEvent?patient={patient}&_count=50"), &own)
        .await
        .iter()
        .flat_map(matches)
        .filter(|event| {
            event["agent"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "Dr. Anna Schmidt")
        })
        .collect()
}

fn agent_named<'a>(event: &'a Value, name: &str) -> &'a Value {
    event["agent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no agent {name}: {event:#}"))
}

fn purposes(event: &Value) -> Vec<String> {
    let doctor = agent_named(event, "Dr. Anna Schmidt");
    doctor["purposeOfUse"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["coding"].as_array().unwrap().iter())
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_patient_sees_each_ncp_access_and_refusal_with_the_professional_country_and_purpose() {
    let ncp = app().await;
    let treatment = ncp.endpoint_token(germany()).await;
    let emergency = ncp
        .endpoint_token_with(germany(), |c| c["purpose_of_use"] = json!("EMERGENCY"))
        .await;
    let patient = "no.p-no-008";
    ncp.ok(
        germany(),
        &format!("/Patient/{patient}/$summary"),
        &treatment,
    )
    .await;
    ncp.ok(
        germany(),
        &format!("/MedicationRequest?patient={patient}&status=active"),
        &emergency,
    )
    .await;

    let events = ncp_events(&ncp, patient).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    for event in &events {
        assert_eq!(event["outcome"], "0", "{event:#}");
        let doctor = agent_named(event, "Dr. Anna Schmidt");
        assert_eq!(doctor["requestor"], true);
        assert_eq!(doctor["role"][1]["text"], "221");
        let organisation = agent_named(event, "Charité Universitätsmedizin Berlin");
        assert_eq!(
            organisation["who"]["identifier"]["value"],
            "urn:oid:1.2.276.0.76.4.8.1"
        );
        let ncp_agent = agent_named(event, "NCPeH Germany");
        assert_eq!(
            ncp_agent["who"]["identifier"]["system"],
            "urn:iso:std:iso:3166"
        );
        assert_eq!(ncp_agent["who"]["identifier"]["value"], "DE");
    }
    // Newest first: the emergency search, then the summary.
    assert_eq!(purposes(&events[0]), ["ETREAT", "BTG"]);
    assert_eq!(purposes(&events[1]), ["TREAT"]);

    // A refusal for the opt-out is in that patient's log too.
    let opted_out = "no.p-no-012";
    let (status, body) = summary_status(&ncp, opted_out, &treatment).await;
    assert_refused_without_detail(status, &body);
    let refused = ncp_events(&ncp, opted_out).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_ne!(refused[0]["outcome"], "0");
    assert_eq!(
        agent_named(&refused[0], "NCPeH Germany")["who"]["identifier"]["value"],
        "DE"
    );
    assert_eq!(purposes(&refused[0]), ["TREAT"]);
}

/// F12: identification is for the cross-border services. Someone who opted out of every one
/// of them is refused as the services refuse, with nothing of their name, address or phone.
#[actix_web::test]
async fn identification_of_a_patient_who_opted_out_of_every_service_is_refused_without_detail() {
    let ncp = app().await;
    let token = ncp.endpoint_token(germany()).await;
    let opted_out_of_all = crate::support::idp::national_id_of("dk.p-dk-007").unwrap();
    let (status, body) = ncp
        .get(
            germany(),
            &format!("/Patient?identifier={DK_CPR}|{opted_out_of_all}"),
            &token,
        )
        .await;
    assert_refused_without_detail(status, &body);
    let text = body.to_string();
    assert!(
        !text.contains("dk.p-dk-007") && !text.contains("address"),
        "{text}"
    );
    // Opted out of one service only: still identified, for the other.
    let summary_only = crate::support::idp::national_id_of("no.p-no-012").unwrap();
    let (status, bundle) = ncp
        .get(
            germany(),
            &format!("/Patient?identifier={NO_FNR}|{summary_only}"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bundle:#}");
    assert_eq!(bundle["total"], 1);
}

// ---- the summary's profile ---------------------------------------------------------------

/// MyHealth@EU is moving to the EU Patient Summary: an NCP that names no profile gets it,
/// unless `[ncp] summary_profile_by_country` says otherwise for its country; any NCP may ask
/// for another with `profile`.
#[actix_web::test]
async fn ncps_get_the_eu_patient_summary_by_default_and_per_country_what_is_configured() {
    const EPS_BUNDLE: &str = "http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps";
    const IPS_BUNDLE: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
    let path = "/Patient/no.p-no-008/$summary";
    let claims = |document: &Value| document["meta"]["profile"].clone();

    let ncp = app().await;
    let german = ncp.ok(germany(), path, &ncp_token(germany())).await;
    assert_eq!(claims(&german), json!([EPS_BUNDLE, IPS_BUNDLE]));
    let asked = ncp
        .ok(
            germany(),
            &format!("{path}?profile={IPS_BUNDLE}"),
            &ncp_token(germany()),
        )
        .await;
    assert_eq!(claims(&asked), json!([IPS_BUNDLE]));

    let mut settings = ncp_settings();
    settings
        .ncp
        .summary_profile_by_country
        .insert("DE".into(), "ips-2.0".into());
    let ncp = spawn_ncp(settings).await;
    let german = ncp.ok(germany(), path, &ncp_token(germany())).await;
    assert_eq!(claims(&german), json!([IPS_BUNDLE]));
    let french = ncp.ok(&PKI.france, path, &ncp_token(&PKI.france)).await;
    assert_eq!(claims(&french), json!([EPS_BUNDLE, IPS_BUNDLE]));
}
