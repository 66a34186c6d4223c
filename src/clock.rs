//! The one clock of the care domain: the date that decides ages, release dates, powers of
//! attorney, Consent periods and date searches relative to now.
//!
//! Production reads the system clock. Tests, and the dev profile by configuration
//! (`[clock] fixed_today`), pin the date, so that the embedded data set's scenarios (written
//! for 2026-11-23) read the same on any day: a child's birthday or a release date then
//! cannot change a test's answer by itself. Only the date is pinned; the time of day runs.
//!
//! What is about the real instant stays on the system clock: token lifetimes, login flows,
//! access-log timestamps and retention, `meta.lastUpdated` of stored versions.

use std::sync::Arc;

use serde::Deserialize;
use time::{Date, OffsetDateTime};

/// `[clock]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClockSettings {
    /// Pins the date the gateway works on (`YYYY-MM-DD`); empty: the system's date. Refused
    /// by the production profile.
    #[serde(default, deserialize_with = "date_or_empty")]
    pub fixed_today: Option<Date>,
}

#[derive(Debug, Clone)]
pub struct Clock(Arc<Source>);

#[derive(Debug)]
enum Source {
    System,
    FixedDate(Date),
}

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Source::System))
    }

    /// A clock whose date is always `today`.
    pub fn fixed(today: Date) -> Clock {
        Clock(Arc::new(Source::FixedDate(today)))
    }

    pub fn from_settings(settings: &ClockSettings) -> Clock {
        settings
            .fixed_today
            .map_or_else(Clock::system, Clock::fixed)
    }

    /// Now, on this clock's date.
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        match *self.0 {
            Source::System => now,
            Source::FixedDate(date) => now.replace_date(date),
        }
    }

    pub fn today(&self) -> Date {
        self.now().date()
    }

    /// Now in milliseconds since the epoch, as search matching compares instants.
    pub fn now_ms(&self) -> i64 {
        (self.now().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

fn date_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("'{text}' is not a date (YYYY-MM-DD)")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_fixed_clock_keeps_its_date_and_the_time_of_day_runs() {
        let clock = Clock::fixed(date!(2026 - 11 - 23));
        assert_eq!(clock.today(), date!(2026 - 11 - 23));
        let first = clock.now();
        let second = clock.now();
        assert!(second >= first);
        assert_eq!(first.date(), date!(2026 - 11 - 23));
    }

    #[test]
    fn the_setting_reads_a_date_or_nothing() {
        let settings: ClockSettings =
            serde_json::from_value(serde_json::json!({"fixed_today": "2027-09-01"})).unwrap();
        assert_eq!(settings.fixed_today, Some(date!(2027 - 09 - 01)));
        let empty: ClockSettings =
            serde_json::from_value(serde_json::json!({"fixed_today": ""})).unwrap();
        assert_eq!(empty.fixed_today, None);
        assert!(
            serde_json::from_value::<ClockSettings>(serde_json::json!({"fixed_today": "soon"}))
                .is_err()
        );
    }
}
