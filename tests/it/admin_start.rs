//! HR's start page as HR meets it: from an empty company to the first round, what a running
//! round has done, what needs HR, and the links to the next step (results, CSV, questions).

use chrono::{Duration, Utc};
use kundenpuls::entities::{outbox_mail, round_reminder};
use kundenpuls::i18n::{self, Locale};
use kundenpuls::lifecycle;
use kundenpuls::vocab::{MailKind, MailState, Role};
use rocket::http::{ContentType, Status};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::helpers::{PASSWORD, TestApp, csrf_in, form, seed_org};
use crate::results_fixture::company_draft;

const BOUNDARY: &str = "kundenpulsStartBoundary";

async fn as_hr(t: &TestApp) {
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
}

/// The page as HR reads it: minijinja's entities for `/` and `'` turned back.
async fn page(t: &TestApp, path: &str) -> (Status, String) {
    let response = t.client.get(path.to_owned()).dispatch().await;
    let status = response.status();
    let html = response.into_string().await.unwrap_or_default();
    (status, html.replace("&#x2f;", "/").replace("&#x27;", "'"))
}

/// The `href` of the link whose text is `text`.
fn link_to(html: &str, text: &str) -> String {
    let end = html
        .find(&format!(">{text}</a>"))
        .unwrap_or_else(|| panic!("no link \"{text}\" in {html}"));
    let start = html[..end].rfind("href=\"").expect("an href") + 6;
    html[start..end]
        .split('"')
        .next()
        .expect("a quoted href")
        .replace("&amp;", "&")
}

fn upload(csrf: &str, file: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"personal.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    )
}

#[rocket::async_test]
async fn hr_is_led_from_an_empty_company_to_the_first_round() {
    let t = TestApp::spawn().await;
    as_hr(&t).await;

    let (status, html) = page(&t, "/admin").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Noch sind keine Mitarbeitenden angelegt"),
        "{html}"
    );
    assert_eq!(
        link_to(&html, "Mitarbeiterliste importieren"),
        "/admin/import"
    );
    assert!(
        !html.contains("cf_goals_customer_value"),
        "the catalog's keys are on their own page"
    );

    // A file previewed, then left: the start page remembers it.
    let (_, form_page) = page(&t, "/admin/import").await;
    let csrf = csrf_in(&form_page);
    let file = "E-Mail;Name;Abteilung\nanna@example.de;Anna Berg;Vertrieb\nben@example.de;Ben Kurz;Technik\n";
    let preview = t
        .client
        .post("/admin/import")
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(upload(&csrf, file))
        .dispatch()
        .await;
    assert_eq!(preview.status(), Status::Ok);
    let (_, html) = page(&t, "/admin").await;
    assert!(
        html.contains(
            "Die Mitarbeiterliste „personal.csv“ wurde geprüft, aber noch nicht übernommen"
        ),
        "{html}"
    );
    let review = link_to(&html, "Prüfen und übernehmen");
    assert!(review.starts_with("/admin/import/"), "{review}");

    // The link shows the preview again, with the button that applies it.
    let (status, html) = page(&t, &review).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Vorschau"), "{html}");
    let apply = format!("{review}/apply");
    assert!(html.contains(&format!("action=\"{apply}\"")), "{html}");
    let applied = t
        .client
        .post(apply)
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf)]))
        .dispatch()
        .await;
    assert_eq!(applied.status(), Status::Ok);
    let html = applied.into_string().await.unwrap().replace("&#x2f;", "/");
    assert_eq!(
        link_to(&html, "Runde anlegen"),
        "/admin/rounds#new-round-heading"
    );

    // Applied: the file is no longer waiting, and the next step is the first round.
    let (_, html) = page(&t, "/admin").await;
    assert!(!html.contains("personal.csv"), "{html}");
    assert!(html.contains("2 Mitarbeitende sind angelegt"), "{html}");
    assert_eq!(
        link_to(&html, "Erste Runde anlegen"),
        "/admin/rounds#new-round-heading"
    );
    let (status, _) = page(&t, &review).await;
    assert_eq!(
        status,
        Status::NotFound,
        "an applied file cannot be reviewed"
    );

    // Once a round exists, the start page no longer pushes for one.
    let draft = company_draft(&t, "Januar");
    lifecycle::create(&t.app, &draft, Utc::now()).await.unwrap();
    let (_, html) = page(&t, "/admin").await;
    assert!(!html.contains("Erste Runde anlegen"), "{html}");
    assert!(html.contains("Januar"), "planned rounds are listed: {html}");
}

#[rocket::async_test]
async fn the_start_page_shows_the_running_round_its_mail_and_what_needs_hr() {
    let t = TestApp::spawn().await;
    as_hr(&t).await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 7).await;
    let now = Utc::now();
    let draft = company_draft(&t, "Dezember");
    let id = lifecycle::create(&t.app, &draft, now).await.unwrap().id;
    assert!(lifecycle::open(&t.app, id, now).await.unwrap());
    // The relay refused two invitations for good.
    let two: Vec<i32> = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::Id)
        .filter(outbox_mail::Column::RoundId.eq(id))
        .filter(outbox_mail::Column::Kind.eq(MailKind::Invitation))
        .limit(2)
        .into_tuple()
        .all(&t.app.db)
        .await
        .unwrap();
    outbox_mail::Entity::update_many()
        .col_expr(outbox_mail::Column::State, Expr::value(MailState::Failed))
        .filter(outbox_mail::Column::Id.is_in(two))
        .exec(&t.app.db)
        .await
        .unwrap();

    let (status, html) = page(&t, "/admin").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("href=\"/admin/rounds/"), "{html}");
    assert!(html.contains("0 / 14 (0\u{a0}%)"), "participation: {html}");
    assert!(html.contains("0 von 14 versendet"), "mail progress: {html}");
    assert!(
        html.contains("„Dezember“: 2 Einladungen konnten nicht zugestellt werden."),
        "{html}"
    );
    assert!(html.contains(&format!("/admin/rounds/{id}#mail-heading")));
    // The next reminder, as the German reader writes a moment in the company's zone.
    let first: chrono::DateTime<Utc> = round_reminder::Entity::find()
        .select_only()
        .column(round_reminder::Column::RemindAt)
        .filter(round_reminder::Column::RoundId.eq(id))
        .filter(round_reminder::Column::RemindAt.gt(Utc::now()))
        .order_by_asc(round_reminder::Column::RemindAt)
        .into_tuple()
        .one(&t.app.db)
        .await
        .unwrap()
        .expect("a reminder to come");
    let tz = t.app.settings.timezone;
    assert!(
        html.contains(&i18n::moment(first, tz, Locale::De)),
        "next reminder {first}: {html}"
    );
    assert!(
        html.contains(&i18n::moment(
            lifecycle_close_time(&t, id).await,
            tz,
            Locale::De
        )),
        "closing time: {html}"
    );
    assert!(!html.contains("Der nächste Schritt"), "nothing is missing");
}

async fn lifecycle_close_time(t: &TestApp, id: i32) -> chrono::DateTime<Utc> {
    kundenpuls::entities::round::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .closes_at
}

#[rocket::async_test]
async fn a_closed_round_leads_to_its_results_and_their_csv() {
    let t = TestApp::spawn().await;
    as_hr(&t).await;
    seed_org(&t.app.db, &["Vertrieb"], 7).await;
    let now = Utc::now();
    let id = lifecycle::create(&t.app, &company_draft(&t, "November"), now)
        .await
        .unwrap()
        .id;
    assert!(lifecycle::open(&t.app, id, now).await.unwrap());
    assert!(
        lifecycle::close(&t.app, id, now + Duration::minutes(1))
            .await
            .unwrap()
    );

    let (_, html) = page(&t, &format!("/admin/rounds/{id}")).await;
    assert_eq!(
        link_to(&html, "Ergebnisse ansehen"),
        format!("/dashboard/rounds/{id}")
    );
    let excel = link_to(&html, "Ergebnisse für Excel (CSV)");
    assert_eq!(
        excel,
        format!("/dashboard/rounds/{id}/results.csv?excel=true")
    );
    let csv = t.client.get(excel).dispatch().await;
    assert_eq!(csv.status(), Status::Ok);
    assert!(
        csv.content_type()
            .is_some_and(|c| c.media_type().sub() == "csv"),
        "{:?}",
        csv.content_type()
    );

    // The results pages link their CSV too.
    let (_, html) = page(&t, &format!("/dashboard/rounds/{id}")).await;
    assert_eq!(
        link_to(&html, "Ergebnisse als CSV"),
        format!("/dashboard/rounds/{id}/results.csv")
    );
    let (_, html) = page(&t, "/admin").await;
    assert!(html.contains("„November“ ist seit"), "{html}");
}

#[rocket::async_test]
async fn the_question_catalog_has_its_own_page_with_readable_names() {
    let t = TestApp::spawn().await;
    as_hr(&t).await;
    let (status, html) = page(&t, "/admin/questions").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("aria-current=\"page\">Fragen</a>"), "{html}");
    // The question as people read it, its key in small print below.
    let text =
        "Bei uns richten sich Ziele und Entscheidungen spürbar am Nutzen für unsere Kunden aus.";
    let row = html
        .split("<tr>")
        .find(|row| row.contains(text))
        .unwrap_or_else(|| panic!("the question in German: {html}"));
    assert!(
        row.contains(
            "<small class=\"hint\">Schlüssel: <code>cf_goals_customer_value</code></small>"
        ),
        "{row}"
    );
    assert!(row.find(text) < row.find("cf_goals_customer_value"));
}
