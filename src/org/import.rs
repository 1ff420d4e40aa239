//! Employee import from HR's exports: CSV in UTF-8, UTF-16 or Windows-1252 with `;`, `,` or tab,
//! German or English headers, and XLSX/ODS spreadsheets.
//!
//! One call, [`import_employees`], takes the file as bytes and either applies it completely or not at
//! all. Inside, the work runs in stages that each do one thing, so that other encodings, header
//! aliases or XLSX can replace a stage without touching the rest:
//!
//! ```text
//! bytes ─decode─▶ text ─read_table─▶ RawTable ─map_columns─▶ ColumnMap
//!   (XLSX/ODS: ─read_spreadsheet─▶ RawTable)
//!       ─validate_rows─▶ EmployeeRow* ─make_plan (+ Snapshot of the database)─▶ Plan ─apply─▶ database
//! ```
//!
//! Everything up to the plan is pure. The plan is computed against a snapshot of departments and
//! employees read inside the write transaction; applying it uses multi-row statements in chunks,
//! so the number of queries grows with the number of changes divided by the chunk size, not with
//! the number of rows in the file.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use encoding_rs::Encoding;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde::Serialize;

use crate::email;
use crate::entities::{department, employee};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::org::department::{
    SEPARATOR, checked_path, control_character, depth, normalize_path, shorten,
};
use crate::problem::Problem;

mod spreadsheet;
mod table;

pub use table::{ColumnUse, FileReading, LineError, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS};
use table::{OLE_MAGIC, RawRow, RawTable, TableGuard, empty_file, required_columns};

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
    /// The CSV's text encoding by label (`utf-8`, `utf-16le`, `utf-16be`, `windows-1252`, …);
    /// `None` detects it.
    pub encoding: Option<String>,
    /// The spreadsheet's sheet to read; `None` reads the first.
    pub sheet: Option<String>,
    /// Unusual headers, as `(field, header)`: `("email", "Dienstliche E-Mail")`.
    pub mapping: Vec<(String, String)>,
    /// What the sender says the file is (content type or file name); the content decides when
    /// it is clearly a spreadsheet.
    pub declared: Option<DeclaredFormat>,
}

impl ImportOptions {
    /// A plain import: writes, deactivates nobody, renames nothing.
    pub fn new(default_locale: Locale) -> Self {
        ImportOptions {
            dry_run: false,
            deactivate_missing: false,
            renames: Vec::new(),
            default_locale,
            encoding: None,
            sheet: None,
            mapping: Vec::new(),
            declared: None,
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
    /// How the file was read (format, encoding, delimiter or sheet, columns); absent when the
    /// file could not be read as a table at all.
    pub read: Option<FileReading>,
}

impl ImportReport {
    /// Says every problem in `locale` (each door calls this with its reader's language).
    pub fn say(&mut self, locale: Locale) {
        for error in &mut self.errors {
            error.say(locale);
        }
    }

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

// ---------------------------------------------------------------------------------------------
// Stages 1–4: bytes → validated rows (pure)

/// The file's employees, or the problems that keep it from being imported.
struct ParsedFile {
    employees: Vec<EmployeeRow>,
    errors: Vec<LineError>,
    rows: u64,
    reading: Option<FileReading>,
}

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

/// What a file says it is, from its content type (API) or its name (form, CLI). The content has
/// the last word: a spreadsheet saved under `.csv` is still read as a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredFormat {
    Csv,
    Spreadsheet,
}

/// The content type of XLSX files.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The content type of ODS files.
pub const ODS_CONTENT_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

impl DeclaredFormat {
    /// By a file name's extension: `.xlsx`, `.xlsm`, `.xls`, `.ods` are spreadsheets, anything
    /// else is taken for CSV.
    pub fn from_file_name(name: &str) -> Self {
        let extension = name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_ascii_lowercase());
        match extension.as_deref() {
            Some("xlsx" | "xlsm" | "xls" | "ods") => DeclaredFormat::Spreadsheet,
            _ => DeclaredFormat::Csv,
        }
    }

    /// By a content type (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: &str) -> Self {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            XLSX_CONTENT_TYPE | ODS_CONTENT_TYPE | "application/vnd.ms-excel" => {
                DeclaredFormat::Spreadsheet
            }
            _ => DeclaredFormat::Csv,
        }
    }
}

const PDF_MAGIC: &[u8] = b"%PDF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Stages 1–2: the file as a table, CSV or spreadsheet.
fn read_input(input: &[u8], options: &ImportOptions) -> Result<(RawTable, FileReading), LineError> {
    if input.starts_with(PDF_MAGIC) {
        return Err(LineError::new(0, Problem::new("import_pdf")));
    }
    if input.starts_with(ZIP_MAGIC) || input.starts_with(OLE_MAGIC) {
        return spreadsheet::read(input, options.sheet.as_deref());
    }
    if options.declared == Some(DeclaredFormat::Spreadsheet) && !input.is_empty() {
        return Err(LineError::new(0, Problem::new("import_not_a_spreadsheet")));
    }
    let forced = match options.encoding.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(label) => Some(encoding_by_label(label)?),
    };
    let (text, encoding) = decode(input, forced)?;
    if text.contains('\0') {
        return Err(LineError::new(0, Problem::new("import_binary")));
    }
    let (table, delimiter) = read_table(&text)?;
    let reading = FileReading {
        format: "csv".into(),
        encoding: Some(encoding),
        delimiter: Some(match delimiter {
            b'\t' => "tab".into(),
            other => char::from(other).to_string(),
        }),
        ..FileReading::default()
    };
    Ok((table, reading))
}

/// The encodings HR may choose, by any WHATWG label (`utf-8`, `utf-16le`, `utf-16be`,
/// `windows-1252`, `cp1252`, `latin1`, …) or `ansi`.
fn encoding_by_label(label: &str) -> Result<&'static Encoding, LineError> {
    let label = label.trim();
    if label.eq_ignore_ascii_case("ansi") {
        return Ok(encoding_rs::WINDOWS_1252);
    }
    if label.eq_ignore_ascii_case("utf-16") {
        return Ok(encoding_rs::UTF_16LE);
    }
    Encoding::for_label_no_replacement(label.as_bytes()).ok_or_else(|| {
        LineError::new(
            0,
            Problem::new("import_unknown_encoding").arg("label", shorten(label, 40)),
        )
    })
}

/// Stage 1 (CSV): the file as text, and the name of the encoding used. Without a choice: a byte
/// order mark decides (UTF-8, UTF-16 LE/BE); else valid UTF-8 is UTF-8 and anything else is
/// Windows-1252, which is what German Excel writes as "CSV (Trennzeichen-getrennt)".
fn decode<'a>(
    input: &'a [u8],
    forced: Option<&'static Encoding>,
) -> Result<(Cow<'a, str>, String), LineError> {
    let bom = Encoding::for_bom(input);
    let encoding = match (forced, bom) {
        (Some(encoding), _) => encoding,
        (None, Some((encoding, _))) => encoding,
        (None, None) => match std::str::from_utf8(input) {
            Ok(text) => return Ok((Cow::Borrowed(text), "UTF-8".into())),
            Err(_) => encoding_rs::WINDOWS_1252,
        },
    };
    let (body, with_bom) = match bom {
        Some((bom_encoding, length)) if bom_encoding == encoding => (&input[length..], true),
        _ => (input, false),
    };
    let name = if with_bom {
        format!("{} with BOM", encoding.name())
    } else {
        encoding.name().to_owned()
    };
    if encoding == encoding_rs::UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(text) => Ok((Cow::Borrowed(text), name)),
            Err(err) => Err(LineError::new(
                line_of_offset(body, err.valid_up_to()),
                Problem::new("import_not_utf8"),
            )),
        };
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .map(|text| (text, name))
        .ok_or_else(|| {
            LineError::new(
                0,
                Problem::new("import_not_valid_text").arg("encoding", encoding.name()),
            )
        })
}

fn line_of_offset(input: &[u8], offset: usize) -> u64 {
    let newlines = input[..offset].iter().filter(|&&b| b == b'\n').count();
    newlines as u64 + 1
}

/// Stage 2 (CSV): records and their lines, and the delimiter. Excel's `sep=;` first line names
/// the delimiter; otherwise it is taken from the header line (German Excel writes `;`, most
/// others `,`, "Unicode text" a tab).
fn read_table(text: &str) -> Result<(RawTable, u8), LineError> {
    let (body, first_line, delimiter) = match sep_line(text) {
        Some((delimiter, rest)) => (rest, 2, delimiter),
        None => (text, 1, detect_delimiter(text)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut lines = LineCounter::new(body, first_line);
    let mut rows = Vec::new();
    let mut guard = TableGuard::default();
    for record in reader.records() {
        let record = record.map_err(|err| csv_error(err, first_line))?;
        let line = record
            .position()
            .map_or(0, |position| lines.line_of_record_at(position.byte()));
        let fields: Vec<&str> = record.iter().collect();
        guard.admit(line, &fields)?;
        rows.push(RawRow {
            line,
            fields: fields.into_iter().map(str::to_owned).collect(),
        });
    }
    let table = RawTable::from_rows(rows).ok_or_else(empty_file)?;
    Ok((table, delimiter))
}

/// Excel's `sep=X` first line: the delimiter and the text after that line.
fn sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.trim_end_matches('\r').trim().trim_matches('"');
    let delimiter = first
        .strip_prefix("sep=")
        .or_else(|| first.strip_prefix("SEP="))?;
    match delimiter.as_bytes() {
        [byte] if byte.is_ascii() => Some((*byte, rest)),
        [] => Some((b'\t', rest)),
        _ => None,
    }
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
    /// Counting in `text`, whose first line is line `first_line` of the file.
    fn new(text: &'a str, first_line: u64) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: first_line,
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

fn csv_error(err: csv::Error, first_line: u64) -> LineError {
    let line = err
        .position()
        .map_or(0, |position| position.line() + first_line - 1);
    LineError::new(line, Problem::new("import_bad_csv_line"))
}

/// The delimiter (`;`, `,` or tab) that occurs most often outside quotes in the first non-blank
/// line; `,` when none does.
fn detect_delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let (mut commas, mut semicolons, mut tabs, mut quoted) = (0usize, 0usize, 0usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if tabs > semicolons && tabs > commas {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// A field the import reads from a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    Name,
    FirstName,
    LastName,
    Department,
    Locale,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Email,
        Field::Name,
        Field::FirstName,
        Field::LastName,
        Field::Department,
        Field::Locale,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Department => "department",
            Field::Locale => "locale",
        }
    }

    /// The field as the messages name it, in the reader's language.
    fn described(self) -> Problem {
        Problem::new(match self {
            Field::Email => "import_field_email",
            Field::Name => "import_field_name",
            Field::FirstName => "import_field_first_name",
            Field::LastName => "import_field_last_name",
            Field::Department => "import_field_department",
            Field::Locale => "import_field_locale",
        })
    }

    /// Header texts that mean this field, as [`header_key`]s, German and English.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Email => &[
                "email",
                "mail",
                "emailadresse",
                "emailaddress",
                "mailadresse",
            ],
            Field::Name => &["name", "fullname", "vollername"],
            Field::FirstName => &["vorname", "firstname", "givenname"],
            Field::LastName => &["nachname", "lastname", "surname", "familienname"],
            Field::Department => &[
                "department",
                "abteilung",
                "bereich",
                "team",
                "organisationseinheit",
                "orgeinheit",
            ],
            Field::Locale => &["locale", "sprache", "language"],
        }
    }

    /// The field a `map.FIELD=…` option names: its own name or any alias.
    fn by_name(name: &str) -> Option<Field> {
        let key = header_key(name);
        Field::ALL.into_iter().find(|field| {
            header_key(field.as_str()) == key || field.aliases().contains(&key.as_str())
        })
    }
}

/// A header compared by letters and digits only: `E-Mail-Adresse`, `e_mail adresse` and
/// `EMailAdresse` are the same.
fn header_key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where the name comes from: one column, or first and last name joined.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameColumns {
    Full(usize),
    Parts {
        first: Option<usize>,
        last: Option<usize>,
    },
}

/// Where each field is in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnMap {
    email: usize,
    name: NameColumns,
    department: usize,
    locale: Option<usize>,
    width: usize,
}

impl ColumnMap {
    fn used(&self) -> Vec<(Field, usize)> {
        let mut used = vec![(Field::Email, self.email)];
        match self.name {
            NameColumns::Full(at) => used.push((Field::Name, at)),
            NameColumns::Parts { first, last } => {
                used.extend(first.map(|at| (Field::FirstName, at)));
                used.extend(last.map(|at| (Field::LastName, at)));
            }
        }
        used.push((Field::Department, self.department));
        used.extend(self.locale.map(|at| (Field::Locale, at)));
        used
    }

    /// Which column fed which field and which columns were ignored, into the report.
    fn describe(&self, header: &[String], reading: &mut FileReading) {
        let used = self.used();
        reading.columns = used
            .iter()
            .map(|(field, at)| ColumnUse {
                field: field.as_str().into(),
                header: header[*at].trim().to_owned(),
            })
            .collect();
        reading.ignored_columns = header
            .iter()
            .enumerate()
            .filter(|(index, _)| !used.iter().any(|(_, at)| at == index))
            .map(|(index, cell)| match cell.trim() {
                "" => format!("(column {} without header)", index + 1),
                cell => cell.to_owned(),
            })
            .collect();
    }
}

/// Stage 3: which header cell feeds which field. Headers in German or English, in any order,
/// matched without regard to case, blanks and hyphens; `mapping` (`field → header`) names
/// unusual headers. Other columns are ignored (HR exports carry many).
fn map_columns(
    header: &[String],
    line: u64,
    mapping: &[(String, String)],
) -> Result<ColumnMap, LineError> {
    // The headers as a reader can take them in: the first 20, each shortened, and how many
    // more (a hostile header row has a thousand cells of ten thousand characters).
    let found = || {
        const SHOWN: usize = 20;
        let mut listed: Vec<String> = header
            .iter()
            .take(SHOWN)
            .map(|cell| format!("\"{}\"", shorten(cell.trim(), 40)))
            .collect();
        if header.len() > SHOWN {
            listed.push(format!("… (+{})", header.len() - SHOWN));
        }
        listed.join(", ")
    };
    let keys: Vec<String> = header.iter().map(|cell| header_key(cell)).collect();
    let mut chosen: Vec<(Field, usize)> = Vec::new();
    for (field_name, wanted) in mapping {
        let field = Field::by_name(field_name).ok_or_else(|| {
            let fields: Vec<&str> = Field::ALL.iter().map(|field| field.as_str()).collect();
            LineError::new(
                0,
                Problem::new("import_map_unknown_field")
                    .arg("field", shorten(field_name, 40))
                    .arg("fields", fields.join(", ")),
            )
        })?;
        let key = header_key(wanted);
        let at = keys.iter().position(|k| *k == key).ok_or_else(|| {
            LineError::new(
                line,
                Problem::new("import_map_no_column")
                    .arg("column", shorten(wanted, 40))
                    .arg("found", found()),
            )
        })?;
        chosen.retain(|(f, _)| *f != field);
        chosen.push((field, at));
    }
    for field in Field::ALL {
        if chosen.iter().any(|(f, _)| *f == field) {
            continue;
        }
        let candidates: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(at, key)| {
                field.aliases().contains(&key.as_str()) && !chosen.iter().any(|(_, c)| c == at)
            })
            .map(|(at, _)| at)
            .collect();
        match candidates.as_slice() {
            [] => {}
            [at] => chosen.push((field, *at)),
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|at| format!("\"{}\"", shorten(header[*at].trim(), 40)))
                    .collect();
                return Err(LineError::new(
                    line,
                    Problem::new("import_ambiguous_columns")
                        .arg("columns", names.join(", "))
                        .cause("field", field.described())
                        .arg("name", field.as_str()),
                ));
            }
        }
    }
    let find = |field: Field| chosen.iter().find(|(f, _)| *f == field).map(|(_, at)| *at);
    let name = match (
        find(Field::Name),
        find(Field::FirstName),
        find(Field::LastName),
    ) {
        (Some(at), _, _) => Some(NameColumns::Full(at)),
        (None, None, None) => None,
        (None, first, last) => Some(NameColumns::Parts { first, last }),
    };
    match (find(Field::Email), name, find(Field::Department)) {
        (Some(email), Some(name), Some(department)) => Ok(ColumnMap {
            email,
            name,
            department,
            locale: find(Field::Locale),
            width: header.len(),
        }),
        (email, name, department) => {
            // The fields' own names (as `map` takes them), the same in every language.
            let missing: Vec<&str> = [
                (Field::Email, email.is_some()),
                (Field::Name, name.is_some()),
                (Field::Department, department.is_some()),
            ]
            .iter()
            .filter(|(_, present)| !present)
            .map(|(field, _)| field.as_str())
            .collect();
            Err(LineError::new(
                line,
                Problem::new("import_missing_columns")
                    .arg("missing", missing.join(", "))
                    .arg("found", found())
                    .cause("needed", required_columns()),
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
            Problem::new("import_no_rows"),
        ));
    }
    // Headers as the messages name them: shortened, a missing one by its position.
    let header: Vec<String> = (0..columns.width)
        .map(|at| match table.header.get(at).map(|cell| cell.trim()) {
            Some(cell) if !cell.is_empty() => shorten(cell, 40),
            _ => format!("#{}", at + 1),
        })
        .collect();
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
                Some(first) => problems.push((
                    Some(columns.email),
                    Problem::new("import_duplicate_email")
                        .arg("email", &email)
                        .arg("line", first),
                )),
                None => {
                    first_line_of_email.insert(email, row.line);
                }
            }
        }
        match checked.employee {
            Some(employee) if problems.is_empty() => employees.push(employee),
            _ => {
                let person = person_of(row, columns);
                errors.extend(problems.into_iter().map(|(column, problem)| {
                    LineError::new(row.line, problem).at(
                        column.and_then(|at| header.get(at)).map(String::as_str),
                        person.as_deref(),
                    )
                }))
            }
        }
    }
    progress(Progress {
        stage: Stage::Validating,
        done: total,
        total,
    });
    (employees, errors)
}

/// Whom a row is about, as HR would look for them in the file: the name, else the e-mail, as
/// written (shortened, control characters left out).
fn person_of(row: &RawRow, columns: &ColumnMap) -> Option<String> {
    let field = |index: usize| row.fields.get(index).map_or("", |field| field.trim());
    let name = match columns.name {
        NameColumns::Full(at) => field(at).to_owned(),
        NameColumns::Parts { first, last } => [first, last]
            .into_iter()
            .flatten()
            .map(field)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    };
    [name.as_str(), field(columns.email)]
        .into_iter()
        .map(|text| text.chars().filter(|c| !c.is_control()).collect::<String>())
        .find(|text| !text.trim().is_empty())
        .map(|text| shorten(text.trim(), 60))
}

/// A problem of one row, with the column it lies in (`None`: the row as a whole).
type RowProblem = (Option<usize>, Problem);

/// What one row holds: the employee when the row is valid, else its problems. A valid e-mail is
/// kept even when other fields are not, so that duplicates are still found.
struct CheckedRow {
    email: Option<String>,
    employee: Option<EmployeeRow>,
    problems: Vec<RowProblem>,
}

fn validate_row(row: &RawRow, columns: &ColumnMap, default_locale: Locale) -> CheckedRow {
    if let Some(problem) = field_count_problem(row, columns.width) {
        return CheckedRow {
            email: None,
            employee: None,
            problems: vec![(None, problem)],
        };
    }
    let field = |index: usize| row.fields.get(index).map_or("", |field| field.trim());
    let mut problems: Vec<RowProblem> = Vec::new();
    // What the import stores must be plain text: a NUL or an escape sequence in a name would
    // reach every page, mail and CSV export that shows it.
    for (_, index) in columns.used() {
        if let Some(c) = field(index).chars().find(|c| c.is_control()) {
            problems.push((Some(index), control_character(c)));
        }
    }
    if !problems.is_empty() {
        return CheckedRow {
            email: None,
            employee: None,
            problems,
        };
    }
    let email =
        validate_email(field(columns.email)).map_err(|p| problems.push((Some(columns.email), p)));
    let name = match columns.name {
        NameColumns::Full(at) => validate_name(field(at)).map_err(|p| (Some(at), p)),
        NameColumns::Parts { first, last } => {
            let parts: Vec<&str> = [first, last]
                .into_iter()
                .flatten()
                .map(field)
                .filter(|part| !part.is_empty())
                .collect();
            validate_name(&parts.join(" ")).map_err(|p| (first.or(last), p))
        }
    }
    .map_err(|p| problems.push(p));
    let department = validate_department(field(columns.department))
        .map_err(|p| problems.push((Some(columns.department), p)));
    let locale = validate_locale(columns.locale.map_or("", field), default_locale)
        .map_err(|p| problems.push((columns.locale, p)));
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

/// An address has at most 254 characters (RFC 5321's path limit less the brackets).
const MAX_EMAIL_CHARS: usize = 254;
/// Characters of an employee's name.
const MAX_NAME_CHARS: usize = 200;

/// The normalized (lower-case) e-mail.
fn validate_email(raw: &str) -> Result<String, Problem> {
    let email = email::normalize(raw);
    if email.is_empty() {
        Err(Problem::new("import_email_empty"))
    } else if email.chars().count() > MAX_EMAIL_CHARS {
        Err(Problem::new("import_email_too_long")
            .arg("chars", email.chars().count())
            .arg("max", MAX_EMAIL_CHARS))
    } else if !email::is_plausible(&email) {
        Err(Problem::new("problem_not_an_email").arg("email", shorten(raw, 80)))
    } else {
        Ok(email)
    }
}

/// The name as written (only surrounding blanks dropped): umlauts, ß and case stay as they are.
fn validate_name(raw: &str) -> Result<String, Problem> {
    if raw.is_empty() {
        Err(Problem::new("import_name_empty"))
    } else if raw.chars().count() > MAX_NAME_CHARS {
        Err(Problem::new("import_name_too_long")
            .arg("chars", raw.chars().count())
            .arg("max", MAX_NAME_CHARS))
    } else {
        Ok(raw.to_owned())
    }
}

/// The normalized path; `/` separates levels, so a name can never contain one.
fn validate_department(raw: &str) -> Result<String, Problem> {
    if raw.is_empty() {
        return Err(Problem::new("import_department_empty"));
    }
    checked_path(raw)
}

/// An empty cell (or no locale column) means the default.
fn validate_locale(raw: &str, default_locale: Locale) -> Result<Locale, Problem> {
    if raw.is_empty() {
        return Ok(default_locale);
    }
    Locale::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = Locale::ALL.iter().map(|locale| locale.as_str()).collect();
        Problem::new("import_unknown_locale")
            .arg("locale", shorten(raw, 20))
            .arg("known", known.join(", "))
    })
}

/// Rows must have as many fields as the header; trailing empty fields (spreadsheets add them)
/// are tolerated.
fn field_count_problem(row: &RawRow, width: usize) -> Option<Problem> {
    let count = row.fields.len();
    if count < width {
        let key = if row.fields.iter().any(|field| field.contains('\n')) {
            "import_too_few_fields_quote"
        } else {
            "import_too_few_fields"
        };
        return Some(Problem::new(key).arg("count", count).arg("width", width));
    }
    if row.fields[width..]
        .iter()
        .any(|field| !field.trim().is_empty())
    {
        return Some(
            Problem::new("import_too_many_fields")
                .arg("count", count)
                .arg("width", width),
        );
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
            .map(|problem| LineError::new(0, problem))
            .collect()
    }

    /// Renames the department at `old` (and moves its subtree along) to `new`; `new`'s parent is
    /// created when missing.
    fn rename(&mut self, old: &str, new: &str) -> Result<DepartmentRename, Problem> {
        let (old_shown, new_shown) = (shorten(old, 80), shorten(new, 80));
        let refused = |reason: Problem| {
            Problem::new("import_rename_refused")
                .arg("old", &old_shown)
                .arg("new", &new_shown)
                .cause("reason", reason)
        };
        let old = normalize_path(old).ok_or_else(|| {
            refused(Problem::new("problem_path_empty_part").arg("path", &old_shown))
        })?;
        let new = checked_path(new).map_err(refused)?;
        if !self.by_path.contains_key(&old) {
            return Err(refused(
                Problem::new("import_rename_no_department").arg("path", &old),
            ));
        }
        if self.by_path.contains_key(&new) {
            return Err(refused(
                Problem::new("import_rename_exists").arg("path", &new),
            ));
        }
        if is_in_subtree(&new, &old) {
            return Err(refused(Problem::new("import_rename_below_itself")));
        }
        let subtree: Vec<String> = self
            .by_path
            .keys()
            .filter(|path| is_in_subtree(path, &old))
            .cloned()
            .collect();
        let moved = |path: &str| format!("{new}{}", &path[old.len()..]);
        if let Some(deepest) = subtree
            .iter()
            .map(|path| moved(path))
            .max_by_key(|p| depth(p))
            && depth(&deepest) > crate::org::department::MAX_DEPTH
        {
            return Err(refused(
                Problem::new("problem_path_too_deep")
                    .arg("path", shorten(&deepest, 80))
                    .arg("depth", depth(&deepest))
                    .arg("max", crate::org::department::MAX_DEPTH),
            ));
        }
        if let Some(taken) = subtree
            .iter()
            .map(|path| moved(path))
            .find(|path| self.by_path.contains_key(path))
        {
            return Err(refused(
                Problem::new("import_rename_exists").arg("path", &taken),
            ));
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
    /// one is reopened together with its retired ancestors. Walks up with a loop, not by
    /// recursion: a stored tree may be deeper than any path the import accepts now.
    fn ensure(&mut self, path: &str) -> DepartmentRef {
        // From `path` upwards: the paths to create, and the department found.
        let mut missing = Vec::new();
        let mut at = Some(path);
        let mut found = None;
        while let Some(current) = at {
            if let Some(node) = self.by_path.get(current) {
                found = Some(node.department);
                break;
            }
            missing.push(current.to_owned());
            at = parent_path(current);
        }
        // The department found, and its retired ancestors, are reopened.
        let mut reopen = at;
        while let Some(current) = reopen {
            let Some(node) = self.by_path.get_mut(current) else {
                break;
            };
            if !node.retired || node.reopened {
                break;
            }
            node.reopened = true;
            self.steps.push(DepartmentStep::Reopen {
                department: node.department,
            });
            reopen = parent_path(current);
        }
        let mut parent = found;
        for path in missing.into_iter().rev() {
            let department = DepartmentRef::New(self.created);
            self.created += 1;
            self.steps.push(DepartmentStep::Create {
                name: last_part(&path).to_owned(),
                path: path.clone(),
                parent,
            });
            self.by_path.insert(
                path,
                TreeNode {
                    department,
                    retired: false,
                    reopened: false,
                },
            );
            parent = Some(department);
        }
        parent.expect("a path has at least one level")
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
            Err(problem) => errors.push(LineError::new(0, problem)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let existing: HashMap<String, &employee::Model> = snapshot
        .employees
        .iter()
        .map(|employee| (email::normalize(&employee.email), employee))
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
                employee.active && !in_file.contains(email::normalize(&employee.email).as_str())
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

/// The seed mutation of the fuzz tests, shared with tests/it/fuzz.rs.
#[cfg(test)]
#[path = "../../tests/fuzz/mutate.rs"]
mod seeds_mutation;

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> RawTable {
        read_table(text).expect("a table").0
    }

    /// The rows and errors of `text` after stages 2–4 (UTF-8 already).
    fn check(text: &str) -> (Vec<EmployeeRow>, Vec<LineError>) {
        let table = table(text);
        let columns = map_columns(&table.header, table.header_line, &[]).expect("columns");
        validate_rows(&table, &columns, Locale::De, &ignore_progress)
    }

    fn parse(bytes: &[u8]) -> ParsedFile {
        parse_file(bytes, &ImportOptions::new(Locale::De), &ignore_progress)
    }

    impl LineError {
        /// The message as an English reader gets it.
        fn en(&self) -> String {
            let mut said = self.clone();
            said.say(Locale::En);
            said.message
        }
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
    fn text_that_is_not_utf8_is_read_as_windows_1252_unless_utf8_is_chosen() {
        // "Jürgen Groß" in Windows-1252.
        let bytes = b"email,name,department\nj@example.de,J\xFCrgen Gro\xDF,IT\n";
        let (text, encoding) = decode(bytes, None).expect("windows-1252");
        assert_eq!(encoding, "windows-1252");
        assert!(text.contains("Jürgen Groß"), "{text}");
        let error = decode(bytes, Some(encoding_rs::UTF_8)).expect_err("not UTF-8");
        assert_eq!(error.line, 2);
        assert!(error.en().contains("UTF-8"), "{error}");
    }

    #[test]
    fn semicolons_and_commas_are_both_understood() {
        assert_eq!(detect_delimiter("email;name;department\n"), b';');
        assert_eq!(detect_delimiter("email,name,department\n"), b',');
        assert_eq!(detect_delimiter("email\tname, first\tdepartment\n"), b'\t');
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
            " Department ;LOCALE;Personalnummer;Name;Kostenstelle;EMAIL\nIT;en;17;Ann;x;ann@example.de\n",
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
        let parsed = parse(b"Mail;Name;Personalnummer\na@x.de;A;17\n");
        assert_eq!(lines(&parsed.errors), vec![1]);
        let message = &parsed.errors[0].en();
        assert!(
            message.contains("lacks the columns department;"),
            "{message}"
        );
        assert!(
            message.contains("\"Mail\", \"Name\", \"Personalnummer\""),
            "{message}"
        );
        assert!(
            message.contains("Needed: e-mail, name (or first and last name), department"),
            "{message}"
        );
        let parsed = parse(b"Vorname;Abteilung\nAnna;IT\n");
        let message = &parsed.errors[0].en();
        assert!(message.contains("lacks the columns email;"), "{message}");
    }

    #[test]
    fn two_columns_that_both_look_like_the_email_are_refused() {
        let parsed = parse(b"E-Mail;Name;Abteilung;E-Mail-Adresse\na@x.de;A;IT;b@x.de\n");
        assert_eq!(lines(&parsed.errors), vec![1]);
        let message = &parsed.errors[0].en();
        assert!(
            message.contains("\"E-Mail\", \"E-Mail-Adresse\" all look like “E-mail”"),
            "{message}"
        );
        assert!(message.contains("mapping email=HEADER"), "{message}");
        // Naming one of them settles it; the other is ignored.
        let options = ImportOptions {
            mapping: vec![("email".into(), "e-mail-adresse".into())],
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(
            b"E-Mail;Name;Abteilung;E-Mail-Adresse\na@x.de;A;IT;b@x.de\n",
            &options,
            &ignore_progress,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.employees[0].email, "b@x.de");
        let read = parsed.reading.expect("read");
        assert_eq!(read.ignored_columns, ["E-Mail"]);
    }

    fn reading_of(bytes: &[u8], options: &ImportOptions) -> (ParsedFile, FileReading) {
        let mut parsed = parse_file(bytes, options, &ignore_progress);
        let reading = parsed.reading.take().expect("the file was read");
        (parsed, reading)
    }

    fn uses(reading: &FileReading) -> Vec<(&str, &str)> {
        reading
            .columns
            .iter()
            .map(|c| (c.field.as_str(), c.header.as_str()))
            .collect()
    }

    #[test]
    fn german_headers_in_any_spelling_and_first_plus_last_name() {
        let bytes = "Personalnummer;E-Mail-Adresse;Nachname;VORNAME;organisations einheit;Kostenstelle;Sprache\n\
                     17;anna@x.de;Weiß;Anna;Vertrieb;4711;Englisch\n\
                     18;bert@x.de;Groß;;IT;4712;Deutsch\n"
            .as_bytes();
        let (parsed, reading) = reading_of(bytes, &ImportOptions::new(Locale::De));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.employees[0].name, "Anna Weiß");
        assert_eq!(parsed.employees[0].locale, Locale::En);
        assert_eq!(parsed.employees[1].name, "Groß");
        assert_eq!(parsed.employees[1].locale, Locale::De);
        assert_eq!(
            uses(&reading),
            [
                ("email", "E-Mail-Adresse"),
                ("first_name", "VORNAME"),
                ("last_name", "Nachname"),
                ("department", "organisations einheit"),
                ("locale", "Sprache"),
            ]
        );
        assert_eq!(reading.ignored_columns, ["Personalnummer", "Kostenstelle"]);
        assert_eq!(reading.format, "csv");
        assert_eq!(reading.encoding.as_deref(), Some("UTF-8"));
        assert_eq!(reading.delimiter.as_deref(), Some(";"));
    }

    #[test]
    fn an_unusual_header_is_mapped_and_a_wrong_mapping_explained() {
        let bytes = b"Dienstliche E-Mail,Name,Team\na@x.de,A,IT\n";
        let mapped = ImportOptions {
            mapping: vec![("email".into(), "Dienstliche E-Mail".into())],
            ..ImportOptions::new(Locale::De)
        };
        let (parsed, reading) = reading_of(bytes, &mapped);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(uses(&reading)[0], ("email", "Dienstliche E-Mail"));
        let wrong = ImportOptions {
            mapping: vec![("email".into(), "Private Mail".into())],
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(bytes, &wrong, &ignore_progress);
        assert!(
            parsed.errors[0].en().contains("no column “Private Mail”"),
            "{:?}",
            parsed.errors
        );
        let unknown = ImportOptions {
            mapping: vec![("salary".into(), "Name".into())],
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(bytes, &unknown, &ignore_progress);
        assert!(parsed.errors[0].en().contains("“salary” is not a field"));
    }

    /// UTF-16 bytes with a byte order mark, as Excel's "Unicode text" writes them.
    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let pair = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            bytes.extend_from_slice(&pair);
        }
        bytes
    }

    #[test]
    fn every_encoding_gives_the_same_umlauts() {
        let text =
            "E-Mail\tName\tAbteilung\r\njoerg@x.de\tJörg Weiß-Özdemir\tGeschäftsführung/Straße\r\n";
        let (windows_1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend_from_slice(text.as_bytes());
        let cases: [(Vec<u8>, &str); 5] = [
            (text.as_bytes().to_vec(), "UTF-8"),
            (utf8_bom, "UTF-8 with BOM"),
            (utf16(text, false), "UTF-16LE with BOM"),
            (utf16(text, true), "UTF-16BE with BOM"),
            (windows_1252.into_owned(), "windows-1252"),
        ];
        for (bytes, encoding) in cases {
            let (parsed, reading) = reading_of(&bytes, &ImportOptions::new(Locale::De));
            assert!(parsed.errors.is_empty(), "{encoding}: {:?}", parsed.errors);
            assert_eq!(reading.encoding.as_deref(), Some(encoding));
            assert_eq!(reading.delimiter.as_deref(), Some("tab"));
            assert_eq!(parsed.employees[0].name, "Jörg Weiß-Özdemir", "{encoding}");
            assert_eq!(
                parsed.employees[0].department, "Geschäftsführung / Straße",
                "{encoding}"
            );
        }
    }

    #[test]
    fn a_chosen_encoding_wins_and_an_unknown_one_is_explained() {
        // Valid UTF-8 that HR says is Windows-1252 reads as mojibake: HR's choice counts.
        let bytes = "email;name;department\na@x.de;Jörg;IT\n".as_bytes();
        let chosen = ImportOptions {
            encoding: Some("Windows-1252".into()),
            ..ImportOptions::new(Locale::De)
        };
        let (parsed, reading) = reading_of(bytes, &chosen);
        assert_eq!(reading.encoding.as_deref(), Some("windows-1252"));
        assert_eq!(parsed.employees[0].name, "JÃ¶rg");
        // UTF-16 without a byte order mark is found only when chosen.
        let text = "email;name;department\na@x.de;Jörg;IT\n";
        let no_bom = utf16(text, false)[2..].to_vec();
        let parsed = parse(&no_bom);
        assert!(
            parsed.errors[0].en().contains("binary"),
            "{:?}",
            parsed.errors
        );
        let chosen = ImportOptions {
            encoding: Some("utf-16le".into()),
            ..ImportOptions::new(Locale::De)
        };
        let (parsed, reading) = reading_of(&no_bom, &chosen);
        assert_eq!(reading.encoding.as_deref(), Some("UTF-16LE"));
        assert_eq!(parsed.employees[0].name, "Jörg");
        let unknown = ImportOptions {
            encoding: Some("klingon".into()),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(bytes, &unknown, &ignore_progress);
        assert!(
            parsed.errors[0]
                .en()
                .contains("“klingon” is not a known encoding")
        );
    }

    #[test]
    fn excels_sep_line_names_the_delimiter_and_line_numbers_stay_right() {
        let (parsed, reading) = reading_of(
            b"sep=,\r\nemail,name,department\r\na@x.de,A;x,IT\r\nkaputt,B,IT\r\n",
            &ImportOptions::new(Locale::De),
        );
        assert_eq!(reading.delimiter.as_deref(), Some(","));
        assert_eq!(lines(&parsed.errors), vec![4]);
        assert!(parsed.errors[0].en().contains("“kaputt”"));
        assert_eq!(parsed.errors.len(), 1);
        let (parsed, _) = reading_of(
            b"\"sep=;\"\nemail;name;department\n\nb@x.de;;IT\n",
            &ImportOptions::new(Locale::De),
        );
        assert_eq!(lines(&parsed.errors), vec![4]);
    }

    #[test]
    fn pdfs_binary_files_and_declared_spreadsheets_that_are_not_are_refused() {
        let pdf = parse(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n");
        assert!(pdf.errors[0].en().contains("is a PDF"), "{:?}", pdf.errors);
        assert!(pdf.reading.is_none());
        let binary = parse(b"\x00\x01\x02\x03email\x00name\n");
        assert!(
            binary.errors[0].en().contains("binary"),
            "{:?}",
            binary.errors
        );
        let zip_but_not_a_sheet = parse(b"PK\x03\x04 not really a zip");
        assert!(
            zip_but_not_a_sheet.errors[0]
                .en()
                .contains("cannot be read as XLSX or ODS"),
            "{:?}",
            zip_but_not_a_sheet.errors
        );
        let declared = ImportOptions {
            declared: Some(DeclaredFormat::Spreadsheet),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(
            b"email,name,department\na@x.de,A,IT\n",
            &declared,
            &ignore_progress,
        );
        assert!(
            parsed.errors[0].en().contains("is not one"),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn declared_formats_come_from_names_and_content_types() {
        assert_eq!(
            DeclaredFormat::from_file_name("Mitarbeiter.XLSX"),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_file_name("liste.ods"),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_file_name("liste.csv"),
            DeclaredFormat::Csv
        );
        assert_eq!(
            DeclaredFormat::from_content_type(XLSX_CONTENT_TYPE),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_content_type("text/csv; charset=windows-1252"),
            DeclaredFormat::Csv
        );
    }

    /// An XLSX file written by rust_xlsxwriter: a first sheet `Deckblatt` with a note, and the
    /// employees on `Mitarbeitende` starting in row 3 (two empty rows above), with a number and a date
    /// column and a blank row.
    fn workbook() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let cover = book.add_worksheet().set_name("Deckblatt").expect("name");
        cover
            .write_string(0, 0, "Export aus dem HR-System")
            .expect("cell");
        let sheet = book
            .add_worksheet()
            .set_name("Mitarbeitende")
            .expect("name");
        let date = Format::new().set_num_format("dd.mm.yyyy");
        let header = [
            "Personalnummer",
            "E-Mail",
            "Name",
            "Abteilung",
            "Eintritt",
            "Sprache",
        ];
        for (col, text) in header.iter().enumerate() {
            sheet.write_string(2, col as u16, *text).expect("cell");
        }
        let rows = [
            (17.0, "anna@x.de", "Anna Weiß", "Vertrieb / Süd", "de"),
            (
                18.0,
                "bert@x.de",
                "Bert Groß",
                "Geschäftsführung",
                "Englisch",
            ),
            (19.0, "kaputt", "Cem Öztürk", "IT", "de"),
        ];
        let mut row = 3;
        for (number, email, name, department, locale) in rows {
            if row == 5 {
                row += 1; // a blank row in between
            }
            sheet.write_number(row, 0, number).expect("cell");
            sheet.write_string(row, 1, email).expect("cell");
            sheet.write_string(row, 2, name).expect("cell");
            sheet.write_string(row, 3, department).expect("cell");
            let day = ExcelDateTime::from_ymd(2020, 3, 1).expect("date");
            sheet
                .write_datetime_with_format(row, 4, &day, &date)
                .expect("cell");
            sheet.write_string(row, 5, locale).expect("cell");
            row += 1;
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn an_xlsx_sheet_is_read_with_excels_row_numbers() {
        let sheet = ImportOptions {
            sheet: Some("mitarbeitende".into()),
            ..ImportOptions::new(Locale::De)
        };
        let bytes = workbook();
        let (parsed, reading) = reading_of(&bytes, &sheet);
        assert_eq!(reading.format, "xlsx");
        assert_eq!(reading.sheet.as_deref(), Some("Mitarbeitende"));
        assert_eq!(reading.encoding, None);
        assert_eq!(reading.ignored_columns, ["Personalnummer", "Eintritt"]);
        // Rows 1–2 are empty, the header is row 3 and row 6 is blank: Excel's numbers count.
        assert_eq!(lines(&parsed.errors), vec![7], "{:?}", parsed.errors);
        assert!(parsed.errors[0].en().contains("“kaputt”"));
        assert_eq!(parsed.employees[0].name, "Anna Weiß");
        assert_eq!(parsed.employees[0].department, "Vertrieb / Süd");
        assert_eq!(parsed.employees[1].locale, Locale::En);
        assert_eq!(
            parsed.employees.iter().map(|e| e.line).collect::<Vec<_>>(),
            [4, 5]
        );
    }

    #[test]
    fn an_unknown_sheet_and_a_cover_sheet_are_explained() {
        let missing = ImportOptions {
            sheet: Some("Tabelle1".into()),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(&workbook(), &missing, &ignore_progress);
        assert_eq!(
            parsed.errors[0].en(),
            "The file has no sheet “Tabelle1”; its sheets are \"Deckblatt\", \"Mitarbeitende\"."
        );
        // The first sheet is a cover without employees: the header found is named.
        let parsed = parse(&workbook());
        assert!(
            parsed.errors[0]
                .en()
                .contains("found \"Export aus dem HR-System\""),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn cells_become_text_without_surprises() {
        use calamine::Data;
        assert_eq!(spreadsheet::cell_text(&Data::Float(4711.0)), "4711");
        assert_eq!(spreadsheet::cell_text(&Data::Float(0.5)), "0.5");
        assert_eq!(spreadsheet::cell_text(&Data::Int(-3)), "-3");
        assert_eq!(spreadsheet::cell_text(&Data::Bool(true)), "true");
        assert_eq!(spreadsheet::cell_text(&Data::Empty), "");
    }

    #[test]
    fn empty_files_and_files_without_employees_are_refused() {
        assert_eq!(lines(&parse(b"").errors), vec![1]);
        assert_eq!(lines(&parse(b"\xEF\xBB\xBF\n\n").errors), vec![1]);
        let header_only = parse(b"email,name,department\n\n");
        assert_eq!(lines(&header_only.errors), vec![1]);
        assert!(header_only.errors[0].en().contains("no employees"));
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
        let text = "email;name;department;notiz\n\
                    a@x.de;Anna;IT;\"erste\nZeile\"\n\
                    not-an-email;B;IT;\n\
                    c@x.de;C;IT;\"C\r\n\r\nD\"\n\
                    d@x.de;;IT;\n\
                    e@x.de;\"Eva\nMaria\";IT;\n";
        let (rows, errors) = check(text);
        assert_eq!(rows[0].name, "Anna");
        assert_eq!(lines(&errors), vec![4, 8, 9]);
        assert_eq!(
            errors[2].en(),
            "Column “name” (EvaMaria): The value holds a control character (U+000A).",
            "a line break inside a quoted name is a control character like any other"
        );
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
        let reasons: Vec<(u64, String)> = errors
            .iter()
            .map(|error| (error.line, error.en()))
            .collect();
        let expect = [
            (
                3,
                "Column “email” (Bad Mail): “no-at-sign” is not an e-mail address.",
            ),
            (4, "Column “email” (No Mail): The e-mail is empty."),
            (5, "Column “name” (nameless@x.de): The name is empty."),
            (6, "Column “department” (No Dept): The department is empty."),
            (
                7,
                "Column “department” (Slashes): “Vertrieb //Innendienst” is not a department \
                 path: a part between “/” is empty.",
            ),
            (
                8,
                "Column “locale” (Français): “fr” is not a known language (de, en).",
            ),
            (9, "Short: The line has 2 fields, the header has 4."),
            (
                10,
                "Long: The line has 5 fields, the header has 4; a value containing the \
                 delimiter must be in quotes.",
            ),
        ];
        let expect: Vec<(u64, String)> = expect.iter().map(|(l, m)| (*l, m.to_string())).collect();
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
        let said: Vec<(u64, String)> = errors.iter().map(|e| (e.line, e.en())).collect();
        assert_eq!(
            said,
            vec![
                (
                    4,
                    "Column “email” (Anna again): The e-mail anna@x.de appears already on line 2."
                        .to_owned()
                ),
                (
                    5,
                    "Column “department” (Anna thrice): The department is empty.".to_owned()
                ),
                (
                    5,
                    "Column “email” (Anna thrice): The e-mail anna@x.de appears already on line 2."
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_pointed_at() {
        let (_, errors) = check("email,name,department\na@x.de,\"Anna,IT\nb@x.de,B,IT\n");
        assert_eq!(lines(&errors), vec![2]);
        assert!(errors[0].en().contains("closing quote"), "{errors:?}");
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
        let columns = map_columns(&table.header, 1, &[]).expect("columns");
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
        let messages: Vec<String> = errors.iter().map(LineError::en).collect();
        assert_eq!(
            messages,
            [
                "Rename “Einkauf” → “Beschaffung”: There is no department “Einkauf”.",
                "Rename “Vertrieb” → “IT”: A department “IT” exists already.",
                "Rename “Vertrieb” → “Vertrieb / Neu”: A department cannot move below itself.",
                "Rename “IT” → “a//b”: “a//b” is not a department path: a part between “/” is \
                 empty.",
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
