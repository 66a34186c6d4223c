//! The ID token: who logged in, how surely, for which client.
//!
//! `sub` is a pseudonym of the national identifier (stable, but not the number); the number
//! itself travels in `pid`, as national eIDs carry it, with its country in `pid_country`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::national_id::NationalId;

use super::DevEid;
use super::flows::IssuedCode;

/// The claims an ID token can carry (announced in discovery).
pub const CLAIMS: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "pid",
    "pid_country",
    "name",
    "given_name",
    "family_name",
    "birthdate",
];

/// The pseudonymous subject of a national identifier.
pub fn subject(id: &NationalId) -> String {
    let digest = Sha256::new()
        .chain_update("ehds-gateway dev eID subject|")
        .chain_update(id.system())
        .chain_update("|")
        .chain_update(id.value())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..18])
}

/// The signed ID token for a redeemed code.
pub fn id_token(eid: &DevEid, code: &IssuedCode, now: i64) -> String {
    let id = &code.person.national_id;
    let mut claims = json!({
        "iss": eid.issuer,
        "sub": subject(id),
        "aud": code.request.client_id,
        "iat": now,
        "exp": now + eid.token_lifetime_seconds,
        "auth_time": code.auth_time,
        "acr": code.level.acr(),
        "amr": ["pwd"],
        "pid": id.value(),
        "pid_country": id.country().code(),
        "birthdate": id.birth_date().to_string(),
    });
    let map = claims.as_object_mut().expect("an object");
    if let Some(nonce) = &code.request.nonce {
        map.insert("nonce".into(), Value::from(nonce.as_str()));
    }
    if let Some(name) = &code.person.name {
        map.insert("given_name".into(), Value::from(name.given.as_str()));
        map.insert("family_name".into(), Value::from(name.family.as_str()));
        map.insert(
            "name".into(),
            Value::from(format!("{} {}", name.given, name.family)),
        );
    }
    eid.key.sign(&claims)
}
