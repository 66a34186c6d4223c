//! Denmark: the CPR number (personnummer) of Det Centrale Personregister.
//!
//! Layout `DDMMYYSSSS`, written with or without a hyphen after the date; canonical without.
//! - Century from the 7th digit and `YY` (CPR-kontoret): 0–3 → 1900–1999; 4 and 9 → 2000–2036
//!   when `YY` ≤ 36, else 1937–1999; 5–8 → 2000–2057 when `YY` ≤ 57, else 1858–1899.
//! - No control digit is checked. The old modulus-11 rule must not be enforced: CPR-kontoret
//!   has issued numbers without it since 1 October 2007 and states that they are fully valid.
//! - Sex: the last digit, odd for men.
//!
//! Synthetic: none can be told. CPR-kontoret's test data set (its demo environment and the
//! Datafordeler test environment) gives its test persons keys built by the same public rules
//! as real numbers and says they may be identical to numbers in production; no range or mark
//! is reserved for tests. So [`DkCpr::is_synthetic`] is always false, and a Danish number in a
//! fixture cannot be shown, by the number alone, to belong to no one.

use time::Date;

use super::{
    Checked, IdError, IdKind, calendar_date, decimal, digits_exact, digits_to_string, sex_of,
    write_decimal,
};

checked_identifier!(
    /// A Danish CPR number, checked for format and date (there is no control digit to check);
    /// canonical form `DDMMYYSSSS`. `is_synthetic()` is always false: CPR-kontoret reserves no
    /// numbers for tests, so no Danish number can be told to belong to no one.
    DkCpr
);

impl DkCpr {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse(value).map(Self)
    }
}

const KIND: IdKind = IdKind::DkCpr;

fn parse(value: &str) -> Result<Checked, IdError> {
    const LENGTH: &str = "expected DDMMYYSSSS or DDMMYY-SSSS";
    let bytes = value.as_bytes();
    let digits: [u8; 10] = match (bytes.len(), bytes.get(6)) {
        (10, _) => digits_exact(KIND, value, LENGTH)?,
        (11, Some(b'-')) => digits_exact(KIND, &[&value[..6], &value[7..]].concat(), LENGTH)?,
        _ => return Err(IdError::malformed(KIND, LENGTH)),
    };
    let yy = decimal(&digits[4..6]);
    let year = century(digits[6], yy) + yy as i32;
    let birth_date = calendar_date(year, decimal(&digits[2..4]), decimal(&digits[0..2]))
        .ok_or(IdError::BadDate { kind: KIND })?;
    Ok(Checked {
        canonical: digits_to_string(&digits),
        birth_date,
        sex: sex_of(digits[9]),
        synthetic: false,
    })
}

/// The century CPR-kontoret's table gives the 7th digit (the first of the serial) and `YY`.
fn century(seventh: u8, yy: u32) -> i32 {
    match seventh {
        0..=3 => 1900,
        4 | 9 if yy <= 36 => 2000,
        4 | 9 => 1900,
        _ if yy <= 57 => 2000,
        _ => 1800,
    }
}

/// The number for `date` and `serial`, or `None` when the serial's first digit does not give
/// the date's century.
pub(super) fn build(date: Date, serial: u16) -> Option<DkCpr> {
    let yy = date.year().rem_euclid(100) as u32;
    let seventh = (serial / 1000) as u8;
    if serial > 9999 || century(seventh, yy) + yy as i32 != date.year() {
        return None;
    }
    let mut digits = [0; 10];
    write_decimal(&mut digits[0..2], u32::from(date.day()));
    write_decimal(&mut digits[2..4], u32::from(u8::from(date.month())));
    write_decimal(&mut digits[4..6], yy);
    write_decimal(&mut digits[6..10], u32::from(serial));
    DkCpr::parse(&digits_to_string(&digits)).ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::dates;
    use super::super::{IdSex, NationalId, synth};
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn year_of(value: &str) -> i32 {
        DkCpr::parse(value).unwrap().birth_date().year()
    }

    mod valid {
        use super::*;

        #[test]
        fn both_forms_give_the_same_canonical_number() {
            let plain = DkCpr::parse("2110625629").unwrap();
            let hyphenated = DkCpr::parse("211062-5629").unwrap();
            assert_eq!(plain, hyphenated);
            assert_eq!(hyphenated.as_str(), "2110625629");
            assert_eq!(plain.birth_date(), date!(1862 - 10 - 21));
            assert_eq!(plain.sex(), IdSex::Male);
            assert!(!plain.is_synthetic());
        }

        #[test]
        fn numbers_without_modulus_11_are_accepted() {
            // 010135-4001: weighted sum 4·0+3·1+2·0+7·1+6·3+5·5+4·4+3·0+2·0+1·1 = 70, not a
            // multiple of 11, as in the numbers CPR-kontoret has issued since 2007.
            let cpr = DkCpr::parse("0101354001").unwrap();
            assert_eq!(cpr.birth_date(), date!(2035 - 01 - 01));
            assert_eq!(cpr.sex(), IdSex::Male);
        }

        #[test]
        fn sex_follows_the_last_digit() {
            assert_eq!(DkCpr::parse("0101354000").unwrap().sex(), IdSex::Female);
            assert_eq!(DkCpr::parse("0101354009").unwrap().sex(), IdSex::Male);
        }
    }

    mod century {
        use super::*;

        #[test]
        fn seventh_digit_0_to_3_is_1900s() {
            assert_eq!(year_of("0101000000"), 1900);
            assert_eq!(year_of("0101993999"), 1999);
            assert_eq!(year_of("0101362000"), 1936);
        }

        #[test]
        fn seventh_digit_4_and_9() {
            assert_eq!(year_of("0101364000"), 2036);
            assert_eq!(year_of("0101374000"), 1937);
            assert_eq!(year_of("0101009999"), 2000);
            assert_eq!(year_of("0101999999"), 1999);
        }

        #[test]
        fn seventh_digit_5_to_8() {
            assert_eq!(year_of("0101575000"), 2057);
            assert_eq!(year_of("0101588999"), 1858);
            assert_eq!(year_of("0101006000"), 2000);
            assert_eq!(year_of("0101997000"), 1899);
        }

        #[test]
        fn leap_day_depends_on_the_century() {
            assert_eq!(
                DkCpr::parse("2902004000").unwrap().birth_date(),
                date!(2000 - 02 - 29)
            );
            assert_eq!(
                DkCpr::parse("2902000000"),
                Err(IdError::BadDate { kind: KIND }),
                "1900 is not a leap year"
            );
        }
    }

    mod invalid {
        use super::*;

        #[test]
        fn impossible_dates() {
            for value in [
                "3104621234",
                "2902631234",
                "0013621234",
                "0001621234",
                "3201621234",
            ] {
                assert_eq!(
                    DkCpr::parse(value),
                    Err(IdError::BadDate { kind: KIND }),
                    "{value}"
                );
            }
            assert!(DkCpr::parse("2902641234").is_ok(), "1964 is a leap year");
        }

        #[test]
        fn wrong_length_or_layout() {
            for value in [
                "",
                "211062062",
                "21106206290",
                "211062+0629",
                "21106-20629",
                "2110-620629",
            ] {
                assert!(
                    matches!(DkCpr::parse(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }

        #[test]
        fn letters() {
            for value in ["211062062A", "211062-O629", "2110620629\n"] {
                assert!(
                    matches!(DkCpr::parse(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }
    }

    /// A serial whose first digit gives `date`'s century, chosen among all that do.
    fn serial_for(date: Date) -> BoxedStrategy<u16> {
        let yy = date.year() % 100;
        let firsts: Vec<u16> = (0..=9)
            .filter(|&first| century(first as u8, yy as u32) + yy == date.year())
            .collect();
        (proptest::sample::select(firsts), 0u16..1000)
            .prop_map(|(first, rest)| first * 1000 + rest)
            .boxed()
    }

    proptest! {
        #[test]
        fn built_numbers_parse_back(
            (d, serial) in dates(date!(1858 - 01 - 01), date!(2057 - 12 - 31))
                .prop_flat_map(|d| (Just(d), serial_for(d))),
        ) {
            let cpr = synth::dk_cpr(d, serial).unwrap();
            let expected = format!(
                "{:02}{:02}{:02}{serial:04}",
                d.day(),
                u8::from(d.month()),
                d.year() % 100
            );
            prop_assert_eq!(cpr.as_str(), expected.as_str());
            let id = NationalId::parse(IdKind::DkCpr.system(), cpr.as_str()).unwrap();
            prop_assert_eq!(id.kind(), IdKind::DkCpr);
            prop_assert_eq!(id.birth_date(), d);
            let male = serial % 2 == 1;
            prop_assert_eq!(id.sex(), if male { IdSex::Male } else { IdSex::Female });
            let hyphenated = format!("{}-{}", &expected[..6], &expected[6..]);
            prop_assert_eq!(DkCpr::parse(&hyphenated).unwrap(), cpr);
        }
    }
}
