//! FHIR date and dateTime values as half-open time ranges, and the R4 date search prefixes.
//!
//! A FHIR date is a range, not an instant: `2024` covers the whole year. Search compares the
//! range of the search value with the range of the resource's value (R4 §3.1.1.4.2).
//! Values without a time zone are taken as UTC, the server's time zone.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Milliseconds since the Unix epoch, `[low, high)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub low: i64,
    pub high: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePrefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

impl DatePrefix {
    /// Splits a search value such as `ge2024-01-01` into its prefix and the date text.
    pub fn split(value: &str) -> (DatePrefix, &str) {
        let prefixes = [
            ("eq", DatePrefix::Eq),
            ("ne", DatePrefix::Ne),
            ("gt", DatePrefix::Gt),
            ("lt", DatePrefix::Lt),
            ("ge", DatePrefix::Ge),
            ("le", DatePrefix::Le),
            ("sa", DatePrefix::Sa),
            ("eb", DatePrefix::Eb),
            ("ap", DatePrefix::Ap),
        ];
        for (text, prefix) in prefixes {
            if let Some(rest) = value.strip_prefix(text) {
                return (prefix, rest);
            }
        }
        (DatePrefix::Eq, value)
    }
}

/// A parsed date search value: its prefix and its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSearch {
    pub prefix: DatePrefix,
    pub range: DateRange,
}

impl DateSearch {
    pub fn parse(value: &str) -> Result<DateSearch, String> {
        let (prefix, text) = DatePrefix::split(value);
        let range = DateRange::parse(text)
            .ok_or_else(|| format!("'{value}' is not a FHIR date or dateTime search value"))?;
        Ok(DateSearch { prefix, range })
    }

    /// Does a resource value with range `target` match this search value?
    pub fn matches(&self, target: DateRange, now_ms: i64) -> bool {
        let s = self.range;
        let t = target;
        let contains = s.low <= t.low && t.high <= s.high;
        match self.prefix {
            DatePrefix::Eq => contains,
            DatePrefix::Ne => !contains,
            DatePrefix::Gt => t.high > s.high,
            DatePrefix::Lt => t.low < s.low,
            DatePrefix::Ge => t.high > s.high || contains,
            DatePrefix::Le => t.low < s.low || contains,
            DatePrefix::Sa => t.low >= s.high,
            DatePrefix::Eb => t.high <= s.low,
            DatePrefix::Ap => {
                // R4 leaves "approximately" to the server; like most servers, widen the
                // search range by 10% of its distance from now, and at least a day.
                const DAY_MS: i64 = 86_400_000;
                let distance = (now_ms - s.low).abs().max((now_ms - s.high).abs());
                let margin = (distance / 10).max(DAY_MS);
                t.low < s.high + margin && t.high > s.low - margin
            }
        }
    }
}

impl DateRange {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or a dateTime `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`.
    pub fn parse(text: &str) -> Option<DateRange> {
        let (date_part, time_part) = match text.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (text, None),
        };
        let mut pieces = date_part.split('-');
        let year: i32 = parse_digits(pieces.next()?, 4)?;
        let month = match pieces.next() {
            Some(m) => Some(parse_digits::<u8>(m, 2)?),
            None => None,
        };
        let day = match pieces.next() {
            Some(d) => Some(parse_digits::<u8>(d, 2)?),
            None => None,
        };
        if pieces.next().is_some() {
            return None;
        }
        match (month, day, time_part) {
            (None, None, None) => {
                let start = Date::from_calendar_date(year, Month::January, 1).ok()?;
                let end = Date::from_calendar_date(year + 1, Month::January, 1).ok()?;
                Some(DateRange::between_dates(start, end))
            }
            (Some(m), None, None) => {
                let month = Month::try_from(m).ok()?;
                let start = Date::from_calendar_date(year, month, 1).ok()?;
                let end = if month == Month::December {
                    Date::from_calendar_date(year + 1, Month::January, 1).ok()?
                } else {
                    Date::from_calendar_date(year, month.next(), 1).ok()?
                };
                Some(DateRange::between_dates(start, end))
            }
            (Some(m), Some(d), None) => {
                let date = Date::from_calendar_date(year, Month::try_from(m).ok()?, d).ok()?;
                Some(DateRange::day(date))
            }
            (Some(m), Some(d), Some(t)) => {
                let date = Date::from_calendar_date(year, Month::try_from(m).ok()?, d).ok()?;
                parse_time(date, t)
            }
            _ => None,
        }
    }

    pub fn day(date: Date) -> DateRange {
        let next = date.next_day().unwrap_or(date);
        DateRange::between_dates(date, next)
    }

    fn between_dates(start: Date, end: Date) -> DateRange {
        DateRange {
            low: midnight_ms(start),
            high: midnight_ms(end),
        }
    }

    /// The one-millisecond range of an instant.
    pub fn instant(at: OffsetDateTime) -> DateRange {
        let low = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        DateRange { low, high: low + 1 }
    }
}

fn midnight_ms(date: Date) -> i64 {
    PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp()
        * 1000
}

fn parse_digits<T: std::str::FromStr>(text: &str, len: usize) -> Option<T> {
    if text.len() == len && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// `hh:mm[:ss[.fff]][Z|±hh:mm]` on `date`; the range is as wide as the precision given.
fn parse_time(date: Date, text: &str) -> Option<DateRange> {
    let (clock, offset) = split_zone(text)?;
    let mut parts = clock.split(':');
    let hour: u8 = parse_digits(parts.next()?, 2)?;
    let minute: u8 = parse_digits(parts.next()?, 2)?;
    let (second, fraction_ms, width_ms) = match parts.next() {
        None => (0u8, 0u32, 60_000i64),
        Some(sec) => match sec.split_once('.') {
            None => (parse_digits(sec, 2)?, 0, 1_000),
            Some((whole, frac)) => {
                if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let ms: u32 = format!("{frac:0<3}")[..3].parse().ok()?;
                (parse_digits(whole, 2)?, ms, 1)
            }
        },
    };
    if parts.next().is_some() {
        return None;
    }
    let time = Time::from_hms_milli(hour, minute, second, fraction_ms as u16).ok()?;
    let at = PrimitiveDateTime::new(date, time).assume_offset(offset);
    let low = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    Some(DateRange {
        low,
        high: low + width_ms,
    })
}

fn split_zone(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(clock) = text.strip_suffix('Z') {
        return Some((clock, UtcOffset::UTC));
    }
    // An offset is the last six bytes, `+hh:mm` or `-hh:mm`. The text is the client's: a
    // multi-byte character may straddle that cut, and then there is no offset to read.
    let cut = text.len().saturating_sub(6);
    if cut > 0 && text.is_char_boundary(cut) {
        let (clock, zone) = text.split_at(cut);
        let sign = match zone.as_bytes()[0] {
            b'+' => 1i8,
            b'-' => -1i8,
            _ => return Some((text, UtcOffset::UTC)),
        };
        let (h, m) = zone[1..].split_once(':')?;
        let hours: i8 = parse_digits(h, 2)?;
        let minutes: i8 = parse_digits(m, 2)?;
        let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
        return Some((clock, offset));
    }
    Some((text, UtcOffset::UTC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::fuzz::cases()))]

        /// No text, however broken, panics the parser (a multi-byte character where an
        /// offset would start did).
        #[test]
        fn any_text_parses_or_is_refused_without_a_panic(text in "\\PC{0,40}") {
            let _ = DateRange::parse(&text);
        }

        #[test]
        fn date_times_with_any_characters_in_them_never_panic(
            head in "[0-9]{4}-[0-9]{2}-[0-9]{2}T",
            tail in "\\PC{0,12}",
        ) {
            let _ = DateRange::parse(&format!("{head}{tail}"));
        }
    }

    #[test]
    fn a_multi_byte_character_where_the_offset_would_start_is_refused() {
        assert_eq!(DateRange::parse("2020-01-01Ta\u{e9}12345"), None);
        assert_eq!(DateRange::parse("2020-01-01T10:00\u{e9}1:00"), None);
    }

    fn range(text: &str) -> DateRange {
        DateRange::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn precision_sets_the_width_of_the_range() {
        let year = range("2024");
        assert_eq!(
            year.high - year.low,
            366 * 86_400_000,
            "2024 is a leap year"
        );
        let month = range("2023-02");
        assert_eq!(month.high - month.low, 28 * 86_400_000);
        let december = range("2023-12");
        assert_eq!(december.high, range("2024").low);
        let day = range("2024-02-29");
        assert_eq!(day.high - day.low, 86_400_000);
        let minute = range("2024-02-29T10:15Z");
        assert_eq!(minute.high - minute.low, 60_000);
        let second = range("2024-02-29T10:15:30+01:00");
        assert_eq!(second.high - second.low, 1_000);
        assert_eq!(second.low, range("2024-02-29T09:15:30Z").low);
        let milli = range("2024-02-29T10:15:30.5Z");
        assert_eq!(milli.low, range("2024-02-29T10:15:30Z").low + 500);
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "24",
            "2024-2",
            "2024-13",
            "2023-02-29",
            "2024-02-30",
            "2024-01-01T25:00Z",
            "2024-01-01T10",
            "2024/01/01",
            "2024-01-01-01",
            "abcd",
            "2024-01-01T10:00:00.Z",
            "2024-01-01T10:00+1:00",
        ] {
            assert_eq!(DateRange::parse(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn prefixes_follow_r4_semantics() {
        let now = range("2026-11-23").low;
        let target = range("2024-03-15");
        let cases = [
            ("2024-03-15", true),
            ("2024-03", true),
            ("2024", true),
            ("2024-03-16", false),
            ("ne2024-03-15", false),
            ("ne2024-03-16", true),
            ("gt2024-03-14", true),
            ("gt2024-03-15", false),
            ("lt2024-03-16", true),
            ("lt2024-03-15", false),
            ("ge2024-03-15", true),
            ("ge2024-03-16", false),
            ("le2024-03-15", true),
            ("le2024-03-14", false),
            ("sa2024-03-14", true),
            ("sa2024-03-15", false),
            ("eb2024-03-16", true),
            ("eb2024-03-15", false),
            ("ap2024-03-20", true),
            ("ap2020-01-01", false),
        ];
        for (search, expected) in cases {
            let parsed = DateSearch::parse(search).unwrap();
            assert_eq!(parsed.matches(target, now), expected, "{search}");
        }
    }

    #[test]
    fn a_wide_target_is_not_contained_in_a_narrow_search() {
        let now = range("2026-11-23").low;
        let target = range("2024");
        assert!(
            !DateSearch::parse("2024-05-01")
                .unwrap()
                .matches(target, now)
        );
        assert!(
            DateSearch::parse("ge2024-05-01")
                .unwrap()
                .matches(target, now)
        );
        assert!(
            DateSearch::parse("le2024-05-01")
                .unwrap()
                .matches(target, now)
        );
    }
}
