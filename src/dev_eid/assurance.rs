//! Levels of assurance (eIDAS), as the login page offers them and the `acr` claim names them.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Low,
    Substantial,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Substantial, Level::High];

    /// The form value: `low`, `substantial`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Substantial => "substantial",
            Level::High => "high",
        }
    }

    /// The `acr` value, e.g. `http://eidas.europa.eu/LoA/substantial`.
    pub fn acr(self) -> &'static str {
        match self {
            Level::Low => "http://eidas.europa.eu/LoA/low",
            Level::Substantial => "http://eidas.europa.eu/LoA/substantial",
            Level::High => "http://eidas.europa.eu/LoA/high",
        }
    }

    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The level a request's `acr_values` asks for: the highest one named that is known
    /// (values this provider does not know are ignored, as OIDC Core allows).
    pub fn requested(acr_values: Option<&str>) -> Option<Level> {
        acr_values?
            .split_ascii_whitespace()
            .filter_map(|v| Level::ALL.into_iter().find(|l| l.acr() == v))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_known_requested_level_wins() {
        assert_eq!(Level::requested(None), None);
        assert_eq!(Level::requested(Some("urn:other")), None);
        let both = "http://eidas.europa.eu/LoA/high http://eidas.europa.eu/LoA/low";
        assert_eq!(Level::requested(Some(both)), Some(Level::High));
        assert_eq!(Level::from_name("substantial"), Some(Level::Substantial));
        assert_eq!(Level::from_name("HIGH"), None);
    }
}
