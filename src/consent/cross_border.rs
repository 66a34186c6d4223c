//! The citizen's cross-border opt-out (EHDS Art. 10, R27), per MyHealth@EU service: a
//! National Contact Point asking for an opted-out service gets 403 `forbidden`, whatever its
//! purpose of use (break-the-glass does not reach across the border: the citizen chose that
//! their data does not leave the country for that service).
//!
//! The opt-out comes from two places:
//! - the national portal's register of the citizen's choices (`PortalChoices`), and
//! - the citizen's own `Consent` in the gateway: scope `patient-privacy`, status `active`, a
//!   `deny` provision (on its own, or nested in a `permit`) whose `purpose` names the
//!   service in [`CROSS_BORDER_SERVICE_SYSTEM`], and that narrows nothing else (no class, data
//!   or actor). Withdrawing it (`status = inactive`) restores the service at the next request,
//!   since Consents are read from the store on every request.
//!
//! ```json
//! "provision": {"type": "deny", "purpose": [
//!   {"system": "urn:ehds-gateway:cross-border-service", "code": "patient-summary"}]}
//! ```

use time::Date;

use crate::consent::provisions::{in_period, is_privacy};
use crate::fhir::resources::consent::{Consent, ConsentProvision};
use crate::portal::model::{CrossBorderService, Person};

/// The code system of the MyHealth@EU services a citizen can opt out of.
pub const CROSS_BORDER_SERVICE_SYSTEM: &str = "urn:ehds-gateway:cross-border-service";

/// The codes of [`CROSS_BORDER_SERVICE_SYSTEM`].
pub const SERVICE_CODES: [&str; 2] = ["patient-summary", "e-prescription"];

pub fn service_code(service: CrossBorderService) -> &'static str {
    match service {
        CrossBorderService::PatientSummary => SERVICE_CODES[0],
        CrossBorderService::EPrescription => SERVICE_CODES[1],
    }
}

/// Whether the person opted out of `service`, in the portal or by an active Consent, today.
pub fn opted_out(
    person: &Person,
    consents: &[Consent],
    service: CrossBorderService,
    today: Date,
) -> bool {
    person.choices.cross_border_opt_out.contains(&service)
        || consents
            .iter()
            .filter(|c| c.status == "active" && is_privacy(c))
            .filter_map(|c| c.provision.as_deref())
            .any(|top| {
                let nested = top
                    .provision
                    .iter()
                    .filter(|p| top.type_.as_deref() != Some("deny") && is_deny(p));
                std::iter::once(top)
                    .filter(|p| is_deny(p))
                    .chain(nested)
                    .any(|p| opts_out(p, service, today))
            })
}

fn is_deny(rule: &ConsentProvision) -> bool {
    rule.type_.as_deref() == Some("deny")
}

fn opts_out(rule: &ConsentProvision, service: CrossBorderService, today: Date) -> bool {
    let names_service = rule.purpose.iter().any(|p| {
        p.system.as_deref() == Some(CROSS_BORDER_SERVICE_SYSTEM)
            && p.code.as_deref() == Some(service_code(service))
    });
    names_service
        && rule.class.is_empty()
        && rule.data.is_empty()
        && rule.actor.is_empty()
        && in_period(rule.period.as_ref(), today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::consent::CONSENT_SCOPE_SYSTEM;
    use serde_json::{Value, json};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn person(opted: &[CrossBorderService]) -> Person {
        let data: crate::portal::model::CountryDataSet =
            serde_json::from_str(include_str!("../portal/embedded/no.json")).unwrap();
        let mut person = data
            .persons
            .into_iter()
            .find(|p| p.key == "p-no-011")
            .unwrap();
        person.choices.cross_border_opt_out = opted.to_vec();
        person
    }

    fn consent(status: &str, provision: Value) -> Consent {
        serde_json::from_value(json!({
            "status": status,
            "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": "Patient/no.p-no-011"},
            "provision": provision
        }))
        .unwrap()
    }

    fn purpose(code: &str) -> Value {
        json!({"system": CROSS_BORDER_SERVICE_SYSTEM, "code": code})
    }

    use CrossBorderService::{EPrescription, PatientSummary};

    #[test]
    fn the_portal_register_opts_out_per_service() {
        let p = person(&[PatientSummary]);
        assert!(opted_out(&p, &[], PatientSummary, TODAY));
        assert!(!opted_out(&p, &[], EPrescription, TODAY));
        assert!(!opted_out(&person(&[]), &[], PatientSummary, TODAY));
    }

    #[test]
    fn the_table_of_consents() {
        let summary = json!({"type": "deny", "purpose": [purpose("patient-summary")]});
        let both = json!({"type": "deny", "purpose": [purpose("patient-summary"), purpose("e-prescription")]});
        let nested = json!({"type": "permit", "provision": [{"type": "deny", "purpose": [purpose("e-prescription")]}]});
        let narrowed = json!({"type": "deny", "purpose": [purpose("e-prescription")],
            "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]});
        let ended = json!({"type": "deny", "purpose": [purpose("e-prescription")], "period": {"end": "2026-01-01"}});
        let other_system = json!({"type": "deny", "purpose": [{"system": "http://example.org", "code": "e-prescription"}]});
        let permit = json!({"type": "permit", "purpose": [purpose("e-prescription")]});
        // (name, status, provision, opted out of the summary, of ePrescription)
        let cases = [
            ("summary only", "active", summary.clone(), true, false),
            ("both", "active", both, true, true),
            ("deny inside a permit", "active", nested, false, true),
            ("withdrawn", "inactive", summary, false, false),
            ("narrowed to a type", "active", narrowed, false, false),
            ("period ended", "active", ended, false, false),
            ("another code system", "active", other_system, false, false),
            ("a permit", "active", permit, false, false),
        ];
        let p = person(&[]);
        for (name, status, provision, summary, eprescription) in cases {
            let c = [consent(status, provision)];
            assert_eq!(opted_out(&p, &c, PatientSummary, TODAY), summary, "{name}");
            assert_eq!(
                opted_out(&p, &c, EPrescription, TODAY),
                eprescription,
                "{name}"
            );
        }
    }
}
