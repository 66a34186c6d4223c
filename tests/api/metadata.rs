//! `GET /fhir/metadata` (R20): public, valid, and declaring exactly what the server does.

use serde_json::Value;

use crate::support::app::{assert_outcome, patient_token, read_fhir, spawn_app, user_token};
use crate::support::data;

#[actix_web::test]
async fn metadata_is_public_and_a_valid_capability_statement() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/metadata", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["resourceType"], "CapabilityStatement");
    assert_eq!(body["fhirVersion"], "4.0.1");
    assert_eq!(body["kind"], "instance");
    let formats: Vec<&str> = body["format"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(formats.contains(&"application/fhir+json"));
    let rest = &body["rest"][0];
    assert_eq!(rest["mode"], "server");
    assert_eq!(
        rest["security"]["service"][0]["coding"][0]["code"],
        "SMART-on-FHIR"
    );
    let declared = resources(&body);
    let types: Vec<&str> = declared
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    for expected in [
        "Patient",
        "MedicationRequest",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
        "Consent",
        "AuditEvent",
        "Observation",
        "DiagnosticReport",
        "MedicationDispense",
    ] {
        assert!(types.contains(&expected), "{expected} declared");
    }
    // Laboratory results claim the IPS 2.0 and the HL7 Europe laboratory profiles, and say
    // what they can be searched and included by.
    let declared_type = |name: &str| {
        declared
            .iter()
            .find(|r| r["type"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} declared"))
    };
    let observation = declared_type("Observation");
    assert_eq!(
        observation["supportedProfile"],
        serde_json::json!([
            "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-laboratory-pathology-uv-ips",
            "http://hl7.eu/fhir/laboratory/StructureDefinition/Observation-resultslab-eu-lab"
        ])
    );
    let params = |resource: &Value| -> Vec<String> {
        resource["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}:{}",
                    p["name"].as_str().unwrap(),
                    p["type"].as_str().unwrap()
                )
            })
            .collect()
    };
    for expected in [
        "patient:reference",
        "category:token",
        "code:token",
        "date:date",
        "status:token",
        "value-quantity:quantity",
    ] {
        assert!(
            params(&observation).iter().any(|p| p == expected),
            "Observation {expected}"
        );
    }
    let dispense = declared_type("MedicationDispense");
    assert_eq!(
        dispense["supportedProfile"],
        serde_json::json!(["http://hl7.eu/fhir/mpd/StructureDefinition/MedicationDispense-eu-mpd"])
    );
    for expected in [
        "patient:reference",
        "prescription:reference",
        "whenhandedover:date",
    ] {
        assert!(
            params(&dispense).iter().any(|p| p == expected),
            "MedicationDispense {expected}"
        );
    }
    assert!(
        declared_type("MedicationRequest")["supportedProfile"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationRequest-eu-mpd")
    );
    let report = declared_type("DiagnosticReport");
    assert_eq!(
        report["supportedProfile"],
        serde_json::json!([
            "http://hl7.org/fhir/uv/ips/StructureDefinition/DiagnosticReport-uv-ips",
            "http://hl7.eu/fhir/laboratory/StructureDefinition/DiagnosticReport-eu-lab"
        ])
    );
    for expected in [
        "patient:reference",
        "category:token",
        "code:token",
        "date:date",
        "status:token",
        "result:reference",
    ] {
        assert!(
            params(&report).iter().any(|p| p == expected),
            "DiagnosticReport {expected}"
        );
    }
    assert!(
        report["searchInclude"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "DiagnosticReport:result")
    );
    for resource in resources(&body) {
        let interactions: Vec<&str> = resource["interaction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        if resource["type"] == "Consent" {
            assert_eq!(
                interactions,
                ["read", "search-type", "create", "update", "delete"]
            );
        } else {
            assert_eq!(interactions, ["read", "search-type"]);
        }
        // Consent and AuditEvent have no IPS profile: the gateway keeps them itself.
        // MedicationDispense has none either: IPS does not profile it (HL7 Europe MPD does).
        if !["Consent", "AuditEvent", "MedicationDispense"]
            .contains(&resource["type"].as_str().unwrap())
        {
            assert!(
                resource["supportedProfile"][0]
                    .as_str()
                    .unwrap()
                    .contains("/ips/")
            );
        }
    }
}

/// The operations a resource entry declares: (name, definition).
fn operations(resource: &Value) -> Vec<(String, String)> {
    resource["operation"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["definition"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// R20: `$summary` with the IPS OperationDefinition canonical and `$everything` with the R4
/// one, on Patient; no other type declares operations.
#[actix_web::test]
async fn metadata_declares_the_patient_operations() {
    let app = spawn_app().await;
    let (_, body) = app.get_json("/metadata", None).await;
    for resource in resources(&body) {
        let declared = operations(&resource);
        if resource["type"] == "Patient" {
            assert_eq!(
                declared,
                [
                    (
                        "summary".to_owned(),
                        "http://hl7.org/fhir/uv/ips/OperationDefinition/summary".to_owned()
                    ),
                    (
                        "everything".to_owned(),
                        "http://hl7.org/fhir/OperationDefinition/Patient-everything".to_owned()
                    ),
                ]
            );
            for operation in resource["operation"].as_array().unwrap() {
                assert!(operation["documentation"].is_string());
            }
        } else {
            assert!(declared.is_empty(), "{}", resource["type"]);
        }
    }
}

/// Every declared operation answers on a patient, so the statement cannot declare one that
/// is not routed.
#[actix_web::test]
async fn every_declared_operation_answers() {
    let app = spawn_app().await;
    let (_, capability) = app.get_json("/metadata", None).await;
    let token = patient_token(data::NO_ADULT, "patient/*.rs");
    let mut checked = 0;
    for resource in resources(&capability) {
        let type_name = resource["type"].as_str().unwrap();
        for (name, _) in operations(&resource) {
            let body = app
                .fhir_ok(&format!("/{type_name}/{}/${name}", data::NO_ADULT), &token)
                .await;
            assert_eq!(body["resourceType"], "Bundle", "${name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}

fn resources(capability: &Value) -> Vec<Value> {
    capability["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .clone()
}

/// A syntactically valid value for each parameter type.
fn sample_value(kind: &str) -> &'static str {
    match kind {
        "token" => "x",
        "string" => "x",
        "date" => "ge2000-01-01",
        "reference" => data::NO_ADULT,
        "quantity" => "ge5.4|http://unitsofmeasure.org|mmol/L",
        other => panic!("the server declares a parameter type it was not expected to: {other}"),
    }
}

/// Every declared search parameter is accepted by a search (200), and a parameter that is
/// not declared is refused (400): the statement and the behaviour cannot drift apart.
#[actix_web::test]
async fn every_declared_search_parameter_is_accepted_and_nothing_else() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    // Consents and the access log are shown to the patient they belong to only.
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    let (_, capability) = app.get_json("/metadata", None).await;
    let mut checked = 0;
    for resource in resources(&capability) {
        let type_name = resource["type"].as_str().unwrap();
        let token = if type_name == "Consent" || type_name == "AuditEvent" {
            &own
        } else {
            &professional
        };
        let patient = if type_name == "Patient" {
            String::new()
        } else {
            format!("&patient={}", data::NO_ADULT)
        };
        for param in resource["searchParam"].as_array().unwrap() {
            let name = param["name"].as_str().unwrap();
            let value = sample_value(param["type"].as_str().unwrap());
            let (status, body) = app
                .get_json(
                    &format!("/{type_name}?{name}={value}{patient}"),
                    Some(token),
                )
                .await;
            assert_eq!(status, 200, "{type_name}?{name}: {body:#}");
            checked += 1;
        }
        let (status, body) = app
            .get_json(
                &format!("/{type_name}?undeclared-param=x{patient}"),
                Some(token),
            )
            .await;
        assert_outcome(status, &body, 400, "invalid");
    }
    assert!(checked >= 30, "only {checked} parameters declared");
}

#[actix_web::test]
async fn metadata_refuses_xml_and_writes_pretty_json_on_request() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/metadata?_format=xml", None).await;
    assert_outcome(status, &body, 406, "not-supported");
    let response = app
        .client
        .get(app.url("/metadata"))
        .header("Accept", "application/fhir+xml")
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 406, "not-supported");
    let pretty = app
        .get("/metadata?_pretty=true", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(pretty.contains("\n  \"resourceType\""), "indented");
    let compact = app
        .get("/metadata?_format=application/fhir%2Bjson", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!compact.contains('\n'));
}

#[actix_web::test]
async fn metadata_is_read_only() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/metadata")).send().await.unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 405, "not-supported");
}

/// R28: the implicit consent policy is stated where a client and an operator look (the
/// CapabilityStatement, the README), and it is what the gateway does: with no Consent a
/// professional is served, and the citizen's deny provision then takes away from it.
#[actix_web::test]
async fn the_implicit_policy_is_stated_and_applied() {
    const STATED: &str = "Implicit consent policy: opt-out";
    let app = spawn_app().await;
    let (_, body) = app.get_json("/metadata", None).await;
    let description = body["description"].as_str().unwrap();
    assert!(description.contains(STATED), "{description}");
    let readme = include_str!("../../README.md");
    assert!(readme.contains(STATED), "the README states the policy");
    // No Consent: the opt-out default permits.
    let patient = crate::support::data::NO_POLYPHARMACY;
    let doctor = crate::support::app::user_token("user/*.rs");
    let search = format!("/MedicationRequest?patient={patient}&_count=0");
    assert_eq!(app.fhir_ok(&search, &doctor).await["total"], 22);
    // A deny provision of the citizen's takes it away.
    let mut claims = crate::support::app::IDP.standard_claims(
        crate::support::app::AUDIENCE,
        "patient/Consent.cud",
        Some(patient),
    );
    claims["acr"] = serde_json::json!("http://eidas.europa.eu/LoA/high");
    let own = crate::support::app::IDP.token(claims);
    let deny = serde_json::json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-23T09:00:00Z",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}
    });
    let created = crate::consent_write::send(
        &app,
        reqwest::Method::POST,
        "/Consent",
        &own,
        Some(&deny),
        None,
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(app.fhir_ok(&search, &doctor).await["total"], 0);
}
