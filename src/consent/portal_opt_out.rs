//! Secondary-use opt-outs registered in a national portal (R29, F3), as the Consent resources
//! a health data access body reads beside those made through the gateway: one per person,
//! with a stable id (`portal-<Patient id>-research`) and a source marker (`meta.source`,
//! and a `meta.tag`), so that a data permit leaves these people out whichever way they opted
//! out.

use serde_json::json;

use crate::fhir::resources::consent::{CONSENT_SCOPE_SYSTEM, Consent};
use crate::portal::model::Person;

/// `meta.tag` system of Consents that mirror a national portal's register.
pub const SOURCE_TAG_SYSTEM: &str = "urn:ehds-gateway:consent-source";
/// The id prefix of those Consents; gateway-made Consents have UUIDs, so the two never meet.
pub const ID_PREFIX: &str = "portal-";

/// The id of the Consent that mirrors `patient_id`'s portal opt-out.
pub fn id_of(patient_id: &str) -> String {
    format!("{ID_PREFIX}{patient_id}-research")
}

/// The Patient id a mirrored Consent's id names, if it is one.
pub fn patient_of(id: &str) -> Option<&str> {
    id.strip_prefix(ID_PREFIX)?.strip_suffix("-research")
}

/// The Consent that mirrors the person's opt-out, if they opted out in their portal.
pub fn consent_of(person: &Person, patient_id: &str) -> Option<Consent> {
    if !person.choices.secondary_use_opt_out {
        return None;
    }
    let country = person.national_id.country();
    let value = json!({
        "id": id_of(patient_id),
        "meta": {
            "source": format!("urn:ehds-gateway:portal:{}", country.code().to_lowercase()),
            "tag": [{"system": SOURCE_TAG_SYSTEM, "code": "national-portal",
                     "display": "registered in the national portal"}]
        },
        "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "research"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "57016-8",
                                  "display": "Privacy policy acknowledgement Document"}]}],
        "patient": {"reference": format!("Patient/{patient_id}")},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                   "code": "OPTOUT"}]},
        "provision": {"type": "deny"}
    });
    serde_json::from_value(value).ok()
}
