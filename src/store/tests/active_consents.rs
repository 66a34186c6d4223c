//! The Consents in force kept between requests: used while every change is heard, forgotten
//! by every write, heard across gateways on PostgreSQL, and not used while the channel is
//! down. The store is changed behind the cache's back (SQL without a notice) to tell a cached
//! answer from one read from the store.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use serde_json::json;

use crate::fhir::resources::Consent;
use crate::store::sql::{Bind, Statement};
use crate::store::tests::{TestDb, on_both_backends, run};
use crate::store::{Backend, Store, consent_listener_name};

fn restriction(patient: &str) -> Consent {
    serde_json::from_value(json!({
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": "2026-11-01",
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Immunization"}]}
    }))
    .unwrap()
}

/// Ends every Consent of the patient in the store without telling anyone: what a change the
/// cache did not hear of looks like.
async fn end_behind_the_cache(store: &Store, patient: &str) {
    store
        .write(vec![Statement::new(
            "UPDATE consents SET status = 'inactive' WHERE patient_id = $1",
            vec![Bind::Text(patient.to_owned())],
        )])
        .await
        .unwrap();
}

async fn active_ids(store: &Store, patient: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .consents()
        .active_for_patient(patient)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids
}

/// Polls `condition` every 20 ms, at most `limit`; true once it holds.
async fn eventually<F, Fut>(limit: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// On PostgreSQL this store hears its own writes' notices too, a moment after the writes
/// return; each empties the patient's entry once more. Waits for `count` of them, so that
/// they cannot empty what the test fills next.
async fn own_notices_heard(store: &Store, count: u64) {
    if matches!(store.backend(), Backend::Sqlite(_)) {
        return;
    }
    let cache = store.active_consents().clone();
    assert!(
        eventually(Duration::from_secs(10), || {
            let cache = cache.clone();
            async move { cache.notices() == count }
        })
        .await,
        "{count} notices heard"
    );
}

/// On PostgreSQL, starts listening and waits until it does (SQLite trusts from the start).
async fn listening(store: &Store) {
    if matches!(store.backend(), Backend::Postgres(_)) {
        assert!(
            !store.active_consents().is_trusted(),
            "not before listening"
        );
        store.listen_for_consent_changes();
    }
    let cache = store.active_consents().clone();
    assert!(
        eventually(Duration::from_secs(10), || {
            let cache = cache.clone();
            async move { cache.is_trusted() }
        })
        .await,
        "the store listens for Consent changes"
    );
}

async fn a_kept_answer_is_used_until_a_write_of_the_patient_forgets_it(store: Store) {
    listening(&store).await;
    let first = store
        .consents()
        .create(restriction("no.p-1"))
        .await
        .unwrap();
    let other = store
        .consents()
        .create(restriction("no.p-2"))
        .await
        .unwrap();
    own_notices_heard(&store, 2).await;
    assert_eq!(active_ids(&store, "no.p-1").await, vec![first.id.clone()]);
    assert_eq!(active_ids(&store, "no.p-2").await, vec![other.id.clone()]);

    end_behind_the_cache(&store, "no.p-1").await;
    end_behind_the_cache(&store, "no.p-2").await;
    // Unheard, the change does not show: the answer comes from memory.
    assert_eq!(active_ids(&store, "no.p-1").await, vec![first.id.clone()]);

    // A write of the patient's Consents, once it returns, has made the store be read again.
    let second = store
        .consents()
        .create(restriction("no.p-1"))
        .await
        .unwrap();
    assert_eq!(active_ids(&store, "no.p-1").await, vec![second.id]);
    // Another patient's entry stays.
    assert_eq!(active_ids(&store, "no.p-2").await, vec![other.id]);
}

on_both_backends!(a_kept_answer_is_used_until_a_write_of_the_patient_forgets_it);

/// Two stores on one PostgreSQL schema are two gateways: a write at one is heard at the
/// other, which then reads the store. The cache's age limit (300 s by default) is far beyond
/// the wait, so only the notice can make the change show.
#[tokio::test]
async fn a_write_at_one_gateway_is_heard_at_another() {
    let db = TestDb::postgres();
    let one = db.open().await;
    let other = db.open().await;
    let outcome = AssertUnwindSafe(heard_at_another(one.clone(), other.clone()))
        .catch_unwind()
        .await;
    one.close().await;
    other.close().await;
    db.remove().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn heard_at_another(one: Store, other: Store) {
    listening(&one).await;
    listening(&other).await;
    assert!(active_ids(&other, "no.p-1").await.is_empty());

    let created = one.consents().create(restriction("no.p-1")).await.unwrap();
    let other_sees = || {
        let other = other.clone();
        let id = created.id.clone();
        async move { active_ids(&other, "no.p-1").await == vec![id] }
    };
    assert!(
        eventually(Duration::from_secs(10), other_sees).await,
        "the other gateway hears of the new Consent"
    );

    // And back: a withdrawal at the other is heard here.
    assert_eq!(active_ids(&one, "no.p-1").await, vec![created.id.clone()]);
    other.consents().withdraw(&created.id, 1).await.unwrap();
    let one_sees = || {
        let one = one.clone();
        async move { active_ids(&one, "no.p-1").await.is_empty() }
    };
    assert!(
        eventually(Duration::from_secs(10), one_sees).await,
        "the withdrawal is heard back"
    );
}

/// The listening connection is killed under the store: from then until it listens again,
/// nothing kept is used, so a change nobody announced shows at once; and once it listens
/// again it starts empty.
#[tokio::test]
async fn a_lost_channel_empties_the_cache_and_the_store_is_read() {
    run(TestDb::postgres(), |store: Store| async move {
        listening(&store).await;
        let created = store
            .consents()
            .create(restriction("no.p-1"))
            .await
            .unwrap();
        own_notices_heard(&store, 1).await;
        assert_eq!(active_ids(&store, "no.p-1").await, vec![created.id.clone()]);
        end_behind_the_cache(&store, "no.p-1").await;
        assert_eq!(
            active_ids(&store, "no.p-1").await,
            vec![created.id.clone()],
            "kept while listening"
        );

        let schema = match store.backend() {
            Backend::Postgres(pool) => {
                let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(pool)
                    .await
                    .unwrap();
                let killed: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1",
                )
                .bind(consent_listener_name(&schema))
                .fetch_all(pool)
                .await
                .unwrap();
                assert_eq!(killed, vec![true], "one listening connection, killed");
                schema
            }
            Backend::Sqlite(_) => unreachable!("a PostgreSQL test"),
        };
        assert!(!schema.is_empty());

        let cache = store.active_consents().clone();
        let lost_and_back = || {
            let cache = cache.clone();
            async move { cache.losses() == 1 && cache.is_trusted() }
        };
        assert!(
            eventually(Duration::from_secs(10), lost_and_back).await,
            "the loss is noticed and the store listens again"
        );
        assert!(
            active_ids(&store, "no.p-1").await.is_empty(),
            "what was kept before the loss is gone"
        );
    })
    .await;
}
