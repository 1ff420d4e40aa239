//! `kundenpuls demo` as someone trying kundenpuls out runs it: the real binary on an empty
//! database, then the printed login on the dashboard. And the refusals that keep made-up
//! answers away from a real company's data.

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use chrono::Utc;
use kundenpuls::entities::{
    department, employee, invitation, outbox_mail, result_group, round, setting, staff_user,
};
use kundenpuls::i18n::Locale;
use kundenpuls::report::query::{self, Reader};
use rocket::http::Status;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{TestApp, TestDb, seed_org};

const BASE_URL: &str = "https://umfrage.example.de/kp/";

fn demo(db: &TestDb) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
        .arg("demo")
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("ROCKET_BASE_URL", BASE_URL)
        .env("KUNDENPULS_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The e-mail and password of the printed `Login: EMAIL / PASSWORD` line.
fn login_line(stdout: &str) -> (String, String) {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Login: "))
        .unwrap_or_else(|| panic!("no login line in {stdout}"));
    let (email, password) = line.split_once(" / ").expect("EMAIL / PASSWORD");
    (email.trim().to_owned(), password.trim().to_owned())
}

fn department_id(all: &[department::Model], path: &str) -> i32 {
    all.iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("no department {path}"))
        .id
}

/// One pillar's core index (0–100) in the first and the last closed round of a group.
async fn first_and_last(t: &TestApp, group: Option<i32>, pillar: usize) -> (f64, f64) {
    let reader = Reader {
        scope: None,
        locale: Locale::De,
    };
    let trend = query::trend(&t.app.reports, reader, group)
        .await
        .expect("trend");
    assert_eq!(trend.len(), 12, "a year of closed rounds");
    let index = |at: usize| {
        trend[at].pillars[pillar]
            .as_shown()
            .unwrap_or_else(|| panic!("pillar {pillar} hidden in round {at}"))
            .index
    };
    (index(0), index(trend.len() - 1))
}

#[rocket::async_test]
async fn the_demo_fills_an_empty_database_with_a_year_the_dashboard_shows() {
    let db = TestDb::new().await;
    let started = Instant::now();
    let output = demo(&db);
    let took = started.elapsed();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    eprintln!("kundenpuls demo took {took:?}");
    assert!(took.as_secs() < 60, "the demo took {took:?}");
    assert!(
        stdout.contains("Dashboard: https://umfrage.example.de/kp/dashboard"),
        "{stdout}"
    );
    let (email, password) = login_line(&stdout);
    assert_eq!(email, "demo@kundenpuls.invalid");
    assert!(password.len() >= 20, "{password}");

    // Running it again changes nothing and says why.
    let again = demo(&db);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already a demo database"),
        "{}",
        text(&again.stderr)
    );

    let t = TestApp::spawn_on(db, &[]).await;
    let conn = &t.app.db;
    let employees = employee::Entity::find().count(conn).await.unwrap();
    assert!((280..=320).contains(&employees), "{employees} employees");
    let all = department::Entity::find().all(conn).await.unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.iter().any(|d| d.path == "Vertrieb / Außendienst / Süd"));
    assert_eq!(staff_user::Entity::find().count(conn).await.unwrap(), 1);

    let now = Utc::now();
    let rounds = round::Entity::find().all(conn).await.unwrap();
    let closed: Vec<&round::Model> = rounds
        .iter()
        .filter(|r| r.state == kundenpuls::vocab::RoundState::Closed)
        .collect();
    let open: Vec<&round::Model> = rounds
        .iter()
        .filter(|r| r.state == kundenpuls::vocab::RoundState::Open)
        .collect();
    assert_eq!((closed.len(), open.len(), rounds.len()), (12, 1, 13));
    assert!(
        closed
            .iter()
            .all(|r| r.closes_at < now && r.closed_at.is_some())
    );
    assert!(open[0].opens_at < now && open[0].closes_at > now);
    // One round a month.
    let mut months: Vec<String> = closed
        .iter()
        .map(|r| r.opens_at.format("%Y-%m").to_string())
        .collect();
    months.dedup();
    assert_eq!(months.len(), 12);

    // The open round by its invitations; closed rounds have none left (deleted at close, so
    // nothing says who answered): their participation is in the aggregates.
    let mut participation: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
    for invitation in invitation::Entity::find().all(conn).await.unwrap() {
        let entry = participation.entry(invitation.round_id).or_default();
        entry.0 += 1;
        entry.1 += u64::from(invitation.answered);
    }
    for group in result_group::Entity::find().all(conn).await.unwrap() {
        let entry = participation.entry(group.round_id).or_default();
        entry.0 += group.invited as u64;
        entry.1 += group.responses as u64;
    }
    for r in &rounds {
        let (invited, answered) = participation[&r.id];
        assert_eq!(invited, employees, "everyone is invited to {}", r.title);
        let rate = answered as f64 / invited as f64;
        let expected = if r.state == kundenpuls::vocab::RoundState::Open {
            0.3..=0.5
        } else {
            0.6..=0.85
        };
        assert!(expected.contains(&rate), "{}: {rate:.2}", r.title);
    }

    // Nothing of the demo is left to be mailed.
    let pending = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.is_in(kundenpuls::vocab::MailState::PENDING))
        .count(conn)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    assert!(outbox_mail::Entity::find().count(conn).await.unwrap() > 0);
    let marker = setting::Entity::find_by_id("demo".to_owned())
        .one(conn)
        .await
        .unwrap()
        .expect("the demo marker");
    assert_eq!(marker.value, "complete");

    // The story, as the reports compute it from what the closing code stored.
    let (first, last) =
        first_and_last(&t, Some(department_id(&all, "Kundenservice / Hotline")), 0).await;
    assert!(
        last - first > 15.0,
        "hotline customer focus {first:.1} → {last:.1}"
    );
    let (first, last) = first_and_last(
        &t,
        Some(department_id(&all, "Vertrieb / Außendienst / Süd")),
        1,
    )
    .await;
    assert!(
        first - last > 15.0,
        "south leadership {first:.1} → {last:.1}"
    );
    let (first, last) = first_and_last(&t, None, 2).await;
    assert!((first - last).abs() < 8.0, "values {first:.1} → {last:.1}");

    // What the visitor does: log in with the printed password and open the dashboard.
    let login = t.login(&email, &password).await;
    assert_eq!(login.status(), Status::SeeOther);
    let response = t.client.get("/dashboard").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    let latest = closed.iter().max_by_key(|r| r.opens_at).unwrap();
    assert!(
        html.contains(&format!("Neueste Ergebnisse: {}", latest.title)),
        "{html}"
    );
    assert!(html.contains(&open[0].title), "the open round");
    assert!(
        html.matches("class=\"figure\"").count() >= 20,
        "figures on the page"
    );
    assert!(html.contains("Kundenservice") && html.contains("Produktion &amp; Logistik"));

    // The one historical action: the hotline's, done, and the rounds since show its effect.
    let actions = kundenpuls::entities::action::Entity::find()
        .all(conn)
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    let action = &actions[0];
    assert_eq!(action.status, kundenpuls::vocab::ActionStatus::Done);
    assert_eq!(
        action.department_id,
        department_id(&all, "Kundenservice / Hotline")
    );
    let log = kundenpuls::entities::action_event::Entity::find()
        .all(conn)
        .await
        .unwrap();
    assert_eq!(log.len(), 3, "created, running, done");
    assert!(log.iter().all(|e| e.at < now), "a history, not today's");
    let response = t
        .client
        .get(format!("/actions/{}", action.id))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Gestiegen: +"), "{html}");
    assert!(html.contains("mehr als der Zufall erklärt"));
    assert!(html.contains("Ausgangsrunde"));
}

async fn snapshot(conn: &DatabaseConnection) -> (u64, u64, u64, u64, Vec<(String, String)>) {
    let mut settings: Vec<(String, String)> = setting::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.key, s.value))
        .collect();
    settings.sort();
    (
        employee::Entity::find().count(conn).await.unwrap(),
        department::Entity::find().count(conn).await.unwrap(),
        round::Entity::find().count(conn).await.unwrap(),
        staff_user::Entity::find().count(conn).await.unwrap(),
        settings,
    )
}

#[rocket::async_test]
async fn a_database_with_someone_elses_employee_is_refused_and_left_as_it_was() {
    let db = TestDb::new().await;
    let conn = kundenpuls::db::connect(&db.url).await.unwrap();
    kundenpuls::db::migrate(&conn).await.unwrap();
    kundenpuls::secrets::Secrets::load_or_create(&conn)
        .await
        .unwrap();
    seed_org(&conn, &["Einkauf"], 1).await;
    let before = snapshot(&conn).await;

    let output = demo(&db);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("1 employee, 1 department that the demo did not create"),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty());
    assert_eq!(snapshot(&conn).await, before);
    conn.close().await.unwrap();
}
