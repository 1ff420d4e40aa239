//! The file as a table: what reading a CSV or a spreadsheet yields (stages 1–2 of the import),
//! the bounds every reader keeps while it reads, and the problems it reports by line.

use std::fmt;

use serde::Serialize;

use crate::i18n::{self, Locale};
use crate::problem::Problem;

/// The columns an employee file needs, as the messages name them.
pub(super) fn required_columns() -> Problem {
    Problem::new("import_required_columns")
}

/// Characters in one cell or field. Real exports stay far below it; a longer cell is hostile or
/// broken, and is refused before its text reaches a message.
pub const MAX_CELL_CHARS: usize = 10_000;
/// Columns of a table: an HR export has a few dozen.
pub const MAX_COLUMNS: usize = 1_000;
/// Cells of a table (empty ones between filled ones included): 100,000 employees with 20
/// columns. This bounds the memory of an import whatever the file packs.
pub const MAX_CELLS: usize = 2_000_000;

/// Old Excel (`.xls`) and other OLE compound files.
pub(super) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// One problem, at a physical line of the file (1-based; the header is normally line 1; in a
/// spreadsheet the row number Excel shows). A quoted field may span lines: the line is where the
/// record starts. Line 0 means the problem concerns the whole file (its format, a missing sheet)
/// or the options (a rename, an encoding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    pub line: u64,
    /// The header of the column the problem is in, as the file has it.
    pub column: Option<String>,
    /// Whom the row is about (its name, else its e-mail), so that HR finds the person.
    pub person: Option<String>,
    /// What is wrong, column and person included, in the reader's language (the API's:
    /// `Accept-Language`, else the deployment's default).
    pub message: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub problem: Problem,
}

impl LineError {
    pub(super) fn new(line: u64, problem: Problem) -> Self {
        LineError {
            line,
            column: None,
            person: None,
            message: String::new(),
            problem,
        }
    }

    /// The problem lies in the cell of `column` in the row of `person`.
    pub(super) fn at(mut self, column: Option<&str>, person: Option<&str>) -> Self {
        self.column = column.map(str::to_owned).filter(|c| !c.is_empty());
        self.person = person.map(str::to_owned).filter(|p| !p.is_empty());
        self
    }

    /// Fills `message` in `locale`.
    pub fn say(&mut self, locale: Locale) {
        let problem = match (&self.column, &self.person) {
            (Some(column), Some(person)) => Problem::new("import_at_column_person")
                .arg("column", column)
                .arg("person", person)
                .cause("problem", self.problem.clone()),
            (Some(column), None) => Problem::new("import_at_column")
                .arg("column", column)
                .cause("problem", self.problem.clone()),
            (None, Some(person)) => Problem::new("import_at_person")
                .arg("person", person)
                .cause("problem", self.problem.clone()),
            (None, None) => self.problem.clone(),
        };
        self.message = i18n::problem(locale, &problem);
    }
}

/// The line and the message once said (`say`); before that the problem's key.
impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = if self.message.is_empty() {
            self.problem.to_string()
        } else {
            self.message.clone()
        };
        if self.line == 0 {
            f.write_str(&message)
        } else {
            write!(f, "{}: {message}", self.line)
        }
    }
}

/// How the file was read, for the report: what the import understood before writing anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileReading {
    /// `csv`, `xlsx`, `ods` (or `xls`, `xlsb`).
    pub format: String,
    /// CSV only: the text encoding, e.g. `UTF-8`, `UTF-8 with BOM`, `UTF-16LE with BOM`,
    /// `windows-1252`.
    pub encoding: Option<String>,
    /// CSV only: `;`, `,` or `tab`.
    pub delimiter: Option<String>,
    /// Spreadsheets only: the sheet read.
    pub sheet: Option<String>,
    /// Which column fed which field, in the order of the fields.
    pub columns: Vec<ColumnUse>,
    /// Columns of the file that were not used (personnel number, cost centre, …).
    pub ignored_columns: Vec<String>,
}

/// One field and the header of the column it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ColumnUse {
    /// `email`, `name`, `first_name`, `last_name`, `department` or `locale`.
    pub field: String,
    /// The column's header as the file has it.
    pub header: String,
}

/// A table as the file has it: header cells and data rows of raw (untrimmed) fields, each with
/// the physical line it starts on (for spreadsheets: the row number Excel shows). Rows whose
/// fields are all blank are left out.
#[derive(Debug)]
pub(super) struct RawTable {
    pub(super) header_line: u64,
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<RawRow>,
}

#[derive(Debug)]
pub(super) struct RawRow {
    pub(super) line: u64,
    pub(super) fields: Vec<String>,
}

/// Counts what a table holds while it is read, so that an oversized file is refused at the row
/// where it goes over, before more of it is held.
#[derive(Default)]
pub(super) struct TableGuard {
    cells: usize,
}

impl TableGuard {
    /// Checks one row of `fields` read at `line`.
    pub(super) fn admit<S: AsRef<str>>(
        &mut self,
        line: u64,
        fields: &[S],
    ) -> Result<(), LineError> {
        for field in fields {
            check_cell_length(line, field.as_ref())?;
        }
        self.admit_width(line, fields.len())
    }

    /// Checks a row `width` cells wide, read at `line`, whose cells were checked already.
    pub(super) fn admit_width(&mut self, line: u64, width: usize) -> Result<(), LineError> {
        if width > MAX_COLUMNS {
            return Err(LineError::new(
                line,
                Problem::new("import_too_many_columns")
                    .arg("width", width)
                    .arg("max", MAX_COLUMNS),
            ));
        }
        self.cells += width;
        if self.cells > MAX_CELLS {
            return Err(LineError::new(
                line,
                Problem::new("import_too_many_cells").arg("max", MAX_CELLS),
            ));
        }
        Ok(())
    }
}

/// A cell longer than [`MAX_CELL_CHARS`] is refused, naming its line.
pub(super) fn check_cell_length(line: u64, field: &str) -> Result<(), LineError> {
    // Bytes first: most fields are short, and counting characters costs a pass.
    if field.len() > MAX_CELL_CHARS && field.chars().count() > MAX_CELL_CHARS {
        return Err(LineError::new(
            line,
            Problem::new("import_cell_too_long")
                .arg("chars", field.chars().count())
                .arg("max", MAX_CELL_CHARS),
        ));
    }
    Ok(())
}

impl RawTable {
    /// The first non-blank row is the header; `None` when every row is blank.
    pub(super) fn from_rows(rows: impl IntoIterator<Item = RawRow>) -> Option<RawTable> {
        let mut header: Option<(u64, Vec<String>)> = None;
        let mut data = Vec::new();
        for row in rows {
            if row.fields.iter().all(|field| field.trim().is_empty()) {
                continue;
            }
            if header.is_none() {
                header = Some((row.line, row.fields));
            } else {
                data.push(row);
            }
        }
        header.map(|(header_line, header)| RawTable {
            header_line,
            header,
            rows: data,
        })
    }
}

pub(super) fn empty_file() -> LineError {
    LineError::new(
        1,
        Problem::new("import_empty_file").cause("columns", required_columns()),
    )
}
