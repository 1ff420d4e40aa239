//! What HR (or a schedule) writes for a round before it opens: the draft as typed, its
//! checks, and the round with its departments, questions and reminders.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter,
};

use super::reminders::default_reminders;
use super::state::{find_locked, state_word, target_departments};
use crate::action;
use crate::config::Settings;
use crate::db;
use crate::entities::{
    department, employee, round, round_department, round_question, round_reminder,
};
use crate::error::{AppError, AppResult};
use crate::local_time;
use crate::org::department as departments;
use crate::problem::Problem;
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
                .moment("closes", closes.utc, tz)
                .moment("opens", opens.utc, tz),
        ));
    }
    if closes.utc <= now {
        return Err(unprocessable(
            Problem::new("problem_round_closing_passed").moment("closes", closes.utc, tz),
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
            let pinned = action::store::pinned_items(db, &department_ids).await?;
            pulse::select(&catalog, size, &[], &pinned)
        }
    };
    Ok(ValidRound {
        title: title.to_owned(),
        opens_at: opens.utc,
        closes_at: closes.utc,
        department_ids,
        question_ids,
        reminders: default_reminders(opens.utc, closes.utc, tz, &settings.working_time),
        notes: [opens.note, closes.note].into_iter().flatten().collect(),
    })
}

fn resolve_departments(all: &[department::Model], paths: &[String]) -> AppResult<Vec<i32>> {
    departments::resolve_paths(all, paths).map_err(|unknown| unknown_departments(&unknown))
}

/// Department paths a round or schedule names that do not exist.
pub fn unknown_departments(unknown: &[String]) -> AppError {
    unprocessable(Problem::new("problem_unknown_departments").arg("paths", unknown.join(", ")))
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
    pub reminders: Vec<DateTime<Utc>>,
}

/// Writes a schedule's round for a period unless that period has one: the unique
/// (schedule_id, period_key) index, not luck, keeps restarts and a second instance from
/// creating it twice. Returns the new round's id, or `None` when it existed.
pub async fn create_planned(
    txn: &impl ConnectionTrait,
    planned: PlannedRound,
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
        reminders: planned.reminders,
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
