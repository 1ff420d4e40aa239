//! When a round reminds those who have not answered yet.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use chrono_tz::Tz;

use crate::local_time::{self};

/// Default reminders: halfway through the round and one day before it closes, each moved from a
/// weekend to the Friday before (same clock time), and only while the round is open.
pub fn default_reminders(
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    tz: Tz,
) -> Vec<DateTime<Utc>> {
    let candidates = [opens + (closes - opens) / 2, closes - Duration::days(1)];
    let mut reminders: Vec<DateTime<Utc>> = Vec::new();
    for candidate in candidates {
        let moved = off_weekend(candidate, tz);
        let inside = moved > opens && moved < closes;
        let distinct = reminders
            .iter()
            .all(|r| (*r - moved).num_minutes().abs() >= 60);
        if inside && distinct {
            reminders.push(moved);
        }
    }
    reminders.sort();
    reminders
}

fn off_weekend(instant: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = instant.with_timezone(&tz);
    let back = match local.weekday() {
        Weekday::Sat => 1,
        Weekday::Sun => 2,
        _ => return instant,
    };
    let friday = local.date_naive() - Duration::days(back);
    local_time::resolve_for_schedule(friday.and_time(local.time()), tz)
        .unwrap_or(instant - Duration::days(back))
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
        let reminders = default_reminders(opens, closes, chrono_tz::Europe::Berlin);
        assert_eq!(
            reminders,
            vec![berlin(2027, 3, 8, 9, 0), berlin(2027, 3, 12, 9, 0)]
        );
    }

    #[test]
    fn a_saturday_halfway_moves_to_friday_at_the_same_clock_time() {
        let opens = berlin(2027, 3, 4, 9, 0); // Thursday
        let closes = berlin(2027, 3, 9, 9, 0); // Tuesday
        let reminders = default_reminders(opens, closes, chrono_tz::Europe::Berlin);
        assert_eq!(
            reminders,
            vec![berlin(2027, 3, 5, 21, 0), berlin(2027, 3, 8, 9, 0)]
        );
    }

    #[test]
    fn a_reminder_moved_to_before_the_opening_is_dropped() {
        let opens = berlin(2027, 3, 5, 9, 0); // Friday
        let closes = berlin(2027, 3, 8, 9, 0); // Monday: the day before is Sunday → Friday 09:00
        let reminders = default_reminders(opens, closes, chrono_tz::Europe::Berlin);
        assert_eq!(reminders, vec![berlin(2027, 3, 5, 21, 0)]);
    }

    #[test]
    fn reminders_stay_inside_a_short_round() {
        let opens = berlin(2027, 3, 1, 9, 0);
        let closes = berlin(2027, 3, 1, 17, 0);
        let reminders = default_reminders(opens, closes, chrono_tz::Europe::Berlin);
        assert_eq!(reminders, vec![berlin(2027, 3, 1, 13, 0)]);
    }
}
