//! Reading a request body within the configured limit.

use actix_web::web;
use futures_util::StreamExt;

use crate::fhir::FhirError;

/// The whole body, or 413 as soon as it grows past `limit` bytes.
pub async fn read_limited(
    mut body: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, FhirError> {
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|_| FhirError::Invalid("the request body could not be read".into()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(FhirError::PayloadTooLarge(format!(
                "the request body is larger than {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
