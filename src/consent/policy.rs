//! The access decision for one caller and one patient (DESIGN §5), on what the national
//! portals know: who acts (the person, a guardian, the holder of a power of attorney, a
//! professional, a system), the country's rules for children, the Helsenorge consent levels,
//! the professionals a citizen has blocked, and break-the-glass.
//!
//! `decide` is a pure function of its inputs (the date included), so the whole table of
//! rules is tested without a server. Explicit `Consent` provisions stored by the citizen come
//! on top of this with the consent store.

use time::Date;

use crate::consent::settings::OwnUseAges;
use crate::national_id::Country;
use crate::portal::model::{Person, PortalConsentLevel, PowerOfAttorney, ServiceArea};

/// Kinds of data, as the portals' service areas divide them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The Patient resource itself.
    Demographics,
    Medications,
    Vaccinations,
    /// Allergies, conditions: the patient record ("pasientjournal", "journal").
    PatientRecord,
    TestResults,
    Appointments,
    Dialogue,
    AccessLog,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Demographics,
        Category::Medications,
        Category::Vaccinations,
        Category::PatientRecord,
        Category::TestResults,
        Category::Appointments,
        Category::Dialogue,
        Category::AccessLog,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Categories(u8);

impl Categories {
    pub const NONE: Categories = Categories(0);
    pub const ALL: Categories = Categories(0xff);

    pub fn of(list: &[Category]) -> Categories {
        Categories(list.iter().fold(0, |bits, c| bits | c.bit()))
    }

    pub fn contains(self, category: Category) -> bool {
        self.0 & category.bit() != 0
    }

    pub fn without(self, list: &[Category]) -> Categories {
        Categories(self.0 & !Categories::of(list).0)
    }

    pub fn and(self, other: Categories) -> Categories {
        Categories(self.0 & other.0)
    }
}

/// Who acts, as far as the rules are concerned.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The person themself.
    Subject,
    /// A parent or guardian named in the child's register entry.
    Guardian(&'a Person),
    /// The holder of a power of attorney the patient gave.
    Attorney {
        holder: &'a Person,
        power: &'a PowerOfAttorney,
    },
    /// A health professional; `id` is the national professional id when the token names one.
    Professional {
        id: Option<&'a str>,
        emergency: bool,
    },
    /// A system client (backend service).
    System,
}

/// Each nation's rules for minors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryRules {
    /// Youngest age at which a citizen uses the portal for themself (R44).
    pub own_use_minimum_age: u8,
    /// Guardians have full access below this age.
    pub guardian_full_below: u8,
    /// From `guardian_full_below` up to this age, guardians have limited access (what is
    /// limited is the country's rule); from this age on, none.
    pub guardian_limited_below: u8,
}

impl CountryRules {
    pub fn of(country: Country) -> CountryRules {
        match country {
            // Helsenorge: own use from 16; parents full under 12, limited 12-15, none from 16.
            Country::No => CountryRules {
                own_use_minimum_age: 16,
                guardian_full_below: 12,
                guardian_limited_below: 16,
            },
            // 1177: own record from 16; guardians until 13; 13-15 neither.
            Country::Se => CountryRules {
                own_use_minimum_age: 16,
                guardian_full_below: 13,
                guardian_limited_below: 13,
            },
            // sundhed.dk: parents of children under 15 see medicines, vaccinations and the access log.
            Country::Dk => CountryRules {
                own_use_minimum_age: 15,
                guardian_full_below: 0,
                guardian_limited_below: 15,
            },
            // MyKanta: guardians under 10; from 10 until 18 per-visit restrictions apply.
            Country::Fi => CountryRules {
                own_use_minimum_age: 10,
                guardian_full_below: 10,
                guardian_limited_below: 18,
            },
        }
    }
}

impl CountryRules {
    /// The country's rules with the configurable own-use ages applied.
    pub fn under(country: Country, ages: &OwnUseAges) -> CountryRules {
        let mut rules = CountryRules::of(country);
        match country {
            Country::Dk => rules.own_use_minimum_age = ages.dk,
            Country::Fi => rules.own_use_minimum_age = ages.fi,
            Country::No | Country::Se => {}
        }
        rules
    }
}

/// What the caller may see of the patient's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// These categories; everything else is left out silently (R25).
    Permit {
        categories: Categories,
        /// Hide records the patient locked or marked per visit (NO "låst resept", SE
        /// "spärrad", FI per-visit restriction), except from the professional who wrote them.
        hide_locked: bool,
        /// Break-the-glass was used: restrictions were overridden (to be audited, R26).
        emergency_override: bool,
        /// For the holder of a power of attorney, what the power covers (R32): asking for
        /// anything else is refused (403), not left out, since the mandate is the holder's
        /// own and hides nothing of the patient's.
        mandate: Option<Categories>,
    },
    /// No access at all (403).
    Deny(DenyReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// Helsenorge: the user withdrew their consent to use the portal.
    PortalConsentWithdrawn,
    /// The citizen is younger than the country's minimum age for own use (R44).
    BelowOwnUseAge,
    /// The child is too old for guardians' access, or the country gives guardians none.
    GuardianAccessEnded,
    /// A protected address on the child's or the guardian's side ends proxy access (NO).
    ProtectedAddress,
    /// The power of attorney is not in force today.
    PowerOfAttorneyNotInForce,
    /// The caller has no relation to the patient that allows acting for them.
    NoRelation,
}

impl DenyReason {
    pub fn message(self) -> &'static str {
        match self {
            DenyReason::PortalConsentWithdrawn => {
                "the consent to use the portal's services has been withdrawn"
            }
            DenyReason::BelowOwnUseAge => {
                "the citizen is below the minimum age for using the service"
            }
            DenyReason::GuardianAccessEnded => "guardians have no access to this person's data",
            DenyReason::ProtectedAddress => {
                "proxy access is not available where an address is protected"
            }
            DenyReason::PowerOfAttorneyNotInForce => "the power of attorney is not in force",
            DenyReason::NoRelation => "the caller may not act for this patient",
        }
    }
}

/// Full years between `birth` and `today`: a child's birthday changes access that day.
pub fn age(birth: Date, today: Date) -> u8 {
    let mut years = today.year() - birth.year();
    if (u8::from(today.month()), today.day()) < (u8::from(birth.month()), birth.day()) {
        years -= 1;
    }
    years.clamp(0, 255) as u8
}

/// The decision under the default own-use ages (R44).
pub fn decide(patient: &Person, actor: Actor<'_>, today: Date) -> Decision {
    decide_with(&OwnUseAges::default(), patient, actor, today)
}

/// The decision, with Denmark's and Finland's own-use ages as configured.
pub fn decide_with(ages: &OwnUseAges, patient: &Person, actor: Actor<'_>, today: Date) -> Decision {
    let country = patient.national_id.country();
    let rules = CountryRules::under(country, ages);
    let permit = |categories: Categories, hide_locked: bool| Decision::Permit {
        categories,
        hide_locked,
        emergency_override: false,
        mandate: None,
    };
    match actor {
        Actor::Subject => {
            if age(patient.birth_date, today) < rules.own_use_minimum_age {
                return Decision::Deny(DenyReason::BelowOwnUseAge);
            }
            match portal_level(country, patient) {
                Err(reason) => Decision::Deny(reason),
                Ok(levels) => permit(levels, false),
            }
        }
        Actor::Guardian(guardian) => {
            let levels = match portal_level(country, guardian) {
                Err(reason) => return Decision::Deny(reason),
                Ok(levels) => levels,
            };
            if country == Country::No
                && (patient.protection.is_some() || guardian.protection.is_some())
            {
                return Decision::Deny(DenyReason::ProtectedAddress);
            }
            let child_age = age(patient.birth_date, today);
            if child_age < rules.guardian_full_below {
                return permit(levels, false);
            }
            if child_age >= rules.guardian_limited_below {
                return Decision::Deny(DenyReason::GuardianAccessEnded);
            }
            match country {
                // Helsenorge's limited access for 12-15: no journal, no dialogue with the
                // child's clinicians, and no test results, which come from the journal.
                Country::No => permit(
                    levels.without(&[
                        Category::PatientRecord,
                        Category::Dialogue,
                        Category::TestResults,
                    ]),
                    false,
                ),
                Country::Dk => permit(
                    levels.and(Categories::of(&[
                        Category::Demographics,
                        Category::Medications,
                        Category::Vaccinations,
                        Category::AccessLog,
                    ])),
                    false,
                ),
                Country::Fi => permit(levels, true),
                Country::Se => Decision::Deny(DenyReason::GuardianAccessEnded),
            }
        }
        Actor::Attorney { holder, power } => {
            let in_force =
                power.valid_from <= today && power.valid_to.is_none_or(|end| today <= end);
            if !in_force {
                return Decision::Deny(DenyReason::PowerOfAttorneyNotInForce);
            }
            // R30: a grantor who withdrew their consent to use the portal has stopped all app
            // access to their data, through their attorneys too. (The holder's own level
            // bounds what the holder's apps get, below.)
            if let Err(reason) = portal_level(country, patient) {
                return Decision::Deny(reason);
            }
            let levels = match portal_level(country, holder) {
                Err(reason) => return Decision::Deny(reason),
                Ok(levels) => levels,
            };
            let mut granted = vec![Category::Demographics];
            granted.extend(power.service_areas.iter().map(|area| area_category(*area)));
            let mandate = Categories::of(&granted);
            Decision::Permit {
                categories: levels.and(mandate),
                hide_locked: false,
                emergency_override: false,
                mandate: Some(mandate),
            }
        }
        Actor::Professional { id, emergency } => {
            // The caller sets `emergency` only where national policy allows break-the-glass
            // and the token's issuer may assert it (`[consent] break_the_glass`).
            if emergency {
                return Decision::Permit {
                    categories: Categories::ALL,
                    hide_locked: false,
                    emergency_override: true,
                    mandate: None,
                };
            }
            let blocked = id.is_some_and(|id| {
                patient
                    .choices
                    .blocked_professionals
                    .iter()
                    .any(|b| b == id)
            });
            // A blocked professional sees nothing, and is not told so (R25).
            permit(
                if blocked {
                    Categories::NONE
                } else {
                    Categories::ALL
                },
                true,
            )
        }
        Actor::System => permit(Categories::ALL, true),
    }
}

/// Helsenorge's consent levels (R30) bound what the citizen's apps get in Norway; elsewhere
/// the portals have no such levels.
fn portal_level(country: Country, user: &Person) -> Result<Categories, DenyReason> {
    if country != Country::No {
        return Ok(Categories::ALL);
    }
    let basic = Categories::ALL.without(&[
        Category::Medications,
        Category::Vaccinations,
        Category::Appointments,
        Category::TestResults,
        Category::PatientRecord,
    ]);
    match user.portal_consent {
        Some(PortalConsentLevel::Withdrawn) => Err(DenyReason::PortalConsentWithdrawn),
        // A Norwegian without a recorded level (a child) has the most limited one.
        Some(PortalConsentLevel::Basic) | None => Ok(basic),
        Some(PortalConsentLevel::BasicPlus) => {
            Ok(Categories(basic.0 | Category::PatientRecord.bit()))
        }
        Some(PortalConsentLevel::Full) => Ok(Categories::ALL),
    }
}

fn area_category(area: ServiceArea) -> Category {
    match area {
        ServiceArea::Prescriptions => Category::Medications,
        ServiceArea::Vaccinations => Category::Vaccinations,
        ServiceArea::PatientRecord => Category::PatientRecord,
        ServiceArea::TestResults => Category::TestResults,
        ServiceArea::Appointments => Category::Appointments,
        ServiceArea::Dialogue => Category::Dialogue,
        ServiceArea::AccessLog => Category::AccessLog,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::national_id::{NationalId, synth};
    use crate::portal::model::{PortalChoices, Protection, Sex};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    /// A valid synthetic national identifier of `country` for a birth date.
    fn national_id(country: Country, birth: Date) -> NationalId {
        let modern = birth.year() >= 2000;
        let candidates: Vec<u16> = match (country, modern) {
            (Country::No, true) => (500..999).collect(),
            (Country::No, false) => (100..499).collect(),
            (Country::Dk, true) => (4000..4999).collect(),
            (Country::Dk, false) => (1000..3999).collect(),
            (Country::Se, _) => (980..999).collect(),
            (Country::Fi, _) => (900..999).collect(),
        };
        candidates
            .into_iter()
            .find_map(|n| match country {
                Country::No => synth::no_fnr(birth, n).map(NationalId::from),
                Country::Se => synth::se_personnummer(birth, n).map(NationalId::from),
                Country::Dk => synth::dk_cpr(birth, n).map(NationalId::from),
                Country::Fi => synth::fi_hetu(birth, n).map(NationalId::from),
            })
            .expect("a valid number exists")
    }

    fn person(country: Country, birth: Date) -> Person {
        Person {
            key: format!("p-{}", birth),
            national_id: national_id(country, birth),
            family: "Test".into(),
            given: vec!["Person".into()],
            sex: Sex::Unknown,
            birth_date: birth,
            address: None,
            telecom: Vec::new(),
            protection: None,
            language: None,
            portal_consent: (country == Country::No).then_some(PortalConsentLevel::Full),
            guardians: Vec::new(),
            choices: PortalChoices::default(),
            updated: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// Born `years` years before TODAY, shifted by `days` (negative: the birthday is still to come).
    fn born(years: i32, days: i64) -> Date {
        TODAY.replace_year(TODAY.year() - years).unwrap() + time::Duration::days(-days)
    }

    fn parent(country: Country) -> Person {
        person(country, date!(1985 - 04 - 02))
    }

    fn categories(decision: Decision) -> Option<Categories> {
        match decision {
            Decision::Permit { categories, .. } => Some(categories),
            Decision::Deny(_) => None,
        }
    }

    const FULL: &[Category] = &Category::ALL;

    /// Country, the child's age in years, days after the birthday, and the expected answer.
    type GuardianCase<'a> = (Country, i32, i64, Result<&'a [Category], DenyReason>);

    #[test]
    fn guardians_by_country_and_age_including_the_birthday() {
        use Category::*;
        let no_limited: Vec<Category> = Category::ALL
            .iter()
            .copied()
            .filter(|c| !matches!(c, PatientRecord | Dialogue | TestResults))
            .collect();
        let dk_limited = [Demographics, Medications, Vaccinations, AccessLog];
        // (country, age in years, days after the birthday (-1: the day before), expected)
        let table: Vec<GuardianCase> = vec![
            (Country::No, 5, 0, Ok(FULL)),
            (Country::No, 12, -1, Ok(FULL)),
            (Country::No, 12, 0, Ok(&no_limited)),
            (Country::No, 15, 200, Ok(&no_limited)),
            (Country::No, 16, -1, Ok(&no_limited)),
            (Country::No, 16, 0, Err(DenyReason::GuardianAccessEnded)),
            (Country::Se, 9, 0, Ok(FULL)),
            (Country::Se, 13, -1, Ok(FULL)),
            (Country::Se, 13, 0, Err(DenyReason::GuardianAccessEnded)),
            (Country::Se, 17, 0, Err(DenyReason::GuardianAccessEnded)),
            (Country::Dk, 3, 0, Ok(&dk_limited)),
            (Country::Dk, 14, 300, Ok(&dk_limited)),
            (Country::Dk, 15, 0, Err(DenyReason::GuardianAccessEnded)),
            (Country::Fi, 9, 300, Ok(FULL)),
            (Country::Fi, 10, 0, Ok(FULL)),
            (Country::Fi, 17, 0, Ok(FULL)),
            (Country::Fi, 18, 0, Err(DenyReason::GuardianAccessEnded)),
        ];
        for (country, years, days, expected) in table {
            let child = person(country, born(years, days));
            let guardian = parent(country);
            let decision = decide(&child, Actor::Guardian(&guardian), TODAY);
            match expected {
                Ok(list) => {
                    assert_eq!(
                        categories(decision),
                        Some(Categories::of(list)),
                        "{country:?} {years}y{days:+}d"
                    );
                    let hide = matches!(
                        decision,
                        Decision::Permit {
                            hide_locked: true,
                            ..
                        }
                    );
                    assert_eq!(
                        hide,
                        country == Country::Fi && years >= 10,
                        "{country:?} {years}: per-visit restrictions"
                    );
                }
                Err(reason) => assert_eq!(
                    decision,
                    Decision::Deny(reason),
                    "{country:?} {years}y{days:+}d"
                ),
            }
        }
    }

    #[test]
    fn a_protected_address_on_either_side_ends_norwegian_proxy_access() {
        let mut child = person(Country::No, born(5, 0));
        let mut guardian = parent(Country::No);
        assert!(categories(decide(&child, Actor::Guardian(&guardian), TODAY)).is_some());
        child.protection = Some(Protection::NoStrictlyConfidential);
        assert_eq!(
            decide(&child, Actor::Guardian(&guardian), TODAY),
            Decision::Deny(DenyReason::ProtectedAddress)
        );
        child.protection = None;
        guardian.protection = Some(Protection::NoConfidential);
        assert_eq!(
            decide(&child, Actor::Guardian(&guardian), TODAY),
            Decision::Deny(DenyReason::ProtectedAddress)
        );
        // Elsewhere the protection hides contact details but does not end guardianship.
        let mut swedish = person(Country::Se, born(5, 0));
        swedish.protection = Some(Protection::SeProtectedRegistration);
        assert!(
            categories(decide(
                &swedish,
                Actor::Guardian(&parent(Country::Se)),
                TODAY
            ))
            .is_some()
        );
    }

    #[test]
    fn own_use_has_a_minimum_age_per_country() {
        for (country, minimum) in [
            (Country::No, 16),
            (Country::Se, 16),
            (Country::Dk, 15),
            (Country::Fi, 10),
        ] {
            let too_young = person(country, born(minimum, -1));
            assert_eq!(
                decide(&too_young, Actor::Subject, TODAY),
                Decision::Deny(DenyReason::BelowOwnUseAge),
                "{country:?}"
            );
            let old_enough = person(country, born(minimum, 0));
            assert_eq!(
                categories(decide(&old_enough, Actor::Subject, TODAY)),
                Some(Categories::ALL),
                "{country:?}"
            );
        }
    }

    #[test]
    fn helsenorge_levels_bound_the_citizen_s_apps() {
        use Category::*;
        let mut citizen = person(Country::No, date!(1980 - 01 - 15));
        let expectations = [
            (Some(PortalConsentLevel::Full), Some(Categories::ALL)),
            (
                Some(PortalConsentLevel::BasicPlus),
                Some(Categories::of(&[
                    Demographics,
                    PatientRecord,
                    Dialogue,
                    AccessLog,
                ])),
            ),
            (
                Some(PortalConsentLevel::Basic),
                Some(Categories::of(&[Demographics, Dialogue, AccessLog])),
            ),
            (
                None,
                Some(Categories::of(&[Demographics, Dialogue, AccessLog])),
            ),
            (Some(PortalConsentLevel::Withdrawn), None),
        ];
        for (level, expected) in expectations {
            citizen.portal_consent = level;
            assert_eq!(
                categories(decide(&citizen, Actor::Subject, TODAY)),
                expected,
                "{level:?}"
            );
        }
        // The guardian's own level bounds what they see of their child.
        let child = person(Country::No, born(5, 0));
        let mut guardian = parent(Country::No);
        guardian.portal_consent = Some(PortalConsentLevel::Withdrawn);
        assert_eq!(
            decide(&child, Actor::Guardian(&guardian), TODAY),
            Decision::Deny(DenyReason::PortalConsentWithdrawn)
        );
        // Outside Norway there are no levels.
        let mut swede = person(Country::Se, date!(1980 - 01 - 15));
        swede.portal_consent = Some(PortalConsentLevel::Withdrawn);
        assert_eq!(
            categories(decide(&swede, Actor::Subject, TODAY)),
            Some(Categories::ALL)
        );
    }

    #[test]
    fn a_power_of_attorney_gives_its_areas_while_in_force() {
        use Category::*;
        let grantor = person(Country::Se, date!(1938 - 01 - 29));
        let holder = person(Country::Se, date!(1965 - 06 - 03));
        let mut power = PowerOfAttorney {
            key: "poa-1".into(),
            grantor: grantor.key.clone(),
            holder: holder.key.clone(),
            service_areas: vec![ServiceArea::Prescriptions, ServiceArea::Vaccinations],
            valid_from: date!(2025 - 01 - 01),
            valid_to: Some(TODAY),
        };
        let actor = |p: &PowerOfAttorney| {
            decide(
                &grantor,
                Actor::Attorney {
                    holder: &holder,
                    power: p,
                },
                TODAY,
            )
        };
        assert_eq!(
            categories(actor(&power)),
            Some(Categories::of(&[Demographics, Medications, Vaccinations]))
        );
        power.valid_to = Some(TODAY.previous_day().unwrap());
        assert_eq!(
            actor(&power),
            Decision::Deny(DenyReason::PowerOfAttorneyNotInForce)
        );
        power.valid_to = None;
        power.valid_from = TODAY.next_day().unwrap();
        assert_eq!(
            actor(&power),
            Decision::Deny(DenyReason::PowerOfAttorneyNotInForce)
        );
    }

    #[test]
    fn a_norwegian_grantor_who_withdrew_portal_consent_stops_their_attorneys_too() {
        let mut grantor = person(Country::No, date!(1940 - 02 - 11));
        let mut holder = person(Country::No, date!(1968 - 07 - 21));
        holder.portal_consent = Some(PortalConsentLevel::Full);
        let power = PowerOfAttorney {
            key: "poa-1".into(),
            grantor: grantor.key.clone(),
            holder: holder.key.clone(),
            service_areas: vec![ServiceArea::Prescriptions],
            valid_from: date!(2025 - 01 - 01),
            valid_to: None,
        };
        let attorney = |grantor: &Person| {
            decide(
                grantor,
                Actor::Attorney {
                    holder: &holder,
                    power: &power,
                },
                TODAY,
            )
        };
        grantor.portal_consent = Some(PortalConsentLevel::Full);
        assert!(categories(attorney(&grantor)).is_some());
        grantor.portal_consent = Some(PortalConsentLevel::Withdrawn);
        assert_eq!(
            attorney(&grantor),
            Decision::Deny(DenyReason::PortalConsentWithdrawn)
        );
    }

    #[test]
    fn blocked_professionals_see_nothing_unless_the_glass_is_broken() {
        let mut patient = person(Country::No, date!(1983 - 05 - 29));
        patient.choices.blocked_professionals = vec!["9171348".into()];
        let blocked = decide(
            &patient,
            Actor::Professional {
                id: Some("9171348"),
                emergency: false,
            },
            TODAY,
        );
        assert_eq!(categories(blocked), Some(Categories::NONE));
        let other = decide(
            &patient,
            Actor::Professional {
                id: Some("1234567"),
                emergency: false,
            },
            TODAY,
        );
        assert_eq!(
            other,
            Decision::Permit {
                categories: Categories::ALL,
                hide_locked: true,
                emergency_override: false,
                mandate: None,
            }
        );
        let emergency = decide(
            &patient,
            Actor::Professional {
                id: Some("9171348"),
                emergency: true,
            },
            TODAY,
        );
        assert_eq!(
            emergency,
            Decision::Permit {
                categories: Categories::ALL,
                hide_locked: false,
                emergency_override: true,
                mandate: None,
            }
        );
        assert_eq!(
            categories(decide(&patient, Actor::System, TODAY)),
            Some(Categories::ALL)
        );
    }

    #[test]
    fn ages_count_full_years_to_the_day() {
        assert_eq!(age(date!(2014 - 11 - 23), TODAY), 12);
        assert_eq!(age(date!(2014 - 11 - 24), TODAY), 11);
        assert_eq!(age(date!(2012 - 02 - 29), date!(2026 - 02 - 28)), 13);
        assert_eq!(age(date!(2012 - 02 - 29), date!(2026 - 03 - 01)), 14);
    }
}
