//! Stage 4: each row of the table checked and normalized into an employee; every problem of
//! every row is collected, with its line, column and person.

use std::collections::HashMap;

use super::columns::{ColumnMap, NameColumns};
use super::report::{Progress, Stage};
use super::table::{LineError, RawRow, RawTable};
use crate::email;
use crate::i18n::Locale;
use crate::org::department::{checked_path, control_character, shorten};
use crate::problem::Problem;

/// How often validation reports progress, in rows.
const VALIDATION_PROGRESS_EVERY: usize = 1_000;

/// One valid employee line: email normalized, name trimmed, department path normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EmployeeRow {
    pub(super) line: u64,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) department: String,
    pub(super) locale: Locale,
}

/// Stage 4: every row checked; all problems of all rows are collected, none stops the check.
pub(super) fn validate_rows(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::import::columns::map_columns;
    use crate::org::import::tests::{check, lines, table};

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
    fn the_locale_column_is_optional_and_an_empty_cell_takes_the_default() {
        let (rows, errors) = check("email,name,department,locale\na@x.de,A,IT,\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].locale, Locale::De);
        let (rows, _) = check("email,name,department\na@x.de,A,IT\n");
        assert_eq!(rows[0].locale, Locale::De);
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
}
