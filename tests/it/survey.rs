//! Employees answering through their personal link: the form in their language, one response
//! per link however often it is sent, friendly pages for every state, and nothing stored that
//! leads back to the person.

use std::net::{SocketAddr, TcpListener};

use chrono::{Duration, Utc};
use kundenpuls::answer::form::Item;
use kundenpuls::answer::link::load_items;
use kundenpuls::answer::writer::{Submission, write_batch};
use kundenpuls::app::App;
use kundenpuls::config::Settings;
use kundenpuls::entities::round as round_entity;
use kundenpuls::entities::{answer, employee, invitation, response};
use kundenpuls::invite;
use kundenpuls::lifecycle;
use kundenpuls::survey::round::RoundDraft;
use kundenpuls::vocab::Scale;
use kundenpuls::web;
use rocket::figment::value::Value;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, TestDb, csrf_in, figment, form, location, seed_org};

const ORG: &[&str] = &["Vertrieb", "Vertrieb / Innendienst", "Technik"];

/// An open round over the seeded organisation, opened at once.
pub(crate) async fn open_round(t: &TestApp) -> i32 {
    let now = Utc::now();
    let created = lifecycle::create(
        &t.app,
        &RoundDraft {
            title: "Puls <März>".to_owned(),
            opens_at: (now - Duration::hours(1)).to_rfc3339(),
            closes_at: (now + Duration::days(7)).to_rfc3339(),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("round created");
    assert_eq!(created.state, kundenpuls::vocab::RoundState::Open);
    created.id
}

pub(crate) async fn invitations(t: &TestApp, round_id: i32) -> Vec<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round_id))
        .all(&t.app.db)
        .await
        .unwrap()
}

fn token(t: &TestApp, invitation: &invitation::Model) -> String {
    invite::token(
        &t.app.secrets.token_key,
        invitation.round_id,
        &invitation.id,
    )
}

async fn locale_of(t: &TestApp, invitation: &invitation::Model) -> String {
    employee::Entity::find_by_id(invitation.employee_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .locale
}

/// An invitation of an employee with the given language.
async fn invitation_in(t: &TestApp, round_id: i32, locale: &str) -> invitation::Model {
    for invitation in invitations(t, round_id).await {
        if locale_of(t, &invitation).await == locale {
            return invitation;
        }
    }
    panic!("no invitation for a {locale} speaker");
}

/// Every item of the round answered: 4 on Likert items, 9 on the 0-10 item, and a comment.
fn complete(items: &[Item]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|item| {
            let value = match item.scale {
                Scale::Likert5 => "4",
                Scale::Nps11 => "9",
                Scale::Text => "Mehr Zeit für Kunden <b>bitte</b>",
            };
            (item.field(), value.to_owned())
        })
        .collect()
}

fn body(csrf: &str, fields: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", csrf)];
    pairs.extend(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    form(&pairs)
}

async fn get_form(t: &TestApp, token: &str) -> (Status, String) {
    let page = t.client.get(format!("/s/{token}")).dispatch().await;
    let status = page.status();
    (status, page.into_string().await.unwrap_or_default())
}

async fn post<'c>(t: &'c TestApp, token: &str, body: String) -> LocalResponse<'c> {
    t.client
        .post(format!("/s/{token}"))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await
}

async fn responses(t: &TestApp) -> u64 {
    response::Entity::find().count(&t.app.db).await.unwrap()
}

async fn answered(t: &TestApp, id: &str) -> bool {
    invitation::Entity::find_by_id(id.to_owned())
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .answered
}

fn berlin_today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
}

#[rocket::async_test]
async fn the_form_shows_in_the_employees_language_and_switches_on_request() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 3).await;
    let round_id = open_round(&t).await;
    let english = invitation_in(&t, round_id, "en").await;
    let german = invitation_in(&t, round_id, "de").await;

    let page = t
        .client
        .get(format!("/s/{}", token(&t, &english)))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::Ok);
    assert_eq!(
        page.headers().get_one("Referrer-Policy"),
        Some("no-referrer")
    );
    assert_eq!(page.headers().get_one("Cache-Control"), Some("no-store"));
    assert!(
        page.headers()
            .get("Set-Cookie")
            .any(|cookie| cookie.starts_with("kp_csrf=")),
        "the page that shows the form issues the CSRF cookie"
    );
    let html = page.into_string().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("strongly disagree") && html.contains("strongly agree"));
    assert!(html.contains("can&#x27;t judge") || html.contains("can't judge"));
    assert!(html.contains("Puls &lt;März&gt;"), "the title is escaped");
    // Where the employee is: each group says which part of how many it is.
    let parts = html.matches("<span class=\"step\">").count();
    assert!(parts >= 2, "{html}");
    assert!(
        html.contains("<legend><span class=\"step\">Part 1 of "),
        "{html}"
    );
    assert!(html.contains("</span> Customer focus</legend>"), "{html}");
    assert!(html.contains(&format!("Part {parts} of {parts}</span>")));
    assert!(!html.contains("not sent yet"), "nothing was preselected");
    // The blank form and its stylesheet load in 30 KB, and work without the script.
    let css = t.client.get("/static/survey.css").dispatch().await;
    let css = css.into_bytes().await.unwrap();
    assert!(
        html.len() + css.len() <= 30 * 1024,
        "form {} + css {} bytes",
        html.len(),
        css.len()
    );
    assert!(
        html.contains("href=\"?lang=de\""),
        "a visible switch to German"
    );
    assert!(html.contains("href=\"/privacy?lang=en\""));
    assert!(html.contains("maxlength=\"2000\""));
    assert!(!html.contains("navigation"), "no staff navigation");

    let (_, html) = get_form(&t, &token(&t, &german)).await;
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains("trifft überhaupt nicht zu") && html.contains("trifft voll zu"));
    assert!(html.contains("kann ich nicht beurteilen"));

    let switched = t
        .client
        .get(format!("/s/{}?lang=en", token(&t, &german)))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(switched.contains("<html lang=\"en\">"));
    assert!(switched.contains("strongly disagree"));
    assert!(
        switched.contains(&format!("action=\"/s/{}\"", token(&t, &german))),
        "the switched page still answers for the same link"
    );
}

#[rocket::async_test]
async fn a_one_click_answer_from_the_mail_is_shown_selected() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let likert = items.iter().find(|i| i.scale == Scale::Likert5).unwrap();
    let invitation = &invitations(&t, round_id).await[0];
    let link = token(&t, invitation);

    let html = t
        .client
        .get(format!("/s/{link}?q={}&v=4", likert.key))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let checked = format!("name=\"{}\" value=\"4\" checked", likert.field());
    assert!(html.contains(&checked), "{html}");
    assert_eq!(html.matches(" checked").count(), 1);
    // Chosen, not sent: the page says so at the top and at the question, until it is sent.
    assert!(
        html.contains("Your answer from the e-mail is preselected but not sent yet."),
        "{html}"
    );
    assert_eq!(html.matches("Preselected – not sent yet").count(), 1);
    let question = html
        .split("<fieldset class=\"q\"")
        .find(|q| q.contains(&checked))
        .unwrap();
    assert!(
        question.contains("Preselected – not sent yet"),
        "{question}"
    );

    let html = t
        .client
        .get(format!("/s/{link}?q=recommend&v=10"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(html.contains("name=\"q_recommend\" value=\"10\" checked"));

    for query in [
        format!("q={}&v=9", likert.key),
        "q=nope&v=3".to_owned(),
        "q=comment&v=3".to_owned(),
    ] {
        let (status, html) = get_form(&t, &format!("{link}?{query}")).await;
        assert_eq!(status, Status::Ok);
        assert!(!html.contains(" checked"), "{query}");
        assert!(!html.contains("not sent yet"), "{query}");
    }
}

#[rocket::async_test]
async fn a_valid_submission_is_stored_once_with_the_department_at_opening_and_the_date_only() {
    let t = TestApp::spawn().await;
    let departments = seed_org(&t.app.db, ORG, 2).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invitation = invitation_in(&t, round_id, "de").await;
    let link = token(&t, &invitation);

    // The employee moves after the round opened: the answer still counts for the old unit.
    let moved_to = departments["Technik"];
    assert_ne!(invitation.department_id, moved_to);
    let mut moved: employee::ActiveModel = employee::Entity::find_by_id(invitation.employee_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    moved.department_id = Set(moved_to);
    moved.update(&t.app.db).await.unwrap();

    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);
    let sent = post(&t, &link, body(&csrf, &complete(&items))).await;
    assert_eq!(sent.status(), Status::SeeOther);
    assert_eq!(location(&sent), format!("/s/{link}?lang=de"));

    let stored = response::Entity::find().all(&t.app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    let stored = &stored[0];
    assert_eq!(stored.round_id, round_id);
    assert_eq!(stored.department_id, invitation.department_id);
    // A fresh id: its group's number and a random part, nothing of the invitation's.
    let (group, random) = stored.id.split_once('-').unwrap();
    assert!(group.starts_with('g') && group.len() == 16, "{}", stored.id);
    assert!(random.len() == 19 && random.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!stored.id.contains(&invitation.id) && !invitation.id.contains(random));
    let answers = answer::Entity::find().all(&t.app.db).await.unwrap();
    assert_eq!(answers.len(), items.len());
    let comment = answers.iter().find_map(|a| a.text.clone()).unwrap();
    assert_eq!(
        comment, "Mehr Zeit für Kunden <b>bitte</b>",
        "stored as given"
    );
    assert!(answered(&t, &invitation.id).await);

    // Nothing stored with the response leads back to the invitation, the token or the person.
    let person = employee::Entity::find_by_id(invitation.employee_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let hash = invite::token_hash(&link);
    let everything = format!("{stored:?} {answers:?}");
    for secret in [
        invitation.id.as_str(),
        link.as_str(),
        hash.as_str(),
        person.email.as_str(),
        person.name.as_str(),
    ] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }

    let (status, html) = get_form(&t, &link).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Vielen Dank"), "{html}");
    // When and where the results come, from the round's end and the settings.
    let closes = round_entity::Entity::find_by_id(round_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .closes_at
        .with_timezone(&chrono_tz::Europe::Berlin);
    let shared = closes + Duration::days(14);
    let promise = format!(
        "Die Runde endet am {}. Die Ergebnisse werden bis zum {} geteilt, in Ihrer nächsten \
         Teambesprechung.",
        closes.format("%d.%m.%Y"),
        shared.format("%d.%m.%Y")
    );
    assert!(html.contains(&promise), "{promise} in {html}");
    assert!(!html.contains("Mehr Zeit"), "answers are never shown back");
    assert!(!html.contains("<form"));

    let again = post(&t, &link, body(&csrf, &complete(&items))).await;
    assert_eq!(again.status(), Status::Conflict);
    assert!(again.into_string().await.unwrap().contains("Vielen Dank"));
    assert_eq!(responses(&t).await, 1);
}

#[rocket::async_test]
async fn bad_submissions_get_a_4xx_and_store_nothing() {
    let t = TestApp::spawn_with(&[("rate_limit_token_per_minute", Value::from(0u32))]).await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invitation = &invitations(&t, round_id).await[0];
    let link = token(&t, invitation);
    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);

    // One item missing: the form comes back with the answers kept and the gap marked.
    let mut missing = complete(&items);
    let gap = missing.remove(1);
    let kept = &missing[0];
    let page = post(&t, &link, body(&csrf, &missing)).await;
    assert_eq!(page.status(), Status::UnprocessableEntity);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("id=\"summary\" role=\"alert\""), "{html}");
    assert!(html.contains(&format!("<a href=\"#{}\">", gap.0)));
    let marked = format!(
        "id=\"{0}\" role=\"radiogroup\" aria-invalid=\"true\"",
        gap.0
    );
    assert!(html.contains(&marked), "{html}");
    assert!(
        html.contains(&format!("aria-describedby=\"{}-e\"", gap.0))
            || html.contains(&format!("aria-describedby=\"{0}-h {0}-e\"", gap.0))
    );
    assert!(html.contains(&format!("<p class=\"err\" id=\"{}-e\">", gap.0)));
    assert!(html.contains(&format!("name=\"{}\" value=\"{}\" checked", kept.0, kept.1)));
    assert!(
        html.contains("Mehr Zeit für Kunden &lt;b&gt;bitte&lt;"),
        "the comment comes back, escaped"
    );
    assert!(html.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));

    let mut out_of_range = complete(&items);
    out_of_range[0].1 = "6".to_owned();
    let mut too_long = complete(&items);
    too_long.last_mut().unwrap().1 = "a".repeat(2_001);
    let mut cant_judge_recommend = complete(&items);
    for (name, value) in &mut cant_judge_recommend {
        if name == "q_recommend" {
            *value = "x".to_owned();
        }
    }
    let mut huge = complete(&items);
    huge.last_mut().unwrap().1 = "ä".repeat(50_000);
    let cases: Vec<(&str, Option<ContentType>, String, Status)> = vec![
        (
            "missing",
            Some(ContentType::Form),
            body(&csrf, &missing),
            Status::UnprocessableEntity,
        ),
        (
            "out of range",
            Some(ContentType::Form),
            body(&csrf, &out_of_range),
            Status::UnprocessableEntity,
        ),
        (
            "can't judge on 0-10",
            Some(ContentType::Form),
            body(&csrf, &cant_judge_recommend),
            Status::UnprocessableEntity,
        ),
        (
            "2,001 characters",
            Some(ContentType::Form),
            body(&csrf, &too_long),
            Status::UnprocessableEntity,
        ),
        (
            "100 KB comment",
            Some(ContentType::Form),
            body(&csrf, &huge),
            Status::PayloadTooLarge,
        ),
        (
            "malformed body",
            Some(ContentType::Form),
            format!("csrf={csrf}&%zz=%%%&&==&q_\u{0}=\u{ff}"),
            Status::UnprocessableEntity,
        ),
        (
            "JSON",
            Some(ContentType::JSON),
            "{\"q_recommend\": 9}".to_owned(),
            Status::UnsupportedMediaType,
        ),
        (
            "no content type",
            None,
            body(&csrf, &complete(&items)),
            Status::UnsupportedMediaType,
        ),
        (
            "no CSRF field",
            Some(ContentType::Form),
            form(
                &complete(&items)
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            ),
            Status::Forbidden,
        ),
        (
            "wrong CSRF field",
            Some(ContentType::Form),
            body("forged", &complete(&items)),
            Status::Forbidden,
        ),
    ];
    for (case, content_type, body, expected) in cases {
        let mut request = t.client.post(format!("/s/{link}")).body(body);
        if let Some(content_type) = content_type {
            request = request.header(content_type);
        }
        let response = request.dispatch().await;
        assert_eq!(response.status(), expected, "{case}");
        let html = response.into_string().await.unwrap_or_default();
        assert!(
            html.contains("/static/survey.css"),
            "{case}: a survey page: {html}"
        );
        assert!(!html.contains("navigation"), "{case}");
        assert_eq!(responses(&t).await, 0, "{case}");
        assert!(!answered(&t, &invitation.id).await, "{case}");
    }

    // A cross-site post carries no CSRF cookie, whatever field it sends.
    let other = kundenpuls::web::build(t.app.clone(), figment_for(&t));
    let stranger = rocket::local::asynchronous::Client::untracked(other)
        .await
        .unwrap();
    let forged = stranger
        .post(format!("/s/{link}"))
        .header(ContentType::Form)
        .body(body(&csrf, &complete(&items)))
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::Forbidden);
    assert_eq!(responses(&t).await, 0);

    // After all that, the right form is still accepted.
    let sent = post(&t, &link, body(&csrf, &complete(&items))).await;
    assert_eq!(sent.status(), Status::SeeOther);
    assert_eq!(responses(&t).await, 1);
}

/// The settings of `t` as a figment, for a second client on the same app.
fn figment_for(t: &TestApp) -> rocket::figment::Figment {
    rocket::figment::Figment::from(rocket::Config::debug_default())
        .merge(("database_url", t.app.settings.database_url.clone()))
        .merge(("log_level", "off"))
}

#[rocket::async_test]
async fn twenty_parallel_submissions_of_one_link_store_one_response() {
    let t = TestApp::spawn_with(&[("rate_limit_token_per_minute", Value::from(0u32))]).await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invitation = &invitations(&t, round_id).await[0];
    let link = token(&t, invitation);
    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);

    let requests = (0..20).map(|_| post(&t, &link, body(&csrf, &complete(&items))));
    let statuses: Vec<Status> = rocket::futures::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let stored = statuses.iter().filter(|s| **s == Status::SeeOther).count();
    let refused = statuses.iter().filter(|s| **s == Status::Conflict).count();
    assert_eq!((stored, refused), (1, 19), "{statuses:?}");
    assert_eq!(responses(&t).await, 1);
    assert_eq!(
        answer::Entity::find().count(&t.app.db).await.unwrap(),
        items.len() as u64
    );
    let stats = t.app.intake.writer.stats();
    // Posts that arrive after the winner's commit are turned away before the writer.
    assert!((1..=20).contains(&stats.submissions), "{stats:?}");
    eprintln!(
        "20 racing posts over the local client: {} reached the writer in {} batches, largest {}",
        stats.submissions, stats.batches, stats.largest_batch
    );
}

/// A raw HTTP/1.1 exchange on its own connection.
async fn http(addr: SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[rocket::async_test]
async fn twenty_parallel_submissions_over_tcp_store_one_response() {
    let db = TestDb::new().await;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let figment = figment(
        &db,
        &[
            ("port", Value::from(port)),
            ("address", Value::from("127.0.0.1")),
            ("rate_limit_token_per_minute", Value::from(0u32)),
        ],
    );
    let app = App::start(Settings::from_figment(&figment).unwrap())
        .await
        .unwrap();
    seed_org(&app.db, ORG, 1).await;
    let now = Utc::now();
    let round_id = lifecycle::create(
        &app,
        &RoundDraft {
            title: "TCP".to_owned(),
            opens_at: (now - Duration::hours(1)).to_rfc3339(),
            closes_at: (now + Duration::days(7)).to_rfc3339(),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap()
    .id;
    let items = load_items(&app.db, round_id).await.unwrap();
    let invitation = invitation::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let link = invite::token(&app.secrets.token_key, round_id, &invitation.id);
    let rocket = web::build(app.clone(), figment).ignite().await.unwrap();
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut page = String::new();
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            page = http(
                addr,
                format!("GET /s/{link} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
            )
            .await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let cookie = page
        .lines()
        .find_map(|line| {
            let lower = line.to_ascii_lowercase();
            lower.starts_with("set-cookie: kp_csrf=").then(|| {
                line["set-cookie: ".len()..]
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned()
            })
        })
        .expect("a CSRF cookie");
    let payload = body(&csrf_in(&page), &complete(&items));
    let request = format!(
        "POST /s/{link} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{payload}",
        payload.len()
    );
    let tasks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(http(addr, request.clone())))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        statuses.push(reply.split(' ').nth(1).unwrap_or("?").to_owned());
    }
    let stored = statuses.iter().filter(|s| *s == "303").count();
    let refused = statuses.iter().filter(|s| *s == "409").count();
    assert_eq!((stored, refused), (1, 19), "{statuses:?}");
    assert_eq!(response::Entity::find().count(&app.db).await.unwrap(), 1);

    shutdown.notify();
    server.await.unwrap().expect("clean shutdown");
}

#[rocket::async_test]
async fn a_batch_stores_the_first_submission_of_each_open_link_only() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let invites = invitations(&t, round_id).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let answers = kundenpuls::answer::form::validate(&items, &complete(&items)).unwrap();
    let submission = |invitation: &invitation::Model| Submission {
        token_hash: invite::token_hash(&token(&t, invitation)),
        answers: answers.clone(),
    };
    let a = submission(&invites[0]);
    let a_again = submission(&invites[0]);
    let b = submission(&invites[1]);
    let unknown = Submission {
        token_hash: invite::token_hash("1-nothing"),
        answers: answers.clone(),
    };
    let won = write_batch(&t.app.db, &[&a, &a_again, &unknown, &b], Utc::now(), 5)
        .await
        .unwrap();
    assert_eq!(won, [true, false, false, true]);
    assert_eq!(responses(&t).await, 2);
    let again = write_batch(&t.app.db, &[&b], Utc::now(), 5).await.unwrap();
    assert_eq!(again, [false]);
    assert_eq!(responses(&t).await, 2);

    // Past its closing time a round takes nothing, even before the scheduler closes it.
    let mut past: round_entity::ActiveModel = round_entity::Entity::find_by_id(round_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    past.closes_at = Set(Utc::now() - Duration::minutes(1));
    past.update(&t.app.db).await.unwrap();
    let c = submission(&invites[2]);
    let late = write_batch(&t.app.db, &[&c], Utc::now(), 5).await.unwrap();
    assert_eq!(late, [false]);
    assert!(!answered(&t, &invites[2].id).await);
    assert_eq!(responses(&t).await, 2);
}

#[rocket::async_test]
async fn a_failed_batch_stores_nothing_and_every_waiting_request_hears_of_it() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invites = invitations(&t, round_id).await;
    let links: Vec<String> = invites.iter().take(3).map(|i| token(&t, i)).collect();
    let (_, html) = get_form(&t, &links[0]).await;
    let csrf = csrf_in(&html);

    // The answers cannot be written: the invitations claimed in the same transaction must
    // be released again.
    let sabotage: &[&str] = match t.app.db.get_database_backend() {
        DbBackend::Sqlite => &[
            "CREATE TRIGGER kp_fail BEFORE INSERT ON answers BEGIN SELECT RAISE(ABORT, 'injected'); END",
        ],
        _ => &[
            "CREATE FUNCTION kp_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER kp_fail BEFORE INSERT ON answers FOR EACH STATEMENT EXECUTE FUNCTION kp_fail()",
        ],
    };
    for sql in sabotage {
        t.app.db.execute_unprepared(sql).await.unwrap();
    }
    let requests = links
        .iter()
        .map(|link| post(&t, link, body(&csrf, &complete(&items))));
    let replies = rocket::futures::future::join_all(requests).await;
    for reply in replies {
        assert_eq!(reply.status(), Status::InternalServerError);
        let html = reply.into_string().await.unwrap();
        assert!(html.contains("noch einmal"), "{html}");
    }
    assert_eq!(responses(&t).await, 0);
    assert_eq!(answer::Entity::find().count(&t.app.db).await.unwrap(), 0);
    for invitation in invites.iter().take(3) {
        assert!(!answered(&t, &invitation.id).await);
    }

    let repair = match t.app.db.get_database_backend() {
        DbBackend::Sqlite => "DROP TRIGGER kp_fail",
        _ => "DROP TRIGGER kp_fail ON answers",
    };
    t.app.db.execute_unprepared(repair).await.unwrap();
    let sent = post(&t, &links[0], body(&csrf, &complete(&items))).await;
    assert_eq!(sent.status(), Status::SeeOther, "the writer carries on");
    assert_eq!(responses(&t).await, 1);
}

#[rocket::async_test]
async fn after_closing_the_link_shows_the_closing_date_and_takes_no_answers() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invitation = invitation_in(&t, round_id, "de").await;
    let link = token(&t, &invitation);
    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);

    assert!(
        lifecycle::close(&t.app, round_id, Utc::now())
            .await
            .unwrap()
    );
    let late = post(&t, &link, body(&csrf, &complete(&items))).await;
    assert_eq!(late.status(), Status::Gone);
    let html = late.into_string().await.unwrap();
    let today = berlin_today().format("%d.%m.%Y").to_string();
    assert!(html.contains("beendet") && html.contains(&today), "{html}");
    assert_eq!(responses(&t).await, 0);

    let (status, html) = get_form(&t, &link).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&today));
    let (_, english) = get_form(&t, &format!("{link}?lang=en")).await;
    assert!(english.contains("This survey has ended"));
    // After close the hashes are gone: any link of the round says "closed", none says more.
    let (_, other) = get_form(&t, &format!("{round_id}-{}", "B".repeat(43))).await;
    assert_eq!(other, html);
}

#[rocket::async_test]
async fn a_cancelled_rounds_link_says_so() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let invitation = &invitations(&t, round_id).await[0];
    let link = token(&t, invitation);
    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);

    lifecycle::cancel(&t.app, round_id, None, Utc::now())
        .await
        .unwrap();
    let (status, html) = get_form(&t, &link).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("abgesagt"), "{html}");
    let late = post(&t, &link, body(&csrf, &complete(&items))).await;
    assert_eq!(late.status(), Status::Gone);
    assert_eq!(responses(&t).await, 0);
}

#[rocket::async_test]
async fn unknown_links_get_one_and_the_same_404_page() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let scheduled = lifecycle::create(
        &t.app,
        &RoundDraft {
            title: "Später".to_owned(),
            opens_at: (Utc::now() + Duration::days(1)).to_rfc3339(),
            closes_at: (Utc::now() + Duration::days(8)).to_rfc3339(),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let real = token(&t, &invitations(&t, round_id).await[0]);
    let secret = "A".repeat(43);
    let mut pages = Vec::new();
    for path in [
        "/s/nonsense".to_owned(),
        format!("/s/{round_id}-{secret}"),
        format!("/s/999999-{secret}"),
        format!("/s/{}-{secret}", scheduled.id),
        format!("/s/{}x", real),
        format!("/s/{}", &real[..real.len() - 1]),
        "/s/a/b".to_owned(),
        "/s/".to_owned(),
        "/s/%FF%FE".to_owned(),
    ] {
        let response = t.client.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::NotFound, "{path}");
        assert_eq!(
            response.headers().get_one("Referrer-Policy"),
            Some("no-referrer")
        );
        pages.push((path, response.into_string().await.unwrap()));
    }
    let (_, first) = &pages[0];
    assert!(first.contains("Link nicht gefunden"), "{first}");
    for (path, page) in &pages {
        assert_eq!(page, first, "{path}");
    }
    let posted = post(&t, &format!("{round_id}-{secret}"), "csrf=x".to_owned()).await;
    assert_eq!(
        posted.status(),
        Status::Forbidden,
        "no CSRF token, no lookup"
    );

    // Posting to a made-up link of the open round: the same page, with or without answers,
    // and no form for a link that does not exist.
    let (_, form) = get_form(&t, &real).await;
    let csrf = csrf_in(&form);
    let items = load_items(&t.app.db, round_id).await.unwrap();
    for fields in [complete(&items), Vec::new()] {
        let posted = post(&t, &format!("{round_id}-{secret}"), body(&csrf, &fields)).await;
        assert_eq!(posted.status(), Status::NotFound);
        assert_eq!(&posted.into_string().await.unwrap(), first);
    }
    assert_eq!(responses(&t).await, 0);
}

#[rocket::async_test]
async fn a_link_takes_five_submissions_a_minute_then_429() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 1).await;
    let round_id = open_round(&t).await;
    let invites = invitations(&t, round_id).await;
    let link = token(&t, &invites[0]);
    let (_, html) = get_form(&t, &link).await;
    let csrf = csrf_in(&html);
    for attempt in 0..5 {
        let incomplete = post(&t, &link, body(&csrf, &[])).await;
        assert_eq!(
            incomplete.status(),
            Status::UnprocessableEntity,
            "{attempt}"
        );
    }
    let limited = post(&t, &link, body(&csrf, &[])).await;
    assert_eq!(limited.status(), Status::TooManyRequests);
    let html = limited.into_string().await.unwrap();
    assert!(html.contains("Minute"), "{html}");
    let other = post(&t, &token(&t, &invites[1]), body(&csrf, &[])).await;
    assert_eq!(
        other.status(),
        Status::UnprocessableEntity,
        "other links are not affected"
    );
    let (status, _) = get_form(&t, &link).await;
    assert_eq!(
        status,
        Status::Ok,
        "reading the link is not limited per token"
    );
}

#[rocket::async_test]
async fn a_client_address_is_limited_and_forwarded_for_counts_only_from_trusted_proxies() {
    let t = TestApp::spawn_with(&[
        ("rate_limit_survey_per_minute", Value::from(3u32)),
        ("trusted_proxies", Value::from("10.0.0.0/8")),
    ])
    .await;
    let request = |peer: &str, forwarded: Option<&str>| {
        let mut request = t
            .client
            .get("/s/nonsense")
            .remote(format!("{peer}:4000").parse().unwrap());
        if let Some(forwarded) = forwarded {
            request = request.header(Header::new("X-Forwarded-For", forwarded.to_owned()));
        }
        request
    };
    for _ in 0..3 {
        assert_eq!(
            request("192.0.2.1", None).dispatch().await.status(),
            Status::NotFound
        );
    }
    assert_eq!(
        request("192.0.2.1", Some("198.51.100.1"))
            .dispatch()
            .await
            .status(),
        Status::TooManyRequests,
        "an untrusted peer cannot pose as someone else"
    );
    for _ in 0..3 {
        assert_eq!(
            request("10.0.0.1", Some("198.51.100.2"))
                .dispatch()
                .await
                .status(),
            Status::NotFound
        );
    }
    assert_eq!(
        request("10.0.0.1", Some("198.51.100.2"))
            .dispatch()
            .await
            .status(),
        Status::TooManyRequests
    );
    assert_eq!(
        request("10.0.0.1", Some("198.51.100.3"))
            .dispatch()
            .await
            .status(),
        Status::NotFound,
        "behind the proxy each client has its own quota"
    );
}

#[rocket::async_test]
async fn the_privacy_page_says_what_is_kept_in_plain_german_and_english() {
    let t = TestApp::spawn_with(&[
        ("anonymity_threshold", Value::from(7u32)),
        ("comment_threshold", Value::from(12u32)),
    ])
    .await;
    let de = t.client.get("/privacy").dispatch().await;
    assert_eq!(de.status(), Status::Ok);
    let de = de.into_string().await.unwrap();
    for text in [
        "Abteilung",
        "auch das Datum",
        "automatische Löschfrist gibt es nicht",
        "IP-Adresse",
        "mindestens 7",
        "ab 12",
        "mindestens 6 weiteren",
        "Vermerk wird gelöscht, wenn die Umfrage endet",
        "wie die Abteilungen zu ihrem Beginn waren",
        "Wer die laufende Datenbank selbst beobachtet",
    ] {
        assert!(de.contains(text), "{text}: {de}");
    }
    let en = t
        .client
        .get("/privacy?lang=en")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    for text in [
        "department",
        "not even the date",
        "no automatic deletion period",
        "IP address",
        "at least 7",
        "from 12",
        "at least 6 others",
        "This note is deleted when the survey ends",
        "as they were when it began",
        "watching the running database",
    ] {
        assert!(en.contains(text), "{text}: {en}");
    }
}
