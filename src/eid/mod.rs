//! The relying party towards each country's national eID (OpenID Connect, R1-R3).
//!
//! One provider per country, from `[[auth.eid]]`. The login is the authorization code flow
//! with PKCE (S256), `state` and `nonce`; the provider's discovery document and JWK set are
//! fetched (and cached for `METADATA_TTL`) by the `openidconnect` crate, which also checks
//! the ID token's signature, `iss`, `aud`, `exp` and `nonce`. On top of that: the `acr` must
//! reach the configured minimum, and the national identifier claim must pass the checks of
//! its country's number kind (`national_id`). A login that fails any of these ends on a
//! page that says why, and nothing is issued.

pub mod acr;
mod http_client;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, IssuerUrl, LoginHint, Nonce, OAuth2TokenResponse as _,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::auth::signing_key::SigningKey;
use crate::authz::settings::EidSettings;
use crate::national_id::{Country, NationalId};

/// How long a provider's discovery document and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(300);

/// The algorithms an eID may sign ID tokens with; `none` and HMAC never.
const ID_TOKEN_ALGORITHMS: [CoreJwsSigningAlgorithm; 5] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
];

/// Why an eID login did not give us a person. The texts are for the citizen's page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginFailure {
    #[error("No eID login is configured for this country.")]
    NoProvider,
    #[error("The eID service cannot be reached at the moment. Please try again later.")]
    ProviderUnavailable,
    #[error("The eID service refused the login ({0}).")]
    ProviderRefused(String),
    #[error("The eID login did not return a valid answer.")]
    InvalidAnswer,
    #[error("The eID answer could not be verified (its signature or issuer is wrong).")]
    InvalidIdToken,
    #[error("The eID answer does not belong to this login attempt. Please start again.")]
    WrongNonce,
    #[error("The eID answer has expired. Please start again.")]
    Expired,
    #[error(
        "Your login's level of assurance is too low. Please log in again with a method of at least level {0}."
    )]
    LowAssurance(String),
    #[error("The eID answer carries no valid national identity number.")]
    InvalidNationalId,
}

/// What the login page needs to send the browser to the eID, and what to keep for the return.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified eID login.
#[derive(Debug, Clone)]
pub struct EidLogin {
    pub national_id: NationalId,
    pub acr: String,
}

struct Provider {
    settings: EidSettings,
    issuer: String,
    private_key: Option<SigningKey>,
    metadata: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

/// The configured providers, by country.
pub struct EidProviders {
    providers: HashMap<Country, Arc<Provider>>,
    redirect_uri: String,
    http: reqwest::Client,
}

impl EidProviders {
    /// `base_url` fills `{base_url}` in issuers; the callback is
    /// `{base_url}/auth/eid/callback`.
    pub fn new(settings: &[EidSettings], base_url: &str) -> Result<EidProviders, String> {
        let mut providers = HashMap::new();
        for entry in settings {
            if let Some(problem) = entry.problem() {
                return Err(problem);
            }
            let private_key = if entry.client_secret.is_empty() {
                let key =
                    SigningKey::load_or_create(std::path::Path::new(&entry.private_key_file), "rp")
                        .map_err(|e| format!("auth.eid.{}: {e}", entry.country.code()))?;
                Some(key)
            } else {
                None
            };
            let provider = Provider {
                issuer: entry.issuer_for(base_url),
                settings: entry.clone(),
                private_key,
                metadata: Mutex::new(None),
            };
            if providers
                .insert(entry.country, Arc::new(provider))
                .is_some()
            {
                return Err(format!(
                    "auth.eid: country {} is configured twice",
                    entry.country.code()
                ));
            }
        }
        // The eID must not redirect us around: an answer is the provider's own or none.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(EidProviders {
            providers,
            redirect_uri: format!("{base_url}/auth/eid/callback"),
            http,
        })
    }

    /// The countries with an eID, in the usual order, with the name to show.
    pub fn countries(&self) -> Vec<(Country, String)> {
        Country::ALL
            .into_iter()
            .filter_map(|c| {
                let p = self.providers.get(&c)?;
                let name = if p.settings.name.is_empty() {
                    format!("{} eID", c.code())
                } else {
                    p.settings.name.clone()
                };
                Some((c, name))
            })
            .collect()
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    async fn metadata(&self, provider: &Provider) -> Result<CoreProviderMetadata, LoginFailure> {
        let mut cached = provider.metadata.lock().await;
        if let Some((at, metadata)) = &*cached
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer =
            IssuerUrl::new(provider.issuer.clone()).map_err(|_| LoginFailure::NoProvider)?;
        // The discovery document and the keys it names must both be the issuer's own.
        let client =
            http_client::client_on_origin(&self.http, issuer.url().origin().ascii_serialization());
        match CoreProviderMetadata::discover_async(issuer, &client).await {
            Ok(metadata) => {
                *cached = Some((Instant::now(), metadata.clone()));
                Ok(metadata)
            }
            Err(error) => {
                tracing::warn!(issuer = %provider.issuer, %error, "eID discovery failed");
                Err(LoginFailure::ProviderUnavailable)
            }
        }
    }

    fn client(
        &self,
        provider: &Provider,
        metadata: CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        LoginFailure,
    > {
        let secret = (!provider.settings.client_secret.is_empty())
            .then(|| ClientSecret::new(provider.settings.client_secret.clone()));
        let redirect =
            RedirectUrl::new(self.redirect_uri.clone()).map_err(|_| LoginFailure::NoProvider)?;
        let mut client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.settings.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect);
        if provider.private_key.is_some() {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        Ok(client)
    }

    /// Where to send the browser for `country`'s eID, with a fresh state, nonce and PKCE pair.
    pub async fn start(
        &self,
        country: Country,
        login_hint: Option<&str>,
    ) -> Result<LoginStart, LoginFailure> {
        let provider = self
            .providers
            .get(&country)
            .ok_or(LoginFailure::NoProvider)?;
        let metadata = self.metadata(provider).await?;
        let client = self.client(provider, metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in provider.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        // Ask for the minimum level; the answer is checked anyway (R1).
        request = request
            .add_auth_context_value(AuthenticationContextClass::new(
                provider.settings.min_acr.clone(),
            ))
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            request = request.set_login_hint(LoginHint::new(hint.to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the ID token: signature, iss, aud, exp, nonce (by
    /// the crate), then acr and the national identifier (here).
    pub async fn finish(
        &self,
        country: Country,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<EidLogin, LoginFailure> {
        let provider = self
            .providers
            .get(&country)
            .ok_or(LoginFailure::NoProvider)?;
        let metadata = self.metadata(provider).await?;
        let token_endpoint = metadata
            .token_endpoint()
            .map(|u| u.url().to_string())
            .ok_or(LoginFailure::ProviderUnavailable)?;
        let client = self.client(provider, metadata)?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| LoginFailure::ProviderUnavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        if let Some(key) = &provider.private_key {
            let assertion = client_assertion(key, &provider.settings.client_id, &token_endpoint);
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    crate::authz::client_assertion::ASSERTION_TYPE,
                )
                .add_extra_param("client_assertion", assertion);
        }
        let http = http_client::client(&self.http);
        let response = request.request_async(&http).await.map_err(|error| {
            tracing::info!(issuer = %provider.issuer, %error, "the eID token request failed");
            match error {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    LoginFailure::ProviderRefused(answer.error().to_string())
                }
                openidconnect::RequestTokenError::Parse(..) => LoginFailure::InvalidAnswer,
                _ => LoginFailure::ProviderUnavailable,
            }
        })?;
        let _ = response.access_token();
        let id_token = response.id_token().ok_or(LoginFailure::InvalidAnswer)?;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(ID_TOKEN_ALGORITHMS);
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|error| {
                tracing::info!(issuer = %provider.issuer, %error, "an eID ID token was refused");
                match error {
                    ClaimsVerificationError::InvalidNonce(_) => LoginFailure::WrongNonce,
                    ClaimsVerificationError::Expired(_) => LoginFailure::Expired,
                    _ => LoginFailure::InvalidIdToken,
                }
            })?;
        let acr = claims
            .auth_context_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if !acr::sufficient(
            &provider.settings.acr_levels,
            &provider.settings.min_acr,
            &acr,
        ) {
            return Err(LoginFailure::LowAssurance(
                provider.settings.min_acr.clone(),
            ));
        }
        // The signature was verified above; the national identifier is one more claim of
        // the same payload, read by its configured name (it may be a URI).
        let payload = payload_of(&id_token.to_string()).ok_or(LoginFailure::InvalidAnswer)?;
        let raw = payload
            .get(&provider.settings.national_id_claim)
            .and_then(Value::as_str)
            .ok_or(LoginFailure::InvalidNationalId)?;
        let national_id = NationalId::parse_for_country(country, raw)
            .map_err(|_| LoginFailure::InvalidNationalId)?;
        Ok(EidLogin { national_id, acr })
    }
}

/// The payload of a compact JWS as JSON.
fn payload_of(compact: &str) -> Option<serde_json::Map<String, Value>> {
    let payload = compact.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A `private_key_jwt` assertion towards the eID's token endpoint (ES256, 60 s); the eID
/// knows the public key from the gateway's registration.
fn client_assertion(key: &SigningKey, client_id: &str, audience: &str) -> String {
    let now = crate::auth::verifier::unix_now();
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": audience,
        "iat": now, "exp": now + 60, "jti": crate::authz::tokens::random_id(),
    });
    key.sign_typed(Some("JWT"), &claims)
}
