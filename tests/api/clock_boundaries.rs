//! The days on which the gateway's answer changes by the date alone: a child's birthday in
//! each country, the release day of a delayed record (R21), and the first and last day of a
//! power of attorney (R32). Each gateway here works on a pinned date (`[clock] fixed_today`),
//! so the answers are those of that day, whatever the machine's date.

use reqwest::StatusCode;
use time::Date;
use time::macros::date;

use crate::support::app::{
    IDP, TestApp, acting_token, assert_outcome, ids, patient_token, spawn_with, test_settings,
};

async fn gateway_on(today: Date) -> TestApp {
    let mut settings = test_settings(&IDP);
    settings.clock.fixed_today = Some(today);
    spawn_with(settings).await
}

/// The day before, the day of and the day after `day`.
fn around(day: Date) -> [Date; 3] {
    [day.previous_day().unwrap(), day, day.next_day().unwrap()]
}

/// Whether `token` may read `path` on a gateway working on `today`: 200, or a 403
/// OperationOutcome (anything else fails the test).
async fn allowed_on(today: Date, path: &str, token: &str) -> bool {
    let app = gateway_on(today).await;
    let (status, body) = app.get_json(path, Some(token)).await;
    if status == StatusCode::OK {
        return true;
    }
    assert_outcome(status, &body, 403, "forbidden");
    false
}

/// What `token` may read at `path` the day before `day`, on `day` and the day after.
async fn on_the_days_around(day: Date, path: &str, token: &str) -> [bool; 3] {
    let mut seen = [false; 3];
    for (answer, date) in seen.iter_mut().zip(around(day)) {
        *answer = allowed_on(date, path, token).await;
    }
    seen
}

#[actix_web::test]
async fn norway_a_parent_s_access_ends_on_the_child_s_sixteenth_birthday() {
    // Nora (no.p-no-005), born 2009-08-20; her mother Kristin (12848801265).
    let mother = acting_token("12848801265", "no.p-no-005");
    assert_eq!(
        on_the_days_around(date!(2025 - 08 - 20), "/Patient/no.p-no-005", &mother).await,
        [true, false, false]
    );
}

#[actix_web::test]
async fn sweden_a_parent_s_access_ends_on_the_child_s_thirteenth_birthday() {
    // se.p-se-005, born 2012-07-30; a guardian with personnummer 198403149803.
    let mother = acting_token("198403149803", "se.p-se-005");
    assert_eq!(
        on_the_days_around(date!(2025 - 07 - 30), "/Patient/se.p-se-005", &mother).await,
        [true, false, false]
    );
}

#[actix_web::test]
async fn denmark_a_parent_s_access_ends_on_the_child_s_fifteenth_birthday() {
    // dk.p-dk-004, born 2012-04-03: the birthday the suite once met on the real calendar.
    let mother = acting_token("1902850204", "dk.p-dk-004");
    assert_eq!(
        on_the_days_around(date!(2027 - 04 - 03), "/Patient/dk.p-dk-004", &mother).await,
        [true, false, false]
    );
}

#[actix_web::test]
async fn finland_a_child_uses_mykanta_from_the_tenth_birthday() {
    // fi.p-fi-004, born 2014-01-25, logging in as themself.
    let child = patient_token("fi.p-fi-004", "patient/*.rs");
    assert_eq!(
        on_the_days_around(date!(2024 - 01 - 25), "/Patient/fi.p-fi-004", &child).await,
        [false, true, true]
    );
}

#[actix_web::test]
async fn a_delayed_record_reaches_the_patient_on_its_release_day() {
    // fi.p-fi-007's prescription rx-fi-0010 is released on 2027-03-01 (R21).
    let patient = patient_token("fi.p-fi-007", "patient/*.rs");
    let mut listed = Vec::new();
    let mut readable = Vec::new();
    for day in around(date!(2027 - 03 - 01)) {
        let app = gateway_on(day).await;
        let own = ids(&app.fhir_ok("/MedicationRequest?_count=100", &patient).await);
        assert!(
            !own.is_empty(),
            "the released prescriptions are listed on {day}"
        );
        listed.push(own.iter().any(|id| id.ends_with("rx-fi-0010")));
        let (status, body) = app
            .get_json("/MedicationRequest/fi.p-fi-007.rx-fi-0010", Some(&patient))
            .await;
        if status != StatusCode::OK {
            assert_outcome(status, &body, 404, "not-found");
        }
        readable.push(status == StatusCode::OK);
    }
    assert_eq!(listed, [false, true, true]);
    assert_eq!(readable, [false, true, true]);
}

#[actix_web::test]
async fn a_power_of_attorney_holds_from_its_first_to_its_last_day() {
    // poa-no-001: p-no-008 (born 1941) gave p-no-009 (25826830673) prescriptions and
    // vaccinations from 2025-09-01 to 2027-08-31.
    let holder = acting_token("25826830673", "no.p-no-008");
    let path = "/MedicationRequest?_count=5";
    let first = on_the_days_around(date!(2025 - 09 - 01), path, &holder).await;
    assert_eq!(first, [false, true, true], "from the first day");
    let last = on_the_days_around(date!(2027 - 08 - 31), path, &holder).await;
    assert_eq!(last, [true, true, false], "to the last day, inclusive");
}

/// Whether `token` finds `id` at `path` on each of the three days around `day`.
async fn found_around(day: Date, path: &str, token: &str, id: &str) -> Vec<bool> {
    let mut found = Vec::new();
    for date in around(day) {
        let app = gateway_on(date).await;
        found.push(ids(&app.fhir_ok(path, token).await).iter().any(|i| i == id));
    }
    found
}

#[actix_web::test]
async fn a_guardian_sees_a_delayed_record_of_the_child_from_its_release_day() {
    // fi.p-fi-003 (7) and her mother Laura (060587-900C); cd-fi-014 released 2027-03-01.
    let mother = acting_token("060587-900C", "fi.p-fi-003");
    let condition = "fi.p-fi-003.cd-fi-014";
    assert_eq!(
        found_around(
            date!(2027 - 03 - 01),
            "/Condition?_count=100",
            &mother,
            condition
        )
        .await,
        [false, true, true]
    );
    // A professional sees it all along.
    let professional = crate::support::app::user_token("user/*.rs");
    assert_eq!(
        found_around(
            date!(2027 - 03 - 01),
            "/Condition?patient=fi.p-fi-003&_count=100",
            &professional,
            condition
        )
        .await,
        [true, true, true]
    );
}

#[actix_web::test]
async fn an_attorney_sees_a_delayed_record_from_its_release_day() {
    // poa-fi-002: fi.p-fi-007 gave Ville (140790-901Y) prescriptions, vaccinations and the
    // patient record; her rx-fi-0010 and cd-fi-008 are released on 2027-03-01.
    let attorney = acting_token("140790-901Y", "fi.p-fi-007");
    for (path, id) in [
        ("/MedicationRequest?_count=100", "fi.p-fi-007.rx-fi-0010"),
        ("/Condition?_count=100", "fi.p-fi-007.cd-fi-008"),
    ] {
        assert_eq!(
            found_around(date!(2027 - 03 - 01), path, &attorney, id).await,
            [false, true, true],
            "{id}"
        );
    }
}
