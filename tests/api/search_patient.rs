//! Patient search (R11, R18) and the national identifier checks (R3).

use crate::support::app::{assert_outcome, ids, patient_token, spawn_app, user_token};
use crate::support::data;

#[actix_web::test]
async fn identifier_search_finds_each_country_s_person() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (patient, system, value) in data::ADULTS {
        let bundle = app
            .fhir_ok(&format!("/Patient?identifier={system}|{value}"), &token)
            .await;
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 1);
        assert_eq!(ids(&bundle), vec![patient.to_owned()]);
        assert_eq!(
            bundle["entry"][0]["fullUrl"],
            format!("{}/Patient/{patient}", app.fhir_base)
        );
        assert_eq!(bundle["entry"][0]["search"]["mode"], "match");
    }
    let d_number = app
        .fhir_ok(
            "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.2|44879542127",
            &token,
        )
        .await;
    assert_eq!(ids(&d_number), vec![data::NO_D_NUMBER.to_owned()]);
    let coordination = app
        .fhir_ok(
            &format!(
                "/Patient?identifier=urn:oid:1.2.752.129.2.1.3.3|{}",
                data::SE_COORDINATION_NUMBER
            ),
            &token,
        )
        .await;
    assert_eq!(ids(&coordination), vec![data::SE_COORDINATION.to_owned()]);
    // The same number under the personnummer system is not valid: its day is 60 too high.
    let (status, body) = app
        .get_json(
            &format!(
                "/Patient?identifier=urn:oid:1.2.752.129.2.1.3.1|{}",
                data::SE_COORDINATION_NUMBER
            ),
            Some(&token),
        )
        .await;
    assert_outcome(status, &body, 400, "invalid");
}

#[actix_web::test]
async fn identifier_search_without_a_match_is_an_empty_searchset() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let bundle = app
        .fhir_ok(
            &format!(
                "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|{}",
                data::NO_UNKNOWN_FNR
            ),
            &token,
        )
        .await;
    assert_eq!(bundle["total"], 0);
    assert!(bundle.get("entry").is_none());
}

#[actix_web::test]
async fn an_unknown_identifier_system_is_404_r11() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let (status, body) = app
        .get_json("/Patient?identifier=urn:oid:1.2.3.4|12345", Some(&token))
        .await;
    assert_outcome(status, &body, 404, "not-found");
}

#[actix_web::test]
async fn invalid_national_identifiers_are_400_r3() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    for (system, value) in [
        ("urn:oid:2.16.578.1.12.4.1.4.1", "12848801266"), // NO: wrong control digit
        ("urn:oid:2.16.578.1.12.4.1.4.1", "1284880126"),  // NO: too short
        ("urn:oid:2.16.578.1.12.4.1.4.2", "12848801265"), // NO: an fnr is no D-number
        ("urn:oid:1.2.752.129.2.1.3.1", "198403149804"),  // SE: Luhn
        ("urn:oid:1.2.752.129.2.1.3.1", "198402309803"),  // SE: 30 February
        ("urn:oid:1.2.208.176.1.2", "3102850204"),        // DK: 31 February
        ("urn:oid:1.2.208.176.1.2", "19028502X4"),        // DK: not digits
        ("urn:oid:1.2.246.21", "060587-900D"),            // FI: check character
        ("urn:oid:1.2.246.21", "060587Q900C"),            // FI: century sign
    ] {
        let (status, body) = app
            .get_json(
                &format!("/Patient?identifier={system}|{value}"),
                Some(&token),
            )
            .await;
        assert_outcome(status, &body, 400, "invalid");
        let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(
            !diagnostics.contains(value),
            "the number is not echoed: {diagnostics}"
        );
    }
    // A patient token gets the same check: the identifier is validated before anything else.
    let own = patient_token(data::NO_ADULT, "patient/*.rs");
    let (status, body) = app
        .get_json(
            "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|12848801266",
            Some(&own),
        )
        .await;
    assert_outcome(status, &body, 400, "invalid");
}

#[actix_web::test]
async fn a_danish_cpr_without_modulus_11_is_valid() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    // Every CPR number of the data set fails the old modulus-11 rule on purpose.
    let bundle = app
        .fhir_ok(
            "/Patient?identifier=urn:oid:1.2.208.176.1.2|1902850204",
            &token,
        )
        .await;
    assert_eq!(ids(&bundle), vec![data::DK_ADULT.to_owned()]);
}

#[actix_web::test]
async fn names_match_by_prefix_ignoring_case_and_accents() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let found = ids(&app.fhir_ok("/Patient?family=odegard", &token).await);
    assert_eq!(found, vec![data::NO_ODEGARD.to_owned()]);
    let found = ids(&app.fhir_ok("/Patient?family=ØDEG", &token).await);
    assert_eq!(found, vec![data::NO_ODEGARD.to_owned()]);
    assert!(ids(&app.fhir_ok("/Patient?family:exact=odegard", &token).await).is_empty());
    assert_eq!(
        ids(&app.fhir_ok("/Patient?family:exact=Ødegård", &token).await).len(),
        1
    );
    let haugen = ids(&app.fhir_ok("/Patient?family=haugen", &token).await);
    assert_eq!(haugen.len(), 5, "the Haugen family: {haugen:?}");
    let contains = ids(&app.fhir_ok("/Patient?name:contains=berg", &token).await);
    assert!(
        contains.len() >= 6,
        "Lindberg, Sjöberg, Bergqvist, ...: {contains:?}"
    );
    let given = ids(&app.fhir_ok("/Patient?given=andreas", &token).await);
    assert_eq!(
        given,
        vec!["no.p-no-002".to_owned()],
        "second given names count"
    );
}

#[actix_web::test]
async fn or_and_and_combine_as_r4_says() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let either = ids(&app.fhir_ok("/Patient?family=haugen,lindberg", &token).await);
    assert_eq!(either.len(), 11, "5 Haugen + 6 Lindberg: {either:?}");
    let both = ids(&app
        .fhir_ok("/Patient?family=haugen&gender=female", &token)
        .await);
    assert_eq!(both.len(), 3, "Kristin, Emma, Nora: {both:?}");
    let none = ids(&app
        .fhir_ok("/Patient?family=haugen&family=lindberg", &token)
        .await);
    assert!(none.is_empty());
    let not_male = ids(&app
        .fhir_ok("/Patient?family=haugen&gender:not=male", &token)
        .await);
    assert_eq!(not_male, both);
}

#[actix_web::test]
async fn birthdate_prefixes_select_by_date_range() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let count = |bundle: serde_json::Value| bundle["total"].as_u64().unwrap();
    let all = count(app.fhir_ok("/Patient?_summary=count", &token).await);
    assert!(all >= 44);
    let exact = ids(&app.fhir_ok("/Patient?birthdate=1988-04-12", &token).await);
    assert_eq!(exact, vec![data::NO_ADULT.to_owned()]);
    let in_year = count(
        app.fhir_ok("/Patient?birthdate=1988&_summary=count", &token)
            .await,
    );
    assert!(in_year >= 1);
    let before = count(
        app.fhir_ok("/Patient?birthdate=lt2000-01-01&_summary=count", &token)
            .await,
    );
    let after = count(
        app.fhir_ok("/Patient?birthdate=ge2000-01-01&_summary=count", &token)
            .await,
    );
    assert_eq!(before + after, all, "lt and ge split the population");
    let not = count(
        app.fhir_ok("/Patient?birthdate=ne1988-04-12&_summary=count", &token)
            .await,
    );
    assert_eq!(not, all - 1);
    let window = ids(&app
        .fhir_ok(
            "/Patient?birthdate=gt2021-06-14&birthdate=lt2021-06-16",
            &token,
        )
        .await);
    assert_eq!(window, vec!["no.p-no-003".to_owned()]);
    let starts_after = count(
        app.fhir_ok("/Patient?birthdate=sa2020&_summary=count", &token)
            .await,
    );
    let ends_before = count(
        app.fhir_ok("/Patient?birthdate=eb2021&_summary=count", &token)
            .await,
    );
    let during = count(
        app.fhir_ok("/Patient?birthdate=2020&_summary=count", &token)
            .await,
    );
    assert_eq!(starts_after + ends_before + during, all);
    let le = count(
        app.fhir_ok("/Patient?birthdate=le1988-04-12&_summary=count", &token)
            .await,
    );
    let gt = count(
        app.fhir_ok("/Patient?birthdate=gt1988-04-12&_summary=count", &token)
            .await,
    );
    assert_eq!(le + gt, all);
}

#[actix_web::test]
async fn gender_and_id_are_tokens() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let female = app
        .fhir_ok("/Patient?gender=female&_summary=count", &token)
        .await["total"]
        .as_u64()
        .unwrap();
    let male = app
        .fhir_ok(
            "/Patient?gender=http://hl7.org/fhir/administrative-gender|male&_summary=count",
            &token,
        )
        .await["total"]
        .as_u64()
        .unwrap();
    let all = app.fhir_ok("/Patient?_summary=count", &token).await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(female + male, all);
    let wrong_system = app
        .fhir_ok("/Patient?gender=http://other|male&_summary=count", &token)
        .await;
    assert_eq!(wrong_system["total"], 0);
    let by_id = ids(&app
        .fhir_ok(
            &format!("/Patient?_id={},{}", data::NO_ADULT, data::FI_ADULT),
            &token,
        )
        .await);
    assert_eq!(by_id.len(), 2);
}

#[actix_web::test]
async fn post_search_equals_get_search() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let get = app
        .fhir_ok("/Patient?family=haugen&gender=female", &token)
        .await;
    let (status, post) = app
        .post_form("/Patient/_search", &token, "family=haugen&gender=female")
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&get), ids(&post));
    assert_eq!(get["total"], post["total"]);
    // Query string and body parameters combine.
    let (_, mixed) = app
        .post_form("/Patient/_search?family=haugen", &token, "gender=female")
        .await;
    assert_eq!(ids(&mixed), ids(&get));
}

#[actix_web::test]
async fn lenient_handling_ignores_unknown_parameters() {
    let app = spawn_app().await;
    let token = user_token("user/*.rs");
    let (status, body) = app
        .get_json("/Patient?family=haugen&colour=blue", Some(&token))
        .await;
    assert_outcome(status, &body, 400, "invalid");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let response = app
        .client
        .get(app.url("/Patient?family=haugen&colour=blue"))
        .bearer_auth(&token)
        .header("Prefer", "handling=lenient")
        .send()
        .await
        .unwrap();
    let (status, body) = crate::support::app::read_fhir(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 5);
}
