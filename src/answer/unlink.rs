//! Stored responses that no plain query links to the invitation they answered.
//!
//! The transaction that marks an invitation answered also inserts its response, so on
//! PostgreSQL both rows carry that transaction's id (`xmin`), and on SQLite the rowid order of
//! `responses` is the order of submission. Both would single a respondent out. So a response is
//! written as one of a *group* of at least `anonymity_threshold` responses of its round, in
//! random order, with fresh ids (the group's number and a random part), in one transaction:
//!
//! - A batch of the writer that brings enough responses of a round is such a group by itself.
//! - Fewer are stored `pending`: the newest few of an open round. The next batch of that round
//!   rewrites them together with its own (new ids, new rows, old rows deleted) once the group
//!   reaches the threshold. Every response after which at least threshold − 1 others arrived
//!   is therefore in a group of at least the threshold, and its transaction id, physical place
//!   and id tell only that group, never which of its invitations it answered.
//! - At close every response of the round is rewritten once more, in random order, and the
//!   round's invitations are deleted (participation is in the aggregates by then): nothing that
//!   names a person and says "answered" remains. SQLite runs with `secure_delete`, and
//!   PostgreSQL's dead row versions are vacuumed after the close.
//!
//! Every step is one transaction with the write it belongs to: a process killed in between
//! leaves the responses as they were before the step, each exactly once.

use std::collections::HashMap;

use futures::TryStreamExt;
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, StreamTrait,
};

use super::arrays;
use super::form::AnswerValue;
use super::statement::{ANSWER_ROW_BYTES, RESPONSE_ROW_BYTES, runs, statement_budget};
use crate::entities::{answer, invitation, outbox_mail, response, round};
use crate::vocab::RoundState;

/// A response about to be written: where it counts, and its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub round_id: i32,
    pub department_id: i32,
    pub answers: Vec<AnswerValue>,
}

/// Deletes every response of a cancelled round (its answers go with them, ON DELETE CASCADE):
/// a cancelled round is never reported. Returns how many there were.
pub async fn discard(txn: &impl ConnectionTrait, round_id: i32) -> Result<u64, DbErr> {
    Ok(response::Entity::delete_many()
        .filter(response::Column::RoundId.eq(round_id))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Stores `fresh`, the new responses of one round, inside the caller's write transaction: as
/// a group with the round's pending responses when together they reach `threshold`, else as
/// pending themselves.
pub async fn store(
    txn: &impl ConnectionTrait,
    round_id: i32,
    fresh: Vec<Draft>,
    threshold: u32,
) -> Result<(), DbErr> {
    if fresh.is_empty() {
        return Ok(());
    }
    let waiting = pending(txn, round_id).await?;
    if fresh.len() + waiting.len() < Ord::max(threshold, 1) as usize {
        return insert(txn, fresh, true).await;
    }
    let mut group = load(txn, &waiting).await?;
    group.extend(fresh);
    delete(txn, &waiting).await?;
    insert(txn, group, false).await
}

/// The round's pending responses. On PostgreSQL they are locked: a second instance's writer
/// waits, and then finds them gone rather than rewriting them a second time.
async fn pending(txn: &impl ConnectionTrait, round_id: i32) -> Result<Vec<String>, DbErr> {
    let mut query = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .filter(response::Column::RoundId.eq(round_id))
        .filter(response::Column::Pending.eq(true));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.into_tuple().all(txn).await
}

/// Rewrites every response of a closing round in random order and deletes its invitations.
/// Runs in the transaction that closes the round, after the aggregates are written.
pub async fn at_close<C>(txn: &C, round_id: i32) -> Result<(), DbErr>
where
    C: ConnectionTrait + StreamTrait,
{
    // The whole round at once (a round of 70,000 responses is some 40 MB for a moment): deleted
    // by two statements, and written back in the order of the new ids, which the id indexes
    // take in order instead of at random places: 10.5 s instead of 15 s for 70,000 responses on
    // SQLite when rewritten in chunks (docs/BENCHMARKS.md).
    let drafts = load_round(txn, round_id).await?;
    answer::Entity::delete_many()
        .filter(
            answer::Column::ResponseId.in_subquery(
                Query::select()
                    .column(response::Column::Id)
                    .from(response::Entity)
                    .and_where(Expr::col(response::Column::RoundId).eq(round_id))
                    .to_owned(),
            ),
        )
        .exec(txn)
        .await?;
    response::Entity::delete_many()
        .filter(response::Column::RoundId.eq(round_id))
        .exec(txn)
        .await?;
    insert(txn, drafts, false).await?;
    // The send log keeps who was mailed (its rows name the recipient); it lets go of the
    // invitation, which alone said who answered.
    outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::InvitationId,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::InvitationId.is_not_null())
        .exec(txn)
        .await?;
    invitation::Entity::delete_many()
        .filter(invitation::Column::RoundId.eq(round_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Settles closed rounds that still hold invitations: rounds closed before responses were
/// stored this way (an upgraded database). Each is rewritten and cleared like a close does it,
/// in a transaction of its own; nothing to do is one query.
pub async fn settle_closed_rounds(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let rounds: Vec<i32> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::RoundId)
        .distinct()
        .join(
            JoinType::InnerJoin,
            invitation::Entity::belongs_to(round::Entity)
                .from(invitation::Column::RoundId)
                .to(round::Column::Id)
                .into(),
        )
        .filter(round::Column::State.eq(RoundState::Closed))
        .into_tuple()
        .all(db)
        .await?;
    for round_id in &rounds {
        let txn = crate::db::begin_write(db).await?;
        at_close(&txn, *round_id).await?;
        txn.commit().await?;
        tracing::info!(
            round = round_id,
            "responses of a closed round rewritten, invitations deleted"
        );
    }
    if !rounds.is_empty() {
        vacuum(db).await?;
    }
    Ok(rounds.len())
}

/// Removes the dead row versions a close left behind on PostgreSQL, so that not even a look
/// at the pages finds the old rows. Outside any transaction; SQLite overwrote them already
/// (`secure_delete`).
pub async fn vacuum(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM responses, answers, invitations")
            .await?;
    }
    Ok(())
}

/// Responses read back as drafts, by their old ids.
#[derive(Default)]
struct Loading(HashMap<String, Draft>);

impl Loading {
    fn response(&mut self, row: response::Model) {
        let draft = Draft {
            round_id: row.round_id,
            department_id: row.department_id,
            answers: Vec::new(),
        };
        self.0.insert(row.id, draft);
    }

    fn answer(&mut self, row: answer::Model) {
        if let Some(draft) = self.0.get_mut(&row.response_id) {
            draft.answers.push(AnswerValue {
                question_id: row.question_id,
                value: row.value,
                text: row.text,
            });
        }
    }

    fn drafts(self) -> Vec<Draft> {
        self.0.into_values().collect()
    }
}

/// Every response of a round with its answers, as drafts, the answers streamed in one pass.
async fn load_round<C>(txn: &C, round_id: i32) -> Result<Vec<Draft>, DbErr>
where
    C: ConnectionTrait + StreamTrait,
{
    let mut loading = Loading::default();
    for row in response::Entity::find()
        .filter(response::Column::RoundId.eq(round_id))
        .all(txn)
        .await?
    {
        loading.response(row);
    }
    let mut rows = answer::Entity::find()
        .join(
            JoinType::InnerJoin,
            answer::Entity::belongs_to(response::Entity)
                .from(answer::Column::ResponseId)
                .to(response::Column::Id)
                .into(),
        )
        .filter(response::Column::RoundId.eq(round_id))
        .stream(txn)
        .await?;
    while let Some(row) = rows.try_next().await? {
        loading.answer(row);
    }
    Ok(loading.drafts())
}

/// The responses `ids` with their answers, as drafts.
async fn load(txn: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<Draft>, DbErr> {
    let mut loading = Loading::default();
    // 500 ids a statement: within every database's parameter limit.
    for chunk in ids.chunks(500) {
        for row in response::Entity::find()
            .filter(response::Column::Id.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            loading.response(row);
        }
        for row in answer::Entity::find()
            .filter(answer::Column::ResponseId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            loading.answer(row);
        }
    }
    Ok(loading.drafts())
}

async fn delete(txn: &impl ConnectionTrait, ids: &[String]) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        answer::Entity::delete_many()
            .filter(answer::Column::ResponseId.is_in(chunk.iter().cloned()))
            .exec(txn)
            .await?;
        response::Entity::delete_many()
            .filter(response::Column::Id.is_in(chunk.iter().cloned()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Inserts `drafts` as one group under new ids, in random order (SQLite's rowid and
/// PostgreSQL's heap keep the order of insertion).
async fn insert(
    txn: &impl ConnectionTrait,
    drafts: Vec<Draft>,
    pending: bool,
) -> Result<(), DbErr> {
    // Rows written in the order of their ids, which within the group is random: an order that
    // has nothing to do with the order of submission, and one the id indexes take as appends.
    let group = next_group(txn).await?;
    let mut drafts: Vec<(String, Draft)> = {
        let mut rng = rand::rng();
        drafts
            .into_iter()
            .map(|draft| (group_member_id(group, rng.random()), draft))
            .collect()
    };
    drafts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, draft) in &mut drafts {
        draft.answers.sort_unstable_by_key(|a| a.question_id);
    }
    let backend = txn.get_database_backend();
    if backend == DbBackend::Postgres {
        let rows = drafts
            .iter()
            .map(|(id, draft)| arrays::Row {
                id,
                round_id: draft.round_id,
                department_id: draft.department_id,
                answers: &draft.answers,
            })
            .collect();
        return arrays::insert_responses(txn, rows, pending).await;
    }
    let budget = statement_budget(backend);
    let mut responses = Vec::with_capacity(drafts.len());
    let mut answers = Vec::new();
    for (id, draft) in drafts {
        responses.push(response::ActiveModel {
            id: Set(id.clone()),
            round_id: Set(draft.round_id),
            department_id: Set(draft.department_id),
            pending: Set(pending),
        });
        answers.extend(draft.answers.into_iter().map(|a| {
            let bytes = ANSWER_ROW_BYTES + a.text.as_ref().map_or(0, String::len);
            let row = answer::ActiveModel {
                response_id: Set(id.clone()),
                question_id: Set(a.question_id),
                value: Set(a.value),
                text: Set(a.text),
            };
            (row, bytes)
        }));
    }
    for rows in runs(responses, |_| RESPONSE_ROW_BYTES, budget) {
        response::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    for rows in runs(answers, |(_, bytes)| *bytes, budget) {
        answer::Entity::insert_many(rows.into_iter().map(|(row, _)| row))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The first character of a response id written as a member of a group: after every hex
/// digit, so that such ids sort after the plain random ids of older databases.
const GROUP_MARK: char = 'g';
/// Hex digits of the group number, and of the random part after it: 1 + 15 + 1 + 19 = 36
/// characters, the column's width.
const GROUP_DIGITS: usize = 15;
const MEMBER_DIGITS: usize = 19;

/// The number of the group about to be written: one past the newest group's (the responses'
/// greatest id), 0 in a table without grouped ids.
///
/// Why numbered groups instead of random ids: with random ids every response and its answers
/// went to a random leaf of the two id indexes, so that a batch of 100 submissions dirtied
/// some 200 index pages, written to the log at each commit. Numbered, a group is appended at
/// the end. The number tells no more than the rowid (SQLite) or the physical place
/// (PostgreSQL) of the rows already does: the group, never the place in it, and every group is
/// at least the anonymity threshold (`store`); the close rewrites the round as one group.
/// Two instances on PostgreSQL may draw the same number; the random part keeps ids apart.
async fn next_group(txn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let newest: Option<String> = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .order_by_desc(response::Column::Id)
        .limit(1)
        .into_tuple()
        .one(txn)
        .await?;
    Ok(newest
        .as_deref()
        .and_then(group_of)
        .map_or(0, |group| group.wrapping_add(1) & GROUP_MAX))
}

const GROUP_MAX: u64 = (1 << (4 * GROUP_DIGITS)) - 1;

/// The group number of a grouped id, `None` for any other id.
fn group_of(id: &str) -> Option<u64> {
    let digits = id.strip_prefix(GROUP_MARK)?.get(..GROUP_DIGITS)?;
    u64::from_str_radix(digits, 16).ok()
}

fn group_member_id(group: u64, random: u128) -> String {
    let random = random & ((1 << (4 * MEMBER_DIGITS)) - 1);
    format!(
        "{GROUP_MARK}{group:0gw$x}-{random:0mw$x}",
        gw = GROUP_DIGITS,
        mw = MEMBER_DIGITS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ids_fill_the_column_and_sort_by_group() {
        let first = group_member_id(0, u128::MAX);
        let second = group_member_id(1, 0);
        assert_eq!(first.len(), 36);
        assert_eq!(second.len(), 36);
        assert!(first < second, "{first} < {second}");
        assert_eq!(group_of(&first), Some(0));
        assert_eq!(group_of(&second), Some(1));
        let last = group_member_id(GROUP_MAX, u128::MAX);
        assert_eq!(last.len(), 36);
        assert_eq!(group_of(&last), Some(GROUP_MAX));
    }

    #[test]
    fn plain_random_ids_sort_before_grouped_ones_and_have_no_group() {
        let plain = uuid::Uuid::from_u128(u128::MAX).to_string();
        assert_eq!(group_of(&plain), None);
        assert!(plain < group_member_id(0, 0));
        assert_eq!(group_of("g12"), None);
        assert_eq!(group_of("gzzzzzzzzzzzzzzz-0"), None);
    }
}
