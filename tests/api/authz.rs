//! The SMART authorization server: discovery (R4), Backend Services (R7), token hardening,
//! introspection and revocation (R9, R10), the authorize endpoint's refusals, CORS (R43),
//! and the token attack matrix.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{IDP, assert_outcome, read_fhir, spawn_with};
use crate::support::authz::{
    BACKEND, assert_no_store, assert_oauth_error, assertion, assertion_claims, authz_settings,
    client_credentials, now, post, system_token,
};
use crate::support::data;
use crate::support::db::TestCluster;
use crate::support::idp::{ES384_KID, RSA_KID};

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The checks of Inferno's SMART App Launch STU2.2 discovery tests, field by field.
#[actix_web::test]
async fn smart_configuration_lists_exactly_what_is_implemented() {
    let app = spawn_with(authz_settings()).await;
    let response = app.get_plain("/fhir/.well-known/smart-configuration").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let smart: Value = response.json().await.unwrap();
    let base = &app.base_url;
    assert_eq!(smart["issuer"], json!(base));
    assert_eq!(smart["jwks_uri"], json!(format!("{base}/auth/jwks")));
    assert_eq!(
        smart["authorization_endpoint"],
        json!(format!("{base}/auth/authorize"))
    );
    assert_eq!(smart["token_endpoint"], json!(format!("{base}/auth/token")));
    assert_eq!(
        smart["introspection_endpoint"],
        json!(format!("{base}/auth/introspect"))
    );
    assert_eq!(
        smart["revocation_endpoint"],
        json!(format!("{base}/auth/revoke"))
    );
    assert_eq!(
        smart["management_endpoint"],
        json!(format!("{base}/auth/account"))
    );
    assert_eq!(
        strings(&smart["code_challenge_methods_supported"]),
        ["S256"]
    );
    let grants = strings(&smart["grant_types_supported"]);
    for grant in ["authorization_code", "client_credentials", "refresh_token"] {
        assert!(grants.contains(&grant), "{grant}");
    }
    let capabilities = strings(&smart["capabilities"]);
    for capability in [
        "launch-standalone",
        "client-public",
        "client-confidential-asymmetric",
        "context-standalone-patient",
        "permission-patient",
        "permission-v2",
        "sso-openid-connect",
    ] {
        assert!(capabilities.contains(&capability), "{capability}");
    }
    for absent in [
        "launch-ehr",
        "authorize-post",
        "client-confidential-symmetric",
        "permission-user",
    ] {
        assert!(
            !capabilities.contains(&absent),
            "{absent} is not implemented"
        );
    }
    let scopes = strings(&smart["scopes_supported"]);
    for scope in [
        "openid",
        "fhirUser",
        "launch/patient",
        "offline_access",
        "patient/*.rs",
        "system/*.rs",
    ] {
        assert!(scopes.contains(&scope), "{scope}");
    }
    assert_eq!(
        strings(&smart["token_endpoint_auth_methods_supported"]),
        ["none", "private_key_jwt"]
    );
    assert_eq!(
        strings(&smart["token_endpoint_auth_signing_alg_values_supported"]),
        ["RS384", "ES384"]
    );

    let openid: Value = app
        .get_plain("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(openid["issuer"], smart["issuer"]);
    assert_eq!(openid["jwks_uri"], smart["jwks_uri"]);
    assert_eq!(
        openid["authorization_endpoint"],
        smart["authorization_endpoint"]
    );
    assert_eq!(openid["token_endpoint"], smart["token_endpoint"]);
    assert_eq!(strings(&openid["response_types_supported"]), ["code"]);
    assert_eq!(
        strings(&openid["id_token_signing_alg_values_supported"]),
        ["ES256"]
    );
    assert_eq!(strings(&openid["subject_types_supported"]), ["public"]);
    assert!(strings(&openid["claims_supported"]).contains(&"fhirUser"));

    let jwks: Value = app.get_plain("/auth/jwks").await.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        assert_eq!(
            (
                key["kty"].as_str(),
                key["alg"].as_str(),
                key["use"].as_str()
            ),
            (Some("EC"), Some("ES256"), Some("sig"))
        );
        assert!(key.get("d").is_none(), "no private part is published");
    }

    // The CapabilityStatement announces the same endpoints (R4).
    let (_, metadata) = read_fhir(app.get("/metadata", None).await).await;
    let oauth = &metadata["rest"][0]["security"]["extension"][0]["extension"];
    let uri = |name: &str| {
        oauth
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"] == name)
            .map(|e| e["valueUri"].clone())
    };
    assert_eq!(
        uri("authorize"),
        Some(smart["authorization_endpoint"].clone())
    );
    assert_eq!(uri("token"), Some(smart["token_endpoint"].clone()));
}

#[actix_web::test]
async fn the_authorization_server_can_be_switched_off() {
    let mut settings = authz_settings();
    settings.auth.server.enabled = false;
    let app = spawn_with(settings).await;
    for path in [
        "/.well-known/openid-configuration",
        "/auth/jwks",
        "/auth/authorize",
    ] {
        assert_eq!(
            app.get_plain(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Under the FHIR base, the path is a (token-protected) FHIR read of an unknown type.
    let status = app
        .get_plain("/fhir/.well-known/smart-configuration")
        .await
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// R7: a backend service gets a system token with an RS384 or ES384 assertion, living at
/// most 300 s; the FHIR API accepts it; R5 headers.
#[actix_web::test]
async fn backend_services_get_short_system_tokens() {
    let app = spawn_with(authz_settings()).await;
    for (alg, kid) in [("RS384", RSA_KID), ("ES384", ES384_KID)] {
        let signed = IDP.token_with(alg, Some(kid), assertion_claims(&app, BACKEND));
        let (status, headers, body) = post(
            &app,
            "/auth/token",
            &client_credentials(&signed, "system/*.rs"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{alg}: {body:#}");
        assert_no_store(alg, &headers);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "system/*.rs");
        let expires_in = body["expires_in"].as_i64().expect("numeric expires_in");
        assert!((1..=300).contains(&expires_in), "{expires_in}");
        assert!(body.get("refresh_token").is_none() && body.get("patient").is_none());
        let token = body["access_token"].as_str().unwrap();
        let claims = crate::support::authz::jwt_claims(token);
        assert_eq!(claims["iss"], json!(app.base_url));
        assert_eq!(claims["aud"], json!(app.fhir_base));
        assert_eq!(claims["sub"], BACKEND);
        assert_eq!(claims["client_id"], BACKEND);
        assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 300);
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let patient = app
            .fhir_ok(&format!("/Patient/{}", data::NO_ADULT), token)
            .await;
        assert_eq!(patient["id"], data::NO_ADULT);
    }
}

/// A confidential client may register a `jwks_uri` instead of its keys: they are fetched.
#[actix_web::test]
async fn a_backend_service_may_publish_its_keys_at_a_url() {
    let mut settings = authz_settings();
    settings.auth.clients.push(
        serde_json::from_value(json!({
            "client_id": "backend-by-url", "name": "Backend by URL",
            "kind": "confidential-asymmetric", "scopes": ["system/*.rs"],
            "jwks_uri": IDP.jwks_uri(),
        }))
        .unwrap(),
    );
    let app = spawn_with(settings).await;
    let signed = IDP.token_with(
        "ES384",
        Some(ES384_KID),
        assertion_claims(&app, "backend-by-url"),
    );
    let (status, _, body) = post(
        &app,
        "/auth/token",
        &client_credentials(&signed, "system/*.rs"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(
        crate::support::authz::jwt_claims(body["access_token"].as_str().unwrap())["client_id"],
        "backend-by-url"
    );
}

/// R10: introspection says active with the details for a live token and `active: false`
/// alone otherwise; revocation makes the token unusable at once, also through the verifier's
/// cache of verified tokens.
#[actix_web::test]
async fn introspection_and_revocation_of_access_tokens() {
    let app = spawn_with(authz_settings()).await;
    let token = system_token(&app, "system/*.rs").await;
    // Used once, so that the verifier has it in its cache.
    app.fhir_ok(&format!("/Patient/{}", data::NO_ADULT), &token)
        .await;

    let ask = |token: &str| {
        let mut form = vec![("token".to_owned(), token.to_owned())];
        form.extend(client_credentials(&assertion(&app), "")[1..3].to_vec());
        form
    };
    let (status, headers, body) = post(&app, "/auth/introspect", &ask(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_no_store("introspect", &headers);
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "system/*.rs");
    assert_eq!(body["client_id"], BACKEND);
    assert!(body["exp"].as_i64().unwrap() > now());

    let (status, _, body) = post(&app, "/auth/introspect", &ask("not-a-token")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"active": false})));

    let (status, _, _) = post(&app, "/auth/revoke", &ask(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(&token))
        .await;
    assert_outcome(status, &body, 401, "login");
    let response = app
        .get(&format!("/Patient/{}", data::NO_ADULT), Some(&token))
        .await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let (_, _, body) = post(&app, "/auth/introspect", &ask(&token)).await;
    assert_eq!(body, json!({"active": false}));
    // Revoking an unknown token is not an error (RFC 7009 §2.2).
    let (status, _, _) = post(&app, "/auth/revoke", &ask("unknown")).await;
    assert_eq!(status, StatusCode::OK);
}

/// Another instance on the same database refuses a token revoked here within the poll
/// interval (R10 across instances); a client assertion used at one instance is a replay at
/// the other. On SQLite and on PostgreSQL.
#[actix_web::test]
async fn revocations_and_used_assertions_reach_other_instances_through_the_store() {
    // Two gateways on one SQLite file: only without the in-memory Consent cache, which on
    // SQLite hears its own gateway's writes only.
    let mut on_sqlite = authz_settings();
    on_sqlite.database.consent_cache_patients = 0;
    across_instances(on_sqlite).await;
    let cluster = TestCluster::start();
    let mut settings = authz_settings();
    settings.database.url = cluster.url();
    across_instances(settings).await;
}

async fn across_instances(settings: ehds_gateway::config::Settings) {
    let first = spawn_with(settings.clone()).await;
    let mut second_settings = settings;
    second_settings.auth.server.revocation_poll_seconds = 1;
    let token = system_token(&first, "system/*.rs").await;
    // The second instance has its own base URL, hence is another issuer: it trusts the
    // first one's tokens as a configured issuer.
    second_settings.auth.trusted_issuers.push(
        serde_json::from_value(json!({
            "issuer": first.base_url, "audiences": [first.fhir_base],
            "jwks_uri": format!("{}/auth/jwks", first.base_url),
        }))
        .unwrap(),
    );
    let second = spawn_with(second_settings).await;
    second
        .fhir_ok(&format!("/Patient/{}", data::NO_ADULT), &token)
        .await;

    // The same assertion (same jti) presented to the first instance, then to the second.
    let mut claims = assertion_claims(&second, BACKEND);
    claims["aud"] = json!([
        format!("{}/auth/token", first.base_url),
        format!("{}/auth/token", second.base_url)
    ]);
    let shared = IDP.token_with("RS384", Some(RSA_KID), claims);
    assert_eq!(
        post(
            &first,
            "/auth/token",
            &client_credentials(&shared, "system/*.rs")
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, headers, body) = post(
        &second,
        "/auth/token",
        &client_credentials(&shared, "system/*.rs"),
    )
    .await;
    assert_oauth_error(
        "replay at another instance",
        status,
        &headers,
        &body,
        401,
        "invalid_client",
    );

    let mut form = vec![("token".to_owned(), token.clone())];
    form.extend(client_credentials(&assertion(&first), "")[1..3].to_vec());
    assert_eq!(post(&first, "/auth/revoke", &form).await.0, StatusCode::OK);
    let mut refused = false;
    for _ in 0..50 {
        let (status, _) = second
            .get_json(&format!("/Patient/{}", data::NO_ADULT), Some(&token))
            .await;
        if status == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        refused,
        "the second instance refuses the revoked token within the poll window"
    );
}

/// CORS (R43): registered origins may call the discovery and token endpoints and the FHIR
/// API; others get no CORS headers.
#[actix_web::test]
async fn cors_for_registered_origins() {
    let mut settings = authz_settings();
    settings.auth.clients[0].origins = vec!["https://app.example".into()];
    let app = spawn_with(settings).await;
    for path in [
        "/fhir/.well-known/smart-configuration",
        "/auth/token",
        "/fhir/Patient",
    ] {
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.base_url))
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::OK, "{path}");
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            "https://app.example",
            "{path}"
        );
    }
    let response = app
        .client
        .get(format!(
            "{}/fhir/.well-known/smart-configuration",
            app.base_url
        ))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let response = app
        .client
        .get(format!(
            "{}/fhir/.well-known/smart-configuration",
            app.base_url
        ))
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
}

/// CORS (R43) on the FHIR API itself: `/fhir/metadata` and an actual (not preflight) read
/// carry the registered origin and expose the headers an app needs; an unregistered origin
/// gets no CORS grant, neither on a preflight nor on an actual request.
#[actix_web::test]
async fn cors_on_fhir_answers_and_none_for_an_unregistered_origin() {
    let mut settings = authz_settings();
    settings.auth.clients[0].origins = vec!["https://app.example".into()];
    settings.auth.trusted_issuers = vec![crate::support::app::trusted(&IDP)];
    let app = spawn_with(settings).await;
    let token = crate::support::app::user_token("user/*.rs");
    let get = |path: &str, origin: &str| {
        app.client
            .get(format!("{}{path}", app.base_url))
            .header("Origin", origin)
            .bearer_auth(&token)
            .send()
    };
    let read = format!("/fhir/Patient/{}", data::NO_ADULT);
    for path in ["/fhir/metadata", read.as_str()] {
        let response = get(path, "https://app.example").await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example",
            "{path}"
        );
        let exposed = response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            exposed.contains("etag") && exposed.contains("location"),
            "{exposed}"
        );
        assert!(
            response
                .headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "no cookies are shared"
        );
    }
    // An origin no client registered: no grant on an actual request...
    // (the token decides what is served; CORS only keeps a browser page of that origin
    // from reading the answer)
    let response = get(&read, "https://evil.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        response.headers()
    );
    // ...nor on a preflight.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{read}", app.base_url))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_ne!(preflight.status(), StatusCode::OK);
}

/// `authorize` refuses what it cannot serve: an unknown client or a redirect URI not
/// registered for it with a page (never a redirect there), everything else with an
/// `error` on the app's redirect URI, with its `state` (RFC 6749 §4.1.2.1).
#[actix_web::test]
async fn authorize_refusals() {
    let app = spawn_with(authz_settings()).await;
    let redirect = format!("{}/auth/example-callback", app.base_url);
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let good = [
        ("response_type", "code".to_owned()),
        ("client_id", "example-app".to_owned()),
        ("redirect_uri", redirect.clone()),
        ("scope", "launch/patient openid patient/*.rs".to_owned()),
        ("state", "s-1".to_owned()),
        ("aud", app.fhir_base.clone()),
        ("code_challenge", challenge.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let with = |name: &str, value: Option<&str>| {
        let mut params: Vec<(String, String)> = good
            .iter()
            .filter(|(n, _)| *n != name)
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        if let Some(value) = value {
            params.push((name.to_owned(), value.to_owned()));
        }
        format!(
            "{}/auth/authorize?{}",
            app.base_url,
            serde_urlencoded::to_string(&params).unwrap()
        )
    };
    // Refused on a page of ours.
    for (case, url) in [
        ("unknown client", with("client_id", Some("nobody"))),
        ("no client", with("client_id", None)),
        (
            "unregistered redirect URI",
            with("redirect_uri", Some("https://evil.example/cb")),
        ),
        (
            "redirect URI with an extra path",
            with("redirect_uri", Some(&format!("{redirect}/x"))),
        ),
        ("no redirect URI", with("redirect_uri", None)),
    ] {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
        assert!(response.headers().get("location").is_none(), "{case}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response.text().await.unwrap().contains("role=\"alert\""),
            "{case}"
        );
    }
    // Refused back to the app.
    for (case, url, error) in [
        (
            "token response type",
            with("response_type", Some("token")),
            "unsupported_response_type",
        ),
        ("no state", with("state", None), "invalid_request"),
        ("no PKCE", with("code_challenge", None), "invalid_request"),
        (
            "PKCE plain",
            with("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (
            "a short challenge",
            with("code_challenge", Some("abc")),
            "invalid_request",
        ),
        (
            "wrong aud",
            with("aud", Some("https://other.example/fhir")),
            "invalid_request",
        ),
        ("no aud", with("aud", None), "invalid_request"),
        (
            "no patient scope",
            with("scope", Some("openid fhirUser")),
            "invalid_scope",
        ),
        (
            "only scopes the app may not have",
            with("scope", Some("system/*.rs user/*.rs")),
            "invalid_scope",
        ),
    ] {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{case}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let url = reqwest::Url::parse(&location).unwrap();
        assert!(location.starts_with(&redirect), "{case}: {location}");
        let param = |name: &str| {
            url.query_pairs()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(param("error").as_deref(), Some(error), "{case}");
        assert!(param("error_description").is_some(), "{case}");
        if case != "no state" {
            assert_eq!(param("state").as_deref(), Some("s-1"), "{case}");
        }
    }
    // A good request goes on to the login: several countries, so the country page.
    let response = app
        .client
        .get(with("state", Some("s-2")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );
    let page = response.text().await.unwrap();
    for country in ["NO", "SE", "DK", "FI"] {
        assert!(page.contains(&format!("value=\"{country}\"")), "{country}");
    }
}

/// Key rotation: after a restart with a new key and the old one listed as previous, tokens
/// signed with the old key are still accepted and both keys are published; once the old
/// key is dropped, its tokens are refused.
#[actix_web::test]
async fn signing_keys_rotate_without_refusing_live_tokens() {
    let old_key = crate::support::db::fresh_path("old-key.pem");
    let new_key = crate::support::db::fresh_path("new-key.pem");
    let mut settings = authz_settings();
    settings.auth.server.key_file = old_key.display().to_string();
    // Old and new run side by side on one database, as in a rolling restart; on SQLite that
    // needs the in-memory Consent cache off.
    settings.database.consent_cache_patients = 0;
    let before = spawn_with(settings.clone()).await;
    let token = system_token(&before, "system/*.rs").await;
    // The same public base URL (hence issuer and audience) behind another listener, as after
    // a restart.
    settings.server.public_base_url = before.base_url.clone();
    settings.auth.server.key_file = new_key.display().to_string();
    settings.auth.server.previous_key_files = vec![old_key.display().to_string()];
    let port = free_port();
    settings.server.port = port;
    let after = spawn_with(settings.clone()).await;
    let listener = format!("http://127.0.0.1:{port}");
    let jwks: Value = after
        .client
        .get(format!("{listener}/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let patient = format!("{listener}/fhir/Patient/{}", data::NO_ADULT);
    let (status, body) = read_fhir(
        after
            .client
            .get(&patient)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    settings.auth.server.previous_key_files.clear();
    let port = free_port();
    settings.server.port = port;
    let later = spawn_with(settings).await;
    let patient = format!("http://127.0.0.1:{port}/fhir/Patient/{}", data::NO_ADULT);
    let (status, body) = read_fhir(
        later
            .client
            .get(&patient)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_outcome(status, &body, 401, "login");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The example app's callback page displays the authorization codes it receives: it is
/// served only while `auth.server.example_app` is on (the dev default, which the production
/// profile refuses).
#[actix_web::test]
async fn the_example_callback_is_not_served_when_the_example_app_is_off() {
    let path = "/auth/example-callback?code=c0de-from-the-as&state=s-1";
    let on = spawn_with(authz_settings()).await;
    let page = on.get_plain(path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("c0de-from-the-as"));

    let mut settings = authz_settings();
    settings.auth.server.example_app = false;
    let off = spawn_with(settings).await;
    let (status, body) = read_fhir(off.get_plain(path).await).await;
    assert_outcome(status, &body, 404, "not-found");
    assert!(!body.to_string().contains("c0de-from-the-as"), "{body}");
    // The rest of the authorization server is there.
    assert_eq!(off.get_plain("/auth/jwks").await.status(), StatusCode::OK);
}
