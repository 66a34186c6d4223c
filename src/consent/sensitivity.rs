//! Sensitive kinds of data a citizen can restrict as a whole, by category rather than by
//! resource type (R24): a deny provision with a `securityLabel` of HL7 v3 ActCode `PSY`
//! (mental health) or `ETH` (substance use) hides every record of that kind from everyone
//! it binds. The kind is read from the codes the national records carry: ICD-10 chapter F
//! for conditions (F10-F19, substance use, are both), ATC N05/N06 (psycholeptics,
//! psychoanaleptics) and N07B (drugs used in addictive disorders) for prescriptions.

use crate::fhir::datatypes::Coding;

/// HL7 v3 ActCode, the system of the labels.
pub const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// The labels a provision may name: those the gateway can recognise in the records.
pub const LABELS: [&str; 2] = ["PSY", "ETH"];

const ICD10_WHO: &str = "http://hl7.org/fhir/sid/icd-10";
const ATC: &str = "http://www.whocc.no/atc";

/// The sensitivity labels of a record coded with `codings`.
pub fn of_codes(codings: &[Coding]) -> Vec<&'static str> {
    let mut labels = Vec::new();
    for coding in codings {
        let code = coding.code.as_deref().unwrap_or_default();
        let found: &[&'static str] = match coding.system.as_deref() {
            Some(ICD10_WHO) => of_icd10(code),
            Some(ATC) => of_atc(code),
            _ => &[],
        };
        for label in found {
            if !labels.contains(label) {
                labels.push(*label);
            }
        }
    }
    labels
}

fn of_icd10(code: &str) -> &'static [&'static str] {
    let Some(rest) = code.strip_prefix('F') else {
        return &[];
    };
    match rest.get(..2).and_then(|d| d.parse::<u8>().ok()) {
        Some(10..=19) => &["PSY", "ETH"],
        Some(_) => &["PSY"],
        None => &[],
    }
}

fn of_atc(code: &str) -> &'static [&'static str] {
    if code.starts_with("N07B") {
        &["ETH"]
    } else if code.starts_with("N05") || code.starts_with("N06") {
        &["PSY"]
    } else {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding(system: &str, code: &str) -> Coding {
        Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            ..Default::default()
        }
    }

    #[test]
    fn mental_health_and_substance_use_are_recognised_by_their_codes() {
        assert_eq!(of_codes(&[coding(ICD10_WHO, "F41.1")]), ["PSY"]);
        assert_eq!(of_codes(&[coding(ICD10_WHO, "F10.2")]), ["PSY", "ETH"]);
        assert!(of_codes(&[coding(ICD10_WHO, "E11.9")]).is_empty());
        assert!(of_codes(&[coding(ICD10_WHO, "F")]).is_empty());
        assert_eq!(of_codes(&[coding(ATC, "N06AB06")]), ["PSY"]);
        assert_eq!(of_codes(&[coding(ATC, "N05BA04")]), ["PSY"]);
        assert_eq!(of_codes(&[coding(ATC, "N07BB01")]), ["ETH"]);
        assert!(of_codes(&[coding(ATC, "N02BE01")]).is_empty());
        // A national edition's system is not read: the WHO coding beside it is.
        assert!(of_codes(&[coding("urn:oid:2.16.578.1.12.4.1.1.7110", "F411")]).is_empty());
    }
}
