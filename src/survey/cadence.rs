//! The rhythm of a recurring survey schedule, and the dates it yields.
//!
//! Occurrences are wall-clock times in the company time zone, converted to UTC by one rule for
//! all three kinds (DECISIONS.md): a time in the spring gap moves to the first valid instant
//! after the gap, a time in the autumn fold means its first occurrence. croner applies this rule
//! to cron expressions; `local_time::resolve_for_schedule` applies it to the weekly and monthly
//! kinds, so all three agree.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::local_time;
use crate::problem::Problem;

/// The longest weekly interval: beyond a year a pulse stops being a pulse.
pub const MAX_EVERY_WEEKS: u32 = 52;

/// How many upcoming occurrences `validate` checks for overlapping rounds.
pub const OVERLAP_CHECK_OCCURRENCES: usize = 60;

/// A cron expression must fire within this many months to be accepted.
const CRON_HORIZON_MONTHS: u32 = 60;

/// The rhythm of a schedule. All times are wall-clock times in the company time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cadence {
    /// Every N weeks on a weekday at a local time, counted from the week of `start`
    /// (weeks begin on Monday). No occurrence falls before `start`.
    Weekly {
        #[serde(deserialize_with = "crate::whole_number::whole")]
        #[schema(minimum = 1, maximum = 52)]
        every_weeks: u32,
        #[serde(with = "weekday_code")]
        #[schema(value_type = String, example = "mon", pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
        weekday: Weekday,
        #[serde(with = "hours_minutes")]
        #[schema(value_type = String, example = "09:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
        time: NaiveTime,
        start: NaiveDate,
    },
    /// Monthly on the first/second/third/fourth/last weekday, e.g. first Monday 09:00.
    Monthly {
        ordinal: Ordinal,
        #[serde(with = "weekday_code")]
        #[schema(value_type = String, example = "mon", pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
        weekday: Weekday,
        #[serde(with = "hours_minutes")]
        #[schema(value_type = String, example = "09:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
        time: NaiveTime,
    },
    /// A 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 9 * * MON".
    Cron { expression: String },
}

/// Which weekday of the month a monthly schedule takes. There is no "fifth": not every month
/// has one, and a schedule that skips months would surprise HR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ordinal {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

/// Why a cadence (with its round duration) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CadenceError {
    #[error(
        "a schedule repeats every 1 to {MAX_EVERY_WEEKS} weeks, not every {every_weeks}; choose a number in that range"
    )]
    EveryWeeksOutOfRange { every_weeks: u32 },
    #[error("the time must be whole minutes (HH:MM), not {time}")]
    TimeNotWholeMinutes { time: NaiveTime },
    #[error(
        "\"{expression}\" is not a valid cron expression ({reason}); use five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * MON\""
    )]
    InvalidCron { expression: String, reason: String },
    #[error(
        "the cron expression \"{expression}\" never fires in the next 5 years; check its day-of-month and month fields"
    )]
    CronNeverFires { expression: String },
    #[error("this schedule has no upcoming date; check its start date")]
    NoOccurrence,
    #[error("a round must last longer than zero")]
    NonPositiveDuration,
    #[error(
        "rounds would overlap: the round opening {} would still be open when the next one opens {} ({} later); make rounds shorter than that or space them further apart",
        local_time::format_local_with_zone(*.opens, *.zone),
        local_time::format_local_with_zone(*.next_opens, *.zone),
        describe_span(*.apart)
    )]
    Overlap {
        opens: DateTime<Utc>,
        next_opens: DateTime<Utc>,
        zone: Tz,
        apart: TimeDelta,
    },
    #[error(
        "the schedule fires more than once on {date}; at most one round can open per day, so choose a cadence with one time per day"
    )]
    SeveralPerDay { date: NaiveDate },
}

impl CadenceError {
    /// What is wrong, to be said in the reader's language.
    pub fn problem(&self) -> Problem {
        match self {
            CadenceError::EveryWeeksOutOfRange { every_weeks } => {
                Problem::new("problem_cadence_every_weeks")
                    .arg("max", MAX_EVERY_WEEKS)
                    .arg("every", every_weeks)
            }
            CadenceError::TimeNotWholeMinutes { time } => {
                Problem::new("problem_cadence_whole_minutes").arg("time", time)
            }
            CadenceError::InvalidCron { expression, reason } => {
                Problem::new("problem_cadence_invalid_cron")
                    .arg("expression", expression)
                    .arg("reason", reason)
            }
            CadenceError::CronNeverFires { expression } => {
                Problem::new("problem_cadence_cron_never").arg("expression", expression)
            }
            CadenceError::NoOccurrence => Problem::new("problem_cadence_no_occurrence"),
            CadenceError::NonPositiveDuration => Problem::new("problem_duration_not_positive"),
            CadenceError::Overlap {
                opens,
                next_opens,
                zone,
                apart,
            } => {
                let minutes = apart.num_minutes();
                let span = Problem::new("span_days_hours_minutes")
                    .arg("d", minutes / (24 * 60))
                    .arg("h", minutes % (24 * 60) / 60)
                    .arg("m", minutes % 60);
                Problem::new("problem_cadence_overlap")
                    .moment("opens", *opens, *zone)
                    .moment("next", *next_opens, *zone)
                    .cause("apart", span)
            }
            CadenceError::SeveralPerDay { date } => {
                Problem::new("problem_cadence_several_per_day").day("date", *date)
            }
        }
    }
}

impl Cadence {
    /// Checks the cadence and that rounds of `duration` end before the next one opens, from now.
    pub fn validate(&self, tz: Tz, duration: TimeDelta) -> Result<(), CadenceError> {
        self.validate_at(tz, duration, Utc::now())
    }

    /// `validate` as seen at `now`; tests and previews pass a fixed instant.
    pub fn validate_at(
        &self,
        tz: Tz,
        duration: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<(), CadenceError> {
        self.validate_shape()?;
        if duration <= TimeDelta::zero() {
            return Err(CadenceError::NonPositiveDuration);
        }
        self.check_fires_soon(now, tz)?;
        let occurrences = self.upcoming(now, tz, OVERLAP_CHECK_OCCURRENCES);
        occurrences
            .windows(2)
            .try_for_each(|pair| check_spacing(pair[0], pair[1], duration, tz))
    }

    /// The first occurrence strictly after `after`; `None` for an invalid cadence or when
    /// there is none left (at the far end of the calendar).
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Cadence::Weekly {
                every_weeks,
                weekday,
                time,
                start,
            } => weekly_next(*every_weeks, *weekday, *time, *start, after, tz),
            Cadence::Monthly {
                ordinal,
                weekday,
                time,
            } => monthly_next(*ordinal, *weekday, *time, after, tz),
            Cadence::Cron { expression } => cron_next(&parse_cron(expression).ok()?, after, tz),
        }
    }

    /// The next `n` occurrences after `after`, in order; fewer when the cadence runs out.
    pub fn upcoming(&self, after: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        match self {
            // Parsed once: a cron expression is read again for every occurrence otherwise.
            Cadence::Cron { expression } => match parse_cron(expression) {
                Ok(cron) => successors(|at| cron_next(&cron, at, tz), after, n),
                Err(_) => Vec::new(),
            },
            _ => successors(|at| self.next_after(at, tz), after, n),
        }
    }

    /// The period an occurrence belongs to: its local date. Unique per schedule, so a round is
    /// never created twice for the same occurrence; `validate` refuses cadences that fire twice
    /// on one day.
    pub fn period_key(&self, occurrence: DateTime<Utc>, tz: Tz) -> String {
        local_date(occurrence, tz).format("%Y-%m-%d").to_string()
    }

    /// A short text for people: "every 4 weeks on Monday at 09:00".
    pub fn describe(&self, locale: Locale) -> String {
        match self {
            Cadence::Weekly {
                every_weeks,
                weekday,
                time,
                ..
            } => describe_weekly(*every_weeks, *weekday, *time, locale),
            Cadence::Monthly {
                ordinal,
                weekday,
                time,
            } => describe_monthly(*ordinal, *weekday, *time, locale),
            Cadence::Cron { expression } => format!("Cron: {}", expression.trim()),
        }
    }

    /// The checks that need no calendar: ranges, whole minutes, a readable cron expression.
    fn validate_shape(&self) -> Result<(), CadenceError> {
        match self {
            Cadence::Weekly {
                every_weeks, time, ..
            } => {
                if !(1..=MAX_EVERY_WEEKS).contains(every_weeks) {
                    return Err(CadenceError::EveryWeeksOutOfRange {
                        every_weeks: *every_weeks,
                    });
                }
                check_whole_minutes(*time)
            }
            Cadence::Monthly { time, .. } => check_whole_minutes(*time),
            Cadence::Cron { expression } => parse_cron(expression).map(|_| ()),
        }
    }

    fn check_fires_soon(&self, now: DateTime<Utc>, tz: Tz) -> Result<(), CadenceError> {
        let next = self.next_after(now, tz);
        match self {
            Cadence::Cron { expression } => {
                // A horizon past the calendar's end means any occurrence is soon enough.
                let horizon = now.checked_add_months(Months::new(CRON_HORIZON_MONTHS));
                let soon = next.is_some_and(|at| horizon.is_none_or(|limit| at <= limit));
                if soon {
                    Ok(())
                } else {
                    Err(CadenceError::CronNeverFires {
                        expression: expression.trim().to_owned(),
                    })
                }
            }
            _ => next.map(|_| ()).ok_or(CadenceError::NoOccurrence),
        }
    }
}

impl Ordinal {
    /// The n of "n-th weekday of the month"; `None` for the last one, which counts from the end.
    fn nth(self) -> Option<u8> {
        match self {
            Ordinal::First => Some(1),
            Ordinal::Second => Some(2),
            Ordinal::Third => Some(3),
            Ordinal::Fourth => Some(4),
            Ordinal::Last => None,
        }
    }
}

fn check_whole_minutes(time: NaiveTime) -> Result<(), CadenceError> {
    // HR types minutes and cron counts minutes; seconds would also be lost in the "HH:MM" form.
    if time.second() == 0 && time.nanosecond() == 0 {
        Ok(())
    } else {
        Err(CadenceError::TimeNotWholeMinutes { time })
    }
}

/// Refuses two consecutive occurrences whose rounds would overlap or share a period key.
fn check_spacing(
    opens: DateTime<Utc>,
    next_opens: DateTime<Utc>,
    duration: TimeDelta,
    tz: Tz,
) -> Result<(), CadenceError> {
    let apart = next_opens - opens;
    if apart <= duration {
        return Err(CadenceError::Overlap {
            opens,
            next_opens,
            zone: tz,
            apart,
        });
    }
    if local_date(opens, tz) == local_date(next_opens, tz) {
        return Err(CadenceError::SeveralPerDay {
            date: local_date(opens, tz),
        });
    }
    Ok(())
}

/// "6 days 23 hours": a span as people read it, to the minute.
fn describe_span(span: TimeDelta) -> String {
    let parts = [
        (span.num_days(), "day"),
        (span.num_hours() % 24, "hour"),
        (span.num_minutes() % 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(count, _)| *count != 0)
        .map(|(count, unit)| match count {
            1 => format!("1 {unit}"),
            _ => format!("{count} {unit}s"),
        })
        .collect();
    if words.is_empty() {
        "less than a minute".to_owned()
    } else {
        words.join(" ")
    }
}

/// Follows `next` from `after` for up to `n` steps, stopping early when it runs out.
fn successors(
    next: impl Fn(DateTime<Utc>) -> Option<DateTime<Utc>>,
    after: DateTime<Utc>,
    n: usize,
) -> Vec<DateTime<Utc>> {
    std::iter::successors(next(after), |at| next(*at))
        .take(n)
        .collect()
}

fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first local date worth trying for an occurrence after `after`. One day of slack: a
/// wall-clock time moved forward out of a gap can lie on the day after its own date.
fn search_from(after: DateTime<Utc>, tz: Tz) -> Option<NaiveDate> {
    local_date(after, tz).pred_opt()
}

fn weekly_next(
    every_weeks: u32,
    weekday: Weekday,
    time: NaiveTime,
    start: NaiveDate,
    after: DateTime<Utc>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let period = u64::from(every_weeks)
        .checked_mul(7)
        .filter(|days| *days > 0)?;
    let first = first_weekly_date(start, weekday, period)?;
    let mut date = first_aligned_on_or_after(first, period, search_from(after, tz)?)?;
    // Dates only grow, so this ends at the first instant past `after` (or at the calendar's
    // end, where `?` returns `None`).
    loop {
        let at = local_time::resolve_for_schedule(date.and_time(time), tz)?;
        if at > after {
            return Some(at);
        }
        date = date.checked_add_days(Days::new(period))?;
    }
}

/// The weekday in the week of `start`, or one period later when that day lies before `start`:
/// the rhythm counts from the start week, but nothing happens before the start date.
fn first_weekly_date(start: NaiveDate, weekday: Weekday, period: u64) -> Option<NaiveDate> {
    let monday =
        start.checked_sub_days(Days::new(u64::from(start.weekday().num_days_from_monday())))?;
    let in_start_week =
        monday.checked_add_days(Days::new(u64::from(weekday.num_days_from_monday())))?;
    if in_start_week >= start {
        Some(in_start_week)
    } else {
        in_start_week.checked_add_days(Days::new(period))
    }
}

/// The first date `first + k × period` (k ≥ 0) on or after `from`.
fn first_aligned_on_or_after(first: NaiveDate, period: u64, from: NaiveDate) -> Option<NaiveDate> {
    if from <= first {
        return Some(first);
    }
    let behind = u64::try_from((from - first).num_days()).ok()?;
    let steps = behind.div_ceil(period);
    first.checked_add_days(Days::new(steps.checked_mul(period)?))
}

fn monthly_next(
    ordinal: Ordinal,
    weekday: Weekday,
    time: NaiveTime,
    after: DateTime<Utc>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let from = search_from(after, tz)?;
    let mut month = from.with_day(1)?;
    loop {
        let date = weekday_of_month(month, ordinal, weekday)?;
        if date >= from {
            let at = local_time::resolve_for_schedule(date.and_time(time), tz)?;
            if at > after {
                return Some(at);
            }
        }
        month = month.checked_add_months(Months::new(1))?;
    }
}

/// The `ordinal` `weekday` of the month that begins on `first_of_month`.
fn weekday_of_month(
    first_of_month: NaiveDate,
    ordinal: Ordinal,
    weekday: Weekday,
) -> Option<NaiveDate> {
    match ordinal.nth() {
        Some(n) => NaiveDate::from_weekday_of_month_opt(
            first_of_month.year(),
            first_of_month.month(),
            weekday,
            n,
        ),
        None => {
            let last_day = first_of_month
                .checked_add_months(Months::new(1))?
                .pred_opt()?;
            let back = (last_day.weekday().num_days_from_monday() + 7
                - weekday.num_days_from_monday())
                % 7;
            last_day.checked_sub_days(Days::new(u64::from(back)))
        }
    }
}

/// Reads a cron expression with exactly five fields: seconds and years are not part of a
/// schedule's rhythm, and a sixth field would silently shift the meaning of the others.
fn parse_cron(expression: &str) -> Result<Cron, CadenceError> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression)
        .map_err(|error| CadenceError::InvalidCron {
            expression: expression.trim().to_owned(),
            reason: error.to_string(),
        })
}

fn cron_next(cron: &Cron, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    cron.find_next_occurrence(&after.with_timezone(&tz), false)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

fn describe_weekly(every_weeks: u32, weekday: Weekday, time: NaiveTime, locale: Locale) -> String {
    let at = time.format("%H:%M");
    match (locale, every_weeks) {
        (Locale::De, 1) => format!("wöchentlich {} um {at}", german_weekday_adverb(weekday)),
        (Locale::De, n) => format!("alle {n} Wochen {} um {at}", german_weekday_adverb(weekday)),
        (Locale::En, 1) => format!("every week on {} at {at}", english_weekday(weekday)),
        (Locale::En, n) => format!("every {n} weeks on {} at {at}", english_weekday(weekday)),
    }
}

fn describe_monthly(ordinal: Ordinal, weekday: Weekday, time: NaiveTime, locale: Locale) -> String {
    let at = time.format("%H:%M");
    match locale {
        Locale::De => format!(
            "monatlich am {} {} um {at}",
            german_ordinal(ordinal),
            german_weekday(weekday)
        ),
        Locale::En => format!(
            "monthly on the {} {} at {at}",
            english_ordinal(ordinal),
            english_weekday(weekday)
        ),
    }
}

fn english_weekday(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn german_weekday(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Montag",
        Weekday::Tue => "Dienstag",
        Weekday::Wed => "Mittwoch",
        Weekday::Thu => "Donnerstag",
        Weekday::Fri => "Freitag",
        Weekday::Sat => "Samstag",
        Weekday::Sun => "Sonntag",
    }
}

/// "montags": German says "on Mondays" with an adverb.
fn german_weekday_adverb(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "montags",
        Weekday::Tue => "dienstags",
        Weekday::Wed => "mittwochs",
        Weekday::Thu => "donnerstags",
        Weekday::Fri => "freitags",
        Weekday::Sat => "samstags",
        Weekday::Sun => "sonntags",
    }
}

fn english_ordinal(ordinal: Ordinal) -> &'static str {
    match ordinal {
        Ordinal::First => "first",
        Ordinal::Second => "second",
        Ordinal::Third => "third",
        Ordinal::Fourth => "fourth",
        Ordinal::Last => "last",
    }
}

/// Dative after "am": "am ersten Montag".
fn german_ordinal(ordinal: Ordinal) -> &'static str {
    match ordinal {
        Ordinal::First => "ersten",
        Ordinal::Second => "zweiten",
        Ordinal::Third => "dritten",
        Ordinal::Fourth => "vierten",
        Ordinal::Last => "letzten",
    }
}

/// Weekdays as "mon" … "sun" in JSON; reading also takes full English names in any case.
mod weekday_code {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(weekday: &Weekday, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(code(*weekday))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim().parse::<Weekday>().map_err(|_| {
            D::Error::custom(format!(
                "unknown weekday \"{text}\"; use mon, tue, wed, thu, fri, sat or sun"
            ))
        })
    }

    fn code(weekday: Weekday) -> &'static str {
        match weekday {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }
}

/// Times of day as "HH:MM" in JSON, the form HR types and an HTML time input sends.
mod hours_minutes {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    const FORMAT: &str = "%H:%M";

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(text.trim(), FORMAT).map_err(|_| {
            D::Error::custom(format!("invalid time \"{text}\"; use HH:MM, e.g. 09:00"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    fn hm(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).expect("test time")
    }

    fn weekly(every_weeks: u32, weekday: Weekday, time: NaiveTime, start: &str) -> Cadence {
        Cadence::Weekly {
            every_weeks,
            weekday,
            time,
            start: date(start),
        }
    }

    fn monthly(ordinal: Ordinal, weekday: Weekday, time: NaiveTime) -> Cadence {
        Cadence::Monthly {
            ordinal,
            weekday,
            time,
        }
    }

    fn cron(expression: &str) -> Cadence {
        Cadence::Cron {
            expression: expression.to_owned(),
        }
    }

    fn local_texts(occurrences: &[DateTime<Utc>]) -> Vec<String> {
        occurrences
            .iter()
            .map(|at| local_time::format_local(*at, Berlin))
            .collect()
    }

    /// 2027-01-01 00:00 in Berlin, just before the year these tests walk through.
    fn new_year_2027() -> DateTime<Utc> {
        utc("2026-12-31T23:00:00Z")
    }

    fn days(n: i64) -> TimeDelta {
        TimeDelta::days(n)
    }

    // --- occurrences across daylight saving time -------------------------------------------

    #[test]
    fn weekly_monday_keeps_nine_local_across_both_dst_changes() {
        let cadence = weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04");
        let around_spring = cadence.upcoming(utc("2027-03-20T00:00:00Z"), Berlin, 2);
        assert_eq!(
            around_spring,
            vec![utc("2027-03-22T08:00:00Z"), utc("2027-03-29T07:00:00Z")]
        );
        let around_autumn = cadence.upcoming(utc("2027-10-24T00:00:00Z"), Berlin, 2);
        assert_eq!(
            around_autumn,
            vec![utc("2027-10-25T07:00:00Z"), utc("2027-11-01T08:00:00Z")]
        );
        let year = cadence.upcoming(new_year_2027(), Berlin, 52);
        assert!(
            local_texts(&year)
                .iter()
                .all(|text| text.ends_with(" 09:00")),
            "{year:?}"
        );
    }

    #[test]
    fn weekly_sunday_half_past_two_moves_out_of_the_gap_and_takes_the_first_of_the_fold() {
        let cadence = weekly(1, Weekday::Sun, hm(2, 30), "2027-01-03");
        let spring = cadence.upcoming(utc("2027-03-20T00:00:00Z"), Berlin, 3);
        assert_eq!(
            spring,
            vec![
                utc("2027-03-21T01:30:00Z"),
                // 02:30 does not exist on 2027-03-28: the first valid instant, 03:00 CEST.
                utc("2027-03-28T01:00:00Z"),
                utc("2027-04-04T00:30:00Z"),
            ]
        );
        assert_eq!(
            local_texts(&spring),
            ["2027-03-21 02:30", "2027-03-28 03:00", "2027-04-04 02:30"]
        );
        let autumn = cadence.upcoming(utc("2027-10-25T00:00:00Z"), Berlin, 2);
        assert_eq!(
            autumn,
            // 02:30 happens twice on 2027-10-31: the first one, still in summer time.
            vec![utc("2027-10-31T00:30:00Z"), utc("2027-11-07T01:30:00Z")]
        );
    }

    #[test]
    fn after_the_first_half_of_the_fold_the_second_half_is_skipped() {
        let cadence = weekly(1, Weekday::Sun, hm(2, 30), "2027-01-03");
        let between = utc("2027-10-31T01:00:00Z");
        assert_eq!(
            cadence.next_after(between, Berlin),
            Some(utc("2027-11-07T01:30:00Z"))
        );
    }

    #[test]
    fn cron_agrees_with_weekly_monday_over_a_year() {
        let by_cron = cron("0 9 * * MON").upcoming(new_year_2027(), Berlin, 53);
        let by_week =
            weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04").upcoming(new_year_2027(), Berlin, 53);
        assert_eq!(by_cron.len(), 53);
        assert_eq!(by_cron, by_week);
    }

    #[test]
    fn cron_agrees_with_weekly_in_the_gap_and_the_fold() {
        let by_cron = cron("30 2 * * SUN").upcoming(new_year_2027(), Berlin, 53);
        let by_week =
            weekly(1, Weekday::Sun, hm(2, 30), "2027-01-03").upcoming(new_year_2027(), Berlin, 53);
        assert_eq!(by_cron, by_week);
        assert!(by_cron.contains(&utc("2027-03-28T01:00:00Z")));
        assert!(by_cron.contains(&utc("2027-10-31T00:30:00Z")));
        assert!(!by_cron.contains(&utc("2027-10-31T01:30:00Z")));
    }

    #[test]
    fn cron_agrees_with_monthly_first_monday_and_last_friday() {
        let pairs = [
            (
                "0 9 * * MON#1",
                monthly(Ordinal::First, Weekday::Mon, hm(9, 0)),
            ),
            (
                "0 9 * * 3#3",
                monthly(Ordinal::Third, Weekday::Wed, hm(9, 0)),
            ),
            (
                "0 17 * * 5#L",
                monthly(Ordinal::Last, Weekday::Fri, hm(17, 0)),
            ),
            (
                "30 2 * * 0#L",
                monthly(Ordinal::Last, Weekday::Sun, hm(2, 30)),
            ),
        ];
        for (expression, cadence) in pairs {
            assert_eq!(
                cron(expression).upcoming(new_year_2027(), Berlin, 24),
                cadence.upcoming(new_year_2027(), Berlin, 24),
                "{expression}"
            );
        }
    }

    // --- monthly ------------------------------------------------------------------------------

    #[test]
    fn monthly_first_monday_over_a_year() {
        let cadence = monthly(Ordinal::First, Weekday::Mon, hm(9, 0));
        let year = cadence.upcoming(new_year_2027(), Berlin, 12);
        assert_eq!(
            local_texts(&year),
            [
                "2027-01-04 09:00",
                "2027-02-01 09:00",
                "2027-03-01 09:00",
                "2027-04-05 09:00",
                "2027-05-03 09:00",
                "2027-06-07 09:00",
                "2027-07-05 09:00",
                "2027-08-02 09:00",
                "2027-09-06 09:00",
                "2027-10-04 09:00",
                "2027-11-01 09:00",
                "2027-12-06 09:00",
            ]
        );
        assert_eq!(year[2], utc("2027-03-01T08:00:00Z"));
        assert_eq!(year[3], utc("2027-04-05T07:00:00Z"));
    }

    #[test]
    fn monthly_last_friday_over_a_year() {
        let cadence = monthly(Ordinal::Last, Weekday::Fri, hm(14, 30));
        let year = cadence.upcoming(new_year_2027(), Berlin, 12);
        assert_eq!(
            local_texts(&year),
            [
                "2027-01-29 14:30",
                "2027-02-26 14:30",
                "2027-03-26 14:30",
                "2027-04-30 14:30",
                "2027-05-28 14:30",
                "2027-06-25 14:30",
                "2027-07-30 14:30",
                "2027-08-27 14:30",
                "2027-09-24 14:30",
                "2027-10-29 14:30",
                "2027-11-26 14:30",
                "2027-12-31 14:30",
            ]
        );
    }

    #[test]
    fn monthly_fourth_weekday_exists_in_february() {
        let cadence = monthly(Ordinal::Fourth, Weekday::Sun, hm(10, 0));
        assert_eq!(
            cadence.next_after(utc("2027-02-01T00:00:00Z"), Berlin),
            Some(utc("2027-02-28T09:00:00Z"))
        );
    }

    #[test]
    fn monthly_on_the_day_itself_waits_for_the_time() {
        let cadence = monthly(Ordinal::First, Weekday::Mon, hm(9, 0));
        assert_eq!(
            cadence.next_after(utc("2027-03-01T07:59:00Z"), Berlin),
            Some(utc("2027-03-01T08:00:00Z"))
        );
        assert_eq!(
            cadence.next_after(utc("2027-03-01T08:00:00Z"), Berlin),
            Some(utc("2027-04-05T07:00:00Z"))
        );
    }

    #[test]
    fn monthly_last_sunday_moves_out_of_the_gap() {
        let cadence = monthly(Ordinal::Last, Weekday::Sun, hm(2, 30));
        assert_eq!(
            cadence.next_after(utc("2027-03-01T00:00:00Z"), Berlin),
            Some(utc("2027-03-28T01:00:00Z"))
        );
        assert_eq!(
            cadence.next_after(utc("2027-10-01T00:00:00Z"), Berlin),
            Some(utc("2027-10-31T00:30:00Z"))
        );
    }

    // --- weekly rhythm ------------------------------------------------------------------------

    #[test]
    fn every_two_weeks_counts_from_the_start_week() {
        // The start is a Wednesday; its week begins on Monday 2027-01-04.
        let cadence = weekly(2, Weekday::Fri, hm(9, 0), "2027-01-06");
        let dates = local_texts(&cadence.upcoming(new_year_2027(), Berlin, 4));
        assert_eq!(
            dates,
            [
                "2027-01-08 09:00",
                "2027-01-22 09:00",
                "2027-02-05 09:00",
                "2027-02-19 09:00"
            ]
        );
        // Asked from the middle of the rhythm, the same weeks come out.
        let later = local_texts(&cadence.upcoming(utc("2027-01-10T12:00:00Z"), Berlin, 2));
        assert_eq!(later, ["2027-01-22 09:00", "2027-02-05 09:00"]);
    }

    #[test]
    fn weekday_before_the_start_in_its_week_waits_a_whole_period() {
        // Monday of the start week lies before the Wednesday start: the next rhythm week counts.
        let cadence = weekly(2, Weekday::Mon, hm(9, 0), "2027-01-06");
        let dates = local_texts(&cadence.upcoming(new_year_2027(), Berlin, 2));
        assert_eq!(dates, ["2027-01-18 09:00", "2027-02-01 09:00"]);
    }

    #[test]
    fn weekly_never_fires_before_its_start() {
        let cadence = weekly(4, Weekday::Mon, hm(9, 0), "2027-06-07");
        assert_eq!(
            cadence.next_after(new_year_2027(), Berlin),
            Some(utc("2027-06-07T07:00:00Z"))
        );
    }

    #[test]
    fn every_four_weeks_keeps_the_rhythm_over_a_year() {
        let cadence = weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04");
        let dates = cadence.upcoming(new_year_2027(), Berlin, 14);
        assert_eq!(dates.len(), 14);
        for pair in dates.windows(2) {
            let gap_days = (local_date(pair[1], Berlin) - local_date(pair[0], Berlin)).num_days();
            assert_eq!(gap_days, 28);
        }
        assert_eq!(local_date(dates[13], Berlin), date("2028-01-03"));
    }

    #[test]
    fn next_after_is_strictly_after() {
        let cadence = weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04");
        let occurrence = utc("2027-03-01T08:00:00Z");
        assert_eq!(
            cadence.next_after(occurrence - TimeDelta::seconds(1), Berlin),
            Some(occurrence)
        );
        assert_eq!(
            cadence.next_after(occurrence, Berlin),
            Some(utc("2027-03-08T08:00:00Z"))
        );
        let by_cron = cron("0 9 * * MON");
        assert_eq!(
            by_cron.next_after(occurrence - TimeDelta::milliseconds(1), Berlin),
            Some(occurrence)
        );
        assert_eq!(
            by_cron.next_after(occurrence, Berlin),
            Some(utc("2027-03-08T08:00:00Z"))
        );
    }

    #[test]
    fn upcoming_gives_n_increasing_occurrences() {
        for cadence in [
            weekly(3, Weekday::Thu, hm(11, 15), "2027-02-01"),
            monthly(Ordinal::Second, Weekday::Tue, hm(8, 0)),
            cron("0 9 1 * *"),
        ] {
            let dates = cadence.upcoming(new_year_2027(), Berlin, 30);
            assert_eq!(dates.len(), 30, "{cadence:?}");
            assert!(
                dates.windows(2).all(|pair| pair[0] < pair[1]),
                "{cadence:?}"
            );
            assert!(dates[0] > new_year_2027());
        }
    }

    #[test]
    fn invalid_cadences_have_no_occurrences() {
        assert_eq!(cron("not cron").next_after(new_year_2027(), Berlin), None);
        assert!(
            cron("not cron")
                .upcoming(new_year_2027(), Berlin, 3)
                .is_empty()
        );
        let never_weekly = weekly(0, Weekday::Mon, hm(9, 0), "2027-01-04");
        assert_eq!(never_weekly.next_after(new_year_2027(), Berlin), None);
    }

    #[test]
    fn the_end_of_the_calendar_does_not_panic() {
        let end = NaiveDate::MAX
            .and_hms_opt(0, 0, 0)
            .expect("valid")
            .and_utc();
        for cadence in [
            weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04"),
            monthly(Ordinal::Last, Weekday::Fri, hm(9, 0)),
            cron("0 9 * * MON"),
        ] {
            // At most what is left of the last week, and nothing after the calendar ends.
            let left = cadence.upcoming(end, Berlin, 3);
            assert!(left.len() <= 1, "{cadence:?}: {left:?}");
            assert!(left.iter().all(|at| *at > end));
        }
        let late_start = Cadence::Weekly {
            every_weeks: 52,
            weekday: Weekday::Sun,
            time: hm(9, 0),
            start: NaiveDate::MAX,
        };
        assert_eq!(late_start.next_after(new_year_2027(), Berlin), None);
    }

    // --- period keys --------------------------------------------------------------------------

    #[test]
    fn period_key_is_the_local_date() {
        let cadence = weekly(1, Weekday::Mon, hm(0, 30), "2027-01-04");
        // 2027-03-01 00:30 in Berlin is still 2027-02-28 in UTC.
        let occurrence = utc("2027-02-28T23:30:00Z");
        assert_eq!(
            cadence.next_after(utc("2027-02-28T00:00:00Z"), Berlin),
            Some(occurrence)
        );
        assert_eq!(cadence.period_key(occurrence, Berlin), "2027-03-01");
    }

    #[test]
    fn period_keys_of_a_year_are_distinct() {
        let cadence = cron("0 9 * * MON,THU");
        let dates = cadence.upcoming(new_year_2027(), Berlin, 104);
        let mut keys: Vec<String> = dates
            .iter()
            .map(|at| cadence.period_key(*at, Berlin))
            .collect();
        keys.dedup();
        assert_eq!(keys.len(), 104);
    }

    // --- validation ---------------------------------------------------------------------------

    #[test]
    fn validate_accepts_rounds_that_end_before_the_next() {
        let now = new_year_2027();
        weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04")
            .validate_at(Berlin, days(14), now)
            .expect("four-weekly, two-week rounds");
        monthly(Ordinal::First, Weekday::Mon, hm(9, 0))
            .validate_at(Berlin, days(27), now)
            .expect("monthly, 27-day rounds");
        cron("0 9 * * MON")
            .validate_at(Berlin, days(6), now)
            .expect("weekly cron, 6-day rounds");
    }

    #[test]
    fn validate_uses_the_present_when_not_told() {
        weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04")
            .validate(Berlin, days(14))
            .expect("valid from now on");
    }

    #[test]
    fn validate_refuses_overlapping_rounds_naming_both_dates() {
        let error = weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04")
            .validate_at(Berlin, days(7), new_year_2027())
            .expect_err("a week-long round every week overlaps");
        assert_eq!(
            error,
            CadenceError::Overlap {
                opens: "2027-01-04T08:00:00Z".parse().unwrap(),
                next_opens: "2027-01-11T08:00:00Z".parse().unwrap(),
                zone: Berlin,
                apart: days(7),
            }
        );
        assert_eq!(
            error.to_string(),
            "rounds would overlap: the round opening 2027-01-04 09:00 CET would still be open \
             when the next one opens 2027-01-11 09:00 CET (7 days later); make rounds shorter \
             than that or space them further apart"
        );
    }

    #[test]
    fn validate_sees_the_short_week_of_spring_forward() {
        // Monday to Monday across 2027-03-28 lasts only 6 days 23 hours.
        let cadence = weekly(1, Weekday::Mon, hm(9, 0), "2027-01-04");
        let just_under_a_week = days(7) - TimeDelta::minutes(30);
        let error = cadence
            .validate_at(Berlin, just_under_a_week, new_year_2027())
            .expect_err("overlaps in the short week, the twelfth of the year");
        assert_eq!(
            error,
            CadenceError::Overlap {
                opens: "2027-03-22T08:00:00Z".parse().unwrap(),
                next_opens: "2027-03-29T07:00:00Z".parse().unwrap(),
                zone: Berlin,
                apart: days(7) - TimeDelta::hours(1),
            }
        );
    }

    #[test]
    fn validate_sees_the_short_february() {
        let cadence = cron("0 9 1 * *");
        let error = cadence
            .validate_at(Berlin, days(29), new_year_2027())
            .expect_err("February is 28 days long");
        assert!(
            matches!(&error, CadenceError::Overlap { opens, .. } if opens.to_rfc3339().starts_with("2027-02-01")),
            "{error}"
        );
        cadence
            .validate_at(Berlin, days(27), new_year_2027())
            .expect("27-day rounds fit every month");
    }

    #[test]
    fn validate_refuses_a_cron_that_never_fires() {
        let error = cron("0 0 30 2 *")
            .validate_at(Berlin, days(1), new_year_2027())
            .expect_err("February has no 30th");
        assert_eq!(
            error,
            CadenceError::CronNeverFires {
                expression: "0 0 30 2 *".to_owned()
            }
        );
        assert!(
            error
                .to_string()
                .contains("never fires in the next 5 years")
        );
    }

    #[test]
    fn validate_accepts_a_leap_day_cron() {
        // Fires once in four years: rare, but within the five-year horizon.
        cron("0 9 29 2 *")
            .validate_at(Berlin, days(30), new_year_2027())
            .expect("fires on 2028-02-29");
    }

    #[test]
    fn validate_refuses_unreadable_cron() {
        for expression in ["", "every monday", "0 9 * *", "0 0 9 * * MON", "61 9 * * *"] {
            let error = cron(expression)
                .validate_at(Berlin, days(1), new_year_2027())
                .expect_err(expression);
            assert!(
                matches!(error, CadenceError::InvalidCron { .. }),
                "{expression}: {error}"
            );
            assert!(error.to_string().contains("e.g. \"0 9 * * MON\""));
        }
    }

    #[test]
    fn validate_refuses_every_weeks_out_of_range() {
        for every_weeks in [0, 53, u32::MAX] {
            let error = weekly(every_weeks, Weekday::Mon, hm(9, 0), "2027-01-04")
                .validate_at(Berlin, days(1), new_year_2027())
                .expect_err("out of range");
            assert_eq!(error, CadenceError::EveryWeeksOutOfRange { every_weeks });
        }
        for every_weeks in [1, 52] {
            weekly(every_weeks, Weekday::Mon, hm(9, 0), "2027-01-04")
                .validate_at(Berlin, days(1), new_year_2027())
                .expect("in range");
        }
    }

    #[test]
    fn validate_refuses_a_duration_of_zero_or_less() {
        let cadence = weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04");
        for duration in [TimeDelta::zero(), -days(1)] {
            assert_eq!(
                cadence.validate_at(Berlin, duration, new_year_2027()),
                Err(CadenceError::NonPositiveDuration)
            );
        }
    }

    #[test]
    fn validate_refuses_two_rounds_on_one_day() {
        let error = cron("0 9,17 * * *")
            .validate_at(Berlin, TimeDelta::hours(2), new_year_2027())
            .expect_err("two rounds a day");
        assert_eq!(
            error,
            CadenceError::SeveralPerDay {
                date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            }
        );
    }

    #[test]
    fn validate_refuses_seconds_in_the_time() {
        let time = NaiveTime::from_hms_opt(9, 0, 30).expect("valid");
        let error = monthly(Ordinal::First, Weekday::Mon, time)
            .validate_at(Berlin, days(1), new_year_2027())
            .expect_err("seconds");
        assert_eq!(error, CadenceError::TimeNotWholeMinutes { time });
    }

    #[test]
    fn cadence_error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(CadenceError::NonPositiveDuration);
        assert_eq!(error.to_string(), "a round must last longer than zero");
    }

    #[test]
    fn describe_span_reads_naturally() {
        assert_eq!(describe_span(days(1)), "1 day");
        assert_eq!(
            describe_span(days(6) + TimeDelta::hours(23)),
            "6 days 23 hours"
        );
        assert_eq!(describe_span(TimeDelta::minutes(61)), "1 hour 1 minute");
        assert_eq!(describe_span(TimeDelta::seconds(5)), "less than a minute");
    }

    // --- describe -----------------------------------------------------------------------------

    #[test]
    fn describe_in_german_and_english() {
        let every_four = weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04");
        assert_eq!(
            every_four.describe(Locale::De),
            "alle 4 Wochen montags um 09:00"
        );
        assert_eq!(
            every_four.describe(Locale::En),
            "every 4 weeks on Monday at 09:00"
        );

        let every_week = weekly(1, Weekday::Fri, hm(16, 30), "2027-01-04");
        assert_eq!(
            every_week.describe(Locale::De),
            "wöchentlich freitags um 16:30"
        );
        assert_eq!(
            every_week.describe(Locale::En),
            "every week on Friday at 16:30"
        );

        let first_monday = monthly(Ordinal::First, Weekday::Mon, hm(9, 0));
        assert_eq!(
            first_monday.describe(Locale::De),
            "monatlich am ersten Montag um 09:00"
        );
        assert_eq!(
            first_monday.describe(Locale::En),
            "monthly on the first Monday at 09:00"
        );

        let last_friday = monthly(Ordinal::Last, Weekday::Fri, hm(14, 0));
        assert_eq!(
            last_friday.describe(Locale::De),
            "monatlich am letzten Freitag um 14:00"
        );
        assert_eq!(
            last_friday.describe(Locale::En),
            "monthly on the last Friday at 14:00"
        );

        let by_cron = cron(" 0 9 * * MON ");
        assert_eq!(by_cron.describe(Locale::De), "Cron: 0 9 * * MON");
        assert_eq!(by_cron.describe(Locale::En), "Cron: 0 9 * * MON");
    }

    // --- serde --------------------------------------------------------------------------------

    fn round_trip(cadence: &Cadence, expected: serde_json::Value) {
        let value = serde_json::to_value(cadence).expect("serializes");
        assert_eq!(value, expected);
        let back: Cadence = serde_json::from_value(value).expect("deserializes");
        assert_eq!(&back, cadence);
    }

    #[test]
    fn weekly_round_trips_through_json() {
        round_trip(
            &weekly(4, Weekday::Mon, hm(9, 0), "2027-01-04"),
            json!({"kind": "weekly", "every_weeks": 4, "weekday": "mon", "time": "09:00", "start": "2027-01-04"}),
        );
    }

    #[test]
    fn monthly_round_trips_through_json() {
        round_trip(
            &monthly(Ordinal::Last, Weekday::Fri, hm(14, 30)),
            json!({"kind": "monthly", "ordinal": "last", "weekday": "fri", "time": "14:30"}),
        );
        round_trip(
            &monthly(Ordinal::Second, Weekday::Sun, hm(7, 5)),
            json!({"kind": "monthly", "ordinal": "second", "weekday": "sun", "time": "07:05"}),
        );
    }

    #[test]
    fn cron_round_trips_through_json() {
        round_trip(
            &cron("0 9 * * MON"),
            json!({"kind": "cron", "expression": "0 9 * * MON"}),
        );
    }

    #[test]
    fn every_weekday_has_its_code() {
        let codes = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        for (weekday, code) in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .zip(codes)
        {
            let cadence = monthly(Ordinal::First, weekday, hm(9, 0));
            let value = serde_json::to_value(&cadence).expect("serializes");
            assert_eq!(value["weekday"], code);
            let back: Cadence = serde_json::from_value(value).expect("deserializes");
            assert_eq!(back, cadence);
        }
    }

    #[test]
    fn json_with_full_weekday_names_is_read() {
        let cadence: Cadence = serde_json::from_value(
            json!({"kind": "monthly", "ordinal": "first", "weekday": "Monday", "time": "09:00"}),
        )
        .expect("deserializes");
        assert_eq!(cadence, monthly(Ordinal::First, Weekday::Mon, hm(9, 0)));
    }

    #[test]
    fn bad_json_is_refused_with_a_hint() {
        let bad_weekday = serde_json::from_value::<Cadence>(
            json!({"kind": "monthly", "ordinal": "first", "weekday": "funday", "time": "09:00"}),
        )
        .expect_err("unknown weekday");
        assert!(
            bad_weekday.to_string().contains("use mon, tue"),
            "{bad_weekday}"
        );

        let bad_time = serde_json::from_value::<Cadence>(
            json!({"kind": "monthly", "ordinal": "first", "weekday": "mon", "time": "9 Uhr"}),
        )
        .expect_err("unreadable time");
        assert!(bad_time.to_string().contains("use HH:MM"), "{bad_time}");

        let bad_ordinal = serde_json::from_value::<Cadence>(
            json!({"kind": "monthly", "ordinal": "fifth", "weekday": "mon", "time": "09:00"}),
        );
        assert!(bad_ordinal.is_err());

        let bad_kind = serde_json::from_value::<Cadence>(json!({"kind": "daily", "time": "09:00"}));
        assert!(bad_kind.is_err());
    }
}
