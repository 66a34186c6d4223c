//! `POST /auth/token` on the NCP listener: SMART Backend Services for National Contact
//! Points. `client_credentials` only, the NCP (one of `[[ncp.clients]]`) authenticated by a
//! `private_key_jwt` assertion addressed to this endpoint, `system/*` scopes within its
//! registration. The access token is the authorization server's (same issuer, keys, record
//! and revocation), with three differences: its audience is the NCP listener's FHIR base, it
//! is bound to the client certificate of the connection it was asked on (RFC 8705
//! `cnf.x5t#S256`), and it carries the six IUA claims the NCP asserted in its client
//! assertion. Those claims are checked here: missing or malformed ones refuse the token with
//! 400 `invalid_request` (a token is never issued that the listener would refuse anyway).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::auth::professional::ProfessionalAssertion;
use crate::authz::AuthServer;
use crate::authz::client_assertion::{AssertionCall, authenticate_at};
use crate::authz::clients::ClientRegistry;
use crate::authz::error::{OAuthError, oauth_json};
use crate::authz::token::{form_params, issue_system_token, system_scope};
use crate::ncp::peer::ConnectionPeer;

/// The IUA claims copied from the client assertion into the access token.
pub const IUA_CLAIMS: [&str; 6] = [
    "subject_name",
    "subject_role",
    "subject_organization",
    "subject_organization_id",
    "purpose_of_use",
    "home_community_id",
];

/// The NCP listener's token endpoint, present when the authorization server is on.
pub struct NcpTokenEndpoint {
    pub server: web::Data<AuthServer>,
    /// `[[ncp.clients]]`.
    pub clients: ClientRegistry,
    /// This endpoint's URL: the `aud` of client assertions.
    pub url: String,
    /// The NCP listener's FHIR base: the `aud` of the tokens.
    pub audience: String,
}

/// What an NCP access token adds to the AS's claims: the certificate binding and the IUA
/// claims.
#[derive(Serialize)]
struct CertificateBound {
    cnf: Value,
    #[serde(flatten)]
    iua: Map<String, Value>,
}

pub async fn token(
    req: HttpRequest,
    endpoint: web::Data<NcpTokenEndpoint>,
    body: web::Bytes,
) -> HttpResponse {
    oauth_json(handle(&req, &endpoint, &body).await)
}

async fn handle(
    req: &HttpRequest,
    endpoint: &NcpTokenEndpoint,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let params = form_params(req, body)?;
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    match param("grant_type") {
        None => return Err(OAuthError::invalid_request("grant_type is missing")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::unsupported_grant_type(
                "the NCP token endpoint grants client_credentials only",
            ));
        }
    }
    // The handshake lets no connection through without a certificate; without one there
    // would be nothing to bind the token to.
    let peer = req
        .conn_data::<ConnectionPeer>()
        .and_then(|p| p.0.clone())
        .ok_or_else(|| OAuthError::invalid_client("the connection has no client certificate"))?;
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return Err(OAuthError::invalid_client(
            "client secrets are not accepted; use private_key_jwt",
        ));
    }
    let server = &endpoint.server;
    let (client, assertion) = authenticate_at(
        server,
        AssertionCall {
            clients: &endpoint.clients,
            token_endpoint: &endpoint.url,
            assertion_type: param("client_assertion_type"),
            assertion: param("client_assertion"),
            client_id_param: param("client_id"),
            now: crate::auth::verifier::unix_now(),
        },
    )
    .await?;
    let scope = system_scope(&client, param("scope"))?;
    // Checked as the listener will check them; the country does not matter here. The
    // texts name the claim, never its value; here the claims come from the assertion.
    let country = peer.country.as_deref().unwrap_or_default();
    ProfessionalAssertion::from_claims(&assertion, country, None).map_err(|e| {
        OAuthError::invalid_request(e.to_string().replace("access token", "client assertion"))
    })?;
    let iua: Map<String, Value> = IUA_CLAIMS
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), assertion.get(*name)?.clone())))
        .collect();

    let binding = CertificateBound {
        cnf: json!({ "x5t#S256": peer.thumbprint }),
        iua,
    };
    issue_system_token(server, &client, scope, &endpoint.audience, binding).await
}
