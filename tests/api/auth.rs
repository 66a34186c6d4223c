//! The resource server's token checks (R9) and what a token reaches (R6).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{
    AUDIENCE, IDP, assert_outcome, ids, patient_token, read_fhir, spawn_app, spawn_with,
    test_settings, user_token,
};
use crate::support::data;
use crate::support::idp::TestIdp;

fn claims(patient: &str) -> Value {
    IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(patient))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A 401 with an OperationOutcome and the RFC 6750 challenge.
async fn assert_rejected(
    app: &crate::support::app::TestApp,
    token: Option<&str>,
    error: Option<&str>,
) {
    let response = app
        .get(&format!("/Patient/{}", data::NO_ADULT), token)
        .await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("401 carries WWW-Authenticate");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    match error {
        Some(code) => assert!(
            challenge.contains(&format!("error=\"{code}\"")),
            "{challenge}"
        ),
        None => assert!(!challenge.contains("error="), "{challenge}"),
    }
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 401, "login");
}

#[actix_web::test]
async fn a_request_without_a_valid_token_is_401() {
    let app = spawn_app().await;
    assert_rejected(&app, None, None).await;
    let response = app
        .client
        .get(app.url(&format!("/Patient/{}", data::NO_ADULT)))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 401, "login");
    assert_rejected(&app, Some("not.a.jwt"), Some("invalid_token")).await;
    assert_rejected(&app, Some("garbage"), Some("invalid_token")).await;
}

#[actix_web::test]
async fn the_r9_token_attacks_are_refused() {
    let app = spawn_app().await;
    let patient = data::NO_ADULT;
    let with = |key: &str, value: Value| {
        let mut c = claims(patient);
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = claims(patient);
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "signature by another key",
            IDP.token_signed_by_stranger(claims(patient)),
        ),
        ("alg none", IDP.token_alg_none(claims(patient))),
        (
            "HS256 keyed with the public key",
            IDP.token_hs256_with_public_key(claims(patient)),
        ),
        (
            "unknown kid",
            IDP.token_with("ES256", Some("no-such-kid"), claims(patient)),
        ),
        (
            "unknown issuer",
            IDP.token(with("iss", json!("https://evil.example"))),
        ),
        (
            "wrong audience",
            IDP.token(with("aud", json!("https://other.example/fhir"))),
        ),
        ("expired", IDP.token(with("exp", json!(now() - 120)))),
        ("not yet valid", IDP.token(with("nbf", json!(now() + 600)))),
        ("missing exp", IDP.token(without("exp"))),
        ("missing sub", IDP.token(without("sub"))),
        ("missing scope", IDP.token(without("scope"))),
        ("missing aud", IDP.token(without("aud"))),
        ("patient scopes without a patient or a user", {
            let mut c = without("patient");
            c.as_object_mut().unwrap().remove("pid");
            IDP.token(c)
        }),
        // F1: a patient claim alone does not make anyone the patient.
        (
            "patient scopes with a patient and no user",
            IDP.token(without("pid")),
        ),
        (
            "a fhirUser of another patient than the national identifier",
            IDP.token(with(
                "fhirUser",
                json!(format!("Patient/{}", data::NO_POLYPHARMACY)),
            )),
        ),
        (
            "patient claim that is no Patient id",
            IDP.token(with("patient", json!("no.p-1.rx-1"))),
        ),
        ("tampered payload", tamper(&IDP.token(claims(patient)))),
    ];
    for (name, token) in cases {
        let response = app.get(&format!("/Patient/{patient}"), Some(&token)).await;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = read_fhir(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_outcome(status, &body, 401, "login");
        assert!(
            challenge
                .as_deref()
                .is_some_and(|c| c.contains("error=\"invalid_token\"")),
            "{name}: {challenge:?}"
        );
    }
}

/// Replaces the payload with a different one, keeping header and signature.
fn tamper(token: &str) -> String {
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
    payload["patient"] = json!(data::SE_ADULT);
    format!(
        "{}.{}.{}",
        parts[0],
        engine.encode(payload.to_string()),
        parts[2]
    )
}

/// A token whose lifetime exceeds the issuer's `max_lifetime_seconds` (from `iat`, or from
/// now without one) is refused as `invalid_token`, however valid otherwise; up to it, and
/// below a lower configured maximum, tokens are served.
#[actix_web::test]
async fn a_token_living_longer_than_the_issuers_maximum_is_401() {
    let app = spawn_app().await;
    let path = format!("/Patient/{}", data::NO_ADULT);
    let with_times = |exp: i64, iat: Option<i64>| {
        let mut c = claims(data::NO_ADULT);
        c["exp"] = json!(exp);
        match iat {
            Some(iat) => c["iat"] = json!(iat),
            None => drop(c.as_object_mut().unwrap().remove("iat")),
        }
        IDP.token(c)
    };
    let now = now();
    for (case, token) in [
        ("a year from iat", with_times(now + 365 * 86400, Some(now))),
        ("two hours from iat", with_times(now + 7200, Some(now))),
        (
            "issued a day ago, a minute left",
            with_times(now + 60, Some(now - 86400)),
        ),
        ("no iat, two hours left", with_times(now + 7200, None)),
    ] {
        let response = app.get(&path, Some(&token)).await;
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{case}: {challenge}"
        );
        let (status, body) = read_fhir(response).await;
        assert_outcome(status, &body, 401, "login");
        assert!(
            body["issue"][0]["diagnostics"]
                .as_str()
                .is_some_and(|d| d.contains("lifetime is longer than this server accepts")),
            "{case}: {body:#}"
        );
    }
    for (case, token) in [
        ("an hour from iat", with_times(now + 3600, Some(now))),
        ("no iat, half an hour left", with_times(now + 1800, None)),
    ] {
        let (status, body) = app.get_json(&path, Some(&token)).await;
        assert_eq!(status, 200, "{case}: {body}");
    }
    // The maximum is the issuer's setting.
    let mut settings = test_settings(&IDP);
    settings.auth.trusted_issuers[0].max_lifetime_seconds = 600;
    let strict = spawn_with(settings).await;
    let (status, body) = strict
        .get_json(&path, Some(&with_times(now + 900, Some(now))))
        .await;
    assert_outcome(status, &body, 401, "login");
    let (status, _) = strict
        .get_json(&path, Some(&with_times(now + 600, Some(now))))
        .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn every_allowed_algorithm_is_accepted() {
    let app = spawn_app().await;
    for alg in ["ES256", "ES384", "RS256", "RS384", "PS256"] {
        let token = IDP.token_with(alg, None, claims(data::NO_ADULT));
        let (status, body) = app
            .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(&token))
            .await;
        assert_eq!(status, 200, "{alg}: {body}");
    }
}

#[actix_web::test]
async fn a_small_clock_skew_is_tolerated() {
    let app = spawn_app().await;
    let mut c = claims(data::NO_ADULT);
    c["exp"] = json!(now() - 5);
    c["nbf"] = json!(now() + 5);
    let (status, _) = app
        .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(&IDP.token(c)))
        .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn a_rotated_key_is_fetched_once_and_a_repeated_token_is_not_verified_again() {
    let idp = TestIdp::start();
    let app = spawn_with(test_settings(&idp)).await;
    let token = idp.token(idp.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT)));
    let path = format!("/Patient/{}", data::NO_ADULT);
    assert_eq!(app.get_json(&path, Some(&token)).await.0, 200);
    let fetches = idp.jwks_fetches();
    assert_eq!(fetches, 1, "the JWKS is fetched once");
    for _ in 0..5 {
        assert_eq!(app.get_json(&path, Some(&token)).await.0, 200);
    }
    assert_eq!(idp.jwks_fetches(), fetches, "cached keys are reused");
    idp.rotate();
    let rotated = idp.token(idp.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT)));
    assert_eq!(
        app.get_json(&path, Some(&rotated)).await.0,
        200,
        "a new kid triggers a refresh"
    );
    assert_eq!(idp.jwks_fetches(), fetches + 1);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hits: f64 = metric(&metrics, "ehds_token_cache_hits");
    assert!(hits >= 5.0, "repeated tokens hit the cache: {hits}");
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing in:\n{text}"))
}

#[actix_web::test]
async fn an_unreachable_issuer_is_503_not_401() {
    let mut settings = test_settings(&IDP);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    settings.auth.trusted_issuers[0].jwks_uri = Some(format!("http://127.0.0.1:{port}/jwks"));
    let app = spawn_with(settings).await;
    let (status, body) = app
        .get_json(
            &format!("/Patient/{}", data::NO_ADULT),
            Some(&patient_token(data::NO_ADULT, "patient/*.rs")),
        )
        .await;
    assert_outcome(status, &body, 503, "transient");
}

/// A discovery document whose `jwks_uri` is on another origin than the issuer is not
/// believed: the keys there are never fetched and the token cannot be checked, which is
/// the issuer's fault, not the client's (503, like any failure to get the issuer's keys).
/// Configured explicitly, a `jwks_uri` elsewhere is the operator's choice and is used.
#[actix_web::test]
async fn discovery_pointing_at_keys_on_another_origin_is_refused() {
    let (issuer, elsewhere) = (TestIdp::start(), TestIdp::start());
    issuer.announce_jwks_uri(Some(elsewhere.jwks_uri()));
    // Signed with the keys of the other origin, claiming the issuer: what an attacker who
    // can change the discovery document would mint.
    let mut claims = elsewhere.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT));
    claims["iss"] = json!(issuer.issuer());
    let token = elsewhere.token(claims);
    let path = format!("/Patient/{}", data::NO_ADULT);

    let app = spawn_with(test_settings(&issuer)).await;
    let (status, body) = app.get_json(&path, Some(&token)).await;
    assert_outcome(status, &body, 503, "transient");
    assert_eq!(
        elsewhere.jwks_fetches(),
        0,
        "the foreign keys are not fetched"
    );
    assert_eq!(issuer.jwks_fetches(), 0);

    let mut settings = test_settings(&issuer);
    settings.auth.trusted_issuers[0].jwks_uri = Some(elsewhere.jwks_uri());
    let configured = spawn_with(settings).await;
    let (status, body) = configured.get_json(&path, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
}

/// A JWKS URL that answers with a redirect is not followed, even to the same host: the
/// token cannot be checked (503) and the redirect's target is never asked.
#[actix_web::test]
async fn a_jwks_url_answering_a_redirect_is_not_followed() {
    let idp = TestIdp::start();
    idp.redirect_jwks(true);
    let app = spawn_with(test_settings(&idp)).await;
    let token = idp.token(idp.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT)));
    let path = format!("/Patient/{}", data::NO_ADULT);
    let (status, body) = app.get_json(&path, Some(&token)).await;
    assert_outcome(status, &body, 503, "transient");
    assert_eq!(idp.jwks_fetches(), 1);
    assert_eq!(idp.moved_jwks_fetches(), 0, "the redirect is not followed");
    // Served directly, the same keys are used (test settings refetch at once).
    idp.redirect_jwks(false);
    let (status, body) = app.get_json(&path, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn a_national_id_claim_gives_the_patient_context() {
    let app = spawn_app().await;
    let citizen = |pid: &str| {
        let mut c = IDP.standard_claims(AUDIENCE, "patient/*.rs", None);
        c["pid"] = json!(pid);
        c["acr"] = json!("http://eidas.europa.eu/LoA/substantial");
        IDP.token(c)
    };
    let bundle = app.fhir_ok("/Patient", &citizen(data::NO_ADULT_FNR)).await;
    assert_eq!(ids(&bundle), vec![data::NO_ADULT.to_owned()]);
    // A valid number nobody has: the login is of nobody the portals know.
    let (status, body) = app
        .get_json("/Patient", Some(&citizen(data::NO_UNKNOWN_FNR)))
        .await;
    assert_outcome(status, &body, 401, "login");
    // A malformed number (R3): 400 invalid, and the number is not echoed.
    for malformed in ["12345678901", "12848801266", "1284880126", "abc"] {
        let (status, body) = app.get_json("/Patient", Some(&citizen(malformed))).await;
        assert_outcome(status, &body, 400, "invalid");
        assert!(!body.to_string().contains(malformed), "{body}");
    }
}

/// R1 at the resource server: a citizen's token from a trusted issuer whose login was below
/// the issuer's minimum assurance (eIDAS substantial by default), or that says nothing of
/// it, is 401; an issuer configured without a minimum is not held to one.
#[actix_web::test]
async fn a_citizen_token_below_the_minimum_assurance_is_401() {
    let app = spawn_app().await;
    let with_acr = |acr: Option<&str>| {
        let mut c = IDP.standard_claims(AUDIENCE, "patient/*.rs", Some(data::NO_ADULT));
        match acr {
            Some(acr) => c["acr"] = json!(acr),
            None => {
                c.as_object_mut().unwrap().remove("acr");
            }
        }
        IDP.token(c)
    };
    let path = format!("/Patient/{}", data::NO_ADULT);
    for acr in [Some("http://eidas.europa.eu/LoA/low"), None, Some("Level4")] {
        let (status, body) = app.get_json(&path, Some(&with_acr(acr))).await;
        assert_outcome(status, &body, 401, "login");
        assert!(
            body["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains("assurance"),
            "{acr:?}: {body}"
        );
    }
    for acr in [
        "http://eidas.europa.eu/LoA/substantial",
        "http://eidas.europa.eu/LoA/high",
    ] {
        app.fhir_ok(&path, &with_acr(Some(acr))).await;
    }
    // A professional's token is not a citizen's login: no acr needed.
    app.fhir_ok(&path, &crate::support::app::user_token("user/*.rs"))
        .await;
    // A country whose minimum is high, in its eID's own words.
    let mut settings = test_settings(&IDP);
    settings.auth.trusted_issuers[0].acr_levels = vec!["loa2".into(), "loa3".into(), "loa4".into()];
    settings.auth.trusted_issuers[0].citizen_min_acr = "loa4".into();
    let strict = spawn_with(settings).await;
    let (status, body) = strict.get_json(&path, Some(&with_acr(Some("loa3")))).await;
    assert_outcome(status, &body, 401, "login");
    strict.fhir_ok(&path, &with_acr(Some("loa4"))).await;
    // An issuer trusted without a minimum.
    let mut settings = test_settings(&IDP);
    settings.auth.trusted_issuers[0].citizen_min_acr = String::new();
    let lenient = spawn_with(settings).await;
    lenient.fhir_ok(&path, &with_acr(None)).await;
}

#[actix_web::test]
async fn a_patient_token_stays_in_its_compartment() {
    let app = spawn_app().await;
    let own = data::NO_ADULT;
    let other = data::SE_ADULT;
    let token = patient_token(own, "patient/*.rs");
    app.fhir_ok(&format!("/Patient/{own}"), &token).await;
    // Reads outside the compartment look exactly like reads of ids that do not exist.
    app.assert_each_refused(
        [
            format!("/Patient/{other}"),
            format!("/MedicationRequest/{}", data::SE_ADULT_PRESCRIPTION),
            "/Patient/no.p-does-not-exist".to_owned(),
        ],
        &token,
        404,
        "not-found",
    )
    .await;
    // Searches that name another patient are refused, whether that patient exists or not.
    app.assert_each_refused(
        [
            format!("/MedicationRequest?patient={other}"),
            "/Immunization?patient=no.p-nobody".to_owned(),
        ],
        &token,
        403,
        "forbidden",
    )
    .await;
    // A Patient search only ever finds the token's own patient.
    assert_eq!(
        ids(&app.fhir_ok("/Patient", &token).await),
        vec![own.to_owned()]
    );
    let (system, value) = data::SE_ADULT_IDENTIFIER;
    let bundle = app
        .fhir_ok(&format!("/Patient?identifier={system}|{value}"), &token)
        .await;
    assert_eq!(bundle["total"], 0);
    // Without a patient parameter a clinical search means the token's own patient.
    let own_meds = app.fhir_ok("/MedicationRequest", &token).await;
    let named = app
        .fhir_ok(&format!("/MedicationRequest?patient={own}"), &token)
        .await;
    assert_eq!(ids(&own_meds), ids(&named));
}

#[actix_web::test]
async fn scopes_limit_types_and_v2_queries_filter() {
    let app = spawn_app().await;
    let patient = data::NO_POLYPHARMACY;
    let immunizations_only = patient_token(patient, "patient/Immunization.rs");
    app.fhir_ok("/Immunization", &immunizations_only).await;
    let response = app
        .get("/MedicationRequest", Some(&immunizations_only))
        .await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    let (status, body) = read_fhir(response).await;
    assert_outcome(status, &body, 403, "forbidden");

    let v1 = patient_token(patient, "launch/patient patient/*.read");
    let all = app.fhir_ok("/MedicationRequest?_count=500", &v1).await;
    let active_only = patient_token(patient, "patient/MedicationRequest.rs?status=active");
    let active = app
        .fhir_ok("/MedicationRequest?_count=500", &active_only)
        .await;
    let all_total = all["total"].as_u64().unwrap();
    let active_total = active["total"].as_u64().unwrap();
    assert!(
        active_total > 0 && active_total < all_total,
        "{active_total} of {all_total}"
    );
    for resource in crate::support::app::matches(&active) {
        assert_eq!(resource["status"], "active");
    }
    // A read of a resource outside the query scope is as if it were not there.
    let inactive = crate::support::app::matches(&all)
        .into_iter()
        .find(|r| r["status"] != "active")
        .unwrap();
    let (status, body) = app
        .get_json(
            &format!("/MedicationRequest/{}", inactive["id"].as_str().unwrap()),
            Some(&active_only),
        )
        .await;
    assert_outcome(status, &body, 404, "not-found");
    // Read-only scopes do not allow search, and the reverse.
    let read_only = patient_token(patient, "patient/MedicationRequest.r");
    let (status, body) = app.get_json("/MedicationRequest", Some(&read_only)).await;
    assert_outcome(status, &body, 403, "forbidden");
    let id = inactive["id"].as_str().unwrap();
    app.fhir_ok(&format!("/MedicationRequest/{id}"), &read_only)
        .await;
}

#[actix_web::test]
async fn user_and_system_tokens_must_name_the_patient_of_a_clinical_search() {
    let app = spawn_app().await;
    for scope in ["user/*.rs", "system/*.rs", "user/*.read"] {
        let token = user_token(scope);
        let (status, body) = app.get_json("/MedicationRequest", Some(&token)).await;
        assert_outcome(status, &body, 400, "invalid");
        assert!(
            body["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains("patient")
        );
        let bundle = app
            .fhir_ok(
                &format!("/MedicationRequest?patient={}", data::SE_ADULT),
                &token,
            )
            .await;
        assert!(bundle["total"].as_u64().unwrap() > 0, "{scope}");
    }
}

/// R2: each country's eID claim name, configured per issuer, carries the national identifier
/// end to end: the token's claim → the country's identifier system → the person → their own
/// Patient resource, with the identifier under that country's system.
#[actix_web::test]
async fn each_country_s_eid_claim_names_the_citizen() {
    let cases = [
        // HelseID (Norway)
        (
            "NO",
            "helseid://claims/identity/pid",
            data::NO_ADULT_FNR,
            data::NO_ADULT,
            "urn:oid:2.16.578.1.12.4.1.4.1",
        ),
        // Swedish OIDC profile (Sweden Connect, BankID brokers)
        (
            "SE",
            "https://id.oidc.se/claim/personalIdentityNumber",
            "198403149803",
            "se.p-se-001",
            "urn:oid:1.2.752.129.2.1.3.1",
        ),
        // A Danish broker's CPR claim (MitID via a broker)
        (
            "DK",
            "dk:gov:saml:attribute:CprNumberIdentifier",
            "1902850204",
            "dk.p-dk-001",
            "urn:oid:1.2.208.176.1.2",
        ),
        // A Finnish broker's HETU claim (Suomi.fi)
        (
            "FI",
            "urn:oid:1.2.246.21",
            "060587-900C",
            "fi.p-fi-001",
            "urn:oid:1.2.246.21",
        ),
    ];
    for (country, claim, number, patient, system) in cases {
        let mut settings = test_settings(&IDP);
        let issuer = &mut settings.auth.trusted_issuers[0];
        issuer.national_id_claim = Some(claim.to_owned());
        issuer.national_id_country = ehds_gateway::national_id::Country::parse(country);
        let app = spawn_with(settings).await;
        let mut claims = IDP.standard_claims(AUDIENCE, "patient/*.rs", None);
        claims[claim] = json!(number);
        claims["acr"] = json!("http://eidas.europa.eu/LoA/high");
        let token = IDP.token(claims);
        let bundle = app.fhir_ok("/Patient", &token).await;
        assert_eq!(ids(&bundle), vec![patient.to_owned()], "{country}");
        let own = app.fhir_ok(&format!("/Patient/{patient}"), &token).await;
        let identifiers = own["identifier"].as_array().unwrap();
        assert!(
            identifiers
                .iter()
                .any(|i| i["system"] == system && i["value"] == number),
            "{country}: {identifiers:?}"
        );
        // Under another claim name the number is not read: no user, no patient context.
        let mut other = IDP.standard_claims(AUDIENCE, "patient/*.rs", None);
        other["pid"] = json!(number);
        let (status, body) = app.get_json("/Patient", Some(&IDP.token(other))).await;
        assert_outcome(status, &body, 401, "login");
    }
}
