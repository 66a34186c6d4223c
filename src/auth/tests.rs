//! The verifier against a real issuer over HTTP (the test IdP of the API tests): every
//! refusal reason, every supported algorithm, key rotation and the caches.

#[path = "../../tests/api/support/idp.rs"]
mod idp;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use self::idp::{ES384_KID, FIRST_ES256_KID, RSA_KID, TestIdp};
use super::verifier::unix_now;
use super::{Action, ScopeContext, TokenError, TokenVerifier, TrustedIssuer, VerifierSettings};

const AUD: &str = "https://gateway.test/fhir";
const SCOPE: &str = "openid fhirUser launch/patient patient/*.rs";

fn trusted(idp: &TestIdp) -> TrustedIssuer {
    serde_json::from_value(json!({
        "issuer": idp.issuer(),
        "audiences": [AUD],
        "national_id_claim": "pid",
    }))
    .unwrap()
}

fn settings(issuers: Vec<TrustedIssuer>) -> VerifierSettings {
    VerifierSettings {
        issuers,
        token_cache_capacity: 1_000,
        jwks_cache_ttl: Duration::from_secs(600),
        jwks_min_refresh_interval: Duration::ZERO,
        http_timeout: Duration::from_secs(5),
        clock: crate::clock::Clock::fixed(time::macros::date!(2026 - 11 - 23)),
    }
}

fn verifier_with(settings: VerifierSettings) -> TokenVerifier {
    TokenVerifier::new(settings).expect("valid settings")
}

fn verifier(idp: &TestIdp) -> TokenVerifier {
    verifier_with(settings(vec![trusted(idp)]))
}

fn claims(idp: &TestIdp) -> Value {
    idp.standard_claims(AUD, SCOPE, Some("pat-1"))
}

fn claims_with(idp: &TestIdp, change: &[(&str, Value)], remove: &[&str]) -> Value {
    let mut claims = claims(idp);
    for (name, value) in change {
        claims[*name] = value.clone();
    }
    for name in remove {
        claims.as_object_mut().unwrap().remove(*name);
    }
    claims
}

async fn refusal(verifier: &TokenVerifier, token: &str) -> TokenError {
    match verifier.verify(token).await {
        Ok(_) => panic!("token accepted"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn es256_token_is_verified_with_its_claims() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let mut claims = claims(&idp);
    claims["fhirUser"] = json!("Patient/pat-1");
    claims["pid"] = json!("13097248022");
    let token = verifier.verify(&idp.token(claims.clone())).await.unwrap();

    assert_eq!(token.issuer, idp.issuer());
    assert_eq!(token.subject, "test-subject");
    assert_eq!(token.client_id.as_deref(), Some("test-client"));
    assert_eq!(token.patient.as_deref(), Some("pat-1"));
    assert_eq!(token.fhir_user.as_deref(), Some("Patient/pat-1"));
    assert_eq!(token.national_id.as_deref(), Some("13097248022"));
    assert_eq!(Some(token.expires_at), claims["exp"].as_i64());
    assert_eq!(token.issued_at, claims["iat"].as_i64());
    assert_eq!(token.jwt_id.as_deref(), claims["jti"].as_str());
    assert_eq!(token.scopes.as_str(), SCOPE);
    assert!(token.scopes.has("launch/patient"));
    assert_eq!(
        token.scopes.contexts().collect::<Vec<_>>(),
        [ScopeContext::Patient]
    );
    assert_eq!(
        token.scopes.granting("Immunization", Action::Search).len(),
        1
    );
    assert_eq!(Value::Object(token.claims.clone()), claims);
    assert_eq!(idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn every_supported_algorithm_verifies() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.algorithms = ["ES256", "ES384", "RS256", "RS384", "PS256"]
        .map(String::from)
        .to_vec();
    let verifier = verifier_with(settings(vec![issuer]));
    for alg in ["ES256", "ES384", "RS256", "RS384", "PS256"] {
        let kid = idp.default_kid(alg);
        let token = idp.token_with(alg, Some(&kid), claims(&idp));
        let verified = verifier.verify(&token).await;
        assert!(verified.is_ok(), "{alg}: {verified:?}");
    }
    assert_eq!(idp.jwks_fetches(), 1, "one key set serves every algorithm");
}

#[tokio::test]
async fn algorithms_outside_the_issuers_list_are_refused() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.algorithms = vec!["ES256".into(), "PS256".into()];
    let verifier = verifier_with(settings(vec![issuer]));
    for alg in ["RS256", "RS384", "ES384"] {
        let kid = idp.default_kid(alg);
        let token = idp.token_with(alg, Some(&kid), claims(&idp));
        assert_eq!(
            refusal(&verifier, &token).await,
            TokenError::UnsupportedAlgorithm,
            "{alg}"
        );
    }
    assert_eq!(idp.jwks_fetches(), 0, "refused before any key was needed");
}

#[tokio::test]
async fn unsigned_and_hmac_tokens_are_refused() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let none = idp.token_alg_none(claims(&idp));
    assert_eq!(
        refusal(&verifier, &none).await,
        TokenError::UnsupportedAlgorithm
    );
    let confused = idp.token_hs256_with_public_key(claims(&idp));
    assert_eq!(
        refusal(&verifier, &confused).await,
        TokenError::UnsupportedAlgorithm
    );
    // Even with the RSA key loaded, HS256 is never tried with it.
    verifier
        .verify(&idp.token_with("RS256", Some(RSA_KID), claims(&idp)))
        .await
        .unwrap();
    assert_eq!(
        refusal(&verifier, &confused).await,
        TokenError::UnsupportedAlgorithm
    );
}

#[tokio::test]
async fn hmac_and_none_cannot_be_configured() {
    let idp = TestIdp::start();
    for alg in ["HS256", "none"] {
        let mut issuer = trusted(&idp);
        issuer.algorithms.push(alg.into());
        let error = TokenVerifier::new(settings(vec![issuer])).err();
        assert!(
            error.is_some_and(|e| e.to_string().contains("is not allowed")),
            "{alg}"
        );
    }
    let duplicate = TokenVerifier::new(settings(vec![trusted(&idp), trusted(&idp)])).err();
    assert!(duplicate.is_some_and(|e| e.to_string().contains("configured twice")));
}

#[tokio::test]
async fn signature_from_another_key_is_refused() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let forged = idp.token_signed_by_stranger(claims(&idp));
    assert_eq!(refusal(&verifier, &forged).await, TokenError::BadSignature);
}

#[tokio::test]
async fn changed_claims_break_the_signature() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let token = idp.token(claims(&idp));
    let parts: Vec<&str> = token.split('.').collect();
    let mut widened = claims(&idp);
    widened["scope"] = json!("system/*.cruds");
    let payload = URL_SAFE_NO_PAD.encode(widened.to_string());
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(
        refusal(&verifier, &tampered).await,
        TokenError::BadSignature
    );
    // A signature cut short, or moved to another algorithm's header.
    let truncated = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..20]);
    assert_eq!(
        refusal(&verifier, &truncated).await,
        TokenError::BadSignature
    );
    let rs_header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": RSA_KID}).to_string());
    let moved = format!("{rs_header}.{}.{}", parts[1], parts[2]);
    assert_eq!(refusal(&verifier, &moved).await, TokenError::BadSignature);
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let token = idp.token(claims(&idp));
    for raw in [
        "",
        "Bearer",
        "a.b",
        "a.b.c",
        &format!("{token}.x"),
        &token.replace('.', ".."),
    ] {
        assert_eq!(
            refusal(&verifier, raw).await,
            TokenError::Malformed,
            "{raw:.40}"
        );
    }
    assert_eq!(idp.jwks_fetches(), 0);
}

#[tokio::test]
async fn unknown_or_missing_issuer_is_refused() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let stranger = claims_with(
        &idp,
        &[("iss", json!("https://idp.elsewhere.example"))],
        &[],
    );
    assert_eq!(
        refusal(&verifier, &idp.token(stranger)).await,
        TokenError::UnknownIssuer
    );
    let trailing_slash = claims_with(&idp, &[("iss", json!(format!("{}/", idp.issuer())))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(trailing_slash)).await,
        TokenError::UnknownIssuer
    );
    let missing = claims_with(&idp, &[], &["iss"]);
    assert_eq!(
        refusal(&verifier, &idp.token(missing)).await,
        TokenError::MissingClaim("iss")
    );
    let number = claims_with(&idp, &[("iss", json!(1))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(number)).await,
        TokenError::InvalidClaim("iss")
    );
    assert_eq!(idp.jwks_fetches(), 0);
}

#[tokio::test]
async fn audience_must_be_ours() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let other = claims_with(&idp, &[("aud", json!("https://other.test/fhir"))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(other)).await,
        TokenError::WrongAudience
    );
    let list = claims_with(
        &idp,
        &[("aud", json!(["https://other.test/fhir", AUD]))],
        &[],
    );
    verifier.verify(&idp.token(list)).await.unwrap();
    let other_list = claims_with(&idp, &[("aud", json!(["https://other.test/fhir"]))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(other_list)).await,
        TokenError::WrongAudience
    );
}

#[tokio::test]
async fn validity_period_is_enforced_with_leeway() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let now = unix_now();
    let cases = [
        ("exp", now - 100, Err(TokenError::Expired)),
        ("exp", now - 10, Ok(())),
        ("nbf", now + 100, Err(TokenError::NotYetValid)),
        ("nbf", now + 10, Ok(())),
    ];
    for (name, value, expected) in cases {
        let token = idp.token(claims_with(&idp, &[(name, json!(value))], &[]));
        assert_eq!(
            verifier.verify(&token).await.map(drop),
            expected,
            "{name} = now {:+}",
            value - now
        );
    }
}

#[tokio::test]
async fn required_claims_must_be_present_and_well_typed() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    for name in ["exp", "sub", "scope", "aud"] {
        let token = idp.token(claims_with(&idp, &[], &[name]));
        assert_eq!(
            refusal(&verifier, &token).await,
            TokenError::MissingClaim(name)
        );
    }
    let invalid = [
        ("exp", json!("tomorrow")),
        ("nbf", json!("yesterday")),
        ("sub", json!(7)),
        ("scope", json!(["patient/*.rs"])),
        ("patient", json!(["pat-1"])),
        ("pid", json!(13097248022_i64)),
    ];
    for (name, value) in invalid {
        let token = idp.token(claims_with(&idp, &[(name, value)], &[]));
        let reported = if name == "pid" { "national_id" } else { name };
        assert_eq!(
            refusal(&verifier, &token).await,
            TokenError::InvalidClaim(reported),
            "{name}"
        );
    }
}

#[tokio::test]
async fn unknown_kid_is_refreshed_once_then_refused() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 1);
    let token = idp.token_with("ES256", Some("no-such-key"), claims(&idp));
    assert_eq!(refusal(&verifier, &token).await, TokenError::UnknownKey);
    assert_eq!(
        idp.jwks_fetches(),
        2,
        "exactly one refresh for the unknown kid"
    );
}

#[tokio::test]
async fn a_key_only_verifies_its_own_algorithm() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let cases = [
        ("ES384", FIRST_ES256_KID),
        ("ES256", ES384_KID),
        ("RS256", FIRST_ES256_KID),
        ("PS256", ES384_KID),
        ("ES256", RSA_KID),
    ];
    for (alg, kid) in cases {
        let token = idp.token_with(alg, Some(kid), claims(&idp));
        assert_eq!(
            refusal(&verifier, &token).await,
            TokenError::UnsupportedAlgorithm,
            "{alg} with {kid}"
        );
    }
    assert_eq!(
        idp.jwks_fetches(),
        1,
        "a known kid of the wrong type is no reason to refresh"
    );
}

#[tokio::test]
async fn a_token_without_kid_needs_a_single_fitting_key() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    for alg in ["ES256", "ES384", "RS256", "PS256"] {
        let token = idp.token_with(alg, None, claims(&idp));
        assert!(verifier.verify(&token).await.is_ok(), "{alg}");
    }
    idp.rotate();
    let token = idp.token(claims(&idp));
    verifier.verify(&token).await.unwrap();
    // Two P-256 keys now: without a kid we cannot tell which one is meant.
    let without_kid = idp.token_with("ES256", None, claims(&idp));
    assert_eq!(
        refusal(&verifier, &without_kid).await,
        TokenError::UnknownKey
    );
    let es384 = idp.token_with("ES384", None, claims(&idp));
    verifier.verify(&es384).await.unwrap();
}

#[tokio::test]
async fn rotated_key_is_picked_up_by_a_refresh() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    let signed_before_rotation = idp.token(claims(&idp));
    idp.rotate();
    assert_eq!(idp.default_kid("ES256"), "es256-2");
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 2);
    // Tokens under the old key stay valid while the issuer still publishes it.
    verifier.verify(&signed_before_rotation).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 2);
}

#[tokio::test]
async fn refreshes_are_rate_limited() {
    let idp = TestIdp::start();
    let mut settings = settings(vec![trusted(&idp)]);
    settings.jwks_min_refresh_interval = Duration::from_secs(3600);
    let verifier = verifier_with(settings);
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    idp.rotate();
    for _ in 0..5 {
        let token = idp.token(claims(&idp));
        assert_eq!(refusal(&verifier, &token).await, TokenError::UnknownKey);
        let made_up = idp.token_with("ES256", Some("made-up"), claims(&idp));
        assert_eq!(refusal(&verifier, &made_up).await, TokenError::UnknownKey);
    }
    assert_eq!(
        idp.jwks_fetches(),
        1,
        "no refresh within the minimum interval"
    );
}

#[tokio::test]
async fn concurrent_refreshes_are_coalesced() {
    let idp = TestIdp::start();
    let verifier = Arc::new(verifier(&idp));
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    idp.rotate();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let verifier = verifier.clone();
        let token = idp.token(claims(&idp));
        tasks.spawn(async move { verifier.verify(&token).await.map(drop) });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(
        idp.jwks_fetches(),
        2,
        "eight requests for the new key, one refresh"
    );
}

#[tokio::test]
async fn first_fetches_are_coalesced() {
    let idp = TestIdp::start();
    let verifier = Arc::new(verifier(&idp));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let verifier = verifier.clone();
        let token = idp.token(claims(&idp));
        tasks.spawn(async move { verifier.verify(&token).await.map(drop) });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn static_jwks_needs_no_fetch() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.jwks = Some(idp.jwks());
    let verifier = verifier_with(settings(vec![issuer]));
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    verifier
        .verify(&idp.token_with("PS256", Some(RSA_KID), claims(&idp)))
        .await
        .unwrap();
    idp.rotate();
    assert_eq!(
        refusal(&verifier, &idp.token(claims(&idp))).await,
        TokenError::UnknownKey
    );
    assert_eq!(idp.jwks_fetches(), 0);
}

#[tokio::test]
async fn configured_jwks_uri_skips_discovery() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.issuer = "urn:test:issuer-without-discovery".into();
    issuer.jwks_uri = Some(idp.jwks_uri());
    let verifier = verifier_with(settings(vec![issuer]));
    let claims = claims_with(
        &idp,
        &[("iss", json!("urn:test:issuer-without-discovery"))],
        &[],
    );
    let token = verifier.verify(&idp.token(claims)).await.unwrap();
    assert_eq!(token.issuer, "urn:test:issuer-without-discovery");
    assert_eq!(idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn discovery_must_name_the_same_issuer() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.issuer = format!("{}/", idp.issuer());
    let verifier = verifier_with(settings(vec![issuer.clone()]));
    let claims = claims_with(&idp, &[("iss", json!(issuer.issuer))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(claims)).await,
        TokenError::KeysUnavailable
    );
    assert_eq!(idp.jwks_fetches(), 0);
}

#[tokio::test]
async fn keys_unavailable_when_nothing_was_ever_fetched() {
    let idp = TestIdp::start();
    idp.set_unavailable(true);
    let verifier = verifier(&idp);
    let error = refusal(&verifier, &idp.token(claims(&idp))).await;
    assert_eq!(error, TokenError::KeysUnavailable);
    assert!(error.is_server_side());

    // An issuer nobody listens for.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut issuer = trusted(&idp);
    issuer.issuer = issuer_url.clone();
    let verifier = verifier_with(settings(vec![issuer]));
    let claims = claims_with(&idp, &[("iss", json!(issuer_url))], &[]);
    assert_eq!(
        refusal(&verifier, &idp.token(claims)).await,
        TokenError::KeysUnavailable
    );
}

#[tokio::test]
async fn failed_fetches_are_not_retried_at_request_rate() {
    let idp = TestIdp::start();
    idp.set_unavailable(true);
    let mut settings = settings(vec![trusted(&idp)]);
    settings.jwks_min_refresh_interval = Duration::from_secs(3600);
    let verifier = verifier_with(settings);
    for _ in 0..3 {
        assert_eq!(
            refusal(&verifier, &idp.token(claims(&idp))).await,
            TokenError::KeysUnavailable
        );
    }
    assert_eq!(idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn cached_keys_outlive_an_issuer_outage() {
    let idp = TestIdp::start();
    let mut settings = settings(vec![trusted(&idp)]);
    settings.jwks_cache_ttl = Duration::from_millis(100);
    let verifier = verifier_with(settings);
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    idp.set_unavailable(true);
    // Once the set's lifetime is over, the next token makes the verifier fetch again; the
    // issuer fails, and the old keys stay in use meanwhile and after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while idp.jwks_fetches() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no reload was attempted"
        );
        verifier.verify(&idp.token(claims(&idp))).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(idp.jwks_fetches(), 2, "the reload was attempted once");
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
    // A refresh for an unknown kid fails too and changes nothing.
    let made_up = idp.token_with("ES256", Some("made-up"), claims(&idp));
    assert_eq!(refusal(&verifier, &made_up).await, TokenError::UnknownKey);
    idp.set_unavailable(false);
    idp.rotate();
    verifier.verify(&idp.token(claims(&idp))).await.unwrap();
}

#[tokio::test]
async fn a_repeated_token_is_served_from_the_cache() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let token = idp.token(claims(&idp));
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cache_stats(), (0, 1));
    let second = verifier.verify(&token).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(verifier.cache_stats(), (1, 1));
    // Refused tokens are not cached.
    let forged = idp.token_signed_by_stranger(claims(&idp));
    for _ in 0..2 {
        assert_eq!(refusal(&verifier, &forged).await, TokenError::BadSignature);
    }
    assert_eq!(verifier.cache_stats(), (1, 3));
}

#[tokio::test]
async fn a_cached_token_still_expires() {
    let idp = TestIdp::start();
    let mut issuer = trusted(&idp);
    issuer.leeway_seconds = 0;
    let settings = settings(vec![issuer]);
    let clock = settings.clock.clone();
    let verifier = verifier_with(settings);
    let exp = unix_now() + 60;
    let token = idp.token(claims_with(&idp, &[("exp", json!(exp))], &[]));
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cache_stats(), (1, 1));
    // A minute on, the cached token has expired.
    clock.advance(Duration::from_secs(61));
    assert_eq!(refusal(&verifier, &token).await, TokenError::Expired);
    assert_eq!(refusal(&verifier, &token).await, TokenError::Expired);
}

#[tokio::test]
async fn several_issuers_are_told_apart() {
    let (first, second) = (TestIdp::start(), TestIdp::start());
    let verifier = verifier_with(settings(vec![trusted(&first), trusted(&second)]));
    verifier.verify(&first.token(claims(&first))).await.unwrap();
    let token = verifier
        .verify(&second.token(claims(&second)))
        .await
        .unwrap();
    assert_eq!(token.issuer, second.issuer());
    // The second issuer's name on a token signed by the first: the kid exists there too,
    // but the key is another.
    let claims = claims_with(&first, &[("iss", json!(second.issuer()))], &[]);
    assert_eq!(
        refusal(&verifier, &first.token(claims)).await,
        TokenError::BadSignature
    );
}

#[tokio::test]
async fn debug_output_leaves_identities_out() {
    let idp = TestIdp::start();
    let verifier = verifier(&idp);
    let claims = claims_with(&idp, &[("pid", json!("13097248022"))], &[]);
    let token = verifier.verify(&idp.token(claims)).await.unwrap();
    let shown = format!("{token:?}");
    assert!(shown.contains(&idp.issuer()));
    for secret in ["13097248022", "test-subject", "pat-1", "test-client"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn shared_types_are_send_and_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<TokenVerifier>();
    shareable::<super::VerifiedToken>();
    // The API tests keep one issuer in a static.
    shareable::<TestIdp>();
}
