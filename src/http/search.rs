//! `GET /fhir/{type}?...` and `POST /fhir/{type}/_search`: searchset Bundles with paging.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::{Loadable, SearchPage};
use crate::auth::principal::Principal;
use crate::fhir::elements::{self, Cut};
use crate::fhir::resources::{
    AllergyIntolerance, Bundle, BundleEntry, BundleLink, Condition, Consent, DiagnosticReport,
    EntryResource, EntrySearch, Immunization, MedicationDispense, MedicationRequest, Observation,
    Patient,
};
use crate::fhir::search::{PageState, SearchRequest, Searchable, Summary};
use crate::fhir::{DomainResource, FhirError, Resource, ResourceType};
use crate::http::caller::Caller;
use crate::http::format::{Format, query_pairs};
use crate::http::state::AppState;

pub async fn search_get(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    run(&req, &state, &principal, &path.into_inner(), query, format).await
}

pub async fn search_post(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
    body: web::Payload,
) -> Result<HttpResponse, FhirError> {
    let mut query = query_pairs(&req)?;
    let format = Format::negotiate(&req, &query)?;
    query.extend(form_parameters(&req, &state, body).await?);
    run(&req, &state, &principal, &path.into_inner(), query, format).await
}

/// The parameters of a `POST _search` form body.
pub(super) async fn form_parameters(
    req: &HttpRequest,
    state: &AppState,
    body: web::Payload,
) -> Result<Vec<(String, String)>, FhirError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(FhirError::UnsupportedMediaType(
            "POST _search takes application/x-www-form-urlencoded parameters".into(),
        ));
    }
    let bytes = super::body::read_limited(body, state.max_body_bytes).await?;
    serde_urlencoded::from_bytes(&bytes).map_err(|_| {
        FhirError::Invalid("the form body is not valid application/x-www-form-urlencoded".into())
    })
}

async fn run(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    type_name: &str,
    query: Vec<(String, String)>,
    format: Format,
) -> Result<HttpResponse, FhirError> {
    let resource_type = super::resource_type(type_name)?;
    let lenient = req
        .headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|p| p.trim() == "handling=lenient"));
    let (params, offset) = super::page_link::restore(state, type_name, query)?;
    match resource_type {
        ResourceType::Patient => {
            search_as::<Patient>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::MedicationRequest => {
            search_as::<MedicationRequest>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::Immunization => {
            search_as::<Immunization>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::AllergyIntolerance => {
            search_as::<AllergyIntolerance>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::Condition => {
            search_as::<Condition>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::MedicationDispense => {
            search_as::<MedicationDispense>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::Observation => {
            search_as::<Observation>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::DiagnosticReport => {
            search_as::<DiagnosticReport>(state, principal, params, offset, lenient, format).await
        }
        ResourceType::Consent => {
            let request = parse::<Consent>(state, &params, offset, lenient)?;
            let result = state.consents.search(principal, &request).await?;
            Ok(respond(state, &request, result, format))
        }
        // The access log is searched with GET (`audit_event`); `resource_type` never names it.
        ResourceType::AuditEvent => Err(FhirError::NotFound(
            "AuditEvent is searched with GET /fhir/AuditEvent?patient=...".into(),
        )),
    }
}

pub(super) async fn search_as<R: Loadable>(
    state: &AppState,
    principal: &Principal,
    params: Vec<(String, String)>,
    page: Option<(usize, usize)>,
    lenient: bool,
    format: Format,
) -> Result<HttpResponse, FhirError> {
    let request = parse::<R>(state, &params, page, lenient)?;
    let result: SearchPage<R> = state.access.search(principal, &request).await?;
    Ok(respond(state, &request, result, format))
}

pub(super) fn parse<R: Searchable>(
    state: &AppState,
    params: &[(String, String)],
    page: Option<(usize, usize)>,
    lenient: bool,
) -> Result<SearchRequest, FhirError> {
    let fhir_base = state.fhir_base();
    let mut request = SearchRequest::parse::<R>(params, state.limits, lenient, &fhir_base)
        .map_err(FhirError::Invalid)?;
    if let Some((offset, count)) = page {
        request.offset = offset;
        request.count = count;
    }
    if request.summary == Summary::Count {
        request.count = 0;
    }
    Ok(request)
}

pub(super) fn respond<R: Searchable>(
    state: &AppState,
    request: &SearchRequest,
    result: SearchPage<R>,
    format: Format,
) -> HttpResponse {
    let bundle = searchset(state, request, result);
    let mut response = format.respond(StatusCode::OK, &Resource::Bundle(bundle));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn searchset<R: Searchable>(
    state: &AppState,
    request: &SearchRequest,
    result: SearchPage<R>,
) -> Bundle {
    let fhir_base = state.fhir_base();
    let type_name = R::TYPE.as_str();
    let cut = match (&request.summary, &request.elements) {
        (Summary::True, _) => Some(Cut::Summary),
        (Summary::Text, _) => Some(Cut::Text),
        (Summary::Data, _) => Some(Cut::Data),
        (_, Some(list)) => Some(Cut::Elements(list)),
        _ => None,
    };
    let mut entry: Vec<BundleEntry> = result
        .matches
        .into_iter()
        .map(|r| entry_of(&fhir_base, r, cut, "match"))
        .collect();
    entry.extend(
        result
            .included
            .into_iter()
            .map(|r| included_entry(&fhir_base, r)),
    );
    let link_to = |offset: usize| {
        let token = state.sealer.seal(&PageState {
            resource_type: type_name.to_owned(),
            params: request.canonical.clone(),
            offset,
            count: request.count,
        });
        format!("{fhir_base}/{type_name}?_page={token}")
    };
    let link = page_links(request.offset, request.count, result.total, link_to);
    Bundle {
        id: None,
        meta: Some(crate::fhir::datatypes::Meta {
            last_updated: Some(crate::mapping::instant(time::OffsetDateTime::now_utc())),
            ..Default::default()
        }),
        identifier: None,
        type_: "searchset".into(),
        timestamp: None,
        total: Some(result.total),
        link,
        entry,
    }
}

/// The links of one page: `self`, and with a page size `first`, `previous`, `next`, `last`.
/// `link_to` makes the URL of the page at an offset.
pub(super) fn page_links(
    offset: usize,
    count: usize,
    total: usize,
    link_to: impl Fn(usize) -> String,
) -> Vec<BundleLink> {
    let mut link = vec![BundleLink {
        relation: "self".into(),
        url: link_to(offset),
    }];
    if count > 0 {
        link.push(BundleLink {
            relation: "first".into(),
            url: link_to(0),
        });
        if offset > 0 {
            link.push(BundleLink {
                relation: "previous".into(),
                url: link_to(offset.saturating_sub(count)),
            });
        }
        if offset + count < total {
            link.push(BundleLink {
                relation: "next".into(),
                url: link_to(offset + count),
            });
        }
        let last = if total == 0 {
            0
        } else {
            (total - 1) / count * count
        };
        link.push(BundleLink {
            relation: "last".into(),
            url: link_to(last),
        });
    }
    link
}

/// An entry `_include` adds: always whole, as `_summary`/`_elements` apply to matches only.
fn included_entry(fhir_base: &str, resource: Resource) -> BundleEntry {
    let full_url = format!(
        "{fhir_base}/{}/{}",
        resource.type_name(),
        resource.id().unwrap_or_default()
    );
    BundleEntry {
        full_url,
        resource: EntryResource::Typed(Box::new(resource)),
        search: Some(EntrySearch {
            mode: "include".into(),
        }),
    }
}

fn entry_of<R: DomainResource>(
    fhir_base: &str,
    resource: R,
    cut: Option<Cut<'_>>,
    mode: &str,
) -> BundleEntry {
    let full_url = format!("{fhir_base}/{}/{}", R::TYPE.as_str(), resource.id());
    let resource = match cut {
        None => EntryResource::Typed(Box::new(resource.into())),
        Some(cut) => {
            let typed: Resource = resource.into();
            let json = serde_json::to_value(typed).unwrap_or_default();
            EntryResource::Json(elements::apply(R::TYPE, json, cut))
        }
    };
    BundleEntry {
        full_url,
        resource,
        search: Some(EntrySearch { mode: mode.into() }),
    }
}
