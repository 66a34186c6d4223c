//! `GET /fhir/Patient/{id}/$summary` (R14) and `GET /fhir/Patient/$summary?identifier=` (R15):
//! the patient's International Patient Summary, a FHIR document.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::Wanted;
use crate::audit::note;
use crate::auth::principal::Principal;
use crate::fhir::ips::{self, DocumentContext, SummaryProfile};
use crate::fhir::{DomainResource, FhirError, Resource, uuid};
use crate::http::caller::Caller;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;

/// `Patient/{id}/$summary`.
pub async fn by_id(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let parameters = parameters(&query)?;
    if parameters.identifier.is_some() {
        return Err(FhirError::Invalid(
            "Patient/{id}/$summary names the patient in its path; identifier is for Patient/$summary"
                .into(),
        ));
    }
    respond(
        &state,
        &principal,
        &path.into_inner(),
        parameters.profile.unwrap_or_default(),
        format,
    )
    .await
}

/// `Patient/$summary?identifier=system|value`.
pub async fn by_identifier(
    req: HttpRequest,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let parameters = parameters(&query)?;
    let (system, value) = parameters.identifier.ok_or_else(|| {
        FhirError::Invalid(
            "Patient/$summary needs identifier=system|value (or use Patient/{id}/$summary)".into(),
        )
    })?;
    let patient_id = state
        .access
        .patient_by_identifier(&principal, system, value)
        .await?;
    respond(
        &state,
        &principal,
        &patient_id,
        parameters.profile.unwrap_or_default(),
        format,
    )
    .await
    .map_err(as_unknown_identifier)
}

/// A person found by identifier but not to be shown to this caller: the answer of an
/// identifier nobody has (F8), for every `$summary` by identifier.
pub(super) fn as_unknown_identifier(error: FhirError) -> FhirError {
    match error {
        FhirError::NotFound(_) => crate::access::no_patient_with_identifier(),
        other => other,
    }
}

/// The operation's parameters (the IPS OperationDefinition's `identifier` and `profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parameters<'q> {
    /// `(system, value)`, if an identifier was given.
    pub identifier: Option<(&'q str, &'q str)>,
    /// The profile asked for with `profile`, if one was named: the caller's default applies
    /// otherwise (IPS 2.0 on the main listener, the NCP's setting on the NCP listener).
    pub profile: Option<SummaryProfile>,
}

/// Reads the operation's parameters. The OperationDefinition of IPS 1.1.0 spells the
/// identifier parameter `identifer`; that spelling is accepted too. `profile` names the
/// Composition-uv-ips (as IPS 2.0.0 defines it) or Bundle-uv-ips canonical, with `|1.1.0` for
/// an IPS 1.1.0 document; any other profile is refused with the list of those supported.
pub(super) fn parameters(query: &[(String, String)]) -> Result<Parameters<'_>, FhirError> {
    let mut identifier = None;
    let mut profile = None;
    for (name, value) in query {
        match name.as_str() {
            "_format" | "_pretty" => {}
            "identifier" | "identifer" => {
                if identifier.is_some() {
                    return Err(FhirError::Invalid("$summary takes one identifier".into()));
                }
                identifier = Some(
                    value
                        .split_once('|')
                        .filter(|(s, v)| !s.is_empty() && !v.is_empty())
                        .ok_or_else(|| {
                            FhirError::Invalid("identifier must be system|value".into())
                        })?,
                );
            }
            "profile" => {
                if profile.is_some() {
                    return Err(FhirError::Invalid("$summary takes one profile".into()));
                }
                profile = Some(SummaryProfile::of_profile(value).ok_or_else(|| {
                    FhirError::Invalid(format!(
                        "profile '{value}' is not supported; supported: {}",
                        SUPPORTED_PROFILES.join(", ")
                    ))
                })?);
            }
            other => {
                return Err(FhirError::Invalid(format!(
                    "parameter '{other}' is not supported by $summary"
                )));
            }
        }
    }
    Ok(Parameters {
        identifier,
        profile,
    })
}

/// What `profile` may name, in the words of the error that lists them.
const SUPPORTED_PROFILES: [&str; 6] = [
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips (IPS 2.0.0, the default; also |2.0.0)",
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips (the same)",
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips|1.1.0 (IPS 1.1.0)",
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips|1.1.0 (the same)",
    "http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps (the HL7 Europe Patient Summary 1.0.0)",
    "http://hl7.eu/fhir/eps/StructureDefinition/composition-eu-eps (the same)",
];

pub(super) async fn respond(
    state: &AppState,
    principal: &Principal,
    patient_id: &str,
    profile: SummaryProfile,
    format: Format,
) -> Result<HttpResponse, FhirError> {
    let record = state
        .access
        .patient_record(principal, patient_id, Wanted::All)
        .await?;
    // The document discloses the Patient and the records its sections list.
    note::disclosed(
        std::iter::once(("Patient", record.patient.id.as_str(), Some(patient_id)))
            .chain(listed("Condition", record.conditions.shown(), patient_id))
            .chain(listed(
                "AllergyIntolerance",
                record.allergy_intolerances.shown(),
                patient_id,
            ))
            .chain(listed(
                "MedicationRequest",
                record.medication_requests.shown(),
                patient_id,
            ))
            .chain(listed(
                "Immunization",
                record.immunizations.shown(),
                patient_id,
            ))
            // The reports are in the document only beside their results (`ips::sections`).
            .chain(listed(
                "DiagnosticReport",
                record
                    .observations
                    .shown()
                    .and(record.diagnostic_reports.shown()),
                patient_id,
            ))
            .chain(listed(
                "Observation",
                record.observations.shown(),
                patient_id,
            )),
    );
    let fhir_base = state.fhir_base();
    let document_id = uuid::random();
    // A document's timestamp and date to the millisecond, as documents usually carry them.
    let now = state.access.clock().now();
    let now = now.replace_millisecond(now.millisecond()).unwrap_or(now);
    let document = ips::summary(
        &record.summary_data(),
        &DocumentContext {
            fhir_base: &fhir_base,
            timestamp: now,
            document_id: &document_id,
            software_version: env!("CARGO_PKG_VERSION"),
            profile,
        },
    );
    let mut response = format.respond(StatusCode::OK, &Resource::Bundle(document));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `(type, id, patient)` of the records a section lists, for the access log.
fn listed<'a, R: DomainResource>(
    type_name: &'static str,
    shown: Option<&'a [R]>,
    patient_id: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)> {
    shown
        .unwrap_or_default()
        .iter()
        .map(move |r| (type_name, r.id(), Some(patient_id)))
}
