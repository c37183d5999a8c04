//! A contract's due dates, and the instants and notice deadlines that go with them.
//!
//! Due dates are merchant-local calendar dates. Each is numbered from 1 counting from the
//! contract's start, whatever window is asked for, so the number (with the contract, the unique
//! key of a charge: DESIGN §4) stays the same when the schedule is generated again later.
//! Each date is computed from the start, never from the previous one, so a monthly contract on the
//! 31st goes 31 January → 28 February → 31 March instead of drifting to the 28th.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

use crate::contract::{Contract, Frequency};
use crate::error::InvalidInput;

/// The due dates of `contract` from `from` through `until` (both inclusive), as
/// `(number, due date)`, never before `contract.start` nor after `contract.end`.
///
/// Fails only when the frequency is invalid (see [`Frequency::validate`]).
pub fn occurrences(
    contract: &Contract,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<(u32, NaiveDate)>, InvalidInput> {
    contract.frequency.validate()?;
    let last = match contract.end {
        Some(end) => end.min(until),
        None => until,
    };
    let mut out = Vec::new();
    let mut number = first_number_near(contract.frequency, contract.start, from);
    while let Some(due) = nth_due(contract.frequency, contract.start, number) {
        if due > last {
            break;
        }
        if due >= from {
            out.push((number, due));
        }
        number = match number.checked_add(1) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(out)
}

/// The due date of occurrence `number` (1-based) of a schedule that starts on `start`, or `None`
/// when it would fall outside the calendar chrono supports or `number` is 0.
pub fn nth_due(frequency: Frequency, start: NaiveDate, number: u32) -> Option<NaiveDate> {
    let index = number.checked_sub(1)?;
    match frequency {
        Frequency::EveryDays { days } => {
            start.checked_add_days(Days::new(u64::from(days) * u64::from(index)))
        }
        Frequency::Monthly { day } => {
            // The first due date is in the start's month when its day is not already past.
            let skip = u32::from(clamped_day(start.year(), start.month(), day)? < start);
            let month0 = start.with_day(1)?;
            let month = month0.checked_add_months(Months::new(index.checked_add(skip)?))?;
            clamped_day(month.year(), month.month(), day)
        }
        Frequency::Yearly { month, day } => {
            let in_start_year = clamped_day(start.year(), month, day)?;
            let skip = i32::from(in_start_year < start);
            let year = start
                .year()
                .checked_add(skip)?
                .checked_add(i32::try_from(index).ok()?)?;
            clamped_day(year, month, day)
        }
    }
}

/// A lower bound on the first occurrence number whose date is on or after `from`, so that a
/// window years after the start does not walk every earlier occurrence.
fn first_number_near(frequency: Frequency, start: NaiveDate, from: NaiveDate) -> u32 {
    if from <= start {
        return 1;
    }
    let elapsed_days = (from - start).num_days();
    let periods = match frequency {
        Frequency::EveryDays { days } => elapsed_days / i64::from(days.max(1)),
        Frequency::Monthly { .. } => {
            i64::from(from.year() - start.year()) * 12 + i64::from(from.month())
                - i64::from(start.month())
        }
        Frequency::Yearly { .. } => i64::from(from.year() - start.year()),
    };
    // Step back one period more than needed: the loop skips dates before `from` anyway.
    u32::try_from(periods.saturating_sub(1).max(1)).unwrap_or(1)
}

/// `day` of the given month, or the month's last day when the month is shorter.
fn clamped_day(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    NaiveDate::from_ymd_opt(year, month, day.min(last.day()))
}

/// The instant a charge due on `date` runs, at `local_time` in the merchant's `zone`.
///
/// On a spring-forward day a local time inside the gap does not exist; it moves to the first
/// valid instant after the gap (03:30 in Helsinki on the last Sunday of March becomes 04:00
/// EEST). On a fall-back day an ambiguous local time takes the earlier of its two instants, so a
/// charge never runs an hour later than the owner asked for.
pub fn due_instant(date: NaiveDate, zone: Tz, local_time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(local_time);
    if let Some(instant) = earliest_instant(zone, local) {
        return instant;
    }
    // Gaps in the tz database start and end on whole minutes and last at most a day (Samoa
    // skipped 30 December 2011), so the first minute that exists after `local` is the gap's end.
    let whole_minute = local
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(local);
    for minutes in 1..=(48 * 60) {
        let candidate = whole_minute + chrono::Duration::minutes(minutes);
        if let Some(instant) = earliest_instant(zone, candidate) {
            return instant;
        }
    }
    // Unreachable with the tz database; fall back to the offset in force at that UTC reading.
    let offset = zone
        .offset_from_utc_datetime(&local)
        .fix()
        .local_minus_utc();
    (local - chrono::Duration::seconds(i64::from(offset))).and_utc()
}

fn earliest_instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|instant| instant.with_timezone(&Utc))
}

/// Pre-charge notices go out from this many days before the lead-time deadline.
pub const NOTICE_AHEAD_DAYS: u64 = 7;

/// The last date a contract's schedule is stored through, seen from `today`: the notice lead
/// time plus [`NOTICE_AHEAD_DAYS`].
pub fn horizon(today: NaiveDate, lead_days: u32) -> NaiveDate {
    today
        .checked_add_days(Days::new(u64::from(lead_days) + NOTICE_AHEAD_DAYS))
        .unwrap_or(today)
}

/// The last merchant-local date on which the pre-charge notice for a charge due on `due` may go
/// out: `lead_days` before it.
pub fn notice_deadline(due: NaiveDate, lead_days: u32) -> NaiveDate {
    due.checked_sub_days(Days::new(u64::from(lead_days)))
        .unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{AmountRule, ContractStatus};
    use crate::ids::{CardId, ContractId, MerchantId};
    use crate::money::{Currency, Money};
    use chrono_tz::Europe::{Helsinki, Minsk};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn contract(frequency: Frequency, start: NaiveDate, end: Option<NaiveDate>) -> Contract {
        Contract {
            id: ContractId(1),
            merchant_id: MerchantId(1),
            card_id: CardId(1),
            amount: AmountRule::Fixed {
                amount: Money::from_minor(1000, Currency::EUR),
            },
            original_amount: None,
            frequency,
            start,
            end,
            status: ContractStatus::Active,
            terms_accepted_at: utc(2026, 1, 1, 0, 0),
            confirmation_sent_at: None,
            consented_max: None,
            registered_max: None,
        }
    }

    fn dates(list: &[(u32, NaiveDate)]) -> Vec<NaiveDate> {
        list.iter().map(|(_, d)| *d).collect()
    }

    #[test]
    fn monthly_on_the_31st_takes_month_ends_without_drifting() {
        let c = contract(Frequency::Monthly { day: 31 }, day(2027, 1, 31), None);
        let got = occurrences(&c, day(2027, 1, 1), day(2027, 5, 31)).unwrap();
        assert_eq!(
            dates(&got),
            vec![
                day(2027, 1, 31),
                day(2027, 2, 28),
                day(2027, 3, 31),
                day(2027, 4, 30),
                day(2027, 5, 31)
            ],
            "each month's last day, back to the 31st after February"
        );
        assert_eq!(got[2].0, 3, "numbered from the start");
    }

    #[test]
    fn monthly_falls_on_29_february_in_leap_year_2028() {
        let c = contract(Frequency::Monthly { day: 31 }, day(2028, 1, 31), None);
        let got = occurrences(&c, day(2028, 1, 1), day(2028, 3, 31)).unwrap();
        assert_eq!(
            dates(&got),
            vec![day(2028, 1, 31), day(2028, 2, 29), day(2028, 3, 31)]
        );
    }

    #[test]
    fn monthly_starts_next_month_when_the_day_is_past() {
        let c = contract(Frequency::Monthly { day: 15 }, day(2026, 1, 20), None);
        let got = occurrences(&c, day(2026, 1, 1), day(2026, 3, 31)).unwrap();
        assert_eq!(
            got,
            vec![(1, day(2026, 2, 15)), (2, day(2026, 3, 15))],
            "15 January is before the start, so February's is number 1"
        );
        let same_month = contract(Frequency::Monthly { day: 15 }, day(2026, 1, 10), None);
        assert_eq!(
            occurrences(&same_month, day(2026, 1, 1), day(2026, 1, 31)).unwrap(),
            vec![(1, day(2026, 1, 15))]
        );
    }

    #[test]
    fn yearly_on_29_february_uses_28_february_in_common_years() {
        let c = contract(
            Frequency::Yearly { month: 2, day: 29 },
            day(2028, 2, 29),
            None,
        );
        let got = occurrences(&c, day(2028, 1, 1), day(2032, 12, 31)).unwrap();
        assert_eq!(
            got,
            vec![
                (1, day(2028, 2, 29)),
                (2, day(2029, 2, 28)),
                (3, day(2030, 2, 28)),
                (4, day(2031, 2, 28)),
                (5, day(2032, 2, 29)),
            ],
            "back to the 29th in the next leap year"
        );
    }

    #[test]
    fn every_n_days_counts_from_the_start() {
        let c = contract(Frequency::EveryDays { days: 10 }, day(2026, 12, 25), None);
        let got = occurrences(&c, day(2026, 12, 1), day(2027, 1, 31)).unwrap();
        assert_eq!(
            got,
            vec![
                (1, day(2026, 12, 25)),
                (2, day(2027, 1, 4)),
                (3, day(2027, 1, 14)),
                (4, day(2027, 1, 24)),
            ]
        );
        let daily = contract(Frequency::EveryDays { days: 1 }, day(2026, 2, 27), None);
        assert_eq!(
            dates(&occurrences(&daily, day(2026, 2, 27), day(2026, 3, 1)).unwrap()),
            vec![day(2026, 2, 27), day(2026, 2, 28), day(2026, 3, 1)]
        );
    }

    #[test]
    fn an_interval_of_zero_days_is_refused() {
        let c = contract(Frequency::EveryDays { days: 0 }, day(2026, 1, 1), None);
        let err = occurrences(&c, day(2026, 1, 1), day(2026, 12, 31)).unwrap_err();
        assert_eq!(err.field, "frequency.days", "{err}");
        let bad_day = contract(Frequency::Monthly { day: 32 }, day(2026, 1, 1), None);
        assert!(occurrences(&bad_day, day(2026, 1, 1), day(2026, 2, 1)).is_err());
        let bad_date = contract(
            Frequency::Yearly { month: 2, day: 30 },
            day(2026, 1, 1),
            None,
        );
        assert!(occurrences(&bad_date, day(2026, 1, 1), day(2027, 1, 1)).is_err());
    }

    #[test]
    fn end_date_is_inclusive_and_nothing_comes_after_it() {
        let c = contract(
            Frequency::Monthly { day: 10 },
            day(2026, 1, 10),
            Some(day(2026, 3, 10)),
        );
        let got = occurrences(&c, day(2026, 1, 1), day(2026, 12, 31)).unwrap();
        assert_eq!(
            dates(&got),
            vec![day(2026, 1, 10), day(2026, 2, 10), day(2026, 3, 10)],
            "the end date itself is a due date"
        );
        let day_before = contract(
            Frequency::Monthly { day: 10 },
            day(2026, 1, 10),
            Some(day(2026, 3, 9)),
        );
        assert_eq!(
            occurrences(&day_before, day(2026, 1, 1), day(2026, 12, 31))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn nothing_is_due_before_the_start() {
        let c = contract(Frequency::EveryDays { days: 7 }, day(2026, 6, 1), None);
        assert!(occurrences(&c, day(2026, 1, 1), day(2026, 5, 31))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn numbers_are_stable_across_windows() {
        for frequency in [
            Frequency::Monthly { day: 31 },
            Frequency::Yearly { month: 2, day: 29 },
            Frequency::EveryDays { days: 9 },
            Frequency::EveryDays { days: 1 },
        ] {
            let c = contract(frequency, day(2024, 1, 31), None);
            let whole = occurrences(&c, day(2024, 1, 1), day(2034, 12, 31)).unwrap();
            let mut pieced = Vec::new();
            let mut from = day(2024, 1, 1);
            // Windows of 47 days: a width that cuts every frequency at odd places.
            while from <= day(2034, 12, 31) {
                let until = (from + Days::new(46)).min(day(2034, 12, 31));
                pieced.extend(occurrences(&c, from, until).unwrap());
                from = until + Days::new(1);
            }
            assert_eq!(
                whole, pieced,
                "{frequency:?}: the same numbers in any window"
            );
            let numbers: Vec<u32> = whole.iter().map(|(n, _)| *n).collect();
            let expected: Vec<u32> = (1..=u32::try_from(whole.len()).unwrap()).collect();
            assert_eq!(
                numbers, expected,
                "{frequency:?}: numbered 1, 2, 3… from the start"
            );
        }
    }

    #[test]
    fn helsinki_spring_forward_gap_moves_to_the_end_of_the_gap() {
        // 29 March 2026, last Sunday of March: 03:00 EET becomes 04:00 EEST.
        let date = day(2026, 3, 29);
        assert_eq!(
            due_instant(date, Helsinki, time(3, 30)),
            utc(2026, 3, 29, 1, 0),
            "03:30 does not exist; the first valid instant is 04:00 EEST = 01:00 UTC"
        );
        assert_eq!(
            due_instant(date, Helsinki, time(2, 59)),
            utc(2026, 3, 29, 0, 59),
            "before the gap still at +02:00"
        );
        assert_eq!(
            due_instant(date, Helsinki, time(4, 0)),
            utc(2026, 3, 29, 1, 0)
        );
    }

    #[test]
    fn helsinki_fall_back_fold_takes_the_earlier_instant() {
        // 25 October 2026, last Sunday of October: 04:00 EEST becomes 03:00 EET.
        let date = day(2026, 10, 25);
        assert_eq!(
            due_instant(date, Helsinki, time(3, 30)),
            utc(2026, 10, 25, 0, 30),
            "03:30 happens twice; the earlier is 03:30 EEST = 00:30 UTC"
        );
        assert_eq!(
            due_instant(date, Helsinki, time(9, 0)),
            utc(2026, 10, 25, 7, 0),
            "after the fold Helsinki is at +02:00"
        );
        assert_eq!(
            due_instant(day(2026, 7, 1), Helsinki, time(9, 0)),
            utc(2026, 7, 1, 6, 0),
            "summer time is +03:00"
        );
    }

    #[test]
    fn minsk_stays_at_utc_plus_3_all_year() {
        for date in [
            day(2026, 1, 15),
            day(2026, 3, 29),
            day(2026, 7, 1),
            day(2026, 10, 25),
        ] {
            let instant = due_instant(date, Minsk, time(3, 30));
            assert_eq!(
                instant,
                date.and_time(time(0, 30)).and_utc(),
                "{date}: Belarus has had no DST since 2011"
            );
            assert_eq!(instant.with_timezone(&Minsk).hour(), 3);
        }
    }

    #[test]
    fn notice_deadline_is_lead_days_before_due() {
        assert_eq!(notice_deadline(day(2026, 3, 1), 3), day(2026, 2, 26));
        assert_eq!(notice_deadline(day(2028, 3, 1), 1), day(2028, 2, 29));
        assert_eq!(notice_deadline(day(2026, 3, 1), 0), day(2026, 3, 1));
    }
    proptest::proptest! {
        #[test]
        fn monthly_dates_keep_their_day_or_the_month_end(
            day_of_month in 1u32..=31,
            start_offset in 0u64..3000,
            span in 0u64..2000,
        ) {
            let start = day(2024, 1, 1) + Days::new(start_offset);
            let c = contract(Frequency::Monthly { day: day_of_month }, start, None);
            let got = occurrences(&c, start, start + Days::new(span)).unwrap();
            for pair in got.windows(2) {
                let ((n1, d1), (n2, d2)) = (pair[0], pair[1]);
                proptest::prop_assert_eq!(n2, n1 + 1);
                proptest::prop_assert_eq!(
                    d1.checked_add_months(Months::new(1)).map(|m| (m.year(), m.month())),
                    Some((d2.year(), d2.month())),
                    "consecutive months"
                );
            }
            for (_, due) in &got {
                proptest::prop_assert!(*due >= start);
                let month_len = clamped_day(due.year(), due.month(), 31).unwrap().day();
                proptest::prop_assert_eq!(due.day(), day_of_month.min(month_len));
            }
        }

        #[test]
        fn due_instant_keeps_existing_local_times_and_never_moves_back(
            year in 2026i32..2032,
            which in 0u8..3,
            offset in 0u64..365,
            minutes in 0u32..(24 * 60),
        ) {
            // Two thirds of the cases on Helsinki's transition days, where the gap and fold are.
            let last_sunday = |month: u32| {
                (25..=31)
                    .map(|d| day(year, month, d))
                    .find(|d| d.weekday() == chrono::Weekday::Sun)
                    .unwrap()
            };
            let date = match which {
                0 => last_sunday(3),
                1 => last_sunday(10),
                _ => day(year, 1, 1) + Days::new(offset),
            };
            let wanted = date.and_time(time(minutes / 60, minutes % 60));
            let got = due_instant(date, Helsinki, wanted.time()).with_timezone(&Helsinki).naive_local();
            if Helsinki.from_local_datetime(&wanted).earliest().is_some() {
                proptest::prop_assert_eq!(got, wanted);
            } else {
                proptest::prop_assert!(got > wanted, "a time in the gap moves forward");
                proptest::prop_assert!(got - wanted <= chrono::Duration::hours(1), "by at most the gap");
            }
        }

        #[test]
        fn a_schedule_split_in_two_windows_has_the_same_numbers_and_dates_as_in_one(
            which in 0u8..3,
            day_of_month in 1u32..=31,
            month in 1u32..=12,
            every in 1u32..90,
            start_offset in 0u64..3000,
            first in 0u64..800,
            second in 0u64..800,
            end_after in proptest::option::of(0u64..1500),
        ) {
            // Regenerating a schedule from a later day (as every due run does) must give each
            // date the number it had: the number is half of a charge's unique key.
            let frequency = match which {
                0 => Frequency::Monthly { day: day_of_month },
                1 => Frequency::Yearly { month, day: day_of_month.min(29) },
                _ => Frequency::EveryDays { days: every },
            };
            let start = day(2024, 1, 1) + Days::new(start_offset);
            let c = contract(frequency, start, end_after.map(|d| start + Days::new(d)));
            let split = start + Days::new(first);
            let last = split + Days::new(second);
            let whole = occurrences(&c, start, last).unwrap();
            let mut parts = occurrences(&c, start, split).unwrap();
            parts.extend(occurrences(&c, split + Days::new(1), last).unwrap());
            proptest::prop_assert_eq!(&parts, &whole);
            for (n, due) in &whole {
                proptest::prop_assert_eq!(nth_due(frequency, start, *n), Some(*due), "nth_due agrees");
                proptest::prop_assert!(*due >= start, "never before the start");
                if let Some(end) = c.end {
                    proptest::prop_assert!(*due <= end, "never after the end");
                }
            }
            for pair in whole.windows(2) {
                proptest::prop_assert_eq!(pair[1].0, pair[0].0 + 1, "numbers run without gaps");
                proptest::prop_assert!(pair[1].1 > pair[0].1, "dates strictly increase");
                if let Frequency::EveryDays { days } = frequency {
                    proptest::prop_assert_eq!((pair[1].1 - pair[0].1).num_days(), i64::from(days));
                }
            }
        }

        #[test]
        fn a_yearly_date_is_its_day_or_the_end_of_a_shorter_february(
            month in 1u32..=12,
            day_of_month in 1u32..=31,
            start_offset in 0u64..4000,
        ) {
            let start = day(2024, 1, 1) + Days::new(start_offset);
            let frequency = Frequency::Yearly { month, day: day_of_month };
            proptest::prop_assume!(frequency.validate().is_ok());
            let c = contract(frequency, start, None);
            let got = occurrences(&c, start, start + Days::new(366 * 8)).unwrap();
            proptest::prop_assert!(got.len() >= 7, "about one a year: {got:?}");
            for (_, due) in &got {
                proptest::prop_assert_eq!(due.month(), month);
                let month_len = clamped_day(due.year(), month, 31).unwrap().day();
                proptest::prop_assert_eq!(due.day(), day_of_month.min(month_len));
            }
        }
    }
}
