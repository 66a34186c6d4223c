//! The `Caller` extractor: a request's bearer token, verified, as a `Principal`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::principal::Principal;
use crate::auth::scopes::ScopeContext;
use crate::auth::verifier::VerifiedToken;
use crate::fhir::FhirError;
use crate::http::state::AppState;
use crate::mapping::ids;
use crate::national_id::{Country, NationalId};

pub struct Caller(pub Principal);

impl FromRequest for Caller {
    type Error = FhirError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, FhirError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state =
                state.ok_or_else(|| FhirError::Internal("application state missing".into()))?;
            let token = bearer_token(authorization)?;
            let verified = state.verifier.verify(&token).await.map_err(|e| {
                if e.is_server_side() {
                    FhirError::unavailable("the token issuer's keys cannot be fetched")
                } else {
                    invalid_token(e.description())
                }
            })?;
            state.rate_limiter.check(&verified)?;
            let principal = principal(&state, verified).await?;
            // Who called, for this request's access-log record.
            crate::audit::note::principal(&principal);
            Ok(Caller(principal))
        })
    }
}

pub(super) fn invalid_token(description: &str) -> FhirError {
    FhirError::Unauthorized {
        error: Some("invalid_token"),
        description: description.to_owned(),
    }
}

pub(super) fn bearer_token(
    header: Option<Result<String, header::ToStrError>>,
) -> Result<String, FhirError> {
    let Some(value) = header else {
        return Err(FhirError::Unauthorized {
            error: None,
            description: "a bearer token is required".into(),
        });
    };
    let value = value.map_err(|_| FhirError::Unauthorized {
        error: Some("invalid_request"),
        description: "the Authorization header is not readable".into(),
    })?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value.as_str(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(FhirError::Unauthorized {
            error: Some("invalid_request"),
            description: "the Authorization header must be 'Bearer <token>'".into(),
        });
    }
    Ok(token.trim().to_owned())
}

/// Who calls, decided from the user behind the token, never from its `patient` claim alone.
///
/// The `patient` claim is a context: the compartment a patient-scoped token reaches. Whether
/// the caller is that patient (or someone acting for them) is a separate question, answered
/// by the user's identity: a national-identifier claim, or the `fhirUser` of the gateway's
/// own authorization server, resolved to a person in the portals. A token with `user/` or
/// `system/` scopes, a professional's id, or a `fhirUser` that is not a Patient is never the
/// patient's side: SMART EHR launches put `patient` into professionals' tokens routinely.
async fn principal(state: &AppState, token: Arc<VerifiedToken>) -> Result<Principal, FhirError> {
    let professional_id = professional_id(state, &token);
    let citizen = if is_citizen_token(&token, professional_id.is_some()) {
        citizen(state, &token).await?
    } else {
        None
    };
    if citizen.is_some() {
        check_assurance(state, &token)?;
    }
    let patient_scoped = token.scopes.contexts().any(|c| c == ScopeContext::Patient);
    let patient = match (&token.patient, &citizen) {
        (Some(p), _) => {
            if ids::parse(p).is_none_or(|id| id.record.is_some()) {
                return Err(invalid_token(
                    "the patient claim is not a Patient id of this server",
                ));
            }
            Some(p.clone())
        }
        (None, Some(person)) if patient_scoped => Some(person.clone()),
        _ => None,
    };
    if patient_scoped && patient.is_none() {
        return Err(invalid_token("patient-context scopes need a patient claim"));
    }
    let names_professional = professional_id.is_some()
        || token
            .fhir_user
            .as_deref()
            .is_some_and(|u| u.contains("Practitioner"));
    if patient_scoped && citizen.is_none() && !names_professional {
        // Nobody to hold to anything: neither the patient's side nor a professional bound
        // by the patient's restrictions.
        return Err(invalid_token(
            "a patient-context token must name its user: a national-identifier claim, or a \
             fhirUser",
        ));
    }
    let is_subject = citizen.is_some() && citizen == patient;
    let emergency = emergency(state, &token);
    let organization = organization(state, &token);
    Ok(Principal {
        token,
        patient,
        is_subject,
        actor: citizen,
        professional_id,
        organization,
        emergency,
        professional: None,
    })
}

/// Whether the token may be a citizen's at all: only patient-context scopes, no
/// professional's id, and no `fhirUser` other than a Patient.
fn is_citizen_token(token: &VerifiedToken, has_professional_id: bool) -> bool {
    let only_patient_scopes = token.scopes.contexts().all(|c| c == ScopeContext::Patient);
    let fhir_user_is_patient = token
        .fhir_user
        .as_deref()
        .is_none_or(|u| u.starts_with("Patient/"));
    only_patient_scopes && fhir_user_is_patient && !has_professional_id
}

/// The citizen behind a citizen's token, as a Patient id: the person its national-identifier
/// claim names, or the `fhirUser` of a token of the gateway's own authorization server. A
/// `fhirUser` that names someone else than the national identifier is a contradiction.
async fn citizen(state: &AppState, token: &VerifiedToken) -> Result<Option<String>, FhirError> {
    let Some(raw) = &token.national_id else {
        return Ok(own_issuer_user(state, token));
    };
    let country = state
        .issuer_claims
        .get(&token.issuer)
        .and_then(|c| c.national_id_country);
    // R3: a national identifier that fails its format or check rules is 400 `invalid`
    // wherever it enters, a token claim too. Not 401: logging in again at the same issuer
    // would give the same claim. The value is not echoed.
    let id = parse_national_id(raw, country).ok_or_else(|| {
        FhirError::Invalid(
            "the token's national identifier claim fails its country's format or check rules"
                .into(),
        )
    })?;
    let person = state.access.patient_id_of(&id).await?.ok_or_else(|| {
        invalid_token("the token's national identifier is not known to the portals")
    })?;
    if let Some(user) = token.fhir_user.as_deref()
        && user != format!("Patient/{person}")
    {
        return Err(invalid_token(
            "the token's fhirUser and national identifier name different people",
        ));
    }
    Ok(Some(person))
}

/// R1 at the resource server: a citizen's token carries the assurance of the login behind
/// it (`acr`), at least the issuer's minimum. Checked here as well as at the gateway's own
/// eID login, because other issuers' tokens never pass that login.
fn check_assurance(state: &AppState, token: &VerifiedToken) -> Result<(), FhirError> {
    let Some(claims) = state.issuer_claims.get(&token.issuer) else {
        return Ok(());
    };
    if claims.citizen_min_acr.is_empty() {
        return Ok(());
    }
    let acr = token
        .claims
        .get("acr")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if crate::eid::acr::sufficient(&claims.acr_levels, &claims.citizen_min_acr, acr) {
        Ok(())
    } else {
        Err(invalid_token(
            "the login behind this token is below the assurance level required for citizens",
        ))
    }
}

/// The user of a token of the gateway's own authorization server: its `fhirUser`
/// (`Patient/<id>`), vouched for by the eID login behind it.
fn own_issuer_user(state: &AppState, token: &VerifiedToken) -> Option<String> {
    let ours = state
        .issuer_claims
        .get(&token.issuer)
        .is_some_and(|c| c.actor_from_fhir_user);
    let user = token.fhir_user.as_deref()?.strip_prefix("Patient/")?;
    (ours && ids::parse(user).is_some_and(|id| id.record.is_none())).then(|| user.to_owned())
}

/// The professional's national id: from the issuer's configured claim, or a `fhirUser` that
/// names a Practitioner.
fn professional_id(state: &AppState, token: &VerifiedToken) -> Option<String> {
    let configured = state
        .issuer_claims
        .get(&token.issuer)
        .and_then(|c| c.professional_id_claim.as_deref());
    if let Some(claim) = configured {
        return token
            .claims
            .get(claim)
            .and_then(|v| v.as_str())
            .map(str::to_owned);
    }
    token
        .fhir_user
        .as_deref()
        .and_then(|u| u.rsplit_once("Practitioner/"))
        .map(|(_, id)| id.to_owned())
}

/// Break-the-glass: an IUA-style `purpose_of_use` of EMERGENCY (or BTG), as a string or in a
/// list, from a professionals' issuer only (`professional_issuer`). Whether the patient's
/// country allows it is decided with the patient (`[consent] break_the_glass`).
fn emergency(state: &AppState, token: &VerifiedToken) -> bool {
    let from_professionals = state
        .issuer_claims
        .get(&token.issuer)
        .is_some_and(|c| c.professional_issuer);
    let is_emergency = |v: &serde_json::Value| {
        v.as_str().is_some_and(|s| {
            let code = s.rsplit(['|', ':', '/']).next().unwrap_or(s);
            code.eq_ignore_ascii_case("EMERGENCY") || code.eq_ignore_ascii_case("BTG")
        })
    };
    from_professionals
        && match token.claims.get("purpose_of_use") {
            Some(serde_json::Value::Array(items)) => items.iter().any(is_emergency),
            Some(value) => is_emergency(value),
            None => false,
        }
}

/// The professional's organisation, from the issuer's configured claim (a string; other
/// shapes are ignored rather than guessed at).
fn organization(state: &AppState, token: &VerifiedToken) -> Option<String> {
    let claim = state
        .issuer_claims
        .get(&token.issuer)?
        .organization_claim
        .as_deref()?;
    let value = token.claims.get(claim)?.as_str()?.trim();
    (!value.is_empty() && value.len() <= 256).then(|| value.to_owned())
}

/// A national identifier claim carries no system. The issuer's configured country decides
/// how to read it; without one, it must read as exactly one country's identifier (some forms
/// overlap, e.g. a Finnish HETU with a digit check character and a Danish `DDMMYY-SSSS`).
fn parse_national_id(raw: &str, country: Option<Country>) -> Option<NationalId> {
    if let Some(country) = country {
        return NationalId::parse_for_country(country, raw).ok();
    }
    let mut readings = Country::ALL
        .into_iter()
        .filter_map(|c| NationalId::parse_for_country(c, raw).ok());
    let first = readings.next()?;
    readings.next().is_none().then_some(first)
}
