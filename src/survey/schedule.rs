//! Recurring rounds: a cadence in a time zone, a duration, a target and a pulse size. The
//! scheduler asks `plan_rounds` for each period's round; the period key keeps that idempotent.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::action;
use crate::config::Settings;
use crate::db;
use crate::entities::{department, employee, round, round_question, schedule, schedule_department};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::local_time::format_local_with_zone;
use crate::org::department as departments;
use crate::problem::{Note, Problem};
use crate::survey::cadence::Cadence;
use crate::survey::round::{PlannedRound, create_planned};
use crate::survey::{catalog, pulse};
use crate::vocab::RoundState;

/// How many rounds of one schedule a single scheduler pass creates at most; a schedule that was
/// down for years does not flood the table.
const MAX_CATCH_UP: usize = 500;

#[derive(Debug, Clone)]
pub struct ScheduleDraft {
    pub title: String,
    pub cadence: Cadence,
    /// How long each round stays open, e.g. "14d", "36h" or "2w".
    pub duration: String,
    pub departments: Vec<String>,
    pub pulse_size: Option<usize>,
    /// IANA zone; the company's `timezone` when not given.
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub id: i32,
    pub title: String,
    pub cadence: Cadence,
    pub cadence_text: String,
    pub timezone: String,
    pub duration_minutes: i32,
    pub pulse_size: i32,
    pub departments: Vec<String>,
    /// The next three opening times, in the schedule's zone.
    pub next: Vec<String>,
    pub next_utc: Vec<DateTime<Utc>>,
    /// Warnings given when the schedule was created (e.g. its invitations cannot all leave
    /// within the first tenth of a round at the configured mail limits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(problem)
}

/// The draft's zone and round length, its rhythm checked from `now` on (valid, and each round
/// closed before the next opens).
fn checked_rhythm(
    settings: &Settings,
    draft: &ScheduleDraft,
    now: DateTime<Utc>,
) -> AppResult<(Tz, Duration)> {
    let tz: Tz = match draft
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
    {
        Some(zone) => zone.parse().map_err(|_| {
            unprocessable(Problem::new("problem_unknown_time_zone").arg("zone", zone))
        })?,
        None => settings.timezone,
    };
    let duration = parse_duration(&draft.duration).map_err(unprocessable)?;
    draft
        .cadence
        .validate_at(tz, duration, now)
        .map_err(|err| unprocessable(err.problem()))?;
    Ok((tz, duration))
}

/// The rounds a draft would bring, before it is saved: what HR checks before committing to a
/// rhythm.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub timezone: String,
    /// The next three rounds: when each opens and closes.
    pub rounds: Vec<PreviewRound>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewRound {
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

/// The next three rounds of `draft` from `now`, its rhythm and duration checked as `create`
/// checks them; nothing is saved, and title and target are not asked for yet.
pub fn preview(
    settings: &Settings,
    draft: &ScheduleDraft,
    now: DateTime<Utc>,
) -> AppResult<Preview> {
    let (tz, duration) = checked_rhythm(settings, draft, now)?;
    Ok(Preview {
        timezone: tz.name().to_owned(),
        rounds: draft
            .cadence
            .upcoming(now, tz, 3)
            .into_iter()
            .map(|opens| PreviewRound {
                opens,
                closes: opens + duration,
            })
            .collect(),
    })
}

/// "14d", "2w", "36h", "90m" → a duration.
pub fn parse_duration(input: &str) -> Result<Duration, Problem> {
    let input = input.trim();
    let split = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    let (number, unit) = input.split_at(split);
    let amount: i64 = number
        .parse()
        .map_err(|_| Problem::new("problem_duration_unreadable").arg("input", input))?;
    let duration = match unit.trim() {
        "w" => Duration::weeks(amount),
        "d" => Duration::days(amount),
        "h" => Duration::hours(amount),
        "m" | "min" => Duration::minutes(amount),
        _ => {
            return Err(Problem::new("problem_duration_unreadable").arg("input", input));
        }
    };
    if duration <= Duration::zero() {
        return Err(Problem::new("problem_duration_not_positive"));
    }
    Ok(duration)
}

pub async fn create(
    db: &DatabaseConnection,
    settings: &Settings,
    draft: &ScheduleDraft,
    now: DateTime<Utc>,
) -> AppResult<ScheduleView> {
    let title = draft.title.trim();
    if title.is_empty() || title.chars().count() > crate::survey::round::MAX_TITLE {
        return Err(unprocessable(
            Problem::new("problem_schedule_title").arg("max", crate::survey::round::MAX_TITLE),
        ));
    }
    let (tz, duration) = checked_rhythm(settings, draft, now)?;
    let pulse_size = draft.pulse_size.unwrap_or(pulse::DEFAULT_PULSE_SIZE);
    let catalog = catalog::all(db).await?;
    pulse::check_size(&catalog, pulse_size).map_err(unprocessable)?;

    let txn = db::begin_write(db).await?;
    let all = departments::all(&txn).await?;
    let department_ids = resolve(&all, &draft.departments)?;
    let mut targeted = employee::Entity::find().filter(employee::Column::Active.eq(true));
    if !department_ids.is_empty() {
        targeted = targeted.filter(
            employee::Column::DepartmentId.is_in(departments::subtree_ids(&all, &department_ids)),
        );
    }
    let targeted_count = targeted.count(&txn).await?;
    if targeted_count == 0 {
        return Err(unprocessable(Problem::new("problem_target_empty")));
    }
    let cadence_json = serde_json::to_string(&draft.cadence).map_err(AppError::internal)?;
    let record = schedule::ActiveModel {
        title: Set(title.to_owned()),
        cadence: Set(cadence_json),
        timezone: Set(tz.name().to_owned()),
        duration_minutes: Set(i32::try_from(duration.num_minutes())
            .map_err(|_| unprocessable(Problem::new("problem_duration_too_long")))?),
        pulse_size: Set(pulse_size as i32),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !department_ids.is_empty() {
        schedule_department::Entity::insert_many(department_ids.iter().map(|id| {
            schedule_department::ActiveModel {
                schedule_id: Set(record.id),
                department_id: Set(*id),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    tracing::info!(schedule = record.id, "schedule created");
    let mut view = get(db, record.id, Locale::En, now).await?;
    if let Some(opens) = view.next_utc.first().copied() {
        let closes = opens + duration;
        // Reminders fall in the schedule's zone, the daily quota counts in the company's.
        view.notes = crate::mail::pace::mail_warnings(
            crate::mail::pace::Limits::from_settings(settings),
            settings.timezone,
            opens,
            closes,
            targeted_count,
            &crate::survey::round::default_reminders(opens, closes, tz, &settings.working_time),
        )
        .into_iter()
        .map(Note::new)
        .collect();
    }
    Ok(view)
}

fn resolve(all: &[department::Model], paths: &[String]) -> AppResult<Vec<i32>> {
    departments::resolve_paths(all, paths)
        .map_err(|unknown| crate::survey::round::unknown_departments(&unknown))
}

fn cadence_of(record: &schedule::Model) -> AppResult<Cadence> {
    serde_json::from_str(&record.cadence).map_err(AppError::internal)
}

fn zone_of(record: &schedule::Model) -> AppResult<Tz> {
    record.timezone.parse().map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "stored zone {} is unknown",
            record.timezone
        ))
    })
}

async fn target_ids(db: &impl ConnectionTrait, schedule_id: i32) -> AppResult<Vec<i32>> {
    Ok(schedule_department::Entity::find()
        .filter(schedule_department::Column::ScheduleId.eq(schedule_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.department_id)
        .collect())
}

pub async fn get(
    db: &DatabaseConnection,
    id: i32,
    locale: Locale,
    now: DateTime<Utc>,
) -> AppResult<ScheduleView> {
    let record = schedule::Entity::find_by_id(id)
        .filter(schedule::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    view(db, record, locale, now).await
}

async fn view(
    db: &DatabaseConnection,
    record: schedule::Model,
    locale: Locale,
    now: DateTime<Utc>,
) -> AppResult<ScheduleView> {
    let cadence = cadence_of(&record)?;
    let tz = zone_of(&record)?;
    let next_utc = cadence.upcoming(now, tz, 3);
    let ids = target_ids(db, record.id).await?;
    let paths = departments::paths_of(db, ids).await?;
    Ok(ScheduleView {
        id: record.id,
        cadence_text: cadence.describe(locale),
        next: next_utc
            .iter()
            .map(|at| format_local_with_zone(*at, tz))
            .collect(),
        next_utc,
        cadence,
        title: record.title,
        timezone: record.timezone,
        duration_minutes: record.duration_minutes,
        pulse_size: record.pulse_size,
        departments: paths,
        notes: Vec::new(),
    })
}

pub async fn list(
    db: &DatabaseConnection,
    locale: Locale,
    now: DateTime<Utc>,
) -> AppResult<Vec<ScheduleView>> {
    let records = schedule::Entity::find()
        .filter(schedule::Column::Active.eq(true))
        .order_by_asc(schedule::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(records.len());
    for record in records {
        views.push(view(db, record, locale, now).await?);
    }
    Ok(views)
}

/// Ends a schedule: its rounds that have not opened are deleted, rounds that opened stay (their
/// answers are history). The schedule row stays, inactive, so old rounds keep their origin.
pub async fn delete(db: &DatabaseConnection, id: i32) -> AppResult<u64> {
    let txn = db::begin_write(db).await?;
    let record = schedule::Entity::find_by_id(id)
        .filter(schedule::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut active: schedule::ActiveModel = record.into();
    active.active = Set(false);
    active.update(&txn).await?;
    let removed = round::Entity::delete_many()
        .filter(round::Column::ScheduleId.eq(id))
        .filter(round::Column::State.eq(RoundState::Scheduled))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    tracing::info!(schedule = id, rounds_removed = removed, "schedule ended");
    Ok(removed)
}

/// Creates the rounds every active schedule owes at `now`: a round for a period that is still
/// running (catch-up after downtime) and the next upcoming one, so HR sees and can edit it.
pub async fn plan_rounds(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Vec<i32>> {
    let schedules = schedule::Entity::find()
        .filter(schedule::Column::Active.eq(true))
        .all(db)
        .await?;
    let mut created = Vec::new();
    for record in schedules {
        created.extend(plan_schedule(db, &record, settings, now).await?);
    }
    Ok(created)
}

async fn plan_schedule(
    db: &DatabaseConnection,
    record: &schedule::Model,
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Vec<i32>> {
    let cadence = cadence_of(record)?;
    let tz = zone_of(record)?;
    let duration = Duration::minutes(i64::from(record.duration_minutes));
    let txn = db::begin_write(db).await?;
    let latest = round::Entity::find()
        .filter(round::Column::ScheduleId.eq(record.id))
        .order_by_desc(round::Column::OpensAt)
        .one(&txn)
        .await?;
    // The upcoming round exists already: nothing is owed yet.
    if latest.as_ref().is_some_and(|r| r.opens_at > now) {
        return Ok(Vec::new());
    }
    // Occurrences strictly after the latest round (catching up on periods still running after
    // downtime); a new schedule starts with its first occurrence after it was created.
    let mut cursor = latest.map_or(record.created_at, |r| r.opens_at);
    let mut created = Vec::new();
    for _ in 0..MAX_CATCH_UP {
        let Some(opens) = cadence.next_after(cursor, tz) else {
            break;
        };
        cursor = opens;
        let closes = opens + duration;
        if closes <= now {
            continue;
        }
        let period = (opens, closes);
        if let Some(id) = plan_one(&txn, record, &cadence, tz, period, settings, now).await? {
            created.push(id);
        }
        if opens > now {
            break;
        }
    }
    txn.commit().await?;
    Ok(created)
}

async fn plan_one(
    txn: &impl ConnectionTrait,
    record: &schedule::Model,
    cadence: &Cadence,
    tz: Tz,
    (opens, closes): (DateTime<Utc>, DateTime<Utc>),
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Option<i32>> {
    let catalog = catalog::all(txn).await?;
    let history = question_history(txn, record.id).await?;
    let department_ids = target_ids(txn, record.id).await?;
    let pinned = action::store::pinned_items(txn, &department_ids).await?;
    let planned = PlannedRound {
        // A name that every reader shares, its day written as the company's language writes it.
        title: format!(
            "{} – {}",
            record.title,
            i18n::date(
                opens.with_timezone(&tz).date_naive(),
                settings.default_locale
            )
        ),
        opens_at: opens,
        closes_at: closes,
        schedule_id: record.id,
        period_key: cadence.period_key(opens, tz),
        question_ids: pulse::select(
            &catalog,
            record.pulse_size.max(0) as usize,
            &history,
            &pinned,
        ),
        department_ids,
        // In the schedule's zone: its rounds open on its clock.
        reminders: crate::survey::round::default_reminders(
            opens,
            closes,
            tz,
            &settings.working_time,
        ),
    };
    create_planned(txn, planned, now).await
}

/// The questions of the schedule's earlier rounds, most recent first, for the rotation.
async fn question_history(
    txn: &impl ConnectionTrait,
    schedule_id: i32,
) -> AppResult<Vec<Vec<i32>>> {
    let rounds = round::Entity::find()
        .filter(round::Column::ScheduleId.eq(schedule_id))
        .filter(round::Column::State.ne(RoundState::Cancelled))
        .order_by_desc(round::Column::OpensAt)
        .all(txn)
        .await?;
    let mut history = Vec::with_capacity(rounds.len());
    for r in rounds
        .into_iter()
        .take(crate::survey::pulse::ROTATION_ROUNDS * 2)
    {
        let ids = round_question::Entity::find()
            .filter(round_question::Column::RoundId.eq(r.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|q| q.question_id)
            .collect();
        history.push(ids);
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use chrono::Duration;

    #[test]
    fn durations_read_the_way_hr_writes_them() {
        assert_eq!(parse_duration("14d"), Ok(Duration::days(14)));
        assert_eq!(parse_duration(" 2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_duration("36h"), Ok(Duration::hours(36)));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("zwei Wochen").is_err());
        assert!(parse_duration("14").is_err());
    }
}
