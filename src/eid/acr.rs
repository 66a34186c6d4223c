//! Levels of assurance (R1): a login counts only if its `acr` is at least the configured
//! minimum in the provider's own order of levels. An `acr` the provider did not declare is
//! no level at all.

/// Whether `acr` is at or above `minimum` in `levels` (lowest first).
pub fn sufficient(levels: &[String], minimum: &str, acr: &str) -> bool {
    let rank = |value: &str| levels.iter().position(|level| level == value);
    match (rank(acr), rank(minimum)) {
        (Some(given), Some(needed)) => given >= needed,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::settings::default_acr_levels;

    #[test]
    fn eidas_levels_are_ordered() {
        let levels = default_acr_levels();
        let level = |l: &str| format!("http://eidas.europa.eu/LoA/{l}");
        let min = level("substantial");
        assert!(!sufficient(&levels, &min, &level("low")));
        assert!(sufficient(&levels, &min, &level("substantial")));
        assert!(sufficient(&levels, &min, &level("high")));
        assert!(!sufficient(&levels, &min, ""));
        assert!(!sufficient(&levels, &min, "Level4"));
        assert!(!sufficient(&levels, "unknown", &level("high")));
        assert!(sufficient(&levels, &level("high"), &level("high")));
        assert!(!sufficient(&levels, &level("high"), &level("substantial")));
    }
}
