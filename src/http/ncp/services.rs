//! The three services of the NCP listener.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::fhir::FhirError;
use crate::fhir::ips::SummaryProfile;
use crate::fhir::resources::{MedicationRequest, Patient};
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;
use crate::http::{page_link, search, summary};
use crate::ncp::peer::ConnectionPeer;
use crate::portal::model::CrossBorderService;

use super::caller::NcpPolicy;

use super::NcpCaller;

type Params = Vec<(String, String)>;

/// `GET Patient?identifier=system|value[&birthdate=&family=&given=&gender=]` (R11): 0 or 1
/// match. The demographics are cross-checks: if one does not fit the person the identifier
/// names, there is no match (never someone else). An unknown identifier system is 404.
pub async fn identify(
    req: HttpRequest,
    state: web::Data<AppState>,
    NcpCaller(principal): NcpCaller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let (params, page) = page_link::restore(&state, "Patient", query)?;
    let mut identifiers = 0;
    for (name, value) in &params {
        match name.as_str() {
            "identifier" => {
                identifiers += 1;
                if value.contains(',')
                    || value
                        .split_once('|')
                        .is_none_or(|(s, v)| s.is_empty() || v.is_empty())
                {
                    return Err(FhirError::Invalid(
                        "identifier must be one system|value".into(),
                    ));
                }
            }
            "birthdate" | "family" | "given" | "gender" | "_format" | "_pretty" => {}
            other => return Err(unsupported(other, "Patient identification")),
        }
    }
    if identifiers != 1 {
        return Err(FhirError::Invalid(
            "Patient identification needs exactly one identifier=system|value".into(),
        ));
    }
    let identifier = params
        .iter()
        .find(|(name, _)| name == "identifier")
        .and_then(|(_, value)| value.split_once('|'));
    if let Some((system, value)) = identifier {
        match state
            .access
            .patient_by_identifier(&principal, system, value)
            .await
        {
            Ok(patient_id) => {
                state
                    .access
                    .check_cross_border_identification(&principal, &patient_id)
                    .await?
            }
            // Nobody: the search below answers with an empty Bundle.
            Err(FhirError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
    }
    search::search_as::<Patient>(&state, &principal, params, page, false, format).await
}

/// `GET Patient/{id}/$summary` (R14).
pub async fn summary_by_id(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    NcpCaller(principal): NcpCaller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let parameters = summary::parameters(&query)?;
    if parameters.identifier.is_some() {
        return Err(FhirError::Invalid(
            "Patient/{id}/$summary names the patient in its path; identifier is for Patient/$summary"
                .into(),
        ));
    }
    let patient_id = path.into_inner();
    state
        .access
        .check_cross_border(&principal, &patient_id, CrossBorderService::PatientSummary)
        .await?;
    summary::respond(
        &state,
        &principal,
        &patient_id,
        parameters
            .profile
            .unwrap_or_else(|| default_summary_profile(&req)),
        format,
    )
    .await
}

/// `GET Patient/$summary?identifier=system|value` (R15).
pub async fn summary_by_identifier(
    req: HttpRequest,
    state: web::Data<AppState>,
    NcpCaller(principal): NcpCaller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let parameters = summary::parameters(&query)?;
    let (system, value) = parameters.identifier.ok_or_else(|| {
        FhirError::Invalid(
            "Patient/$summary needs identifier=system|value (or use Patient/{id}/$summary)".into(),
        )
    })?;
    let patient_id = state
        .access
        .patient_by_identifier(&principal, system, value)
        .await?;
    state
        .access
        .check_cross_border(&principal, &patient_id, CrossBorderService::PatientSummary)
        .await?;
    summary::respond(
        &state,
        &principal,
        &patient_id,
        parameters
            .profile
            .unwrap_or_else(|| default_summary_profile(&req)),
        format,
    )
    .await
    .map_err(summary::as_unknown_identifier)
}

/// `GET MedicationRequest?patient=<id>&status=active` (ePrescription): one patient's active
/// prescriptions, paged like any search.
pub async fn active_prescriptions(
    req: HttpRequest,
    state: web::Data<AppState>,
    NcpCaller(principal): NcpCaller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    let (params, page) = page_link::restore(&state, "MedicationRequest", query)?;
    let patient_id = eprescription_patient(&params)?;
    state
        .access
        .check_cross_border(&principal, &patient_id, CrossBorderService::EPrescription)
        .await?;
    search::search_as::<MedicationRequest>(&state, &principal, params, page, false, format).await
}

/// The one patient of an ePrescription search; `status=active` is required, and nothing
/// but `_count` and the format controls may come with them.
fn eprescription_patient(params: &Params) -> Result<String, FhirError> {
    let mut patient = None;
    let mut active = false;
    for (name, value) in params {
        match name.as_str() {
            "patient" => {
                let id = value.strip_prefix("Patient/").unwrap_or(value);
                if patient.is_some() || id.is_empty() || id.contains(',') || id.contains('/') {
                    return Err(FhirError::Invalid(
                        "the ePrescription service takes one patient=<Patient id>".into(),
                    ));
                }
                patient = Some(id.to_owned());
            }
            "status" if value == "active" && !active => active = true,
            "status" => {
                return Err(FhirError::Invalid(
                    "the ePrescription service lists active prescriptions: status=active".into(),
                ));
            }
            "_count" | "_format" | "_pretty" => {}
            other => return Err(unsupported(other, "the ePrescription service")),
        }
    }
    if !active {
        return Err(FhirError::Invalid(
            "the ePrescription service needs status=active".into(),
        ));
    }
    patient.ok_or_else(|| {
        FhirError::Invalid("the ePrescription service needs patient=<Patient id>".into())
    })
}

fn unsupported(parameter: &str, service: &str) -> FhirError {
    FhirError::Invalid(format!(
        "parameter '{parameter}' is not supported by {service}"
    ))
}

/// The summary profile of the calling NCP when it names none (`[ncp] summary_profile`, per
/// country `summary_profile_by_country`, the country its certificate names).
fn default_summary_profile(req: &HttpRequest) -> SummaryProfile {
    let country = req
        .conn_data::<ConnectionPeer>()
        .and_then(|p| p.0.clone())
        .and_then(|peer| peer.country.clone());
    req.app_data::<web::Data<NcpPolicy>>()
        .map(|policy| policy.summary_profile_of(country.as_deref()))
        .unwrap_or_default()
}
