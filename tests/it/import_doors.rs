//! The employee import through its other doors: the API and the command line share the one
//! code path of `org::import`.

use kundenpuls::entities::employee;
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Status};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::helpers::{TestApp, bearer};

const FILE: &str = "email;name;department;locale\n\
                    jürgen.groß@example.de;Jürgen Groß;Vertrieb / Innendienst;de\n\
                    anna@example.de;Anna Weiß;Vertrieb / Außendienst;en\n\
                    ole@example.de;Ole Øster;Technik;\n";

async fn post_csv(t: &TestApp, token: &str, query: &str, body: &str) -> (Status, Value) {
    let response = t
        .client
        .post(format!("/api/v1/employees/import{query}"))
        .header(ContentType::CSV)
        .header(bearer(token))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

#[rocket::async_test]
async fn an_hr_system_imports_through_the_api_and_gets_a_report() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;

    let (status, dry) = post_csv(&t, &admin, "?dry_run=true", FILE).await;
    assert_eq!(status, Status::Ok, "{dry}");
    assert_eq!(dry["created"], 3);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        employee::Entity::find().count(&t.app.db).await.unwrap(),
        0,
        "a dry run writes nothing"
    );

    let (status, report) = post_csv(&t, &admin, "", FILE).await;
    assert_eq!(status, Status::Ok, "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(report["errors"], serde_json::json!([]));

    let (_, again) = post_csv(&t, &admin, "", FILE).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
}

#[rocket::async_test]
async fn a_broken_file_is_rejected_whole_with_every_bad_line() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;
    let broken = "email,name,department\nok@example.de,Okay,Technik\nkaputt,Kein Name,Technik\nok@example.de,Doppelt,Technik\n";
    let (status, report) = post_csv(&t, &admin, "", broken).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4]);
    assert_eq!(
        employee::Entity::find().count(&t.app.db).await.unwrap(),
        0,
        "all or nothing"
    );
}

#[rocket::async_test]
async fn only_admins_import() {
    let t = TestApp::spawn().await;
    let viewer = t.token(Role::Viewer).await;
    let (status, _) = post_csv(&t, &viewer, "", FILE).await;
    assert_eq!(status, Status::Forbidden);
    let anonymous = t
        .client
        .post("/api/v1/employees/import")
        .header(ContentType::CSV)
        .body(FILE)
        .dispatch()
        .await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
}

// ---------------------------------------------------------------------------------------------
// Real exports through the doors: spreadsheets, encodings, options, and bad input.

/// A small workbook: a cover sheet, then the employees on `Liste`.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let cover = book.add_worksheet().set_name("Hinweise").unwrap();
    cover.write_string(0, 0, "Bitte nicht ändern").unwrap();
    let sheet = book.add_worksheet().set_name("Liste").unwrap();
    let rows = [
        [
            "Dienstliche E-Mail",
            "Vorname",
            "Nachname",
            "Bereich",
            "Personalnummer",
        ],
        [
            "jürgen.groß@example.de",
            "Jürgen",
            "Groß",
            "Vertrieb / Innendienst",
            "17",
        ],
        [
            "anna@example.de",
            "Anna",
            "Weiß",
            "Vertrieb / Außendienst",
            "18",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn post_bytes(
    t: &TestApp,
    token: &str,
    query: &str,
    content_type: ContentType,
    body: Vec<u8>,
) -> (Status, Value) {
    let response = t
        .client
        .post(format!("/api/v1/employees/import{query}"))
        .header(content_type)
        .header(bearer(token))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

fn xlsx() -> ContentType {
    ContentType::parse_flexible(kundenpuls::org::import::XLSX_CONTENT_TYPE).unwrap()
}

#[rocket::async_test]
async fn an_xlsx_with_options_is_imported_through_the_api_and_explained() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;
    let query = "?dry_run=true&sheet=Liste&map.email=Dienstliche%20E-Mail";
    let (status, dry) = post_bytes(&t, &admin, query, xlsx(), workbook()).await;
    assert_eq!(status, Status::Ok, "{dry}");
    assert_eq!(dry["created"], 2);
    assert_eq!(dry["read"]["format"], "xlsx");
    assert_eq!(dry["read"]["sheet"], "Liste");
    assert_eq!(dry["read"]["columns"][0]["field"], "email");
    assert_eq!(dry["read"]["columns"][0]["header"], "Dienstliche E-Mail");
    assert_eq!(
        dry["read"]["ignored_columns"],
        serde_json::json!(["Personalnummer"])
    );
    assert_eq!(employee::Entity::find().count(&t.app.db).await.unwrap(), 0);

    let (status, report) = post_bytes(
        &t,
        &admin,
        "?sheet=Liste&map.email=Dienstliche%20E-Mail",
        xlsx(),
        workbook(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{report}");
    let stored = employee::Entity::find().all(&t.app.db).await.unwrap();
    assert!(
        stored
            .iter()
            .any(|e| e.email == "jürgen.groß@example.de" && e.name == "Jürgen Groß"),
        "{stored:?}"
    );

    // Windows-1252 with the encoding named, as a query parameter.
    let (bytes, _, _) = encoding_rs::WINDOWS_1252
        .encode("E-Mail;Name;Abteilung\nole@example.de;Öle Weiß;Technik\n");
    let (status, report) = post_bytes(
        &t,
        &admin,
        "?dry_run=true&encoding=windows-1252",
        ContentType::CSV,
        bytes.into_owned(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{report}");
    assert_eq!(report["read"]["encoding"], "windows-1252");
    assert_eq!(report["read"]["delimiter"], ";");
}

#[rocket::async_test]
async fn bad_files_are_422_with_a_clear_message_and_nothing_written() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;
    let cases: [(&str, ContentType, Vec<u8>, &str); 6] = [
        ("", ContentType::CSV, Vec::new(), "Die Datei ist leer"),
        (
            "",
            ContentType::CSV,
            b"email;name;department\r\n".to_vec(),
            "keine Beschäftigten",
        ),
        (
            "",
            ContentType::CSV,
            b"%PDF-1.4\n%\xC7\xEC\x8F\xA2\n".to_vec(),
            "ist ein PDF",
        ),
        (
            "",
            ContentType::CSV,
            vec![0, 159, 146, 150, 0, 1, 2, 3],
            "Binärdaten",
        ),
        (
            "?sheet=Tabelle1",
            xlsx(),
            workbook(),
            "kein Tabellenblatt „Tabelle1“; ihre Blätter sind \"Hinweise\", \"Liste\"",
        ),
        (
            "",
            ContentType::CSV,
            b"E-Mail;Mail;Name;Team\na@x.de;b@x.de;A;IT\n".to_vec(),
            "sehen alle wie „E-Mail“ aus",
        ),
    ];
    for (query, content_type, body, expected) in cases {
        let (status, report) = post_bytes(&t, &admin, query, content_type, body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{expected}: {report}");
        let message = report["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{expected}: {report}");
    }
    // A CSV posted as XLSX is refused too.
    let (status, report) = post_bytes(&t, &admin, "", xlsx(), FILE.as_bytes().to_vec()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{report}");
    assert_eq!(employee::Entity::find().count(&t.app.db).await.unwrap(), 0);
}

fn cli(db: &crate::helpers::TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
        .args(args)
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("KUNDENPULS_LOG", "warn")
        .output()
        .expect("the binary runs")
}

#[rocket::async_test]
async fn the_cli_explains_an_xlsx_dry_run_and_refuses_a_pdf_named_csv() {
    let db = crate::helpers::TestDb::new().await;
    let book = db.dir.path().join("Mitarbeiter.xlsx");
    std::fs::write(&book, workbook()).unwrap();
    let path = book.to_str().unwrap();
    let dry = cli(
        &db,
        &[
            "import",
            "employees",
            path,
            "--dry-run",
            "--sheet",
            "Liste",
            "--map",
            "email=Dienstliche E-Mail",
        ],
    );
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(stdout.contains("read as XLSX, sheet Liste"), "{stdout}");
    assert!(stdout.contains("Dienstliche E-Mail"), "{stdout}");
    assert!(
        stdout.contains("ignored columns: Personalnummer"),
        "{stdout}"
    );
    assert!(stdout.contains("2 would be created"), "{stdout}");

    let pdf = db.dir.path().join("mitarbeiter.csv");
    std::fs::write(&pdf, b"%PDF-1.5\n1 0 obj\n").unwrap();
    let refused = cli(&db, &["import", "employees", pdf.to_str().unwrap()]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("ist ein PDF"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    let missing_sheet = cli(&db, &["import", "employees", path, "--sheet", "Nope"]);
    assert!(!missing_sheet.status.success());
    assert!(String::from_utf8_lossy(&missing_sheet.stderr).contains("kein Tabellenblatt „Nope“"));
}
