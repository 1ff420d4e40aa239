//! One date style per reader: German readers read "07.12.2026, 09:00 Uhr", English readers
//! "7 Dec 2026, 09:00", on every admin page and in the invitation mail; ISO stays in the
//! machine-readable `datetime` attributes, the API and the CLI.

use chrono::Utc;
use kundenpuls::auth::staff;
use kundenpuls::i18n::{self, Locale};
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Status};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, bearer, mail_dir_of, seed_org, visible_text};
use crate::mime::read;

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// Every "YYYY-MM-DD" in `text`: the machine's style, which no reader should meet.
fn iso_days(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let shape = "dddd-dd-dd";
    chars
        .windows(shape.len())
        .filter(|window| {
            window.iter().zip(shape.chars()).all(|(c, s)| match s {
                'd' => c.is_ascii_digit(),
                _ => *c == s,
            })
        })
        .map(|window| window.iter().collect())
        .collect()
}

async fn page(t: &TestApp, path: &str) -> String {
    let response = t.client.get(path.to_owned()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.expect("a page")
}

async fn login_as(t: &TestApp, email: &str, locale: Locale) {
    staff::add(
        &t.app.db,
        staff::NewStaffUser {
            email,
            password: PASSWORD,
            role: Role::Admin,
            department: None,
            locale,
        },
    )
    .await
    .expect("staff user added");
    assert_eq!(t.login(email, PASSWORD).await.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn hr_reads_every_time_in_the_style_of_their_language() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 6).await;
    let round = crate::mail::open_round(&t, 9).await;
    assert!(!round.reminders.is_empty(), "a 9-day round has reminders");
    let token = t.token(Role::Admin).await;
    let schedule = t
        .client
        .post("/api/v1/schedules")
        .header(ContentType::JSON)
        .header(bearer(&token))
        .body(
            json!({
                "title": "Monatspuls",
                "cadence": { "kind": "weekly", "every_weeks": 4, "weekday": "mon",
                             "time": "09:00", "start": "2031-01-06" },
                "duration": "7d",
            })
            .to_string(),
        )
        .dispatch()
        .await;
    assert_eq!(schedule.status(), Status::Created);

    // Closing time as written at the minute the round stored (the form takes minutes).
    let closes_at = round.closes_at;
    let pages = [
        "/admin".to_owned(),
        "/admin/rounds".to_owned(),
        format!("/admin/rounds/{}", round.id),
        "/admin/schedules".to_owned(),
        "/admin/staff".to_owned(),
    ];
    for (email, locale) in [
        ("hr@example.de", Locale::De),
        ("hr-en@example.com", Locale::En),
    ] {
        login_as(&t, email, locale).await;
        for path in &pages {
            let text = visible_text(&page(&t, path).await);
            assert_eq!(
                iso_days(&text),
                Vec::<String>::new(),
                "{path} in {locale} shows machine dates: {text}"
            );
        }
        let round_page = visible_text(&page(&t, &format!("/admin/rounds/{}", round.id)).await);
        let closing = i18n::moment(closes_at, BERLIN, locale);
        assert!(
            round_page.contains(&closing),
            "{locale}: the round page says it closes {closing}: {round_page}"
        );
        for reminder in &round.reminders {
            let at = i18n::moment(*reminder, BERLIN, locale);
            assert!(round_page.contains(&at), "{locale}: reminder {at}");
        }
        let rounds = visible_text(&page(&t, "/admin/rounds").await);
        assert!(rounds.contains(&closing), "{locale}: {rounds}");
        let schedules = visible_text(&page(&t, "/admin/schedules").await);
        let first = match locale {
            Locale::De => "06.01.2031, 09:00\u{a0}Uhr",
            Locale::En => "6 Jan 2031, 09:00",
        };
        assert!(schedules.contains(first), "{locale}: {schedules}");
    }
}

#[rocket::async_test]
async fn the_invitation_says_when_the_round_closes_in_the_employee_s_language() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    let round = crate::mail::open_round(&t, 7).await;
    let sent = crate::mail::mailer(&t)
        .deliver_all(Utc::now())
        .await
        .unwrap();
    assert_eq!(sent.sent, 3);
    let mut languages = Vec::new();
    for entry in std::fs::read_dir(mail_dir_of(&t)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "eml") {
            continue;
        }
        let mail = read(&std::fs::read_to_string(&path).unwrap());
        let (locale, sentence) = if mail.text.contains("Die Umfrage läuft bis") {
            (Locale::De, "Die Umfrage läuft bis {closes}.")
        } else {
            (Locale::En, "The survey is open until {closes}.")
        };
        let expected = sentence.replace("{closes}", &i18n::moment(round.closes_at, BERLIN, locale));
        assert!(mail.text.contains(&expected), "{expected}: {}", mail.text);
        assert!(mail.html.contains(&expected), "{expected}: {}", mail.html);
        assert_eq!(iso_days(&mail.text), Vec::<String>::new(), "{}", mail.text);
        languages.push(locale);
    }
    languages.sort_by_key(|l| l.as_str());
    assert_eq!(languages, [Locale::De, Locale::De, Locale::En]);
}
