//! Sweden: personnummer and samordningsnummer, as Skatteverket issues them.
//!
//! Canonical form: 12 digits `YYYYMMDDNNNC`, as Skatteverket stores them (century 18, 19 or
//! 20). Accepted input: the 12 digits, `YYYYMMDD-NNNC`, or the 10-digit presentation form
//! `YYMMDD-NNNC` / `YYMMDD+NNNC`, where the century follows folkbokföringslagen 18 §: the
//! hyphen becomes a plus sign in the year the person turns 100, so `-` means born within the
//! last 99 calendar years (counting this one) and `+` the hundred years before that. Ten
//! digits without a separator are refused, because without the sign the century is a guess.
//! - Birth number `NNN` 001–999 (Skatteverket never issues 000); its last digit is odd for men.
//! - Control digit `C`: Luhn (modulus 10, weights 2,1,…) over the last ten digits; the century
//!   digits are outside it.
//! - Samordningsnummer: day + 60 (61–91), otherwise the same rules (folkbokföringslagen 18 a §).
//!
//! Synthetic: Skatteverket publishes no rule that marks test numbers; it publishes a list of
//! test personnummer (the open data set "Testpersonnummer") that belong to no real person. So
//! a personnummer counts as synthetic here exactly when it is one of the numbers from that
//! series embedded below ([`SKATTEVERKET_TEST_PERSONNUMMER`]); fixtures that must hold no
//! real person's number take theirs from there. The limits: a published test number that is not
//! embedded reads as not synthetic, and no samordningsnummer ever reads as synthetic, because
//! none from a published test series is embedded.

use time::Date;

use super::{
    Checked, IdError, IdKind, NationalId, calendar_date, decimal, digits_exact, digits_to_string,
    sex_of, write_decimal,
};

checked_identifier!(
    /// A Swedish personnummer, checked; canonical form `YYYYMMDDNNNC`. `is_synthetic()` holds
    /// only for the Skatteverket test numbers embedded in this module (see
    /// [`synth::se_test_personnummer`](super::synth::se_test_personnummer)): Sweden has no rule
    /// that marks test numbers.
    SePersonnummer
);

checked_identifier!(
    /// A Swedish samordningsnummer (coordination number, day + 60), checked; canonical form
    /// `YYYYMMDDNNNC`. `is_synthetic()` is always false: no published test samordningsnummer
    /// are embedded, and no rule marks them.
    SeSamordningsnummer
);

impl SePersonnummer {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse_at(IdKind::SePersonnummer, value, today()).map(Self)
    }
}

impl SeSamordningsnummer {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        parse_at(IdKind::SeSamordningsnummer, value, today()).map(Self)
    }
}

/// A Swedish number of either kind; a first day digit of 6–9 marks a samordningsnummer.
pub(super) fn parse_for_country(value: &str) -> Result<NationalId, IdError> {
    // The day sits after YYMM in the 11-character form and after YYYYMM in the others.
    let day_at = if value.len() == 11 { 4 } else { 6 };
    match value.as_bytes().get(day_at) {
        Some(b'6'..=b'9') => SeSamordningsnummer::parse(value).map(NationalId::SeSamordningsnummer),
        _ => SePersonnummer::parse(value).map(NationalId::SePersonnummer),
    }
}

/// Test personnummer of Skatteverket's test series. They are taken from public sources that
/// attribute them to Skatteverket: the list a population-register client ships as
/// "Testpersonnummer från Skatteverket" (present in the test register, not real persons) and
/// `201701012393` from the open data set. Each is a valid number (see the tests).
#[rustfmt::skip]
const SKATTEVERKET_TEST_PERSONNUMMER: [&str; 58] = [
    "190001042399", "190104132386", "190301249801", "191212121212", "193008077723",
    "193012299263", "193805028432", "194001079120", "194004057032", "194201199124",
    "194408139089", "194502024732", "194504118359", "195005050512", "195005050520",
    "195005050546", "195102031753", "195312242083", "195702182568", "195711212893",
    "195712302842", "196107293059", "196108193175", "196108283166", "196109072972",
    "196201082697", "196404153832", "197103011032", "197907179191", "197911109291",
    "197912309296", "198101079294", "198705212382", "198808112380", "199001252387",
    "199006022397", "199007212393", "199007282388", "199007302384", "199107172380",
    "199212252382", "199312162390", "199312172381", "199504242398", "199610202385",
    "199705162387", "199710182396", "199912282382", "200001022391", "200001032382",
    "200001042399", "200001052380", "200002262384", "200007312382", "200304302383",
    "200510162381", "200512312398", "201701012393",
];

const SAMORDNING_DAY_OFFSET: u32 = 60;

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Parses with `today` fixing the century of the 10-digit form (a parameter for the tests).
fn parse_at(kind: IdKind, value: &str, today: Date) -> Result<Checked, IdError> {
    let digits = normalise(kind, value, today)?;
    check(kind, &digits)
}

/// The 12 digits of any accepted input form.
fn normalise(kind: IdKind, value: &str, today: Date) -> Result<[u8; 12], IdError> {
    const LENGTH: &str = "expected YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDD-NNNC or YYMMDD+NNNC";
    let bytes = value.as_bytes();
    match (bytes.len(), bytes.get(6), bytes.get(8)) {
        (12, _, _) => digits_exact(kind, value, LENGTH),
        (13, _, Some(b'-')) => {
            let joined = [&value[..8], &value[9..]].concat();
            digits_exact(kind, &joined, LENGTH)
        }
        (11, Some(&separator @ (b'-' | b'+')), _) => {
            let joined = [&value[..6], &value[7..]].concat();
            let short: [u8; 10] = digits_exact(kind, &joined, LENGTH)?;
            Ok(with_century(&short, separator == b'+', today))
        }
        _ => Err(IdError::malformed(kind, LENGTH)),
    }
}

/// The 10-digit form with the century Skatteverket's separator rule gives it.
fn with_century(short: &[u8; 10], plus: bool, today: Date) -> [u8; 12] {
    let yy = decimal(&short[..2]) as i32;
    let latest = today.year() - (today.year() - yy).rem_euclid(100);
    let year = if plus { latest - 100 } else { latest };
    let mut digits = [0; 12];
    write_decimal(&mut digits[..2], (year / 100) as u32);
    digits[2..].copy_from_slice(short);
    digits
}

fn check(kind: IdKind, digits: &[u8; 12]) -> Result<Checked, IdError> {
    if !(18..=20).contains(&decimal(&digits[..2])) {
        return Err(IdError::BadDate { kind });
    }
    let day = birth_day(kind, decimal(&digits[6..8]))?;
    let year = decimal(&digits[..4]) as i32;
    let birth_date =
        calendar_date(year, decimal(&digits[4..6]), day).ok_or(IdError::BadDate { kind })?;
    if decimal(&digits[8..11]) == 0 {
        return Err(IdError::malformed(kind, "birth number 000 is never issued"));
    }
    if !luhn_valid(&digits[2..]) {
        return Err(IdError::BadCheck { kind });
    }
    let canonical = digits_to_string(digits);
    let synthetic = kind == IdKind::SePersonnummer
        && SKATTEVERKET_TEST_PERSONNUMMER.contains(&canonical.as_str());
    Ok(Checked {
        canonical,
        birth_date,
        sex: sex_of(digits[10]),
        synthetic,
    })
}

/// The day of month, with the samordningsnummer offset taken off.
fn birth_day(kind: IdKind, raw: u32) -> Result<u32, IdError> {
    match (kind, raw) {
        (IdKind::SeSamordningsnummer, 61..=91) => Ok(raw - SAMORDNING_DAY_OFFSET),
        (IdKind::SeSamordningsnummer, 1..=31) => Err(IdError::malformed(
            kind,
            "the day digits mark a personnummer, not a samordningsnummer",
        )),
        (_, 1..=31) => Ok(raw),
        (_, 61..=91) => Err(IdError::malformed(
            kind,
            "the day digits mark a samordningsnummer",
        )),
        _ => Err(IdError::BadDate { kind }),
    }
}

/// Luhn: from the right, every second digit doubled (digit sum taken), total divisible by 10.
fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits.iter().rev(), false) % 10 == 0
}

/// The Luhn control digit for the digits before it.
fn luhn_control(digits: &[u8]) -> u8 {
    ((10 - luhn_sum(digits.iter().rev(), true) % 10) % 10) as u8
}

fn luhn_sum<'a>(from_right: impl Iterator<Item = &'a u8>, double_first: bool) -> u32 {
    from_right
        .enumerate()
        .map(|(index, &digit)| {
            let doubled = (index % 2 == 0) == double_first;
            let value = u32::from(digit) * if doubled { 2 } else { 1 };
            value / 10 + value % 10
        })
        .sum()
}

pub(super) fn build_personnummer(date: Date, serial: u16) -> Option<SePersonnummer> {
    let text = build(date, serial, false)?;
    SePersonnummer::parse(&text).ok()
}

pub(super) fn build_samordningsnummer(date: Date, serial: u16) -> Option<SeSamordningsnummer> {
    let text = build(date, serial, true)?;
    SeSamordningsnummer::parse(&text).ok()
}

pub(super) fn test_personnummer() -> Vec<SePersonnummer> {
    SKATTEVERKET_TEST_PERSONNUMMER
        .iter()
        .filter_map(|number| SePersonnummer::parse(number).ok())
        .collect()
}

/// The canonical 12 digits for `date` and birth number `serial`, or `None` outside
/// 1800–2099 or 001–999.
fn build(date: Date, serial: u16, samordning: bool) -> Option<String> {
    if !(1800..=2099).contains(&date.year()) || !(1..=999).contains(&serial) {
        return None;
    }
    let day = u32::from(date.day()) + if samordning { SAMORDNING_DAY_OFFSET } else { 0 };
    let mut digits = [0; 12];
    write_decimal(&mut digits[0..4], date.year() as u32);
    write_decimal(&mut digits[4..6], u32::from(u8::from(date.month())));
    write_decimal(&mut digits[6..8], day);
    write_decimal(&mut digits[8..11], u32::from(serial));
    digits[11] = luhn_control(&digits[2..11]);
    Some(digits_to_string(&digits))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{change_digit, dates, digit_changes};
    use super::super::{IdSex, synth};
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 03 - 15);

    fn pnr(value: &str) -> Result<Checked, IdError> {
        parse_at(IdKind::SePersonnummer, value, TODAY)
    }

    fn snr(value: &str) -> Result<Checked, IdError> {
        parse_at(IdKind::SeSamordningsnummer, value, TODAY)
    }

    /// Nine digits `YYMMDDNNN` (after the century) completed with their Luhn digit.
    fn with_control(century: &str, first9: &str) -> String {
        let digits: Vec<u8> = first9.bytes().map(|byte| byte - b'0').collect();
        format!("{century}{first9}{}", luhn_control(&digits))
    }

    mod valid {
        use super::*;

        #[test]
        fn skatteverket_test_numbers_are_valid_and_synthetic() {
            assert_eq!(
                test_personnummer().len(),
                SKATTEVERKET_TEST_PERSONNUMMER.len()
            );
            let tolvan = SePersonnummer::parse("191212121212").unwrap();
            assert_eq!(tolvan.birth_date(), date!(1912 - 12 - 12));
            assert_eq!(tolvan.sex(), IdSex::Male);
            assert!(tolvan.is_synthetic());
            let female = SePersonnummer::parse("195005050520").unwrap();
            assert_eq!(female.sex(), IdSex::Female);
            assert!(female.is_synthetic());
        }

        #[test]
        fn all_input_forms_normalise_to_twelve_digits() {
            for value in ["191212121212", "19121212-1212", "121212+1212"] {
                assert_eq!(pnr(value).unwrap().canonical, "191212121212", "{value}");
            }
            assert_eq!(pnr("170101-2393").unwrap().canonical, "201701012393");
        }

        #[test]
        fn skatteverket_samordningsnummer_example() {
            // Skatteverket's example: a man born 3 October 1970 with individual number 239.
            let checked = snr("701063-2391").unwrap();
            assert_eq!(checked.canonical, "197010632391");
            assert_eq!(checked.birth_date, date!(1970 - 10 - 03));
            assert_eq!(checked.sex, IdSex::Male);
            assert!(!checked.synthetic);
        }

        #[test]
        fn other_valid_numbers_are_not_synthetic() {
            let built = synth::se_personnummer(date!(1981 - 12 - 18), 987).unwrap();
            assert_eq!(
                built.as_str(),
                "198112189876",
                "Skatteverket's worked example"
            );
            assert!(!built.is_synthetic());
        }
    }

    mod century {
        use super::*;

        #[test]
        fn hyphen_means_born_within_the_last_99_years() {
            let cases = [
                ("260101-2399", 2026),
                ("270101-2398", 1927),
                ("991231-2399", 1999),
                ("000101-2390", 2000),
            ];
            for (value, year) in cases {
                let short = fix_control(value);
                assert_eq!(pnr(&short).unwrap().birth_date.year(), year, "{short}");
            }
        }

        #[test]
        fn plus_means_the_hundred_years_before() {
            let cases = [
                ("260101+2399", 1926),
                ("270101+2398", 1827),
                ("121212+1212", 1912),
            ];
            for (value, year) in cases {
                let short = fix_control(value);
                assert_eq!(pnr(&short).unwrap().birth_date.year(), year, "{short}");
            }
        }

        #[test]
        fn the_plus_sign_switches_in_the_year_of_the_hundredth_birthday() {
            // Born 31 Dec 1926: in 2026 the person turns 100 and is written with '+', even
            // before the birthday; with '-' the same digits mean 2026.
            let plus = fix_control("261231+2399");
            assert_eq!(pnr(&plus).unwrap().birth_date, date!(1926 - 12 - 31));
            let minus = fix_control("261231-2399");
            assert_eq!(pnr(&minus).unwrap().birth_date, date!(2026 - 12 - 31));
        }

        #[test]
        fn twelve_digits_need_century_18_19_or_20() {
            assert!(pnr(&with_control("18", "991231239")).is_ok());
            assert!(pnr(&with_control("20", "991231239")).is_ok());
            for century in ["17", "21", "00"] {
                assert_eq!(
                    pnr(&with_control(century, "991231239")),
                    Err(IdError::BadDate {
                        kind: IdKind::SePersonnummer
                    }),
                    "{century}"
                );
            }
        }

        /// `value` with its last digit replaced by the right Luhn digit.
        fn fix_control(value: &str) -> String {
            let digits: Vec<u8> = value
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|byte| byte - b'0')
                .collect();
            format!(
                "{}{}",
                &value[..value.len() - 1],
                luhn_control(&digits[..9])
            )
        }
    }

    mod invalid {
        use super::*;

        #[test]
        fn wrong_control_digit() {
            assert_eq!(pnr("811218-9876").unwrap().canonical, "198112189876");
            for bad in ["811218-9877", "198112189870", "19811218-9875"] {
                assert_eq!(
                    pnr(bad),
                    Err(IdError::BadCheck {
                        kind: IdKind::SePersonnummer
                    })
                );
            }
        }

        #[test]
        fn wrong_length_or_layout() {
            let values = [
                "",
                "8112189876",
                "81121898765",
                "1981121898761",
                "19811218+9876",
                "811218 9876",
                "19811218 9876",
                "1981-12-18-9876",
            ];
            for value in values {
                assert!(
                    matches!(pnr(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }

        #[test]
        fn letters() {
            for value in ["81121X-9876", "19811218987A", "811218-98T6"] {
                assert!(
                    matches!(pnr(value), Err(IdError::Malformed { .. })),
                    "{value:?}"
                );
            }
        }

        #[test]
        fn impossible_dates() {
            let cases = [
                "860431239",
                "850229239",
                "860100239",
                "861301239",
                "860132239",
            ];
            for first9 in cases {
                assert_eq!(
                    pnr(&with_control("19", first9)),
                    Err(IdError::BadDate {
                        kind: IdKind::SePersonnummer
                    }),
                    "{first9}"
                );
            }
        }

        #[test]
        fn leap_days() {
            assert!(pnr(&with_control("19", "840229239")).is_ok());
            assert!(pnr(&with_control("20", "000229239")).is_ok());
            assert!(
                pnr(&with_control("19", "000229239")).is_err(),
                "1900 is not a leap year"
            );
        }

        #[test]
        fn birth_number_000_is_refused() {
            assert!(matches!(
                pnr(&with_control("19", "811218000")),
                Err(IdError::Malformed { .. })
            ));
        }

        #[test]
        fn the_kinds_do_not_mix() {
            assert!(matches!(
                snr("811218-9876"),
                Err(IdError::Malformed {
                    kind: IdKind::SeSamordningsnummer,
                    ..
                })
            ));
            assert!(matches!(
                pnr("701063-2391"),
                Err(IdError::Malformed {
                    kind: IdKind::SePersonnummer,
                    ..
                })
            ));
            // Days 32–60 and 92–99 are neither.
            assert_eq!(
                snr(&with_control("19", "701092239")),
                Err(IdError::BadDate {
                    kind: IdKind::SeSamordningsnummer
                })
            );
        }

        #[test]
        fn samordningsnummer_day_must_exist() {
            // 31 + 60 in April, 29 + 60 in February of a common year.
            for first9 in ["700491239", "710289239"] {
                assert_eq!(
                    snr(&with_control("19", first9)),
                    Err(IdError::BadDate {
                        kind: IdKind::SeSamordningsnummer
                    })
                );
            }
            assert!(snr(&with_control("19", "720289239")).is_ok());
        }
    }

    mod for_country {
        use super::*;

        #[test]
        fn day_digits_choose_the_kind_in_every_form() {
            let forms = [
                ("197010632391", IdKind::SeSamordningsnummer),
                ("19701063-2391", IdKind::SeSamordningsnummer),
                ("701063-2391", IdKind::SeSamordningsnummer),
                ("198112189876", IdKind::SePersonnummer),
                ("19811218-9876", IdKind::SePersonnummer),
                ("811218-9876", IdKind::SePersonnummer),
            ];
            for (value, kind) in forms {
                assert_eq!(parse_for_country(value).unwrap().kind(), kind, "{value}");
            }
        }
    }

    fn any_number() -> impl Strategy<Value = (Date, u16, bool)> {
        (
            dates(date!(1800 - 01 - 01), date!(2099 - 12 - 31)),
            1u16..=999,
            any::<bool>(),
        )
    }

    /// The presentation form `YYMMDD±NNNC` as it would be written on `today`.
    fn short_form(canonical: &str, birth: Date, today: Date) -> String {
        let separator = if today.year() - birth.year() >= 100 {
            '+'
        } else {
            '-'
        };
        format!("{}{separator}{}", &canonical[2..8], &canonical[8..])
    }

    proptest! {
        #[test]
        fn built_numbers_parse_back((d, serial, samordning) in any_number()) {
            let text = build(d, serial, samordning).unwrap();
            let kind = if samordning { IdKind::SeSamordningsnummer } else { IdKind::SePersonnummer };
            let id = NationalId::parse(kind.system(), &text).unwrap();
            prop_assert_eq!(id.kind(), kind);
            prop_assert_eq!(id.value(), text.as_str());
            prop_assert_eq!(id.birth_date(), d);
            let male = serial % 2 == 1;
            prop_assert_eq!(id.sex(), if male { IdSex::Male } else { IdSex::Female });
            prop_assert_eq!(parse_for_country(&text).unwrap(), id.clone());
            let hyphenated = format!("{}-{}", &text[..8], &text[8..]);
            prop_assert_eq!(parse_for_country(&hyphenated).unwrap(), id);
        }

        #[test]
        fn short_forms_parse_back(
            (d, serial, samordning) in (dates(date!(1827 - 01 - 01), TODAY), 1u16..=999, any::<bool>()),
        ) {
            let kind = if samordning { IdKind::SeSamordningsnummer } else { IdKind::SePersonnummer };
            let text = build(d, serial, samordning).unwrap();
            let checked = parse_at(kind, &short_form(&text, d, TODAY), TODAY).unwrap();
            prop_assert_eq!(checked.canonical, text);
            prop_assert_eq!(checked.birth_date, d);
        }

        #[test]
        fn synth_builders_round_trip((d, serial, _) in any_number()) {
            let pnr = synth::se_personnummer(d, serial).unwrap();
            prop_assert_eq!(pnr.birth_date(), d);
            prop_assert_eq!(SePersonnummer::parse(pnr.as_str()).unwrap(), pnr);
            let snr = synth::se_samordningsnummer(d, serial).unwrap();
            prop_assert_eq!(snr.birth_date(), d);
            prop_assert_eq!(SeSamordningsnummer::parse(snr.as_str()).unwrap(), snr);
        }

        /// Luhn catches every single-digit change among the ten digits it covers. The century
        /// digits are outside it (19 → 18 is another valid number), so they are not changed.
        #[test]
        fn changing_one_digit_is_rejected(
            (d, serial, samordning) in any_number(),
            (position, delta) in digit_changes(2..12),
        ) {
            let text = build(d, serial, samordning).unwrap();
            let changed = change_digit(&text, position, delta);
            prop_assert!(SePersonnummer::parse(&changed).is_err());
            prop_assert!(SeSamordningsnummer::parse(&changed).is_err());
        }
    }
}
