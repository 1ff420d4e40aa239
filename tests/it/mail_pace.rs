//! Sending at the relay's pace: the deployment-wide limits, a relay that throttles, the ETA and
//! the warning at creation. Wall-clock bounds here are wide on purpose; the exact instants of
//! the plan are tested on explicit instants in `mail::pace`.

use std::collections::HashSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use kundenpuls::entities::outbox_mail;
use kundenpuls::mail::pace::{self, Limits, Pace};
use kundenpuls::mail::worker::Mailer;
use rocket::figment::value::Value;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::TestApp;
use crate::mail::{app_with_staff, mailer, open_round, round_page_as_hr};
use crate::smtp_server::SmtpServer;
use kundenpuls::vocab::MailState;

async fn invitation_states(t: &TestApp) -> Vec<MailState> {
    outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(kundenpuls::vocab::MailKind::Invitation))
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.state)
        .collect()
}

#[rocket::async_test]
async fn a_relay_that_throttles_every_fifth_mail_gets_each_mail_once_and_none_fails() {
    let server = SmtpServer::start();
    server.throttle_every(5);
    let t = app_with_staff(
        &server.url(),
        10,
        &[("mail_rate_per_minute", Value::from(600u32))],
    )
    .await;
    let view = open_round(&t, 14).await;
    assert_eq!(view.participation.invited, Some(20));

    let worker = mailer(&t);
    let started = Instant::now();
    let mut saw_hold = false;
    while started.elapsed() < StdDuration::from_secs(90) {
        let done = worker.deliver_due(Utc::now()).await.unwrap();
        assert_eq!(done.failed, 0, "a throttled mail never fails");
        let status = pace::round_status(&t.app.db, &t.app.settings, view.id, Utc::now())
            .await
            .unwrap();
        saw_hold |= status.held_back_since.is_some();
        if status.sent == 20 {
            break;
        }
        if done.sent + done.retrying == 0 {
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    }
    let elapsed = started.elapsed();

    let received = server.received();
    let ids: Vec<String> = received
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no Message-ID arrived twice");
    assert_eq!(ids.len(), 20, "every invitation arrived");
    let states = invitation_states(&t).await;
    assert!(states.iter().all(|s| *s == MailState::Sent), "{states:?}");
    assert!(server.throttled() >= 4, "the relay throttled");
    // The hold-off is usually over by the time the batch returns, so it need not have been
    // seen here; the throttled mails were tried again instead of failing.
    let _ = saw_hold;
    let retried = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Attempts.gt(1))
        .all(&t.app.db)
        .await
        .unwrap();
    assert!(!retried.is_empty(), "throttled mails were tried again");
    // 20 mails at 600 a minute are 1.9 s apart at least; each throttling answer holds all mail
    // back for a second or more. Wide bounds: speeds belong in benchmarks.
    assert!(elapsed >= StdDuration::from_millis(1_900), "{elapsed:?}");
    assert!(elapsed < StdDuration::from_secs(90), "{elapsed:?}");
    let status = pace::round_status(&t.app.db, &t.app.settings, view.id, Utc::now())
        .await
        .unwrap();
    assert_eq!((status.queued, status.sent, status.failed), (0, 20, 0));
    assert_eq!(status.expected_finish, None);
    assert_eq!(
        status.held_back_since, None,
        "the hold-off ends with the first mail the relay takes"
    );
}

#[rocket::async_test]
async fn the_eta_of_an_unsent_round_is_the_plan_at_the_configured_rate() {
    let server = SmtpServer::start();
    let t = app_with_staff(
        &server.url(),
        5,
        &[("mail_rate_per_minute", Value::from(60u32))],
    )
    .await;
    let view = open_round(&t, 14).await;
    let now = Utc::now();
    let status = pace::round_status(&t.app.db, &t.app.settings, view.id, now)
        .await
        .unwrap();
    assert_eq!(
        (status.queued, status.sent, status.retrying, status.failed),
        (10, 0, 0, 0)
    );
    // An idle pace: the first mail now, one a second after it.
    assert_eq!(status.expected_finish, Some(now + Duration::seconds(9)));
    assert_eq!(status.rate_per_minute, Some(60));
    assert!(
        view.notes.is_empty(),
        "10 mails in 10 s is no reason to warn"
    );
}

#[rocket::async_test]
async fn the_daily_quota_holds_back_the_rest_until_local_midnight_and_hr_is_warned() {
    let server = SmtpServer::start();
    let t = app_with_staff(&server.url(), 3, &[("mail_daily_limit", Value::from(2u32))]).await;
    // A week: its first tenth is under 17 hours; the sixth invitation waits for the second
    // midnight from now, at least 24 hours away.
    let mut view = open_round(&t, 7).await;
    kundenpuls::i18n::say_notes(kundenpuls::i18n::Locale::En, &mut view.notes);
    assert!(
        view.notes.iter().any(|note| {
            note.text().contains("cannot all leave") && note.text().contains("2 a day")
        }),
        "{:?}",
        view.notes
    );

    let now = Utc::now();
    let done = mailer(&t).deliver_all(now).await.unwrap();
    assert_eq!(done.sent, 2, "today's quota");
    assert_eq!(server.received().len(), 2);
    let status = pace::round_status(&t.app.db, &t.app.settings, view.id, now)
        .await
        .unwrap();
    assert_eq!((status.queued, status.sent), (4, 2));
    let tz = t.app.settings.timezone;
    let second_midnight = pace::next_midnight(pace::next_midnight(now, tz), tz);
    assert_eq!(status.expected_finish, Some(second_midnight));
    // The same plan as the pure pacer makes from the stored pace.
    let limits = Limits::from_settings(&t.app.settings);
    let stored = pace::load(&t.app.db, false).await.unwrap();
    assert_eq!(stored.day_count, 2);
    assert_eq!(
        stored.finish(limits, tz, now, 4),
        Some(second_midnight),
        "{stored:?}"
    );
    assert_ne!(stored, Pace::default());
}

#[rocket::async_test]
async fn without_limits_nothing_waits_and_no_warning_is_given() {
    let server = SmtpServer::start();
    let t = app_with_staff(&server.url(), 3, &[]).await;
    let view = open_round(&t, 1).await;
    assert!(view.notes.is_empty(), "{:?}", view.notes);
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(done.sent, 6);
    assert_eq!(server.received().len(), 6);
}

/// Moves the round's reminders to one at `at`.
async fn remind_once_at(t: &TestApp, round_id: i32, at: chrono::DateTime<Utc>) {
    use kundenpuls::entities::round_reminder;
    round_reminder::Entity::delete_many()
        .filter(round_reminder::Column::RoundId.eq(round_id))
        .exec(&t.app.db)
        .await
        .unwrap();
    round_reminder::Entity::insert(round_reminder::ActiveModel {
        round_id: sea_orm::Set(round_id),
        remind_at: sea_orm::Set(at),
        done_at: sea_orm::Set(None),
        ..Default::default()
    })
    .exec(&t.app.db)
    .await
    .unwrap();
}

#[rocket::async_test]
async fn a_paced_reminder_is_queued_early_enough_that_its_last_mail_leaves_on_time() {
    let server = SmtpServer::start();
    let t = app_with_staff(
        &server.url(),
        10,
        &[("mail_rate_per_minute", Value::from(60u32))],
    )
    .await;
    let view = open_round(&t, 14).await;
    let now = Utc::now();
    let queue =
        |now| kundenpuls::mail::outbox::enqueue_due_reminders(&t.app.db, &t.app.settings, now);

    // 20 invitations are queued and 20 people have not answered: queued at the scheduler's
    // next look (a minute from now, with the margin), 40 mails at one a second end 99 s from
    // now. A reminder 100 s away can wait; one 98 s away cannot.
    remind_once_at(&t, view.id, now + Duration::seconds(100)).await;
    assert_eq!(queue(now).await.unwrap(), 0, "the reminder can still wait");
    remind_once_at(&t, view.id, now + Duration::seconds(98)).await;
    assert_eq!(queue(now).await.unwrap(), 20, "queued ahead of its time");
    assert_eq!(queue(now).await.unwrap(), 0, "queued once");
    let reminders = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(kundenpuls::vocab::MailKind::Reminder))
        .all(&t.app.db)
        .await
        .unwrap();
    assert_eq!(reminders.len(), 20);
    // The ETA of the round counts everything before its last mail.
    let status = pace::round_status(&t.app.db, &t.app.settings, view.id, now)
        .await
        .unwrap();
    assert_eq!(status.queued, 20);
}

#[rocket::async_test]
async fn two_workers_on_one_database_share_one_pace() {
    let server = SmtpServer::start();
    let t = app_with_staff(
        &server.url(),
        10,
        &[("mail_rate_per_minute", Value::from(600u32))],
    )
    .await;
    open_round(&t, 14).await;
    // Two workers as two instances would run them: each with its own transport and its own
    // view of the relay, sharing only the database.
    let (first, second) = (mailer(&t), mailer(&t));
    let started = Instant::now();
    let t = &t;
    let run = |worker: Mailer| async move {
        let mut sent = 0;
        while started.elapsed() < StdDuration::from_secs(60) {
            let done = worker.deliver_due(Utc::now()).await.unwrap();
            sent += done.sent;
            if invitation_states(t)
                .await
                .iter()
                .all(|s| *s == MailState::Sent)
            {
                break;
            }
            if done.sent == 0 {
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        }
        sent
    };
    let (a, b) = tokio::join!(run(first), run(second));
    let elapsed = started.elapsed();
    assert_eq!(a + b, 20, "every invitation sent once ({a} + {b})");
    let ids: HashSet<String> = server
        .received()
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    assert_eq!((ids.len(), server.received().len()), (20, 20));
    // One pace for both: 20 mails at 600 a minute are at least 1.9 s apart from first to
    // last; two counters of their own would have let them finish in half that.
    assert!(elapsed >= StdDuration::from_millis(1_900), "{elapsed:?}");
}

#[rocket::async_test]
async fn a_relay_that_keeps_saying_later_holds_the_mail_queued_and_hr_sees_why() {
    let server = SmtpServer::start();
    server.throttle_every(1);
    let t = app_with_staff(
        &server.url(),
        3,
        &[("mail_rate_per_minute", Value::from(600u32))],
    )
    .await;
    let view = open_round(&t, 14).await;
    let worker = mailer(&t);
    for _ in 0..3 {
        let done = worker.deliver_due(Utc::now()).await.unwrap();
        assert_eq!(
            (done.sent, done.failed),
            (0, 0),
            "nothing sent, nothing failed"
        );
    }
    assert!(server.received().is_empty());
    assert!(server.throttled() >= 1);
    let states = invitation_states(&t).await;
    assert!(
        states
            .iter()
            .all(|s| matches!(s, MailState::Queued | MailState::Retrying)),
        "{states:?}"
    );
    let status = pace::round_status(&t.app.db, &t.app.settings, view.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(status.failed, 0);
    assert!(status.held_back_since.is_some(), "{status:?}");
    assert!(
        status
            .relay_reply
            .as_deref()
            .is_some_and(|r| r.contains("4.7.0")),
        "{status:?}"
    );
    assert!(status.expected_finish.is_some(), "{status:?}");

    // HR's round page says so, in HR's language, with what the relay said.
    let page = round_page_as_hr(&t, view.id).await;
    assert!(page.contains("Vom Mailserver gebremst seit"), "{page}");
    assert!(page.contains("4.7.0 Too many messages"), "{page}");
    // The slowed pace is shown beside the configured one, in whole mails a minute.
    let current = status
        .current_rate_per_minute
        .expect("a rate is configured");
    assert!(current <= 300.0, "{status:?}");
    assert!(
        page.contains(&format!(
            "der Mailserver lässt derzeit {current:.0} pro Minute zu"
        )),
        "{page}"
    );
}

#[rocket::async_test]
async fn a_relay_that_drops_the_connection_before_confirming_gets_the_same_message_id_again() {
    let server = SmtpServer::start_dropping_first_confirmation();
    let t = app_with_staff(&server.url(), 2, &[]).await;
    let view = open_round(&t, 14).await;
    assert_eq!(view.participation.invited, Some(4));
    let worker = mailer(&t);
    // The dropped mail is retried (at once on a fresh connection, or after its backoff).
    let mut now = Utc::now();
    for _ in 0..5 {
        let done = worker.deliver_all(now).await.unwrap();
        assert_eq!(done.failed, 0);
        if invitation_states(&t)
            .await
            .iter()
            .all(|s| *s == MailState::Sent)
        {
            break;
        }
        now += Duration::hours(1);
    }
    let states = invitation_states(&t).await;
    assert!(states.iter().all(|s| *s == MailState::Sent), "{states:?}");

    // The relay kept the unconfirmed copy and got the mail again: two copies, one Message-ID,
    // so the duplicate is recognisable and counted as one mail.
    let ids: Vec<String> = server
        .received()
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 4, "{ids:?}");
    let stored: HashSet<String> = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(kundenpuls::vocab::MailKind::Invitation))
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| format!("<{}>", row.message_id.trim_matches(['<', '>'])))
        .collect();
    let received: HashSet<String> = unique
        .iter()
        .map(|id| format!("<{}>", id.trim_matches(['<', '>'])))
        .collect();
    assert_eq!(
        received, stored,
        "every copy carries its outbox row's Message-ID"
    );
}
