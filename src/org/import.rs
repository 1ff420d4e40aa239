//! Employee import from HR's CSV exports.
//!
//! One call, [`import_csv`], takes the file as bytes and either applies it completely or not at
//! all. Inside, the work runs in stages that each do one thing, so that other encodings, header
//! aliases or XLSX can replace a stage without touching the rest:
//!
//! ```text
//! bytes ─decode─▶ text ─read_table─▶ RawTable ─map_columns─▶ ColumnMap
//!       ─validate_rows─▶ EmployeeRow* ─make_plan (+ Snapshot of the database)─▶ Plan ─apply─▶ database
//! ```
//!
//! Everything up to the plan is pure. The plan is computed against a snapshot of departments and
//! employees read inside the write transaction; applying it uses multi-row statements in chunks,
//! so the number of queries grows with the number of changes divided by the chunk size, not with
//! the number of rows in the file.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde::Serialize;

use crate::auth::staff::{is_plausible_email, normalize_email};
use crate::entities::{department, employee};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::org::department::{SEPARATOR, normalize_path};

/// Bound parameters per statement stay below this: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_BIND_PARAMETERS: usize = 30_000;

/// How often validation reports progress, in rows.
const VALIDATION_PROGRESS_EVERY: usize = 1_000;

/// What HR chose for this import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Compute the full report but write nothing.
    pub dry_run: bool,
    /// Deactivate active employees that are not in the file. Employees are never deleted.
    pub deactivate_missing: bool,
    /// Departments HR renamed since the last import, as `(old path, new path)`, applied in this
    /// order before the file's paths are matched. The department keeps its id (and with it its
    /// history); its subtree moves along. Without a rename a new path is a new department.
    pub renames: Vec<(String, String)>,
    /// The locale of rows whose `locale` column is missing or empty.
    pub default_locale: Locale,
}

impl ImportOptions {
    /// A plain import: writes, deactivates nobody, renames nothing.
    pub fn new(default_locale: Locale) -> Self {
        ImportOptions {
            dry_run: false,
            deactivate_missing: false,
            renames: Vec::new(),
            default_locale,
        }
    }
}

/// The outcome of an import. When `errors` is not empty nothing was written and the counts are
/// zero; callers answer 422 or exit non-zero.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Employees that were not in the database.
    pub created: u64,
    /// Employees whose name, department or locale changed, or who were reactivated.
    pub updated: u64,
    /// Active employees absent from the file, deactivated (only with `deactivate_missing`).
    pub deactivated: u64,
    /// Employees in the file that needed no change.
    pub unchanged: u64,
    /// Paths of the departments created, parents before their children.
    pub departments_created: Vec<String>,
    /// The renames HR asked for, as applied (paths normalized).
    pub departments_renamed: Vec<DepartmentRename>,
    /// Retired departments that the file (or a rename) uses again; they are active again.
    pub departments_reopened: Vec<String>,
    /// Every problem found, by line; empty when the import went through (or would, in a dry run).
    pub errors: Vec<LineError>,
    /// Whether this was a dry run (nothing written even when `errors` is empty).
    pub dry_run: bool,
    /// Data rows in the file (the header and empty lines not counted).
    pub rows: u64,
}

impl ImportReport {
    /// True when the file was accepted.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentRename {
    pub from: String,
    pub to: String,
}

/// One problem, at a physical line of the file (1-based; the header is normally line 1). A
/// quoted field may span lines: the line is where the record starts. Line 0 means the problem
/// is not in the file but in the options (a rename).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

impl LineError {
    fn new(line: u64, message: impl Into<String>) -> Self {
        LineError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// The stage an import is in, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Checking the file's rows; `total` is the number of data rows.
    Validating,
    /// Writing employees; `total` is the number of employees created, updated and deactivated.
    Writing,
}

/// `done` of `total` in `stage`. Each stage reports `done == total` once at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// A progress callback for callers that show none.
pub fn ignore_progress(_: Progress) {}

/// Imports HR's employee file (CSV, UTF-8 with or without BOM, `,` or `;`): all or nothing, in
/// one write transaction. Line errors and invalid renames come back in the report with nothing
/// written; `Err` is kept for real failures (the database).
pub async fn import_csv(
    db: &DatabaseConnection,
    input: &[u8],
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportReport, AppError> {
    let parsed = parse_file(input, options.default_locale, progress);
    let mut report = ImportReport {
        dry_run: options.dry_run,
        rows: parsed.rows,
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

// ---------------------------------------------------------------------------------------------
// Stages 1–4: bytes → validated rows (pure)

/// The file's employees, or the problems that keep it from being imported.
struct ParsedFile {
    employees: Vec<EmployeeRow>,
    errors: Vec<LineError>,
    rows: u64,
}

fn parse_file(
    input: &[u8],
    default_locale: Locale,
    progress: &(dyn Fn(Progress) + Sync),
) -> ParsedFile {
    let failed = |error: LineError| ParsedFile {
        employees: Vec::new(),
        errors: vec![error],
        rows: 0,
    };
    let text = match decode(input) {
        Ok(text) => text,
        Err(error) => return failed(error),
    };
    let table = match read_table(&text) {
        Ok(table) => table,
        Err(error) => return failed(error),
    };
    let rows = table.rows.len() as u64;
    let columns = match map_columns(&table.header, table.header_line) {
        Ok(columns) => columns,
        Err(error) => {
            return ParsedFile {
                rows,
                ..failed(error)
            };
        }
    };
    let (employees, errors) = validate_rows(&table, &columns, default_locale, progress);
    ParsedFile {
        employees,
        errors,
        rows,
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Stage 1: the file as text. UTF-8 only for now; other encodings return their text here.
fn decode(input: &[u8]) -> Result<Cow<'_, str>, LineError> {
    let input = input.strip_prefix(UTF8_BOM).unwrap_or(input);
    match std::str::from_utf8(input) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(err) => {
            let line = line_of_offset(input, err.valid_up_to());
            Err(LineError::new(
                line,
                "the file is not UTF-8 (Excel: save as \"CSV UTF-8\")",
            ))
        }
    }
}

fn line_of_offset(input: &[u8], offset: usize) -> u64 {
    let newlines = input[..offset].iter().filter(|&&b| b == b'\n').count();
    newlines as u64 + 1
}

/// A table as the file has it: header cells and data rows of raw (untrimmed) fields, each with
/// the physical line it starts on. Rows whose fields are all blank are left out.
#[derive(Debug)]
struct RawTable {
    header_line: u64,
    header: Vec<String>,
    rows: Vec<RawRow>,
}

#[derive(Debug)]
struct RawRow {
    line: u64,
    fields: Vec<String>,
}

/// Stage 2: records and their lines. The delimiter is taken from the header line, since German
/// Excel writes `;` and everything else `,`.
fn read_table(text: &str) -> Result<RawTable, LineError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record
            .position()
            .map_or(0, |position| lines.line_of_record_at(position.byte()));
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        if fields.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            header = Some((line, fields));
        } else {
            rows.push(RawRow { line, fields });
        }
    }
    let Some((header_line, header)) = header else {
        return Err(LineError::new(
            1,
            format!("the file is empty; expected a header row with the columns {REQUIRED_COLUMNS}"),
        ));
    };
    Ok(RawTable {
        header_line,
        header,
        rows,
    })
}

/// Physical line numbers of records. csv's own `Position::line` does not count the blank lines
/// it skips, and its byte offset points at the end of the previous record: the record really
/// starts after the line breaks that follow.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record whose csv position is `byte`; records come in file order, so
    /// counting goes on from the previous one.
    fn line_of_record_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let newlines = self.text[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

fn csv_error(err: csv::Error) -> LineError {
    let line = err.position().map_or(0, csv::Position::line);
    LineError::new(line, format!("the line cannot be read as CSV: {err}"))
}

/// `;` when the first non-blank line has more semicolons than commas outside quotes, else `,`.
fn detect_delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

const REQUIRED_COLUMNS: &str = "email, name, department (and optionally locale)";

/// Where each field is in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnMap {
    email: usize,
    name: usize,
    department: usize,
    locale: Option<usize>,
    width: usize,
}

/// Stage 3: which header cell is which column; case and surrounding blanks do not matter, other
/// columns are ignored (HR exports carry many).
fn map_columns(header: &[String], line: u64) -> Result<ColumnMap, LineError> {
    let mut positions: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, cell) in header.iter().enumerate() {
        positions
            .entry(cell.trim().to_lowercase())
            .or_default()
            .push(index);
    }
    let wanted = ["email", "name", "department", "locale"];
    if let Some(column) = wanted
        .iter()
        .find(|column| positions.get(**column).is_some_and(|at| at.len() > 1))
    {
        return Err(LineError::new(
            line,
            format!("the header has the column `{column}` more than once"),
        ));
    }
    let find = |column: &str| positions.get(column).map(|at| at[0]);
    match (find("email"), find("name"), find("department")) {
        (Some(email), Some(name), Some(department)) => Ok(ColumnMap {
            email,
            name,
            department,
            locale: find("locale"),
            width: header.len(),
        }),
        (email, name, department) => {
            let missing: Vec<&str> = [("email", email), ("name", name), ("department", department)]
                .iter()
                .filter(|(_, at)| at.is_none())
                .map(|(column, _)| *column)
                .collect();
            let found: Vec<String> = header
                .iter()
                .map(|cell| format!("`{}`", cell.trim()))
                .collect();
            Err(LineError::new(
                line,
                format!(
                    "the header lacks the column(s) {}; found {}; needed {REQUIRED_COLUMNS}",
                    missing.join(", "),
                    found.join(", "),
                ),
            ))
        }
    }
}

/// One valid employee line: email normalized, name trimmed, department path normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EmployeeRow {
    line: u64,
    email: String,
    name: String,
    department: String,
    locale: Locale,
}

/// Stage 4: every row checked; all problems of all rows are collected, none stops the check.
fn validate_rows(
    table: &RawTable,
    columns: &ColumnMap,
    default_locale: Locale,
    progress: &(dyn Fn(Progress) + Sync),
) -> (Vec<EmployeeRow>, Vec<LineError>) {
    let total = table.rows.len() as u64;
    let mut employees = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    let mut first_line_of_email: HashMap<String, u64> = HashMap::new();
    if table.rows.is_empty() {
        errors.push(LineError::new(
            table.header_line,
            "the file has a header but no employees",
        ));
    }
    for (done, row) in table.rows.iter().enumerate() {
        if done % VALIDATION_PROGRESS_EVERY == 0 {
            progress(Progress {
                stage: Stage::Validating,
                done: done as u64,
                total,
            });
        }
        let checked = validate_row(row, columns, default_locale);
        let mut problems = checked.problems;
        if let Some(email) = checked.email {
            match first_line_of_email.get(&email) {
                Some(first) => problems.push(format!(
                    "the e-mail {email} appears already on line {first}"
                )),
                None => {
                    first_line_of_email.insert(email, row.line);
                }
            }
        }
        match checked.employee {
            Some(employee) if problems.is_empty() => employees.push(employee),
            _ => errors.extend(
                problems
                    .into_iter()
                    .map(|message| LineError::new(row.line, message)),
            ),
        }
    }
    progress(Progress {
        stage: Stage::Validating,
        done: total,
        total,
    });
    (employees, errors)
}

/// What one row holds: the employee when the row is valid, else its problems. A valid e-mail is
/// kept even when other fields are not, so that duplicates are still found.
struct CheckedRow {
    email: Option<String>,
    employee: Option<EmployeeRow>,
    problems: Vec<String>,
}

fn validate_row(row: &RawRow, columns: &ColumnMap, default_locale: Locale) -> CheckedRow {
    if let Some(problem) = field_count_problem(row, columns.width) {
        return CheckedRow {
            email: None,
            employee: None,
            problems: vec![problem],
        };
    }
    let field = |index: usize| row.fields.get(index).map_or("", |field| field.trim());
    let mut problems = Vec::new();
    let email = validate_email(field(columns.email)).map_err(|p| problems.push(p));
    let name = validate_name(field(columns.name)).map_err(|p| problems.push(p));
    let department = validate_department(field(columns.department)).map_err(|p| problems.push(p));
    let locale = validate_locale(columns.locale.map_or("", field), default_locale)
        .map_err(|p| problems.push(p));
    let email = email.ok();
    let employee = match (&email, name, department, locale) {
        (Some(email), Ok(name), Ok(department), Ok(locale)) => Some(EmployeeRow {
            line: row.line,
            email: email.clone(),
            name,
            department,
            locale,
        }),
        _ => None,
    };
    CheckedRow {
        email,
        employee,
        problems,
    }
}

/// The normalized (lower-case) e-mail.
fn validate_email(raw: &str) -> Result<String, String> {
    let email = normalize_email(raw);
    if email.is_empty() {
        Err("the e-mail is empty".into())
    } else if !is_plausible_email(&email) {
        Err(format!("`{raw}` is not an e-mail address"))
    } else {
        Ok(email)
    }
}

/// The name as written (only surrounding blanks dropped): umlauts, ß and case stay as they are.
fn validate_name(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        Err("the name is empty".into())
    } else {
        Ok(raw.to_owned())
    }
}

/// The normalized path; `/` separates levels, so a name can never contain one.
fn validate_department(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("the department is empty".into());
    }
    normalize_path(raw)
        .ok_or_else(|| format!("`{raw}` is not a department path: a part between `/` is empty"))
}

/// An empty cell (or no locale column) means the default.
fn validate_locale(raw: &str, default_locale: Locale) -> Result<Locale, String> {
    if raw.is_empty() {
        return Ok(default_locale);
    }
    Locale::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = Locale::ALL.iter().map(|locale| locale.as_str()).collect();
        format!("`{raw}` is not a known locale (use {})", known.join(" or "))
    })
}

/// Rows must have as many fields as the header; trailing empty fields (spreadsheets add them)
/// are tolerated.
fn field_count_problem(row: &RawRow, width: usize) -> Option<String> {
    let count = row.fields.len();
    if count < width {
        let hint = if row.fields.iter().any(|field| field.contains('\n')) {
            "; a quote `\"` may lack its closing quote"
        } else {
            ""
        };
        return Some(format!(
            "the line has {count} fields, the header has {width}{hint}"
        ));
    }
    if row.fields[width..]
        .iter()
        .any(|field| !field.trim().is_empty())
    {
        return Some(format!(
            "the line has {count} fields, the header has {width}; a value containing the \
             delimiter must be in quotes"
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Stage 5: the plan (pure, against a snapshot of the database)

/// Departments and employees as they are in the database, read once.
struct Snapshot {
    departments: Vec<department::Model>,
    employees: Vec<employee::Model>,
}

async fn load_snapshot(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    Ok(Snapshot {
        departments: department::Entity::find().all(db).await?,
        employees: employee::Entity::find().all(db).await?,
    })
}

/// A department that exists already or that the plan creates (by index of its creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DepartmentRef {
    Existing(i32),
    New(usize),
}

/// Department changes, in the order they must be written: a parent is created before it is used,
/// a rename frees its old path before that path can be created again.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DepartmentStep {
    Create {
        path: String,
        name: String,
        parent: Option<DepartmentRef>,
    },
    Reopen {
        department: DepartmentRef,
    },
    /// The department HR renamed: new path, name and parent.
    Move {
        department: DepartmentRef,
        path: String,
        name: String,
        parent: Option<DepartmentRef>,
    },
    /// A department below a renamed one: only its path follows.
    Repath {
        department: DepartmentRef,
        path: String,
    },
}

#[derive(Debug, Clone)]
struct TreeNode {
    department: DepartmentRef,
    retired: bool,
    reopened: bool,
}

/// The department tree by path, as it will be after the steps recorded so far.
struct DepartmentTree {
    by_path: HashMap<String, TreeNode>,
    steps: Vec<DepartmentStep>,
    created: usize,
}

impl DepartmentTree {
    fn new(departments: &[department::Model]) -> Self {
        let by_path = departments
            .iter()
            .map(|department| {
                let node = TreeNode {
                    department: DepartmentRef::Existing(department.id),
                    retired: department.retired_at.is_some(),
                    reopened: false,
                };
                (department.path.clone(), node)
            })
            .collect();
        DepartmentTree {
            by_path,
            steps: Vec::new(),
            created: 0,
        }
    }

    /// The problems of `renames` (line 0), applied to a copy of this tree.
    fn check_renames(&self, renames: &[(String, String)]) -> Vec<LineError> {
        let mut scratch = DepartmentTree {
            by_path: self.by_path.clone(),
            steps: Vec::new(),
            created: self.created,
        };
        renames
            .iter()
            .filter_map(|(old, new)| scratch.rename(old, new).err())
            .map(|message| LineError::new(0, message))
            .collect()
    }

    /// Renames the department at `old` (and moves its subtree along) to `new`; `new`'s parent is
    /// created when missing.
    fn rename(&mut self, old: &str, new: &str) -> Result<DepartmentRename, String> {
        let what = format!("rename `{old}` → `{new}`");
        let old = normalize_path(old)
            .ok_or_else(|| format!("{what}: `{old}` is not a department path"))?;
        let new = normalize_path(new)
            .ok_or_else(|| format!("{what}: `{new}` is not a department path"))?;
        if !self.by_path.contains_key(&old) {
            return Err(format!("{what}: there is no department `{old}`"));
        }
        if self.by_path.contains_key(&new) {
            return Err(format!("{what}: a department `{new}` exists already"));
        }
        if is_in_subtree(&new, &old) {
            return Err(format!("{what}: a department cannot move below itself"));
        }
        let subtree: Vec<String> = self
            .by_path
            .keys()
            .filter(|path| is_in_subtree(path, &old))
            .cloned()
            .collect();
        let moved = |path: &str| format!("{new}{}", &path[old.len()..]);
        if let Some(taken) = subtree
            .iter()
            .map(|path| moved(path))
            .find(|path| self.by_path.contains_key(path))
        {
            return Err(format!("{what}: a department `{taken}` exists already"));
        }
        let parent = parent_path(&new).map(|parent| self.ensure(parent));
        let mut subtree = subtree;
        // Shorter paths first, so the step list reads top-down.
        subtree.sort_by_key(String::len);
        for path in subtree {
            let Some(node) = self.by_path.remove(&path) else {
                continue;
            };
            let path_now = moved(&path);
            self.steps.push(if path == old {
                DepartmentStep::Move {
                    department: node.department,
                    path: path_now.clone(),
                    name: last_part(&path_now).to_owned(),
                    parent,
                }
            } else {
                DepartmentStep::Repath {
                    department: node.department,
                    path: path_now.clone(),
                }
            });
            self.by_path.insert(path_now, node);
        }
        Ok(DepartmentRename { from: old, to: new })
    }

    /// The department at `path` (normalized), created with its missing ancestors; a retired
    /// one is reopened together with its retired ancestors.
    fn ensure(&mut self, path: &str) -> DepartmentRef {
        if let Some(node) = self.by_path.get_mut(path) {
            let department = node.department;
            if node.retired && !node.reopened {
                node.reopened = true;
                self.steps.push(DepartmentStep::Reopen { department });
                if let Some(parent) = parent_path(path) {
                    self.ensure(parent);
                }
            }
            return department;
        }
        let parent = parent_path(path).map(|parent| self.ensure(parent));
        let department = DepartmentRef::New(self.created);
        self.created += 1;
        self.steps.push(DepartmentStep::Create {
            path: path.to_owned(),
            name: last_part(path).to_owned(),
            parent,
        });
        self.by_path.insert(
            path.to_owned(),
            TreeNode {
                department,
                retired: false,
                reopened: false,
            },
        );
        department
    }

    /// Paths of created departments in creation order, as they are at the end of the plan.
    fn created_paths(&self) -> Vec<String> {
        let mut created: Vec<(usize, &String)> = self
            .by_path
            .iter()
            .filter_map(|(path, node)| match node.department {
                DepartmentRef::New(index) => Some((index, path)),
                DepartmentRef::Existing(_) => None,
            })
            .collect();
        created.sort();
        created.into_iter().map(|(_, path)| path.clone()).collect()
    }

    fn reopened_paths(&self) -> Vec<String> {
        let mut reopened: Vec<String> = self
            .by_path
            .iter()
            .filter(|(_, node)| node.reopened)
            .map(|(path, _)| path.clone())
            .collect();
        reopened.sort();
        reopened
    }
}

/// `path` is `root` or below it.
fn is_in_subtree(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(SEPARATOR))
}

fn parent_path(path: &str) -> Option<&str> {
    path.rfind(SEPARATOR).map(|at| &path[..at])
}

fn last_part(path: &str) -> &str {
    path.rfind(SEPARATOR)
        .map_or(path, |at| &path[at + SEPARATOR.len()..])
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NewEmployee {
    email: String,
    name: String,
    department: DepartmentRef,
    locale: Locale,
}

/// An existing employee with the values the file gives; written whole (see `update_employees`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChangedEmployee {
    id: i32,
    email: String,
    created_at: DateTime<Utc>,
    name: String,
    department: DepartmentRef,
    locale: Locale,
}

/// Everything the import will write.
struct Plan {
    department_steps: Vec<DepartmentStep>,
    departments_created: Vec<String>,
    departments_renamed: Vec<DepartmentRename>,
    departments_reopened: Vec<String>,
    new_employees: Vec<NewEmployee>,
    changed_employees: Vec<ChangedEmployee>,
    deactivate: Vec<i32>,
    unchanged: u64,
}

impl Plan {
    fn fill_report(&self, report: &mut ImportReport) {
        report.created = self.new_employees.len() as u64;
        report.updated = self.changed_employees.len() as u64;
        report.deactivated = self.deactivate.len() as u64;
        report.unchanged = self.unchanged;
        report.departments_created = self.departments_created.clone();
        report.departments_renamed = self.departments_renamed.clone();
        report.departments_reopened = self.departments_reopened.clone();
    }

    fn employee_writes(&self) -> u64 {
        (self.new_employees.len() + self.changed_employees.len() + self.deactivate.len()) as u64
    }
}

/// Stage 5: what to write so that the database matches the file. Fails only on invalid renames.
fn make_plan(
    rows: &[EmployeeRow],
    snapshot: &Snapshot,
    options: &ImportOptions,
) -> Result<Plan, Vec<LineError>> {
    let mut tree = DepartmentTree::new(&snapshot.departments);
    let mut renamed = Vec::new();
    let mut errors = Vec::new();
    for (old, new) in &options.renames {
        match tree.rename(old, new) {
            Ok(rename) => renamed.push(rename),
            Err(message) => errors.push(LineError::new(0, message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let existing: HashMap<String, &employee::Model> = snapshot
        .employees
        .iter()
        .map(|employee| (normalize_email(&employee.email), employee))
        .collect();
    let mut department_of_path: HashMap<&str, DepartmentRef> = HashMap::new();
    let mut new_employees = Vec::new();
    let mut changed_employees = Vec::new();
    let mut unchanged = 0;
    for row in rows {
        let department = *department_of_path
            .entry(row.department.as_str())
            .or_insert_with(|| tree.ensure(&row.department));
        match existing.get(&row.email) {
            None => new_employees.push(NewEmployee {
                email: row.email.clone(),
                name: row.name.clone(),
                department,
                locale: row.locale,
            }),
            Some(current) if is_unchanged(current, row, department) => unchanged += 1,
            Some(current) => changed_employees.push(ChangedEmployee {
                id: current.id,
                email: current.email.clone(),
                created_at: current.created_at,
                name: row.name.clone(),
                department,
                locale: row.locale,
            }),
        }
    }

    let deactivate = if options.deactivate_missing {
        let in_file: HashSet<&str> = rows.iter().map(|row| row.email.as_str()).collect();
        snapshot
            .employees
            .iter()
            .filter(|employee| {
                employee.active && !in_file.contains(normalize_email(&employee.email).as_str())
            })
            .map(|employee| employee.id)
            .collect()
    } else {
        Vec::new()
    };

    Ok(Plan {
        departments_created: tree.created_paths(),
        departments_reopened: tree.reopened_paths(),
        department_steps: tree.steps,
        departments_renamed: renamed,
        new_employees,
        changed_employees,
        deactivate,
        unchanged,
    })
}

fn is_unchanged(current: &employee::Model, row: &EmployeeRow, department: DepartmentRef) -> bool {
    current.active
        && current.name == row.name
        && current.locale == row.locale.as_str()
        && department == DepartmentRef::Existing(current.department_id)
}

// ---------------------------------------------------------------------------------------------
// Stage 6: writing the plan

async fn apply(
    txn: &DatabaseTransaction,
    plan: &Plan,
    now: DateTime<Utc>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), DbErr> {
    let created = apply_department_steps(txn, &plan.department_steps, now).await?;
    let mut written = Written {
        done: 0,
        total: plan.employee_writes(),
        progress,
    };
    written.report();
    insert_employees(txn, &plan.new_employees, &created, now, &mut written).await?;
    update_employees(txn, &plan.changed_employees, &created, now, &mut written).await?;
    deactivate_employees(txn, &plan.deactivate, now, &mut written).await?;
    Ok(())
}

/// Counts written employees for the progress callback.
struct Written<'a> {
    done: u64,
    total: u64,
    progress: &'a (dyn Fn(Progress) + Sync),
}

impl Written<'_> {
    fn add(&mut self, rows: usize) {
        self.done += rows as u64;
        self.report();
    }

    fn report(&self) {
        (self.progress)(Progress {
            stage: Stage::Writing,
            done: self.done,
            total: self.total,
        });
    }
}

/// Runs the department steps one statement each (departments are few); returns the ids of the
/// created departments by creation index.
async fn apply_department_steps(
    txn: &DatabaseTransaction,
    steps: &[DepartmentStep],
    now: DateTime<Utc>,
) -> Result<Vec<i32>, DbErr> {
    let mut created = Vec::new();
    for step in steps {
        match step {
            DepartmentStep::Create { path, name, parent } => {
                let parent_id = resolve_optional(*parent, &created)?;
                let inserted = department::ActiveModel {
                    parent_id: Set(parent_id),
                    name: Set(name.clone()),
                    path: Set(path.clone()),
                    created_at: Set(now),
                    retired_at: Set(None),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                created.push(inserted.id);
            }
            DepartmentStep::Reopen { department } => {
                department::Entity::update_many()
                    .col_expr(
                        department::Column::RetiredAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
            DepartmentStep::Move {
                department,
                path,
                name,
                parent,
            } => {
                department::Entity::update_many()
                    .col_expr(department::Column::Path, Expr::value(path.clone()))
                    .col_expr(department::Column::Name, Expr::value(name.clone()))
                    .col_expr(
                        department::Column::ParentId,
                        Expr::value(resolve_optional(*parent, &created)?),
                    )
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
            DepartmentStep::Repath { department, path } => {
                department::Entity::update_many()
                    .col_expr(department::Column::Path, Expr::value(path.clone()))
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(created)
}

fn resolve(department: DepartmentRef, created: &[i32]) -> Result<i32, DbErr> {
    match department {
        DepartmentRef::Existing(id) => Ok(id),
        DepartmentRef::New(index) => created.get(index).copied().ok_or_else(|| {
            DbErr::Custom(format!(
                "import plan uses department #{index} before creating it"
            ))
        }),
    }
}

fn resolve_optional(
    department: Option<DepartmentRef>,
    created: &[i32],
) -> Result<Option<i32>, DbErr> {
    department
        .map(|department| resolve(department, created))
        .transpose()
}

/// Rows per multi-row statement for a table of `columns` bound columns.
fn chunk_rows(columns: usize) -> usize {
    MAX_BIND_PARAMETERS / columns
}

async fn insert_employees(
    txn: &DatabaseTransaction,
    employees: &[NewEmployee],
    created: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    for chunk in employees.chunks(chunk_rows(7)) {
        let models = chunk
            .iter()
            .map(|employee| {
                Ok(employee::ActiveModel {
                    email: Set(employee.email.clone()),
                    name: Set(employee.name.clone()),
                    department_id: Set(resolve(employee.department, created)?),
                    locale: Set(employee.locale.as_str().to_owned()),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        employee::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}

/// Updates many rows per statement through `INSERT … ON CONFLICT (id) DO UPDATE`: both databases
/// have it, and unlike `UPDATE … SET x = CASE id …` it does not compare every row with every
/// case. Every row carries its id and complete values, so the statement only ever hits the
/// conflict branch (employees are never deleted).
async fn update_employees(
    txn: &DatabaseTransaction,
    employees: &[ChangedEmployee],
    created: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    let on_conflict = OnConflict::column(employee::Column::Id)
        .update_columns([
            employee::Column::Name,
            employee::Column::DepartmentId,
            employee::Column::Locale,
            employee::Column::Active,
            employee::Column::UpdatedAt,
        ])
        .to_owned();
    for chunk in employees.chunks(chunk_rows(8)) {
        let models = chunk
            .iter()
            .map(|employee| {
                Ok(employee::ActiveModel {
                    id: Set(employee.id),
                    email: Set(employee.email.clone()),
                    name: Set(employee.name.clone()),
                    department_id: Set(resolve(employee.department, created)?),
                    locale: Set(employee.locale.as_str().to_owned()),
                    active: Set(true),
                    created_at: Set(employee.created_at),
                    updated_at: Set(now),
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        employee::Entity::insert_many(models)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}

async fn deactivate_employees(
    txn: &DatabaseTransaction,
    ids: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(MAX_BIND_PARAMETERS) {
        employee::Entity::update_many()
            .col_expr(employee::Column::Active, Expr::value(false))
            .col_expr(employee::Column::UpdatedAt, Expr::value(now))
            .filter(employee::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> RawTable {
        read_table(text).expect("a table")
    }

    /// The rows and errors of `text` after stages 2–4 (UTF-8 already).
    fn check(text: &str) -> (Vec<EmployeeRow>, Vec<LineError>) {
        let table = table(text);
        let columns = map_columns(&table.header, table.header_line).expect("columns");
        validate_rows(&table, &columns, Locale::De, &ignore_progress)
    }

    fn parse(bytes: &[u8]) -> ParsedFile {
        parse_file(bytes, Locale::De, &ignore_progress)
    }

    fn lines(errors: &[LineError]) -> Vec<u64> {
        errors.iter().map(|error| error.line).collect()
    }

    #[test]
    fn a_bom_is_dropped_and_the_header_still_matches() {
        let parsed = parse(b"\xEF\xBB\xBFemail,name,department\na@example.de,Anna,Vertrieb\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.employees[0].email, "a@example.de");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_at_its_line() {
        // "Jürgen" in Windows-1252.
        let error =
            decode(b"email,name,department\nj@example.de,J\xFCrgen,IT\n").expect_err("not UTF-8");
        assert_eq!(error.line, 2);
        assert!(error.message.contains("UTF-8"), "{error}");
    }

    #[test]
    fn semicolons_and_commas_are_both_understood() {
        assert_eq!(detect_delimiter("email;name;department\n"), b';');
        assert_eq!(detect_delimiter("email,name,department\n"), b',');
        assert_eq!(detect_delimiter("\n\n\"e,mail\";name;department\n"), b';');
        let (rows, errors) = check("email;name;department\na@example.de;Müller, Anna;IT\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "Müller, Anna");
    }

    #[test]
    fn quoted_fields_may_hold_delimiters_and_quotes() {
        let (rows, errors) = check(
            "email,name,department\n\"a@example.de\",\"Müller, \"\"Anni\"\" Anna\",\"Vertrieb / Innendienst\"\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "Müller, \"Anni\" Anna");
        assert_eq!(rows[0].department, "Vertrieb / Innendienst");
    }

    #[test]
    fn umlauts_and_sharp_s_are_kept_exactly() {
        let (rows, errors) = check(
            "email;name;department\nJOERG@Example.de;Jörg Weiß-Özdemir;Geschäftsführung/Straße\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].email, "joerg@example.de");
        assert_eq!(rows[0].name, "Jörg Weiß-Özdemir");
        assert_eq!(rows[0].department, "Geschäftsführung / Straße");
    }

    #[test]
    fn header_columns_match_in_any_order_and_case() {
        let (rows, errors) = check(
            " Department ;LOCALE;Personalnummer;Name;E-Mail;EMAIL\nIT;en;17;Ann;x;ann@example.de\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            rows,
            vec![EmployeeRow {
                line: 2,
                email: "ann@example.de".into(),
                name: "Ann".into(),
                department: "IT".into(),
                locale: Locale::En,
            }]
        );
    }

    #[test]
    fn the_locale_column_is_optional_and_an_empty_cell_takes_the_default() {
        let (rows, errors) = check("email,name,department,locale\na@x.de,A,IT,\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].locale, Locale::De);
        let (rows, _) = check("email,name,department\na@x.de,A,IT\n");
        assert_eq!(rows[0].locale, Locale::De);
    }

    #[test]
    fn a_missing_column_is_one_error_naming_found_and_needed() {
        let parsed = parse(b"Mail;Name;Abteilung\na@x.de;A;IT\n");
        assert_eq!(lines(&parsed.errors), vec![1]);
        let message = &parsed.errors[0].message;
        assert!(message.contains("email, department"), "{message}");
        assert!(message.contains("`Mail`, `Name`, `Abteilung`"), "{message}");
        assert!(
            message.contains("needed email, name, department"),
            "{message}"
        );
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let parsed = parse(b"email,name,department,Email\na@x.de,A,IT,b@x.de\n");
        assert_eq!(lines(&parsed.errors), vec![1]);
        assert!(parsed.errors[0].message.contains("`email` more than once"));
    }

    #[test]
    fn empty_files_and_files_without_employees_are_refused() {
        assert_eq!(lines(&parse(b"").errors), vec![1]);
        assert_eq!(lines(&parse(b"\xEF\xBB\xBF\n\n").errors), vec![1]);
        let header_only = parse(b"email,name,department\n\n");
        assert_eq!(lines(&header_only.errors), vec![1]);
        assert!(header_only.errors[0].message.contains("no employees"));
    }

    #[test]
    fn empty_lines_are_skipped_but_counted_in_line_numbers() {
        let (rows, errors) = check("email,name,department\n\na@x.de,A,IT\n,,\n\nb@x.de,B,IT\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [3, 6]);

        let (rows, errors) =
            check("\r\n\r\nemail;name;department\r\n\r\na@x.de;A;IT\r\n\r\n\r\nb@x.de;;IT\r\n");
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [5]);
        assert_eq!(lines(&errors), vec![8]);
    }

    #[test]
    fn line_numbers_count_newlines_inside_quoted_fields() {
        let text = "email;name;department\n\
                    a@x.de;\"Anna\nMaria\";IT\n\
                    not-an-email;B;IT\n\
                    c@x.de;\"C\r\n\r\nD\";IT\n\
                    d@x.de;;IT\n";
        let (rows, errors) = check(text);
        assert_eq!(rows[0].name, "Anna\nMaria");
        assert_eq!(lines(&errors), vec![4, 8]);
    }

    #[test]
    fn every_kind_of_bad_line_is_reported_with_its_reason() {
        let text = "email,name,department,locale\n\
                    good@x.de,Good,IT,de\n\
                    no-at-sign,Bad Mail,IT,de\n\
                    ,No Mail,IT,de\n\
                    nameless@x.de,,IT,de\n\
                    nodept@x.de,No Dept,,de\n\
                    slashes@x.de,Slashes,Vertrieb //Innendienst,de\n\
                    french@x.de,Français,IT,fr\n\
                    short@x.de,Short\n\
                    long@x.de,Long,Vertrieb,de,extra\n\
                    trailing@x.de,Trailing,IT,en,,\n";
        let (rows, errors) = check(text);
        let reasons: Vec<(u64, &str)> = errors
            .iter()
            .map(|error| (error.line, error.message.as_str()))
            .collect();
        let expect = [
            (3, "`no-at-sign` is not an e-mail address"),
            (4, "the e-mail is empty"),
            (5, "the name is empty"),
            (6, "the department is empty"),
            (
                7,
                "`Vertrieb //Innendienst` is not a department path: a part between `/` is empty",
            ),
            (8, "`fr` is not a known locale (use de or en)"),
            (9, "the line has 2 fields, the header has 4"),
            (
                10,
                "the line has 5 fields, the header has 4; a value containing the delimiter must be in quotes",
            ),
        ];
        assert_eq!(reasons, expect);
        let emails: Vec<&str> = rows.iter().map(|row| row.email.as_str()).collect();
        assert_eq!(emails, ["good@x.de", "trailing@x.de"]);
    }

    #[test]
    fn a_line_with_several_problems_reports_each() {
        let (_, errors) = check("email,name,department,locale\nbad,,,xx\n");
        assert_eq!(lines(&errors), vec![2, 2, 2, 2]);
    }

    #[test]
    fn a_duplicate_email_is_reported_on_its_second_line_naming_the_first() {
        let text = "email,name,department\n\
                    anna@x.de,Anna,IT\n\
                    bert@x.de,Bert,IT\n\
                    \" ANNA@x.de \",Anna again,IT\n\
                    anna@X.DE,Anna thrice,,\n";
        let (rows, errors) = check(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            errors,
            vec![
                LineError::new(4, "the e-mail anna@x.de appears already on line 2"),
                LineError::new(5, "the department is empty"),
                LineError::new(5, "the e-mail anna@x.de appears already on line 2"),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_pointed_at() {
        let (_, errors) = check("email,name,department\na@x.de,\"Anna,IT\nb@x.de,B,IT\n");
        assert_eq!(lines(&errors), vec![2]);
        assert!(errors[0].message.contains("closing quote"), "{errors:?}");
    }

    #[test]
    fn validation_reports_progress_up_to_the_total() {
        let mut text = String::from("email,name,department\n");
        for i in 0..2_500 {
            text.push_str(&format!("p{i}@x.de,P {i},IT\n"));
        }
        let seen = std::sync::Mutex::new(Vec::new());
        let record = |progress: Progress| seen.lock().expect("lock").push(progress);
        let table = table(&text);
        let columns = map_columns(&table.header, 1).expect("columns");
        validate_rows(&table, &columns, Locale::De, &record);
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen.first().map(|p| p.done), Some(0));
        assert!(seen.iter().all(|p| p.total == 2_500));
        assert_eq!(seen.last().map(|p| p.done), Some(2_500));
    }

    fn existing_department(id: i32, parent_id: Option<i32>, path: &str) -> department::Model {
        department::Model {
            id,
            parent_id,
            name: last_part(path).to_owned(),
            path: path.to_owned(),
            created_at: Utc::now(),
            retired_at: None,
        }
    }

    fn tree() -> DepartmentTree {
        DepartmentTree::new(&[
            existing_department(1, None, "Vertrieb"),
            existing_department(2, Some(1), "Vertrieb / Innendienst"),
            existing_department(3, Some(2), "Vertrieb / Innendienst / Nord"),
            existing_department(4, None, "IT"),
        ])
    }

    #[test]
    fn missing_departments_are_created_parents_first() {
        let mut tree = tree();
        assert_eq!(
            tree.ensure("Vertrieb / Innendienst"),
            DepartmentRef::Existing(2)
        );
        assert_eq!(
            tree.ensure("Vertrieb / Außendienst / Süd"),
            DepartmentRef::New(1)
        );
        assert_eq!(
            tree.steps,
            vec![
                DepartmentStep::Create {
                    path: "Vertrieb / Außendienst".into(),
                    name: "Außendienst".into(),
                    parent: Some(DepartmentRef::Existing(1)),
                },
                DepartmentStep::Create {
                    path: "Vertrieb / Außendienst / Süd".into(),
                    name: "Süd".into(),
                    parent: Some(DepartmentRef::New(0)),
                },
            ]
        );
    }

    #[test]
    fn a_rename_moves_the_subtree_and_keeps_ids() {
        let mut tree = tree();
        let rename = tree
            .rename("Vertrieb/Innendienst", "Service / Innen")
            .expect("valid rename");
        assert_eq!(rename.to, "Service / Innen");
        assert_eq!(
            tree.by_path
                .get("Service / Innen / Nord")
                .map(|n| n.department),
            Some(DepartmentRef::Existing(3))
        );
        assert!(!tree.by_path.contains_key("Vertrieb / Innendienst"));
        assert_eq!(
            tree.steps,
            vec![
                DepartmentStep::Create {
                    path: "Service".into(),
                    name: "Service".into(),
                    parent: None,
                },
                DepartmentStep::Move {
                    department: DepartmentRef::Existing(2),
                    path: "Service / Innen".into(),
                    name: "Innen".into(),
                    parent: Some(DepartmentRef::New(0)),
                },
                DepartmentStep::Repath {
                    department: DepartmentRef::Existing(3),
                    path: "Service / Innen / Nord".into(),
                },
            ]
        );
    }

    #[test]
    fn invalid_renames_are_explained() {
        let errors = tree().check_renames(&[
            ("Einkauf".into(), "Beschaffung".into()),
            ("Vertrieb".into(), "IT".into()),
            ("Vertrieb".into(), "Vertrieb / Neu".into()),
            ("IT".into(), "a//b".into()),
        ]);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "rename `Einkauf` → `Beschaffung`: there is no department `Einkauf`",
                "rename `Vertrieb` → `IT`: a department `IT` exists already",
                "rename `Vertrieb` → `Vertrieb / Neu`: a department cannot move below itself",
                "rename `IT` → `a//b`: `a//b` is not a department path",
            ]
        );
        assert!(errors.iter().all(|error| error.line == 0));
    }

    #[test]
    fn subtree_means_the_path_or_below_it() {
        assert!(is_in_subtree("IT", "IT"));
        assert!(is_in_subtree("IT / Netz", "IT"));
        assert!(!is_in_subtree("ITler", "IT"));
        assert_eq!(parent_path("A / B / C"), Some("A / B"));
        assert_eq!(parent_path("A"), None);
        assert_eq!(last_part("A / B / C"), "C");
    }
}
