//! Finland: henkilötunnus (HETU), as Digi- ja väestötietovirasto (DVV) issues it.
//!
//! Layout `DDMMYYCZZZQ`: birth date, century sign `C`, individual number `ZZZ`, check
//! character `Q`. Canonical form: upper case (input may be lower case).
//! - Century signs, with the additions of the 2023 reform: `+` 1800s; `-`, `Y`, `X`, `W`, `V`,
//!   `U` 1900s; `A`–`F` 2000s. The signs of one century are not interchangeable: the reform
//!   added them so that the same date and individual number can be issued again, so
//!   `010155-955E` and `010155Y955E` are different identifiers and the sign is kept as given.
//! - Individual number 002–899 for persons; 900–999 for temporary numbers (hospitals, tests),
//!   which DVV never records for a person; 000 and 001 are not used.
//! - Check character: the nine digits `DDMMYYZZZ` as a number, mod 31, indexed into
//!   `0123456789ABCDEFHJKLMNPRSTUVWXY`.
//! - Sex: `ZZZ` odd for men.
//!
//! Synthetic: the individual numbers 900–999.

use time::Date;

use super::{Checked, IdError, IdKind, calendar_date, decimal, digits_exact, sex_of};

checked_identifier!(
    /// A Finnish henkilötunnus, checked; canonical form `DDMMYYCZZZQ` in upper case.
    /// `is_synthetic()` holds for the temporary individual numbers 900–999.
    FiHetu
);

impl FiHetu {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse(value).map(Self)
    }
}

const KIND: IdKind = IdKind::FiHetu;
const CHECK_CHARACTERS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
const TEMPORARY_INDIVIDUALS: std::ops::RangeInclusive<u32> = 900..=999;

fn parse(value: &str) -> Result<Checked, IdError> {
    let canonical = value.to_ascii_uppercase();
    let bytes = canonical.as_bytes();
    if bytes.len() != 11 {
        return Err(IdError::malformed(
            KIND,
            "must be 11 characters, DDMMYYCZZZQ",
        ));
    }
    let date: [u8; 6] = digits_at(bytes, 0..6)?;
    let individual_digits: [u8; 3] = digits_at(bytes, 7..10)?;
    let century = century(bytes[6]).ok_or_else(|| {
        IdError::malformed(KIND, "the century sign is not one of + - Y X W V U A-F")
    })?;
    let individual = decimal(&individual_digits);
    if individual < 2 {
        return Err(IdError::malformed(KIND, "individual numbers start at 002"));
    }
    let year = century + decimal(&date[4..6]) as i32;
    let birth_date = calendar_date(year, decimal(&date[2..4]), decimal(&date[0..2]))
        .ok_or(IdError::BadDate { kind: KIND })?;
    verify_check_character(decimal(&date), individual, bytes[10])?;
    Ok(Checked {
        sex: sex_of(individual_digits[2]),
        synthetic: TEMPORARY_INDIVIDUALS.contains(&individual),
        canonical,
        birth_date,
    })
}

/// The digits at `range` of `bytes` (all of them ASCII digits, or malformed).
fn digits_at<const N: usize>(
    bytes: &[u8],
    range: std::ops::Range<usize>,
) -> Result<[u8; N], IdError> {
    // The length was checked, so the slice is whole; a non-ASCII byte fails the digit test.
    let text = std::str::from_utf8(&bytes[range])
        .map_err(|_| IdError::malformed(KIND, "the date and individual number must be digits"))?;
    digits_exact(KIND, text, "the date and individual number must be digits")
}

fn century(sign: u8) -> Option<i32> {
    match sign {
        b'+' => Some(1800),
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => Some(1900),
        b'A'..=b'F' => Some(2000),
        _ => None,
    }
}

/// The sign a new number of `year`'s century gets first (`+`, `-` or `A`).
pub(super) fn primary_century_sign(year: i32) -> Option<u8> {
    match year {
        1800..=1899 => Some(b'+'),
        1900..=1999 => Some(b'-'),
        2000..=2099 => Some(b'A'),
        _ => None,
    }
}

fn verify_check_character(ddmmyy: u32, individual: u32, given: u8) -> Result<(), IdError> {
    if !CHECK_CHARACTERS.contains(&given) {
        return Err(IdError::malformed(
            KIND,
            "the check character is not one DVV uses",
        ));
    }
    if check_character(ddmmyy, individual) == given {
        Ok(())
    } else {
        Err(IdError::BadCheck { kind: KIND })
    }
}

/// The check character of the nine-digit number `DDMMYYZZZ`.
fn check_character(ddmmyy: u32, individual: u32) -> u8 {
    CHECK_CHARACTERS[((ddmmyy * 1000 + individual) % 31) as usize]
}

/// The number for `date` with century sign `sign` and individual number 002–999, or `None`
/// when the sign does not belong to the date's century.
pub(super) fn build(date: Date, sign: u8, individual: u16) -> Option<FiHetu> {
    let individual = u32::from(individual);
    if century(sign)? != date.year() - date.year().rem_euclid(100) || individual > 999 {
        return None;
    }
    let ddmmyy = u32::from(date.day()) * 10_000
        + u32::from(u8::from(date.month())) * 100
        + date.year().rem_euclid(100) as u32;
    let check = check_character(ddmmyy, individual);
    let text = format!(
        "{ddmmyy:06}{}{individual:03}{}",
        char::from(sign),
        char::from(check)
    );
    FiHetu::parse(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{change_digit, dates, digit_changes};
    use super::super::{IdSex, NationalId, synth};
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    mod valid {
        use super::*;

        #[test]
        fn temporary_numbers_are_synthetic() {
            let hetu = FiHetu::parse("131052-9085").unwrap();
            assert_eq!(hetu.birth_date(), date!(1952 - 10 - 13));
            assert_eq!(hetu.sex(), IdSex::Female);
            assert!(hetu.is_synthetic());
            assert!(FiHetu::parse("311299+999E").unwrap().is_synthetic());
        }

        #[test]
        fn personal_numbers_are_not_synthetic() {
            // DVV's published example.
            let hetu = FiHetu::parse("131052-308T").unwrap();
            assert_eq!(hetu.birth_date(), date!(1952 - 10 - 13));
            assert_eq!(hetu.sex(), IdSex::Female);
            assert!(!hetu.is_synthetic());
            assert!(
                FiHetu::parse("150617A002Y").is_ok(),
                "002 is the first individual number"
            );
        }

        #[test]
        fn lower_case_is_canonicalised() {
            let hetu = FiHetu::parse("150617a921l").unwrap();
            assert_eq!(hetu.as_str(), "150617A921L");
            assert_eq!(hetu, FiHetu::parse("150617A921L").unwrap());
            assert_eq!(hetu.sex(), IdSex::Male);
            assert_eq!(FiHetu::parse("150617A920K").unwrap().sex(), IdSex::Female);
        }
    }

    mod century {
        use super::*;

        #[test]
        fn every_sign() {
            let cases = [
                ("010100+9503", 1800),
                ("010199-9001", 1999),
                ("010155U955E", 1955),
                ("010155V955E", 1955),
                ("010155W955E", 1955),
                ("010155X955E", 1955),
                ("010155Y955E", 1955),
                ("010100A9503", 2000),
                ("290200B902D", 2000),
                ("010110C910C", 2010),
                ("010110D910C", 2010),
                ("010110E910C", 2010),
                ("290204F999K", 2004),
            ];
            for (value, year) in cases {
                assert_eq!(
                    FiHetu::parse(value).unwrap().birth_date().year(),
                    year,
                    "{value}"
                );
            }
        }

        #[test]
        fn signs_of_one_century_give_different_identifiers() {
            let dash = FiHetu::parse("010155-955E").unwrap();
            let y = FiHetu::parse("010155Y955E").unwrap();
            assert_eq!(dash.birth_date(), y.birth_date());
            assert_ne!(dash, y);
        }

        #[test]
        fn leap_day_depends_on_the_century() {
            assert!(FiHetu::parse("290200B902D").is_ok());
            assert_eq!(
                FiHetu::parse("290200-902D"),
                Err(IdError::BadDate { kind: KIND })
            );
        }

        #[test]
        fn unknown_signs_are_malformed() {
            for value in ["010155Z955E", "010155G955E", "010155 955E", "010155*955E"] {
                assert!(
                    matches!(FiHetu::parse(value), Err(IdError::Malformed { .. })),
                    "{value}"
                );
            }
        }

        #[test]
        fn lower_case_signs_are_the_upper_case_ones() {
            assert_eq!(
                FiHetu::parse("010100a9503").unwrap().as_str(),
                "010100A9503"
            );
        }
    }

    mod invalid {
        use super::*;

        #[test]
        fn wrong_check_character() {
            assert_eq!(
                FiHetu::parse("131052-308U"),
                Err(IdError::BadCheck { kind: KIND })
            );
            assert_eq!(
                FiHetu::parse("131052-9084"),
                Err(IdError::BadCheck { kind: KIND })
            );
        }

        #[test]
        fn check_character_outside_the_alphabet() {
            for value in ["131052-308G", "131052-308I", "131052-308O", "131052-308Z"] {
                assert!(
                    matches!(FiHetu::parse(value), Err(IdError::Malformed { .. })),
                    "{value}"
                );
            }
        }

        #[test]
        fn impossible_dates() {
            // Check characters computed for the impossible dates, so only the date is wrong.
            for value in ["310421A930M", "290221A930R", "000121A9307", "011321A930J"] {
                let result = FiHetu::parse(value);
                assert_eq!(result, Err(IdError::BadDate { kind: KIND }), "{value}");
            }
            assert!(FiHetu::parse("290220A930F").is_ok(), "2020 is a leap year");
        }

        #[test]
        fn individual_numbers_000_and_001_are_not_used() {
            for value in ["150617A000W", "150617A001X"] {
                assert!(
                    matches!(FiHetu::parse(value), Err(IdError::Malformed { .. })),
                    "{value}"
                );
            }
        }

        #[test]
        fn wrong_length() {
            for value in [
                "",
                "131052-308",
                "131052-308TT",
                "131052308T",
                "19131052-308T",
            ] {
                assert!(
                    matches!(FiHetu::parse(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }

        #[test]
        fn letters_where_digits_belong() {
            for value in ["13105X-308T", "131052-3O8T", "1310é2-308T"] {
                assert!(
                    matches!(FiHetu::parse(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }
    }

    fn signs_for(year: i32) -> &'static [u8] {
        match year {
            1800..=1899 => b"+",
            1900..=1999 => b"-YXWVU",
            _ => b"ABCDEF",
        }
    }

    fn any_number() -> impl Strategy<Value = (Date, u8, u16)> {
        dates(date!(1800 - 01 - 01), date!(2099 - 12 - 31)).prop_flat_map(|d| {
            let signs = signs_for(d.year()).to_vec();
            (Just(d), proptest::sample::select(signs), 2u16..=999)
        })
    }

    proptest! {
        #[test]
        fn built_numbers_parse_back((d, sign, individual) in any_number()) {
            let hetu = build(d, sign, individual).unwrap();
            let text = hetu.as_str().to_owned();
            prop_assert_eq!(text.as_bytes()[6], sign);
            let id = NationalId::parse(IdKind::FiHetu.system(), &text).unwrap();
            prop_assert_eq!(id.kind(), IdKind::FiHetu);
            prop_assert_eq!(id.value(), text.as_str());
            prop_assert_eq!(id.birth_date(), d);
            let male = individual % 2 == 1;
            prop_assert_eq!(id.sex(), if male { IdSex::Male } else { IdSex::Female });
            prop_assert_eq!(id.is_synthetic(), individual >= 900);
            prop_assert_eq!(FiHetu::parse(&text.to_lowercase()).unwrap(), hetu);
        }

        #[test]
        fn synth_builder_round_trips((d, _, individual) in any_number()) {
            let individual = 900 + individual % 100;
            let hetu = synth::fi_hetu(d, individual).unwrap();
            prop_assert_eq!(hetu.birth_date(), d);
            prop_assert!(hetu.is_synthetic());
            prop_assert_eq!(FiHetu::parse(hetu.as_str()).unwrap(), hetu);
        }

        /// 31 is prime and larger than any digit difference, so moving one digit of the nine
        /// moves the number mod 31 and with it the check character.
        #[test]
        fn changing_one_digit_is_rejected(
            (d, sign, individual) in any_number(),
            (slot, delta) in digit_changes(0..9),
        ) {
            let hetu = build(d, sign, individual).unwrap();
            // The nine digits sit at 0–5 and 7–9, around the century sign.
            let position = if slot < 6 { slot } else { slot + 1 };
            let changed = change_digit(hetu.as_str(), position, delta);
            prop_assert!(FiHetu::parse(&changed).is_err());
        }
    }
}
