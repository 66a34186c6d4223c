//! People and records of the embedded data set that the tests use
//! (see `src/portal/embedded/README.md` for every scenario).

/// Kristin Haugen, NO, 38: mother of three.
pub const NO_ADULT: &str = "no.p-no-001";
pub const NO_ADULT_FNR: &str = "12848801265";
/// Arne Johansen, NO, 85: 22 prescriptions in all statuses.
pub const NO_POLYPHARMACY: &str = "no.p-no-008";
pub const NO_POLYPHARMACY_FNR: &str = "17854110128";
/// Camilla Andersen, NO, 35: confidential address (code 7).
pub const NO_PROTECTED: &str = "no.p-no-007";
pub const NO_PROTECTED_FNR: &str = "30919021051";
/// Piotr Kowalski, NO: D-number.
pub const NO_D_NUMBER: &str = "no.p-no-010";
/// Henrik Solberg, NO: no records at all.
pub const NO_EMPTY: &str = "no.p-no-011";
/// Silje Ødegård, NO.
pub const NO_ODEGARD: &str = "no.p-no-014";
/// A valid synthetic fødselsnummer that belongs to nobody in the data set.
pub const NO_UNKNOWN_FNR: &str = "01819010001";

/// Anna Lindberg, SE, 42.
pub const SE_ADULT: &str = "se.p-se-001";
pub const SE_ADULT_PRESCRIPTION: &str = "se.p-se-001.rx-se-0001";
pub const SE_ADULT_IDENTIFIER: (&str, &str) = ("urn:oid:1.2.752.129.2.1.3.1", "198403149803");
/// Juha Mäkinen, SE: samordningsnummer.
pub const SE_COORDINATION: &str = "se.p-se-008";
pub const SE_COORDINATION_NUMBER: &str = "199010729813";
/// Linnea Ek, SE: skyddad folkbokföring.
pub const SE_PROTECTED: &str = "se.p-se-007";

/// Mette Kjær Nielsen, DK, 41.
pub const DK_ADULT: &str = "dk.p-dk-001";

/// Laura Maria Korhonen, FI, 39.
pub const FI_ADULT: &str = "fi.p-fi-001";
/// FI person with records released on 2027-03-01 (future) and 2026-06-15 (past).
pub const FI_RELEASE_DELAY: &str = "fi.p-fi-007";
/// Emilia Laine, FI: turvakielto.
pub const FI_PROTECTED: &str = "fi.p-fi-005";

/// One child per country with several vaccinations, all with national vaccine codes.
pub const VACCINATED_CHILDREN: [&str; 4] =
    ["no.p-no-003", "se.p-se-003", "dk.p-dk-003", "fi.p-fi-003"];

/// One adult per country, with their identifier system and value.
pub const ADULTS: [(&str, &str, &str); 4] = [
    (NO_ADULT, "urn:oid:2.16.578.1.12.4.1.4.1", NO_ADULT_FNR),
    (SE_ADULT, "urn:oid:1.2.752.129.2.1.3.1", "198403149803"),
    (DK_ADULT, "urn:oid:1.2.208.176.1.2", "1902850204"),
    (FI_ADULT, "urn:oid:1.2.246.21", "060587-900C"),
];
