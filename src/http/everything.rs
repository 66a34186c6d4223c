//! `GET /fhir/Patient/{id}/$everything` (R22): every resource of the patient the gateway maps,
//! as searchset pages (`_count`, sealed page links) or as one NDJSON download
//! (`_format=ndjson`), with `_since` and `_type`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access::Wanted;
use crate::audit::note;
use crate::fhir::datatypes::Meta;
use crate::fhir::resources::{Bundle, BundleEntry, EntryResource, EntrySearch};
use crate::fhir::search::{PageState, SearchLimits};
use crate::fhir::{FhirError, Resource, ResourceType};
use crate::http::caller::Caller;
use crate::http::format::{Export, FHIR_NDJSON, query_pairs};
use crate::http::search::page_links;
use crate::http::state::AppState;

pub async fn everything(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    Caller(principal): Caller,
) -> Result<HttpResponse, FhirError> {
    let query = query_pairs(&req)?;
    let export = Export::negotiate(&req, &query)?;
    let patient_id = path.into_inner();
    let page_kind = format!("Patient/{patient_id}/$everything");
    let (params, page) = super::page_link::restore(&state, &page_kind, query)?;
    let mut request = Request::parse(&params, state.limits)?;
    if let Some((offset, count)) = page {
        request.offset = offset;
        request.count = count;
    }
    if export == Export::Ndjson && (request.count_given || page.is_some()) {
        return Err(FhirError::Invalid(
            "an NDJSON download is always the whole record; _count and _page are for Bundle pages"
                .into(),
        ));
    }
    let wanted = match &request.types {
        None => Wanted::All,
        Some(types) => Wanted::Only(types),
    };
    let record = state
        .access
        .patient_record(&principal, &patient_id, wanted)
        .await?;
    let mut resources = record.into_resources(wanted);
    if let Some(since) = request.since {
        resources.retain(|r| updated_since(r, since));
    }
    let shown = match export {
        Export::Ndjson => resources.len(),
        Export::Bundle(_) => request.count,
    };
    note::disclosed(
        resources
            .iter()
            .skip(if export == Export::Ndjson {
                0
            } else {
                request.offset
            })
            .take(shown)
            .map(|r| {
                (
                    r.type_name(),
                    r.id().unwrap_or_default(),
                    Some(patient_id.as_str()),
                )
            }),
    );
    match export {
        Export::Ndjson => Ok(ndjson(&patient_id, resources)),
        Export::Bundle(format) => {
            let bundle = searchset(&state, &page_kind, &request, resources);
            let mut response = format.respond(StatusCode::OK, &Resource::Bundle(bundle));
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
    }
}

/// What one `$everything` request asks for.
#[derive(Debug)]
struct Request {
    since: Option<OffsetDateTime>,
    types: Option<Vec<ResourceType>>,
    count: usize,
    count_given: bool,
    offset: usize,
    /// The parameters as understood, for the page links.
    canonical: Vec<(String, String)>,
}

impl Request {
    fn parse(params: &[(String, String)], limits: SearchLimits) -> Result<Request, FhirError> {
        let mut request = Request {
            since: None,
            types: None,
            count: limits.default_count,
            count_given: false,
            offset: 0,
            canonical: Vec::new(),
        };
        for (name, value) in params {
            match name.as_str() {
                "_format" | "_pretty" => continue,
                "_count" => {
                    let count: usize = value.parse().map_err(|_| {
                        FhirError::Invalid(format!(
                            "_count must be a non-negative integer, not '{value}'"
                        ))
                    })?;
                    request.count = count.min(limits.max_count);
                    request.count_given = true;
                    continue;
                }
                "_since" => {
                    if request.since.is_some() {
                        return Err(FhirError::Invalid("_since may be given once".into()));
                    }
                    let since = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
                        FhirError::Invalid(format!(
                            "_since must be an instant with a time zone \
                             (e.g. 2025-01-31T12:00:00Z), not '{value}'"
                        ))
                    })?;
                    request.since = Some(since);
                }
                "_type" => {
                    let types = request.types.get_or_insert_with(Vec::new);
                    for name in value.split(',') {
                        let t = ResourceType::parse(name.trim()).ok_or_else(|| {
                            FhirError::Invalid(format!(
                                "_type '{name}' is not a resource type this server has; it has {}",
                                ResourceType::ALL.map(ResourceType::as_str).join(", ")
                            ))
                        })?;
                        if !types.contains(&t) {
                            types.push(t);
                        }
                    }
                }
                "start" | "end" => {
                    return Err(FhirError::Invalid(format!(
                        "$everything parameter '{name}' (care dates) is not supported; \
                         _since selects by record update"
                    )));
                }
                other => {
                    return Err(FhirError::Invalid(format!(
                        "parameter '{other}' is not supported by $everything"
                    )));
                }
            }
            request.canonical.push((name.clone(), value.clone()));
        }
        Ok(request)
    }
}

/// Whether the resource changed at or after `since` (its `meta.lastUpdated`).
fn updated_since(resource: &Resource, since: OffsetDateTime) -> bool {
    resource
        .meta()
        .and_then(|m| m.last_updated.as_deref())
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .is_some_and(|updated| updated >= since)
}

fn searchset(
    state: &AppState,
    page_kind: &str,
    request: &Request,
    resources: Vec<Resource>,
) -> Bundle {
    let fhir_base = state.fhir_base();
    let total = resources.len();
    let entry = resources
        .into_iter()
        .skip(request.offset)
        .take(request.count)
        .map(|resource| BundleEntry {
            full_url: format!(
                "{fhir_base}/{}/{}",
                resource.type_name(),
                resource.id().unwrap_or_default()
            ),
            resource: EntryResource::Typed(Box::new(resource)),
            search: Some(EntrySearch {
                mode: "match".into(),
            }),
        })
        .collect();
    let link_to = |offset: usize| {
        let token = state.sealer.seal(&PageState {
            resource_type: page_kind.to_owned(),
            params: request.canonical.clone(),
            offset,
            count: request.count,
        });
        format!("{fhir_base}/{page_kind}?_page={token}")
    };
    Bundle {
        id: None,
        meta: Some(Meta {
            last_updated: Some(crate::mapping::instant(OffsetDateTime::now_utc())),
            ..Default::default()
        }),
        identifier: None,
        type_: "searchset".into(),
        timestamp: None,
        total: Some(total),
        link: page_links(request.offset, request.count, total, link_to),
        entry,
    }
}

/// The whole record as a download: one resource per line, written as the response goes out.
fn ndjson(patient_id: &str, resources: Vec<Resource>) -> HttpResponse {
    let lines = resources.into_iter().map(|resource| {
        serde_json::to_vec(&resource).map(|mut line| {
            line.push(b'\n');
            web::Bytes::from(line)
        })
    });
    // The filename carries the opaque Patient id, never a national identifier.
    let disposition = format!("attachment; filename=\"{patient_id}-everything.ndjson\"");
    HttpResponse::Ok()
        .content_type(FHIR_NDJSON)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(futures_util::stream::iter(lines))
}
