//! The authorization request in progress, from `authorize` to the code: kept in the store
//! under the SHA-256 of a random id that only the browser holds (the flow cookie), so that
//! any instance can serve the next page and a restart loses nothing.

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};

use crate::authz::AuthServer;
use crate::authz::cookies;
use crate::authz::tokens::{digest, random_secret};
use crate::national_id::Country;
use crate::store::StoreError;

/// What the app asked for, checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The scopes the app may get (requested ∩ allowed).
    pub scope: String,
    pub state: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
}

/// The eID round trip.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EidRoundTrip {
    pub country: Country,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    /// The CSRF token of this flow's forms.
    pub csrf: String,
    /// `None` when the citizen logs in to manage their grants (no app).
    pub app: Option<AppRequest>,
    pub login_hint: Option<String>,
    pub eid: Option<EidRoundTrip>,
    /// After the login: the session (by digest), the user (Patient id), its assurance.
    pub session: Option<String>,
    pub user: Option<String>,
    pub acr: Option<String>,
    pub auth_time: Option<i64>,
    /// The person chosen to act for (R34).
    pub patient: Option<String>,
}

impl Flow {
    pub fn new(app: Option<AppRequest>, login_hint: Option<String>) -> Flow {
        Flow {
            csrf: random_secret(),
            app,
            login_hint,
            eid: None,
            session: None,
            user: None,
            acr: None,
            auth_time: None,
            patient: None,
        }
    }

    /// Stores a new flow; returns the id for the cookie.
    pub async fn create(&self, server: &AuthServer) -> Result<String, StoreError> {
        let id = random_secret();
        self.save(server, &id).await?;
        Ok(id)
    }

    /// Moves this flow to a new id and returns it; `old_id` is invalid from then on. Done
    /// when the eID login succeeds: whoever knew the id before the login (one planted in
    /// the citizen's browser, say) cannot continue the flow as the citizen after it.
    pub async fn rotate(&self, server: &AuthServer, old_id: &str) -> Result<String, StoreError> {
        let new_id = random_secret();
        let now = now_ms();
        let expires = now + server.settings.flow_minutes as i64 * 60_000;
        let details = serde_json::to_string(self).expect("a flow serialises");
        server
            .store
            .replace_flow(&digest(old_id), &digest(&new_id), &details, now, expires)
            .await?;
        Ok(new_id)
    }

    pub async fn save(&self, server: &AuthServer, id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let expires = now + server.settings.flow_minutes as i64 * 60_000;
        let details = serde_json::to_string(self).expect("a flow serialises");
        server
            .store
            .put_flow(&digest(id), &details, now, expires)
            .await
    }

    /// The flow of this browser: `(id, flow)`, or `None` if it has none or it expired.
    pub async fn of(
        server: &AuthServer,
        req: &HttpRequest,
    ) -> Result<Option<(String, Flow)>, StoreError> {
        let Some(id) = cookies::read(req, cookies::FLOW) else {
            return Ok(None);
        };
        let Some(details) = server.store.flow(&digest(&id), now_ms()).await? else {
            return Ok(None);
        };
        match serde_json::from_str(&details) {
            Ok(flow) => Ok(Some((id, flow))),
            Err(e) => Err(StoreError::Corrupt(format!("an authorization flow: {e}"))),
        }
    }

    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        given.is_some_and(|g| g.len() == self.csrf.len() && digest(g) == digest(&self.csrf))
    }
}

pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}
