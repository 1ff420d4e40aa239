//! HR imports its employee file: all or nothing, idempotent, departments kept by id.

use std::collections::HashMap;
use std::sync::Mutex;

use kundenpuls::entities::{department, employee};
use kundenpuls::i18n::Locale;
use kundenpuls::org::import::{
    DepartmentRename, ImportOptions, ImportReport, Progress, Stage, ignore_progress,
    import_employees,
};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::helpers::TestApp;

/// Twelve departments in three levels, as HR writes them (spacing varies on purpose).
const DEPARTMENTS: [&str; 12] = [
    "Geschäftsführung",
    "Vertrieb",
    "Vertrieb/Innendienst",
    "Vertrieb / Außendienst",
    "Vertrieb / Außendienst / Süd",
    "Vertrieb / Außendienst / Nord",
    "Technik",
    "Technik / Entwicklung",
    "Technik / Entwicklung / Plattform",
    "Technik / Entwicklung / Mobile",
    "Technik / Betrieb",
    "Technik / Betrieb / Rechenzentrum Köln",
];

const FIRST_NAMES: [&str; 8] = [
    "Jürgen", "Anna", "Björn", "Özlem", "Sören", "Käthe", "Max", "Grete",
];
const LAST_NAMES: [&str; 8] = [
    "Müller", "Weiß", "Groß", "Schäfer", "Öztürk", "Strauß", "Kühn", "Bäcker",
];

#[derive(Debug, Clone)]
struct Person {
    email: String,
    name: String,
    department: String,
    locale: String,
}

/// `count` employees spread over all departments, with the locales in the forms HR files use.
fn company(count: usize) -> Vec<Person> {
    (0..count)
        .map(|i| Person {
            // Mixed case on purpose: e-mails are matched lower-case.
            email: format!("Mitarbeiter.{i}@Example.DE"),
            name: format!(
                "{} {}",
                FIRST_NAMES[i % FIRST_NAMES.len()],
                LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()]
            ),
            department: DEPARTMENTS[i % DEPARTMENTS.len()].to_owned(),
            locale: ["de", "Deutsch", "en", ""][i % 4].to_owned(),
        })
        .collect()
}

/// The file German Excel writes: BOM, `;`, CRLF, quotes where needed, an empty line at the end.
fn excel_file(people: &[Person]) -> Vec<u8> {
    // Headers in mixed case and an extra leading column, as exports have them.
    let mut text = String::from("\u{feff}Personalnummer;Email;Name;Department;Locale\r\n");
    for person in people {
        text.push_str(&format!(
            "x;{};{};{};{}\r\n",
            person.email,
            quoted(&person.name),
            person.department,
            person.locale
        ));
    }
    text.push_str(";;;;\r\n");
    text.into_bytes()
}

fn quoted(value: &str) -> String {
    if value.contains([';', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn options() -> ImportOptions {
    ImportOptions::new(Locale::De)
}

/// Imports `file` and says its problems in English, as an English-speaking door would.
async fn import(db: &DatabaseConnection, file: &[u8], options: &ImportOptions) -> ImportReport {
    let mut report = import_employees(db, file, options, &ignore_progress)
        .await
        .expect("the import runs");
    report.say(Locale::En);
    report
}

async fn import_ok(db: &DatabaseConnection, file: &[u8], options: &ImportOptions) -> ImportReport {
    let report = import(db, file, options).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
}

async fn employees(db: &DatabaseConnection) -> Vec<employee::Model> {
    employee::Entity::find()
        .order_by_asc(employee::Column::Id)
        .all(db)
        .await
        .expect("employees")
}

async fn departments(db: &DatabaseConnection) -> Vec<department::Model> {
    department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(db)
        .await
        .expect("departments")
}

fn by_path(departments: &[department::Model]) -> HashMap<String, department::Model> {
    departments
        .iter()
        .map(|department| (department.path.clone(), department.clone()))
        .collect()
}

fn by_email(employees: &[employee::Model]) -> HashMap<String, employee::Model> {
    employees
        .iter()
        .map(|employee| (employee.email.clone(), employee.clone()))
        .collect()
}

fn email(i: usize) -> String {
    format!("mitarbeiter.{i}@example.de")
}

#[rocket::async_test]
async fn a_realistic_file_creates_the_employees_and_the_department_tree() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let seen = Mutex::new(Vec::new());
    let record = |progress: Progress| seen.lock().expect("lock").push(progress);

    let report = import_employees(db, &excel_file(&company(300)), &options(), &record)
        .await
        .expect("the import runs");

    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        (
            report.rows,
            report.created,
            report.updated,
            report.unchanged
        ),
        (300, 300, 0, 0)
    );
    assert_eq!(report.departments_created.len(), 12);
    assert_eq!(report.departments_created[0], "Geschäftsführung");
    assert!(!report.dry_run);

    let departments = departments(db).await;
    assert_eq!(departments.len(), 12);
    let tree = by_path(&departments);
    for department in &departments {
        match department.path.rsplit_once(" / ") {
            None => assert_eq!(department.parent_id, None, "{}", department.path),
            Some((parent, name)) => {
                assert_eq!(department.name, name);
                assert_eq!(
                    department.parent_id,
                    Some(tree[parent].id),
                    "{}",
                    department.path
                );
            }
        }
    }
    assert_eq!(
        tree["Technik / Betrieb / Rechenzentrum Köln"].name,
        "Rechenzentrum Köln"
    );

    let employees = employees(db).await;
    assert_eq!(employees.len(), 300);
    assert!(employees.iter().all(|employee| employee.active));
    let stored = by_email(&employees);
    let sören = &stored[&email(4)];
    assert_eq!(sören.name, "Sören Müller");
    assert_eq!(sören.department_id, tree["Vertrieb / Außendienst / Süd"].id);
    assert_eq!(stored[&email(1)].locale, "de");
    assert_eq!(stored[&email(2)].locale, "en");
    assert_eq!(
        stored[&email(3)].locale,
        "de",
        "an empty cell takes the default"
    );

    let seen = seen.into_inner().expect("lock");
    let last_write = seen
        .iter()
        .rev()
        .find(|progress| progress.stage == Stage::Writing)
        .expect("writing progress");
    assert_eq!((last_write.done, last_write.total), (300, 300));
}

#[rocket::async_test]
async fn names_with_umlauts_and_sharp_s_are_stored_exactly() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let file = "email,name,department\n\
                gunther@example.de,\"Günther Größe-Straßmann, Dr.\",Geschäftsführung / Büro Köln\n";

    import_ok(db, file.as_bytes(), &options()).await;

    let stored = employees(db).await;
    assert_eq!(stored[0].name, "Günther Größe-Straßmann, Dr.");
    let tree = by_path(&departments(db).await);
    assert_eq!(tree["Geschäftsführung / Büro Köln"].name, "Büro Köln");
    assert_eq!(
        stored[0].department_id,
        tree["Geschäftsführung / Büro Köln"].id
    );
}

#[rocket::async_test]
async fn importing_the_same_file_again_changes_nothing() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let file = excel_file(&company(300));
    import_ok(db, &file, &options()).await;
    let (employees_before, departments_before) = (employees(db).await, departments(db).await);

    let again = import_ok(db, &file, &options()).await;

    assert_eq!(
        (
            again.created,
            again.updated,
            again.deactivated,
            again.unchanged
        ),
        (0, 0, 0, 300)
    );
    assert!(again.departments_created.is_empty());
    assert_eq!(employees(db).await, employees_before, "not even updated_at");
    assert_eq!(departments(db).await, departments_before);
}

#[rocket::async_test]
async fn a_changed_file_updates_what_changed_and_a_dry_run_writes_nothing() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let mut people = company(300);
    import_ok(db, &excel_file(&people), &options()).await;
    let before = employees(db).await;
    let departments_before = departments(db).await;

    people[10].name = "Käthe Weiß-Schäfer".into();
    people[11].name = "Max; genannt \"Maxi\"".into();
    people[20].department = "Technik / Sicherheit".into();
    people[21].department = "Vertrieb / Außendienst / Nord".into(); // was "Technik / Entwicklung / Mobile"
    people[30].locale = "English".into(); // was "en": the same locale, so unchanged
    people[33].locale = "en".into(); // was "Deutsch"
    people.push(Person {
        email: "neu@example.de".into(),
        name: "Neu Ankömmling".into(),
        department: "Technik / Sicherheit".into(),
        locale: "de".into(),
    });
    let file = excel_file(&people);

    let dry = import_ok(
        db,
        &file,
        &ImportOptions {
            dry_run: true,
            ..options()
        },
    )
    .await;
    assert!(dry.dry_run);
    assert_eq!(
        (dry.created, dry.updated, dry.unchanged),
        (1, 5, 295),
        "{dry:?}"
    );
    assert_eq!(dry.departments_created, ["Technik / Sicherheit"]);
    assert_eq!(employees(db).await, before, "a dry run writes nothing");
    assert_eq!(departments(db).await, departments_before);

    let real = import_ok(db, &file, &options()).await;
    assert_eq!(
        (real.created, real.updated, real.unchanged),
        (dry.created, dry.updated, dry.unchanged)
    );
    assert_eq!(real.departments_created, dry.departments_created);

    let tree = by_path(&departments(db).await);
    let after = by_email(&employees(db).await);
    assert_eq!(after[&email(10)].name, "Käthe Weiß-Schäfer");
    assert_eq!(after[&email(11)].name, "Max; genannt \"Maxi\"");
    assert_eq!(
        after[&email(20)].department_id,
        tree["Technik / Sicherheit"].id
    );
    assert_eq!(
        tree["Technik / Sicherheit"].parent_id,
        Some(tree["Technik"].id)
    );
    assert_eq!(after[&email(33)].locale, "en");
    assert_eq!(after["neu@example.de"].name, "Neu Ankömmling");
    for old in &before {
        let new = &after[&old.email];
        let changed = [10, 11, 20, 21, 33].iter().any(|&i| old.email == email(i));
        assert_eq!(
            new.updated_at != old.updated_at,
            changed,
            "updated_at of {}",
            old.email
        );
        assert_eq!(new.created_at, old.created_at);
        assert_eq!(new.id, old.id);
    }
}

#[rocket::async_test]
async fn deactivate_missing_deactivates_and_never_deletes() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let people = company(300);
    import_ok(db, &excel_file(&people), &options()).await;
    let remaining: Vec<Person> = people[20..].to_vec();

    let without_flag = import_ok(db, &excel_file(&remaining), &options()).await;
    assert_eq!(without_flag.deactivated, 0);
    assert!(employees(db).await.iter().all(|employee| employee.active));

    let deactivate = ImportOptions {
        deactivate_missing: true,
        ..options()
    };
    let dry = import_ok(
        db,
        &excel_file(&remaining),
        &ImportOptions {
            dry_run: true,
            ..deactivate.clone()
        },
    )
    .await;
    assert_eq!(dry.deactivated, 20);
    assert!(employees(db).await.iter().all(|employee| employee.active));

    let report = import_ok(db, &excel_file(&remaining), &deactivate).await;
    assert_eq!(
        (report.deactivated, report.unchanged, report.updated),
        (20, 280, 0)
    );
    let stored = employees(db).await;
    assert_eq!(stored.len(), 300, "never deleted");
    let stored = by_email(&stored);
    assert!((0..20).all(|i| !stored[&email(i)].active));
    assert!((20..300).all(|i| stored[&email(i)].active));

    let back = import_ok(db, &excel_file(&people), &deactivate).await;
    assert_eq!(
        (back.updated, back.created, back.deactivated),
        (20, 0, 0),
        "present again means active again"
    );
    assert!(employees(db).await.iter().all(|employee| employee.active));
}

#[rocket::async_test]
async fn a_broken_file_reports_every_bad_line_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let mut people = company(300);
    import_ok(db, &excel_file(&people), &options()).await;
    let (employees_before, departments_before) = (employees(db).await, departments(db).await);

    // Row i is on line i + 2 (line 1 is the header).
    people[0].name = "Would be an update".into();
    people[5].email = "mitarbeiter.5(at)example.de".into();
    people[40].email = people[7].email.to_uppercase();
    people[99].locale = "français".into();
    people[150].name = "   ".into();
    people[151].department = "Vertrieb // Süd".into();
    people[152].department = "".into();
    people[299].email = "".into();
    people.push(Person {
        email: "neu@example.de".into(),
        name: "Neu".into(),
        department: "Neu".into(),
        locale: "de".into(),
    });

    let report = import(db, &excel_file(&people), &options()).await;

    let lines: Vec<u64> = report.errors.iter().map(|error| error.line).collect();
    assert_eq!(
        lines,
        [7, 42, 101, 152, 153, 154, 301],
        "{:#?}",
        report.errors
    );
    assert!(report.errors[0].message.contains("not an e-mail address"));
    assert!(
        report.errors[1]
            .message
            .contains("appears already on line 9")
    );
    assert!(report.errors[2].message.contains("not a known language"));
    assert!(report.errors[3].message.contains("name is empty"));
    assert!(report.errors[4].message.contains("not a department path"));
    assert!(report.errors[5].message.contains("department is empty"));
    assert!(report.errors[6].message.contains("e-mail is empty"));
    assert_eq!(report.rows, 301);
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 0)
    );
    assert_eq!(employees(db).await, employees_before);
    assert_eq!(departments(db).await, departments_before);
}

#[rocket::async_test]
async fn a_rename_keeps_the_department_and_its_subtree() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let mut people = company(120);
    import_ok(db, &excel_file(&people), &options()).await;
    let before = by_path(&departments(db).await);
    let employees_before = employees(db).await;

    for person in &mut people {
        person.department = person
            .department
            .replace("Vertrieb / Außendienst", "Vertrieb / Field Sales");
    }
    let renamed = ImportOptions {
        renames: vec![(
            "Vertrieb/Außendienst".into(),
            "Vertrieb / Field Sales".into(),
        )],
        ..options()
    };
    let report = import_ok(db, &excel_file(&people), &renamed).await;

    assert_eq!(
        report.departments_renamed,
        [DepartmentRename {
            from: "Vertrieb / Außendienst".into(),
            to: "Vertrieb / Field Sales".into(),
        }]
    );
    assert!(report.departments_created.is_empty());
    assert_eq!((report.updated, report.unchanged), (0, 120));
    let after = by_path(&departments(db).await);
    assert_eq!(after.len(), before.len());
    let field_sales = &after["Vertrieb / Field Sales"];
    assert_eq!(field_sales.id, before["Vertrieb / Außendienst"].id);
    assert_eq!(field_sales.name, "Field Sales");
    assert_eq!(field_sales.parent_id, Some(after["Vertrieb"].id));
    let south = &after["Vertrieb / Field Sales / Süd"];
    assert_eq!(south.id, before["Vertrieb / Außendienst / Süd"].id);
    assert_eq!(south.name, "Süd");
    assert_eq!(employees(db).await, employees_before);
}

#[rocket::async_test]
async fn without_a_rename_a_new_path_is_a_new_department() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    import_ok(
        db,
        b"email,name,department\na@example.de,A,Einkauf\n",
        &options(),
    )
    .await;

    let report = import_ok(
        db,
        b"email,name,department\na@example.de,A,Beschaffung\n",
        &options(),
    )
    .await;

    assert_eq!(report.departments_created, ["Beschaffung"]);
    assert_eq!(report.updated, 1);
    let tree = by_path(&departments(db).await);
    assert!(tree.contains_key("Einkauf"), "the old one stays");
    assert_eq!(employees(db).await[0].department_id, tree["Beschaffung"].id);
}

#[rocket::async_test]
async fn an_invalid_rename_is_reported_with_the_file_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    import_ok(
        db,
        b"email,name,department\na@example.de,A,Einkauf\nb@example.de,B,Vertrieb\n",
        &options(),
    )
    .await;
    let before = (employees(db).await, departments(db).await);

    let report = import(
        db,
        b"email,name,department\na@example.de,A2,Einkauf\nb@example.de,B,Vertrieb\n",
        &ImportOptions {
            renames: vec![
                ("Marketing".into(), "Kommunikation".into()),
                ("Einkauf".into(), "Vertrieb".into()),
            ],
            ..options()
        },
    )
    .await;
    let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Rename “Marketing” → “Kommunikation”: There is no department “Marketing”.",
            "Rename “Einkauf” → “Vertrieb”: A department “Vertrieb” exists already.",
        ]
    );
    assert_eq!((employees(db).await, departments(db).await), before);

    // With a bad line as well, both kinds of problem come back together.
    let report = import(
        db,
        b"email,name,department\nnot-an-email,A,Einkauf\n",
        &ImportOptions {
            renames: vec![("Marketing".into(), "Kommunikation".into())],
            ..options()
        },
    )
    .await;
    let lines: Vec<u64> = report.errors.iter().map(|error| error.line).collect();
    assert_eq!(lines, [2, 0]);
}

#[rocket::async_test]
async fn two_imports_at_once_take_turns() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let file = excel_file(&company(300));
    let options = options();

    let (first, second) = tokio::join!(import(db, &file, &options), import(db, &file, &options));

    assert!(first.errors.is_empty() && second.errors.is_empty());
    assert_eq!(first.created + second.created, 300);
    assert_eq!(first.unchanged + second.unchanged, 300);
    assert_eq!(employees(db).await.len(), 300);
    assert_eq!(departments(db).await.len(), 12);
}

// ---------------------------------------------------------------------------------------------
// What HR really exports: the same organisation as Windows-1252 CSV with German headers, as
// UTF-8 CSV and as XLSX.

/// First and last name apart, as HR systems keep them.
fn split_name(person: &Person) -> (&str, &str) {
    person.name.split_once(' ').expect("first and last name")
}

/// German Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, `;`, CRLF, German headers in an
/// order of their own, a personnel number and a cost centre.
fn windows_1252_file(people: &[Person]) -> Vec<u8> {
    let mut text =
        String::from("Personalnummer;Nachname;Vorname;E-Mail;Abteilung;Kostenstelle;Sprache\r\n");
    for (i, person) in people.iter().enumerate() {
        let (first, last) = split_name(person);
        let locale = match person.locale.as_str() {
            "en" => "Englisch",
            "de" | "Deutsch" => "Deutsch",
            other => other,
        };
        text.push_str(&format!(
            "{};{last};{first};{};{};{};{locale}\r\n",
            1000 + i,
            person.email,
            person.department,
            4700 + i % 3
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable, "every character exists in Windows-1252");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the umlauts are single bytes, not UTF-8"
    );
    bytes.into_owned()
}

/// A plain UTF-8 CSV with English headers.
fn utf8_file(people: &[Person]) -> Vec<u8> {
    let mut text = String::from("email,name,department,locale\n");
    for person in people {
        text.push_str(&format!(
            "{},{},{},{}\n",
            person.email, person.name, person.department, person.locale
        ));
    }
    text.into_bytes()
}

/// The workbook as HR saves it: German headers, a personnel number as a number and the entry
/// date as a date cell.
fn xlsx_file(people: &[Person]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Mitarbeiter").expect("name");
    let date = Format::new().set_num_format("dd.mm.yyyy");
    for (col, header) in [
        "E-Mail",
        "Name",
        "Personalnummer",
        "Abteilung",
        "Eintritt",
        "Sprache",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).expect("cell");
    }
    for (i, person) in people.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &person.email).expect("cell");
        sheet.write_string(row, 1, &person.name).expect("cell");
        sheet.write_number(row, 2, 1000.0 + i as f64).expect("cell");
        sheet
            .write_string(row, 3, &person.department)
            .expect("cell");
        let day = ExcelDateTime::from_ymd(2019, 1 + (i % 12) as u8, 1).expect("date");
        sheet
            .write_datetime_with_format(row, 4, &day, &date)
            .expect("cell");
        sheet.write_string(row, 5, &person.locale).expect("cell");
    }
    book.save_to_buffer().expect("xlsx")
}

/// The workbook as LibreOffice saves it (ODS), written cell by cell: a string, a float and a
/// date cell per person, on a sheet named "Personal".
fn ods_file(people: &[Person]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    fn text(value: &str) -> String {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
            escape(value)
        )
    }
    let mut rows = String::from("<table:table-row>");
    for header in [
        "E-Mail",
        "Name",
        "Personalnummer",
        "Abteilung",
        "Eintritt",
        "Sprache",
    ] {
        rows.push_str(&text(header));
    }
    rows.push_str("</table:table-row>");
    for (i, person) in people.iter().enumerate() {
        rows.push_str("<table:table-row>");
        rows.push_str(&text(&person.email));
        rows.push_str(&text(&person.name));
        let number = 1000 + i;
        rows.push_str(&format!(
            r#"<table:table-cell office:value-type="float" office:value="{number}"><text:p>{number}</text:p></table:table-cell>"#
        ));
        rows.push_str(&text(&person.department));
        let day = format!("2019-{:02}-01", 1 + i % 12);
        rows.push_str(&format!(
            r#"<table:table-cell office:value-type="date" office:date-value="{day}"><text:p>{day}</text:p></table:table-cell>"#
        ));
        rows.push_str(&text(&person.locale));
        rows.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Personal">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    // The mimetype comes first and uncompressed, as the OpenDocument package rules want.
    for (name, body) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        zip.start_file(name, stored).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// What an organisation is, without ids and times: employees and departments.
async fn organisation(
    db: &DatabaseConnection,
) -> (
    Vec<(String, String, String, String, bool)>,
    Vec<(String, String)>,
) {
    let departments = departments(db).await;
    let path_of: HashMap<i32, String> = departments
        .iter()
        .map(|department| (department.id, department.path.clone()))
        .collect();
    let mut people: Vec<_> = employees(db)
        .await
        .into_iter()
        .map(|employee| {
            (
                employee.email,
                employee.name,
                path_of[&employee.department_id].clone(),
                employee.locale,
                employee.active,
            )
        })
        .collect();
    people.sort();
    let mut departments: Vec<_> = departments
        .into_iter()
        .map(|department| (department.path, department.name))
        .collect();
    departments.sort();
    (people, departments)
}

#[rocket::async_test]
async fn the_same_organisation_from_windows_1252_utf8_xlsx_and_ods_is_the_same() {
    let people = company(96);
    let files = [
        ("windows-1252", windows_1252_file(&people)),
        ("utf-8", utf8_file(&people)),
        ("xlsx", xlsx_file(&people)),
        ("ods", ods_file(&people)),
    ];
    let mut organisations = Vec::new();
    for (label, file) in &files {
        let t = TestApp::spawn().await;
        let db = &t.app.db;
        let dry = import_ok(
            db,
            file,
            &ImportOptions {
                dry_run: true,
                ..options()
            },
        )
        .await;
        assert_eq!(dry.created, 96, "{label}");
        let read = dry
            .read
            .as_ref()
            .expect("the report says how it read the file");
        match *label {
            "windows-1252" => {
                assert_eq!(read.format, "csv");
                assert_eq!(read.encoding.as_deref(), Some("windows-1252"));
                assert_eq!(read.delimiter.as_deref(), Some(";"));
                let columns: Vec<(&str, &str)> = read
                    .columns
                    .iter()
                    .map(|c| (c.field.as_str(), c.header.as_str()))
                    .collect();
                assert_eq!(
                    columns,
                    [
                        ("email", "E-Mail"),
                        ("first_name", "Vorname"),
                        ("last_name", "Nachname"),
                        ("department", "Abteilung"),
                        ("locale", "Sprache"),
                    ]
                );
                assert_eq!(read.ignored_columns, ["Personalnummer", "Kostenstelle"]);
            }
            "utf-8" => {
                assert_eq!(read.encoding.as_deref(), Some("UTF-8"));
                assert_eq!(read.delimiter.as_deref(), Some(","));
                assert!(read.ignored_columns.is_empty());
            }
            "ods" => {
                assert_eq!(read.format, "ods");
                assert_eq!(read.sheet.as_deref(), Some("Personal"));
                assert_eq!(read.ignored_columns, ["Personalnummer", "Eintritt"]);
            }
            _ => {
                assert_eq!(read.format, "xlsx");
                assert_eq!(read.sheet.as_deref(), Some("Mitarbeiter"));
                assert_eq!(
                    (read.encoding.as_deref(), read.delimiter.as_deref()),
                    (None, None)
                );
                assert_eq!(read.ignored_columns, ["Personalnummer", "Eintritt"]);
            }
        }
        assert!(
            employees(db).await.is_empty(),
            "{label}: a dry run writes nothing"
        );
        let report = import_ok(db, file, &options()).await;
        assert_eq!((report.created, report.rows), (96, 96), "{label}");
        organisations.push((label, organisation(db).await));
    }
    let (_, first) = &organisations[0];
    assert_eq!(first.0.len(), 96);
    assert_eq!(first.1.len(), 12);
    assert!(
        first
            .0
            .iter()
            .any(|(_, name, path, _, _)| name == "Sören Müller"
                && path == "Vertrieb / Außendienst / Süd"),
        "umlauts intact: {:?}",
        &first.0[..3]
    );
    assert!(
        first
            .0
            .iter()
            .any(|(_, name, _, _, _)| name.contains("Strauß"))
    );
    assert!(
        first
            .1
            .iter()
            .any(|(path, _)| path == "Technik / Betrieb / Rechenzentrum Köln")
    );
    for (label, organisation) in &organisations[1..] {
        assert_eq!(organisation, first, "{label} differs from windows-1252");
    }
}
