//! The department tree as each round saw it when it opened (DECISIONS.md "Departments over
//! time"). Reports of a round are computed over this copy, never over today's tree: a closed
//! round then never changes, whatever HR renames, moves or re-imports later, and no reader can
//! subtract the figures before a reorganisation from those after it.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{department, round_tree};

/// Rows per insert: 7 columns each, well within every database's parameter limit.
const ROWS_PER_INSERT: usize = 1_000;

/// Keeps `departments` (the whole tree, retired ones included) as round `round_id`'s tree.
/// Runs in the transaction that opens the round, so a round is never open without its tree.
pub async fn freeze(
    txn: &impl ConnectionTrait,
    round_id: i32,
    departments: &[department::Model],
) -> Result<(), DbErr> {
    for chunk in departments.chunks(ROWS_PER_INSERT) {
        round_tree::Entity::insert_many(chunk.iter().map(|d| round_tree::ActiveModel {
            round_id: Set(round_id),
            department_id: Set(d.id),
            parent_id: Set(d.parent_id),
            name: Set(d.name.clone()),
            path: Set(d.path.clone()),
            created_at: Set(d.created_at),
            retired_at: Set(d.retired_at),
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// The trees of these rounds, as department models (ids are the departments' stable ids;
/// names, paths and parents as they were). A round that never opened has an empty tree.
pub async fn of_rounds(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> Result<HashMap<i32, Vec<department::Model>>, DbErr> {
    let mut out: HashMap<i32, Vec<department::Model>> =
        round_ids.iter().map(|id| (*id, Vec::new())).collect();
    // Batched so that a long history stays within SQLite's parameter limit.
    for ids in round_ids.chunks(500) {
        let rows = round_tree::Entity::find()
            .filter(round_tree::Column::RoundId.is_in(ids.iter().copied()))
            .order_by_asc(round_tree::Column::RoundId)
            .order_by_asc(round_tree::Column::DepartmentId)
            .all(db)
            .await?;
        for row in rows {
            out.entry(row.round_id)
                .or_default()
                .push(department::Model {
                    id: row.department_id,
                    parent_id: row.parent_id,
                    name: row.name,
                    path: row.path,
                    created_at: row.created_at,
                    retired_at: row.retired_at,
                });
        }
    }
    Ok(out)
}

/// The tree of one round.
pub async fn of_round(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<department::Model>, DbErr> {
    Ok(of_rounds(db, &[round_id])
        .await?
        .remove(&round_id)
        .unwrap_or_default())
}
