//! A list of actions for a spreadsheet, in the German Excel dialect of the results' CSV
//! (`report::csv`: UTF-8 byte order mark, `;`, CRLF, cells quoted where needed, text that a
//! spreadsheet would run as a formula prefixed with `'`). A pure writer over the records the
//! store found within the reader's scope: the doors only choose them.
//!
//! One row per action. Headers and words are in the reader's language; dates are ISO, which
//! German Excel reads as dates; the file holds no decimal numbers. What needs someone's
//! attention (a deactivated owner, a retired item, a dissolved department) is said in the
//! cell beside the name rather than dropped, as on the pages.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::store::ActionRecord;
use super::words;
use crate::i18n::{Locale, text};
use crate::report::csv::{text_cell, writer};

/// The columns, in order: the text key of each header.
const COLUMNS: [&str; 12] = [
    "actions_csv_title",
    "actions_csv_department",
    "actions_csv_subject",
    "actions_csv_status",
    "actions_csv_owner",
    "actions_csv_due",
    "actions_csv_overdue",
    "actions_csv_visible",
    "actions_csv_round",
    "actions_csv_outcome",
    "actions_csv_created",
    "actions_csv_updated",
];

/// How the file is written: the reader's language, and the day and zone that decide what is
/// overdue and how times read.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    pub locale: Locale,
    pub today: NaiveDate,
    pub timezone: Tz,
}

/// The whole file, byte order mark included; no actions give the header row alone.
pub fn write(records: &[ActionRecord], options: CsvOptions) -> Vec<u8> {
    let mut writer = writer(true);
    let header: Vec<&str> = COLUMNS
        .iter()
        .map(|key| text(options.locale, key))
        .collect();
    writer
        .write_record(&header)
        .expect("writing to memory cannot fail");
    for record in records {
        writer
            .write_record(row(record, options))
            .expect("writing to memory cannot fail");
    }
    writer.into_inner().expect("flushing to memory cannot fail")
}

/// `kundenpuls-massnahmen-2026-12-05.csv` / `kundenpuls-actions-2026-12-05.csv`: ASCII, dated
/// by the day of the export, since the list changes from day to day.
pub fn filename(locale: Locale, today: NaiveDate) -> String {
    let name = match locale {
        Locale::De => "massnahmen",
        Locale::En => "actions",
    };
    format!("kundenpuls-{name}-{}.csv", today.format("%Y-%m-%d"))
}

fn marked(name: &str, mark: Option<&str>) -> String {
    match mark {
        Some(mark) => format!("{name} ({mark})"),
        None => name.to_owned(),
    }
}

fn yes_no(locale: Locale, yes: bool) -> &'static str {
    text(
        locale,
        if yes {
            "actions_csv_yes"
        } else {
            "actions_csv_no"
        },
    )
}

/// A time as the reader's spreadsheet reads it as a time: German Excel and LibreOffice take
/// "02.11.2026 09:30"; English ones differ between day-first and month-first, and both read
/// the ISO form "2026-11-02 09:30" alike.
fn local(at: DateTime<Utc>, timezone: Tz, locale: Locale) -> String {
    let at = at.with_timezone(&timezone);
    match locale {
        Locale::De => at.format("%d.%m.%Y %H:%M"),
        Locale::En => at.format("%Y-%m-%d %H:%M"),
    }
    .to_string()
}

/// A day, by the same rule as [`local`].
fn day(day: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::De => day.format("%d.%m.%Y"),
        Locale::En => day.format("%Y-%m-%d"),
    }
    .to_string()
}

fn row(record: &ActionRecord, options: CsvOptions) -> Vec<String> {
    let locale = options.locale;
    let action = &record.action;
    let department = marked(
        &record.department.path,
        record
            .department
            .retired_at
            .map(|_| text(locale, "action_department_retired")),
    );
    let subject = marked(
        &words::subject(record, locale),
        record
            .question
            .as_ref()
            .filter(|q| !q.active)
            .map(|_| text(locale, "action_item_retired")),
    );
    let owner = marked(
        &record.owner.email,
        record
            .without_owner()
            .then(|| text(locale, "action_without_owner")),
    );
    vec![
        text_cell(&action.title),
        text_cell(&department),
        text_cell(&subject),
        words::status_name(locale, action.status).to_owned(),
        text_cell(&owner),
        day(action.due_on, locale),
        yes_no(locale, record.overdue(options.today)).to_owned(),
        yes_no(locale, action.visible).to_owned(),
        text_cell(&record.round.title),
        text_cell(action.outcome.as_deref().unwrap_or_default()),
        local(action.created_at, options.timezone, locale),
        local(action.updated_at, options.timezone, locale),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::entities::{action, department, question, round, staff_user};
    use crate::report::csv::BOM;
    use crate::vocab::{ActionStatus, Pillar, Role, RoundState, Scale};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn record(
        title: &str,
        status: ActionStatus,
        question: Option<question::Model>,
    ) -> ActionRecord {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 8, 30, 0).unwrap();
        ActionRecord {
            action: action::Model {
                id: 1,
                department_id: 2,
                round_id: 3,
                question_id: question.as_ref().map(|q| q.id),
                pillar: question.is_none().then_some(Pillar::Leadership),
                title: title.into(),
                why: "Vorbild gefallen".into(),
                owner_id: 4,
                due_on: day(1),
                status,
                visible: true,
                outcome: Some("Zwei Kundentage;\nbeide gut besucht".into()),
                created_at: at,
                updated_at: at,
                closed_at: None,
            },
            department: department::Model {
                id: 2,
                parent_id: None,
                name: "Vertrieb".into(),
                path: "Vertrieb".into(),
                created_at: at,
                retired_at: None,
            },
            owner: staff_user::Model {
                id: 4,
                email: "lead@example.de".into(),
                password_hash: String::new(),
                role: Role::Viewer,
                department_id: Some(2),
                locale: "de".into(),
                created_at: at,
                last_login_at: None,
                active: false,
                session_version: 1,
            },
            question,
            round: round::Model {
                id: 3,
                title: "Oktober".into(),
                state: RoundState::Closed,
                opens_at: at,
                closes_at: at,
                schedule_id: None,
                period_key: None,
                created_at: at,
                closed_at: Some(at),
                cancelled_at: None,
            },
        }
    }

    fn retired_item() -> question::Model {
        question::Model {
            id: 9,
            key: "ld_example".into(),
            pillar: Some(Pillar::Leadership),
            scale: Scale::Likert5,
            reverse_coded: false,
            core: false,
            text_de: "Meine Führungskraft lebt es vor.".into(),
            text_en: "My manager leads by example.".into(),
            active: false,
            position: 1,
        }
    }

    fn options(locale: Locale) -> CsvOptions {
        CsvOptions {
            locale,
            today: day(5),
            timezone: chrono_tz::Europe::Berlin,
        }
    }

    fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
        assert!(
            bytes.starts_with(BOM),
            "German Excel reads UTF-8 by its BOM"
        );
        let body = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
        assert!(body.ends_with("\r\n"));
        ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(body.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn german_readers_get_german_headers_and_words() {
        let bytes = write(
            &[record("Kundentag", ActionStatus::Running, None)],
            options(Locale::De),
        );
        let rows = rows(&bytes);
        assert_eq!(
            rows[0],
            [
                "Titel",
                "Abteilung",
                "Bezug",
                "Stand",
                "Verantwortlich",
                "Fällig am",
                "Überfällig",
                "Sichtbar",
                "Ausgangsrunde",
                "Ergebnis",
                "Angelegt",
                "Zuletzt geändert"
            ]
        );
        assert_eq!(
            rows[1],
            [
                "Kundentag",
                "Vertrieb",
                "Säule „Vorbild der Führung“",
                "läuft",
                "lead@example.de (ohne Verantwortliche)",
                "01.12.2026",
                "ja",
                "ja",
                "Oktober",
                "Zwei Kundentage;\nbeide gut besucht",
                "02.11.2026 09:30",
                "02.11.2026 09:30"
            ]
        );
    }

    #[test]
    fn english_readers_get_english_headers_and_a_retired_item_is_marked() {
        let bytes = write(
            &[record(
                "Customer day",
                ActionStatus::Done,
                Some(retired_item()),
            )],
            options(Locale::En),
        );
        let rows = rows(&bytes);
        assert_eq!(rows[0][0], "Title");
        assert_eq!(rows[0][11], "Last changed");
        assert_eq!(
            rows[1][2],
            "My manager leads by example. (no longer in the question catalogue)"
        );
        assert_eq!(rows[1][3], "done");
        assert_eq!(rows[1][6], "no", "a closed action is never overdue");
        assert_eq!(
            rows[1][5], "2026-12-01",
            "English spreadsheets read ISO days"
        );
        assert_eq!(rows[1][11], "2026-11-02 09:30");
    }

    #[test]
    fn a_formula_looking_title_is_neutralised() {
        let bytes = write(
            &[record(
                "=HYPERLINK(\"http://x\")",
                ActionStatus::Planned,
                None,
            )],
            options(Locale::De),
        );
        assert_eq!(rows(&bytes)[1][0], "'=HYPERLINK(\"http://x\")");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
    }

    #[test]
    fn no_actions_give_the_header_row_alone() {
        assert_eq!(rows(&write(&[], options(Locale::De))).len(), 1);
        assert_eq!(
            filename(Locale::De, day(5)),
            "kundenpuls-massnahmen-2026-12-05.csv"
        );
    }
}
