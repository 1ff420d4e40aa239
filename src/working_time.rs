//! When the company works: the hours of a working day, and the days that are none (weekends
//! and, when a German state is configured, its public holidays). Reminders fall inside them.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use holiday_de::GermanRegion;

use crate::local_time;

/// A German state by its official two-letter code, for its public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub code: &'static str,
    region: GermanRegion,
}

/// The codes of ISO 3166-2:DE without the country prefix.
const STATES: [(&str, GermanRegion); 16] = [
    ("BW", GermanRegion::BadenWuerttemberg),
    ("BY", GermanRegion::Bayern),
    ("BE", GermanRegion::Berlin),
    ("BB", GermanRegion::Brandenburg),
    ("HB", GermanRegion::Bremen),
    ("HH", GermanRegion::Hamburg),
    ("HE", GermanRegion::Hessen),
    ("MV", GermanRegion::MechlenburgVorpommern),
    ("NI", GermanRegion::Niedersachsen),
    ("NW", GermanRegion::NordrheinWestfalen),
    ("RP", GermanRegion::RheinlandPfalz),
    ("SL", GermanRegion::Saarland),
    ("SN", GermanRegion::Sachsen),
    ("ST", GermanRegion::SachsenAnhalt),
    ("SH", GermanRegion::SchleswigHolstein),
    ("TH", GermanRegion::Thueringen),
];

impl State {
    /// `BY`, `by` or `DE-BY`.
    pub fn parse(text: &str) -> Option<State> {
        let code = text.trim().to_ascii_uppercase();
        let code = code.strip_prefix("DE-").unwrap_or(&code);
        STATES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(code, region)| State {
                code,
                region: *region,
            })
    }

    pub fn codes() -> impl Iterator<Item = &'static str> {
        STATES.iter().map(|(code, _)| *code)
    }
}

/// The hours of a working day in the company's zone, `start` to `end`, and whose holidays count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingTime {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub holidays: Option<State>,
}

impl Default for WorkingTime {
    fn default() -> Self {
        WorkingTime {
            start: NaiveTime::from_hms_opt(9, 0, 0).expect("a time"),
            end: NaiveTime::from_hms_opt(17, 0, 0).expect("a time"),
            holidays: None,
        }
    }
}

/// Why hours like "17:00-09:00" cannot be working hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError(String);

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reminder goes at least this long before the working day ends, not in its last minutes.
const LAST_SLOT_BEFORE_END: Duration = Duration::hours(1);

impl WorkingTime {
    /// "09:00-17:00": at least two hours, within one day.
    pub fn parse_hours(text: &str) -> Result<(NaiveTime, NaiveTime), HoursError> {
        let wrong = || HoursError(format!("`{text}` is not a range like \"09:00-17:00\""));
        let (start, end) = text.split_once('-').ok_or_else(wrong)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| wrong());
        let (start, end) = (time(start)?, time(end)?);
        if end - start < Duration::hours(2) {
            return Err(HoursError(format!(
                "`{text}`: the working day must end at least two hours after it starts"
            )));
        }
        Ok((start, end))
    }

    /// Monday to Friday, and not a public holiday of the configured state.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let holiday = self
            .holidays
            .is_some_and(|state| state.region.is_holiday(day));
        weekday && !holiday
    }

    /// `at` moved into working time: a day off moves back to the last working day before it,
    /// and the clock time is kept within `start` and an hour before `end`. `None` when no
    /// working day lies within two weeks before (a configuration that leaves none).
    pub fn place(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        let mut day = local.date_naive();
        let mut searched = 0;
        while !self.is_working_day(day) {
            if searched == 14 {
                return None;
            }
            day = day.pred_opt()?;
            searched += 1;
        }
        let last = self.end - LAST_SLOT_BEFORE_END;
        let time = local.time().clamp(self.start, last);
        local_time::resolve_for_schedule(day.and_time(time), tz)
    }

    /// The day of `at` in `tz`.
    pub fn day_of(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
        at.with_timezone(&tz).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        BERLIN
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn hours_are_a_range_of_at_least_two_hours() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            WorkingTime::parse_hours("09:00-17:00"),
            Ok((t(9, 0), t(17, 0)))
        );
        assert_eq!(
            WorkingTime::parse_hours(" 7:30 - 16:15 "),
            Ok((t(7, 30), t(16, 15)))
        );
        for wrong in [
            "17:00-09:00",
            "09:00-10:30",
            "9-17",
            "09:00",
            "25:00-26:00",
            "",
        ] {
            assert!(WorkingTime::parse_hours(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn states_are_read_by_their_codes() {
        assert_eq!(State::parse("by").map(|s| s.code), Some("BY"));
        assert_eq!(State::parse("DE-NW").map(|s| s.code), Some("NW"));
        assert_eq!(State::parse("Bayern"), None);
        assert_eq!(State::codes().count(), 16);
    }

    #[test]
    fn weekends_and_the_states_holidays_are_no_working_days() {
        let plain = WorkingTime::default();
        let day = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        assert!(plain.is_working_day(day(1, 6)), "Epiphany, Wednesday");
        assert!(!plain.is_working_day(day(1, 9)), "Saturday");
        assert!(!plain.is_working_day(day(1, 10)), "Sunday");
        let bavaria = WorkingTime {
            holidays: State::parse("BY"),
            ..plain
        };
        assert!(
            !bavaria.is_working_day(day(1, 6)),
            "Heilige Drei Könige in Bayern"
        );
        let hamburg = WorkingTime {
            holidays: State::parse("HH"),
            ..plain
        };
        assert!(
            hamburg.is_working_day(day(1, 6)),
            "a working day in Hamburg"
        );
        let unity = NaiveDate::from_ymd_opt(2028, 10, 3).unwrap();
        assert!(
            !hamburg.is_working_day(unity),
            "Tag der Deutschen Einheit, a Tuesday"
        );
        assert!(
            plain.is_working_day(unity),
            "holidays count only with a state"
        );
    }

    #[test]
    fn a_moment_off_hours_moves_into_the_working_day() {
        let hours = WorkingTime::default();
        // Early morning: to the start of that day.
        assert_eq!(
            hours.place(berlin(2026, 12, 10, 4, 38), BERLIN),
            Some(berlin(2026, 12, 10, 9, 0))
        );
        // Evening: to an hour before the end of that day.
        assert_eq!(
            hours.place(berlin(2026, 12, 10, 21, 0), BERLIN),
            Some(berlin(2026, 12, 10, 16, 0))
        );
        // Within hours: where it was.
        assert_eq!(
            hours.place(berlin(2026, 12, 10, 11, 15), BERLIN),
            Some(berlin(2026, 12, 10, 11, 15))
        );
        // A Sunday: back to Friday.
        assert_eq!(
            hours.place(berlin(2026, 12, 13, 11, 15), BERLIN),
            Some(berlin(2026, 12, 11, 11, 15))
        );
        // Saturday 26 December, after Christmas on the Friday: back to Thursday 24 December.
        let bavaria = WorkingTime {
            holidays: State::parse("BY"),
            ..hours
        };
        assert_eq!(
            bavaria.place(berlin(2026, 12, 26, 10, 0), BERLIN),
            Some(berlin(2026, 12, 24, 10, 0))
        );
    }
}
