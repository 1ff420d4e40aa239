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

#[rocket::async_test]
async fn hr_creates_a_schedule_sees_its_next_dates_and_ends_it() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    admin(&t).await;
    let page = t.client.get("/admin/schedules").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let csrf = csrf_in(&page.into_string().await.unwrap());

    let refused = t
        .client
        .post("/admin/schedules")
        .header(ContentType::Form)
        .body(form(&[
            ("csrf", &csrf),
            ("title", "Zu lang"),
            ("kind", "weekly"),
            ("every_weeks", "1"),
            ("weekday", "mon"),
            ("time", "09:00"),
            ("start", "2030-01-07"),
            ("duration", "8d"),
        ]))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(
        html.contains("überschneiden") && html.contains("value=\"Zu lang\""),
        "{html}"
    );

    let created = t
        .client
        .post("/admin/schedules")
        .header(ContentType::Form)
        .body(form(&[
            ("csrf", &csrf),
            ("title", "Monatspuls"),
            ("kind", "monthly"),
            ("ordinal", "first"),
            ("weekday", "mon"),
            ("time", "09:00"),
            ("duration", "14d"),
            ("departments", "Vertrieb"),
        ]))
        .dispatch()
        .await;
    assert_eq!(created.status(), Status::SeeOther);
    assert_eq!(location(&created), "/admin/schedules");
    let html = t
        .client
        .get("/admin/schedules")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        html.contains("Monatspuls") && html.contains("monatlich am ersten Montag um 09:00"),
        "{html}"
    );
    assert_eq!(
        html.matches(" 09:00 CE").count(),
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
    let html = t
        .client
        .get("/admin/schedules")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(!html.contains("Monatspuls"));
}
