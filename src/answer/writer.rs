//! Group commit: one task writes every submission. It takes whatever is queued, writes it in
//! ONE write transaction (IMMEDIATE on SQLite), and only after the commit tells each waiting
//! request what became of its submission. One transaction per request spends its time waiting
//! for SQLite's write lock and syncing; one per batch pays that once for everyone queued, and
//! needs no timer: while a batch is written the next one gathers.
//!
//! Exactly once per token holds inside the batch and against other instances: one conditional
//! `UPDATE invitations SET answered = true WHERE token_hash IN (…) AND answered = false AND the
//! round is open RETURNING …` says which tokens won; only their responses are inserted. A failed
//! batch is rolled back as a whole and every waiter hears of it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::seq::SliceRandom;
use sea_orm::sea_query::{Expr, ExprTrait, Query, UpdateStatement};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    DbErr, EntityTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::form::AnswerValue;
use crate::db;
use crate::entities::{answer, invitation, response, round};

/// Submissions per transaction at most: a transaction (and a failure) stays small, and no
/// request waits behind an unbounded batch.
pub const MAX_BATCH: usize = 256;
const QUEUE: usize = 4_096;

/// One employee's answers, identified only by the hash of the token they came with; the hash
/// is used to claim the invitation and is never written next to the answers.
#[derive(Debug)]
pub struct Submission {
    pub token_hash: String,
    pub answers: Vec<AnswerValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// Nothing was written: the invitation was answered already (perhaps a moment ago by a
    /// racing request), or the round is no longer open. The caller looks at the link again.
    NotStored,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("the submission writer is not running")]
    Stopped,
    #[error("the batch of submissions could not be written; nothing of it was stored")]
    Failed,
}

struct Job {
    submission: Submission,
    reply: oneshot::Sender<Result<Outcome, WriteError>>,
}

/// Counts for tests and benchmarks; they say nothing about who submitted when.
#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    submissions: AtomicU64,
    largest: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    pub batches: u64,
    pub submissions: u64,
    pub largest_batch: u64,
}

/// The handle requests submit through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

/// The writer's database connection. On SQLite one of its own, with `db::connect`'s settings:
/// another connection's commit empties a connection's page cache, so a writer that shares the
/// pool with readers starts every batch cold; alone on its connection it keeps its cache from
/// batch to batch, and a larger one, since claims touch random pages of the token-hash index.
/// An in-memory database exists once per connection and PostgreSQL has no such cache: there
/// the application's pool is used.
pub async fn connect(shared: &DatabaseConnection, url: &str) -> DatabaseConnection {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if !url.starts_with("sqlite:") || in_memory {
        return shared.clone();
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(1)
        .min_connections(1)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", "-65536")
        });
    match Database::connect(options).await {
        Ok(own) => own,
        Err(err) => {
            tracing::warn!(error = %err, "the submission writer shares the connection pool");
            shared.clone()
        }
    }
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime. It ends when every handle is gone.
    pub fn start(db: DatabaseConnection, timezone: Tz) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(db, timezone, jobs, counters.clone()));
        Writer { queue, counters }
    }

    /// Queues `submission` and waits until its batch is committed (or failed).
    pub async fn submit(&self, submission: Submission) -> Result<Outcome, WriteError> {
        let (reply, outcome) = oneshot::channel();
        self.queue
            .send(Job { submission, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        outcome.await.map_err(|_| WriteError::Stopped)?
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            submissions: self.counters.submissions.load(Ordering::Relaxed),
            largest_batch: self.counters.largest.load(Ordering::Relaxed),
        }
    }
}

async fn run(
    db: DatabaseConnection,
    timezone: Tz,
    mut jobs: mpsc::Receiver<Job>,
    counters: Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let now = Utc::now();
        // The company's calendar day: the only time a response keeps.
        let today = now.with_timezone(&timezone).date_naive();
        let submissions: Vec<&Submission> = batch.iter().map(|job| &job.submission).collect();
        let result = write_batch(&db, &submissions, today, now).await;
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters
            .submissions
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        counters
            .largest
            .fetch_max(batch.len() as u64, Ordering::Relaxed);
        // Off by default: with the database's write order at hand, batch times narrow down
        // when a response came in.
        tracing::debug!(size = batch.len(), "submission batch written");
        match result {
            Ok(won) => {
                for (job, won) in batch.drain(..).zip(won) {
                    let outcome = if won {
                        Outcome::Stored
                    } else {
                        Outcome::NotStored
                    };
                    // A request that gave up waiting no longer needs the answer.
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                tracing::error!(
                    error = %err,
                    submissions = batch.len(),
                    "a batch of survey submissions failed and was rolled back"
                );
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(WriteError::Failed));
                }
            }
        }
    }
}

/// Writes one batch in one write transaction; for each submission (in the given order) whether
/// it was stored. On error nothing of the batch is stored.
pub async fn write_batch(
    db: &DatabaseConnection,
    batch: &[&Submission],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<bool>, DbErr> {
    let budget = statement_budget(db.get_database_backend());
    let txn = db::begin_write(db).await?;
    let mut hashes: Vec<&str> = batch.iter().map(|s| s.token_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut claimed: HashMap<String, (i32, i32)> = HashMap::new();
    for hashes in runs(hashes, |hash| hash.len() + HASH_ROW_BYTES, budget) {
        for row in txn.query_all(&claim(hashes, now)).await? {
            let hash: String = row.try_get("", "token_hash")?;
            let round_id: i32 = row.try_get("", "round_id")?;
            let department_id: i32 = row.try_get("", "department_id")?;
            claimed.insert(hash, (round_id, department_id));
        }
    }
    // The first submission of a token in the batch wins; its repeats lose like later ones.
    let won: Vec<Option<(i32, i32)>> = batch
        .iter()
        .map(|s| claimed.remove(&s.token_hash))
        .collect();
    let mut winners: Vec<(&Submission, i32, i32)> = batch
        .iter()
        .zip(&won)
        .filter_map(|(s, claim)| {
            claim.map(|(round_id, department_id)| (*s, round_id, department_id))
        })
        .collect();
    // Rows are stored in insertion order (SQLite's rowid, PostgreSQL's heap): shuffled, a
    // batch does not keep the order in which its submissions arrived.
    winners.shuffle(&mut rand::rng());
    let mut responses = Vec::with_capacity(winners.len());
    let mut answers = Vec::new();
    for (submission, round_id, department_id) in &winners {
        let id = uuid::Uuid::new_v4().to_string();
        responses.push(response::ActiveModel {
            id: Set(id.clone()),
            round_id: Set(*round_id),
            department_id: Set(*department_id),
            submitted_on: Set(today),
        });
        answers.extend(submission.answers.iter().map(|a| {
            let bytes = ANSWER_ROW_BYTES + a.text.as_ref().map_or(0, String::len);
            let row = answer::ActiveModel {
                response_id: Set(id.clone()),
                question_id: Set(a.question_id),
                value: Set(a.value),
                text: Set(a.text.clone()),
            };
            (row, bytes)
        }));
    }
    for rows in runs(responses, |_| RESPONSE_ROW_BYTES, budget) {
        response::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    for rows in runs(answers, |(_, bytes)| *bytes, budget) {
        answer::Entity::insert_many(rows.into_iter().map(|(row, _)| row))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(won.iter().map(Option::is_some).collect())
}

/// Claims the invitations of these token hashes that are not answered yet, returning them.
fn claim(hashes: Vec<&str>, now: DateTime<Utc>) -> UpdateStatement {
    // A token hash exists only while its round is open: closing and cancelling erase the
    // hashes in the transaction that changes the state. The one gap is a round past its
    // closing time that the scheduler has not closed yet, excluded here. (Filtering on the
    // open rounds' ids instead lets PostgreSQL, whose statistics lag behind a round that just
    // opened, walk all of the round's invitations rather than the hash index.)
    let past_closing = Query::select()
        .expr(Expr::val(1))
        .from(round::Entity)
        .and_where(
            Expr::col((round::Entity, round::Column::Id))
                .equals((invitation::Entity, invitation::Column::RoundId)),
        )
        .and_where(Expr::col((round::Entity, round::Column::ClosesAt)).lte(now))
        .to_owned();
    Query::update()
        .table(invitation::Entity)
        .value(invitation::Column::Answered, true)
        .and_where(Expr::col(invitation::Column::TokenHash).is_in(hashes))
        .and_where(Expr::col(invitation::Column::Answered).eq(false))
        .and_where(Expr::exists(past_closing).not())
        .returning(Query::returning().columns([
            invitation::Column::TokenHash,
            invitation::Column::RoundId,
            invitation::Column::DepartmentId,
        ]))
        .to_owned()
}

/// Rows per statement at most: 4 parameters a row stays far below SQLite's 32,766.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;
/// PostgreSQL: sqlx 0.9 leaves Nagle's algorithm on for its connections. A statement larger
/// than the socket's free send buffer (16 KiB at first on Linux) leaves in two writes, and the
/// second waits for the server's delayed ACK: 40 ms per statement, measured, where the whole
/// batch takes 5. Statements below this size leave in one write.
const PG_STATEMENT_BYTES: usize = 12 * 1024;
/// Rough encoded sizes per row: parameters with their length words and format codes, and the
/// row's share of the SQL text.
const HASH_ROW_BYTES: usize = 16;
const RESPONSE_ROW_BYTES: usize = 100;
const ANSWER_ROW_BYTES: usize = 100;

fn statement_budget(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => PG_STATEMENT_BYTES,
        _ => usize::MAX,
    }
}

/// Splits `rows` into runs of at most [`MAX_ROWS_PER_STATEMENT`] whose sizes add up to at most
/// `budget` (a single larger row makes a run of its own), keeping their order.
fn runs<T>(rows: Vec<T>, size: impl Fn(&T) -> usize, budget: usize) -> Vec<Vec<T>> {
    let mut runs: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    let mut bytes = 0usize;
    for row in rows {
        let row_bytes = size(&row);
        let full =
            current.len() >= MAX_ROWS_PER_STATEMENT || bytes.saturating_add(row_bytes) > budget;
        if !current.is_empty() && full {
            runs.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes = bytes.saturating_add(row_bytes);
        current.push(row);
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_keep_order_and_respect_rows_and_bytes() {
        let rows: Vec<usize> = (0..2_500).collect();
        let unbounded = runs(rows.clone(), |_| 10, usize::MAX);
        assert_eq!(
            unbounded.iter().map(Vec::len).collect::<Vec<_>>(),
            [1_000, 1_000, 500]
        );
        assert_eq!(unbounded.concat(), rows);

        let small = runs(rows.clone(), |_| 100, 1_000);
        assert!(small.iter().all(|run| run.len() == 10));
        assert_eq!(small.concat(), rows);

        let sizes = [5_000, 9_000, 20_000, 1, 1];
        let mixed = runs(sizes.to_vec(), |size| *size, 12_000);
        assert_eq!(mixed, [vec![5_000], vec![9_000], vec![20_000], vec![1, 1]]);
        assert!(runs(Vec::<u8>::new(), |_| 1, 10).is_empty());
    }

    #[test]
    fn only_postgres_statements_are_kept_small() {
        assert_eq!(statement_budget(DbBackend::Sqlite), usize::MAX);
        assert_eq!(statement_budget(DbBackend::Postgres), PG_STATEMENT_BYTES);
    }
}
