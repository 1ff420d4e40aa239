//! HR's import and schedule pages, as HR clicks through them.

use kundenpuls::entities::{employee, schedule};
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Status};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{PASSWORD, TestApp, csrf_in, form, location, seed_org};

const BOUNDARY: &str = "kundenpulsBoundary7MA4YWxk";

fn multipart(csrf: &str, file: &str, deactivate_missing: bool) -> String {
    let mut body = String::new();
    let mut field = |name: &str, value: &str| {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    };
    field("csrf", csrf);
    if deactivate_missing {
        field("deactivate_missing", "true");
    }
    field("renames", "");
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mitarbeitende.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    ));
    body
}

fn multipart_type() -> ContentType {
    ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY))
}

async fn admin(t: &TestApp) {
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn hr_uploads_a_file_sees_the_preview_and_confirms_it() {
    let t = TestApp::spawn().await;
    admin(&t).await;
    let page = t.client.get("/admin/import").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let csrf = csrf_in(&page.into_string().await.unwrap());

    let file = "email;name;department\njörg@example.de;Jörg Weiß;Vertrieb / Innendienst\nmia@example.de;Mia Groß;Technik\n";
    let preview = t
        .client
        .post("/admin/import")
        .header(multipart_type())
        .body(multipart(&csrf, file, false))
        .dispatch()
        .await;
    assert_eq!(preview.status(), Status::Ok);
    let html = preview.into_string().await.unwrap();
    assert!(html.contains("Vorschau"), "{html}");
    // minijinja escapes the slash in HTML.
    assert!(
        html.contains("<li>Vertrieb &#x2f; Innendienst</li>"),
        "new departments are listed: {html}"
    );
    assert_eq!(
        employee::Entity::find().count(&t.app.db).await.unwrap(),
        0,
        "a preview writes nothing"
    );

    let action_start = html.find("/admin/import/").expect("a confirm form");
    let action: String = html[action_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let applied = t
        .client
        .post(action.clone())
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf)]))
        .dispatch()
        .await;
    assert_eq!(applied.status(), Status::Ok);
    assert!(applied.into_string().await.unwrap().contains("Importiert"));
    assert_eq!(employee::Entity::find().count(&t.app.db).await.unwrap(), 2);

    let twice = t
        .client
        .post(action)
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf)]))
        .dispatch()
        .await;
    assert_eq!(
        twice.status(),
        Status::NotFound,
        "a confirmed preview is used up"
    );
}

#[rocket::async_test]
async fn a_broken_upload_lists_every_bad_line_and_offers_no_confirmation() {
    let t = TestApp::spawn().await;
    admin(&t).await;
    let csrf = csrf_in(
        &t.client
            .get("/admin/import")
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap(),
    );
    let file = "E-Mail;Name;Abteilung\njuergen.mueller@beispiel;Jürgen Müller;Technik\nok@example.de;;Technik\n";
    let response = t
        .client
        .post("/admin/import")
        .header(multipart_type())
        .body(multipart(&csrf, file, false))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("<td class=\"num\">2</td>") && html.contains("<td class=\"num\">3</td>"),
        "{html}"
    );
    assert!(!html.contains("/apply"), "nothing to confirm");
    // The reasons in the page's language, naming the column and the person of each line.
    assert!(
        html.contains(
            "Spalte „E-Mail“ (Jürgen Müller): „juergen.mueller@beispiel“ ist keine \
             E-Mail-Adresse."
        ),
        "{html}"
    );
    assert!(
        html.contains("Spalte „Name“ (ok@example.de): Der Name fehlt."),
        "{html}"
    );
    assert!(html.contains("2 Probleme in 2 Zeilen"), "{html}");
}

#[rocket::async_test]
async fn an_upload_without_the_csrf_token_is_refused() {
    let t = TestApp::spawn().await;
    admin(&t).await;
    let response = t
        .client
        .post("/admin/import")
        .header(multipart_type())
        .body(multipart(
            "forged",
            "email,name,department\na@example.de,A,X\n",
            false,
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(employee::Entity::find().count(&t.app.db).await.unwrap(), 0);
}

async fn schedules_page(t: &TestApp) -> String {
    let page = t.client.get("/admin/schedules").dispatch().await;
    page.into_string().await.expect("the schedules page")
}

async fn post_schedule_form(
    t: &TestApp,
    body: String,
) -> rocket::local::asynchronous::LocalResponse<'_> {
    t.client
        .post("/admin/schedules")
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await
}

/// The schedule form as HR fills it in: one rhythm's fields, the duration as number and unit.
fn schedule_fields<'a>(csrf: &'a str, extra: &[(&'a str, &'a str)]) -> String {
    let mut fields = vec![
        ("csrf", csrf),
        ("title", "Puls alle zwei Wochen"),
        ("kind", "weekly"),
        ("every_weeks", "2"),
        ("weekday", "tue"),
        ("time", "10:30"),
        ("start", "2031-03-04"),
        ("duration_amount", "5"),
        ("duration_unit", "d"),
    ];
    for (name, value) in extra {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    form(&fields)
}

#[rocket::async_test]
async fn hr_previews_a_rhythm_before_saving_it() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    admin(&t).await;
    let page = t.client.get("/admin/schedules").dispatch().await;
    let html = page.into_string().await.unwrap();
    let csrf = csrf_in(&html);
    assert!(
        html.contains("name=\"duration_amount\" type=\"number\"")
            && html.contains("<option value=\"w\">Wochen</option>")
            && !html.contains("14d"),
        "the duration is a number and a unit: {html}"
    );
    assert!(
        html.contains("<summary>Anderer Rhythmus? Als Cron-Ausdruck angeben</summary>"),
        "cron waits behind a question: {html}"
    );

    // A preview without a title: the next three rounds, nothing saved, the values kept.
    let preview = post_schedule_form(
        &t,
        schedule_fields(&csrf, &[("title", ""), ("preview", "1")]),
    )
    .await;
    assert_eq!(preview.status(), Status::Ok);
    let html = preview.into_string().await.unwrap();
    for (opens, closes) in [
        ("04.03.2031, 10:30\u{a0}Uhr", "09.03.2031, 10:30\u{a0}Uhr"),
        ("18.03.2031, 10:30\u{a0}Uhr", "23.03.2031, 10:30\u{a0}Uhr"),
        ("01.04.2031, 10:30\u{a0}Uhr", "06.04.2031, 10:30\u{a0}Uhr"),
    ] {
        assert!(
            html.contains(&format!("<li>{opens} bis {closes}</li>")),
            "{opens}: {html}"
        );
    }
    assert!(html.contains("Noch nicht gespeichert"));
    assert!(html.contains("value=\"2\"") && html.contains("value=\"5\""));
    assert_eq!(schedule::Entity::find().count(&t.app.db).await.unwrap(), 0);

    // A rhythm whose rounds would overlap is refused by the preview as by saving.
    let overlapping = post_schedule_form(
        &t,
        schedule_fields(
            &csrf,
            &[
                ("duration_amount", "3"),
                ("duration_unit", "w"),
                ("preview", "1"),
            ],
        ),
    )
    .await;
    assert_eq!(overlapping.status(), Status::UnprocessableEntity);
    let html = overlapping.into_string().await.unwrap();
    assert!(html.contains("überschneiden"), "{html}");
    assert!(
        html.contains("04.03.2031, 10:30\u{a0}Uhr"),
        "German dates in the reason: {html}"
    );
    let bad_amount =
        post_schedule_form(&t, schedule_fields(&csrf, &[("duration_amount", "zwei")])).await;
    assert_eq!(bad_amount.status(), Status::UnprocessableEntity);
    assert!(
        bad_amount
            .into_string()
            .await
            .unwrap()
            .contains("„zwei“ ist keine Zahl.")
    );
    assert_eq!(schedule::Entity::find().count(&t.app.db).await.unwrap(), 0);

    // Saved as previewed.
    let created = post_schedule_form(&t, schedule_fields(&csrf, &[])).await;
    assert_eq!(created.status(), Status::SeeOther);
    let html = schedules_page(&t).await;
    assert!(html.contains("5 Tage offen"), "{html}");
    assert!(html.contains("04.03.2031, 10:30\u{a0}Uhr"), "{html}");
}

#[rocket::async_test]
async fn hr_creates_a_schedule_sees_its_next_dates_and_ends_it() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    admin(&t).await;
    let page = t.client.get("/admin/schedules").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let csrf = csrf_in(&page.into_string().await.unwrap());

    let refused = post_schedule_form(
        &t,
        form(&[
            ("csrf", &csrf),
            ("title", "Zu lang"),
            ("kind", "weekly"),
            ("every_weeks", "1"),
            ("weekday", "mon"),
            ("time", "09:00"),
            ("start", "2030-01-07"),
            ("duration_amount", "8"),
            ("duration_unit", "d"),
        ]),
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(
        html.contains("überschneiden") && html.contains("value=\"Zu lang\""),
        "{html}"
    );

    let created = post_schedule_form(
        &t,
        form(&[
            ("csrf", &csrf),
            ("title", "Monatspuls"),
            ("kind", "monthly"),
            ("ordinal", "first"),
            ("weekday", "mon"),
            ("time", "09:00"),
            ("duration_amount", "2"),
            ("duration_unit", "w"),
            ("departments", "Vertrieb"),
        ]),
    )
    .await;
    assert_eq!(created.status(), Status::SeeOther);
    assert_eq!(location(&created), "/admin/schedules");
    let html = schedules_page(&t).await;
    assert!(
        html.contains("Monatspuls")
            && html.contains("monatlich am ersten Montag um 09:00 · 2 Wochen offen"),
        "{html}"
    );
    assert_eq!(
        html.matches(", 09:00\u{a0}Uhr</time>").count(),
        3,
        "the next three dates: {html}"
    );

    let id = schedule::Entity::find()
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let ended = t
        .client
        .post(format!("/admin/schedules/{id}/end"))
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf)]))
        .dispatch()
        .await;
    assert_eq!(ended.status(), Status::SeeOther);
    let html = schedules_page(&t).await;
    assert!(!html.contains("Monatspuls"));
}
