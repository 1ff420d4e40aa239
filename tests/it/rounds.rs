//! Rounds as HR runs them: create, edit, open on time with invitations, close, cancel.

use chrono::{Duration, Utc};
use kundenpuls::entities::{invitation, response, round};
use kundenpuls::scheduler;
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Header, Status};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, seed_org};

const ORG: &[&str] = &[
    "Vertrieb",
    "Vertrieb / Innendienst",
    "Vertrieb / Außendienst",
    "Technik",
];

fn local(offset: Duration) -> String {
    (Utc::now() + offset)
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Posts a round as an English-speaking client (`Accept-Language`), so that reasons read as in
/// the English texts.
async fn post_round(t: &TestApp, token: &str, body: Value) -> (Status, Value) {
    let response = t
        .client
        .post("/api/v1/rounds")
        .header(ContentType::JSON)
        .header(Header::new("Accept-Language", "en-GB,en;q=0.9,de;q=0.5"))
        .header(bearer(token))
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

async fn invitations(t: &TestApp, round_id: i32) -> Vec<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round_id))
        .all(&t.app.db)
        .await
        .unwrap()
}

#[rocket::async_test]
async fn hr_creates_a_round_that_opens_on_time_and_closes_on_time() {
    let t = TestApp::spawn().await;
    let departments = seed_org(&t.app.db, ORG, 3).await;
    let admin = t.token(Role::Admin).await;

    let (status, created) = post_round(
        &t,
        &admin,
        json!({
            "title": "Puls März",
            "opens_at": local(Duration::days(1)),
            "closes_at": local(Duration::days(15)),
            "departments": ["Vertrieb"],
        }),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["state"], "scheduled");
    assert_eq!(created["departments"], json!(["Vertrieb"]));
    let questions = created["questions"].as_array().unwrap();
    assert_eq!(
        questions.len(),
        9,
        "8 scored items and the comment: {questions:?}"
    );
    assert!(questions.contains(&json!("recommend")));
    assert!(!created["reminders"].as_array().unwrap().is_empty());
    assert_eq!(
        created["participation"]["invited"], 0,
        "nobody is invited before it opens"
    );
    let id = created["id"].as_i64().unwrap() as i32;

    // Not due yet: nothing happens.
    let tick = scheduler::tick(&t.app, Utc::now()).await.unwrap();
    assert!(tick.opened.is_empty());

    // A day later it opens: the subtree of Vertrieb (3 departments × 3), not Technik.
    let opened = scheduler::tick(
        &t.app,
        Utc::now() + Duration::days(1) + Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(opened.opened, vec![id]);
    let invited = invitations(&t, id).await;
    assert_eq!(invited.len(), 9);
    assert!(
        invited
            .iter()
            .all(|i| i.department_id != departments["Technik"])
    );
    let hashes: std::collections::HashSet<_> = invited
        .iter()
        .map(|i| i.token_hash.clone().unwrap())
        .collect();
    assert_eq!(hashes.len(), 9, "one distinct token per invitation");

    // Ticking again (a restart, a second instance) changes nothing.
    let again = scheduler::tick(
        &t.app,
        Utc::now() + Duration::days(1) + Duration::minutes(2),
    )
    .await
    .unwrap();
    assert!(again.opened.is_empty());
    assert_eq!(invitations(&t, id).await.len(), 9);

    let closed = scheduler::tick(
        &t.app,
        Utc::now() + Duration::days(15) + Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(closed.closed, vec![id]);
    assert!(
        invitations(&t, id).await.is_empty(),
        "links die at close, and with the invitations the record of who answered"
    );

    let shown = t
        .client
        .get(format!("/api/v1/rounds/{id}"))
        .header(bearer(&admin))
        .dispatch()
        .await;
    let shown: Value = shown.into_json().await.unwrap();
    assert_eq!(shown["state"], "closed");
    assert_eq!(
        shown["participation"],
        json!({ "invited": 9, "answered": 0 })
    );
}

#[rocket::async_test]
async fn two_schedulers_racing_open_a_round_once() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 5).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Race", "opens_at": local(Duration::hours(1)), "closes_at": local(Duration::days(7)) }),
    )
    .await;
    let id = created["id"].as_i64().unwrap() as i32;
    let later = Utc::now() + Duration::hours(2);
    let (a, b) = tokio::join!(
        scheduler::tick(&t.app, later),
        scheduler::tick(&t.app, later)
    );
    let opened = a.unwrap().opened.len() + b.unwrap().opened.len();
    assert_eq!(opened, 1);
    assert_eq!(invitations(&t, id).await.len(), 20);
}

#[rocket::async_test]
async fn a_round_opening_now_opens_at_once_for_active_employees_only() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    use kundenpuls::entities::employee;
    let first = employee::Entity::find()
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut inactive: employee::ActiveModel = first.into();
    inactive.active = Set(false);
    inactive.update(&t.app.db).await.unwrap();

    let admin = t.token(Role::Admin).await;
    let (status, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Sofort", "opens_at": local(Duration::minutes(-1)), "closes_at": local(Duration::days(7)),
                "questions": ["recommend", "va_trust", "comment"] }),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["state"], "open");
    assert_eq!(
        created["questions"],
        json!(["va_trust", "recommend", "comment"])
    );
    assert_eq!(
        created["participation"]["invited"], 7,
        "8 employees, one inactive"
    );
}

#[rocket::async_test]
async fn bad_rounds_are_refused_with_a_reason_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    // An empty department.
    seed_org(&t.app.db, &["Leer"], 0).await;
    let admin = t.token(Role::Admin).await;
    let opens = local(Duration::days(1));
    let closes = local(Duration::days(8));
    let cases = [
        (
            json!({ "title": "x", "opens_at": closes, "closes_at": opens }),
            "before it opens",
        ),
        (
            json!({ "title": "x", "opens_at": opens, "closes_at": closes, "questions": ["va_trust", "gibts_nicht"] }),
            "gibts_nicht",
        ),
        (
            json!({ "title": "x", "opens_at": opens, "closes_at": closes, "departments": ["Marketing"] }),
            "departments do not exist: Marketing",
        ),
        (
            json!({ "title": "x", "opens_at": opens, "closes_at": closes, "departments": ["Leer"] }),
            "no active employees",
        ),
        (
            json!({ "title": "x", "opens_at": "morgen früh", "closes_at": closes }),
            "Opening time",
        ),
        (
            json!({ "title": "x", "opens_at": "2030-03-31 02:30", "closes_at": "2030-04-10 09:00" }),
            "does not exist",
        ),
        (
            json!({ "title": " ", "opens_at": opens, "closes_at": closes }),
            "title",
        ),
        (
            json!({ "title": "x", "opens_at": opens, "closes_at": closes, "pulse_size": 3 }),
            "at least",
        ),
    ];
    for (body, reason) in cases {
        let (status, answer) = post_round(&t, &admin, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{body}: `{message}` should mention `{reason}`"
        );
    }
    let viewer = t.token(Role::Viewer).await;
    let (status, _) = post_round(
        &t,
        &viewer,
        json!({ "title": "x", "opens_at": opens, "closes_at": closes }),
    )
    .await;
    assert_eq!(
        status,
        Status::Forbidden,
        "viewers read, they do not run rounds"
    );
    assert_eq!(round::Entity::find().count(&t.app.db).await.unwrap(), 0);
}

#[rocket::async_test]
async fn a_scheduled_round_can_be_edited_an_open_one_cannot() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Entwurf", "opens_at": local(Duration::days(2)), "closes_at": local(Duration::days(9)) }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let edit = |title: &str, opens: String| {
        json!({ "title": title, "opens_at": opens, "closes_at": local(Duration::days(9)), "departments": ["Technik"] })
            .to_string()
    };
    let response = t
        .client
        .put(format!("/api/v1/rounds/{id}"))
        .header(ContentType::JSON)
        .header(bearer(&admin))
        .body(edit("Puls April", local(Duration::days(3))))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let edited: Value = response.into_json().await.unwrap();
    assert_eq!(edited["title"], "Puls April");
    assert_eq!(edited["departments"], json!(["Technik"]));

    scheduler::tick(
        &t.app,
        Utc::now() + Duration::days(3) + Duration::minutes(1),
    )
    .await
    .unwrap();
    let response = t
        .client
        .put(format!("/api/v1/rounds/{id}"))
        .header(ContentType::JSON)
        .header(bearer(&admin))
        .body(edit("Zu spät", local(Duration::days(4))))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Conflict);
}

#[rocket::async_test]
async fn cancelling_an_open_round_needs_the_response_count_and_deletes_the_responses() {
    let t = TestApp::spawn().await;
    let departments = seed_org(&t.app.db, ORG, 2).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Abbruch", "opens_at": local(Duration::minutes(-5)), "closes_at": local(Duration::days(7)) }),
    )
    .await;
    let id = created["id"].as_i64().unwrap() as i32;
    response::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        round_id: Set(id),
        department_id: Set(departments["Technik"]),
        pending: Set(false),
    }
    .insert(&t.app.db)
    .await
    .unwrap();

    let cancel = |body: &'static str| {
        t.client
            .post(format!("/api/v1/rounds/{id}/cancel"))
            .header(ContentType::JSON)
            .header(bearer(&admin))
            .body(body)
            .dispatch()
    };
    let unconfirmed = cancel("{}").await;
    assert_eq!(unconfirmed.status(), Status::Conflict);
    let message: Value = unconfirmed.into_json().await.unwrap();
    assert!(
        message["error"].as_str().unwrap().contains("1 Antworten"),
        "{message}"
    );

    let confirmed = cancel(r#"{"confirm_responses": 1}"#).await;
    assert_eq!(confirmed.status(), Status::Ok);
    assert_eq!(response::Entity::find().count(&t.app.db).await.unwrap(), 0);
    assert!(
        invitations(&t, id)
            .await
            .iter()
            .all(|i| i.token_hash.is_none())
    );
    let state = round::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .state;
    assert_eq!(state, kundenpuls::vocab::RoundState::Cancelled);
}

#[rocket::async_test]
async fn a_round_missed_entirely_during_downtime_is_cancelled_not_opened() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Verpasst", "opens_at": local(Duration::days(1)), "closes_at": local(Duration::days(2)) }),
    )
    .await;
    let id = created["id"].as_i64().unwrap() as i32;
    let tick = scheduler::tick(&t.app, Utc::now() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(tick.missed, vec![id]);
    assert!(invitations(&t, id).await.is_empty());
}

/// A state written by something else (a hand edit, a newer version) is not read as some
/// default: the round is not shown as cancelled or scheduled, and the API says it failed.
#[rocket::async_test]
async fn a_state_outside_the_vocabulary_is_an_error_not_a_default() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let admin = t.token(Role::Admin).await;
    let (_, created) = post_round(
        &t,
        &admin,
        json!({ "title": "Fremd", "opens_at": local(Duration::hours(1)), "closes_at": local(Duration::days(7)) }),
    )
    .await;
    let id = created["id"].as_i64().unwrap() as i32;
    use sea_orm::ConnectionTrait;
    t.app
        .db
        .execute_unprepared(&format!(
            "UPDATE rounds SET state = 'geschlossen' WHERE id = {id}"
        ))
        .await
        .unwrap();

    let err = round::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .expect_err("an unknown state fails the read");
    assert!(err.to_string().contains("geschlossen"), "{err}");
    let response = t
        .client
        .get(format!("/api/v1/rounds/{id}"))
        .header(bearer(&admin))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::InternalServerError);
    let body = response.into_string().await.unwrap_or_default();
    assert!(
        !body.contains("cancelled") && !body.contains("scheduled"),
        "{body}"
    );
}

/// The API says what is wrong in the client's language (`Accept-Language`), German by default
/// (`default_locale`), never a German text for an English client or the other way round.
#[rocket::async_test]
async fn a_refused_round_is_explained_in_the_language_the_client_accepts() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let admin = t.token(Role::Admin).await;
    let body = json!({ "title": "x", "opens_at": local(Duration::days(8)), "closes_at": local(Duration::days(1)) });
    let refuse = |language: Option<&'static str>| {
        let mut request = t
            .client
            .post("/api/v1/rounds")
            .header(ContentType::JSON)
            .header(bearer(&admin))
            .body(body.to_string());
        if let Some(language) = language {
            request = request.header(Header::new("Accept-Language", language));
        }
        async move {
            let response = request.dispatch().await;
            assert_eq!(response.status(), Status::UnprocessableEntity);
            let answer: Value = response.into_json().await.unwrap();
            answer["error"].as_str().unwrap().to_owned()
        }
    };
    for (language, says) in [
        (None, "Die Runde endet"),
        (Some("de-CH"), "Die Runde endet"),
        (Some("fr-FR, en;q=0.8, de;q=0.5"), "The round closes"),
        (Some("en-US"), "The round closes"),
        (Some("fr"), "Die Runde endet"),
    ] {
        let message = refuse(language).await;
        assert!(message.starts_with(says), "{language:?}: {message}");
    }
}

/// What HR should know about a round it created (a time in the autumn fold) is said in the
/// client's language too.
#[rocket::async_test]
async fn a_note_on_a_time_in_the_fold_is_said_in_the_clients_language() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let admin = t.token(Role::Admin).await;
    // The clocks go back at 03:00 on 27 October 2030 in Berlin: 02:30 happens twice.
    let body = json!({ "title": "Herbst", "opens_at": "2030-10-27 02:30", "closes_at": "2030-11-08 17:00" });
    let german = t
        .client
        .post("/api/v1/rounds")
        .header(ContentType::JSON)
        .header(bearer(&admin))
        .body(body.to_string())
        .dispatch()
        .await;
    assert_eq!(german.status(), Status::Created);
    let german: Value = german.into_json().await.unwrap();
    assert_eq!(
        german["notes"][0],
        "2030-10-27 02:30 gibt es in Europe/Berlin zweimal (die Uhren werden zurückgestellt); \
         genommen wurde das erste Mal: 2030-10-27 00:30 UTC."
    );
    let body = json!({ "title": "Herbst", "opens_at": "2030-10-27 02:30", "closes_at": "2030-11-08 17:00" });
    let (status, english) = post_round(&t, &admin, body).await;
    assert_eq!(status, Status::Created);
    assert_eq!(
        english["notes"][0],
        "2030-10-27 02:30 occurs twice in Europe/Berlin (clocks go back); the first one was \
         taken: 2030-10-27 00:30 UTC."
    );
}

/// The issue's case: a seven-day round opened on a Monday at 16:37 reminded at 04:38.
#[rocket::async_test]
async fn reminders_fall_on_working_days_within_working_hours() {
    use chrono::{Datelike, Timelike};
    let t = TestApp::spawn_with(&[
        ("reminder_hours", "08:00-16:30".into()),
        ("reminder_holidays", "BY".into()),
    ])
    .await;
    seed_org(&t.app.db, ORG, 3).await;
    let admin = t.token(Role::Admin).await;
    let berlin = chrono_tz::Europe::Berlin;
    let today = Utc::now().with_timezone(&berlin).date_naive();
    let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    for (title, at, days) in [
        ("Montagnachmittag", "16:37", 7),
        ("Früh am Morgen", "05:10", 3),
        ("Über Weihnachten", "23:50", 30),
    ] {
        let opens = format!("{} {at}", monday.format("%Y-%m-%d"));
        let closes = format!(
            "{} {at}",
            (monday + Duration::days(days)).format("%Y-%m-%d")
        );
        let (status, created) = post_round(
            &t,
            &admin,
            json!({ "title": title, "opens_at": opens, "closes_at": closes }),
        )
        .await;
        assert_eq!(status, Status::Created, "{created}");
        let reminders = created["reminders"].as_array().unwrap();
        assert!(!reminders.is_empty(), "{title}: {created}");
        for at in reminders {
            let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap())
                .unwrap()
                .with_timezone(&berlin);
            assert!(at.weekday().num_days_from_monday() < 5, "{title}: {at}");
            let minutes = at.hour() * 60 + at.minute();
            assert!((8 * 60..=15 * 60 + 30).contains(&minutes), "{title}: {at}");
            assert!(
                t.app.settings.working_time.is_working_day(at.date_naive()),
                "{title}: a weekend or a holiday in Bayern: {at}"
            );
        }
    }

    // HR reads the rule on the round's page.
    t.add_staff("hr@example.de", Role::Admin).await;
    t.login("hr@example.de", crate::helpers::PASSWORD).await;
    let ids: Vec<i32> = round::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let page = t
        .client
        .get(format!("/admin/rounds/{}", ids[0]))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains(
            "Erinnerungen gehen nur an Werktagen zwischen 08:00 und 15:30 Uhr hinaus, nie am \
             Wochenende oder an Feiertagen in BY."
        ),
        "{page}"
    );
}
