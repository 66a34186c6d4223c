//! F8: a look-up by identifier answers a restricted party exactly as it answers for an
//! identifier nobody has: one answer, no internal id, no hint that the person exists.

use crate::support::app::{assert_outcome, professional_token, read_fhir, spawn_app};
use crate::support::data;
use crate::support::idp::national_id_of;

const NO_FNR: &str = "urn:oid:2.16.578.1.12.4.1.4.1";
/// Blocked by Silje Ødegård (`no.p-no-014`).
const BLOCKED_HPR: &str = "9171348";

#[actix_web::test]
async fn a_hidden_person_and_an_unknown_identifier_get_the_same_answer_from_summary() {
    let app = spawn_app().await;
    let blocked = professional_token(BLOCKED_HPR, None);
    let silje = national_id_of(data::NO_ODEGARD).unwrap();
    let (hidden_status, hidden) = read_fhir(
        app.get(
            &format!("/Patient/$summary?identifier={NO_FNR}|{silje}"),
            Some(&blocked),
        )
        .await,
    )
    .await;
    assert_outcome(hidden_status, &hidden, 404, "not-found");
    assert!(!hidden.to_string().contains(data::NO_ODEGARD), "{hidden:#}");
    let (unknown_status, unknown) = read_fhir(
        app.get(
            &format!(
                "/Patient/$summary?identifier={NO_FNR}|{}",
                data::NO_UNKNOWN_FNR
            ),
            Some(&blocked),
        )
        .await,
    )
    .await;
    assert_outcome(unknown_status, &unknown, 404, "not-found");
    assert_eq!(hidden["issue"], unknown["issue"], "one answer for both");
    // Another professional gets her summary: the identifier is real.
    let other = professional_token("1234567", None);
    let (status, _) = read_fhir(
        app.get(
            &format!("/Patient/$summary?identifier={NO_FNR}|{silje}"),
            Some(&other),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
}
