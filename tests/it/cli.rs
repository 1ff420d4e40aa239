//! The command line as an operator uses it: the real binary, a working directory without a
//! Rocket.toml, settings through ROCKET_* variables.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kundenpuls::vocab::Role;
use rocket::http::{Header, Status};

use crate::helpers::{TestApp, TestDb};

fn kundenpuls(db: &TestDb, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kundenpuls"));
    command
        .args(args)
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("KUNDENPULS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[rocket::async_test]
async fn a_bad_setting_stops_start_up_with_one_line_naming_the_key() {
    let db = TestDb::new().await;
    let output = kundenpuls(
        &db,
        &["migrate"],
        "",
        &[("ROCKET_ANONYMITY_THRESHOLD", "2")],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("anonymity_threshold") && stderr.contains("at least 3"),
        "{stderr}"
    );

    let output = kundenpuls(
        &db,
        &["migrate"],
        "",
        &[("ROCKET_TIMEZONE", "Europe/Atlantis")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("`timezone`"));
}

#[rocket::async_test]
async fn an_admin_added_on_the_command_line_can_log_in() {
    let db = TestDb::new().await;
    let output = kundenpuls(
        &db,
        &[
            "user",
            "add",
            "--email",
            "personal@example.de",
            "--role",
            "admin",
        ],
        "Herbst-Laub-2026\n",
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("added admin personal@example.de"));

    let again = kundenpuls(
        &db,
        &[
            "user",
            "add",
            "--email",
            "personal@example.de",
            "--role",
            "admin",
        ],
        "Herbst-Laub-2026\n",
        &[],
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("gibt es schon"));

    let t = TestApp::spawn_on(db, &[]).await;
    let login = t.login("personal@example.de", "Herbst-Laub-2026").await;
    assert_eq!(login.status(), Status::SeeOther);
    assert_eq!(t.client.get("/admin").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_short_password_or_an_unknown_role_is_refused() {
    let db = TestDb::new().await;
    let short = kundenpuls(
        &db,
        &["user", "add", "--email", "a@example.de", "--role", "admin"],
        "kurz\n",
        &[],
    );
    assert!(!short.status.success());
    assert!(text(&short.stderr).contains("mindestens 12 Zeichen"));

    let role = kundenpuls(
        &db,
        &["user", "add", "--email", "a@example.de", "--role", "root"],
        "",
        &[],
    );
    assert!(!role.status.success());
    assert!(text(&role.stderr).contains("unknown role"));
}

#[rocket::async_test]
async fn a_token_is_printed_once_and_opens_the_api() {
    let db = TestDb::new().await;
    let output = kundenpuls(
        &db,
        &["token", "create", "--role", "viewer", "--name", "bi-export"],
        "",
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout).trim().to_owned();
    assert!(token.starts_with("kp_") && token.len() > 40, "{token}");

    let scoped = kundenpuls(
        &db,
        &[
            "token",
            "create",
            "--role",
            "admin",
            "--department",
            "Vertrieb",
        ],
        "",
        &[],
    );
    assert!(!scoped.status.success());
    assert!(text(&scoped.stderr).contains("Ein Bereich gilt nur für Lese-Tokens"));

    let t = TestApp::spawn_on(db, &[]).await;
    let me = t
        .client
        .get("/api/v1/me")
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Ok);
    let body: serde_json::Value = me.into_json().await.unwrap();
    assert_eq!(body["role"], Role::Viewer.as_str());
    assert_eq!(body["name"], "bi-export");
}

#[rocket::async_test]
async fn hr_imports_a_file_and_gets_every_bad_line_of_a_broken_one() {
    let db = TestDb::new().await;
    let good = db.dir.path().join("mitarbeitende.csv");
    std::fs::write(
        &good,
        "\u{feff}email;name;department;locale\nmaria@example.de;Maria Müller;Vertrieb / Innendienst;de\nsam@example.de;Sam Lee;Technik;en\n",
    )
    .unwrap();
    let dry = kundenpuls(
        &db,
        &["import", "employees", good.to_str().unwrap(), "--dry-run"],
        "",
        &[],
    );
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains("2 would be created"),
        "{}",
        text(&dry.stdout)
    );

    let real = kundenpuls(
        &db,
        &["import", "employees", good.to_str().unwrap()],
        "",
        &[],
    );
    assert!(real.status.success(), "{}", text(&real.stderr));
    let stdout = text(&real.stdout);
    assert!(stdout.contains("2 were created"), "{stdout}");
    assert!(
        stdout.contains("new department: Vertrieb / Innendienst"),
        "{stdout}"
    );

    let broken = db.dir.path().join("kaputt.csv");
    std::fs::write(
        &broken,
        "email;name;department\nx@example.de;X;Technik\nnot-an-email;Y;Technik\nz@example.de;Z;\n",
    )
    .unwrap();
    let rejected = kundenpuls(
        &db,
        &["import", "employees", broken.to_str().unwrap()],
        "",
        &[],
    );
    assert!(!rejected.status.success());
    let stderr = text(&rejected.stderr);
    assert!(
        stderr.contains("Zeile 3: Spalte „email“ (Y): „not-an-email“ ist keine E-Mail-Adresse.")
            && stderr.contains("Zeile 4: Spalte „department“ (Z): Die Abteilung fehlt."),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
}

#[rocket::async_test]
async fn hr_creates_and_lists_rounds_and_schedules_on_the_command_line() {
    let db = TestDb::new().await;
    let file = db.dir.path().join("org.csv");
    std::fs::write(
        &file,
        "email,name,department\na@example.de,A,Vertrieb\nb@example.de,B,Vertrieb\n",
    )
    .unwrap();
    assert!(
        kundenpuls(
            &db,
            &["import", "employees", file.to_str().unwrap()],
            "",
            &[]
        )
        .status
        .success()
    );

    let created = kundenpuls(
        &db,
        &[
            "round",
            "create",
            "--title",
            "Puls Q1",
            "--opens",
            "2031-03-03 09:00",
            "--closes",
            "2031-03-17 09:00",
            "--departments",
            "Vertrieb",
        ],
        "",
        &[],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stdout = text(&created.stdout);
    assert!(
        stdout.contains("opens:       2031-03-03 09:00 CET"),
        "{stdout}"
    );
    assert!(stdout.contains("target:      Vertrieb"), "{stdout}");

    let bad = kundenpuls(
        &db,
        &[
            "round",
            "create",
            "--title",
            "x",
            "--opens",
            "2031-03-17 09:00",
            "--closes",
            "2031-03-03 09:00",
        ],
        "",
        &[],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("bevor sie beginnt"));

    let list = kundenpuls(&db, &["round", "list"], "", &[]);
    assert!(text(&list.stdout).contains("Puls Q1"));

    let schedule = kundenpuls(
        &db,
        &[
            "schedule",
            "create",
            "--title",
            "Monatspuls",
            "--monthly",
            "first",
            "--weekday",
            "mon",
            "--time",
            "09:00",
            "--duration",
            "14d",
        ],
        "",
        &[],
    );
    assert!(schedule.status.success(), "{}", text(&schedule.stderr));
    assert!(text(&schedule.stdout).contains("next rounds open"));
    let never = kundenpuls(
        &db,
        &[
            "schedule",
            "create",
            "--title",
            "Nie",
            "--cron",
            "0 0 30 2 *",
            "--duration",
            "1d",
        ],
        "",
        &[],
    );
    assert!(!never.status.success());
}

#[rocket::async_test]
async fn mail_test_sends_through_the_configured_server_and_prints_its_answer() {
    let db = TestDb::new().await;
    let server = crate::smtp_server::SmtpServer::start();
    let output = kundenpuls(
        &db,
        &["mail", "test", "--to", "postmaster@example.de"],
        "",
        &[("ROCKET_SMTP_URL", &server.url())],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("sent to postmaster@example.de: 250"),
        "{stdout}"
    );
    assert_eq!(server.received().len(), 1);

    let down = crate::smtp_server::SmtpServer::free_port();
    let failed = kundenpuls(
        &db,
        &["mail", "test", "--to", "postmaster@example.de"],
        "",
        &[("ROCKET_SMTP_URL", &format!("smtp://127.0.0.1:{down}"))],
    );
    assert!(!failed.status.success());
    assert!(
        text(&failed.stderr).contains("not sent"),
        "{}",
        text(&failed.stderr)
    );
}

#[rocket::async_test]
async fn staff_and_tokens_are_listed_changed_and_revoked_on_the_command_line() {
    let db = TestDb::new().await;
    let add = |email: &str, role: &str, password: &str| {
        kundenpuls(
            &db,
            &["user", "add", "--email", email, "--role", role],
            &format!("{password}\n"),
            &[],
        )
    };
    assert!(
        add("hr@example.de", "admin", "Herbst-Laub-2026")
            .status
            .success()
    );
    assert!(
        add("chefin@example.de", "viewer", "Winter-Schnee-2026")
            .status
            .success()
    );
    let weak = add("neu@example.de", "viewer", "passwort1234");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("zu leicht zu erraten"),
        "{}",
        text(&weak.stderr)
    );

    let run = |args: &[&str], stdin: &str| kundenpuls(&db, args, stdin, &[]);
    let last = run(&["user", "deactivate", "--email", "hr@example.de"], "");
    assert!(!last.status.success());
    assert!(
        text(&last.stderr).contains("letzte aktive Verwaltungszugang"),
        "{}",
        text(&last.stderr)
    );
    let off = run(&["user", "deactivate", "--email", "CHEFIN@example.de"], "");
    assert!(off.status.success(), "{}", text(&off.stderr));
    let listed = text(&run(&["user", "list"], "").stdout);
    let line = |email: &str| {
        listed
            .lines()
            .find(|line| line.contains(email))
            .unwrap_or_else(|| panic!("{email} in {listed}"))
            .to_owned()
    };
    assert!(
        line("chefin@example.de").contains("deactivated"),
        "{listed}"
    );
    assert!(line("hr@example.de").contains("active") && line("hr@example.de").contains("never"));

    let changed = run(
        &["user", "password", "--email", "hr@example.de"],
        "Tanne Fluss Kompass Wolke\n",
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    let unknown = run(&["user", "reactivate", "--email", "wer@example.de"], "");
    assert!(text(&unknown.stderr).contains("no staff user wer@example.de"));

    let token = text(
        &run(
            &["token", "create", "--role", "viewer", "--name", "bi-export"],
            "",
        )
        .stdout,
    )
    .trim()
    .to_owned();
    let tokens = text(&run(&["token", "list"], "").stdout);
    assert!(
        tokens.contains("bi-export") && tokens.contains("works"),
        "{tokens}"
    );
    assert!(!tokens.contains(&token), "the token is never shown again");
    let id = tokens
        .lines()
        .find(|line| line.contains("bi-export"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(run(&["token", "revoke", &id], "").status.success());
    assert!(text(&run(&["token", "list"], "").stdout).contains("revoked"));
    let missing = run(&["token", "revoke", "9999"], "");
    assert!(text(&missing.stderr).contains("there is no token 9999"));

    let t = TestApp::spawn_on(db, &[]).await;
    assert_eq!(
        t.login("hr@example.de", "Tanne Fluss Kompass Wolke")
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        t.login("chefin@example.de", "Winter-Schnee-2026")
            .await
            .status(),
        Status::Unauthorized
    );
    let me = t
        .client
        .get("/api/v1/me")
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Unauthorized);
}
