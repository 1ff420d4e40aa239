//! Recurring rounds: created by the scheduler on time, once, across DST and restarts.

use chrono::{DateTime, Duration, TimeZone, Utc};
use kundenpuls::app::App;
use kundenpuls::entities::round;
use kundenpuls::scheduler;
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, seed_org};

const ORG: &[&str] = &["Vertrieb", "Vertrieb / Innendienst", "Technik"];

async fn post_schedule(t: &TestApp, token: &str, body: Value) -> (Status, Value) {
    let response = t
        .client
        .post("/api/v1/schedules")
        .header(ContentType::JSON)
        .header(Header::new("Accept-Language", "en"))
        .header(bearer(token))
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

async fn rounds_of(app: &App, schedule_id: i64) -> Vec<round::Model> {
    round::Entity::find()
        .filter(round::Column::ScheduleId.eq(schedule_id as i32))
        .order_by_asc(round::Column::OpensAt)
        .all(&app.db)
        .await
        .unwrap()
}

fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn weekly_monday(start: &str, duration: &str) -> Value {
    json!({
        "title": "Wochenpuls",
        "cadence": { "kind": "weekly", "every_weeks": 1, "weekday": "mon", "time": "09:00", "start": start },
        "duration": duration,
    })
}

#[rocket::async_test]
async fn a_schedule_creates_each_round_once_on_time_across_the_dst_change() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 3).await;
    let admin = t.token(Role::Admin).await;
    let (status, created) = post_schedule(&t, &admin, weekly_monday("2027-03-15", "3d")).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(
        created["next"],
        json!([
            "2027-03-15 09:00 CET",
            "2027-03-22 09:00 CET",
            "2027-03-29 09:00 CEST"
        ])
    );
    let id = created["id"].as_i64().unwrap();

    // Today: only the first round is planned, once however often the scheduler runs.
    for _ in 0..3 {
        scheduler::tick(&t.app, Utc::now()).await.unwrap();
    }
    let planned = rounds_of(&t.app, id).await;
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].opens_at, berlin(2027, 3, 15, 9, 0));
    assert_eq!(planned[0].state, kundenpuls::vocab::RoundState::Scheduled);

    // The weeks pass: each Monday the round opens and the next one is planned.
    for day in [15, 22, 29] {
        let at = berlin(2027, 3, day, 9, 1);
        let tick = scheduler::tick(&t.app, at).await.unwrap();
        assert_eq!(tick.opened.len(), 1, "a round opens on 2027-03-{day}");
    }
    let rounds = rounds_of(&t.app, id).await;
    let opens: Vec<DateTime<Utc>> = rounds.iter().map(|r| r.opens_at).collect();
    assert_eq!(
        opens,
        vec![
            Utc.with_ymd_and_hms(2027, 3, 15, 8, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 22, 8, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 29, 7, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 4, 5, 7, 0, 0).unwrap(),
        ],
        "09:00 local before and after the clocks change"
    );
    assert!(
        rounds
            .iter()
            .all(|r| r.closes_at - r.opens_at == Duration::days(3))
    );
    let keys: Vec<&str> = rounds
        .iter()
        .map(|r| r.period_key.as_deref().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec!["2027-03-15", "2027-03-22", "2027-03-29", "2027-04-05"]
    );
}

#[rocket::async_test]
async fn a_restart_and_a_second_scheduler_create_no_round_twice() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_schedule(&t, &admin, weekly_monday("2027-03-15", "2d")).await;
    let id = created["id"].as_i64().unwrap();
    let at = berlin(2027, 3, 22, 9, 5);
    // Two instances sharing the database tick at the same moment, twice.
    let second = App::start((*t.app.settings).clone()).await.unwrap();
    for _ in 0..2 {
        let (a, b) = tokio::join!(scheduler::tick(&t.app, at), scheduler::tick(&second, at));
        a.unwrap();
        b.unwrap();
    }
    let rounds = rounds_of(&t.app, id).await;
    let keys: Vec<&str> = rounds
        .iter()
        .map(|r| r.period_key.as_deref().unwrap())
        .collect();
    // 15 March was missed entirely (its round was over before the first tick); 22 March is
    // running and was opened; 29 March is planned.
    assert_eq!(keys, vec!["2027-03-22", "2027-03-29"]);
    assert_eq!(rounds[0].state, kundenpuls::vocab::RoundState::Open);
    assert_eq!(rounds[1].state, kundenpuls::vocab::RoundState::Scheduled);
}

#[rocket::async_test]
async fn bad_schedules_are_refused_with_the_reason() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    let admin = t.token(Role::Admin).await;
    let cases = [
        (
            json!({ "title": "x", "cadence": { "kind": "cron", "expression": "0 0 30 2 *" }, "duration": "1d" }),
            "never",
        ),
        (weekly_monday("2027-03-15", "8d"), "overlap"),
        (
            json!({ "title": "x", "cadence": { "kind": "cron", "expression": "0 9 * * MON" }, "duration": "2d", "departments": ["Marketing"] }),
            "departments do not exist",
        ),
        (
            json!({ "title": "x", "cadence": { "kind": "cron", "expression": "0 9 * * MON" }, "duration": "2d", "pulse_size": 4 }),
            "at least",
        ),
        (
            json!({ "title": "x", "cadence": { "kind": "cron", "expression": "0 9 * * MON" }, "duration": "zwei Tage" }),
            "duration",
        ),
    ];
    for (body, reason) in cases {
        let (status, answer) = post_schedule(&t, &admin, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default().to_lowercase();
        assert!(
            message.contains(reason),
            "{body}: `{message}` should mention `{reason}`"
        );
    }
    let garbage = t
        .client
        .post("/api/v1/schedules")
        .header(ContentType::JSON)
        .header(bearer(&admin))
        .body(r#"{"title":"x","cadence":{"kind":"hourly"},"duration":"1d"}"#)
        .dispatch()
        .await;
    assert_eq!(
        garbage.status(),
        Status::BadRequest,
        "a rhythm the schema does not know is unreadable"
    );
    let list: Vec<Value> = t
        .client
        .get("/api/v1/schedules")
        .header(bearer(&admin))
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing half-written: {list:?}");
}

#[rocket::async_test]
async fn ending_a_schedule_removes_its_planned_rounds_and_keeps_the_open_one() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_schedule(&t, &admin, weekly_monday("2027-03-15", "2d")).await;
    let id = created["id"].as_i64().unwrap();
    scheduler::tick(&t.app, berlin(2027, 3, 15, 9, 1))
        .await
        .unwrap();
    assert_eq!(
        rounds_of(&t.app, id).await.len(),
        2,
        "one open, one planned"
    );

    let deleted = t
        .client
        .delete(format!("/api/v1/schedules/{id}"))
        .header(bearer(&admin))
        .dispatch()
        .await;
    assert_eq!(deleted.status(), Status::NoContent);
    let rounds = rounds_of(&t.app, id).await;
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].state, kundenpuls::vocab::RoundState::Open);
    scheduler::tick(&t.app, berlin(2027, 3, 22, 9, 1))
        .await
        .unwrap();
    assert_eq!(
        rounds_of(&t.app, id).await.len(),
        1,
        "an ended schedule plans nothing"
    );
}
