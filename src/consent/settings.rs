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
}
