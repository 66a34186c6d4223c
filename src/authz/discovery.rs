//! Discovery: `/fhir/.well-known/smart-configuration` (SMART App Launch 2.2 §2.0.6, R4),
//! `/.well-known/openid-configuration` (OIDC Discovery) and the JWK set. They list exactly
//! what is implemented: PKCE S256 only, no `authorize-post`, no EHR launch.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::authz::AuthServer;

/// The scopes a client can ask for here.
const SCOPES: [&str; 8] = [
    "openid",
    "fhirUser",
    "launch/patient",
    "offline_access",
    "patient/*.rs",
    "patient/*.read",
    "system/*.rs",
    "system/*.read",
];

const CAPABILITIES: [&str; 9] = [
    "launch-standalone",
    "client-public",
    "client-confidential-asymmetric",
    "context-standalone-patient",
    "permission-patient",
    "permission-v1",
    "permission-v2",
    "permission-offline",
    "sso-openid-connect",
];

fn endpoint(server: &AuthServer, path: &str) -> String {
    format!("{}/auth/{path}", server.issuer)
}

pub fn smart_document(server: &AuthServer) -> Value {
    json!({
        "issuer": server.issuer,
        "jwks_uri": endpoint(server, "jwks"),
        "authorization_endpoint": endpoint(server, "authorize"),
        "token_endpoint": endpoint(server, "token"),
        "introspection_endpoint": endpoint(server, "introspect"),
        "revocation_endpoint": endpoint(server, "revoke"),
        "management_endpoint": endpoint(server, "account"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": CAPABILITIES,
    })
}

pub fn openid_document(server: &AuthServer) -> Value {
    json!({
        "issuer": server.issuer,
        "authorization_endpoint": endpoint(server, "authorize"),
        "token_endpoint": endpoint(server, "token"),
        "jwks_uri": endpoint(server, "jwks"),
        "introspection_endpoint": endpoint(server, "introspect"),
        "revocation_endpoint": endpoint(server, "revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": SCOPES,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "fhirUser"],
        "code_challenge_methods_supported": ["S256"],
    })
}

fn json_response(document: Value, max_age: u32) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", format!("public, max-age={max_age}")))
        .json(document)
}

pub async fn smart_configuration(server: web::Data<AuthServer>) -> HttpResponse {
    json_response(smart_document(&server), 3600)
}

pub async fn openid_configuration(server: web::Data<AuthServer>) -> HttpResponse {
    json_response(openid_document(&server), 3600)
}

/// Short-lived in caches: a rotation must reach verifiers soon.
pub async fn jwks(server: web::Data<AuthServer>) -> HttpResponse {
    json_response(server.keys.jwks(), 300)
}
