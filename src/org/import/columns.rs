//! Stage 3: which column of the file feeds which field of an employee, by headers in German or
//! English (or as HR maps them), and what the report says about the columns.

use super::table::{ColumnUse, FileReading, LineError, required_columns};
use crate::org::department::shorten;
use crate::problem::Problem;

/// A field the import reads from a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
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
pub(super) enum NameColumns {
    Full(usize),
    Parts {
        first: Option<usize>,
        last: Option<usize>,
    },
}

/// Where each field is in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ColumnMap {
    pub(super) email: usize,
    pub(super) name: NameColumns,
    pub(super) department: usize,
    pub(super) locale: Option<usize>,
    pub(super) width: usize,
}

impl ColumnMap {
    pub(super) fn used(&self) -> Vec<(Field, usize)> {
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
    pub(super) fn describe(&self, header: &[String], reading: &mut FileReading) {
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
pub(super) fn map_columns(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::org::import::rows::EmployeeRow;
    use crate::org::import::tests::{check, lines, parse, reading_of};
    use crate::org::import::{ImportOptions, ignore_progress, parse_file};

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
}
