//! `GET /dev-eid/.well-known/openid-configuration`: what a relying party needs to know, and
//! nothing the dev eID does not do.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::DevEid;
use super::assurance::Level;
use super::id_token::CLAIMS;

pub async fn openid_configuration(eid: web::Data<DevEid>) -> HttpResponse {
    let issuer = &eid.issuer;
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "scopes_supported": ["openid"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": CLAIMS,
            "acr_values_supported": Level::ALL.map(Level::acr),
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        }))
}
