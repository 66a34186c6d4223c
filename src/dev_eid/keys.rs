//! The dev eID's ID-token signing key and its published JWK set.

use std::path::Path;

use actix_web::{HttpResponse, web};

use crate::auth::signing_key::{KeyFileError, SigningKey};

use super::DevEid;

/// The key in `key_file` (created on first start), or a key of this process alone.
pub fn signing_key(key_file: &str) -> Result<SigningKey, KeyFileError> {
    if key_file.trim().is_empty() {
        Ok(SigningKey::generate("dev-eid"))
    } else {
        SigningKey::load_or_create(Path::new(key_file.trim()), "dev-eid")
    }
}

/// `GET /dev-eid/jwks`
pub async fn jwks(eid: web::Data<DevEid>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(eid.key.jwks())
}
