//! Content negotiation (`Accept`, `_format`), `_pretty`, and writing FHIR JSON responses;
//! NDJSON for exports.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::fhir::{FHIR_JSON, FhirError};

/// How the client wants its answer written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub pretty: bool,
}

const JSON_TYPES: &[&str] = &[
    "application/fhir+json",
    "application/json",
    "application/json+fhir",
    "json",
    "*/*",
    "application/*",
];

const XML_TYPES: &[&str] = &[
    "application/fhir+xml",
    "application/xml",
    "text/xml",
    "xml",
    "application/xml+fhir",
];

impl Format {
    /// `_format` wins over `Accept`; both default to JSON. XML and anything else that is not
    /// JSON is refused with 406 (the gateway writes JSON only).
    pub fn negotiate(req: &HttpRequest, query: &[(String, String)]) -> Result<Format, FhirError> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(format) = param("_format") {
            let media = media_type(format);
            if !JSON_TYPES.contains(&media.as_str()) {
                return Err(not_acceptable(&media));
            }
        } else {
            let offered = accepted(req);
            if !offered.is_empty() && !offered.iter().any(|m| JSON_TYPES.contains(&m.as_str())) {
                return Err(not_acceptable(&offered.join(", ")));
            }
        }
        let pretty = match param("_pretty") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(FhirError::Invalid(format!(
                    "_pretty must be true or false, not '{other}'"
                )));
            }
        };
        Ok(Format { pretty })
    }

    pub fn respond<T: Serialize>(&self, status: StatusCode, value: &T) -> HttpResponse {
        // Most answers are a few to a few tens of kilobytes: start big enough to avoid
        // growing the buffer (and copying it) several times per response.
        let mut bytes = Vec::with_capacity(16 * 1024);
        let written = if self.pretty {
            serde_json::to_writer_pretty(&mut bytes, value)
        } else {
            serde_json::to_writer(&mut bytes, value)
        };
        match written {
            Ok(()) => HttpResponse::build(status)
                .content_type(format!("{FHIR_JSON}; charset=utf-8"))
                .body(bytes),
            Err(e) => actix_web::ResponseError::error_response(&FhirError::Internal(format!(
                "serialisation: {e}"
            ))),
        }
    }
}

/// How an export answers: a Bundle (page) in FHIR JSON, or the whole as NDJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Bundle(Format),
    Ndjson,
}

impl Export {
    /// `_format=ndjson` (or `application/fhir+ndjson`, `application/ndjson`), or an `Accept`
    /// that asks for one of those, is NDJSON; anything else is negotiated as for any FHIR
    /// response.
    pub fn negotiate(req: &HttpRequest, query: &[(String, String)]) -> Result<Export, FhirError> {
        let ndjson = match query.iter().find(|(k, _)| k == "_format") {
            Some((_, format)) => NDJSON_TYPES.contains(&media_type(format).as_str()),
            None => accepted(req)
                .iter()
                .any(|m| NDJSON_TYPES.contains(&m.as_str())),
        };
        if ndjson {
            return Ok(Export::Ndjson);
        }
        Format::negotiate(req, query).map(Export::Bundle)
    }
}

/// The media type of NDJSON FHIR exports (FHIR Bulk Data).
pub const FHIR_NDJSON: &str = "application/fhir+ndjson";

const NDJSON_TYPES: &[&str] = &["ndjson", "application/fhir+ndjson", "application/ndjson"];

fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The media types of `Accept` with a quality above zero, lower-cased.
fn accepted(req: &HttpRequest) -> Vec<String> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Vec::new();
    };
    accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0 && !media.is_empty()).then_some(media)
        })
        .collect()
}

fn not_acceptable(media: &str) -> FhirError {
    let xml = XML_TYPES.iter().any(|x| media.contains(x));
    FhirError::NotAcceptable(if xml {
        "this server writes FHIR JSON only (application/fhir+json); XML is not supported".into()
    } else {
        format!("cannot produce '{media}'; this server writes application/fhir+json")
    })
}

/// The query string as `(name, value)` pairs; malformed encoding is a 400.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, FhirError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|_| {
        FhirError::Invalid("the query string is not valid application/x-www-form-urlencoded".into())
    })
}
