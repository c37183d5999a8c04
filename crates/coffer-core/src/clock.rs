//! Time is passed in. Core functions take `now`; the engine holds a [`Clock`] so tests can fix it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always answers the same instant, for tests and `--date` runs.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The calendar date of `instant` in the merchant's time zone: "today" for due dates and
/// "this month" for Svea's one-charge-a-month rule are the merchant's, not UTC's.
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_date_follows_the_merchant_zone() {
        let late_utc = Utc.with_ymd_and_hms(2026, 1, 31, 22, 30, 0).unwrap();
        assert_eq!(
            local_date(late_utc, chrono_tz::Europe::Helsinki),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            "22:30 UTC on Jan 31 is already February in Helsinki"
        );
        assert_eq!(
            local_date(late_utc, chrono_tz::UTC),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
        );
    }
}
