//! Employee import from HR's exports: CSV in UTF-8, UTF-16 or Windows-1252 with `;`, `,` or tab,
//! German or English headers, and XLSX/ODS spreadsheets.
//!
//! One call, [`import_employees`], takes the file as bytes and either applies it completely or not at
//! all. Inside, the work runs in stages that each do one thing, so that other encodings, header
//! aliases or XLSX can replace a stage without touching the rest. Each stage has its file:
//!
//! ```text
//! read.rs         1–2  bytes ─decode─▶ text ─read_table─▶ RawTable
//! spreadsheet.rs  1–2    (XLSX/ODS: ─spreadsheet::read─▶ RawTable)
//! columns.rs      3    RawTable's header ─map_columns─▶ ColumnMap
//! rows.rs         4    RawTable's rows ─validate_rows─▶ EmployeeRow*
//! plan.rs         5    EmployeeRow* ─make_plan (+ Snapshot of the database)─▶ Plan
//! apply.rs        6    Plan ─apply─▶ database
//! ```
//!
//! Around them: `table.rs` holds what stages 1–2 yield (`RawTable`, the bounds a reader keeps,
//! `LineError`), `options.rs` what the caller chooses ([`ImportOptions`]) and `report.rs` what
//! the import tells it ([`ImportReport`], [`Progress`]). This file runs the stages, in one
//! transaction.
//!
//! Everything up to the plan is pure. The plan is computed against a snapshot of departments and
//! employees read inside the write transaction; applying it uses multi-row statements in chunks,
//! so the number of queries grows with the number of changes divided by the chunk size, not with
//! the number of rows in the file.

use chrono::Utc;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    Statement, TransactionTrait,
};

use crate::entities::department;
use crate::error::AppError;

mod apply;
mod columns;
mod options;
mod plan;
mod read;
mod report;
mod rows;
mod spreadsheet;
mod table;

pub use options::{DeclaredFormat, ImportOptions, ODS_CONTENT_TYPE, XLSX_CONTENT_TYPE};
pub use report::{DepartmentRename, ImportReport, Progress, Stage, ignore_progress};
pub use table::{ColumnUse, FileReading, LineError, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS};

use apply::apply;
use columns::map_columns;
use plan::{DepartmentTree, load_snapshot, make_plan};
use read::read_input;
use rows::{EmployeeRow, validate_rows};

/// Imports HR's employee file (CSV in any of the encodings and delimiters Excel writes, or an
/// XLSX/ODS spreadsheet): all or nothing, in
/// one write transaction. Line errors and invalid renames come back in the report with nothing
/// written; `Err` is kept for real failures (the database).
pub async fn import_employees(
    db: &DatabaseConnection,
    input: &[u8],
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportReport, AppError> {
    let parsed = parse_file(input, options, progress);
    let mut report = ImportReport {
        dry_run: options.dry_run,
        rows: parsed.rows,
        read: parsed.reading,
        ..ImportReport::default()
    };
    if !parsed.errors.is_empty() {
        report.errors = parsed.errors;
        // Renames are checked too, so that HR sees every problem in one go.
        if !options.renames.is_empty() {
            let departments = department::Entity::find().all(db).await?;
            let tree = DepartmentTree::new(&departments);
            report.errors.extend(tree.check_renames(&options.renames));
        }
        return Ok(report);
    }

    let txn = if options.dry_run {
        db.begin().await?
    } else {
        let txn = crate::db::begin_write(db).await?;
        lock_imports(&txn).await?;
        txn
    };
    let outcome = plan_and_apply(&txn, &parsed.employees, options, progress, &mut report).await;
    match outcome {
        Ok(()) if report.is_ok() && !options.dry_run => txn.commit().await?,
        Ok(()) => txn.rollback().await?,
        Err(err) => {
            // The original error matters more than a failed rollback.
            let _ = txn.rollback().await;
            return Err(err.into());
        }
    }
    Ok(report)
}

/// Key of the PostgreSQL advisory lock held by a writing import.
const IMPORT_LOCK_KEY: i64 = 0x6b70_696d_706f_7274; // "kpimport"

/// Serialises writing imports. SQLite's IMMEDIATE transaction does this already; on PostgreSQL two
/// imports would otherwise plan from the same snapshot and the second would fail on a duplicate
/// e-mail or deactivate by a stale list.
async fn lock_imports(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [IMPORT_LOCK_KEY.into()],
    ))
    .await
    .map(|_| ())
}

async fn plan_and_apply(
    txn: &DatabaseTransaction,
    rows: &[EmployeeRow],
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let snapshot = load_snapshot(txn).await?;
    let plan = match make_plan(rows, &snapshot, options) {
        Ok(plan) => plan,
        Err(errors) => {
            report.errors = errors;
            return Ok(());
        }
    };
    plan.fill_report(report);
    if !options.dry_run {
        apply(txn, &plan, Utc::now(), progress).await?;
    }
    Ok(())
}

/// The file's employees, or the problems that keep it from being imported.
struct ParsedFile {
    employees: Vec<EmployeeRow>,
    errors: Vec<LineError>,
    rows: u64,
    reading: Option<FileReading>,
}

/// Stages 1–4: bytes → validated rows (pure).
fn parse_file(
    input: &[u8],
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> ParsedFile {
    let failed = |error: LineError, reading: Option<FileReading>, rows: u64| ParsedFile {
        employees: Vec::new(),
        errors: vec![error],
        rows,
        reading,
    };
    let (table, mut reading) = match read_input(input, options) {
        Ok(read) => read,
        Err(error) => return failed(error, None, 0),
    };
    let rows = table.rows.len() as u64;
    let columns = match map_columns(&table.header, table.header_line, &options.mapping) {
        Ok(columns) => columns,
        Err(error) => return failed(error, Some(reading), rows),
    };
    columns.describe(&table.header, &mut reading);
    let (employees, errors) = validate_rows(&table, &columns, options.default_locale, progress);
    ParsedFile {
        employees,
        errors,
        rows,
        reading: Some(reading),
    }
}

/// The seed mutation of the fuzz tests, shared with tests/it/fuzz.rs.
#[cfg(test)]
#[path = "../../tests/fuzz/mutate.rs"]
mod seeds_mutation;

#[cfg(test)]
mod tests {
    //! What the stages' tests share: a file read through stages 1–4 as the import reads it, and
    //! messages said in English. And the fuzz tests of that whole path.

    use super::read::read_table;
    use super::table::RawTable;
    use super::*;
    use crate::i18n::Locale;

    pub(super) fn table(text: &str) -> RawTable {
        read_table(text).expect("a table").0
    }

    /// The rows and errors of `text` after stages 2–4 (UTF-8 already).
    pub(super) fn check(text: &str) -> (Vec<EmployeeRow>, Vec<LineError>) {
        let table = table(text);
        let columns = map_columns(&table.header, table.header_line, &[]).expect("columns");
        validate_rows(&table, &columns, Locale::De, &ignore_progress)
    }

    pub(super) fn parse(bytes: &[u8]) -> ParsedFile {
        parse_file(bytes, &ImportOptions::new(Locale::De), &ignore_progress)
    }

    impl LineError {
        /// The message as an English reader gets it.
        pub(super) fn en(&self) -> String {
            let mut said = self.clone();
            said.say(Locale::En);
            said.message
        }
    }

    pub(super) fn lines(errors: &[LineError]) -> Vec<u64> {
        errors.iter().map(|error| error.line).collect()
    }

    pub(super) fn reading_of(bytes: &[u8], options: &ImportOptions) -> (ParsedFile, FileReading) {
        let mut parsed = parse_file(bytes, options, &ignore_progress);
        let reading = parsed.reading.take().expect("the file was read");
        (parsed, reading)
    }

    /// Fuzzing the reading of files HR uploads: whatever the bytes, the import ends in a report,
    /// never a panic, and what it accepts is valid. Seeds: the files in tests/fuzz/import (real
    /// export shapes and bad ones) and an XLSX written here; proptest mutates them.
    mod fuzz {
        use super::*;
        use crate::org::import::seeds_mutation::mutate;
        use proptest::prelude::*;

        fn seeds() -> Vec<Vec<u8>> {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/import");
            let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
                .expect("the seed corpus")
                .map(|entry| std::fs::read(entry.expect("entry").path()).expect("a seed"))
                .collect();
            assert!(seeds.len() >= 5, "the corpus is in the repository");
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (row, cells) in [
                ["E-Mail", "Name", "Abteilung", "Sprache"],
                [
                    "jürgen.groß@example.de",
                    "Jürgen Groß",
                    "Vertrieb / Süd",
                    "Deutsch",
                ],
                ["anna@example.com", "Anna Smith", "Technik", "English"],
            ]
            .iter()
            .enumerate()
            {
                for (col, cell) in cells.iter().enumerate() {
                    sheet
                        .write_string(row as u32, col as u16, *cell)
                        .expect("cell");
                }
            }
            sheet.write_number(3, 0, 42.5).expect("cell");
            seeds.push(book.save_to_buffer().expect("xlsx"));
            seeds
        }

        /// What must hold for any input: no panic (the call returns), every error says
        /// something, and accepted rows are valid employees.
        fn holds(bytes: &[u8]) -> Result<(), TestCaseError> {
            let parsed = parse_file(bytes, &ImportOptions::new(Locale::De), &ignore_progress);
            for error in &parsed.errors {
                prop_assert!(!error.en().trim().is_empty(), "{error:?}");
            }
            if parsed.errors.is_empty() {
                prop_assert!(parsed.employees.len() as u64 <= parsed.rows);
                for row in &parsed.employees {
                    prop_assert!(row.email.contains('@'), "{row:?}");
                    prop_assert!(!row.name.trim().is_empty(), "{row:?}");
                    prop_assert!(!row.department.trim().is_empty(), "{row:?}");
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

            #[test]
            fn any_bytes_end_in_a_report(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                holds(&bytes)?;
            }

            #[test]
            fn mutated_exports_end_in_a_report(
                seed in proptest::sample::select(seeds()),
                edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..12),
            ) {
                holds(&mutate(&seed, &edits))?;
            }

            #[test]
            fn cells_of_any_text_end_in_a_report(
                cells in proptest::collection::vec("[a-zA-Z0-9äöüßÄÖÜ@.,;\t\"\r\n /-]{0,24}", 0..40),
                delimiter in proptest::sample::select(vec![",", ";", "\t"]),
            ) {
                let mut text = ["E-Mail", "Vorname", "Nachname", "Abteilung", "Sprache"].join(delimiter);
                for row in cells.chunks(5) {
                    text.push('\n');
                    text.push_str(&row.join(delimiter));
                }
                holds(text.as_bytes())?;
                let (windows_1252, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
                holds(&windows_1252)?;
            }
        }
    }
}
