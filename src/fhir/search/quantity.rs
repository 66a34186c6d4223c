//! FHIR quantity search values (`[prefix]number|system|code`) and their R4 matching.
//!
//! A search number is a range, like a date: `5.4` stands for every value that rounds to it,
//! `[5.35, 5.45)`, because its precision is one decimal (R4 §3.1.1.4.1, "number"). `eq` asks
//! for a value inside that range, `ne` outside it, `gt`/`lt`/`ge`/`le` compare with the
//! number itself, `sa`/`eb` (starts after, ends before) are the same as `gt`/`lt` for a value
//! that is a point, and `ap` widens the range by 10 % of the number. The resource's value is
//! taken as the point the laboratory reported.

use crate::fhir::search::date::DatePrefix;

/// A parsed quantity search value.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantitySearch {
    pub prefix: DatePrefix,
    pub number: f64,
    /// Half the unit of the last written digit: `5.4` gives 0.05, `100` gives 0.5, `1e2` 50.
    pub half_step: f64,
    /// `None` when the search names no system (`5.4` or `5.4||mg`).
    pub system: Option<String>,
    /// The unit: matched against the code, and against the unit text when no system is
    /// named. `None` for any unit.
    pub code: Option<String>,
}

impl QuantitySearch {
    pub fn parse(raw: &str) -> Result<QuantitySearch, String> {
        let error = || {
            format!(
                "'{raw}' is not a quantity search value ([prefix]number, number|system|code or number||code)"
            )
        };
        let mut pieces = raw.splitn(3, '|');
        let number_text = pieces.next().ok_or_else(error)?;
        let system = pieces.next();
        let code = pieces.next();
        // `5.4|mg` is neither form R4 defines.
        if system.is_some() && code.is_none() {
            return Err(error());
        }
        let (prefix, digits) = DatePrefix::split(number_text);
        let (number, half_step) = parse_number(digits).ok_or_else(error)?;
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(QuantitySearch {
            prefix,
            number,
            half_step,
            system: non_empty(system),
            code: non_empty(code),
        })
    }

    /// Does a resource's quantity match?
    pub fn matches(
        &self,
        value: f64,
        system: Option<&str>,
        code: Option<&str>,
        unit: Option<&str>,
    ) -> bool {
        let unit_ok = match (&self.system, &self.code) {
            (_, None) => true,
            (Some(wanted_system), Some(wanted_code)) => {
                system == Some(wanted_system.as_str()) && code == Some(wanted_code.as_str())
            }
            (None, Some(wanted)) => code == Some(wanted.as_str()) || unit == Some(wanted.as_str()),
        };
        let system_ok = match (&self.system, &self.code) {
            (Some(wanted), None) => system == Some(wanted.as_str()),
            _ => true,
        };
        unit_ok && system_ok && self.number_matches(value)
    }

    fn number_matches(&self, value: f64) -> bool {
        // The bounds are decimal numbers that binary floating point cannot hold exactly
        // (5.4 - 0.05 is 5.3500000000000005): move both down by a hair, so that 5.35 is in
        // and 5.45 is out, as the decimals say.
        let hair = self.half_step * 1e-9;
        let (low, high) = (
            self.number - self.half_step - hair,
            self.number + self.half_step - hair,
        );
        match self.prefix {
            DatePrefix::Eq => low <= value && value < high,
            DatePrefix::Ne => !(low <= value && value < high),
            DatePrefix::Gt | DatePrefix::Sa => value > self.number,
            DatePrefix::Lt | DatePrefix::Eb => value < self.number,
            DatePrefix::Ge => value >= self.number,
            DatePrefix::Le => value <= self.number,
            DatePrefix::Ap => {
                let margin = (self.number * 0.1).abs().max(self.half_step);
                self.number - margin <= value && value <= self.number + margin
            }
        }
    }
}

/// A FHIR decimal (optionally with an exponent, as search allows) and half the unit of its
/// last significant digit.
fn parse_number(text: &str) -> Option<(f64, f64)> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let unsigned = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    if unsigned.contains('.') && fraction.is_empty() {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    if !number.is_finite() {
        return None;
    }
    let decimals = i32::try_from(fraction.len()).ok()?;
    let half_step = 0.5 * 10f64.powi(exponent.saturating_sub(decimals));
    Some((number, half_step))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UCUM: &str = "http://unitsofmeasure.org";

    fn q(raw: &str) -> QuantitySearch {
        QuantitySearch::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_precision_of_the_search_number_is_its_range() {
        let s = q("5.4");
        assert!(s.matches(5.4, None, None, None));
        assert!(s.matches(5.35, None, None, None));
        assert!(s.matches(5.449, None, None, None));
        assert!(!s.matches(5.45, None, None, None));
        assert!(!s.matches(5.34, None, None, None));
        // No decimals: the range is a whole unit wide.
        assert!(q("100").matches(100.4, None, None, None));
        assert!(!q("100").matches(100.5, None, None, None));
        // An exponent moves the last digit: 1e2 is [50, 150).
        assert!(q("1e2").matches(140.0, None, None, None));
        assert!(!q("1e2").matches(150.0, None, None, None));
        assert!(q("ne5.4").matches(5.5, None, None, None));
        assert!(!q("ne5.4").matches(5.41, None, None, None));
    }

    #[test]
    fn comparisons_are_against_the_number() {
        assert!(q("gt5.4").matches(5.41, None, None, None));
        assert!(!q("gt5.4").matches(5.4, None, None, None));
        assert!(q("ge5.4").matches(5.4, None, None, None));
        assert!(q("lt5.4").matches(5.39, None, None, None));
        assert!(!q("lt5.4").matches(5.4, None, None, None));
        assert!(q("le5.4").matches(5.4, None, None, None));
        assert!(q("sa5.4").matches(6.0, None, None, None));
        assert!(q("eb5.4").matches(5.0, None, None, None));
        assert!(q("ap100").matches(109.0, None, None, None));
        assert!(!q("ap100").matches(111.0, None, None, None));
        assert!(q("gt-1").matches(0.0, None, None, None));
    }

    #[test]
    fn units_match_by_system_and_code_or_by_code_or_unit_alone() {
        let s = q("142|http://unitsofmeasure.org|mmol/L");
        assert!(s.matches(142.0, Some(UCUM), Some("mmol/L"), Some("mmol/L")));
        assert!(!s.matches(142.0, Some(UCUM), Some("mg/L"), Some("mmol/L")));
        assert!(!s.matches(142.0, None, None, Some("mmol/L")));
        let any_system = q("142||mmol/L");
        assert!(any_system.matches(142.0, Some(UCUM), Some("mmol/L"), None));
        assert!(any_system.matches(142.0, None, None, Some("mmol/L")));
        assert!(!any_system.matches(142.0, Some(UCUM), Some("g/L"), Some("g/L")));
        let system_only = q("142|http://unitsofmeasure.org|");
        assert!(system_only.matches(142.0, Some(UCUM), Some("g/L"), None));
        assert!(!system_only.matches(142.0, None, None, Some("g/L")));
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "", "abc", "5.", ".5", "5.4|mg", "gt", "5,4", "1e", "NaN", "inf", "5.4.1", "--1",
            "1e999999",
        ] {
            assert!(QuantitySearch::parse(bad).is_err(), "{bad:?} was accepted");
        }
        // The smallest exponent, with decimals: no overflow working out the precision.
        assert!(QuantitySearch::parse("1.5e-2147483648").is_ok());
    }
}
