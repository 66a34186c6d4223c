//! What differs between the nations beyond their code systems: the ICD-10 notation of each
//! national edition, turned into the international notation the IPS expects beside it.

use crate::national_id::Country;

/// The WHO ICD-10 notation (`E11.9`) of a national ICD-10 code, when it has one.
///
/// - NO (kodeverk 7110) writes codes without the dot: `E119`.
/// - SE (ICD-10-SE) and FI write them with the dot: `E11.9`.
/// - DK (SKS) prefixes diagnosis codes with `D`: `DE119`.
pub fn icd10_international(country: Country, code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    let bare: String = match country {
        Country::Dk => code.strip_prefix('D')?.to_owned(),
        _ => code,
    }
    .chars()
    .filter(|c| c.is_ascii_alphanumeric())
    .collect();
    let (category, detail) = bare.split_at(bare.len().min(3));
    let valid_category = category.len() == 3
        && category.as_bytes()[0].is_ascii_uppercase()
        && category[1..].bytes().all(|b| b.is_ascii_digit());
    if !valid_category || detail.len() > 4 {
        return None;
    }
    Some(if detail.is_empty() {
        category.to_owned()
    } else {
        format!("{category}.{detail}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_national_notation_maps_to_who_notation() {
        assert_eq!(
            icd10_international(Country::No, "E119").as_deref(),
            Some("E11.9")
        );
        assert_eq!(
            icd10_international(Country::No, "I10").as_deref(),
            Some("I10")
        );
        assert_eq!(
            icd10_international(Country::Se, "E11.9").as_deref(),
            Some("E11.9")
        );
        assert_eq!(
            icd10_international(Country::Fi, "J45.9").as_deref(),
            Some("J45.9")
        );
        assert_eq!(
            icd10_international(Country::Dk, "DE119").as_deref(),
            Some("E11.9")
        );
        assert_eq!(
            icd10_international(Country::Dk, "DJ459").as_deref(),
            Some("J45.9")
        );
    }

    #[test]
    fn codes_that_are_not_icd10_have_no_international_form() {
        assert_eq!(
            icd10_international(Country::Dk, "E119"),
            None,
            "SKS diagnoses start with D"
        );
        assert_eq!(icd10_international(Country::No, "119"), None);
        assert_eq!(icd10_international(Country::No, "EE19"), None);
        assert_eq!(icd10_international(Country::Se, ""), None);
    }
}
