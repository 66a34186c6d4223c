//! The secondary-use opt-out (R29): a Consent of scope `research` that the citizen makes and
//! withdraws, and that a health data access body finds for every patient, without ever
//! reaching anyone's privacy restrictions.

use ehds_gateway::store::Store;
use reqwest::Method;
use serde_json::{Value, json};

use crate::consent::consent;
use crate::consent_write::send;
use crate::support::app::{
    AUDIENCE, IDP, TestApp, assert_outcome, ids, matches, read_fhir, spawn_with, test_settings,
};
use crate::support::data;

const ACCESS_BODY: &str = "hdab-fi";
/// The people who opted out of secondary use in their national portal.
const PORTAL_OPT_OUTS: [&str; 2] = ["dk.p-dk-008", "fi.p-fi-006"];

async fn app_with_store() -> (TestApp, Store) {
    let mut settings = test_settings(&IDP);
    settings.consent.health_data_access_bodies = vec![ACCESS_BODY.into()];
    let store = Store::open(&settings.database).await.unwrap();
    (spawn_with(settings).await, store)
}

fn system_token(client_id: &str, scope: &str) -> String {
    let mut claims = IDP.standard_claims(AUDIENCE, scope, None);
    claims["client_id"] = json!(client_id);
    IDP.token(claims)
}

fn access_body() -> String {
    system_token(ACCESS_BODY, "system/Consent.rs")
}

fn patients_of(bundle: &Value) -> Vec<String> {
    let mut patients: Vec<String> = matches(bundle)
        .iter()
        .map(|c| c["patient"]["reference"].as_str().unwrap().to_owned())
        .collect();
    patients.sort();
    patients
}

#[actix_web::test]
async fn an_access_body_finds_the_active_research_opt_outs_of_every_patient() {
    let (app, store) = app_with_store().await;
    let consents = store.consents();
    let no = consents
        .create(consent(data::NO_ADULT, "research", "active"))
        .await
        .unwrap();
    consents
        .create(consent(data::SE_ADULT, "research", "active"))
        .await
        .unwrap();
    consents
        .create(consent(data::DK_ADULT, "research", "inactive"))
        .await
        .unwrap();
    let privacy = consents
        .create(consent(data::FI_ADULT, "patient-privacy", "active"))
        .await
        .unwrap();

    let bundle = app
        .fhir_ok("/Consent?scope=research&status=active", &access_body())
        .await;
    // The two made here, and the two registered in the portals (F3).
    assert_eq!(bundle["total"], 4);
    assert_eq!(
        patients_of(&bundle),
        [
            format!("Patient/{}", PORTAL_OPT_OUTS[0]),
            format!("Patient/{}", PORTAL_OPT_OUTS[1]),
            format!("Patient/{}", data::NO_ADULT),
            format!("Patient/{}", data::SE_ADULT)
        ]
    );
    // With the scope's system, and without a status: the withdrawn one too.
    let all = app
        .fhir_ok(
            "/Consent?scope=http://terminology.hl7.org/CodeSystem/consentscope|research",
            &access_body(),
        )
        .await;
    assert_eq!(all["total"], 5);

    let (status, read) = read_fhir(
        app.get(&format!("/Consent/{}", no.id), Some(&access_body()))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["id"], no.id.as_str());
    // A privacy restriction is not the access body's to see, not even by id.
    let (status, body) = app
        .get_json(&format!("/Consent/{}", privacy.id), Some(&access_body()))
        .await;
    assert_outcome(status, &body, 404, "not-found");
}

#[actix_web::test]
async fn an_access_body_cannot_search_beyond_the_research_scope() {
    let (app, store) = app_with_store().await;
    store
        .consents()
        .create(consent(data::FI_ADULT, "patient-privacy", "active"))
        .await
        .unwrap();
    app.assert_each_refused(
        &[
            "/Consent",
            "/Consent?status=active",
            "/Consent?scope=patient-privacy",
            "/Consent?scope=research,patient-privacy",
            "/Consent?scope:not=research",
            "/Consent?scope=research&scope=patient-privacy",
        ],
        &access_body(),
        403,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn other_system_clients_and_patient_tokens_do_not_get_the_access_body_s_view() {
    let (app, store) = app_with_store().await;
    let research = store
        .consents()
        .create(consent(data::SE_ADULT, "research", "active"))
        .await
        .unwrap();
    let stranger = system_token("some-other-client", "system/Consent.rs");
    app.assert_each_refused(
        &[
            "/Consent?scope=research".to_owned(),
            format!("/Consent/{}", research.id),
        ],
        &stranger,
        403,
        "forbidden",
    )
    .await;
    // The access body's client id with a patient context is a patient token, held to the
    // patient rules: its own patient's Consents only.
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.rs", Some(data::NO_ADULT));
    claims["client_id"] = json!(ACCESS_BODY);
    let as_patient = IDP.token(claims);
    let bundle = app.fhir_ok("/Consent?scope=research", &as_patient).await;
    assert_eq!(bundle["total"], 0);
    // Without Consent scopes, nothing.
    let (status, body) = app
        .get_json(
            "/Consent?scope=research",
            Some(&system_token(ACCESS_BODY, "system/Patient.rs")),
        )
        .await;
    assert_outcome(status, &body, 403, "forbidden");
}

#[actix_web::test]
async fn the_citizen_opts_out_and_back_in_and_the_access_body_sees_it_at_once() {
    let (app, _store) = app_with_store().await;
    let patient = data::NO_POLYPHARMACY;
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.cruds", Some(patient));
    claims["pid"] = json!(data::NO_POLYPHARMACY_FNR);
    let own = IDP.token(claims);
    let mut opt_out = serde_json::to_value(consent(patient, "research", "active")).unwrap();
    opt_out["resourceType"] = json!("Consent");
    let created = send(&app, Method::POST, "/Consent", &own, Some(&opt_out), None).await;
    let (status, created) = read_fhir(created).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();

    let active = "/Consent?scope=research&status=active";
    let made_here = |bundle: &Value| -> Vec<String> {
        ids(bundle)
            .into_iter()
            .filter(|i| !i.starts_with("portal-"))
            .collect()
    };
    assert_eq!(
        made_here(&app.fhir_ok(active, &access_body()).await),
        [id.as_str()]
    );

    let withdrawn = send(
        &app,
        Method::DELETE,
        &format!("/Consent/{id}"),
        &own,
        None,
        None,
    )
    .await;
    // Withdrawn: no body, and the new version's tag.
    assert_eq!(withdrawn.status(), 204);
    assert_eq!(withdrawn.headers()["etag"], "W/\"2\"");
    let after = app.fhir_ok(active, &access_body()).await;
    assert!(!after.to_string().contains(&id), "{after:#}");
    assert_eq!(
        after["total"],
        PORTAL_OPT_OUTS.len(),
        "the portals' own stay"
    );
    // The withdrawn opt-out stays on record, inactive.
    let (status, read) = read_fhir(
        app.get(&format!("/Consent/{id}"), Some(&access_body()))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["status"], "inactive");
}

/// F3: the opt-outs registered in the national portals reach the access body, as Consents
/// with stable ids and a source marker, in searches and by id.
#[actix_web::test]
async fn the_portals_registered_opt_outs_reach_the_access_body_as_consents() {
    let (app, _store) = app_with_store().await;
    let bundle = app
        .fhir_ok("/Consent?scope=research&status=active", &access_body())
        .await;
    let mirrored: Vec<Value> = matches(&bundle)
        .into_iter()
        .filter(|c| {
            c["meta"]["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("urn:ehds-gateway:portal:"))
        })
        .collect();
    assert_eq!(mirrored.len(), PORTAL_OPT_OUTS.len(), "{bundle:#}");
    for (consent, patient) in mirrored.iter().zip(PORTAL_OPT_OUTS) {
        assert_eq!(
            consent["patient"]["reference"],
            format!("Patient/{patient}")
        );
        assert_eq!(
            consent["id"],
            format!("portal-{patient}-research"),
            "a stable id"
        );
        assert_eq!(consent["meta"]["tag"][0]["code"], "national-portal");
        assert_eq!(consent["provision"]["type"], "deny");
        // And by id, the same resource.
        let read = app
            .fhir_ok(
                &format!("/Consent/{}", consent["id"].as_str().unwrap()),
                &access_body(),
            )
            .await;
        assert_eq!(&read, consent);
    }
    // A patient's own token does not reach another's mirrored opt-out.
    let mut claims = IDP.standard_claims(AUDIENCE, "patient/Consent.rs", Some(data::NO_ADULT));
    claims["pid"] = json!(data::NO_ADULT_FNR);
    let (status, body) = app
        .get_json(
            "/Consent/portal-dk.p-dk-008-research",
            Some(&IDP.token(claims)),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
}
