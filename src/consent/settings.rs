//! `[consent]`: who besides the patients reads Consents, and where break-the-glass is
//! national policy.

use serde::Deserialize;

use crate::national_id::Country;

#[derive(Debug, Clone, Deserialize)]
pub struct ConsentSettings {
    /// Client ids (the `client_id` or `azp` of system tokens) of health data access bodies,
    /// which may search who opted out of secondary use (R29).
    pub health_data_access_bodies: Vec<String>,
    /// The countries whose national policy lets a professional override a patient's
    /// restrictions in an emergency (R26). Elsewhere an emergency purpose changes nothing.
    pub break_the_glass: BreakTheGlass,
    /// The youngest age at which a citizen uses the portal for themself where national rules
    /// leave it to the operator (R44).
    #[serde(default)]
    pub own_use_minimum_age: OwnUseAges,
}

/// Own-use minimum ages that are a setting: Denmark's and Finland's (R44). Norway's (16,
/// Helsenorge) and Sweden's (16 for the own record) are fixed by the portals' rules, so the
/// setting has no place for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnUseAges {
    #[serde(rename = "DK", default = "default_dk")]
    pub dk: u8,
    #[serde(rename = "FI", default = "default_fi")]
    pub fi: u8,
}

fn default_dk() -> u8 {
    15
}

fn default_fi() -> u8 {
    10
}

impl Default for OwnUseAges {
    fn default() -> OwnUseAges {
        OwnUseAges {
            dk: default_dk(),
            fi: default_fi(),
        }
    }
}

impl OwnUseAges {
    /// What is wrong with these ages, if anything: a child's own use is an age of childhood.
    pub fn problem(&self) -> Option<String> {
        [("DK", self.dk), ("FI", self.fi)]
            .into_iter()
            .find(|(_, age)| *age > 18)
            .map(|(country, age)| {
                format!("consent.own_use_minimum_age.{country} = {age}: at most 18")
            })
    }
}

/// The countries where break-the-glass is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct BreakTheGlass(Vec<Country>);

impl BreakTheGlass {
    pub fn new(countries: Vec<Country>) -> BreakTheGlass {
        BreakTheGlass(countries)
    }

    /// Whether a patient of `country` may be reached by break-the-glass.
    pub fn allows(&self, country: Country) -> bool {
        self.0.contains(&country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_countries_allow_break_the_glass() {
        let settings: BreakTheGlass = serde_json::from_str(r#"["NO", "FI"]"#).unwrap();
        assert!(settings.allows(Country::No));
        assert!(settings.allows(Country::Fi));
        assert!(!settings.allows(Country::Se));
        assert!(!settings.allows(Country::Dk));
        assert!(!BreakTheGlass::default().allows(Country::No));
    }

    #[test]
    fn own_use_ages_are_set_for_denmark_and_finland_only() {
        let ages: OwnUseAges = serde_json::from_str(r#"{"DK": 13}"#).unwrap();
        assert_eq!((ages.dk, ages.fi), (13, 10));
        assert!(serde_json::from_str::<OwnUseAges>(r#"{"NO": 14}"#).is_err());
        assert!(
            serde_json::from_str::<OwnUseAges>(r#"{"FI": 19}"#)
                .unwrap()
                .problem()
                .is_some()
        );
        assert_eq!(OwnUseAges::default().problem(), None);
    }
}
