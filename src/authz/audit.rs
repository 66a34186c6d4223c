//! The authorization server's events for the access log (R38): every event goes through
//! `record`, the one place where they reach the log. Until the access log's store is wired
//! in here they go to the structured log, with Patient ids and client ids only (never
//! national identifiers, R40).

use crate::authz::AuthServer;
use crate::national_id::Country;

/// What happened.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A citizen logged in with their eID.
    Login {
        user: &'a str,
        country: Country,
        acr: &'a str,
        client_id: Option<&'a str>,
    },
    /// An eID login was refused (no person is known then).
    LoginFailed { country: Country, reason: &'a str },
    /// The citizen ended a login session.
    Logout { user: &'a str },
    /// An access token was issued (with a refresh token, if any).
    TokenIssued {
        client_id: &'a str,
        grant_type: &'a str,
        user: Option<&'a str>,
        patient: Option<&'a str>,
    },
    /// A token, or a family of tokens, was revoked.
    TokenRevoked { client_id: &'a str, what: &'a str },
    /// The citizen withdrew an app's grant.
    GrantRevoked { user: &'a str, grant_id: &'a str },
}

pub async fn record(_server: &AuthServer, event: Event<'_>) {
    match event {
        Event::Login {
            user,
            country,
            acr,
            client_id,
        } => {
            tracing::info!(
                event = "login",
                user,
                country = country.code(),
                acr,
                client_id,
                "eID login"
            );
        }
        Event::LoginFailed { country, reason } => {
            tracing::info!(
                event = "login-failed",
                country = country.code(),
                reason,
                "eID login refused"
            );
        }
        Event::Logout { user } => tracing::info!(event = "logout", user, "login session ended"),
        Event::TokenIssued {
            client_id,
            grant_type,
            user,
            patient,
        } => {
            tracing::info!(
                event = "token-issued",
                client_id,
                grant_type,
                user,
                patient,
                "access token issued"
            );
        }
        Event::TokenRevoked { client_id, what } => {
            tracing::info!(event = "token-revoked", client_id, what, "token revoked");
        }
        Event::GrantRevoked { user, grant_id } => {
            tracing::info!(
                event = "grant-revoked",
                user,
                grant_id,
                "app grant withdrawn by the citizen"
            );
        }
    }
}
