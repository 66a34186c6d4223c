//! Property: a restriction hides exactly what it denies, and nothing about it shows (R25).
//!
//! For random deny provisions (single prescriptions, the whole type, for every professional or
//! for one named professional) on a patient with many prescriptions, a professional's search
//! paged with a random `_count` must: return no denied prescription on any page; report a
//! total equal to the number of prescriptions not denied (so the total gives no hint); and
//! page through exactly those, each once, with full pages until the last.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;

use crate::access::DataAccess;
use crate::auth::principal::Principal;
use crate::auth::scopes::ScopeSet;
use crate::auth::verifier::VerifiedToken;
use crate::fhir::DomainResource;
use crate::fhir::resources::{Consent, MedicationRequest};
use crate::fhir::search::{SearchLimits, SearchRequest};
use crate::portal::embedded::EmbeddedSource;
use crate::portal::{PortalSource, Portals};
use crate::store::Store;
use crate::store::tests::TestDb;

/// Arne Johansen, NO, 85: 22 prescriptions in all statuses.
const PATIENT: &str = "no.p-no-008";
const FHIR_BASE: &str = "http://gateway.test/fhir";
const DOCTOR: &str = "9144900";
const LIMITS: SearchLimits = SearchLimits {
    default_count: 50,
    max_count: 500,
    max_params: 40,
    max_patients: 20,
};

/// Who the provisions are for.
#[derive(Debug, Clone, Copy)]
enum Actor {
    Everyone,
    TheDoctor,
    AnotherDoctor,
}

fn professional() -> Principal {
    Principal {
        token: Arc::new(VerifiedToken {
            issuer: "https://idp.test".into(),
            subject: "doctor".into(),
            client_id: Some("ehr".into()),
            scopes: ScopeSet::parse("user/*.rs"),
            patient: None,
            fhir_user: Some(format!("Practitioner/{DOCTOR}")),
            national_id: None,
            expires_at: i64::MAX,
            issued_at: None,
            jwt_id: None,
            claims: Default::default(),
        }),
        patient: None,
        is_subject: false,
        actor: None,
        professional_id: Some(DOCTOR.into()),
        organization: None,
        emergency: false,
        professional: None,
    }
}

fn access(store: &Store) -> DataAccess {
    let sources: Vec<Arc<dyn PortalSource>> = EmbeddedSource::load_all()
        .expect("the embedded data set")
        .into_iter()
        .map(|s| Arc::new(s) as Arc<dyn PortalSource>)
        .collect();
    DataAccess::new(
        Portals::new(sources),
        store.consents(),
        FHIR_BASE.into(),
        LIMITS,
    )
}

fn restriction(denied: &[String], whole_type: bool, actor: Actor) -> Consent {
    let mut provision = json!({"type": "deny"});
    if whole_type {
        provision["class"] = json!([{
            "system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"
        }]);
    }
    if !denied.is_empty() {
        provision["data"] = denied
            .iter()
            .map(|id| json!({"meaning": "instance", "reference": {"reference": format!("MedicationRequest/{id}")}}))
            .collect();
    }
    let named = match actor {
        Actor::Everyone => None,
        Actor::TheDoctor => Some(DOCTOR),
        Actor::AnotherDoctor => Some("1234567"),
    };
    if let Some(id) = named {
        provision["actor"] = json!([{
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PRCP"}]},
            "reference": {"reference": format!("Practitioner/{id}")}
        }]);
    }
    serde_json::from_value(json!({
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{PATIENT}")},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": provision
    }))
    .expect("a valid Consent")
}

async fn page(access: &DataAccess, count: usize, offset: usize) -> (usize, Vec<String>) {
    let pairs = vec![
        ("patient".to_owned(), PATIENT.to_owned()),
        ("_count".to_owned(), count.to_string()),
    ];
    let mut request =
        SearchRequest::parse::<MedicationRequest>(&pairs, LIMITS, false, FHIR_BASE).unwrap();
    request.offset = offset;
    let found = access
        .search::<MedicationRequest>(&professional(), &request)
        .await
        .expect("the search is served");
    let ids = found.matches.iter().map(|r| r.id().to_owned()).collect();
    (found.total, ids)
}

/// All prescriptions' ids, paged with `count`, and the total every page reported.
async fn all_pages(access: &DataAccess, count: usize) -> (Vec<usize>, Vec<Vec<String>>) {
    let (mut totals, mut pages) = (Vec::new(), Vec::new());
    let mut offset = 0;
    loop {
        let (total, ids) = page(access, count, offset).await;
        totals.push(total);
        let done = ids.is_empty() || offset + ids.len() >= total;
        offset += ids.len();
        pages.push(ids);
        if done {
            break;
        }
    }
    (totals, pages)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The patient's prescriptions as an unrestricted professional sees them.
fn every_prescription() -> Vec<String> {
    runtime().block_on(async {
        let db = TestDb::sqlite();
        let store = db.open().await;
        let (_, ids) = page(&access(&store), 500, 0).await;
        store.close().await;
        ids
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn restricted_prescriptions_never_show_in_pages_or_totals(
        (all, denied) in Just(every_prescription())
            .prop_flat_map(|all| {
                let n = all.len();
                (Just(all.clone()), proptest::sample::subsequence(all, 0..=n))
            }),
        whole_type in proptest::bool::weighted(0.15),
        actor in prop_oneof![Just(Actor::Everyone), Just(Actor::TheDoctor), Just(Actor::AnotherDoctor)],
        count in 1usize..=25,
    ) {
        prop_assume!(all.len() >= 20);
        let applies = !matches!(actor, Actor::AnotherDoctor);
        let expected: BTreeSet<String> = all
            .iter()
            .filter(|id| !(applies && (whole_type || denied.contains(id))))
            .cloned()
            .collect();
        let (totals, pages) = runtime().block_on(async {
            let db = TestDb::sqlite();
            let store = db.open().await;
            if whole_type || !denied.is_empty() {
                store.consents().create(restriction(&denied, whole_type, actor)).await.unwrap();
            }
            let pages = all_pages(&access(&store), count).await;
            store.close().await;
            pages
        });
        // Every page tells the same total, and it is the count of what may be seen.
        prop_assert!(totals.iter().all(|t| *t == expected.len()), "totals {totals:?}, expected {}", expected.len());
        let seen: Vec<String> = pages.iter().flatten().cloned().collect();
        // No denied prescription on any page, nothing twice, nothing visible left out.
        prop_assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected.clone());
        prop_assert_eq!(seen.len(), expected.len());
        // Full pages until the last: a short page in the middle would hint at a removal.
        if let Some((_last, full)) = pages.split_last() {
            prop_assert!(full.iter().all(|p| p.len() == count), "page sizes {:?}", pages.iter().map(Vec::len).collect::<Vec<_>>());
        }
    }
}
