//! Maßnahmen told and followed through: the employees of a department hear of its visible
//! actions in their next invitation and on the thank-you page, in their language; the digest
//! names the actions coming due; an action due today that nobody updated reminds its owner
//! once.

use chrono::{Duration, Utc};
use kundenpuls::action::rules::Subject;
use kundenpuls::action::store;
use kundenpuls::entities::{action, action_event, employee, invitation, outbox_mail};
use kundenpuls::i18n::Locale;
use kundenpuls::invite;
use kundenpuls::lifecycle;
use kundenpuls::mail::action_due;
use kundenpuls::survey::round::RoundDraft;
use kundenpuls::vocab::{ActionEventKind, MailKind, Role};
use rocket::figment::value::Value;
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::action_fixture::{add_scoped, admin_who, limits, new_action, sales_fell, today};
use crate::actions::page;
use crate::helpers::TestApp;
use crate::mail::mailer;
use crate::mime::read;
use crate::results_fixture::{closed_round, same};
use crate::smtp_server::SmtpServer;

const DOING_DE: &str =
    "Zu „Vorbild der Führung“ haben Sie uns Ihre Sicht gesagt – wir tun: Führung hört zu.";
const DOING_EN: &str =
    "On “Leadership example” you told us how you see it – we are doing: Führung hört zu.";

/// Vertrieb with a visible action and a hidden one, Technik with a visible one of its own.
async fn actions_told(t: &TestApp) -> (i32, i32, i32) {
    let (ids, _, october) = sales_fell(t).await;
    let owner = add_scoped(t, "chefin@example.de", None, Locale::De).await;
    let sales = ids["Vertrieb"];
    store::create(
        &t.app.db,
        limits(t),
        &admin_who(),
        new_action(sales, october, owner, t),
    )
    .await
    .unwrap();
    let mut hidden = new_action(sales, october, owner, t);
    hidden.title = "Nur intern".into();
    hidden.visible = false;
    store::create(&t.app.db, limits(t), &admin_who(), hidden)
        .await
        .unwrap();
    let mut tech = new_action(ids["Technik"], october, owner, t);
    tech.title = "Technik-Sprechstunde".into();
    tech.subject = Subject::Pillar(kundenpuls::vocab::Pillar::Values);
    store::create(&t.app.db, limits(t), &admin_who(), tech)
        .await
        .unwrap();
    (sales, ids["Vertrieb / Nord"], ids["Technik"])
}

fn local(offset: Duration) -> String {
    (Utc::now() + offset)
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn open_now(t: &TestApp) -> i32 {
    let draft = RoundDraft {
        title: "Puls Dezember".into(),
        opens_at: local(Duration::minutes(-1)),
        closes_at: local(Duration::days(7)),
        ..RoundDraft::default()
    };
    lifecycle::create(&t.app, &draft, Utc::now())
        .await
        .unwrap()
        .id
}

#[rocket::async_test]
async fn the_next_invitation_tells_each_team_what_is_done_about_its_answers() {
    let server = SmtpServer::start();
    let t = TestApp::spawn_with(&[("smtp_url", Value::from(server.url()))]).await;
    let (sales, north, tech) = actions_told(&t).await;
    // Everyone in Vertrieb / Nord speaks English: they hear of Vertrieb's action in English.
    employee::Entity::update_many()
        .col_expr(
            employee::Column::Locale,
            sea_orm::sea_query::Expr::value("en"),
        )
        .filter(employee::Column::DepartmentId.eq(north))
        .exec(&t.app.db)
        .await
        .unwrap();
    mailer(&t).deliver_all(Utc::now()).await.unwrap();
    let before = server.received().len();
    open_now(&t).await;
    mailer(&t).deliver_all(Utc::now()).await.unwrap();

    let people = employee::Entity::find().all(&t.app.db).await.unwrap();
    let received = server.received()[before..].to_vec();
    assert_eq!(received.len(), people.len(), "one invitation each");
    for mail in &received {
        let person = people.iter().find(|p| p.email == mail.to[0]).unwrap();
        let invitation_text = read(&mail.data);
        let both = format!("{}\n{}", invitation_text.text, invitation_text.html);
        let both = both.replace("&#x27;", "'").replace("&#x2f;", "/");
        let (heading, doing) = if person.locale == "en" {
            ("What your answers lead to", DOING_EN)
        } else {
            ("Was aus Ihren Antworten wird", DOING_DE)
        };
        if person.department_id == sales || person.department_id == north {
            assert!(both.contains(heading), "{both}");
            assert!(both.contains(doing), "{both}");
            assert!(!both.contains("Technik-Sprechstunde"));
        } else if person.department_id == tech {
            assert!(both.contains("Technik-Sprechstunde"));
            assert!(
                !both.contains("Führung hört zu"),
                "not another team's action"
            );
        }
        assert!(
            !both.contains("Nur intern"),
            "an action not marked visible stays inside"
        );
    }
}

#[rocket::async_test]
async fn the_thank_you_page_says_what_is_done_in_the_employees_department() {
    let t = TestApp::spawn().await;
    let (sales, north, _) = actions_told(&t).await;
    let round = open_now(&t).await;
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round))
        .all(&t.app.db)
        .await
        .unwrap();
    for (department, lang, said) in [(sales, "de", DOING_DE), (north, "en", DOING_EN)] {
        let invited = invitations
            .iter()
            .find(|i| i.department_id == department)
            .unwrap()
            .clone();
        let token = invite::token(&t.app.secrets.token_key, round, &invited.id);
        let mut answered: invitation::ActiveModel = invited.into();
        answered.answered = Set(true);
        answered.update(&t.app.db).await.unwrap();
        let (status, html) = page(&t, &format!("/s/{token}?lang={lang}")).await;
        assert_eq!(status, Status::Ok);
        assert!(html.contains(said), "{html}");
        assert!(!html.contains("Nur intern") && !html.contains("Technik-Sprechstunde"));
    }
}

#[rocket::async_test]
async fn the_digest_names_the_actions_coming_due_and_the_owner_gets_one_too() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    let lead = add_scoped(&t, "vertrieb@example.de", Some("Vertrieb"), Locale::De).await;
    t.add_staff("hr@example.de", Role::Admin).await;
    let hr = kundenpuls::entities::staff_user::Entity::find()
        .filter(kundenpuls::entities::staff_user::Column::Email.eq("hr@example.de"))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut soon = new_action(sales, october, lead, &t);
    soon.due_on = today(&t) + Duration::days(3);
    soon.title = "Bald fällig".into();
    store::create(&t.app.db, limits(&t), &admin_who(), soon)
        .await
        .unwrap();
    let mut late = new_action(sales, october, hr, &t);
    late.title = "Schon überfällig".into();
    let late = store::create(&t.app.db, limits(&t), &admin_who(), late)
        .await
        .unwrap();
    let mut overdue: action::ActiveModel = late.into();
    overdue.due_on = Set(today(&t) - Duration::days(2));
    overdue.update(&t.app.db).await.unwrap();
    let mut far = new_action(sales, october, lead, &t);
    far.title = "Noch Zeit".into();
    far.due_on = today(&t) + Duration::days(60);
    store::create(&t.app.db, limits(&t), &admin_who(), far)
        .await
        .unwrap();
    // Started while the round ran, due much later: new, so leadership hears of it.
    let mut fresh = new_action(ids["Vertrieb / Nord"], october, lead, &t);
    fresh.title = "Frisch begonnen".into();
    fresh.due_on = today(&t) + Duration::days(60);
    let fresh = store::create(&t.app.db, limits(&t), &admin_who(), fresh)
        .await
        .unwrap();

    closed_round(
        &t,
        "November",
        -1,
        &[("Vertrieb", same(6, 3, 7)), ("Technik", same(6, 4, 8))],
    )
    .await;
    let mut started: action::ActiveModel = fresh.into();
    started.created_at = Set(Utc::now() + Duration::days(8));
    started.update(&t.app.db).await.unwrap();
    let digests = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(MailKind::Digest))
        .all(&t.app.db)
        .await
        .unwrap();
    let recipients: Vec<&str> = digests.iter().map(|d| d.recipient.as_str()).collect();
    assert!(recipients.contains(&"vertrieb@example.de"));
    assert!(
        recipients.contains(&"hr@example.de"),
        "the admin owns an open action"
    );

    mailer(&t).deliver_all(Utc::now()).await.unwrap();
    let dir = crate::helpers::mail_dir_of(&t);
    let mut seen = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let raw = std::fs::read_to_string(file.unwrap().path()).unwrap();
        let mail = read(&raw);
        if !mail.subject.starts_with("Ergebnisse") && !mail.text.contains("fällig am") {
            continue;
        }
        if raw.contains("vertrieb@example.de") {
            seen += 1;
            assert!(
                mail.text.contains("Maßnahmen: neu oder bald fällig"),
                "{}",
                mail.text
            );
            assert!(mail.text.contains("Bald fällig (Vertrieb) – fällig am"));
            assert!(mail.text.contains("Sie verantworten sie"));
            assert!(mail.text.contains("Schon überfällig (Vertrieb)"));
            assert!(mail.text.contains(", überfällig"));
            assert!(
                !mail.text.contains("Noch Zeit"),
                "not due for weeks, not new"
            );
            assert!(
                mail.text
                    .contains("Frisch begonnen (Vertrieb / Nord) – neu – fällig am"),
                "{}",
                mail.text
            );
        } else if raw.contains("hr@example.de") {
            seen += 1;
            assert!(mail.text.contains("Schon überfällig"), "{}", mail.text);
            assert!(
                !mail.text.contains("Bald fällig"),
                "an admin hears of their own only"
            );
        }
    }
    assert_eq!(seen, 2);
}

#[rocket::async_test]
async fn an_action_due_today_that_nobody_updated_reminds_its_owner_once() {
    let server = SmtpServer::start();
    let t = TestApp::spawn_with(&[("smtp_url", Value::from(server.url()))]).await;
    let (ids, _, october) = sales_fell(&t).await;
    let lead = add_scoped(&t, "vertrieb@example.de", Some("Vertrieb"), Locale::En).await;
    let made = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(ids["Vertrieb"], october, lead, &t),
    )
    .await
    .unwrap();
    let now = Utc::now();
    // Due today, last touched yesterday.
    let mut due: action::ActiveModel = made.clone().into();
    due.due_on = Set(today(&t));
    due.updated_at = Set(now - Duration::days(1));
    due.update(&t.app.db).await.unwrap();
    mailer(&t).deliver_all(now).await.unwrap();
    let before = server.received().len();

    assert_eq!(
        action_due::enqueue_due(&t.app.db, &t.app.settings, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        action_due::enqueue_due(&t.app.db, &t.app.settings, now)
            .await
            .unwrap(),
        0,
        "once"
    );
    let reminded = action_event::Entity::find()
        .filter(action_event::Column::ActionId.eq(made.id))
        .filter(action_event::Column::Kind.eq(ActionEventKind::Reminded))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(reminded, 1, "the log says so");
    mailer(&t).deliver_all(now).await.unwrap();
    let received = server.received()[before..].to_vec();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["vertrieb@example.de"]);
    let mail = read(&received[0].data);
    assert_eq!(mail.subject, "Action due today: Führung hört zu");
    assert!(
        mail.text.contains(&format!("/actions/{}", made.id)),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("that you own is due today"));

    // Another one, due today as well but touched today: its owner is at it, no mail.
    let mut other = new_action(ids["Vertrieb"], october, lead, &t);
    other.due_on = today(&t);
    other.title = "Heute schon gepflegt".into();
    store::create(&t.app.db, limits(&t), &admin_who(), other)
        .await
        .unwrap();
    assert_eq!(
        action_due::enqueue_due(&t.app.db, &t.app.settings, now)
            .await
            .unwrap(),
        0
    );
}
