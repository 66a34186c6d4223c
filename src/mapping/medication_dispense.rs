//! The dispensations of a prescription as MedicationDispense resources (HL7 Europe MPD).
//!
//! The registers keep a prescription's dispensations inside it, without keys of their own: a
//! dispensation's key is the prescription's with `-d<n>` after it (`rx-no-0001-d2` for the
//! second), counted in the order the register lists them. The sources check that no record
//! of the person has such a key already (`dispensation_key`).

use crate::fhir::datatypes::{Extension, Meta, Quantity, Reference};
use crate::fhir::resources::{DispensePerformer, MedicationDispense, MedicationRequest};
use crate::mapping::{date, ids, patient_reference};
use crate::national_id::Country;
use crate::portal::model::{Dispensation, Person, Prescription};

pub const MPD_MEDICATION_DISPENSE: &str =
    "http://hl7.eu/fhir/mpd/StructureDefinition/MedicationDispense-eu-mpd";
/// R5's `MedicationDispense.recorded`, which MPD requires.
pub const RECORDED_R5: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationDispense.recorded";

/// The key of the `index`-th (from 0) dispensation of the prescription with key `rx_key`.
pub fn dispensation_key(rx_key: &str, index: usize) -> String {
    format!("{rx_key}-d{}", index + 1)
}

/// The id of the prescription (MedicationRequest) a dispensation's id was made from.
pub fn prescription_id(dispense_id: &str) -> Option<&str> {
    let (prescription, number) = dispense_id.rsplit_once("-d")?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(prescription)
}

/// Each dispensation of `rx`, whose MedicationRequest is `request`.
pub fn dispenses(
    country: Country,
    person: &Person,
    rx: &Prescription,
    request: &MedicationRequest,
) -> Vec<MedicationDispense> {
    rx.dispensations
        .iter()
        .enumerate()
        .map(|(i, d)| dispense(country, person, rx, request, i, d))
        .collect()
}

fn dispense(
    country: Country,
    person: &Person,
    rx: &Prescription,
    request: &MedicationRequest,
    index: usize,
    d: &Dispensation,
) -> MedicationDispense {
    let handed_over = date(d.date);
    MedicationDispense {
        id: ids::record_id(country, &person.key, &dispensation_key(&rx.key, index)),
        // The dispensation changes with its prescription's record, and only then.
        meta: Meta {
            profile: vec![MPD_MEDICATION_DISPENSE.to_owned()],
            ..request.meta.clone()
        },
        extension: vec![Extension {
            url: RECORDED_R5.into(),
            // The registers keep the day of the dispensation only; it is recorded that day.
            value_date_time: Some(handed_over.clone()),
            ..Default::default()
        }],
        status: "completed".into(),
        medication_codeable_concept: request.medication_codeable_concept.clone(),
        subject: patient_reference(country, person),
        performer: vec![DispensePerformer {
            actor: Reference {
                type_: Some("Organization".into()),
                display: Some(d.pharmacy.clone()),
                ..Default::default()
            },
        }],
        authorizing_prescription: vec![Reference::to("MedicationRequest", &request.id)],
        quantity: quantity(&d.quantity),
        when_handed_over: handed_over,
    }
}

/// "100 tabletter" as 100 of the unit "tabletter"; a quantity the register wrote without a
/// leading number keeps its words as the unit.
fn quantity(text: &str) -> Quantity {
    let text = text.trim();
    let (number, unit) = text.split_once(' ').unwrap_or((text, ""));
    match number.replace(',', ".").parse::<f64>() {
        Ok(value) if value.is_finite() => Quantity {
            value: Some(value),
            unit: (!unit.trim().is_empty()).then(|| unit.trim().to_owned()),
            ..Default::default()
        },
        _ => Quantity {
            unit: Some(text.to_owned()),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_their_number_and_unit() {
        let q = quantity("100 tabletter");
        assert_eq!(
            (q.value, q.unit.as_deref()),
            (Some(100.0), Some("tabletter"))
        );
        let q = quantity("2,5 ml");
        assert_eq!((q.value, q.unit.as_deref()), (Some(2.5), Some("ml")));
        let q = quantity("3");
        assert_eq!((q.value, q.unit), (Some(3.0), None));
        let q = quantity("en pakning");
        assert_eq!((q.value, q.unit.as_deref()), (None, Some("en pakning")));
        let q = quantity("inf tabletter");
        assert_eq!(q.value, None);
    }

    #[test]
    fn dispensation_keys_count_from_one_and_name_their_prescription() {
        assert_eq!(dispensation_key("rx-no-0001", 0), "rx-no-0001-d1");
        assert_eq!(dispensation_key("rx-no-0001", 11), "rx-no-0001-d12");
        assert_eq!(
            prescription_id("no.p-no-008.rx-no-0001-d12"),
            Some("no.p-no-008.rx-no-0001")
        );
        assert_eq!(prescription_id("no.p-no-008.rx-no-0001"), None);
        assert_eq!(prescription_id("no.p-no-008.rx-no-0001-d"), None);
        assert_eq!(prescription_id("no.p-no-008.rx-no-0001-dx"), None);
    }
}
