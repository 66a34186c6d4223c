//! CORS (R43): the registered web origins of the clients (and the gateway's own) may call
//! the discovery documents, the token, introspection and revocation endpoints and the FHIR
//! API from a browser, with a bearer token; no cookies are shared (no credentials mode).

use actix_cors::Cors;

pub fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            "Authorization",
            "Content-Type",
            "Accept",
            "If-Match",
            "Prefer",
            "X-Request-Id",
        ])
        .expose_headers([
            "Location",
            "ETag",
            "Last-Modified",
            "WWW-Authenticate",
            "X-Request-Id",
            "Retry-After",
        ])
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
