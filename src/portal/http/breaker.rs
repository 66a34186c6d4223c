//! A circuit breaker per upstream: after `failures` failed attempts within `window`, the
//! circuit opens and calls fail at once for `open`, so that a sick national system is not
//! hammered and gateway requests do not queue behind it. Then one probe call is let through
//! (half-open): its success closes the circuit, its failure opens it again.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::BreakerSettings;
use crate::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn label(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }

    /// The value of the `ehds_upstream_breaker_state` gauge.
    fn gauge(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

#[derive(Debug)]
enum State {
    /// The instants of the recent failures, oldest first, at most `failures` of them.
    Closed {
        failures: VecDeque<Instant>,
    },
    Open {
        until: Instant,
    },
    HalfOpen {
        probing: bool,
    },
}

/// The circuit refused the call; try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub retry_after_seconds: u64,
}

pub struct Breaker {
    failures: usize,
    window: Duration,
    open: Duration,
    country: &'static str,
    state: Mutex<State>,
    /// The gateway's clock: windows end when it says (tests move it on).
    clock: Clock,
}

/// Leave to make one attempt. Its outcome must be reported with `success` or `failure`;
/// dropped without either (the caller gave up), a probe frees its slot for the next caller.
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    pub fn new(settings: &BreakerSettings, country: &'static str, clock: Clock) -> Breaker {
        let breaker = Breaker {
            clock,
            failures: settings.failures.max(1) as usize,
            window: Duration::from_secs(settings.window_seconds),
            open: Duration::from_secs(settings.open_seconds),
            country,
            state: Mutex::new(State::Closed {
                failures: VecDeque::new(),
            }),
        };
        breaker.publish(BreakerState::Closed);
        breaker
    }

    /// How long the circuit stays open, in seconds: the `Retry-After` of an unavailable
    /// upstream.
    pub fn open_seconds(&self) -> u64 {
        self.open.as_secs().max(1)
    }

    /// The state as `/readyz` reports it. An open circuit whose time is up is half-open:
    /// the next call will probe.
    pub fn state(&self) -> BreakerState {
        match &*self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if self.clock.instant() < *until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    pub fn acquire(&self) -> Result<Permit<'_>, Rejected> {
        let mut state = self.lock();
        let now = self.clock.instant();
        match &mut *state {
            State::Closed { .. } => Ok(self.permit(false)),
            State::Open { until } if now < *until => Err(Rejected {
                retry_after_seconds: ceil_seconds(*until - now),
            }),
            State::Open { .. } | State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                self.publish(BreakerState::HalfOpen);
                Ok(self.permit(true))
            }
            // One probe at a time; the others wait for its verdict.
            State::HalfOpen { probing: true } => Err(Rejected {
                retry_after_seconds: 1,
            }),
        }
    }

    fn permit(&self, probe: bool) -> Permit<'_> {
        Permit {
            breaker: self,
            probe,
            reported: false,
        }
    }

    fn on_success(&self, probe: bool) {
        let mut state = self.lock();
        if probe && matches!(*state, State::HalfOpen { .. }) {
            *state = State::Closed {
                failures: VecDeque::new(),
            };
            self.publish(BreakerState::Closed);
        }
    }

    fn on_failure(&self, probe: bool) {
        let mut state = self.lock();
        let now = self.clock.instant();
        match &mut *state {
            State::Closed { failures } => {
                while failures
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    failures.pop_front();
                }
                failures.push_back(now);
                if failures.len() >= self.failures {
                    *state = State::Open {
                        until: now + self.open,
                    };
                    self.publish(BreakerState::Open);
                }
            }
            State::HalfOpen { .. } if probe => {
                *state = State::Open {
                    until: now + self.open,
                };
                self.publish(BreakerState::Open);
            }
            // A call that started before the circuit opened: its failure is already known.
            _ => {}
        }
    }

    fn on_abandoned(&self, probe: bool) {
        let mut state = self.lock();
        if probe && matches!(*state, State::HalfOpen { probing: true }) {
            *state = State::HalfOpen { probing: false };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every write is one assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, state: BreakerState) {
        metrics::gauge!("ehds_upstream_breaker_state", "country" => self.country)
            .set(state.gauge());
    }
}

impl Permit<'_> {
    pub fn success(mut self) {
        self.reported = true;
        self.breaker.on_success(self.probe);
    }

    pub fn failure(mut self) {
        self.reported = true;
        self.breaker.on_failure(self.probe);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.on_abandoned(self.probe);
        }
    }
}

fn ceil_seconds(d: Duration) -> u64 {
    (d.as_millis().div_ceil(1000) as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(failures: u32, open_seconds: u64) -> Breaker {
        Breaker::new(
            &BreakerSettings {
                failures,
                window_seconds: 60,
                open_seconds,
            },
            "NO",
            Clock::fixed(time::macros::date!(2026 - 11 - 23)),
        )
    }

    #[test]
    fn opens_after_n_failures_and_refuses_with_the_time_left() {
        let b = breaker(3, 30);
        for _ in 0..2 {
            b.acquire().unwrap().failure();
            assert_eq!(b.state(), BreakerState::Closed);
        }
        b.acquire().unwrap().success();
        assert_eq!(
            b.state(),
            BreakerState::Closed,
            "successes do not hide failures"
        );
        b.acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        let rejected = b.acquire().err().unwrap();
        assert!((29..=30).contains(&rejected.retry_after_seconds));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let b = Breaker {
            window: Duration::from_secs(10),
            ..breaker(2, 30)
        };
        b.acquire().unwrap().failure();
        b.clock.advance(Duration::from_secs(11));
        b.acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn one_probe_when_half_open_and_its_outcome_decides() {
        let b = Breaker {
            open: Duration::ZERO,
            ..breaker(1, 1)
        };
        b.acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::HalfOpen, "open time is up");
        let probe = b.acquire().unwrap();
        assert!(b.acquire().is_err(), "a second caller waits for the probe");
        probe.failure();
        let probe = b.acquire().unwrap();
        probe.success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.acquire().is_ok());
    }

    #[test]
    fn an_abandoned_probe_frees_its_slot() {
        let b = Breaker {
            open: Duration::ZERO,
            ..breaker(1, 1)
        };
        b.acquire().unwrap().failure();
        drop(b.acquire().unwrap());
        b.acquire().expect("the next caller probes").success();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
