//! The one clock of the care domain: the date that decides ages, release dates, powers of
//! attorney, Consent periods and date searches relative to now.
//!
//! Production reads the system clock. Tests, and the dev profile by configuration
//! (`[clock] fixed_today`), pin the date, so that the embedded data set's scenarios (written
//! for 2026-11-23) read the same on any day: a child's birthday or a release date then
//! cannot change a test's answer by itself. Only the date is pinned; the time of day runs.
//!
//! The same clock tells how much time has passed (`instant`, `unix_now`) to what measures
//! durations: circuit breakers, key-set lifetimes, token expiry. The system clock is the
//! machine's. A pinned clock runs with the machine too, and tests move it on with `advance`
//! instead of sleeping: a breaker's open window or a token's lifetime then ends when the
//! test says, however slow the machine.
//!
//! What is about the real instant stays on the system clock: login flows, access-log
//! timestamps and retention, `meta.lastUpdated` of stored versions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// A pinned date, and the time the tests moved the clock on (nanoseconds).
    FixedDate(Date, AtomicU64),
}

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Source::System))
    }

    /// A clock whose date is always `today`.
    pub fn fixed(today: Date) -> Clock {
        Clock(Arc::new(Source::FixedDate(today, AtomicU64::new(0))))
    }

    pub fn from_settings(settings: &ClockSettings) -> Clock {
        settings
            .fixed_today
            .map_or_else(Clock::system, Clock::fixed)
    }

    /// Now, on this clock's date.
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc() + self.advanced();
        match &*self.0 {
            Source::System => now,
            Source::FixedDate(date, _) => now.replace_date(*date),
        }
    }

    /// A monotonic instant, for durations: breaker windows, cache lifetimes.
    pub fn instant(&self) -> Instant {
        Instant::now() + self.advanced()
    }

    /// Seconds since the epoch on the real calendar (not the pinned date), for what other
    /// systems dated: token `iat`, `nbf` and `exp`.
    pub fn unix_now(&self) -> u64 {
        (SystemTime::now() + self.advanced())
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// Moves a pinned clock on by `by`, as if that time had passed. The system clock cannot
    /// be moved: `false`.
    pub fn advance(&self, by: Duration) -> bool {
        match &*self.0 {
            Source::System => false,
            Source::FixedDate(_, advanced) => {
                let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
                advanced.fetch_add(nanos, Ordering::SeqCst);
                true
            }
        }
    }

    fn advanced(&self) -> Duration {
        match &*self.0 {
            Source::System => Duration::ZERO,
            Source::FixedDate(_, advanced) => Duration::from_nanos(advanced.load(Ordering::SeqCst)),
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
    fn advancing_a_pinned_clock_moves_every_reading_on() {
        let clock = Clock::fixed(date!(2026 - 11 - 23));
        let (instant, unix) = (clock.instant(), clock.unix_now());
        assert!(clock.advance(Duration::from_secs(3600)));
        assert!(clock.instant() >= instant + Duration::from_secs(3600));
        assert!(clock.unix_now() >= unix + 3600);
        // A day on, the pinned date does not move: it is the date the tests chose.
        assert!(clock.advance(Duration::from_secs(86_400)));
        assert_eq!(clock.today(), date!(2026 - 11 - 23));
        assert!(!Clock::system().advance(Duration::from_secs(1)));
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
