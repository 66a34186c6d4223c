//! The authorization server's events for the access log (R38): one function per event, the
//! single place each is recorded. Until the access log's store is wired here they go to the
//! structured log, with Patient ids only (never national identifiers, R40).

use crate::national_id::Country;

pub fn login_succeeded(user: &str, country: Country, acr: &str) {
    tracing::info!(
        event = "login",
        user,
        country = country.code(),
        acr,
        "eID login"
    );
}

pub fn login_failed(country: Country, reason: &str) {
    tracing::info!(
        event = "login-failed",
        country = country.code(),
        reason,
        "eID login failed"
    );
}

pub fn logout(user: &str) {
    tracing::info!(event = "logout", user, "login session ended");
}

pub fn token_issued(client_id: &str, grant_type: &str, patient: Option<&str>, jti: &str) {
    tracing::info!(
        event = "token-issued",
        client_id,
        grant_type,
        patient,
        jti,
        "access token issued"
    );
}

pub fn token_revoked(client_id: &str, what: &str) {
    tracing::info!(event = "token-revoked", client_id, what, "token revoked");
}

pub fn grant_revoked(user: &str, grant_id: &str) {
    tracing::info!(
        event = "grant-revoked",
        user,
        grant_id,
        "app grant revoked by the citizen"
    );
}

pub fn refresh_reuse(client_id: &str) {
    tracing::warn!(
        event = "refresh-token-reuse",
        client_id,
        "a replaced refresh token was used again; its family is revoked"
    );
}
