//! `GET /fhir/Patient/{id}/$summary` (R14) and `GET /fhir/Patient/$summary?identifier=` (R15):
//! the patient's International Patient Summary, a FHIR document.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::Wanted;
use crate::audit::note;
use crate::auth::principal::Principal;
use crate::fhir::ips::{self, DocumentContext, IPS_BUNDLE};
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
    if parameters(&query)?.is_some() {
        return Err(FhirError::Invalid(
            "Patient/{id}/$summary names the patient in its path; identifier is for Patient/$summary"
                .into(),
        ));
    }
    respond(&state, &principal, &path.into_inner(), format).await
}

/// `Patient/$summary?identifier=system|value`.
pub async fn by_identifier(
    req: HttpRequest,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let (system, value) = parameters(&query)?.ok_or_else(|| {
        FhirError::Invalid(
            "Patient/$summary needs identifier=system|value (or use Patient/{id}/$summary)".into(),
        )
    })?;
    let patient_id = state
        .access
        .patient_by_identifier(&principal, system, value)
        .await?;
    respond(&state, &principal, &patient_id, format)
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

/// The operation's parameters (the IPS OperationDefinition's `identifier` and `profile`);
/// returns the identifier as `(system, value)` if one was given. The OperationDefinition of
/// IPS 1.1.0 spells the parameter `identifer`; that spelling is accepted too.
pub(super) fn parameters(query: &[(String, String)]) -> Result<Option<(&str, &str)>, FhirError> {
    let mut identifier = None;
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
            "profile" if value == IPS_BUNDLE => {}
            "profile" => {
                return Err(FhirError::Invalid(format!(
                    "profile '{value}' is not supported; this server writes {IPS_BUNDLE}"
                )));
            }
            other => {
                return Err(FhirError::Invalid(format!(
                    "parameter '{other}' is not supported by $summary"
                )));
            }
        }
    }
    Ok(identifier)
}

pub(super) async fn respond(
    state: &AppState,
    principal: &Principal,
    patient_id: &str,
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
