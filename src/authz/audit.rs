//! The authorization server's events in the access log (R38): logins (and refused ones),
//! logouts, tokens issued and revoked, grants withdrawn. Every event goes through `record`,
//! the one place where they reach the log, as `AuditRecord::security` entries: the citizen
//! by Patient id and the app by client id, never a national identifier (R40).
//!
//! Issuing access is recorded before it is granted: when the log cannot take a login or a
//! token, none is given (fail closed, like the data requests). Refusals and revocations
//! have already happened when they are recorded; a log failure is then only reported.

use crate::audit::{AuditKind, AuditRecord, Outcome};
use crate::authz::AuthServer;
use crate::national_id::Country;

/// What happened.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A citizen logged in with their eID.
    Login {
        user: &'a str,
        country: Country,
        client_id: Option<&'a str>,
    },
    /// An eID login was refused (no person is known then).
    LoginFailed { country: Country, reason: &'a str },
    /// The citizen ended a login session.
    Logout { user: &'a str },
    /// An access token was issued (with a refresh token, if any).
    TokenIssued {
        client_id: &'a str,
        user: Option<&'a str>,
    },
    /// A token, or a family of tokens, was revoked.
    TokenRevoked { client_id: &'a str, what: &'a str },
    /// The citizen withdrew an app's grant.
    GrantRevoked { user: &'a str, client_id: &'a str },
}

/// Records `event`; `Err` when the log did not take it.
pub async fn record(server: &AuthServer, event: Event<'_>) -> Result<(), String> {
    let entry = match event {
        Event::Login {
            user,
            country,
            client_id,
        } => {
            tracing::info!(event = "login", user, country = country.code(), "eID login");
            AuditRecord::security(AuditKind::Login, Some(user), client_id, Outcome::Success)
        }
        Event::LoginFailed { country, reason } => {
            tracing::info!(
                event = "login-failed",
                country = country.code(),
                reason,
                "eID login refused"
            );
            let outcome =
                Outcome::Refused(format!("{} eID login refused: {reason}", country.code()));
            AuditRecord::security(AuditKind::Login, None, None, outcome)
        }
        Event::Logout { user } => {
            AuditRecord::security(AuditKind::Logout, Some(user), None, Outcome::Success)
        }
        Event::TokenIssued { client_id, user } => AuditRecord::security(
            AuditKind::TokenIssued,
            user,
            Some(client_id),
            Outcome::Success,
        ),
        Event::TokenRevoked { client_id, what } => {
            tracing::info!(event = "token-revoked", client_id, what, "token revoked");
            AuditRecord::security(
                AuditKind::TokenRevoked,
                None,
                Some(client_id),
                Outcome::Success,
            )
        }
        Event::GrantRevoked { user, client_id } => AuditRecord::security(
            AuditKind::GrantRevoked,
            Some(user),
            Some(client_id),
            Outcome::Success,
        ),
    };
    server.audit.record(entry).await.map(drop).map_err(|error| {
        tracing::error!(%error, "the access log did not take an authorization event");
        error.to_string()
    })
}

/// Records an event that has already taken effect: a failure to log is reported only.
pub async fn record_done(server: &AuthServer, event: Event<'_>) {
    let _ = record(server, event).await;
}
