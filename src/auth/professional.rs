//! What a National Contact Point asserts about the health professional it asks for (R8), in
//! the IUA-style claims of its access token, and the NCP's own country from its client
//! certificate:
//!
//! | claim | meaning | form |
//! |---|---|---|
//! | `subject_name` | the professional's name | text |
//! | `subject_role` | their role (e.g. ISCO-08 `221` medical doctor) | text, `system\|code`, or `{"code", "display"}` |
//! | `subject_organization` | the care organisation they work for | text |
//! | `subject_organization_id` | its identifier (e.g. `urn:oid:...`) | text |
//! | `purpose_of_use` | `TREATMENT` or `EMERGENCY` | text, `system\|code`, URN ending in the code, or `{"code"}` |
//! | `home_community_id` | the NCP's home community, `urn:oid:<oid>` | text |
//!
//! A claim missing or malformed refuses the request with 403: the token is valid, but the
//! NCP has not said what cross-border access needs.

use serde_json::{Map, Value};

/// Why a cross-border request is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeOfUse {
    Treatment,
    /// Break the glass: the consent engine may override restrictions (R26).
    Emergency,
}

impl PurposeOfUse {
    pub fn code(self) -> &'static str {
        match self {
            PurposeOfUse::Treatment => "TREATMENT",
            PurposeOfUse::Emergency => "EMERGENCY",
        }
    }
}

/// The professional behind an NCP request, as the NCP asserts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfessionalAssertion {
    pub subject_name: String,
    pub subject_role: String,
    pub subject_organization: String,
    pub subject_organization_id: String,
    pub purpose_of_use: PurposeOfUse,
    pub home_community_id: String,
    /// The NCP's country (ISO 3166-1 alpha-2), from its client certificate.
    pub country: String,
    /// The NCP's name, from its client certificate.
    pub ncp_name: Option<String>,
}

/// Why the assertion cannot be used; the texts name the claim, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the access token lacks the claim '{0}' that cross-border access requires")]
    Missing(&'static str),
    #[error("the access token's claim '{0}' is malformed")]
    Malformed(&'static str),
    #[error("purpose_of_use must be TREATMENT or EMERGENCY")]
    UnknownPurpose,
    #[error("home_community_id must be urn:oid:<oid>")]
    BadHomeCommunity,
}

/// Longest value accepted in any claim: these go into the access log.
const MAX_LEN: usize = 256;

impl ProfessionalAssertion {
    /// Reads and checks the claims of a verified token for an NCP of `country`.
    pub fn from_claims(
        claims: &Map<String, Value>,
        country: &str,
        ncp_name: Option<&str>,
    ) -> Result<ProfessionalAssertion, AssertionError> {
        let purpose = coded(claims, "purpose_of_use")?;
        let purpose_of_use = match purpose.rsplit(['|', ':', '/']).next().unwrap_or_default() {
            code if code.eq_ignore_ascii_case("TREATMENT") => PurposeOfUse::Treatment,
            code if code.eq_ignore_ascii_case("EMERGENCY") => PurposeOfUse::Emergency,
            _ => return Err(AssertionError::UnknownPurpose),
        };
        let home_community_id = text(claims, "home_community_id")?;
        if !is_urn_oid(&home_community_id) {
            return Err(AssertionError::BadHomeCommunity);
        }
        Ok(ProfessionalAssertion {
            subject_name: text(claims, "subject_name")?,
            subject_role: coded(claims, "subject_role")?,
            subject_organization: text(claims, "subject_organization")?,
            subject_organization_id: text(claims, "subject_organization_id")?,
            purpose_of_use,
            home_community_id,
            country: country.to_owned(),
            ncp_name: ncp_name.map(str::to_owned),
        })
    }
}

/// A non-empty, bounded, printable string claim.
fn text(claims: &Map<String, Value>, name: &'static str) -> Result<String, AssertionError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(AssertionError::Missing(name)),
        Some(Value::String(value)) => clean(value, name),
        Some(_) => Err(AssertionError::Malformed(name)),
    }
}

/// A coded claim: a string, or an object with a `code` (a Coding). Returns the string, or
/// the code.
fn coded(claims: &Map<String, Value>, name: &'static str) -> Result<String, AssertionError> {
    match claims.get(name) {
        Some(Value::Object(coding)) => match coding.get("code") {
            Some(Value::String(code)) => clean(code, name),
            None => Err(AssertionError::Missing(name)),
            Some(_) => Err(AssertionError::Malformed(name)),
        },
        _ => text(claims, name),
    }
}

fn clean(value: &str, name: &'static str) -> Result<String, AssertionError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AssertionError::Missing(name));
    }
    if value.len() > MAX_LEN || value.chars().any(char::is_control) {
        return Err(AssertionError::Malformed(name));
    }
    Ok(value.to_owned())
}

/// `urn:oid:` and an OID: arcs of digits separated by dots, at least two.
fn is_urn_oid(value: &str) -> bool {
    let Some(oid) = value.strip_prefix("urn:oid:") else {
        return false;
    };
    let arcs: Vec<&str> = oid.split('.').collect();
    arcs.len() >= 2
        && arcs
            .iter()
            .all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(change: impl FnOnce(&mut Map<String, Value>)) -> Map<String, Value> {
        let mut map = match json!({
            "subject_name": "Dr. Anna Schmidt",
            "subject_role": {"system": "urn:oid:2.16.840.1.113883.2.9.6.2.7", "code": "221", "display": "Medical Doctors"},
            "subject_organization": "Charité Berlin",
            "subject_organization_id": "urn:oid:1.2.276.0.76.4.8",
            "purpose_of_use": "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse:TREATMENT",
            "home_community_id": "urn:oid:1.2.276.0.76.3.1.1",
        }) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        change(&mut map);
        map
    }

    fn read(claims: &Map<String, Value>) -> Result<ProfessionalAssertion, AssertionError> {
        ProfessionalAssertion::from_claims(claims, "DE", Some("NCPeH Germany"))
    }

    #[test]
    fn reads_a_complete_assertion() {
        let a = read(&claims(|_| {})).unwrap();
        assert_eq!(a.subject_name, "Dr. Anna Schmidt");
        assert_eq!(a.subject_role, "221");
        assert_eq!(a.purpose_of_use, PurposeOfUse::Treatment);
        assert_eq!(a.country, "DE");
        assert_eq!(a.ncp_name.as_deref(), Some("NCPeH Germany"));
        for (form, expected) in [
            (json!("EMERGENCY"), PurposeOfUse::Emergency),
            (json!("emergency"), PurposeOfUse::Emergency),
            (json!({"code": "TREATMENT"}), PurposeOfUse::Treatment),
            (
                json!("urn:oasis:names:tc:xspa:1.0|EMERGENCY"),
                PurposeOfUse::Emergency,
            ),
        ] {
            let c = claims(|c| {
                c.insert("purpose_of_use".into(), form.clone());
            });
            assert_eq!(read(&c).unwrap().purpose_of_use, expected, "{form}");
        }
    }

    #[test]
    fn each_missing_or_malformed_claim_is_named() {
        for name in [
            "subject_name",
            "subject_role",
            "subject_organization",
            "subject_organization_id",
            "purpose_of_use",
            "home_community_id",
        ] {
            let c = claims(|c| {
                c.remove(name);
            });
            assert_eq!(read(&c).unwrap_err(), AssertionError::Missing(name));
            let c = claims(|c| {
                c.insert(name.into(), json!("  "));
            });
            assert_eq!(read(&c).unwrap_err(), AssertionError::Missing(name));
            let c = claims(|c| {
                c.insert(name.into(), json!(42));
            });
            assert_eq!(read(&c).unwrap_err(), AssertionError::Malformed(name));
        }
        let cases = [
            (
                "purpose_of_use",
                json!("RESEARCH"),
                AssertionError::UnknownPurpose,
            ),
            (
                "purpose_of_use",
                json!({"code": 1}),
                AssertionError::Malformed("purpose_of_use"),
            ),
            (
                "home_community_id",
                json!("1.2.3"),
                AssertionError::BadHomeCommunity,
            ),
            (
                "home_community_id",
                json!("urn:oid:1..2"),
                AssertionError::BadHomeCommunity,
            ),
            (
                "subject_name",
                json!("a\nb"),
                AssertionError::Malformed("subject_name"),
            ),
            (
                "subject_name",
                json!("x".repeat(257)),
                AssertionError::Malformed("subject_name"),
            ),
        ];
        for (name, value, expected) in cases {
            let c = claims(|c| {
                c.insert(name.into(), value.clone());
            });
            assert_eq!(read(&c).unwrap_err(), expected, "{name}={value}");
        }
    }
}
