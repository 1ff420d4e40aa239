//! Group commit: one task writes every submission. It takes whatever is queued, writes it in
//! ONE write transaction (IMMEDIATE on SQLite), and only after the commit tells each waiting
//! request what became of its submission. One transaction per request spends its time waiting
//! for SQLite's write lock and syncing; one per batch pays that once for everyone queued, and
//! needs no timer: while a batch is written the next one gathers.
//!
//! Exactly once per token holds inside the batch and against other instances: one conditional
//! `UPDATE invitations SET answered = true WHERE token_hash IN (…) AND answered = false AND the
//! round is open RETURNING …` says which tokens won; only their responses are inserted, as
//! groups that no query links back to the invitations (`unlink`). A failed batch is rolled back
//! as a whole and every waiter hears of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Expr, ExprTrait, Query, UpdateStatement};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot};

use super::arrays;
use super::form::AnswerValue;
use super::statement::{HASH_ROW_BYTES, runs, statement_budget};
use super::unlink::{self, Draft};
use crate::db;
use crate::entities::{invitation, round};

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

/// The writer's database connection: one of its own, so that it runs on the writer's thread
/// (`Writer::start_on_own_thread`) and never waits for a connection of the pool. On SQLite it
/// also keeps its page cache: another connection's commit empties a connection's cache, so a
/// writer that shares the pool with readers starts every batch cold; alone on its connection it
/// keeps its cache from batch to batch, and a larger one, since claims touch random pages of
/// the token-hash index. `None` for an in-memory database, which exists once per connection.
async fn connect(url: &str) -> Option<Result<DatabaseConnection, DbErr>> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        return None;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(1)
        .min_connections(1);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", "-65536")
                .pragma("secure_delete", "ON")
                // A batch's multi-row statements keep a statement journal (to undo one
                // statement alone) and a RETURNING its rows; in temporary files these were
                // half of the writer's writes and a file created and deleted per batch.
                .pragma("temp_store", "MEMORY")
                // `checkpoints` copies the log back beside the writer, so that its copying
                // and fsync do not hold up a batch. But SQLite starts the log from the
                // beginning again only when a writer begins right after a complete checkpoint,
                // which under steady load never happened: the log grew by 20 KiB a submission
                // (1.7 GB after 80,000), each frame on a new page the kernel had to zero. The
                // writer's own checkpoint at 16 MiB of log finds most of it copied already
                // and lets the next batch start the log afresh; it stays at 16 MiB with the
                // same throughput (docs/BENCHMARKS.md).
                .pragma("wal_autocheckpoint", "4096")
        });
    }
    Some(Database::connect(options).await)
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime, on `db`. It ends when every handle
    /// is gone. `threshold` is the anonymity threshold: the size of the groups responses are
    /// stored in.
    pub fn start(db: DatabaseConnection, threshold: u32) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(db, threshold, jobs, counters.clone()));
        Writer { queue, counters }
    }

    /// Starts the writer on a thread of its own with a connection of its own (see `connect`),
    /// falling back to `shared` (on the current runtime) for an in-memory database or when the
    /// connection cannot be opened.
    ///
    /// On the server's runtime every await of a batch (begin, claim, insert, commit: each a
    /// hop to the database's thread and back) queued behind the requests' tasks; under load the
    /// writer then sat idle between its statements while the requests waited for it (a profile
    /// at 64 connections: the server used 1.06 of 2 cores, the writer's connection a quarter of
    /// one). On its own thread it is never behind a request.
    pub async fn start_on_own_thread(
        url: &str,
        shared: &DatabaseConnection,
        threshold: u32,
    ) -> Writer {
        let (opened, connected) = oneshot::channel();
        let (queue, jobs) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        let own_counters = counters.clone();
        let url = url.to_owned();
        let spawned = std::thread::Builder::new()
            .name("answer-writer".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = opened.send(Err(err.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let db = match connect(&url).await {
                        Some(Ok(db)) => db,
                        Some(Err(err)) => {
                            let _ = opened.send(Err(err.to_string()));
                            return;
                        }
                        None => {
                            let _ = opened.send(Err(String::new()));
                            return;
                        }
                    };
                    if opened.send(Ok(())).is_ok() {
                        run(db, threshold, jobs, own_counters).await;
                    }
                });
            });
        let failure = match spawned {
            Err(err) => Some(err.to_string()),
            Ok(_) => match connected.await {
                Ok(Ok(())) => {
                    if shared.get_database_backend() == DbBackend::Sqlite {
                        tokio::spawn(checkpoints(shared.clone(), queue.downgrade()));
                    }
                    return Writer { queue, counters };
                }
                Ok(Err(err)) => Some(err),
                Err(_) => Some("the writer's thread ended".to_owned()),
            },
        };
        if let Some(err) = failure.filter(|err| !err.is_empty()) {
            tracing::warn!(error = %err, "the submission writer shares the connection pool");
        }
        Writer::start(shared.clone(), threshold)
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

/// How often the write-ahead log is folded back into the database file while the writer runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Folds SQLite's write-ahead log back into the database, on a connection of the pool, for as
/// long as the writer runs (its own connection does not, see `connect`). PASSIVE: it copies
/// what no reader still needs and never waits for or blocks the writer.
async fn checkpoints(shared: DatabaseConnection, writer: mpsc::WeakSender<Job>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if writer.upgrade().is_none() {
            return;
        }
        if let Err(err) = shared
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(error = %err, "a checkpoint of the write-ahead log failed");
        }
    }
}

async fn run(
    db: DatabaseConnection,
    threshold: u32,
    mut jobs: mpsc::Receiver<Job>,
    counters: Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let submissions: Vec<&Submission> = batch.iter().map(|job| &job.submission).collect();
        let result = write_batch(&db, &submissions, Utc::now(), threshold).await;
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
    now: DateTime<Utc>,
    threshold: u32,
) -> Result<Vec<bool>, DbErr> {
    let backend = db.get_database_backend();
    let budget = statement_budget(backend);
    let txn = db::begin_write(db).await?;
    let mut hashes: Vec<&str> = batch.iter().map(|s| s.token_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut claimed: HashMap<String, (i32, i32)> = HashMap::new();
    for hashes in runs(hashes, |hash| hash.len() + HASH_ROW_BYTES, budget) {
        for row in txn.query_all(&claim(hashes, now, backend)).await? {
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
    let winners: Vec<(&Submission, i32, i32)> = batch
        .iter()
        .zip(&won)
        .filter_map(|(s, claim)| {
            claim.map(|(round_id, department_id)| (*s, round_id, department_id))
        })
        .collect();
    // Each round's responses are written as a group (`unlink`): in random order, and together
    // with the round's pending ones once they reach the threshold.
    let mut rounds: BTreeMap<i32, Vec<Draft>> = BTreeMap::new();
    for (submission, round_id, department_id) in winners {
        rounds.entry(round_id).or_default().push(Draft {
            round_id,
            department_id,
            answers: submission.answers.clone(),
        });
    }
    for (round_id, fresh) in rounds {
        unlink::store(&txn, round_id, fresh, threshold).await?;
    }
    txn.commit().await?;
    Ok(won.iter().map(Option::is_some).collect())
}

/// Claims the invitations of these token hashes that are not answered yet, returning them.
fn claim(hashes: Vec<&str>, now: DateTime<Utc>, backend: DbBackend) -> UpdateStatement {
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
    let token_hash = Expr::col(invitation::Column::TokenHash);
    let among = match backend {
        // One statement text for every batch size (`arrays`).
        DbBackend::Postgres => token_hash.eq(PgFunc::any(arrays::strings(hashes))),
        _ => token_hash.is_in(hashes),
    };
    Query::update()
        .table(invitation::Entity)
        .value(invitation::Column::Answered, true)
        .and_where(among)
        .and_where(Expr::col(invitation::Column::Answered).eq(false))
        .and_where(Expr::exists(past_closing).not())
        .returning(Query::returning().columns([
            invitation::Column::TokenHash,
            invitation::Column::RoundId,
            invitation::Column::DepartmentId,
        ]))
        .to_owned()
}
