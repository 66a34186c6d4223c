//! A small OpenID issuer for tests: a real HTTP server with discovery and a JWK set, and
//! tokens signed with its keys, plus the forgeries a verifier must refuse.
//!
//! It depends on nothing of the gateway, so that the tokens it makes are an outside
//! opinion of what a valid token is. It runs its own actix system on its own thread,
//! which makes it usable from any test, whatever runtime the test uses.

// Each test binary that includes this file uses only some of its helpers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    KeyPair as _, RsaKeyPair,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// The kid of the RSA key, used for RS256, RS384 and PS256.
pub const RSA_KID: &str = "rsa-1";
/// The kid of the P-384 key, used for ES384.
pub const ES384_KID: &str = "es384-1";
/// The kid of the first P-256 key, used for ES256 until `rotate`.
pub const FIRST_ES256_KID: &str = "es256-1";

pub struct TestIdp {
    base_url: String,
    state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

struct State {
    keys: Mutex<Keys>,
    jwks_fetches: AtomicUsize,
    unavailable: AtomicBool,
    issued: AtomicU64,
    /// The `jwks_uri` discovery announces instead of the IdP's own.
    announced_jwks_uri: Mutex<Option<String>>,
    /// While set, `/jwks` answers 302 to `/jwks-moved`, which serves the keys.
    redirect_jwks: AtomicBool,
    moved_jwks_fetches: AtomicUsize,
}

struct Keys {
    /// Every P-256 key published; the last one signs ES256 tokens.
    es256: Vec<(String, EcdsaKeyPair)>,
    es384: EcdsaKeyPair,
    rsa: RsaKeyPair,
    /// Never published: signs the forgeries "from a stranger".
    stranger: EcdsaKeyPair,
}

impl TestIdp {
    /// Generates the keys and starts serving on 127.0.0.1 at a free port.
    pub fn start() -> TestIdp {
        let keys = Keys {
            es256: vec![(
                FIRST_ES256_KID.to_owned(),
                ec_key(&ECDSA_P256_SHA256_FIXED_SIGNING),
            )],
            es384: ec_key(&ECDSA_P384_SHA384_FIXED_SIGNING),
            rsa: RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
            stranger: ec_key(&ECDSA_P256_SHA256_FIXED_SIGNING),
        };
        let state = Arc::new(State {
            keys: Mutex::new(keys),
            jwks_fetches: AtomicUsize::new(0),
            unavailable: AtomicBool::new(false),
            issued: AtomicU64::new(0),
            announced_jwks_uri: Mutex::new(None),
            redirect_jwks: AtomicBool::new(false),
            moved_jwks_fetches: AtomicUsize::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test IdP");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));

        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let server_state = state.clone();
        let issuer = base_url.clone();
        std::thread::Builder::new()
            .name("test-idp".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(web::Data::new(server_state.clone()))
                            .app_data(web::Data::new(issuer.clone()))
                            .route(
                                "/.well-known/openid-configuration",
                                web::get().to(discovery),
                            )
                            .route("/jwks", web::get().to(jwks))
                            .route("/jwks-moved", web::get().to(moved_jwks))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(listener)
                    .expect("listen")
                    .run();
                    handle_tx
                        .send(server.handle())
                        .expect("send the server handle");
                    let _ = server.await;
                });
            })
            .expect("spawn the test IdP thread");
        let server = handle_rx
            .recv()
            .expect("the test IdP thread failed to start");
        TestIdp {
            base_url,
            state,
            server,
        }
    }

    /// The issuer identifier, which is also the base URL (no trailing slash).
    pub fn issuer(&self) -> String {
        self.base_url.clone()
    }

    /// The `jwks_uri` that discovery announces.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base_url)
    }

    /// How many times `/jwks` was requested, failed requests included.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// The JWK set as served, for configuring a static `jwks`.
    pub fn jwks(&self) -> Value {
        self.state.jwks()
    }

    /// While set, `/jwks` answers 503 (an issuer outage).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Makes discovery announce `jwks_uri` (e.g. another IdP's) instead of the IdP's own;
    /// `None` restores it.
    pub fn announce_jwks_uri(&self, jwks_uri: Option<String>) {
        *self.state.announced_jwks_uri.lock().unwrap() = jwks_uri;
    }

    /// While set, `/jwks` answers `302 Found` to `/jwks-moved`, which serves the keys.
    pub fn redirect_jwks(&self, redirect: bool) {
        self.state.redirect_jwks.store(redirect, Ordering::SeqCst);
    }

    /// How many times `/jwks-moved` (the target of the redirect) was requested.
    pub fn moved_jwks_fetches(&self) -> usize {
        self.state.moved_jwks_fetches.load(Ordering::SeqCst)
    }

    /// Publishes a new P-256 key with a new kid and signs ES256 tokens with it from now on.
    pub fn rotate(&self) {
        let mut keys = self.state.keys.lock().unwrap();
        let kid = format!("es256-{}", keys.es256.len() + 1);
        keys.es256
            .push((kid, ec_key(&ECDSA_P256_SHA256_FIXED_SIGNING)));
    }

    /// The kid a token of this algorithm is signed under by default.
    pub fn default_kid(&self, alg: &str) -> String {
        let keys = self.state.keys.lock().unwrap();
        match alg {
            "ES256" => keys.es256.last().unwrap().0.clone(),
            "ES384" => ES384_KID.to_owned(),
            "RS256" | "RS384" | "PS256" => RSA_KID.to_owned(),
            other => panic!("the test IdP does not sign {other}"),
        }
    }

    /// An ES256 token under the current kid.
    pub fn token(&self, claims: Value) -> String {
        let kid = self.default_kid("ES256");
        self.token_with("ES256", Some(&kid), claims)
    }

    /// A token signed with the IdP's key for `alg` (ES256, ES384, RS256, RS384, PS256);
    /// the header carries `kid` as given, which need not be that key's.
    pub fn token_with(&self, alg: &str, kid: Option<&str>, claims: Value) -> String {
        let mut header = json!({"alg": alg, "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        let keys = self.state.keys.lock().unwrap();
        sign(&header, &claims, |input| match alg {
            "ES256" => ec_sign(&keys.es256.last().unwrap().1, input),
            "ES384" => ec_sign(&keys.es384, input),
            "RS256" => rsa_sign(&keys.rsa, &signature::RSA_PKCS1_SHA256, input),
            "RS384" => rsa_sign(&keys.rsa, &signature::RSA_PKCS1_SHA384, input),
            "PS256" => rsa_sign(&keys.rsa, &signature::RSA_PSS_SHA256, input),
            other => panic!("the test IdP does not sign {other}"),
        })
    }

    /// An unsigned token (`alg: none`, empty signature).
    pub fn token_alg_none(&self, claims: Value) -> String {
        sign(&json!({"alg": "none", "typ": "JWT"}), &claims, |_| {
            Vec::new()
        })
    }

    /// HS256 keyed with the RSA public key (PEM), the classic confusion attack against
    /// verifiers that let the token choose the algorithm.
    pub fn token_hs256_with_public_key(&self, claims: Value) -> String {
        let pem = self.rsa_public_key_pem();
        let key = hmac::Key::new(hmac::HMAC_SHA256, pem.as_bytes());
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": RSA_KID});
        sign(&header, &claims, |input| {
            hmac::sign(&key, input).as_ref().to_vec()
        })
    }

    /// ES256 under the current kid, signed by a key the IdP never published.
    pub fn token_signed_by_stranger(&self, claims: Value) -> String {
        let kid = self.default_kid("ES256");
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let keys = self.state.keys.lock().unwrap();
        sign(&header, &claims, |input| ec_sign(&keys.stranger, input))
    }

    /// The RSA public key as PEM (SubjectPublicKeyInfo), as a verifier might hold it.
    pub fn rsa_public_key_pem(&self) -> String {
        let keys = self.state.keys.lock().unwrap();
        let der = keys.rsa.public_key().as_der().expect("public key DER");
        let base64 = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = base64
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// iss, sub, aud, exp (now + 300), iat, nbf, a fresh jti, scope, client_id and, when
    /// given, patient.
    pub fn standard_claims(&self, aud: &str, scope: &str, patient: Option<&str>) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let serial = self.state.issued.fetch_add(1, Ordering::SeqCst);
        let mut claims = json!({
            "iss": self.issuer(),
            "sub": "test-subject",
            "aud": aud,
            "exp": now + 300,
            "iat": now,
            "nbf": now,
            "jti": format!("test-{serial}-{now}"),
            "scope": scope,
            "client_id": "test-client",
        });
        if let Some(patient) = patient {
            claims["patient"] = json!(patient);
            // A citizen's token names its user: the patient themself, by national identifier.
            if let Some(national_id) = national_id_of(patient) {
                claims["pid"] = json!(national_id);
            }
            // ...after a login of high assurance (R1).
            claims["acr"] = json!("http://eidas.europa.eu/LoA/high");
        }
        claims
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for it to finish is not needed.
        drop(self.server.stop(false));
    }
}

impl State {
    fn jwks(&self) -> Value {
        let keys = self.keys.lock().unwrap();
        let mut published: Vec<Value> = keys
            .es256
            .iter()
            .map(|(kid, key)| ec_jwk(kid, "P-256", "ES256", key))
            .collect();
        published.push(ec_jwk(ES384_KID, "P-384", "ES384", &keys.es384));
        let rsa = PublicKeyComponents::<Vec<u8>>::from(keys.rsa.public_key());
        // No `alg`: the one RSA key serves RS256, RS384 and PS256.
        published.push(json!({
            "kty": "RSA", "use": "sig", "kid": RSA_KID,
            "n": URL_SAFE_NO_PAD.encode(&rsa.n), "e": URL_SAFE_NO_PAD.encode(&rsa.e),
        }));
        json!({"keys": published})
    }
}

async fn discovery(issuer: web::Data<String>, state: web::Data<Arc<State>>) -> HttpResponse {
    let jwks_uri = state
        .announced_jwks_uri
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| format!("{}/jwks", issuer.as_str()));
    HttpResponse::Ok().json(json!({
        "issuer": issuer.as_str(),
        "jwks_uri": jwks_uri,
        "authorization_endpoint": format!("{}/authorize", issuer.as_str()),
        "token_endpoint": format!("{}/token", issuer.as_str()),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "ES384", "RS256", "RS384", "PS256"],
    }))
}

async fn jwks(state: web::Data<Arc<State>>) -> HttpResponse {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if state.unavailable.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    if state.redirect_jwks.load(Ordering::SeqCst) {
        return HttpResponse::Found()
            .insert_header(("Location", "/jwks-moved"))
            .finish();
    }
    HttpResponse::Ok().json(state.jwks())
}

async fn moved_jwks(state: web::Data<Arc<State>>) -> HttpResponse {
    state.moved_jwks_fetches.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(state.jwks())
}

fn ec_key(alg: &'static signature::EcdsaSigningAlgorithm) -> EcdsaKeyPair {
    EcdsaKeyPair::generate(alg).expect("EC key generation")
}

fn ec_jwk(kid: &str, crv: &str, alg: &str, key: &EcdsaKeyPair) -> Value {
    // Uncompressed point: 0x04 || x || y.
    let point = key.public_key().as_ref();
    let (x, y) = point[1..].split_at((point.len() - 1) / 2);
    json!({
        "kty": "EC", "crv": crv, "use": "sig", "alg": alg, "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
    })
}

fn ec_sign(key: &EcdsaKeyPair, input: &[u8]) -> Vec<u8> {
    key.sign(&SystemRandom::new(), input)
        .expect("EC signature")
        .as_ref()
        .to_vec()
}

fn rsa_sign(
    key: &RsaKeyPair,
    encoding: &'static dyn signature::RsaEncoding,
    input: &[u8],
) -> Vec<u8> {
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(encoding, &SystemRandom::new(), input, &mut signature)
        .expect("RSA signature");
    signature
}

/// `base64url(header).base64url(claims).base64url(signature over the first two)`.
fn sign(header: &Value, claims: &Value, signer: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signer(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The national identifier of a Patient id of the embedded data set (`no.p-no-001` →
/// `12848801265`), read from the data set itself; `None` for an id that names nobody.
pub fn national_id_of(patient_id: &str) -> Option<String> {
    static PEOPLE: std::sync::LazyLock<std::collections::HashMap<String, String>> =
        std::sync::LazyLock::new(|| {
            let mut people = std::collections::HashMap::new();
            for (country, json) in [
                ("no", include_str!("../../../src/portal/embedded/no.json")),
                ("se", include_str!("../../../src/portal/embedded/se.json")),
                ("dk", include_str!("../../../src/portal/embedded/dk.json")),
                ("fi", include_str!("../../../src/portal/embedded/fi.json")),
            ] {
                let data: serde_json::Value = serde_json::from_str(json).expect("the data set");
                for person in data["persons"].as_array().expect("persons") {
                    let key = person["key"].as_str().expect("a key");
                    let value = person["national_id"]["value"].as_str().expect("an id");
                    people.insert(format!("{country}.{key}"), value.to_owned());
                }
            }
            people
        });
    PEOPLE.get(patient_id).cloned()
}
