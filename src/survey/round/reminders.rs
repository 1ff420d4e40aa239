//! When a round reminds those who have not answered yet.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::working_time::WorkingTime;

/// Default reminders: halfway through the round and one day before it closes, each moved into
/// working time (`WorkingTime::place`: a weekend or holiday back to the working day before,
/// the clock time within working hours), at most one a day, and only while the round is open.
pub fn default_reminders(
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    tz: Tz,
    hours: &WorkingTime,
) -> Vec<DateTime<Utc>> {
    let candidates = [opens + (closes - opens) / 2, closes - Duration::days(1)];
    let mut reminders: Vec<DateTime<Utc>> = Vec::new();
    for candidate in candidates {
        let Some(placed) = hours.place(candidate, tz) else {
            continue;
        };
        let inside = placed > opens && placed < closes;
        let day = WorkingTime::day_of(placed, tz);
        let another_day = reminders.iter().all(|r| WorkingTime::day_of(*r, tz) != day);
        if inside && another_day {
            reminders.push(placed);
        }
    }
    reminders.sort();
    reminders
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn reminders_fall_halfway_and_a_day_before_closing_off_the_weekend() {
        // Monday to Monday two weeks later: halfway is a Monday; the day before closing is a
        // Sunday, which moves to the Friday before.
        let opens = berlin(2027, 3, 1, 9, 0);
        let closes = berlin(2027, 3, 15, 9, 0);
        let reminders = default_reminders(
            opens,
            closes,
            chrono_tz::Europe::Berlin,
            &WorkingTime::default(),
        );
        assert_eq!(
            reminders,
            vec![berlin(2027, 3, 8, 9, 0), berlin(2027, 3, 12, 9, 0)]
        );
    }

    #[test]
    fn a_saturday_evening_halfway_moves_to_friday_within_working_hours() {
        let opens = berlin(2027, 3, 4, 9, 0); // Thursday
        let closes = berlin(2027, 3, 9, 9, 0); // Tuesday
        let reminders = default_reminders(
            opens,
            closes,
            chrono_tz::Europe::Berlin,
            &WorkingTime::default(),
        );
        assert_eq!(
            reminders,
            vec![berlin(2027, 3, 5, 16, 0), berlin(2027, 3, 8, 9, 0)]
        );
    }

    #[test]
    fn a_reminder_moved_to_before_the_opening_is_dropped() {
        let opens = berlin(2027, 3, 5, 9, 0); // Friday
        let closes = berlin(2027, 3, 8, 9, 0); // Monday: the day before is Sunday → Friday 09:00
        let reminders = default_reminders(
            opens,
            closes,
            chrono_tz::Europe::Berlin,
            &WorkingTime::default(),
        );
        assert_eq!(reminders, vec![berlin(2027, 3, 5, 16, 0)]);
    }

    #[test]
    fn a_round_opened_in_the_afternoon_never_reminds_at_night() {
        // The case: seven days from Monday 16:37. Halfway is Friday 04:37, the day
        // before closing a Sunday afternoon: one reminder, Friday at the start of work.
        let opens = berlin(2026, 12, 7, 16, 37);
        let closes = berlin(2026, 12, 14, 16, 37);
        let hours = WorkingTime::default();
        let reminders = default_reminders(opens, closes, chrono_tz::Europe::Berlin, &hours);
        assert_eq!(reminders, vec![berlin(2026, 12, 11, 9, 0)]);
        // Working from 07:00 to 15:30, every reminder of a year of weekly rounds falls on a
        // working day within those hours.
        let early = WorkingTime {
            start: chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(15, 30, 0).unwrap(),
            holidays: crate::working_time::State::parse("BY"),
        };
        for week in 0..52 {
            for hour in [0, 6, 13, 22] {
                let opens = berlin(2027, 1, 4, hour, 10) + Duration::weeks(week);
                let closes = opens + Duration::days(7);
                for at in default_reminders(opens, closes, chrono_tz::Europe::Berlin, &early) {
                    let local = at.with_timezone(&chrono_tz::Europe::Berlin);
                    assert!(early.is_working_day(local.date_naive()), "{local}");
                    let time = local.time();
                    assert!(time >= early.start && time <= early.end, "{local}");
                    assert!(at > opens && at < closes, "{local}");
                }
            }
        }
    }

    #[test]
    fn reminders_stay_inside_a_short_round() {
        let opens = berlin(2027, 3, 1, 9, 0);
        let closes = berlin(2027, 3, 1, 17, 0);
        let reminders = default_reminders(
            opens,
            closes,
            chrono_tz::Europe::Berlin,
            &WorkingTime::default(),
        );
        assert_eq!(reminders, vec![berlin(2027, 3, 1, 13, 0)]);
    }
}
