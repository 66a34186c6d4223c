//! Checked national person identifiers of Norway, Sweden, Denmark and Finland.
//!
//! Every identifier that enters the gateway (an eID claim, a search parameter, a record from a
//! portal) is parsed into one of the newtypes here, which can only be built by a parser that
//! checks the format, the embedded birth date and the control digits where the country has them.
//! The types never print the number: `Debug` masks it, there is no `Display`, and error messages
//! name the kind of identifier, never its value. Logs and metrics use [`NationalId::pseudonym`],
//! keyed ([`pseudonym`]); [`redact`] takes identifiers out of text bound for a log.
//!
//! The country rules live in one file each (`no`, `se`, `dk`, `fi`); this file holds what they
//! share: the identifier systems, the error type, the [`NationalId`] sum type with its FHIR token
//! and JSON forms, and [`synth`], which builds valid synthetic numbers for tests and tools.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

/// Defines the newtype of one identifier kind: the parsed facts behind a private field, the
/// accessors every kind shares, a `Debug` that masks the number, and the conversion into
/// [`NationalId`] (whose variant has the same name). Each country file adds `parse`.
macro_rules! checked_identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub(super) super::Checked);

        impl $name {
            /// The canonical text of the number.
            pub fn as_str(&self) -> &str {
                &self.0.canonical
            }

            /// The birth date the number encodes (with the D-number, samordningsnummer and
            /// synthetic offsets taken off).
            pub fn birth_date(&self) -> ::time::Date {
                self.0.birth_date
            }

            /// The sex the number encodes.
            pub fn sex(&self) -> super::IdSex {
                self.0.sex
            }

            /// Whether the number is known to be a test number that no real person holds; see
            /// the country module for what that means there.
            pub fn is_synthetic(&self) -> bool {
                self.0.synthetic
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }

        impl From<$name> for super::NationalId {
            fn from(id: $name) -> Self {
                super::NationalId::$name(id)
            }
        }
    };
}

mod dk;
mod fi;
mod no;
pub mod pseudonym;
pub mod redact;
mod se;

pub use dk::DkCpr;
pub use fi::FiHetu;
pub use no::{NoDNumber, NoFnr};
pub use se::{SePersonnummer, SeSamordningsnummer};

/// A Nordic country whose national identifiers the gateway understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Country {
    No,
    Se,
    Dk,
    Fi,
}

impl Country {
    pub const ALL: [Country; 4] = [Country::No, Country::Se, Country::Dk, Country::Fi];

    /// ISO 3166-1 alpha-2 code, e.g. `"NO"`.
    pub fn code(self) -> &'static str {
        match self {
            Country::No => "NO",
            Country::Se => "SE",
            Country::Dk => "DK",
            Country::Fi => "FI",
        }
    }

    /// English name, e.g. `"Norway"`.
    pub fn name(self) -> &'static str {
        match self {
            Country::No => "Norway",
            Country::Se => "Sweden",
            Country::Dk => "Denmark",
            Country::Fi => "Finland",
        }
    }

    /// The country with this ISO code, in any letter case.
    pub fn parse(code: &str) -> Option<Country> {
        Country::ALL
            .into_iter()
            .find(|country| country.code().eq_ignore_ascii_case(code))
    }
}

/// The kind of a national identifier; each kind has its own FHIR identifier system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    NoFnr,
    NoDNumber,
    SePersonnummer,
    SeSamordningsnummer,
    DkCpr,
    FiHetu,
}

impl IdKind {
    pub const ALL: [IdKind; 6] = [
        IdKind::NoFnr,
        IdKind::NoDNumber,
        IdKind::SePersonnummer,
        IdKind::SeSamordningsnummer,
        IdKind::DkCpr,
        IdKind::FiHetu,
    ];

    /// The FHIR identifier system (an OID URN) of this kind.
    pub fn system(self) -> &'static str {
        match self {
            IdKind::NoFnr => "urn:oid:2.16.578.1.12.4.1.4.1",
            IdKind::NoDNumber => "urn:oid:2.16.578.1.12.4.1.4.2",
            IdKind::SePersonnummer => "urn:oid:1.2.752.129.2.1.3.1",
            IdKind::SeSamordningsnummer => "urn:oid:1.2.752.129.2.1.3.3",
            IdKind::DkCpr => "urn:oid:1.2.208.176.1.2",
            IdKind::FiHetu => "urn:oid:1.2.246.21",
        }
    }

    /// The kind whose identifier system is exactly `system` (URIs are case-sensitive).
    pub fn from_system(system: &str) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|kind| kind.system() == system)
    }

    pub fn country(self) -> Country {
        match self {
            IdKind::NoFnr | IdKind::NoDNumber => Country::No,
            IdKind::SePersonnummer | IdKind::SeSamordningsnummer => Country::Se,
            IdKind::DkCpr => Country::Dk,
            IdKind::FiHetu => Country::Fi,
        }
    }

    /// A short human name, used in error messages.
    pub fn label(self) -> &'static str {
        match self {
            IdKind::NoFnr => "NO fødselsnummer",
            IdKind::NoDNumber => "NO D-nummer",
            IdKind::SePersonnummer => "SE personnummer",
            IdKind::SeSamordningsnummer => "SE samordningsnummer",
            IdKind::DkCpr => "DK CPR-nummer",
            IdKind::FiHetu => "FI henkilötunnus",
        }
    }

    /// The readable head of a pseudonym, so that logs still tell the kinds apart.
    fn pseudonym_prefix(self) -> &'static str {
        match self {
            IdKind::NoFnr => "NO-fnr",
            IdKind::NoDNumber => "NO-dnr",
            IdKind::SePersonnummer => "SE-pnr",
            IdKind::SeSamordningsnummer => "SE-snr",
            IdKind::DkCpr => "DK-cpr",
            IdKind::FiHetu => "FI-hetu",
        }
    }
}

/// The sex a national identifier encodes (the registers' legal sex at issue, not gender).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdSex {
    Female,
    Male,
}

/// Why a national identifier was refused. No message ever contains the identifier's value.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IdError {
    /// The identifier system is not one of the six this module knows (or is missing).
    #[error("unknown identifier system '{0}'")]
    UnknownSystem(String),
    /// Wrong length, characters or layout, or a number of another kind.
    #[error("{} is malformed: {reason}", .kind.label())]
    Malformed { kind: IdKind, reason: &'static str },
    /// The date part is not a calendar date.
    #[error("{} has a date part that is not a valid date", .kind.label())]
    BadDate { kind: IdKind },
    /// The control digit(s) or check character do not match.
    #[error("{} has a wrong control digit or check character", .kind.label())]
    BadCheck { kind: IdKind },
}

impl IdError {
    /// True when the system, not the value, was the problem (FHIR: the search matches nothing
    /// rather than the request being invalid, at the caller's choice).
    pub fn is_unknown_system(&self) -> bool {
        matches!(self, IdError::UnknownSystem(_))
    }

    fn malformed(kind: IdKind, reason: &'static str) -> Self {
        IdError::Malformed { kind, reason }
    }
}

/// Any checked national identifier, as it travels through the gateway.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum NationalId {
    NoFnr(NoFnr),
    NoDNumber(NoDNumber),
    SePersonnummer(SePersonnummer),
    SeSamordningsnummer(SeSamordningsnummer),
    DkCpr(DkCpr),
    FiHetu(FiHetu),
}

impl NationalId {
    /// Parses `value` under the identifier system `system`.
    pub fn parse(system: &str, value: &str) -> Result<Self, IdError> {
        let kind =
            IdKind::from_system(system).ok_or_else(|| IdError::UnknownSystem(system.to_owned()))?;
        match kind {
            IdKind::NoFnr => NoFnr::parse(value).map(Self::NoFnr),
            IdKind::NoDNumber => NoDNumber::parse(value).map(Self::NoDNumber),
            IdKind::SePersonnummer => SePersonnummer::parse(value).map(Self::SePersonnummer),
            IdKind::SeSamordningsnummer => {
                SeSamordningsnummer::parse(value).map(Self::SeSamordningsnummer)
            }
            IdKind::DkCpr => DkCpr::parse(value).map(Self::DkCpr),
            IdKind::FiHetu => FiHetu::parse(value).map(Self::FiHetu),
        }
    }

    /// Parses a FHIR token `system|value`. A token without a system (no `|`, or an empty
    /// system) is refused as an unknown system: a bare number does not say which country's
    /// rules apply, and guessing would turn one country's number into another's. The error
    /// carries an empty system then, so the value never reaches a message.
    pub fn parse_token(token: &str) -> Result<Self, IdError> {
        match token.split_once('|') {
            Some((system, value)) => Self::parse(system, value),
            None => Err(IdError::UnknownSystem(String::new())),
        }
    }

    /// Parses a number known only to come from `country` (an eID claim, say) and picks the
    /// kind from the number itself: in Norway a day field of 41–71 makes a D-number, in Sweden
    /// one of 61–91 a samordningsnummer.
    pub fn parse_for_country(country: Country, value: &str) -> Result<Self, IdError> {
        match country {
            Country::No => no::parse_for_country(value),
            Country::Se => se::parse_for_country(value),
            Country::Dk => DkCpr::parse(value).map(Self::DkCpr),
            Country::Fi => FiHetu::parse(value).map(Self::FiHetu),
        }
    }

    pub fn kind(&self) -> IdKind {
        match self {
            Self::NoFnr(_) => IdKind::NoFnr,
            Self::NoDNumber(_) => IdKind::NoDNumber,
            Self::SePersonnummer(_) => IdKind::SePersonnummer,
            Self::SeSamordningsnummer(_) => IdKind::SeSamordningsnummer,
            Self::DkCpr(_) => IdKind::DkCpr,
            Self::FiHetu(_) => IdKind::FiHetu,
        }
    }

    pub fn system(&self) -> &'static str {
        self.kind().system()
    }

    /// The canonical value. Handle with care: this is the number itself.
    pub fn value(&self) -> &str {
        &self.checked().canonical
    }

    pub fn country(&self) -> Country {
        self.kind().country()
    }

    pub fn birth_date(&self) -> Date {
        self.checked().birth_date
    }

    pub fn sex(&self) -> IdSex {
        self.checked().sex
    }

    pub fn is_synthetic(&self) -> bool {
        self.checked().synthetic
    }

    /// A stable stand-in for logs and metrics: the kind, `#`, and the first 16 hex digits of
    /// HMAC-SHA256 over `system|value` under the process's pseudonym key (see [`pseudonym`]).
    /// Equal identifiers give equal pseudonyms under one key, so requests can be correlated
    /// without the number appearing anywhere, and without the key the number cannot be
    /// found from its pseudonym by trying every possible number.
    pub fn pseudonym(&self) -> String {
        self.pseudonym_under(pseudonym::current())
    }

    /// The pseudonym under a given key.
    pub fn pseudonym_under(&self, key: &pseudonym::PseudonymKey) -> String {
        let tag = key.tag(self.system(), self.value());
        format!("{}#{tag}", self.kind().pseudonym_prefix())
    }

    fn checked(&self) -> &Checked {
        match self {
            Self::NoFnr(id) => &id.0,
            Self::NoDNumber(id) => &id.0,
            Self::SePersonnummer(id) => &id.0,
            Self::SeSamordningsnummer(id) => &id.0,
            Self::DkCpr(id) => &id.0,
            Self::FiHetu(id) => &id.0,
        }
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NationalId")
            .field("kind", &self.kind())
            .field("pseudonym", &self.pseudonym())
            .finish()
    }
}

/// The JSON form is the FHIR Identifier's core: `{"system": "...", "value": "..."}`.
impl Serialize for NationalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Identifier<'a> {
            system: &'a str,
            value: &'a str,
        }
        Identifier {
            system: self.system(),
            value: self.value(),
        }
        .serialize(serializer)
    }
}

/// Deserializing checks the number like [`NationalId::parse`]. The visitors are written by
/// hand because the derived ones quote the offending input in their errors ("invalid type:
/// string \"...\""), which would put a number into a log line.
impl<'de> Deserialize<'de> for NationalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdentifierVisitor)
    }
}

struct IdentifierVisitor;

impl<'de> Visitor<'de> for IdentifierVisitor {
    type Value = NationalId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an identifier object with \"system\" and \"value\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NationalId, A::Error> {
        let mut system: Option<String> = None;
        let mut value: Option<String> = None;
        // Keys are read as opaque text too: an unknown key is not quoted back either.
        while let Some(key) = map.next_key::<OpaqueText>()? {
            let (slot, name) = match key.0.as_str() {
                "system" => (&mut system, "system"),
                "value" => (&mut value, "value"),
                _ => return Err(de::Error::custom(UNKNOWN_FIELD)),
            };
            if slot.is_some() {
                return Err(de::Error::duplicate_field(name));
            }
            *slot = Some(map.next_value::<OpaqueText>()?.0);
        }
        let system = system.ok_or_else(|| de::Error::missing_field("system"))?;
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        NationalId::parse(&system, &value).map_err(de::Error::custom)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<NationalId, E> {
        Err(not_an_object())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<NationalId, E> {
        Err(not_an_object())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<NationalId, E> {
        Err(not_an_object())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<NationalId, E> {
        Err(not_an_object())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<NationalId, E> {
        Err(not_an_object())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<NationalId, E> {
        Err(not_an_object())
    }
}

const UNKNOWN_FIELD: &str = "a national identifier has only the fields system and value";

fn not_an_object<E: de::Error>() -> E {
    E::custom("a national identifier must be an object with fields system and value")
}

/// A string field whose type errors never quote what was there instead.
struct OpaqueText(String);

impl<'de> Deserialize<'de> for OpaqueText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OpaqueTextVisitor)
    }
}

struct OpaqueTextVisitor;

impl Visitor<'_> for OpaqueTextVisitor {
    type Value = OpaqueText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<OpaqueText, E> {
        Ok(OpaqueText(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<OpaqueText, E> {
        Ok(OpaqueText(text))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<OpaqueText, E> {
        Err(not_a_string())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<OpaqueText, E> {
        Err(not_a_string())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<OpaqueText, E> {
        Err(not_a_string())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<OpaqueText, E> {
        Err(not_a_string())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<OpaqueText, E> {
        Err(not_a_string())
    }
}

fn not_a_string<E: de::Error>() -> E {
    E::custom("identifier system and value must be strings")
}

/// What a successful parse established; the newtypes wrap it so that accessors never re-parse.
/// Every field follows from `canonical`, so the derived equality and hash are those of the
/// number.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Checked {
    canonical: String,
    birth_date: Date,
    sex: IdSex,
    synthetic: bool,
}

/// Masked like the public types, in case a `Checked` ever reaches a log.
impl fmt::Debug for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Checked(***)")
    }
}

/// The digits of `text` if it is exactly `N` ASCII digits.
fn digits_exact<const N: usize>(
    kind: IdKind,
    text: &str,
    length_reason: &'static str,
) -> Result<[u8; N], IdError> {
    let bytes = text.as_bytes();
    if bytes.len() != N {
        return Err(IdError::malformed(kind, length_reason));
    }
    let mut digits = [0; N];
    for (digit, &byte) in digits.iter_mut().zip(bytes) {
        if !byte.is_ascii_digit() {
            return Err(IdError::malformed(
                kind,
                "contains a character that is not a digit",
            ));
        }
        *digit = byte - b'0';
    }
    Ok(digits)
}

/// The decimal number the digits spell.
fn decimal(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, &digit| acc * 10 + u32::from(digit))
}

/// Writes `value` into `out` as fixed-width decimal digits (leading zeros).
fn write_decimal(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = (value % 10) as u8;
        value /= 10;
    }
}

fn digits_to_string(digits: &[u8]) -> String {
    digits
        .iter()
        .map(|&digit| char::from(b'0' + digit))
        .collect()
}

fn calendar_date(year: i32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// All four countries encode sex in the parity of one digit: odd for men.
fn sex_of(digit: u8) -> IdSex {
    if digit % 2 == 1 {
        IdSex::Male
    } else {
        IdSex::Female
    }
}

/// Builders of valid synthetic numbers, for tests, fixtures and tools.
///
/// Each returns `None` when the inputs cannot form a number of that kind (an individual number
/// outside its range or one that does not encode the date's century, a date outside the years
/// the kind can express, a Norwegian control digit that would be 10). Norway and Finland have
/// rules that mark test numbers, and their builders follow them, so `is_synthetic()` holds for
/// what they return. Sweden and Denmark have no such rule: their builders give numbers that are
/// valid in form but may belong to a real person; see [`synth::se_test_personnummer`] for
/// Swedish numbers that are reserved for tests.
pub mod synth {
    use time::Date;

    use super::{DkCpr, FiHetu, NoDNumber, NoFnr, SePersonnummer, SeSamordningsnummer};

    /// A Skatteetaten synthetic fødselsnummer (month + 80) for `date` with this individual
    /// number (000–999, in the series of the date's century).
    pub fn no_fnr(date: Date, individual: u16) -> Option<NoFnr> {
        super::no::build_fnr(date, individual, true)
    }

    /// A Skatteetaten synthetic D-number (day + 40, month + 80).
    pub fn no_dnumber(date: Date, individual: u16) -> Option<NoDNumber> {
        super::no::build_dnumber(date, individual, true)
    }

    /// A personnummer for `date` (1800–2099) with birth number `serial` (001–999). Valid in
    /// form only: it may be a real person's number.
    pub fn se_personnummer(date: Date, serial: u16) -> Option<SePersonnummer> {
        super::se::build_personnummer(date, serial)
    }

    /// A samordningsnummer (day + 60), valid in form only like [`se_personnummer`].
    pub fn se_samordningsnummer(date: Date, serial: u16) -> Option<SeSamordningsnummer> {
        super::se::build_samordningsnummer(date, serial)
    }

    /// Skatteverket's published test personnummer that this module recognises as synthetic;
    /// fixtures that must never hold a real Swedish number take theirs from here.
    pub fn se_test_personnummer() -> Vec<SePersonnummer> {
        super::se::test_personnummer()
    }

    /// A CPR number for `date` (1858–2057) with the serial `serial` (0000–9999, its first
    /// digit matching the century). Valid in form only: it may be a real person's number.
    pub fn dk_cpr(date: Date, serial: u16) -> Option<DkCpr> {
        super::dk::build(date, serial)
    }

    /// A temporary henkilötunnus (individual number 900–999, which DVV never gives to a
    /// person) with the first century sign of the date's century.
    pub fn fi_hetu(date: Date, individual: u16) -> Option<FiHetu> {
        if !(900..=999).contains(&individual) {
            return None;
        }
        let sign = super::fi::primary_century_sign(date.year())?;
        super::fi::build(date, sign, individual)
    }
}

#[cfg(test)]
mod test_support {
    use proptest::prelude::*;
    use time::Date;

    /// Dates from `first` to `last`, inclusive, uniformly.
    pub fn dates(first: Date, last: Date) -> impl Strategy<Value = Date> {
        (first.to_julian_day()..=last.to_julian_day())
            .prop_map(|day| Date::from_julian_day(day).expect("day within range"))
    }

    /// A position among `positions` and a non-zero amount to move the digit there by.
    pub fn digit_changes(positions: std::ops::Range<usize>) -> impl Strategy<Value = (usize, u8)> {
        (positions, 1u8..=9)
    }

    /// `text` with the digit at `position` moved up by `delta` (mod 10).
    pub fn change_digit(text: &str, position: usize, delta: u8) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let digit = bytes[position] - b'0';
        bytes[position] = b'0' + (digit + delta) % 10;
        String::from_utf8(bytes).expect("ASCII stays ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn sample_ids() -> Vec<NationalId> {
        vec![
            synth::no_fnr(date!(1985 - 06 - 14), 125).map(NationalId::from),
            synth::no_dnumber(date!(1990 - 01 - 31), 456).map(NationalId::from),
            synth::se_test_personnummer()
                .into_iter()
                .next()
                .map(NationalId::from),
            synth::se_samordningsnummer(date!(1970 - 10 - 03), 239).map(NationalId::from),
            synth::dk_cpr(date!(1862 - 10 - 21), 5629).map(NationalId::from),
            synth::fi_hetu(date!(1952 - 10 - 13), 908).map(NationalId::from),
        ]
        .into_iter()
        .map(|id| id.expect("sample builds"))
        .collect()
    }

    mod country {
        use super::*;

        #[test]
        fn codes_names_and_parse() {
            assert_eq!(Country::No.code(), "NO");
            assert_eq!(Country::No.name(), "Norway");
            assert_eq!(Country::Se.name(), "Sweden");
            assert_eq!(Country::Dk.name(), "Denmark");
            assert_eq!(Country::Fi.name(), "Finland");
            for country in Country::ALL {
                assert_eq!(Country::parse(country.code()), Some(country));
                assert_eq!(
                    Country::parse(&country.code().to_lowercase()),
                    Some(country)
                );
            }
            assert_eq!(Country::parse("Se"), Some(Country::Se));
            assert_eq!(Country::parse("IS"), None);
            assert_eq!(Country::parse(""), None);
        }

        #[test]
        fn serde_uses_the_iso_code() {
            assert_eq!(serde_json::to_string(&Country::Dk).unwrap(), "\"DK\"");
            let back: Country = serde_json::from_str("\"FI\"").unwrap();
            assert_eq!(back, Country::Fi);
            assert!(serde_json::from_str::<Country>("\"Fi\"").is_err());
        }
    }

    mod kind {
        use super::*;

        #[test]
        fn systems_round_trip_and_are_distinct() {
            for kind in IdKind::ALL {
                assert_eq!(IdKind::from_system(kind.system()), Some(kind));
            }
            let mut systems: Vec<_> = IdKind::ALL.iter().map(|kind| kind.system()).collect();
            systems.sort_unstable();
            systems.dedup();
            assert_eq!(systems.len(), IdKind::ALL.len());
        }

        #[test]
        fn systems_are_the_registered_oids() {
            assert_eq!(IdKind::NoFnr.system(), "urn:oid:2.16.578.1.12.4.1.4.1");
            assert_eq!(IdKind::NoDNumber.system(), "urn:oid:2.16.578.1.12.4.1.4.2");
            assert_eq!(
                IdKind::SePersonnummer.system(),
                "urn:oid:1.2.752.129.2.1.3.1"
            );
            assert_eq!(
                IdKind::SeSamordningsnummer.system(),
                "urn:oid:1.2.752.129.2.1.3.3"
            );
            assert_eq!(IdKind::DkCpr.system(), "urn:oid:1.2.208.176.1.2");
            assert_eq!(IdKind::FiHetu.system(), "urn:oid:1.2.246.21");
        }

        #[test]
        fn unknown_or_differently_written_systems_are_not_found() {
            assert_eq!(IdKind::from_system(""), None);
            assert_eq!(IdKind::from_system("urn:oid:1.2.246.21 "), None);
            assert_eq!(IdKind::from_system("URN:OID:1.2.246.21"), None);
            assert_eq!(IdKind::from_system("2.16.578.1.12.4.1.4.1"), None);
        }

        #[test]
        fn countries_and_labels() {
            assert_eq!(IdKind::NoDNumber.country(), Country::No);
            assert_eq!(IdKind::SeSamordningsnummer.country(), Country::Se);
            assert_eq!(IdKind::DkCpr.country(), Country::Dk);
            assert_eq!(IdKind::FiHetu.country(), Country::Fi);
            assert_eq!(IdKind::NoFnr.label(), "NO fødselsnummer");
            assert_eq!(IdKind::SePersonnummer.label(), "SE personnummer");
            for kind in IdKind::ALL {
                assert!(kind.label().starts_with(kind.country().code()));
            }
        }
    }

    mod national_id {
        use super::*;

        #[test]
        fn accessors_agree_with_the_newtypes() {
            let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
            let id = NationalId::from(fnr.clone());
            assert_eq!(id.kind(), IdKind::NoFnr);
            assert_eq!(id.system(), IdKind::NoFnr.system());
            assert_eq!(id.value(), fnr.as_str());
            assert_eq!(id.country(), Country::No);
            assert_eq!(id.birth_date(), date!(1985 - 06 - 14));
            assert_eq!(id.sex(), fnr.sex());
            assert!(id.is_synthetic());
        }

        #[test]
        fn parse_dispatches_on_the_system() {
            for id in sample_ids() {
                let again = NationalId::parse(id.system(), id.value()).unwrap();
                assert_eq!(again, id);
                assert_eq!(again.kind(), id.kind());
            }
        }

        #[test]
        fn parse_token_with_each_system() {
            for id in sample_ids() {
                let token = format!("{}|{}", id.system(), id.value());
                assert_eq!(NationalId::parse_token(&token).unwrap(), id);
            }
        }

        #[test]
        fn parse_token_with_an_unknown_system() {
            let err = NationalId::parse_token("urn:oid:1.2.3|12345678901").unwrap_err();
            assert_eq!(err, IdError::UnknownSystem("urn:oid:1.2.3".into()));
            assert!(err.is_unknown_system());
            assert_eq!(err.to_string(), "unknown identifier system 'urn:oid:1.2.3'");
        }

        #[test]
        fn parse_token_with_an_empty_value() {
            let token = format!("{}|", IdKind::NoFnr.system());
            let err = NationalId::parse_token(&token).unwrap_err();
            assert!(matches!(
                err,
                IdError::Malformed {
                    kind: IdKind::NoFnr,
                    ..
                }
            ));
            assert!(!err.is_unknown_system());
        }

        #[test]
        fn parse_token_with_an_empty_system() {
            let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
            let err = NationalId::parse_token(&format!("|{}", fnr.as_str())).unwrap_err();
            assert_eq!(err, IdError::UnknownSystem(String::new()));
        }

        #[test]
        fn parse_token_without_a_pipe_never_guesses_and_never_echoes_the_value() {
            let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
            let err = NationalId::parse_token(fnr.as_str()).unwrap_err();
            assert_eq!(err, IdError::UnknownSystem(String::new()));
            assert!(!err.to_string().contains(fnr.as_str()));
        }

        #[test]
        fn parse_token_splits_at_the_first_pipe() {
            let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
            let token = format!("{}|{}|x", IdKind::NoFnr.system(), fnr.as_str());
            assert!(matches!(
                NationalId::parse_token(&token),
                Err(IdError::Malformed {
                    kind: IdKind::NoFnr,
                    ..
                })
            ));
        }

        #[test]
        fn parse_with_the_wrong_system_is_refused() {
            let hetu = synth::fi_hetu(date!(2017 - 06 - 15), 921).unwrap();
            let err = NationalId::parse(IdKind::DkCpr.system(), hetu.as_str()).unwrap_err();
            assert!(matches!(
                err,
                IdError::Malformed {
                    kind: IdKind::DkCpr,
                    ..
                }
            ));
        }

        #[test]
        fn parse_for_country_picks_the_kind_from_the_number() {
            let d = date!(1990 - 01 - 31);
            let fnr = synth::no_fnr(d, 456).unwrap();
            let dnr = synth::no_dnumber(d, 456).unwrap();
            let pnr = synth::se_personnummer(d, 239).unwrap();
            let snr = synth::se_samordningsnummer(d, 239).unwrap();
            let cases = [
                (Country::No, fnr.as_str(), IdKind::NoFnr),
                (Country::No, dnr.as_str(), IdKind::NoDNumber),
                (Country::Se, pnr.as_str(), IdKind::SePersonnummer),
                (Country::Se, snr.as_str(), IdKind::SeSamordningsnummer),
            ];
            for (country, value, kind) in cases {
                let id = NationalId::parse_for_country(country, value).unwrap();
                assert_eq!(id.kind(), kind);
                assert_eq!(id.birth_date(), d);
            }
        }

        #[test]
        fn parse_for_country_reads_swedish_short_forms() {
            let snr = synth::se_samordningsnummer(date!(1970 - 10 - 03), 239).unwrap();
            assert_eq!(snr.as_str(), "197010632391");
            let id = NationalId::parse_for_country(Country::Se, "701063-2391").unwrap();
            assert_eq!(id, NationalId::from(snr));
            let id = NationalId::parse_for_country(Country::Se, "19701003-2391");
            assert!(matches!(id, Err(IdError::BadCheck { .. })));
        }

        #[test]
        fn parse_for_country_denmark_and_finland() {
            let cpr = synth::dk_cpr(date!(1862 - 10 - 21), 5629).unwrap();
            let id = NationalId::parse_for_country(Country::Dk, "211062-5629").unwrap();
            assert_eq!(id, NationalId::from(cpr));
            let id = NationalId::parse_for_country(Country::Fi, "150617a921l").unwrap();
            assert_eq!(id.kind(), IdKind::FiHetu);
            assert_eq!(id.value(), "150617A921L");
        }

        #[test]
        fn parse_for_country_keeps_the_countries_apart() {
            let hetu = synth::fi_hetu(date!(2017 - 06 - 15), 921).unwrap();
            for country in [Country::No, Country::Se, Country::Dk] {
                assert!(NationalId::parse_for_country(country, hetu.as_str()).is_err());
            }
        }

        #[test]
        fn the_country_not_the_shape_decides() {
            // A 1900s henkilötunnus with a digit check character has the shape of a
            // hyphenated CPR number, so a number alone must never choose the country.
            let hetu = synth::fi_hetu(date!(1952 - 10 - 13), 908).unwrap();
            assert_eq!(hetu.as_str(), "131052-9085");
            let as_cpr = NationalId::parse_for_country(Country::Dk, hetu.as_str()).unwrap();
            assert_eq!(as_cpr.kind(), IdKind::DkCpr);
            assert_ne!(as_cpr, NationalId::from(hetu));
        }

        #[test]
        fn pseudonym_is_stable_short_and_hides_the_value() {
            for id in sample_ids() {
                let pseudonym = id.pseudonym();
                assert_eq!(pseudonym, id.clone().pseudonym());
                let (head, hex) = pseudonym.split_once('#').unwrap();
                assert!(head.starts_with(id.country().code()));
                assert_eq!(hex.len(), 16);
                assert!(
                    hex.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                assert!(!pseudonym.contains(id.value()));
            }
        }

        #[test]
        fn pseudonym_is_keyed_hmac_not_a_plain_hash() {
            use sha2::{Digest, Sha256};
            let id = NationalId::parse_for_country(Country::Dk, "2110625629").unwrap();
            let one = pseudonym::PseudonymKey::new(&[1; pseudonym::KEY_BYTES]);
            let two = pseudonym::PseudonymKey::new(&[2; pseudonym::KEY_BYTES]);
            let under_one = id.pseudonym_under(&one);
            assert!(under_one.starts_with("DK-cpr#"), "{under_one}");
            assert_eq!(
                under_one,
                id.pseudonym_under(&pseudonym::PseudonymKey::new(&[1; pseudonym::KEY_BYTES])),
                "the same key gives the same pseudonym"
            );
            assert_ne!(
                under_one,
                id.pseudonym_under(&two),
                "another key, another one"
            );
            let digest = Sha256::digest(b"urn:oid:1.2.208.176.1.2|2110625629");
            let plain: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            for pseudonym in [under_one, id.pseudonym_under(&two), id.pseudonym()] {
                assert!(
                    !pseudonym.contains(&plain),
                    "not the plain SHA-256: {pseudonym}"
                );
            }
        }

        #[test]
        fn pseudonyms_differ_between_numbers_and_kinds() {
            let ids = sample_ids();
            let mut pseudonyms: Vec<_> = ids.iter().map(NationalId::pseudonym).collect();
            pseudonyms.sort();
            pseudonyms.dedup();
            assert_eq!(pseudonyms.len(), ids.len());
        }

        #[test]
        fn equality_and_hash_follow_the_number() {
            use std::collections::HashSet;
            let ids = sample_ids();
            let set: HashSet<_> = ids.iter().cloned().chain(ids.iter().cloned()).collect();
            assert_eq!(set.len(), ids.len());
        }
    }

    mod serde_form {
        use super::*;

        #[test]
        fn serializes_as_system_and_value() {
            let cpr = synth::dk_cpr(date!(1862 - 10 - 21), 5629).unwrap();
            let json = serde_json::to_value(NationalId::from(cpr)).unwrap();
            assert_eq!(
                json,
                serde_json::json!({"system": "urn:oid:1.2.208.176.1.2", "value": "2110625629"})
            );
        }

        #[test]
        fn round_trips_every_kind() {
            for id in sample_ids() {
                let json = serde_json::to_string(&id).unwrap();
                let back: NationalId = serde_json::from_str(&json).unwrap();
                assert_eq!(back, id);
            }
        }

        #[test]
        fn deserializing_validates_and_keeps_the_number_out_of_the_error() {
            let json = r#"{"system": "urn:oid:1.2.208.176.1.2", "value": "3102625629"}"#;
            let err = serde_json::from_str::<NationalId>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains("DK CPR-nummer has a date part"), "{err}");
            assert!(!err.contains("3102625629"), "{err}");
        }

        #[test]
        fn deserializing_refuses_an_unknown_system() {
            let json = r#"{"system": "urn:oid:9.9", "value": "2110625629"}"#;
            let err = serde_json::from_str::<NationalId>(json)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("unknown identifier system 'urn:oid:9.9'"),
                "{err}"
            );
            assert!(!err.contains("2110625629"), "{err}");
        }

        #[test]
        fn deserializing_wrong_shapes_never_quotes_the_input() {
            let inputs = [
                r#""2110625629""#,
                "2110625629",
                r#"{"system": "urn:oid:1.2.208.176.1.2", "value": 2110625629}"#,
                r#"{"system": "urn:oid:1.2.208.176.1.2", "value": 2110625629.0}"#,
                r#"{"system": 2110625629, "value": "x"}"#,
                r#"{"2110625629": "x"}"#,
            ];
            for input in inputs {
                let err = serde_json::from_str::<NationalId>(input)
                    .unwrap_err()
                    .to_string();
                assert!(!err.contains("2110625629"), "{input}: {err}");
            }
        }

        #[test]
        fn deserializing_refuses_missing_duplicate_and_unknown_fields() {
            let inputs = [
                r#"{"system": "urn:oid:1.2.208.176.1.2"}"#,
                r#"{"value": "2110625629"}"#,
                r#"{"system": "urn:oid:1.2.208.176.1.2", "value": "2110625629", "use": "official"}"#,
                r#"{"system": "urn:oid:1.2.208.176.1.2", "value": "2110625629", "value": "2110625629"}"#,
            ];
            for input in inputs {
                assert!(
                    serde_json::from_str::<NationalId>(input).is_err(),
                    "{input}"
                );
            }
        }

        #[test]
        fn deserializing_works_inside_a_larger_document() {
            #[derive(Deserialize)]
            struct Person {
                national_id: NationalId,
            }
            let json =
                r#"{"national_id": {"value": "2110625629", "system": "urn:oid:1.2.208.176.1.2"}}"#;
            let person: Person = serde_json::from_str(json).unwrap();
            assert_eq!(person.national_id.kind(), IdKind::DkCpr);
        }
    }

    mod secrecy {
        use super::*;

        #[test]
        fn debug_never_shows_the_number() {
            for id in sample_ids() {
                let debug = format!("{id:?}");
                assert!(!debug.contains(id.value()), "{debug}");
                assert!(debug.contains("pseudonym"), "{debug}");
                let pretty = format!("{id:#?}");
                assert!(!pretty.contains(id.value()), "{pretty}");
            }
        }

        #[test]
        fn newtype_debug_is_masked() {
            let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
            assert_eq!(format!("{fnr:?}"), "NoFnr(***)");
            let hetu = synth::fi_hetu(date!(1952 - 10 - 13), 908).unwrap();
            assert_eq!(format!("{hetu:?}"), "FiHetu(***)");
            let snr = synth::se_samordningsnummer(date!(1970 - 10 - 03), 239).unwrap();
            assert_eq!(format!("{snr:?}"), "SeSamordningsnummer(***)");
        }

        #[test]
        fn error_messages_name_the_kind_not_the_value() {
            let cases = [
                (IdKind::NoFnr, "15108695077"),
                (IdKind::NoFnr, "1510869507"),
                (IdKind::NoDNumber, "31029912345"),
                (IdKind::SePersonnummer, "811218-9877"),
                (IdKind::SeSamordningsnummer, "19811318-9876"),
                (IdKind::DkCpr, "3102625629"),
                (IdKind::FiHetu, "131052-308U"),
                (IdKind::FiHetu, "131052G308T"),
            ];
            for (kind, value) in cases {
                let err = NationalId::parse(kind.system(), value).unwrap_err();
                let message = err.to_string();
                assert!(message.contains(kind.label()), "{message}");
                assert!(!message.contains(value), "{message}");
                assert!(!format!("{err:?}").contains(value));
            }
        }

        #[test]
        fn error_messages_read_well() {
            let err = IdError::Malformed {
                kind: IdKind::NoFnr,
                reason: "must be 11 digits",
            };
            assert_eq!(
                err.to_string(),
                "NO fødselsnummer is malformed: must be 11 digits"
            );
            let err = IdError::BadDate {
                kind: IdKind::SePersonnummer,
            };
            assert_eq!(
                err.to_string(),
                "SE personnummer has a date part that is not a valid date"
            );
            let err = IdError::BadCheck {
                kind: IdKind::FiHetu,
            };
            assert_eq!(
                err.to_string(),
                "FI henkilötunnus has a wrong control digit or check character"
            );
        }
    }

    mod synthetic_builders {
        use super::*;

        #[test]
        fn every_kind_reports_synthetic_as_documented() {
            let d = date!(1985 - 06 - 14);
            assert!(synth::no_fnr(d, 125).unwrap().is_synthetic());
            assert!(synth::no_dnumber(d, 125).unwrap().is_synthetic());
            assert!(synth::fi_hetu(d, 950).unwrap().is_synthetic());
            for pnr in synth::se_test_personnummer() {
                assert!(pnr.is_synthetic());
            }
            // No rule marks Swedish or Danish test numbers (see se.rs and dk.rs).
            assert!(!synth::se_samordningsnummer(d, 123).unwrap().is_synthetic());
            assert!(!synth::dk_cpr(d, 1234).unwrap().is_synthetic());
        }

        #[test]
        fn builders_refuse_impossible_inputs() {
            let d = date!(1985 - 06 - 14);
            assert!(synth::no_fnr(d, 1000).is_none());
            assert!(
                synth::no_fnr(d, 600).is_none(),
                "600 is not a 1900s series for 1985"
            );
            assert!(synth::no_fnr(date!(1850 - 01 - 01), 600).is_none());
            assert!(synth::se_personnummer(d, 0).is_none());
            assert!(synth::se_personnummer(d, 1000).is_none());
            assert!(synth::se_personnummer(date!(2100 - 01 - 01), 1).is_none());
            assert!(synth::dk_cpr(d, 10_000).is_none());
            assert!(
                synth::dk_cpr(d, 5000).is_none(),
                "5xxx is not a 1900s series"
            );
            assert!(synth::fi_hetu(d, 899).is_none());
            assert!(synth::fi_hetu(d, 1000).is_none());
            assert!(synth::fi_hetu(date!(1799 - 12 - 31), 900).is_none());
        }

        #[test]
        fn no_builder_returns_none_for_control_digit_ten() {
            // Of the 1000 individual numbers of a day, the ones whose k1 or k2 would be 10 are
            // never issued; the builder must say so rather than produce an invalid number.
            let d = date!(1985 - 06 - 14);
            let built = (0..=499).filter(|&i| synth::no_fnr(d, i).is_some()).count();
            assert!(built > 350 && built < 499, "{built}");
        }
    }
}
