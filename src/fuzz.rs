//! Arbitrary input into every parser of client input: search parameters (names, values,
//! modifiers, dates, `_elements`, `_summary`, `_sort`, `_include`), sealed page tokens, SMART
//! scopes, JWTs, national identifiers, log redaction and Consent JSON. Each property only
//! asks that nothing panics: a panic would reset the client's connection and, before actix
//! catches it, take the worker's request with it.
//!
//! CI runs a bounded number of cases per property; `FUZZ_LONG=1` runs ten million each
//! (`FUZZ_LONG=1 cargo test --release --lib fuzz`), `FUZZ_CASES=N` runs N. Findings are kept in
//! `proptest-regressions/` and replayed on every run.

use proptest::prelude::*;
use serde_json::Value;

use crate::auth::scopes::ScopeSet;
use crate::consent::validation::{Enforceable, validate};
use crate::fhir::resources::consent::Consent;
use crate::fhir::resources::{
    AllergyIntolerance, AuditEvent, Condition, DiagnosticReport, Immunization, MedicationDispense,
    MedicationRequest, Observation, Patient,
};
use crate::fhir::search::page_token::{PageSealer, PageState};
use crate::fhir::search::params::Searchable;
use crate::fhir::search::{SearchLimits, SearchRequest};
use crate::national_id::{Country, NationalId};

/// Cases per property: `FUZZ_CASES` if set, ten million with `FUZZ_LONG=1`, else a bound
/// that keeps the unit tests quick.
pub(crate) fn cases() -> u32 {
    if let Some(n) = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        return n;
    }
    if std::env::var_os("FUZZ_LONG").is_some() {
        10_000_000
    } else {
        1_000
    }
}

const LIMITS: SearchLimits = SearchLimits {
    default_count: 50,
    max_count: 500,
    max_params: 40,
    max_patients: 20,
};

/// A parameter name: one the type knows, a common one, or anything, with or without a
/// modifier or a chain.
fn name<R: Searchable>() -> impl Strategy<Value = String> {
    let mut known: Vec<String> = R::params().iter().map(|p| p.name.to_owned()).collect();
    known.extend(
        [
            "_id",
            "_count",
            "_sort",
            "_summary",
            "_elements",
            "_include",
            "_revinclude",
            "_page",
            "_lastUpdated",
            "_format",
            "_pretty",
            "_total",
            "_since",
            "_type",
        ]
        .map(String::from),
    );
    let modifier = prop_oneof![
        Just(String::new()),
        Just(":exact".to_owned()),
        Just(":contains".to_owned()),
        Just(":missing".to_owned()),
        Just(":not".to_owned()),
        Just(":text".to_owned()),
        Just(":Patient".to_owned()),
        "\\PC{0,8}".prop_map(|m| format!(":{m}")),
        "\\PC{0,8}".prop_map(|m| format!(".{m}")),
    ];
    prop_oneof![
        3 => (proptest::sample::select(known), modifier).prop_map(|(n, m)| format!("{n}{m}")),
        1 => "\\PC{0,16}",
    ]
}

/// A value: anything, or something shaped like what parameters take, with noise in it.
fn value() -> impl Strategy<Value = String> {
    let prefix = proptest::sample::select(vec![
        "", "eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap",
    ]);
    prop_oneof![
        "\\PC{0,40}",
        (
            prefix,
            "[0-9]{0,4}(-[0-9]{0,2}){0,2}(T[0-9:.]{0,12})?[Z+\\-]?[0-9:]{0,5}",
            "\\PC{0,3}"
        )
            .prop_map(|(p, d, noise)| format!("{p}{d}{noise}")),
        ("\\PC{0,12}", "\\PC{0,12}").prop_map(|(s, c)| format!("{s}|{c}")),
        "(Patient/)?[a-z]{2}\\.\\PC{0,10}(,\\PC{0,10}){0,3}",
        "[a-zA-Z_,.\\-:]{0,30}",
        // Quantities: a number with exponent, sign or noise, then system and unit.
        (
            prefix_of_quantity(),
            "[+\\-]?[0-9]{0,6}(\\.[0-9]{0,4})?([eE][+\\-]?[0-9]{0,6})?",
            "(\\|\\PC{0,12}){0,3}"
        )
            .prop_map(|(p, n, rest)| format!("{p}{n}{rest}")),
    ]
}

fn prefix_of_quantity() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "", "eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap",
    ])
}

fn pairs<R: Searchable>() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((name::<R>(), value()), 0..8)
}

fn parse<R: Searchable>(pairs: &[(String, String)]) {
    for lenient in [false, true] {
        let _ = SearchRequest::parse::<R>(pairs, LIMITS, lenient, "https://gw.example/fhir");
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "resourceType",
                    "status",
                    "scope",
                    "category",
                    "patient",
                    "dateTime",
                    "policyRule",
                    "provision",
                    "type",
                    "period",
                    "start",
                    "end",
                    "class",
                    "system",
                    "code",
                    "actor",
                    "role",
                    "reference",
                    "identifier",
                    "value",
                    "purpose",
                    "data",
                    "meaning",
                    "coding",
                    "policy",
                    "uri",
                    "id",
                ])
                .prop_map(String::from),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn search_parameters_of_every_type_never_panic(
        patient in pairs::<Patient>(),
        medication in pairs::<MedicationRequest>(),
        immunization in pairs::<Immunization>(),
        allergy in pairs::<AllergyIntolerance>(),
        condition in pairs::<Condition>(),
        consent in pairs::<Consent>(),
        audit in pairs::<AuditEvent>(),
        observation in pairs::<Observation>(),
        report in pairs::<DiagnosticReport>(),
        dispense in pairs::<MedicationDispense>(),
    ) {
        parse::<Patient>(&patient);
        parse::<MedicationRequest>(&medication);
        parse::<Immunization>(&immunization);
        parse::<AllergyIntolerance>(&allergy);
        parse::<Condition>(&condition);
        parse::<Consent>(&consent);
        parse::<AuditEvent>(&audit);
        parse::<Observation>(&observation);
        parse::<DiagnosticReport>(&report);
        parse::<MedicationDispense>(&dispense);
    }

    #[test]
    fn page_tokens_never_panic(token in "\\PC{0,200}", cut in 0usize..200, flip in any::<u8>()) {
        let sealer = PageSealer::new(&[7; 32]);
        let _ = sealer.open(&token);
        // A real token, cut short or with one character changed, is refused or opens.
        let real = sealer.seal(&PageState {
            resource_type: "MedicationRequest".into(),
            params: vec![("patient".into(), "no.p-no-008".into())],
            offset: 50,
            count: 50,
        });
        let mut bytes = real.into_bytes();
        if !bytes.is_empty() {
            let at = cut % bytes.len();
            bytes[at] ^= flip & 0x3f;
            bytes.truncate(cut.max(1));
        }
        let _ = sealer.open(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn scopes_never_panic(scope in "\\PC{0,80}", shaped in "((patient|user|system)/[A-Za-z*]{0,12}\\.[a-z*]{0,6}(\\?\\PC{0,12})? ?){0,4}") {
        let _ = ScopeSet::parse(&scope);
        let _ = ScopeSet::parse(&shaped);
    }

    #[test]
    fn jwts_never_panic(raw in "\\PC{0,300}", parts in proptest::collection::vec("[A-Za-z0-9_\\-]{0,60}", 0..5)) {
        let _ = crate::auth::jwt::UnverifiedJwt::parse(&raw);
        let _ = crate::auth::jwt::UnverifiedJwt::parse(&parts.join("."));
    }

    #[test]
    fn national_identifiers_never_panic(system in "\\PC{0,40}", value in "\\PC{0,20}", digits in "[0-9+\\-A-Z]{0,14}") {
        let _ = NationalId::parse(&system, &value);
        let _ = NationalId::parse_token(&format!("{system}|{value}"));
        for country in Country::ALL {
            let _ = NationalId::parse_for_country(country, &value);
            let _ = NationalId::parse_for_country(country, &digits);
        }
    }

    #[test]
    fn log_redaction_never_panics(text in "\\PC{0,80}", path in "(/[0-9A-Za-z%.\\-]{0,16}){0,5}") {
        let _ = crate::national_id::redact::text(&text);
        let _ = crate::national_id::redact::path(&path);
        let _ = crate::national_id::redact::path(&text);
    }

    #[test]
    fn consent_json_never_panics(json in any_json()) {
        if let Ok(consent) = serde_json::from_value::<Consent>(json) {
            let _ = validate(&consent, "no.p-no-001", Enforceable { organizations: true });
            let _ = validate(&consent, "no.p-no-001", Enforceable::default());
        }
    }
}
