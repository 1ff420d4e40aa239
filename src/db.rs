//! Connecting to SQLite or PostgreSQL, migrating, and write transactions that behave alike on
//! both.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QuerySelect, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

/// Key of the PostgreSQL advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK_KEY: i64 = 0x6b70_6d69_6772_6174; // "kpmigrat"

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let options = options(url);
    if !url.starts_with("sqlite:") {
        return Database::connect(options).await;
    }
    // Switching a new file to WAL needs a moment of exclusive access, and SQLite answers
    // "database is locked" at once instead of waiting when two processes do it together (two
    // instances started side by side on a fresh file): try again briefly.
    let mut attempts = 0;
    loop {
        match Database::connect(options.clone()).await {
            Err(err) if attempts < 50 && err.to_string().contains("database is locked") => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            result => return result,
        }
    }
}

/// The pool of the service's connections to `url`.
fn options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // A second connection lets reads (and /health) go on beside a writer; an in-memory
        // database exists once per connection, so it must stay at one.
        options.max_connections(if in_memory { 1 } else { 8 });
        options.min_connections(1);
        // A pooled SQLite connection is a thread beside an open file: it cannot go stale the
        // way a network connection does, and sqlx's test before each use was one more round
        // trip to that thread per query. Without it `/health` answered 9 % and complete
        // submissions 3 % faster (tests/bench/submissions.sh, six interleaved pairs).
        options.test_before_acquire(false);
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // SQLite's default page cache is 2 MiB per connection, less than the indexes a
                // survey load reads at 100,000 invitations: there it ran 10–15 % slower than at
                // 60,000 (tests/bench/submissions.sh); 16 MiB won back about half of that.
                .pragma("cache_size", "-16384")
                // Reads through a memory map: every commit of the submission writer empties
                // the readers' page caches, and each link looked up afterwards read its pages
                // again with a system call and a copy.
                .pragma("mmap_size", "268435456")
                // Deleted rows are overwritten, not left in free pages: a round's rewritten
                // responses and deleted invitations must not be readable from the file.
                .pragma("secure_delete", "ON")
        });
    } else {
        // Tested before each use (sqlx's default): after a restart of PostgreSQL the pool
        // replaces its dropped connections instead of failing a request on each.
        options.max_connections(16).min_connections(1);
    }
    options
}

/// Applies pending migrations inside one transaction that first takes a database-wide lock (an
/// advisory lock on PostgreSQL, the write lock on SQLite), so two instances starting together
/// migrate once and neither sees half a schema.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [MIGRATION_LOCK_KEY.into()],
            ))
            .await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await
        }
        _ => {
            let txn = begin_write(db).await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock up front: a deferred
/// transaction that reads first and writes later fails with SQLITE_BUSY under concurrency,
/// whatever the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// `query` as a read for a decision the transaction then acts on: on PostgreSQL the rows are
/// locked until the transaction ends (`FOR UPDATE`), so no other instance changes them in
/// between; on SQLite the write transaction (`begin_write`) already holds the write lock.
pub fn for_update<E: EntityTrait>(txn: &impl ConnectionTrait, query: Select<E>) -> Select<E> {
    if txn.get_database_backend() == DbBackend::Postgres {
        query.lock_exclusive()
    } else {
        query
    }
}

/// A cheap round trip, for health checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_network_connections_are_tested_before_use() {
        let sqlite = options("sqlite://data/kundenpuls.db?mode=rwc");
        assert!(!sqlite.get_test_before_acquire());
        assert_eq!(sqlite.get_max_connections(), Some(8));
        let in_memory = options("sqlite::memory:");
        assert_eq!(in_memory.get_max_connections(), Some(1));
        let postgres = options("postgres://postgres@127.0.0.1:5432/postgres");
        assert!(postgres.get_test_before_acquire());
        assert_eq!(postgres.get_max_connections(), Some(16));
    }
}
