//! Times as HR types and reads them: wall-clock times in the company time zone.
//!
//! Two rules from DECISIONS.md live here. A typed local time in the autumn fold means its first
//! occurrence, and the answer says which UTC instant was taken; a typed local time in the spring
//! gap is refused with the reason. Schedules are lenient instead (`resolve_for_schedule`): a gap
//! time moves to the first valid instant after the gap, as croner does for cron expressions.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::problem::Problem;

/// The local forms HR may type; the `T` forms are what an HTML `datetime-local` input sends
/// (with seconds when the input has a `step` below a minute).
const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
];

/// How far apart in UTC the instants around a gap can lie. Real UTC offsets stay within ±16 h
/// (local mean times of the 19th century included), so a window of this size either side of
/// the gap's wall-clock time always contains the transition.
const GAP_SEARCH_SECONDS: i64 = 26 * 3600;

/// Input shown back in an error is cut here, so a pasted paragraph does not become the message.
const ECHO_LIMIT: usize = 60;

/// A typed time, resolved to one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub utc: DateTime<Utc>,
    /// Set when the input needed a choice HR should know about (a time in the autumn fold).
    pub note: Option<Problem>,
}

/// What a wall-clock time is in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalResolution {
    /// An ordinary time: exactly one instant.
    Single(DateTime<Utc>),
    /// The clocks go back over this time, so it happens twice.
    Fold {
        first: DateTime<Utc>,
        second: DateTime<Utc>,
    },
    /// The clocks skip over this time: it never happens. `gap_at` says where the gap lies.
    Gap,
}

/// A stretch of wall-clock time skipped when the clocks go forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalGap {
    /// The first wall-clock time that does not exist (e.g. 02:00).
    pub starts: NaiveDateTime,
    /// The wall-clock time the clocks jump to (e.g. 03:00); it exists.
    pub ends: NaiveDateTime,
    /// The instant of the jump: the first valid instant after the gap.
    pub resumes_at: DateTime<Utc>,
}

/// Why a typed time was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("no date and time given; {}", accepted_formats(*.zone))]
    Empty { zone: Tz },
    #[error("\"{input}\" is not a date and time kundenpuls can read; {}", accepted_formats(*.zone))]
    Malformed { input: String, zone: Tz },
    #[error(
        "{} does not exist in {zone}: clocks skip from {} to {}",
        show(*.local),
        show_near(*.skips_from, .local.date()),
        show_near(*.skips_to, .local.date())
    )]
    Nonexistent {
        local: NaiveDateTime,
        zone: Tz,
        skips_from: NaiveDateTime,
        skips_to: NaiveDateTime,
    },
    #[error("\"{input}\" lies outside the dates kundenpuls can handle; use a nearer date")]
    OutOfRange { input: String },
}

impl TimeError {
    /// What is wrong, to be said in the reader's language.
    pub fn problem(&self) -> Problem {
        match self {
            TimeError::Empty { zone } => Problem::new("problem_time_empty").arg("zone", zone),
            TimeError::Malformed { input, zone } => Problem::new("problem_time_malformed")
                .arg("input", input)
                .arg("zone", zone),
            TimeError::Nonexistent {
                local,
                zone,
                skips_from,
                skips_to,
            } => Problem::new("problem_time_nonexistent")
                .arg("time", show(*local))
                .arg("zone", zone)
                .arg("from", show_near(*skips_from, local.date()))
                .arg("to", show_near(*skips_to, local.date())),
            TimeError::OutOfRange { input } => {
                Problem::new("problem_time_out_of_range").arg("input", input)
            }
        }
    }
}

/// Reads a time HR typed: RFC 3339 with an offset, or a local time in `tz`.
pub fn parse_instant(input: &str, tz: Tz) -> Result<Resolved, TimeError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(TimeError::Empty { zone: tz });
    }
    // An explicit offset names the instant; the company zone plays no part.
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(Resolved {
            utc: instant.with_timezone(&Utc),
            note: None,
        });
    }
    let naive = parse_local(text).ok_or_else(|| TimeError::Malformed {
        input: echo(text),
        zone: tz,
    })?;
    resolve_typed(naive, tz, text)
}

/// Tells whether `naive` happens once, twice or never in `tz`.
pub fn resolve_local(naive: NaiveDateTime, tz: Tz) -> LocalResolution {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(at) => LocalResolution::Single(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => LocalResolution::Fold {
            first: first.with_timezone(&Utc),
            second: second.with_timezone(&Utc),
        },
        LocalResult::None => LocalResolution::Gap,
    }
}

/// The gap `naive` falls in, or `None` when `naive` exists (or lies at the edge of the
/// representable dates).
pub fn gap_at(naive: NaiveDateTime, tz: Tz) -> Option<LocalGap> {
    if resolve_local(naive, tz) != LocalResolution::Gap {
        return None;
    }
    // Transitions happen on whole seconds, so the search runs on whole seconds.
    let wall = naive.with_nanosecond(0)?;
    let guess = wall.and_utc().timestamp();
    let mut before = guess.checked_sub(GAP_SEARCH_SECONDS)?;
    let mut after = guess.checked_add(GAP_SEARCH_SECONDS)?;
    // Invariant: the wall clock at `before` still shows less than `naive`, at `after` more.
    // Bisect to the first second whose wall clock has passed `naive`: the end of the gap.
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if wall_clock(middle, tz)? > wall {
            after = middle;
        } else {
            before = middle;
        }
    }
    let last_before = wall_clock(before, tz)?;
    Some(LocalGap {
        starts: last_before.checked_add_signed(chrono::TimeDelta::seconds(1))?,
        ends: wall_clock(after, tz)?,
        resumes_at: DateTime::from_timestamp(after, 0)?,
    })
}

/// The instant a schedule means by a local time: the first occurrence in a fold, the first
/// valid instant after the gap for a skipped time. `None` only at the edge of representable
/// dates.
pub fn resolve_for_schedule(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match resolve_local(naive, tz) {
        LocalResolution::Single(at) => Some(at),
        LocalResolution::Fold { first, .. } => Some(first),
        LocalResolution::Gap => gap_at(naive, tz).map(|gap| gap.resumes_at),
    }
}

/// "2027-03-01 09:00" in the wall-clock time of `tz`.
pub fn format_local(utc: DateTime<Utc>, tz: Tz) -> String {
    utc.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// "2027-03-01 09:00 CET": with the zone's abbreviation, which tells summer from winter time.
pub fn format_local_with_zone(utc: DateTime<Utc>, tz: Tz) -> String {
    utc.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn parse_local(text: &str) -> Option<NaiveDateTime> {
    LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Applies the rules for a typed local time: fold → first with a note, gap → refused.
fn resolve_typed(naive: NaiveDateTime, tz: Tz, text: &str) -> Result<Resolved, TimeError> {
    match resolve_local(naive, tz) {
        LocalResolution::Single(utc) => Ok(Resolved { utc, note: None }),
        LocalResolution::Fold { first, .. } => Ok(Resolved {
            utc: first,
            note: Some(fold_note(naive, tz, first)),
        }),
        LocalResolution::Gap => match gap_at(naive, tz) {
            Some(gap) => Err(TimeError::Nonexistent {
                local: naive,
                zone: tz,
                skips_from: gap.starts,
                skips_to: gap.ends,
            }),
            None => Err(TimeError::OutOfRange { input: echo(text) }),
        },
    }
}

fn fold_note(naive: NaiveDateTime, tz: Tz, first: DateTime<Utc>) -> Problem {
    Problem::new("note_time_fold")
        .arg("time", show(naive))
        .arg("zone", tz)
        .arg("utc", show(first.naive_utc()))
}

fn wall_clock(timestamp: i64, tz: Tz) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(timestamp, 0).map(|at| at.with_timezone(&tz).naive_local())
}

fn accepted_formats(zone: Tz) -> String {
    format!(
        "use YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM (local time in {zone}, e.g. 2027-03-01 09:00), \
         or RFC 3339 with an offset (e.g. 2027-03-01T09:00:00+01:00 or 2027-03-01T08:00:00Z)"
    )
}

/// A date and time as HR typed it: minutes, and seconds only when there are any.
fn show(at: NaiveDateTime) -> String {
    if at.second() == 0 {
        at.format("%Y-%m-%d %H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// A gap edge next to the typed time: the time alone on the same day, with the date otherwise.
fn show_near(at: NaiveDateTime, day: NaiveDate) -> String {
    let full = show(at);
    if at.date() == day {
        full.split_once(' ')
            .map_or(full.clone(), |(_, time)| time.to_owned())
    } else {
        full
    }
}

fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::{America, Australia, Europe};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test local time")
    }

    fn parsed(input: &str) -> Resolved {
        parse_instant(input, Europe::Berlin).expect("accepted input")
    }

    fn refused(input: &str) -> TimeError {
        parse_instant(input, Europe::Berlin).expect_err("refused input")
    }

    #[test]
    fn rfc3339_with_offset_is_that_instant() {
        let resolved = parsed("2027-03-01T09:00:00+01:00");
        assert_eq!(resolved.utc, utc("2027-03-01T08:00:00Z"));
        assert_eq!(resolved.note, None);
    }

    #[test]
    fn rfc3339_in_utc_is_that_instant() {
        assert_eq!(
            parsed("2027-03-01T08:00:00Z").utc,
            utc("2027-03-01T08:00:00Z")
        );
    }

    #[test]
    fn rfc3339_offset_wins_over_the_company_zone() {
        // An explicit offset is an instant, even one that is not Berlin's offset at the time.
        let resolved = parsed("2027-07-01T09:00:00-04:00");
        assert_eq!(resolved.utc, utc("2027-07-01T13:00:00Z"));
    }

    #[test]
    fn rfc3339_inside_the_fold_needs_no_note() {
        let resolved = parsed("2027-10-31T02:30:00+01:00");
        assert_eq!(resolved.utc, utc("2027-10-31T01:30:00Z"));
        assert_eq!(resolved.note, None);
    }

    #[test]
    fn local_form_with_space_uses_winter_offset() {
        let resolved = parsed("2027-03-01 09:00");
        assert_eq!(resolved.utc, utc("2027-03-01T08:00:00Z"));
        assert_eq!(resolved.note, None);
    }

    #[test]
    fn local_form_uses_summer_offset_in_summer() {
        assert_eq!(parsed("2027-07-01 09:00").utc, utc("2027-07-01T07:00:00Z"));
    }

    #[test]
    fn datetime_local_form_is_accepted() {
        assert_eq!(parsed("2027-03-01T09:00").utc, utc("2027-03-01T08:00:00Z"));
    }

    #[test]
    fn datetime_local_form_with_seconds_is_accepted() {
        assert_eq!(
            parsed("2027-03-01T09:00:30").utc,
            utc("2027-03-01T08:00:30Z")
        );
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(
            parsed("  \t2027-03-01 09:00\n ").utc,
            utc("2027-03-01T08:00:00Z")
        );
        assert_eq!(
            parsed(" 2027-03-01T08:00:00Z ").utc,
            utc("2027-03-01T08:00:00Z")
        );
    }

    #[test]
    fn fold_takes_the_first_occurrence_and_says_so() {
        let resolved = parsed("2027-10-31 02:30");
        assert_eq!(resolved.utc, utc("2027-10-31T00:30:00Z"));
        assert_eq!(
            resolved.note,
            Some(
                Problem::new("note_time_fold")
                    .arg("time", "2027-10-31 02:30")
                    .arg("zone", "Europe/Berlin")
                    .arg("utc", "2027-10-31 00:30")
            )
        );
    }

    #[test]
    fn fold_in_datetime_local_form_also_gets_the_note() {
        let resolved = parsed("2027-10-31T02:00");
        assert_eq!(resolved.utc, utc("2027-10-31T00:00:00Z"));
        assert!(resolved.note.is_some());
    }

    #[test]
    fn times_next_to_the_fold_need_no_note() {
        let before = parsed("2027-10-31 01:59");
        assert_eq!(before.utc, utc("2027-10-30T23:59:00Z"));
        assert_eq!(before.note, None);
        let after = parsed("2027-10-31 03:00");
        assert_eq!(after.utc, utc("2027-10-31T02:00:00Z"));
        assert_eq!(after.note, None);
    }

    #[test]
    fn gap_is_refused_with_the_reason() {
        let error = refused("2027-03-28 02:30");
        assert_eq!(
            error.to_string(),
            "2027-03-28 02:30 does not exist in Europe/Berlin: clocks skip from 02:00 to 03:00"
        );
        assert_eq!(
            error,
            TimeError::Nonexistent {
                local: local("2027-03-28 02:30"),
                zone: Europe::Berlin,
                skips_from: local("2027-03-28 02:00"),
                skips_to: local("2027-03-28 03:00"),
            }
        );
    }

    #[test]
    fn gap_edges_are_exact() {
        assert!(matches!(
            refused("2027-03-28T02:00"),
            TimeError::Nonexistent { .. }
        ));
        assert!(matches!(
            refused("2027-03-28 02:59:59"),
            TimeError::Nonexistent { .. }
        ));
        assert_eq!(parsed("2027-03-28 01:59").utc, utc("2027-03-28T00:59:00Z"));
        assert_eq!(parsed("2027-03-28 03:00").utc, utc("2027-03-28T01:00:00Z"));
    }

    #[test]
    fn gap_of_half_an_hour_is_reported_as_it_is() {
        // Lord Howe Island moves its clocks by 30 minutes.
        let error =
            parse_instant("2027-10-03 02:15", Australia::Lord_Howe).expect_err("in the gap");
        assert_eq!(
            error.to_string(),
            "2027-10-03 02:15 does not exist in Australia/Lord_Howe: clocks skip from 02:00 to 02:30"
        );
    }

    #[test]
    fn gap_in_new_york_is_refused() {
        let error = parse_instant("2027-03-14 02:30", America::New_York).expect_err("in the gap");
        assert!(
            error
                .to_string()
                .ends_with("clocks skip from 02:00 to 03:00"),
            "{error}"
        );
    }

    #[test]
    fn garbage_is_refused_listing_the_accepted_formats() {
        let message = refused("next monday at nine").to_string();
        assert!(message.starts_with("\"next monday at nine\" is not a date and time"));
        for format in [
            "YYYY-MM-DD HH:MM",
            "YYYY-MM-DDTHH:MM",
            "RFC 3339",
            "Europe/Berlin",
        ] {
            assert!(message.contains(format), "{message} lacks {format}");
        }
    }

    #[test]
    fn impossible_calendar_dates_are_refused() {
        assert!(matches!(
            refused("2027-02-30 09:00"),
            TimeError::Malformed { .. }
        ));
        assert!(matches!(
            refused("2027-03-01 25:00"),
            TimeError::Malformed { .. }
        ));
    }

    #[test]
    fn date_without_time_is_refused() {
        assert!(matches!(refused("2027-03-01"), TimeError::Malformed { .. }));
    }

    #[test]
    fn empty_input_is_refused_listing_the_formats() {
        let error = refused("   ");
        assert_eq!(
            error,
            TimeError::Empty {
                zone: Europe::Berlin
            }
        );
        assert!(error.to_string().contains("YYYY-MM-DD HH:MM"));
    }

    #[test]
    fn long_garbage_is_cut_in_the_message() {
        let input = "x".repeat(500);
        let message = refused(&input).to_string();
        assert!(message.len() < 400, "{message}");
        assert!(message.contains('…'));
    }

    #[test]
    fn time_error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(refused("nonsense"));
        assert!(error.to_string().contains("nonsense"));
    }

    #[test]
    fn resolve_local_tells_single_fold_and_gap_apart() {
        assert_eq!(
            resolve_local(local("2027-03-01 09:00"), Europe::Berlin),
            LocalResolution::Single(utc("2027-03-01T08:00:00Z"))
        );
        assert_eq!(
            resolve_local(local("2027-10-31 02:30"), Europe::Berlin),
            LocalResolution::Fold {
                first: utc("2027-10-31T00:30:00Z"),
                second: utc("2027-10-31T01:30:00Z"),
            }
        );
        assert_eq!(
            resolve_local(local("2027-03-28 02:30"), Europe::Berlin),
            LocalResolution::Gap
        );
    }

    #[test]
    fn gap_at_finds_the_jump() {
        assert_eq!(
            gap_at(local("2027-03-28 02:30"), Europe::Berlin),
            Some(LocalGap {
                starts: local("2027-03-28 02:00"),
                ends: local("2027-03-28 03:00"),
                resumes_at: utc("2027-03-28T01:00:00Z"),
            })
        );
        assert_eq!(gap_at(local("2027-03-28 03:00"), Europe::Berlin), None);
        assert_eq!(gap_at(local("2027-10-31 02:30"), Europe::Berlin), None);
    }

    #[test]
    fn gap_at_handles_a_gap_at_midnight() {
        // Santiago springs forward at midnight: 2027-09-05 00:00 → 01:00.
        let gap = gap_at(local("2027-09-05 00:30"), America::Santiago).expect("a gap");
        assert_eq!(gap.starts, local("2027-09-05 00:00"));
        assert_eq!(gap.ends, local("2027-09-05 01:00"));
        assert_eq!(gap.resumes_at, utc("2027-09-05T04:00:00Z"));
    }

    #[test]
    fn schedule_resolution_moves_gap_times_forward_and_takes_first_in_fold() {
        assert_eq!(
            resolve_for_schedule(local("2027-03-28 02:30"), Europe::Berlin),
            Some(utc("2027-03-28T01:00:00Z"))
        );
        assert_eq!(
            resolve_for_schedule(local("2027-10-31 02:30"), Europe::Berlin),
            Some(utc("2027-10-31T00:30:00Z"))
        );
        assert_eq!(
            resolve_for_schedule(local("2027-03-01 09:00"), Europe::Berlin),
            Some(utc("2027-03-01T08:00:00Z"))
        );
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let earliest = NaiveDate::MIN.and_hms_opt(0, 0, 0).expect("valid");
        let latest = NaiveDate::MAX.and_hms_opt(23, 59, 59).expect("valid");
        for naive in [earliest, latest] {
            let _ = resolve_local(naive, Europe::Berlin);
            let _ = gap_at(naive, Europe::Berlin);
            let _ = resolve_for_schedule(naive, Europe::Berlin);
        }
    }

    #[test]
    fn format_local_shows_wall_clock_minutes() {
        assert_eq!(
            format_local(utc("2027-03-01T08:00:00Z"), Europe::Berlin),
            "2027-03-01 09:00"
        );
        assert_eq!(
            format_local(utc("2027-07-01T07:00:00Z"), Europe::Berlin),
            "2027-07-01 09:00"
        );
    }

    #[test]
    fn format_local_with_zone_tells_winter_from_summer() {
        assert_eq!(
            format_local_with_zone(utc("2027-03-01T08:00:00Z"), Europe::Berlin),
            "2027-03-01 09:00 CET"
        );
        assert_eq!(
            format_local_with_zone(utc("2027-07-01T07:00:00Z"), Europe::Berlin),
            "2027-07-01 09:00 CEST"
        );
        // The two halves of the fold read differently with the zone shown.
        assert_eq!(
            format_local_with_zone(utc("2027-10-31T00:30:00Z"), Europe::Berlin),
            "2027-10-31 02:30 CEST"
        );
        assert_eq!(
            format_local_with_zone(utc("2027-10-31T01:30:00Z"), Europe::Berlin),
            "2027-10-31 02:30 CET"
        );
    }

    #[test]
    fn formatted_local_time_parses_back_to_the_same_instant() {
        let instant = utc("2027-05-17T12:45:00Z");
        let text = format_local(instant, Europe::Berlin);
        assert_eq!(parsed(&text).utc, instant);
    }
}
