//! ConsentStore: versions, conflicts, withdrawal, searches, concurrent writers.

use futures_util::future::join_all;
use serde_json::json;

use crate::fhir::resources::Consent;
use crate::store::sql::{Bind, Statement};
use crate::store::tests::on_both_backends;
use crate::store::{CodeFilter, ConsentQuery, DateWindow, Store, StoreError};

const SCOPES: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const LOINC: &str = "http://loinc.org";

fn consent(patient: &str, scope: &str, date: &str) -> Consent {
    serde_json::from_value(json!({
        "status": "active",
        "scope": {"coding": [{"system": SCOPES, "code": scope}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{patient}")},
        "dateTime": date,
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Immunization"}]}
    }))
    .unwrap()
}

fn privacy(patient: &str) -> Consent {
    consent(patient, "patient-privacy", "2025-03-01")
}

async fn create_assigns_an_id_and_version_1_and_read_returns_it(store: Store) {
    let consents = store.consents();
    let created = consents.create(privacy("no.p-1")).await.unwrap();
    assert_eq!(created.id.len(), 32);
    assert!(created.id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created.version, 1);
    assert_eq!(created.consent.id, created.id);
    assert_eq!(created.consent.meta.version_id.as_deref(), Some("1"));
    let stamped = created.consent.meta.last_updated.clone().unwrap();
    assert!(stamped.ends_with('Z') && stamped.contains('.'), "{stamped}");
    let read = consents.read(&created.id).await.unwrap();
    assert_eq!(read, created);
    let other = consents.create(privacy("no.p-1")).await.unwrap();
    assert_ne!(other.id, created.id);
}

async fn an_update_makes_a_new_version_and_the_history_keeps_every_one(store: Store) {
    let consents = store.consents();
    let v1 = consents.create(privacy("no.p-1")).await.unwrap();
    let mut changed = v1.consent.clone();
    changed.provision.as_mut().unwrap().type_ = Some("permit".into());
    let v2 = consents.update(&v1.id, 1, changed).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.consent.meta.version_id.as_deref(), Some("2"));
    assert_eq!(consents.read(&v1.id).await.unwrap(), v2);
    let history = consents.history(&v1.id).await.unwrap();
    assert_eq!(history, vec![v2, v1]);
}

async fn a_write_on_a_stale_version_is_a_conflict_and_changes_nothing(store: Store) {
    let consents = store.consents();
    let v1 = consents.create(privacy("no.p-1")).await.unwrap();
    consents
        .update(&v1.id, 1, v1.consent.clone())
        .await
        .unwrap();
    let stale = consents.update(&v1.id, 1, v1.consent.clone()).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current_version: 2 })),
        "{stale:?}"
    );
    let ahead = consents.update(&v1.id, 7, v1.consent.clone()).await;
    assert!(
        matches!(ahead, Err(StoreError::Conflict { current_version: 2 })),
        "{ahead:?}"
    );
    let withdraw = consents.withdraw(&v1.id, 1).await;
    assert!(matches!(
        withdraw,
        Err(StoreError::Conflict { current_version: 2 })
    ));
    assert_eq!(consents.history(&v1.id).await.unwrap().len(), 2);
    assert_eq!(consents.read(&v1.id).await.unwrap().version, 2);
}

async fn unknown_ids_are_not_found(store: Store) {
    let consents = store.consents();
    let id = "0123456789abcdef0123456789abcdef";
    assert!(matches!(consents.read(id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        consents.history(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        consents.update(id, 1, privacy("no.p-1")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        consents.withdraw(id, 1).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_withdrawal_is_a_new_inactive_version_and_the_history_stays(store: Store) {
    let consents = store.consents();
    let v1 = consents.create(privacy("no.p-1")).await.unwrap();
    assert_eq!(
        consents.active_for_patient("no.p-1").await.unwrap().len(),
        1
    );
    let withdrawn = consents.withdraw(&v1.id, 1).await.unwrap();
    assert_eq!(withdrawn.version, 2);
    assert_eq!(withdrawn.consent.status, "inactive");
    assert_eq!(withdrawn.consent.provision, v1.consent.provision);
    assert!(
        consents
            .active_for_patient("no.p-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        consents.read(&v1.id).await.unwrap().consent.status,
        "inactive"
    );
    let history = consents.history(&v1.id).await.unwrap();
    assert_eq!(history[1], v1);
    assert_eq!(history[1].consent.status, "active");
}

async fn the_database_refuses_deleting_consents_or_changing_history(store: Store) {
    let v1 = store.consents().create(privacy("no.p-1")).await.unwrap();
    let id = || vec![Bind::Text(v1.id.clone())];
    for sql in [
        "DELETE FROM consents WHERE id = $1",
        "DELETE FROM consent_versions WHERE consent_id = $1",
        "UPDATE consent_versions SET status = 'active' WHERE consent_id = $1",
    ] {
        let refused = store.write(vec![Statement::new(sql, id())]).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{sql}: {refused:?}"
        );
    }
    assert_eq!(store.consents().history(&v1.id).await.unwrap(), vec![v1]);
}

async fn searches_filter_by_patient_status_scope_category_and_date(store: Store) {
    let consents = store.consents();
    let a_privacy = consents
        .create(consent("no.p-1", "patient-privacy", "2024-06-01"))
        .await
        .unwrap();
    let a_research = consents
        .create(consent("no.p-1", "research", "2025-02-01T08:00:00Z"))
        .await
        .unwrap();
    let mut other_category = consent("no.p-1", "research", "2025-05-01");
    other_category.category[0].coding[0].code = Some("64292-6".into());
    let a_other = consents.create(other_category).await.unwrap();
    let b_research = consents
        .create(consent("se.p-2", "research", "2025-02-01"))
        .await
        .unwrap();
    consents.withdraw(&a_other.id, 1).await.unwrap();
    let ids = |found: Vec<crate::store::StoredConsent>| {
        let mut ids: Vec<String> = found.into_iter().map(|s| s.id).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let search = |query: ConsentQuery| {
        let consents = consents.clone();
        async move { consents.search(&query).await.unwrap() }
    };

    let of_a = ConsentQuery {
        patient: Some("no.p-1".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(search(of_a.clone()).await),
        sorted(vec![
            a_privacy.id.clone(),
            a_research.id.clone(),
            a_other.id.clone()
        ])
    );
    assert_eq!(consents.count(&of_a).await.unwrap(), 3);
    let active_research = ConsentQuery {
        status: vec!["active".into()],
        scope: Some(CodeFilter::code("research")),
        ..Default::default()
    };
    assert_eq!(
        ids(search(active_research.clone()).await),
        sorted(vec![a_research.id.clone(), b_research.id.clone()])
    );
    let with_system = ConsentQuery {
        scope: Some(CodeFilter {
            system: Some(SCOPES.into()),
            code: "research".into(),
        }),
        ..active_research.clone()
    };
    assert_eq!(search(with_system).await.len(), 2);
    let wrong_system = ConsentQuery {
        scope: Some(CodeFilter {
            system: Some(LOINC.into()),
            code: "research".into(),
        }),
        ..Default::default()
    };
    assert!(search(wrong_system).await.is_empty());
    let either_status = ConsentQuery {
        patient: Some("no.p-1".into()),
        status: vec!["inactive".into(), "draft".into()],
        ..Default::default()
    };
    assert_eq!(ids(search(either_status).await), vec![a_other.id.clone()]);
    let by_category = ConsentQuery {
        category: Some(CodeFilter::code("64292-6")),
        ..Default::default()
    };
    assert_eq!(ids(search(by_category).await), vec![a_other.id.clone()]);
    let category_with_system = ConsentQuery {
        category: Some(CodeFilter {
            system: Some(LOINC.into()),
            code: "59284-0".into(),
        }),
        ..Default::default()
    };
    assert_eq!(search(category_with_system).await.len(), 3);
    // 2025: from 2025-01-01 to before 2026-01-01 (UTC), in milliseconds.
    let in_2025 = ConsentQuery {
        date: Some(DateWindow {
            from_ms: Some(1_735_689_600_000),
            before_ms: Some(1_767_225_600_000),
        }),
        ..Default::default()
    };
    assert_eq!(
        ids(search(in_2025.clone()).await),
        sorted(vec![
            a_research.id.clone(),
            a_other.id.clone(),
            b_research.id.clone()
        ])
    );
    let before_2025 = ConsentQuery {
        date: Some(DateWindow {
            from_ms: None,
            before_ms: Some(1_735_689_600_000),
        }),
        ..Default::default()
    };
    assert_eq!(ids(search(before_2025).await), vec![a_privacy.id.clone()]);
    // Newest first, paged.
    let all = search(ConsentQuery::default()).await;
    assert_eq!(all.len(), 4);
    assert!(
        all.windows(2)
            .all(|w| w[0].last_updated >= w[1].last_updated)
    );
    let second_page = search(ConsentQuery {
        limit: Some(2),
        offset: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(second_page, all[2..].to_vec());
    assert_eq!(
        consents
            .count(&ConsentQuery {
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap(),
        4
    );
}

async fn active_for_patient_gives_every_active_scope_of_that_patient_only(store: Store) {
    let consents = store.consents();
    let privacy = consents
        .create(consent("no.p-1", "patient-privacy", "2025-01-01"))
        .await
        .unwrap();
    let research = consents
        .create(consent("no.p-1", "research", "2025-01-01"))
        .await
        .unwrap();
    let mut draft = consent("no.p-1", "research", "2025-01-01");
    draft.status = "draft".into();
    consents.create(draft).await.unwrap();
    consents
        .create(consent("no.p-2", "research", "2025-01-01"))
        .await
        .unwrap();
    let mut active: Vec<String> = consents
        .active_for_patient("no.p-1")
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    active.sort();
    let mut expected = vec![privacy.id, research.id];
    expected.sort();
    assert_eq!(active, expected);
    assert!(
        consents
            .active_for_patient("no.p-3")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_writers_on_one_version_yield_one_winner(store: Store) {
    let consents = store.consents();
    let v1 = consents.create(privacy("no.p-1")).await.unwrap();
    let attempts = (0..8).map(|i| {
        let consents = consents.clone();
        let mut changed = v1.consent.clone();
        changed.date_time = Some(format!("2025-01-{:02}", i + 1));
        let id = v1.id.clone();
        async move { consents.update(&id, 1, changed).await }
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict { current_version: 2 })))
        .count();
    assert_eq!((won, conflicts), (1, 7), "{results:?}");
    let history = consents.history(&v1.id).await.unwrap();
    assert_eq!(history.len(), 2);
    let winner = results.into_iter().find_map(Result::ok).unwrap();
    assert_eq!(history[0], winner);
}

async fn concurrent_creates_all_succeed(store: Store) {
    let consents = store.consents();
    let creates = (0..24).map(|i| {
        let consents = consents.clone();
        async move { consents.create(privacy(&format!("no.p-{}", i % 3))).await }
    });
    let results = join_all(creates).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(consents.count(&ConsentQuery::default()).await.unwrap(), 24);
    let of_one = ConsentQuery {
        patient: Some("no.p-0".into()),
        ..Default::default()
    };
    assert_eq!(consents.count(&of_one).await.unwrap(), 8);
}

async fn a_consent_the_store_cannot_index_is_refused_and_nothing_is_written(store: Store) {
    let consents = store.consents();
    let mut no_patient = privacy("no.p-1");
    no_patient.patient = None;
    assert!(matches!(
        consents.create(no_patient).await,
        Err(StoreError::Invalid(_))
    ));
    let mut bad_date = privacy("no.p-1");
    bad_date.date_time = Some("soon".into());
    assert!(matches!(
        consents.create(bad_date).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(consents.count(&ConsentQuery::default()).await.unwrap(), 0);
}

async fn ping_answers_while_open_and_fails_once_closed(store: Store) {
    store.ping().await.unwrap();
    // Migrations that already ran are not run again.
    crate::store::migrate::run(&store).await.unwrap();
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.consents().read("x").await,
        Err(StoreError::Unavailable(_))
    ));
}

on_both_backends!(
    create_assigns_an_id_and_version_1_and_read_returns_it,
    an_update_makes_a_new_version_and_the_history_keeps_every_one,
    a_write_on_a_stale_version_is_a_conflict_and_changes_nothing,
    unknown_ids_are_not_found,
    a_withdrawal_is_a_new_inactive_version_and_the_history_stays,
    the_database_refuses_deleting_consents_or_changing_history,
    searches_filter_by_patient_status_scope_category_and_date,
    active_for_patient_gives_every_active_scope_of_that_patient_only,
    concurrent_writers_on_one_version_yield_one_winner,
    concurrent_creates_all_succeed,
    a_consent_the_store_cannot_index_is_refused_and_nothing_is_written,
    ping_answers_while_open_and_fails_once_closed,
);
