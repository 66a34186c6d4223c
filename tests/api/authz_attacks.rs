//! The token attack matrix: each forged, replayed, stolen or malformed request gets exactly
//! the status and OAuth `error` code of RFC 6749/7523 and SMART, and nothing is issued.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{IDP, spawn_with};
use crate::support::authz::{
    BACKEND, assert_oauth_error, assertion, assertion_claims, authz_settings, client_credentials,
    now, post,
};
use crate::support::idp::{ES384_KID, RSA_KID};

type Form = Vec<(String, String)>;

fn form(pairs: &[(&str, &str)]) -> Form {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Client-authentication and grant attacks on the token endpoint (R7, RFC 7523 §3).
#[actix_web::test]
async fn token_endpoint_attack_matrix() {
    let app = spawn_with(authz_settings()).await;
    let signed = |alg: &str, kid: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut claims = assertion_claims(&app, BACKEND);
        change(&mut claims);
        IDP.token_with(alg, Some(kid), claims)
    };
    // An assertion used once, for the replay case.
    let used = assertion(&app);
    let (status, _, body) = post(
        &app,
        "/auth/token",
        &client_credentials(&used, "system/*.rs"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");

    let cc = |assertion: &str| client_credentials(assertion, "system/*.rs");
    let mut duplicated = cc(&assertion(&app));
    duplicated.push(("scope".into(), "system/*.rs".into()));
    let cases: Vec<(&str, Form, u16, &str)> = vec![
        (
            "unknown grant type",
            form(&[
                ("grant_type", "password"),
                ("username", "x"),
                ("password", "y"),
            ]),
            400,
            "unsupported_grant_type",
        ),
        (
            "implicit-style grant type",
            form(&[("grant_type", "token")]),
            400,
            "unsupported_grant_type",
        ),
        (
            "no grant type",
            form(&[("client_id", "example-app")]),
            400,
            "invalid_request",
        ),
        ("a parameter twice", duplicated, 400, "invalid_request"),
        (
            "client_credentials by a public client",
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "example-app"),
                ("scope", "system/*.rs"),
            ]),
            400,
            "unauthorized_client",
        ),
        (
            "unknown client",
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("scope", "system/*.rs"),
            ]),
            401,
            "invalid_client",
        ),
        (
            "confidential client without assertion",
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", BACKEND),
                ("scope", "system/*.rs"),
            ]),
            401,
            "invalid_client",
        ),
        (
            "wrong assertion type",
            form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
                ("client_assertion", &assertion(&app)),
                ("scope", "system/*.rs"),
            ]),
            400,
            "invalid_request",
        ),
        (
            "assertion type without assertion",
            form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("scope", "system/*.rs"),
            ]),
            400,
            "invalid_request",
        ),
        (
            "assertion that is no JWT",
            cc("not.a-jwt"),
            401,
            "invalid_client",
        ),
        (
            "assertion signed ES256 (not allowed)",
            cc(&IDP.token(assertion_claims(&app, BACKEND))),
            401,
            "invalid_client",
        ),
        (
            "assertion signed RS256 (not allowed)",
            cc(&signed("RS256", RSA_KID, &|_| {})),
            401,
            "invalid_client",
        ),
        (
            "assertion with alg none",
            cc(&IDP.token_alg_none(assertion_claims(&app, BACKEND))),
            401,
            "invalid_client",
        ),
        (
            "assertion HS256 keyed with the public key",
            cc(&IDP.token_hs256_with_public_key(assertion_claims(&app, BACKEND))),
            401,
            "invalid_client",
        ),
        (
            "assertion under an unknown kid",
            cc(&signed("RS384", "no-such-key", &|_| {})),
            401,
            "invalid_client",
        ),
        (
            "assertion under another key's kid",
            cc(&signed("RS384", ES384_KID, &|_| {})),
            401,
            "invalid_client",
        ),
        (
            "assertion with a tampered payload",
            cc(&{
                let good = assertion(&app);
                let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
                let mut claims = crate::support::authz::jwt_claims(&good);
                claims["exp"] = json!(now() + 120);
                use base64::Engine;
                parts[1] =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
                parts.join(".")
            }),
            401,
            "invalid_client",
        ),
        (
            "expired assertion",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["iat"] = json!(now() - 400);
                c["exp"] = json!(now() - 100);
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion living longer than 5 minutes",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["exp"] = json!(now() + 600)
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion not valid yet",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["nbf"] = json!(now() + 120)
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion for another audience",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["aud"] = json!("https://other.example/token")
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion for the FHIR base instead of the token endpoint",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["aud"] = json!(app.fhir_base)
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion with sub other than iss",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["sub"] = json!("someone-else")
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion naming an unregistered client",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["iss"] = json!("stranger");
                c["sub"] = json!("stranger");
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion naming a public client",
            cc(&signed("RS384", RSA_KID, &|c| {
                c["iss"] = json!("example-app");
                c["sub"] = json!("example-app");
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion without jti",
            cc(&signed("RS384", RSA_KID, &|c| {
                c.as_object_mut().unwrap().remove("jti");
            })),
            401,
            "invalid_client",
        ),
        (
            "assertion without exp",
            cc(&signed("RS384", RSA_KID, &|c| {
                c.as_object_mut().unwrap().remove("exp");
            })),
            401,
            "invalid_client",
        ),
        (
            "replayed assertion (jti used before)",
            cc(&used),
            401,
            "invalid_client",
        ),
        (
            "client_id other than the assertion's",
            {
                let mut f = cc(&assertion(&app));
                f.push(("client_id".into(), "example-app".into()));
                f
            },
            401,
            "invalid_client",
        ),
        (
            "no scope",
            client_credentials(&assertion(&app), "")[..3].to_vec(),
            400,
            "invalid_scope",
        ),
        (
            "patient scope for a backend service",
            client_credentials(&assertion(&app), "patient/*.rs"),
            400,
            "invalid_scope",
        ),
        (
            "system scope wider than registered",
            client_credentials(&assertion(&app), "system/*.cruds"),
            400,
            "invalid_scope",
        ),
        (
            "user scope for a backend service",
            client_credentials(&assertion(&app), "user/*.rs"),
            400,
            "invalid_scope",
        ),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for (case, form, status, error) in &cases {
        let (got, headers, body) = post(&app, "/auth/token", form).await;
        assert_oauth_error(case, got, &headers, &body, *status, error);
        assert!(body.get("access_token").is_none(), "{case}");
    }

    // Not form-encoded at all.
    let response = app
        .client
        .post(format!("{}/auth/token", app.base_url))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.json().await.unwrap();
    assert_oauth_error(
        "a JSON body",
        status,
        &headers,
        &body,
        400,
        "invalid_request",
    );
    // A client secret in Basic authentication is not a way in.
    let response = app
        .client
        .post(format!("{}/auth/token", app.base_url))
        .basic_auth(BACKEND, Some("guess"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=system%2F*.rs")
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.json().await.unwrap();
    assert_oauth_error(
        "client secret",
        status,
        &headers,
        &body,
        401,
        "invalid_client",
    );
}
