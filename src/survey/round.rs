//! Survey rounds: created by HR (or a schedule), opened on time with one invitation per active
//! employee in the target, closed on time or early, or cancelled.
//!
//! States: `scheduled → open → closed`, and `cancelled` from scheduled or open. Every state
//! change is a conditional update (`… WHERE state = 'scheduled'`) inside a write transaction, so
//! two schedulers or an HR click racing the scheduler change a round once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use crate::config::Settings;
use crate::db;
use crate::entities::{
    department, employee, invitation, question, response, result_group, round, round_department,
    round_question, round_reminder,
};
use crate::error::{AppError, AppResult};
use crate::local_time::{self, format_local_with_zone};
use crate::org::department as departments;
use crate::problem::{Note, Problem};
use crate::survey::{catalog, pulse};
use crate::vocab::RoundState;

/// What HR enters for a round, as typed: times in the company time zone or RFC 3339.
#[derive(Debug, Clone, Default)]
pub struct RoundDraft {
    pub title: String,
    pub opens_at: String,
    pub closes_at: String,
    /// Department paths whose subtrees are asked; empty means the whole company.
    pub departments: Vec<String>,
    /// Question keys; `None` takes an automatic pulse.
    pub questions: Option<Vec<String>>,
    pub pulse_size: Option<usize>,
}

/// A draft that passed every check, ready to be written.
struct ValidRound {
    title: String,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    department_ids: Vec<i32>,
    question_ids: Vec<i32>,
    reminders: Vec<DateTime<Utc>>,
    notes: Vec<Problem>,
}

/// A round's participation as numbers. Participation is a figure like any other: `answered`
/// is shown only where at least `anonymity_threshold` were invited (DECISIONS.md "Anonymity in
/// every output"). `invited` is the number of invitations, which the send log shows admins
/// anyway; for a department-scoped viewer both follow the suppression of
/// `report::participation`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participation {
    pub invited: Option<u64>,
    pub answered: Option<u64>,
}

impl Participation {
    /// The round's totals as an admin sees them.
    pub fn of_totals(invited: u64, answered: u64, threshold: u32) -> Participation {
        let shown = invited == 0 || invited >= u64::from(threshold.max(1));
        Participation {
            invited: Some(invited),
            answered: shown.then_some(answered),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub id: i32,
    pub title: String,
    pub state: RoundState,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The times in the company time zone, as HR reads them.
    pub opens_local: String,
    pub closes_local: String,
    pub schedule_id: Option<i32>,
    /// Department paths of the target; empty is the whole company.
    pub departments: Vec<String>,
    pub questions: Vec<String>,
    pub reminders: Vec<DateTime<Utc>>,
    pub reminders_local: Vec<String>,
    pub participation: Participation,
    /// What was understood from the input (e.g. which of two clock times was taken), in the
    /// reader's language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

pub const MAX_TITLE: usize = 200;

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(problem)
}

async fn validate(
    db: &impl ConnectionTrait,
    settings: &Settings,
    draft: &RoundDraft,
    now: DateTime<Utc>,
) -> AppResult<ValidRound> {
    let title = draft.title.trim();
    if title.is_empty() {
        return Err(unprocessable(Problem::new("problem_round_title_missing")));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(unprocessable(
            Problem::new("problem_title_too_long").arg("max", MAX_TITLE),
        ));
    }
    let tz = settings.timezone;
    let opens = local_time::parse_instant(&draft.opens_at, tz).map_err(|err| {
        unprocessable(Problem::new("problem_round_opening_time").cause("reason", err.problem()))
    })?;
    let closes = local_time::parse_instant(&draft.closes_at, tz).map_err(|err| {
        unprocessable(Problem::new("problem_round_closing_time").cause("reason", err.problem()))
    })?;
    if closes.utc <= opens.utc {
        return Err(unprocessable(
            Problem::new("problem_round_closes_before_opening")
                .arg("closes", format_local_with_zone(closes.utc, tz))
                .arg("opens", format_local_with_zone(opens.utc, tz)),
        ));
    }
    if closes.utc <= now {
        return Err(unprocessable(
            Problem::new("problem_round_closing_passed")
                .arg("closes", format_local_with_zone(closes.utc, tz)),
        ));
    }
    let all_departments = departments::all(db).await?;
    let department_ids = resolve_departments(&all_departments, &draft.departments)?;
    let invited = count_targeted(db, &all_departments, &department_ids).await?;
    if invited == 0 {
        return Err(unprocessable(Problem::new("problem_target_empty")));
    }
    let catalog = catalog::all(db).await?;
    let question_ids = match &draft.questions {
        Some(keys) if !keys.is_empty() => pulse::by_keys(&catalog, keys).map_err(unprocessable)?,
        _ => {
            let size = draft.pulse_size.unwrap_or(pulse::DEFAULT_PULSE_SIZE);
            pulse::check_size(&catalog, size).map_err(unprocessable)?;
            pulse::select(&catalog, size, &[])
        }
    };
    Ok(ValidRound {
        title: title.to_owned(),
        opens_at: opens.utc,
        closes_at: closes.utc,
        department_ids,
        question_ids,
        reminders: default_reminders(opens.utc, closes.utc, tz),
        notes: [opens.note, closes.note].into_iter().flatten().collect(),
    })
}

fn resolve_departments(all: &[department::Model], paths: &[String]) -> AppResult<Vec<i32>> {
    departments::resolve_paths(all, paths).map_err(|unknown| unknown_departments(&unknown))
}

/// A round's state as a word of the reader's language, inside a problem.
fn state_word(state: RoundState) -> Problem {
    Problem::new(match state {
        RoundState::Scheduled => "round_state_scheduled",
        RoundState::Open => "round_state_open",
        RoundState::Closed => "round_state_closed",
        RoundState::Cancelled => "round_state_cancelled",
    })
}

/// Department paths a round or schedule names that do not exist.
pub fn unknown_departments(unknown: &[String]) -> AppError {
    unprocessable(Problem::new("problem_unknown_departments").arg("paths", unknown.join(", ")))
}

/// The departments a target reaches: the subtrees of its roots, or every department.
fn target_departments(all: &[department::Model], roots: &[i32]) -> Option<HashSet<i32>> {
    (!roots.is_empty()).then(|| departments::subtree_ids(all, roots))
}

async fn count_targeted(
    db: &impl ConnectionTrait,
    all: &[department::Model],
    roots: &[i32],
) -> AppResult<u64> {
    let mut query = employee::Entity::find().filter(employee::Column::Active.eq(true));
    if let Some(ids) = target_departments(all, roots) {
        query = query.filter(employee::Column::DepartmentId.is_in(ids));
    }
    Ok(query.count(db).await?)
}

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

/// A round written (created or changed) while still scheduled: what the lifecycle needs to
/// open it if its time has come, and the notes about how its times were read.
pub struct Written {
    pub id: i32,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub notes: Vec<Problem>,
}

/// Writes a new scheduled round from HR's draft, in one transaction. Opening it when its time
/// has come is the lifecycle's (`crate::lifecycle::create`).
pub async fn insert(
    db: &DatabaseConnection,
    settings: &Settings,
    draft: &RoundDraft,
    now: DateTime<Utc>,
) -> AppResult<Written> {
    let txn = db::begin_write(db).await?;
    let valid = validate(&txn, settings, draft, now).await?;
    let record = round::ActiveModel {
        title: Set(valid.title.clone()),
        state: Set(RoundState::Scheduled),
        opens_at: Set(valid.opens_at),
        closes_at: Set(valid.closes_at),
        schedule_id: Set(None),
        period_key: Set(None),
        created_at: Set(now),
        closed_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    write_details(&txn, record.id, &valid).await?;
    txn.commit().await?;
    tracing::info!(round = record.id, "round created");
    Ok(Written {
        id: record.id,
        opens_at: valid.opens_at,
        closes_at: valid.closes_at,
        notes: valid.notes,
    })
}

/// Changes a round that has not opened yet, in one transaction.
pub async fn edit(
    db: &DatabaseConnection,
    settings: &Settings,
    id: i32,
    draft: &RoundDraft,
    now: DateTime<Utc>,
) -> AppResult<Written> {
    let txn = db::begin_write(db).await?;
    let existing = find_locked(&txn, id).await?;
    if existing.state != RoundState::Scheduled {
        return Err(AppError::Conflict(
            Problem::new("problem_round_not_editable")
                .arg("id", id)
                .cause("state", state_word(existing.state)),
        ));
    }
    let valid = validate(&txn, settings, draft, now).await?;
    let mut active: round::ActiveModel = existing.into();
    active.title = Set(valid.title.clone());
    active.opens_at = Set(valid.opens_at);
    active.closes_at = Set(valid.closes_at);
    active.update(&txn).await?;
    round_department::Entity::delete_many()
        .filter(round_department::Column::RoundId.eq(id))
        .exec(&txn)
        .await?;
    round_question::Entity::delete_many()
        .filter(round_question::Column::RoundId.eq(id))
        .exec(&txn)
        .await?;
    round_reminder::Entity::delete_many()
        .filter(round_reminder::Column::RoundId.eq(id))
        .exec(&txn)
        .await?;
    write_details(&txn, id, &valid).await?;
    txn.commit().await?;
    Ok(Written {
        id,
        opens_at: valid.opens_at,
        closes_at: valid.closes_at,
        notes: valid.notes,
    })
}

/// A round a schedule plans for one of its periods.
pub struct PlannedRound {
    pub title: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub schedule_id: i32,
    pub period_key: String,
    pub department_ids: Vec<i32>,
    pub question_ids: Vec<i32>,
}

/// Writes a schedule's round for a period unless that period has one: the unique
/// (schedule_id, period_key) index, not luck, keeps restarts and a second instance from
/// creating it twice. Returns the new round's id, or `None` when it existed.
pub async fn create_planned(
    txn: &impl ConnectionTrait,
    planned: PlannedRound,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<Option<i32>> {
    let inserted = round::Entity::insert(round::ActiveModel {
        title: Set(planned.title.clone()),
        state: Set(RoundState::Scheduled),
        opens_at: Set(planned.opens_at),
        closes_at: Set(planned.closes_at),
        schedule_id: Set(Some(planned.schedule_id)),
        period_key: Set(Some(planned.period_key.clone())),
        created_at: Set(now),
        closed_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            round::Column::ScheduleId,
            round::Column::PeriodKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await;
    match inserted {
        Ok(rows) if rows > 0 => {}
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    let record = round::Entity::find()
        .filter(round::Column::ScheduleId.eq(planned.schedule_id))
        .filter(round::Column::PeriodKey.eq(planned.period_key.as_str()))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("planned round vanished")))?;
    let valid = ValidRound {
        title: planned.title,
        opens_at: planned.opens_at,
        closes_at: planned.closes_at,
        department_ids: planned.department_ids,
        question_ids: planned.question_ids,
        reminders: default_reminders(planned.opens_at, planned.closes_at, tz),
        notes: Vec::new(),
    };
    write_details(txn, record.id, &valid).await?;
    Ok(Some(record.id))
}

async fn write_details(
    txn: &impl ConnectionTrait,
    round_id: i32,
    valid: &ValidRound,
) -> AppResult<()> {
    if !valid.department_ids.is_empty() {
        round_department::Entity::insert_many(valid.department_ids.iter().map(|department_id| {
            round_department::ActiveModel {
                round_id: Set(round_id),
                department_id: Set(*department_id),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    round_question::Entity::insert_many(valid.question_ids.iter().enumerate().map(
        |(position, question_id)| round_question::ActiveModel {
            round_id: Set(round_id),
            question_id: Set(*question_id),
            position: Set(position as i32),
        },
    ))
    .exec_without_returning(txn)
    .await?;
    if !valid.reminders.is_empty() {
        round_reminder::Entity::insert_many(valid.reminders.iter().map(|remind_at| {
            round_reminder::ActiveModel {
                round_id: Set(round_id),
                remind_at: Set(*remind_at),
                done_at: Set(None),
                ..Default::default()
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<round::Model> {
    round::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The round, read for a decision the transaction then acts on (see [`db::for_update`]): no
/// other instance can open, close or edit it in between.
pub async fn find_locked(txn: &impl ConnectionTrait, id: i32) -> AppResult<round::Model> {
    db::for_update(txn, round::Entity::find_by_id(id))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Moves a round from one state to another only if it is still in `from`; `false` when another
/// instance (or HR) got there first.
async fn transition(
    txn: &impl ConnectionTrait,
    id: i32,
    from: RoundState,
    to: RoundState,
    stamp: Option<(round::Column, DateTime<Utc>)>,
) -> AppResult<bool> {
    let mut update = round::Entity::update_many()
        .col_expr(round::Column::State, Expr::value(to.as_str()))
        .filter(round::Column::Id.eq(id))
        .filter(round::Column::State.eq(from));
    if let Some((column, at)) = stamp {
        update = update.col_expr(column, Expr::value(at));
    }
    Ok(update.exec(txn).await?.rows_affected == 1)
}

/// Marks a scheduled round open and says which departments it invites: `None` if it was not
/// scheduled (another instance opened or cancelled it first), else the departments of its
/// target (`None` inside: every department).
pub async fn mark_open(
    txn: &impl ConnectionTrait,
    id: i32,
) -> AppResult<Option<(Vec<department::Model>, Option<HashSet<i32>>)>> {
    if !transition(txn, id, RoundState::Scheduled, RoundState::Open, None).await? {
        return Ok(None);
    }
    let roots: Vec<i32> = round_department::Entity::find()
        .filter(round_department::Column::RoundId.eq(id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| row.department_id)
        .collect();
    let all_departments = departments::all(txn).await?;
    let target = target_departments(&all_departments, &roots);
    Ok(Some((all_departments, target)))
}

/// Marks an open round closed at `now`; `false` when it was closed or cancelled meanwhile. A
/// round that has not opened cannot be closed.
pub async fn mark_closed(
    txn: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let existing = find_locked(txn, id).await?;
    if existing.state == RoundState::Scheduled {
        return Err(AppError::Conflict(
            Problem::new("problem_round_close_not_open").arg("id", id),
        ));
    }
    transition(
        txn,
        id,
        RoundState::Open,
        RoundState::Closed,
        Some((round::Column::ClosedAt, now)),
    )
    .await
}

/// Marks a scheduled or open round cancelled at `now`; a closed or cancelled one cannot be.
pub async fn mark_cancelled(
    txn: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let existing = find_locked(txn, id).await?;
    let state = existing.state;
    match state {
        RoundState::Closed | RoundState::Cancelled => {
            return Err(AppError::Conflict(
                Problem::new("problem_round_not_cancellable")
                    .arg("id", id)
                    .cause("state", state_word(existing.state)),
            ));
        }
        RoundState::Scheduled | RoundState::Open => {}
    }
    if !transition(
        txn,
        id,
        state,
        RoundState::Cancelled,
        Some((round::Column::CancelledAt, now)),
    )
    .await?
    {
        return Err(AppError::Conflict(
            Problem::new("problem_round_changed").arg("id", id),
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cancelled {
    pub id: i32,
    pub responses_deleted: u64,
}

/// The number `cancel` asks HR to confirm: the responses a cancel would delete.
pub async fn responses_to_delete(db: &impl ConnectionTrait, round_id: i32) -> AppResult<u64> {
    Ok(response::Entity::find()
        .filter(response::Column::RoundId.eq(round_id))
        .count(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, settings: &Settings, id: i32) -> AppResult<RoundView> {
    let record = find(db, id).await?;
    let mut views = views(db, settings, vec![record]).await?;
    Ok(views.pop().expect("one view per round"))
}

/// Every round, newest opening first, with participation as numbers.
pub async fn list(db: &DatabaseConnection, settings: &Settings) -> AppResult<Vec<RoundView>> {
    let records = round::Entity::find()
        .order_by_desc(round::Column::OpensAt)
        .all(db)
        .await?;
    views(db, settings, records).await
}

/// The views of `records`, in their order, with a fixed number of queries however many rounds
/// there are (a list page must not run one set of queries per round).
async fn views(
    db: &DatabaseConnection,
    settings: &Settings,
    records: Vec<round::Model>,
) -> AppResult<Vec<RoundView>> {
    let tz = settings.timezone;
    let ids: Vec<i32> = records.iter().map(|r| r.id).collect();
    let mut targets: HashMap<i32, Vec<i32>> = HashMap::new();
    for row in round_department::Entity::find()
        .filter(round_department::Column::RoundId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        targets
            .entry(row.round_id)
            .or_default()
            .push(row.department_id);
    }
    let paths: HashMap<i32, String> = departments::all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.path))
        .collect();
    let keys: HashMap<i32, String> = question::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.id, q.key))
        .collect();
    let mut questions: HashMap<i32, Vec<String>> = HashMap::new();
    for row in round_question::Entity::find()
        .filter(round_question::Column::RoundId.is_in(ids.clone()))
        .order_by_asc(round_question::Column::Position)
        .all(db)
        .await?
    {
        if let Some(key) = keys.get(&row.question_id) {
            questions.entry(row.round_id).or_default().push(key.clone());
        }
    }
    let mut reminders: HashMap<i32, Vec<DateTime<Utc>>> = HashMap::new();
    for row in round_reminder::Entity::find()
        .filter(round_reminder::Column::RoundId.is_in(ids.clone()))
        .order_by_asc(round_reminder::Column::RemindAt)
        .all(db)
        .await?
    {
        reminders
            .entry(row.round_id)
            .or_default()
            .push(row.remind_at);
    }
    let mut counts: HashMap<i32, Participation> = HashMap::new();
    // Counted by the database: a round may have 100,000 invitations.
    let rows: Vec<(i32, i64, i64)> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::RoundId)
        .column_as(Expr::cust("COUNT(*)"), "invited")
        .column_as(
            Expr::cust("SUM(CASE WHEN answered THEN 1 ELSE 0 END)"),
            "answered",
        )
        .filter(invitation::Column::RoundId.is_in(ids.clone()))
        .group_by(invitation::Column::RoundId)
        .into_tuple()
        .all(db)
        .await?;
    // A closed round has no invitations left: its participation is in its aggregates.
    let closed: Vec<(i32, i64, i64)> = result_group::Entity::find()
        .select_only()
        .column(result_group::Column::RoundId)
        .column_as(result_group::Column::Invited.sum(), "invited")
        .column_as(result_group::Column::Responses.sum(), "answered")
        .filter(result_group::Column::RoundId.is_in(ids))
        .group_by(result_group::Column::RoundId)
        .into_tuple()
        .all(db)
        .await?;
    let threshold = settings.anonymity_threshold;
    for (round_id, invited, answered) in rows.into_iter().chain(closed) {
        counts.insert(
            round_id,
            Participation::of_totals(invited.max(0) as u64, answered.max(0) as u64, threshold),
        );
    }
    Ok(records
        .into_iter()
        .map(|record| {
            let id = record.id;
            let mut departments: Vec<String> = targets
                .remove(&id)
                .unwrap_or_default()
                .iter()
                .filter_map(|department| paths.get(department).cloned())
                .collect();
            departments.sort();
            let reminders = reminders.remove(&id).unwrap_or_default();
            RoundView {
                id,
                state: record.state,
                opens_local: format_local_with_zone(record.opens_at, tz),
                closes_local: format_local_with_zone(record.closes_at, tz),
                reminders_local: reminders
                    .iter()
                    .map(|r| format_local_with_zone(*r, tz))
                    .collect(),
                title: record.title,
                opens_at: record.opens_at,
                closes_at: record.closes_at,
                schedule_id: record.schedule_id,
                departments,
                questions: questions.remove(&id).unwrap_or_default(),
                reminders,
                participation: counts
                    .remove(&id)
                    .unwrap_or(Participation::of_totals(0, 0, threshold)),
                notes: Vec::new(),
            }
        })
        .collect())
}

/// Marks a scheduled round cancelled whose whole period passed while no scheduler ran: opening
/// it now would invite people to a round that is already over. `false` if it is still worth
/// opening (or no longer scheduled).
pub async fn mark_missed(
    txn: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let existing = find(txn, id).await?;
    if existing.closes_at > now {
        return Ok(false);
    }
    transition(
        txn,
        id,
        RoundState::Scheduled,
        RoundState::Cancelled,
        Some((round::Column::CancelledAt, now)),
    )
    .await
}

/// Rounds whose time has come, for the scheduler: scheduled ones due to open and open ones due
/// to close.
pub async fn due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<(Vec<i32>, Vec<i32>)> {
    let to_open = round::Entity::find()
        .select_only()
        .column(round::Column::Id)
        .filter(round::Column::State.eq(RoundState::Scheduled))
        .filter(round::Column::OpensAt.lte(now))
        .into_tuple()
        .all(db)
        .await?;
    let to_close = round::Entity::find()
        .select_only()
        .column(round::Column::Id)
        .filter(round::Column::State.eq(RoundState::Open))
        .filter(round::Column::ClosesAt.lte(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok((to_open, to_close))
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
