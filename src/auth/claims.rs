//! The claim checks that follow a good signature: audience, validity period and the
//! claims the gateway needs (`sub`, `scope`), each with a precise reason when it fails.

use serde_json::{Map, Value};

use super::error::TokenError;
use super::settings::IssuerPolicy;

/// The claims the gateway uses, typed. `iss` was matched before the key was chosen.
#[derive(Debug)]
pub(crate) struct CheckedClaims {
    pub(crate) subject: String,
    pub(crate) scope: String,
    pub(crate) client_id: Option<String>,
    pub(crate) patient: Option<String>,
    pub(crate) fhir_user: Option<String>,
    pub(crate) national_id: Option<String>,
    pub(crate) expires_at: i64,
    pub(crate) issued_at: Option<i64>,
    pub(crate) jwt_id: Option<String>,
}

/// Checks the claims of a token whose signature is valid, at `now` (Unix seconds).
pub(crate) fn check(
    claims: &Map<String, Value>,
    policy: &IssuerPolicy,
    now: i64,
) -> Result<CheckedClaims, TokenError> {
    let expires_at = numeric_date(claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    // RFC 7519 §4.1.4: the current time must be before `exp`.
    if now >= expires_at.saturating_add(policy.leeway) {
        return Err(TokenError::Expired);
    }
    if let Some(not_before) = numeric_date(claims, "nbf")?
        && not_before > now.saturating_add(policy.leeway)
    {
        return Err(TokenError::NotYetValid);
    }
    let issued_at = numeric_date(claims, "iat")?;
    check_lifetime(expires_at, issued_at, policy, now)?;
    check_audience(claims, &policy.audiences)?;

    let subject = string(claims, "sub")?.ok_or(TokenError::MissingClaim("sub"))?;
    if subject.is_empty() {
        return Err(TokenError::InvalidClaim("sub"));
    }
    let scope = string(claims, "scope")?.ok_or(TokenError::MissingClaim("scope"))?;
    // RFC 9068 names the client `client_id`; OIDC-style issuers only send `azp`.
    let client_id = match string(claims, "client_id")? {
        Some(client_id) => Some(client_id),
        None => string_reported_as(claims, "azp", "client_id")?,
    };
    let national_id = match &policy.national_id_claim {
        Some(name) => string_reported_as(claims, name, "national_id")?,
        None => None,
    };
    Ok(CheckedClaims {
        subject,
        scope,
        client_id,
        patient: string(claims, "patient")?,
        fhir_user: string(claims, "fhirUser")?,
        national_id,
        expires_at,
        issued_at,
        jwt_id: string(claims, "jti")?,
    })
}

/// At most the issuer's `max_lifetime`: from `iat` to `exp` as the issuer states it, or,
/// when it states no `iat`, what is left of it now (with the leeway for clock skew). A
/// token meant to live for days is refused even on its first day.
fn check_lifetime(
    expires_at: i64,
    issued_at: Option<i64>,
    policy: &IssuerPolicy,
    now: i64,
) -> Result<(), TokenError> {
    let (from, allowed) = match issued_at {
        Some(iat) => (iat, policy.max_lifetime),
        None => (now, policy.max_lifetime.saturating_add(policy.leeway)),
    };
    if expires_at.saturating_sub(from) > allowed {
        return Err(TokenError::LifetimeTooLong);
    }
    Ok(())
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3); one must be ours.
fn check_audience(claims: &Map<String, Value>, accepted: &[String]) -> Result<(), TokenError> {
    let ours = |aud: &str| accepted.iter().any(|a| a == aud);
    match claims.get("aud") {
        None => Err(TokenError::MissingClaim("aud")),
        Some(Value::String(aud)) if ours(aud) => Ok(()),
        Some(Value::String(_)) => Err(TokenError::WrongAudience),
        Some(Value::Array(list)) => {
            let mut found = false;
            for aud in list {
                found |= ours(aud.as_str().ok_or(TokenError::InvalidClaim("aud"))?);
            }
            if found {
                Ok(())
            } else {
                Err(TokenError::WrongAudience)
            }
        }
        Some(_) => Err(TokenError::InvalidClaim("aud")),
    }
}

/// An optional string claim; present with another type is an error.
fn string(claims: &Map<String, Value>, name: &'static str) -> Result<Option<String>, TokenError> {
    string_reported_as(claims, name, name)
}

/// Like `string`, for a claim whose error names it differently (a configured name, say).
fn string_reported_as(
    claims: &Map<String, Value>,
    name: &str,
    reported: &'static str,
) -> Result<Option<String>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(TokenError::InvalidClaim(reported)),
    }
}

/// An optional NumericDate: seconds since the epoch, possibly fractional (truncated).
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| number.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(TokenError::InvalidClaim(name)),
        Some(_) => Err(TokenError::InvalidClaim(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const AUD: &str = "https://gateway.example.no/fhir";

    fn policy() -> IssuerPolicy {
        IssuerPolicy {
            issuer: "https://idp.example.no".into(),
            audiences: vec![AUD.into(), "https://other.example.no/fhir".into()],
            algorithms: vec![jsonwebtoken::Algorithm::ES256],
            national_id_claim: Some("pid".into()),
            leeway: 30,
            max_lifetime: 3600,
        }
    }

    fn claims() -> Map<String, Value> {
        let value = json!({
            "iss": "https://idp.example.no", "sub": "subject-1", "aud": AUD,
            "exp": NOW + 300, "iat": NOW, "nbf": NOW, "jti": "id-1",
            "scope": "openid patient/*.rs", "client_id": "app", "patient": "p1",
            "fhirUser": "Patient/p1", "pid": "01017012345",
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn with(change: &[(&str, Value)], remove: &[&str]) -> Result<CheckedClaims, TokenError> {
        let mut claims = claims();
        for (name, value) in change {
            claims.insert((*name).into(), value.clone());
        }
        for name in remove {
            claims.remove(*name);
        }
        check(&claims, &policy(), NOW)
    }

    #[test]
    fn reads_the_claims_the_gateway_uses() {
        let checked = with(&[], &[]).unwrap();
        assert_eq!(checked.subject, "subject-1");
        assert_eq!(checked.scope, "openid patient/*.rs");
        assert_eq!(checked.client_id.as_deref(), Some("app"));
        assert_eq!(checked.patient.as_deref(), Some("p1"));
        assert_eq!(checked.fhir_user.as_deref(), Some("Patient/p1"));
        assert_eq!(checked.national_id.as_deref(), Some("01017012345"));
        assert_eq!(
            (checked.expires_at, checked.issued_at),
            (NOW + 300, Some(NOW))
        );
        assert_eq!(checked.jwt_id.as_deref(), Some("id-1"));

        let bare = with(
            &[],
            &[
                "iat",
                "nbf",
                "jti",
                "client_id",
                "patient",
                "fhirUser",
                "pid",
            ],
        )
        .unwrap();
        assert!(bare.client_id.is_none() && bare.patient.is_none() && bare.national_id.is_none());
        let azp = with(&[("azp", json!("oidc-app"))], &["client_id"]).unwrap();
        assert_eq!(azp.client_id.as_deref(), Some("oidc-app"));
        assert_eq!(
            with(&[("exp", json!(NOW as f64 + 0.5))], &[])
                .unwrap()
                .expires_at,
            NOW
        );
    }

    #[test]
    fn time_claims_honour_the_leeway() {
        let cases: &[(&str, i64, Result<(), TokenError>)] = &[
            ("exp", NOW - 31, Err(TokenError::Expired)),
            ("exp", NOW - 30, Err(TokenError::Expired)),
            ("exp", NOW - 29, Ok(())),
            ("nbf", NOW + 31, Err(TokenError::NotYetValid)),
            ("nbf", NOW + 30, Ok(())),
            ("nbf", NOW - 1000, Ok(())),
        ];
        for (name, value, expected) in cases {
            assert_eq!(
                with(&[(name, json!(value))], &[]).map(drop),
                *expected,
                "{name}={value}"
            );
        }
    }

    #[test]
    fn the_lifetime_is_bounded_from_iat_or_else_from_now() {
        let cases: &[(i64, Option<i64>, Result<(), TokenError>)] = &[
            (NOW + 3600, Some(NOW), Ok(())),
            (NOW + 3601, Some(NOW), Err(TokenError::LifetimeTooLong)),
            // Issued long ago and long-lived: refused even though little of it is left.
            (NOW + 60, Some(NOW - 7200), Err(TokenError::LifetimeTooLong)),
            (
                NOW + 10 * 365 * 86400,
                Some(NOW),
                Err(TokenError::LifetimeTooLong),
            ),
            // Without iat, what is left counts, with the leeway for clock skew.
            (NOW + 3630, None, Ok(())),
            (NOW + 3631, None, Err(TokenError::LifetimeTooLong)),
            (i64::MAX, None, Err(TokenError::LifetimeTooLong)),
        ];
        for (exp, iat, expected) in cases {
            let mut change = vec![("exp", json!(exp))];
            if let Some(iat) = iat {
                change.push(("iat", json!(iat)));
            }
            let remove: &[&str] = if iat.is_none() { &["iat"] } else { &[] };
            assert_eq!(
                with(&change, remove).map(drop),
                *expected,
                "exp={exp} iat={iat:?}"
            );
        }
    }

    #[test]
    fn audience_may_be_a_string_or_an_array() {
        let cases: &[(Value, Result<(), TokenError>)] = &[
            (json!("https://other.example.no/fhir"), Ok(())),
            (json!(["https://elsewhere.example", AUD]), Ok(())),
            (
                json!("https://gateway.example.no/fhir/"),
                Err(TokenError::WrongAudience),
            ),
            (
                json!(["https://elsewhere.example"]),
                Err(TokenError::WrongAudience),
            ),
            (json!([]), Err(TokenError::WrongAudience)),
            (json!([AUD, 7]), Err(TokenError::InvalidClaim("aud"))),
            (json!(7), Err(TokenError::InvalidClaim("aud"))),
        ];
        for (aud, expected) in cases {
            assert_eq!(
                with(&[("aud", aud.clone())], &[]).map(drop),
                *expected,
                "{aud}"
            );
        }
    }

    #[test]
    fn required_claims_must_be_present() {
        for name in ["exp", "aud", "sub", "scope"] {
            assert_eq!(
                with(&[], &[name]).unwrap_err(),
                TokenError::MissingClaim(name)
            );
        }
    }

    #[test]
    fn claims_of_the_wrong_type_are_invalid() {
        let cases: &[(&str, Value, &str)] = &[
            ("exp", json!("soon"), "exp"),
            ("nbf", json!(true), "nbf"),
            ("iat", json!("today"), "iat"),
            ("sub", json!(42), "sub"),
            ("sub", json!(""), "sub"),
            ("scope", json!(["patient/*.rs"]), "scope"),
            ("client_id", json!(1), "client_id"),
            ("azp", json!(1), "client_id"),
            ("patient", json!({"id": "p1"}), "patient"),
            ("fhirUser", json!(null), "fhirUser"),
            ("jti", json!(5), "jti"),
            ("pid", json!(1017012345), "national_id"),
        ];
        for (name, value, reported) in cases {
            let remove: &[&str] = if *name == "azp" { &["client_id"] } else { &[] };
            assert_eq!(
                with(&[(name, value.clone())], remove).unwrap_err(),
                TokenError::InvalidClaim(reported),
                "{name}={value}"
            );
        }
    }
}
