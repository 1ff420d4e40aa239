//! A round's state and its changes, each inside the caller's write transaction
//! (`crate::lifecycle` composes them with the rest of opening, closing and cancelling). Every
//! change is a conditional update (`… WHERE state = 'scheduled'`) of a locked round, so two
//! schedulers or an HR click racing the scheduler change a round once.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;

use crate::db;
use crate::entities::{department, response, round, round_department};
use crate::error::{AppError, AppResult};
use crate::org::department as departments;
use crate::problem::Problem;
use crate::vocab::RoundState;

/// A round's state as a word of the reader's language, inside a problem.
pub(super) fn state_word(state: RoundState) -> Problem {
    Problem::new(match state {
        RoundState::Scheduled => "round_state_scheduled",
        RoundState::Open => "round_state_open",
        RoundState::Closed => "round_state_closed",
        RoundState::Cancelled => "round_state_cancelled",
    })
}

/// The departments a target reaches: the subtrees of its roots, or every department.
pub(super) fn target_departments(all: &[department::Model], roots: &[i32]) -> Option<HashSet<i32>> {
    (!roots.is_empty()).then(|| departments::subtree_ids(all, roots))
}

pub(super) async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<round::Model> {
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
