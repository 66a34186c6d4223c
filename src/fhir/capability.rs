//! The CapabilityStatement, generated from the search parameter tables, the routed
//! interactions and the routed operations, so that `/metadata` says exactly what the server
//! does (R20).

use crate::fhir::datatypes::{CodeableConcept, Coding, Extension};
use crate::fhir::resources::capability_statement::{
    Implementation, Interaction, Operation, Rest, RestResource, RestSecurity, SearchParam, Software,
};
use crate::fhir::resources::{
    AllergyIntolerance, AuditEvent, CapabilityStatement, Condition, Consent, DiagnosticReport,
    Immunization, MedicationDispense, MedicationRequest, Observation, Patient,
};
use crate::fhir::search::Searchable;
use crate::mapping::{self, laboratory};

/// The interactions routed for every resource type the facade serves.
pub const INTERACTIONS: &[&str] = &["read", "search-type"];

/// The citizen's own Consents are also written: create, update with `If-Match`, and delete,
/// which withdraws (status `inactive`, history kept).
pub const CONSENT_INTERACTIONS: &[&str] = &["read", "search-type", "create", "update", "delete"];

const MEDICATION_DISPENSE_DOCUMENTATION: &str = "Dispensations of prescribed medicines at \
    pharmacies, from the national e-prescription registers: one per dispensation of a \
    prescription (authorizingPrescription), claiming the HL7 Europe MPD profile.";

const OBSERVATION_DOCUMENTATION: &str = "Laboratory results from the national results \
    services (Helsenorge Prøvesvar, 1177 Provsvar, sundhed.dk Laboratoriesvar, MyKanta \
    Laboratoriotutkimukset): one Observation per result, coded in LOINC beside the national \
    code (NLK, NPU, Kuntaliitto); a culture's susceptibilities are its hasMember. Each claims \
    the IPS 2.0 and the HL7 Europe laboratory profile.";

const DIAGNOSTIC_REPORT_DOCUMENTATION: &str = "Laboratory reports: one per requisition and \
    specimen, its results as Observations (_include=DiagnosticReport:result). Each claims the \
    IPS 2.0 and the HL7 Europe laboratory profile.";

/// The access log is read and searched, never written through the API.
pub const AUDIT_EVENT_INTERACTIONS: &[&str] = &["read", "search-type"];

/// The operations routed on Patient: (name, OperationDefinition canonical, documentation).
pub const PATIENT_OPERATIONS: &[(&str, &str, &str)] = &[
    (
        "summary",
        "http://hl7.org/fhir/uv/ips/OperationDefinition/summary",
        "GET Patient/{id}/$summary, or GET Patient/$summary?identifier=system|value: the \
         International Patient Summary as a document Bundle, IPS 2.0.0 by default \
         (profile=http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips, or \
         Bundle-uv-ips), IPS 1.1.0 with profile=...Composition-uv-ips|1.1.0 (or \
         Bundle-uv-ips|1.1.0), the HL7 Europe Patient Summary with \
         profile=http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps (or composition-eu-eps; \
         it adds the History of Procedures and Medical Devices sections). Sections: Problems, Allergies and Intolerances, Medication \
         Summary (MedicationStatements from current prescriptions), Alerts (critical \
         allergies, IPS 2.0), Immunizations, Results (laboratory DiagnosticReports and \
         Observations) and History of Past Problems when there are any. A required section \
         with nothing to list has emptyReason 'unavailable' (IPS 2.0) or a 'no information' \
         resource (IPS 1.1.0); a section whose type the token may not read has emptyReason \
         'withheld'.",
    ),
    (
        "everything",
        "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        "GET Patient/{id}/$everything: every resource of the patient that the token may see, as \
         a searchset paged with _count, with _since (meta.lastUpdated) and _type; \
         _format=ndjson (application/fhir+ndjson) downloads the whole record as NDJSON.",
    ),
];

/// Parameters every search accepts besides the type's own.
const COMMON_RESULT_PARAMS: &[(&str, &str, &str)] = &[
    (
        "_count",
        "number",
        "Page size (capped by the server's maximum)",
    ),
    ("_summary", "token", "true | false | count | text | data"),
    (
        "_elements",
        "string",
        "Comma-separated top-level elements to return",
    ),
    (
        "_sort",
        "string",
        "Comma-separated search parameters, '-' for descending",
    ),
    (
        "_include",
        "string",
        "Referenced Patient of the matches (see searchInclude)",
    ),
    ("_total", "token", "Accepted; the total is always accurate"),
];

/// Where the SMART endpoints are, for the `oauth-uris` extension.
#[derive(Debug, Clone, Default)]
pub struct SmartEndpoints {
    pub authorize: Option<String>,
    pub token: Option<String>,
    pub introspect: Option<String>,
    pub revoke: Option<String>,
}

pub struct CapabilityInput<'a> {
    pub base_url: &'a str,
    pub version: &'a str,
    pub date: &'a str,
    pub smart: &'a SmartEndpoints,
}

pub fn capability_statement(input: &CapabilityInput<'_>) -> CapabilityStatement {
    CapabilityStatement {
        url: format!("{}/metadata", input.base_url),
        version: input.version.into(),
        name: "EhdsGateway".into(),
        title: "ehds-gateway FHIR R4 server".into(),
        status: "active".into(),
        experimental: false,
        date: input.date.into(),
        publisher: "ehds-gateway".into(),
        description: "Read access to the Nordic national health portals' data (NO, SE, DK, FI) as FHIR R4, \
            under the citizen's rights of the European Health Data Space regulation. \
            Implicit consent policy: opt-out (permit, then the citizen's deny provisions)."
            .into(),
        kind: "instance".into(),
        implementation: Implementation {
            description: "ehds-gateway".into(),
            url: input.base_url.into(),
        },
        software: Software {
            name: "ehds-gateway".into(),
            version: input.version.into(),
        },
        fhir_version: "4.0.1".into(),
        format: vec!["application/fhir+json".into(), "json".into()],
        implementation_guide: vec!["http://hl7.org/fhir/uv/ips/ImplementationGuide/hl7.fhir.uv.ips".into()],
        rest: vec![Rest {
            mode: "server".into(),
            documentation: Some(
                "Every request except this one needs a bearer token. A patient-context token sees only \
                 its own patient: searches naming another patient get 403, reads of another patient's \
                 resources get 404. Searches of clinical data must name a patient."
                    .into(),
            ),
            security: security(input.smart),
            resource: vec![
                RestResource {
                    operation: PATIENT_OPERATIONS
                        .iter()
                        .map(|(name, definition, documentation)| Operation {
                            name: (*name).into(),
                            definition: (*definition).into(),
                            documentation: Some((*documentation).into()),
                        })
                        .collect(),
                    ..resource_entry::<Patient>(&[mapping::IPS_PATIENT], None)
                },
                resource_entry::<AllergyIntolerance>(&[mapping::IPS_ALLERGY_INTOLERANCE], None),
                resource_entry::<Condition>(&[mapping::IPS_CONDITION], None),
                resource_entry::<DiagnosticReport>(
                    &[laboratory::IPS_DIAGNOSTIC_REPORT, laboratory::EU_DIAGNOSTIC_REPORT],
                    Some(DIAGNOSTIC_REPORT_DOCUMENTATION),
                ),
                RestResource {
                    interaction: CONSENT_INTERACTIONS
                        .iter()
                        .map(|code| Interaction {
                            code: (*code).into(),
                        })
                        .collect(),
                    ..resource_entry::<Consent>(&[], Some(CONSENT_DOCUMENTATION))
                },
                RestResource {
                    interaction: AUDIT_EVENT_INTERACTIONS
                        .iter()
                        .map(|code| Interaction {
                            code: (*code).into(),
                        })
                        .collect(),
                    versioning: "no-version".into(),
                    ..resource_entry::<AuditEvent>(&[], Some(AUDIT_EVENT_DOCUMENTATION))
                },
                resource_entry::<Immunization>(&[mapping::IPS_IMMUNIZATION], None),
                resource_entry::<MedicationDispense>(
                    &[mapping::medication_dispense::MPD_MEDICATION_DISPENSE],
                    Some(MEDICATION_DISPENSE_DOCUMENTATION),
                ),
                resource_entry::<MedicationRequest>(
                    &[
                        mapping::IPS_MEDICATION_REQUEST,
                        mapping::MPD_MEDICATION_REQUEST,
                    ],
                    None,
                ),
                resource_entry::<Observation>(
                    &[laboratory::IPS_OBSERVATION_LAB, laboratory::EU_OBSERVATION_LAB],
                    Some(OBSERVATION_DOCUMENTATION),
                ),
            ],
            search_param: COMMON_RESULT_PARAMS
                .iter()
                .map(|(name, kind, doc)| SearchParam {
                    name: (*name).into(),
                    definition: None,
                    type_: (*kind).into(),
                    documentation: Some((*doc).into()),
                })
                .collect(),
        }],
    }
}

fn security(smart: &SmartEndpoints) -> RestSecurity {
    let uris: Vec<Extension> = [
        ("authorize", &smart.authorize),
        ("token", &smart.token),
        ("introspect", &smart.introspect),
        ("revoke", &smart.revoke),
    ]
    .into_iter()
    .filter_map(|(name, url)| {
        url.as_ref().map(|u| Extension {
            url: name.into(),
            value_uri: Some(u.clone()),
            ..Default::default()
        })
    })
    .collect();
    let extension = if uris.is_empty() {
        Vec::new()
    } else {
        vec![Extension {
            url: "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris".into(),
            extension: uris,
            ..Default::default()
        }]
    };
    RestSecurity {
        extension,
        cors: true,
        service: vec![CodeableConcept {
            coding: vec![Coding::new(
                "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "SMART-on-FHIR",
                "SMART-on-FHIR",
            )],
            text: Some("OAuth2 bearer tokens (SMART App Launch, SMART Backend Services)".into()),
        }],
        description: "Bearer JWTs from a trusted issuer, verified against its JWKS. Scopes: SMART v1 \
            (patient/*.read) and v2 (patient/*.rs, with ?query restrictions); patient, user and system contexts."
            .into(),
    }
}

const CONSENT_DOCUMENTATION: &str = "The citizen's own Consents (scope patient-privacy or \
    research), kept by the gateway with their version history. Read, created, updated \
    (If-Match required) and withdrawn (DELETE: status inactive, history kept) by the patient \
    they belong to, with a patient-context token; deny provisions by type, resource, actor, \
    purpose and period apply to every other caller. A health data access body (a system \
    client so configured) searches the secondary-use opt-outs of all patients with \
    scope=research (R29) and sees no Consent of another scope.";

const AUDIT_EVENT_DOCUMENTATION: &str = "The access log (EHDS Art. 9): an AuditEvent \
    (IHE BALP) for every read, search and operation on a patient's data and every refusal, \
    by anyone including the patient, stored before the response is sent and chained by hash. \
    Searched by the patient, or by someone acting for the patient with access-log rights, \
    with patient= (required), newest first; immutable (PUT, PATCH, DELETE: 405).";

fn resource_entry<R: Searchable>(
    supported_profile: &[&str],
    documentation: Option<&str>,
) -> RestResource {
    RestResource {
        type_: R::TYPE.as_str().into(),
        profile: format!(
            "http://hl7.org/fhir/StructureDefinition/{}",
            R::TYPE.as_str()
        ),
        supported_profile: supported_profile.iter().map(|p| (*p).into()).collect(),
        documentation: documentation.map(Into::into),
        interaction: INTERACTIONS
            .iter()
            .map(|code| Interaction {
                code: (*code).into(),
            })
            .collect(),
        versioning: "versioned".into(),
        read_history: false,
        update_create: false,
        conditional_create: false,
        conditional_read: "not-supported".into(),
        conditional_update: false,
        conditional_delete: "not-supported".into(),
        search_include: R::includes().iter().map(|s| (*s).into()).collect(),
        search_param: R::params()
            .iter()
            .map(|p| SearchParam {
                name: p.name.into(),
                definition: Some(p.definition.into()),
                type_: p.kind.as_str().into(),
                documentation: Some(p.documentation.into()),
            })
            .collect(),
        operation: Vec::new(),
    }
}
