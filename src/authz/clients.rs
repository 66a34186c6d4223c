//! The registered clients (from configuration) and what each may ask for: exact redirect
//! URIs, allowed scopes, its keys for `private_key_jwt`, its web origins (CORS, R43).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::auth::ScopeSet;
use crate::auth::jwks::KeySet;
use crate::auth::scopes::{ResourceScope, ScopeContext};
use crate::authz::settings::{ClientKind, ClientSettings};

/// A fetched client JWK set is used this long before it is fetched again.
const CLIENT_JWKS_TTL: Duration = Duration::from_secs(300);
/// An unknown `kid` refetches the set, but not more often than this.
const CLIENT_JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);

pub struct Client {
    pub settings: ClientSettings,
    allowed: ScopeSet,
    static_keys: Option<Arc<KeySet>>,
    fetched: Mutex<Option<(Instant, Arc<KeySet>)>>,
}

impl Client {
    pub fn id(&self) -> &str {
        &self.settings.client_id
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub fn is_public(&self) -> bool {
        self.settings.kind == ClientKind::Public
    }

    /// Exact string comparison (RFC 9700 §4.1.3): no prefixes, no wildcards, no normalising.
    pub fn redirect_uri_registered(&self, uri: &str) -> bool {
        self.settings.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether this client may be given `scope` (one scope string).
    pub fn may_have(&self, scope: &str) -> bool {
        if self.allowed.has(scope) {
            return true;
        }
        let parsed = ScopeSet::parse(scope);
        match parsed.resource_scopes() {
            [wanted] => self
                .allowed
                .resource_scopes()
                .iter()
                .any(|allowed| covers(allowed, wanted)),
            _ => false,
        }
    }

    /// The client's keys for verifying its assertions: the configured set, or the one at
    /// its `jwks_uri` (cached; refetched when `refresh` and not fetched too recently).
    pub(crate) async fn keys(&self, http: &reqwest::Client, refresh: bool) -> Option<Arc<KeySet>> {
        if let Some(keys) = &self.static_keys {
            return Some(keys.clone());
        }
        let uri = self.settings.jwks_uri.as_deref()?;
        let mut fetched = self.fetched.lock().await;
        let stale = match &*fetched {
            None => true,
            Some((at, _)) if refresh => at.elapsed() >= CLIENT_JWKS_MIN_REFRESH,
            Some((at, _)) => at.elapsed() >= CLIENT_JWKS_TTL,
        };
        if stale {
            match crate::auth::key_fetch::fetch_key_set(http, uri).await {
                Ok(keys) => *fetched = Some((Instant::now(), Arc::new(keys))),
                Err(error) => {
                    tracing::warn!(client_id = %self.id(), %error, "could not fetch a client's keys");
                }
            }
        }
        fetched.as_ref().map(|(_, keys)| keys.clone())
    }
}

/// Whether an allowed resource scope covers a wanted one: same context, the type (or `*`),
/// at most the same permissions, and no lost query restriction.
fn covers(allowed: &ResourceScope, wanted: &ResourceScope) -> bool {
    let p = (&allowed.permissions, &wanted.permissions);
    allowed.context == wanted.context
        && allowed
            .resource_type
            .as_ref()
            .is_none_or(|t| wanted.resource_type.as_ref() == Some(t))
        && (p.0.create || !p.1.create)
        && (p.0.read || !p.1.read)
        && (p.0.update || !p.1.update)
        && (p.0.delete || !p.1.delete)
        && (p.0.search || !p.1.search)
        && (allowed.query.is_empty() || allowed.query == wanted.query)
}

/// Whether every scope of `wanted` is within `granted` (refresh never widens, R5).
pub fn within(granted: &str, wanted: &str) -> bool {
    let granted_set = ScopeSet::parse(granted);
    wanted.split_ascii_whitespace().all(|scope| {
        granted_set.has(scope) || {
            let parsed = ScopeSet::parse(scope);
            matches!(parsed.resource_scopes(), [w] if granted_set.resource_scopes().iter().any(|g| covers(g, w)))
        }
    })
}

/// The context of a single resource scope, if it is one.
pub fn context_of(scope: &str) -> Option<ScopeContext> {
    let parsed = ScopeSet::parse(scope);
    match parsed.resource_scopes() {
        [one] => Some(one.context),
        _ => None,
    }
}

pub struct ClientRegistry {
    clients: HashMap<String, Arc<Client>>,
}

impl ClientRegistry {
    /// `{base_url}` in redirect URIs and origins stands for the gateway's public base URL.
    pub fn new(settings: &[ClientSettings], base_url: &str) -> Result<ClientRegistry, String> {
        let mut clients = HashMap::new();
        for entry in settings {
            let mut entry = entry.clone();
            for uri in entry
                .redirect_uris
                .iter_mut()
                .chain(entry.origins.iter_mut())
            {
                *uri = uri.replace("{base_url}", base_url);
            }
            let entry = &entry;
            if let Some(problem) = entry.problem() {
                return Err(problem);
            }
            let static_keys = match &entry.jwks {
                Some(document) => {
                    let keys = KeySet::from_json(document).map_err(|reason| {
                        format!("auth.clients.{}: jwks {reason}", entry.client_id)
                    })?;
                    if keys.is_empty() {
                        return Err(format!(
                            "auth.clients.{}: jwks has no key that can verify signatures",
                            entry.client_id
                        ));
                    }
                    Some(Arc::new(keys))
                }
                None => None,
            };
            let client = Client {
                allowed: ScopeSet::parse(&entry.scopes.join(" ")),
                settings: entry.clone(),
                static_keys,
                fetched: Mutex::new(None),
            };
            if clients
                .insert(entry.client_id.clone(), Arc::new(client))
                .is_some()
            {
                return Err(format!(
                    "auth.clients: client_id {} is registered twice",
                    entry.client_id
                ));
            }
        }
        Ok(ClientRegistry { clients })
    }

    pub fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        self.clients.get(client_id).cloned()
    }

    /// Every registered web origin (CORS, R43).
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .clients
            .values()
            .flat_map(|c| c.settings.origins.iter().cloned())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(scopes: &[&str]) -> Client {
        let settings: ClientSettings = serde_json::from_value(serde_json::json!({
            "client_id": "app", "name": "App", "kind": "public",
            "redirect_uris": ["https://app.example/cb"],
            "scopes": scopes,
        }))
        .unwrap();
        ClientRegistry::new(&[settings], "http://gw")
            .unwrap()
            .clients
            .remove("app")
            .map(|c| Arc::try_unwrap(c).ok().unwrap())
            .unwrap()
    }

    #[test]
    fn allowed_scopes_cover_narrower_ones() {
        let c = client(&[
            "openid",
            "launch/patient",
            "patient/*.rs",
            "patient/Observation.r?category=laboratory",
        ]);
        for yes in [
            "openid",
            "launch/patient",
            "patient/*.rs",
            "patient/Immunization.rs",
            "patient/Immunization.read",
            "patient/Condition.s",
            "patient/Immunization.rs?status=completed",
            "patient/Observation.r?category=laboratory",
        ] {
            assert!(c.may_have(yes), "{yes}");
        }
        for no in [
            "offline_access",
            "patient/*.cruds",
            "patient/*.write",
            "system/*.rs",
            "user/*.rs",
            "fhirUser",
            "patient/bad.rs",
        ] {
            assert!(!c.may_have(no), "{no}");
        }
    }

    #[test]
    fn a_query_scope_does_not_cover_a_wider_one() {
        let c = client(&["patient/Observation.rs?category=laboratory"]);
        assert!(c.may_have("patient/Observation.rs?category=laboratory"));
        assert!(c.may_have("patient/Observation.r?category=laboratory"));
        assert!(!c.may_have("patient/Observation.rs"));
        assert!(!c.may_have("patient/Observation.rs?category=vital-signs"));
    }

    #[test]
    fn refresh_scopes_stay_within_the_grant() {
        let granted = "openid patient/*.rs offline_access";
        assert!(within(granted, "patient/*.rs"));
        assert!(within(granted, "patient/Immunization.rs openid"));
        assert!(within(granted, "patient/Immunization.read"));
        assert!(!within(granted, "patient/*.cruds"));
        assert!(!within(granted, "fhirUser"));
        assert!(!within(granted, "system/*.rs"));
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let c = client(&["openid"]);
        assert!(c.redirect_uri_registered("https://app.example/cb"));
        for other in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://app.example/c",
            "HTTPS://app.example/cb",
        ] {
            assert!(!c.redirect_uri_registered(other), "{other}");
        }
    }
}
