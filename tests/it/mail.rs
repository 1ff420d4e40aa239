//! Invitations and reminders through a real SMTP server: what arrives, to whom, and that nothing
//! is lost or doubled when the server is down, refuses or stalls.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use kundenpuls::entities::{employee, invitation, outbox_mail};
use kundenpuls::lifecycle;
use kundenpuls::mail::outbox;
use kundenpuls::mail::transport::Transport;
use kundenpuls::mail::worker::Mailer;
use kundenpuls::scheduler;
use kundenpuls::survey::round::{RoundDraft, RoundView};
use rocket::figment::value::Value;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{TestApp, seed_org};
use crate::smtp_server::SmtpServer;

const ORG: &[&str] = &["Vertrieb", "Technik"];

async fn app_with(smtp_url: &str, extra: &[(&str, Value)]) -> TestApp {
    app_with_staff(smtp_url, 3, extra).await
}

/// The app sending through `smtp_url`, with `per_department` employees in each of two
/// departments (shared with the relay-pace tests).
pub(crate) async fn app_with_staff(
    smtp_url: &str,
    per_department: usize,
    extra: &[(&str, Value)],
) -> TestApp {
    let mut overrides = vec![("smtp_url", Value::from(smtp_url.to_owned()))];
    overrides.extend(extra.iter().cloned());
    let t = TestApp::spawn_with(&overrides).await;
    seed_org(&t.app.db, ORG, per_department).await;
    t
}

pub(crate) fn mailer(t: &TestApp) -> Mailer {
    Mailer::new(
        t.app.clone(),
        Transport::from_settings(&t.app.settings).unwrap(),
    )
}

fn local(offset: Duration) -> String {
    (Utc::now() + offset)
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The round's admin page as HR (German) sees it, after adding and logging in an HR admin.
pub(crate) async fn round_page_as_hr(t: &TestApp, round_id: i32) -> String {
    t.add_staff("hr@example.de", kundenpuls::vocab::Role::Admin)
        .await;
    t.login("hr@example.de", crate::helpers::PASSWORD).await;
    t.client
        .get(format!("/admin/rounds/{round_id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap()
}

/// A round over everyone, open since a minute ago for `days`.
pub(crate) async fn open_round(t: &TestApp, days: i64) -> RoundView {
    let draft = RoundDraft {
        title: "Puls November".into(),
        opens_at: local(Duration::minutes(-1)),
        closes_at: local(Duration::days(days)),
        ..RoundDraft::default()
    };
    lifecycle::create(&t.app, &draft, Utc::now())
        .await
        .expect("round opens")
}

#[rocket::async_test]
async fn every_employee_gets_one_invitation_in_their_language_with_a_working_link() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    let view = open_round(&t, 14).await;
    assert_eq!(view.participation.invited, Some(6));

    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(done.sent, 6);
    let received = server.received();
    assert_eq!(received.len(), 6);

    let employees: HashMap<String, employee::Model> = employee::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.email.clone(), e))
        .collect();
    let invitations = invitation::Entity::find().all(&t.app.db).await.unwrap();
    let mut message_ids = std::collections::HashSet::new();
    for mail in &received {
        assert_eq!(mail.to.len(), 1);
        let person = &employees[&mail.to[0]];
        let subject = mail.header("Subject").unwrap();
        if person.locale == "en" {
            assert!(subject.contains("Your view matters"), "{subject}");
        } else {
            assert!(
                subject.contains("Ihre Meinung z") || subject.contains("=?utf-8?"),
                "{subject}"
            );
        }
        assert!(mail.data.contains("multipart/alternative"));
        assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
        assert!(
            message_ids.insert(mail.header("Message-ID").unwrap()),
            "a Message-ID per mail"
        );

        let link = mail.link().expect("a personal link");
        let token = link
            .strip_prefix("http://127.0.0.1:8000/s/")
            .expect("BASE_URL/s/<token>");
        let hash = kundenpuls::invite::token_hash(token);
        let invitation = invitations
            .iter()
            .find(|i| i.token_hash.as_deref() == Some(hash.as_str()))
            .expect("the link's token belongs to an invitation");
        assert_eq!(
            invitation.employee_id, person.id,
            "each person gets their own link"
        );
        assert!(
            mail.data.contains(&format!("{token}?q=")),
            "one-click answers in the HTML part"
        );
    }
    let sent = invitation::Entity::find()
        .filter(invitation::Column::SentAt.is_not_null())
        .all(&t.app.db)
        .await
        .unwrap();
    assert_eq!(sent.len(), 6);

    // A second pass sends nothing again.
    assert_eq!(mailer(&t).deliver_all(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(server.received().len(), 6);
}

#[rocket::async_test]
async fn reminders_go_only_to_those_who_have_not_answered_and_never_after_the_close() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    let view = open_round(&t, 14).await;
    mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(server.received().len(), 6);

    let answered: Vec<invitation::Model> = invitation::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .take(2)
        .collect();
    for i in &answered {
        let mut active: invitation::ActiveModel = i.clone().into();
        active.answered = Set(true);
        active.update(&t.app.db).await.unwrap();
    }
    let first_reminder = view.reminders[0];
    let tick = scheduler::tick(&t.app, first_reminder + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(tick.reminders_queued, 4);
    let again = scheduler::tick(&t.app, first_reminder + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(again.reminders_queued, 0, "each reminder once");
    mailer(&t)
        .deliver_all(first_reminder + Duration::minutes(2))
        .await
        .unwrap();

    let employees: HashMap<i32, String> = employee::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.email))
        .collect();
    let answered_emails: Vec<&String> = answered
        .iter()
        .map(|i| &employees[&i.employee_id])
        .collect();
    let reminders: Vec<_> = server.received().into_iter().skip(6).collect();
    assert_eq!(reminders.len(), 4);
    for mail in &reminders {
        assert!(
            !answered_emails.contains(&&mail.to[0]),
            "no reminder after answering"
        );
        assert!(mail.header("Subject").is_some());
    }

    // The round closes before the second reminder: nothing more goes out.
    lifecycle::close(&t.app, view.id, first_reminder + Duration::hours(1))
        .await
        .unwrap();
    let late = view.reminders.last().copied().unwrap() + Duration::minutes(1);
    let tick = scheduler::tick(&t.app, late).await.unwrap();
    assert_eq!(tick.reminders_queued, 0);
    mailer(&t).deliver_all(late).await.unwrap();
    assert_eq!(server.received().len(), 10);
    let reminder_rows = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(kundenpuls::vocab::MailKind::Reminder))
        .all(&t.app.db)
        .await
        .unwrap();
    assert!(
        reminder_rows.is_empty(),
        "who was reminded is forgotten at close"
    );
}

#[rocket::async_test]
async fn mail_waits_while_the_server_is_down_and_goes_out_once_when_it_is_back() {
    let port = SmtpServer::free_port();
    let t = app_with(&format!("smtp://127.0.0.1:{port}"), &[]).await;
    open_round(&t, 14).await;
    let down = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((down.sent, down.retrying), (0, 6));
    let log = outbox::send_log(&t.app.db, 1).await.unwrap();
    assert_eq!(log.invitations.retrying, 6);
    assert!(
        log.invitation_problems.iter().all(|line| line
            .last_reply
            .as_deref()
            .unwrap_or("")
            .contains("connect"))
    );

    let server = SmtpServer::start_on(port);
    // Not yet due: the backoff holds them back.
    assert_eq!(mailer(&t).deliver_all(Utc::now()).await.unwrap().sent, 0);
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(mailer(&t).deliver_all(later).await.unwrap().sent, 6);
    assert_eq!(
        mailer(&t)
            .deliver_all(later + Duration::hours(1))
            .await
            .unwrap()
            .sent,
        0
    );
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for mail in server.received() {
        *per_id
            .entry(mail.header("Message-ID").unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 6);
    assert!(
        per_id.values().all(|n| *n == 1),
        "each delivered exactly once: {per_id:?}"
    );
}

#[rocket::async_test]
async fn a_refused_address_fails_and_hr_sees_the_servers_answer() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    server.refuse("technik.1@example.de");
    open_round(&t, 14).await;
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((done.sent, done.failed), (5, 1));
    let log = outbox::send_log(&t.app.db, 1).await.unwrap();
    assert_eq!(log.invitations.failed, 1);
    let line = &log.invitation_problems[0];
    assert_eq!(line.recipient, "technik.1@example.de");
    assert!(
        line.last_reply.as_deref().unwrap().contains("550"),
        "{line:?}"
    );
    // Failed for good: not retried.
    assert_eq!(
        mailer(&t)
            .deliver_all(Utc::now() + Duration::days(1))
            .await
            .unwrap()
            .sent,
        0
    );
}

#[rocket::async_test]
async fn a_server_that_stalls_does_not_hang_the_worker() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts connections and never says a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let t = app_with(
        &format!("smtp://127.0.0.1:{port}"),
        &[("smtp_timeout_seconds", Value::from(1u32))],
    )
    .await;
    open_round(&t, 14).await;
    let started = std::time::Instant::now();
    let done = tokio::time::timeout(
        StdDuration::from_secs(60),
        mailer(&t).deliver_all(Utc::now()),
    )
    .await
    .expect("the worker gives up on a stalled server")
    .unwrap();
    assert_eq!(done.retrying, 6);
    assert!(started.elapsed() < StdDuration::from_secs(60));
}

#[rocket::async_test]
async fn without_smtp_every_mail_becomes_an_eml_file_once() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, ORG, 2).await;
    open_round(&t, 14).await;
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(done.sent, 4);
    let dir = crate::helpers::mail_dir_of(&t);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    assert_eq!(files.len(), 4);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("/s/") && text.contains("Message-ID"));
}

#[rocket::async_test]
async fn two_workers_share_the_outbox_without_sending_anything_twice() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    seed_org(&t.app.db, &["Service", "Service / Hotline"], 40).await;
    open_round(&t, 14).await;
    // Two instances on one database: a second App on the same settings.
    let other = kundenpuls::app::App::start((*t.app.settings).clone())
        .await
        .unwrap();
    let first = mailer(&t);
    let second = Mailer::new(
        other.clone(),
        Transport::from_settings(&other.settings).unwrap(),
    );
    let now = Utc::now();
    let (a, b) = tokio::join!(first.deliver_all(now), second.deliver_all(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 86);
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for mail in server.received() {
        *per_id
            .entry(mail.header("Message-ID").unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 86);
    assert!(per_id.values().all(|n| *n == 1), "no mail twice");
}

#[rocket::async_test]
async fn hr_sees_the_send_log_in_the_round_and_through_the_api() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    server.refuse("vertrieb.2@example.de");
    let view = open_round(&t, 14).await;
    mailer(&t).deliver_all(Utc::now()).await.unwrap();

    let token = t.token(kundenpuls::vocab::Role::Admin).await;
    let detail: serde_json::Value = t
        .client
        .get(format!("/api/v1/rounds/{}", view.id))
        .header(crate::helpers::bearer(&token))
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(detail["mail"]["invitations"]["sent"], 5);
    assert_eq!(detail["mail"]["invitations"]["failed"], 1);
    assert_eq!(
        detail["mail"]["invitation_problems"][0]["recipient"],
        "vertrieb.2@example.de"
    );

    let html = round_page_as_hr(&t, view.id).await;
    assert!(
        html.contains("Versand") && html.contains("vertrieb.2@example.de"),
        "{html}"
    );
    assert!(html.contains("550"), "the server's answer is shown");
}

#[rocket::async_test]
async fn mail_claimed_by_a_worker_that_died_is_sent_once_after_its_lease() {
    let server = SmtpServer::start();
    let t = app_with(&server.url(), &[]).await;
    open_round(&t, 14).await;
    // A worker claims everything and dies before sending (a crash, a killed process).
    let now = Utc::now();
    let claimed = outbox::claim(&t.app.db, now, Duration::minutes(5), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 6);
    // While the lease runs nobody else sends them.
    assert_eq!(
        mailer(&t)
            .deliver_all(now + Duration::minutes(1))
            .await
            .unwrap()
            .sent,
        0
    );
    assert!(server.received().is_empty());
    // After it, the next worker does, once.
    let later = now + Duration::minutes(6);
    assert_eq!(mailer(&t).deliver_all(later).await.unwrap().sent, 6);
    assert_eq!(
        mailer(&t)
            .deliver_all(later + Duration::hours(1))
            .await
            .unwrap()
            .sent,
        0
    );
    assert_eq!(server.received().len(), 6);
}

/// A big company's round opened while the worker runs (from the CLI or by the scheduler beside
/// `serve`): the worker's sweep of mail for rounds that are not open must not take the round's
/// invitations for mail of a round that never opened.
#[rocket::async_test]
async fn a_round_opened_while_the_worker_runs_mails_everyone_once() {
    let server = SmtpServer::start();
    let t = app_with_staff(&server.url(), 600, &[]).await;
    let draft = RoundDraft {
        title: "Puls Dezember".into(),
        opens_at: local(Duration::hours(1)),
        closes_at: local(Duration::days(14)),
        ..RoundDraft::default()
    };
    let planned = lifecycle::create(&t.app, &draft, Utc::now()).await.unwrap();
    let worker = mailer(&t);
    let now = Utc::now();
    let opened = std::sync::atomic::AtomicBool::new(false);
    let opening = async {
        let done = lifecycle::open(&t.app, planned.id, now).await;
        opened.store(true, std::sync::atomic::Ordering::SeqCst);
        done
    };
    // The worker as `serve` runs it, without its idle pause, so that its sweep certainly falls
    // into the opening transaction.
    let working = async {
        let mut passes = 0;
        while !opened.load(std::sync::atomic::Ordering::SeqCst) {
            worker.deliver_due(now).await.unwrap();
            passes += 1;
        }
        passes
    };
    let (opened_now, passes) = tokio::join!(opening, working);
    assert!(opened_now.unwrap(), "the round opened");
    assert!(passes >= 1, "the worker ran while the round opened");
    worker.deliver_all(now).await.unwrap();

    let invitations = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(planned.id))
        .all(&t.app.db)
        .await
        .unwrap();
    assert_eq!(invitations.len(), 1_200);
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for mail in server.received() {
        *per_id
            .entry(mail.header("Message-ID").unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 1_200, "every invitation arrived");
    assert!(per_id.values().all(|n| *n == 1), "none twice");
    let cancelled = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.eq(kundenpuls::vocab::MailState::Cancelled))
        .all(&t.app.db)
        .await
        .unwrap();
    assert!(cancelled.is_empty(), "{:?}", cancelled.first());
}
