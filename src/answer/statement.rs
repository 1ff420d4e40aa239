//! How big the statements of a submission batch may be: small enough for every database's
//! parameter limit, and on PostgreSQL small enough to leave in one network write.

use sea_orm::DbBackend;

/// Rows per statement at most: 4 parameters a row stays far below SQLite's 32,766.
pub const MAX_ROWS_PER_STATEMENT: usize = 1_000;
/// PostgreSQL: sqlx 0.9 leaves Nagle's algorithm on for its connections. A statement larger
/// than the socket's free send buffer (16 KiB at first on Linux) leaves in two writes, and the
/// second waits for the server's delayed ACK: 40 ms per statement, measured, where the whole
/// batch takes 5. Statements below this size leave in one write.
pub const PG_STATEMENT_BYTES: usize = 12 * 1024;
/// Rough encoded sizes per row: parameters with their length words and format codes, and the
/// row's share of the SQL text.
pub const HASH_ROW_BYTES: usize = 16;
pub const RESPONSE_ROW_BYTES: usize = 100;
pub const ANSWER_ROW_BYTES: usize = 100;

pub fn statement_budget(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => PG_STATEMENT_BYTES,
        _ => usize::MAX,
    }
}

/// Splits `rows` into runs of at most [`MAX_ROWS_PER_STATEMENT`] whose sizes add up to at most
/// `budget` (a single larger row makes a run of its own), keeping their order.
pub fn runs<T>(rows: Vec<T>, size: impl Fn(&T) -> usize, budget: usize) -> Vec<Vec<T>> {
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
