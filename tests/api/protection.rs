//! What the data itself restricts: protected identities (R13) and release delays (R21).

use serde_json::json;

use crate::support::app::{
    AUDIENCE, IDP, assert_outcome, ids, matches, patient_token, spawn_app, user_token,
};
use crate::support::data;

#[actix_web::test]
async fn a_protected_person_s_contact_details_are_shown_to_nobody_but_themself() {
    let app = spawn_app().await;
    let professional = user_token("user/*.rs");
    for patient in [data::NO_PROTECTED, data::SE_PROTECTED, data::FI_PROTECTED] {
        let seen = app
            .fhir_ok(&format!("/Patient/{patient}"), &professional)
            .await;
        assert!(seen.get("address").is_none(), "{patient}");
        assert!(seen.get("telecom").is_none(), "{patient}");
        assert_eq!(
            seen["meta"]["security"][0]["code"], "R",
            "{patient} carries the restricted label"
        );
        // Also through search.
        let found = matches(
            &app.fhir_ok(&format!("/Patient?_id={patient}"), &professional)
                .await,
        );
        assert!(found[0].get("address").is_none());
        // A patient-context token of someone else (a professional's EHR launch) does not see
        // them either.
        let mut launch = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(patient));
        launch.as_object_mut().unwrap().remove("pid");
        launch["fhirUser"] = json!("Practitioner/1234567");
        assert!(
            app.fhir_ok(&format!("/Patient/{patient}"), &IDP.token(launch))
                .await
                .get("address")
                .is_none()
        );
    }
    // The person themself, identified by their national identifier, does.
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_PROTECTED));
    claims["pid"] = json!(data::NO_PROTECTED_FNR);
    let own = app
        .fhir_ok(
            &format!("/Patient/{}", data::NO_PROTECTED),
            &IDP.token(claims),
        )
        .await;
    assert!(own["address"].is_array());
    // An unprotected person's address is there for a professional.
    let ordinary = app
        .fhir_ok(&format!("/Patient/{}", data::NO_ADULT), &professional)
        .await;
    assert!(ordinary["address"].is_array());
    assert!(ordinary["meta"].get("security").is_none());
}

#[actix_web::test]
async fn records_with_a_future_release_date_are_hidden_from_the_patient_r21() {
    let app = spawn_app().await;
    let p = data::FI_RELEASE_DELAY;
    let professional = user_token("user/*.rs");
    let patient = patient_token(p, "patient/*.rs");
    for type_name in ["MedicationRequest", "Immunization", "Condition"] {
        let all = ids(&app
            .fhir_ok(
                &format!("/{type_name}?patient={p}&_count=100"),
                &professional,
            )
            .await);
        let own = app
            .fhir_ok(&format!("/{type_name}?_count=100"), &patient)
            .await;
        let visible = ids(&own);
        assert_eq!(
            visible.len() + 1,
            all.len(),
            "{type_name}: exactly the future one is hidden"
        );
        assert_eq!(
            own["total"].as_u64().unwrap() as usize,
            visible.len(),
            "the total does not count it"
        );
        let hidden: Vec<&String> = all.iter().filter(|id| !visible.contains(id)).collect();
        let (status, body) = app
            .get_json(&format!("/{type_name}/{}", hidden[0]), Some(&patient))
            .await;
        // Not readable either, and the answer is that of an id that does not exist.
        assert_outcome(status, &body, 404, "not-found");
        let (status, _) = app
            .get_json(&format!("/{type_name}/{}", hidden[0]), Some(&professional))
            .await;
        assert_eq!(status, 200);
    }
}
