//! The HR admin pages as HR uses them: departments, employees, rounds and a round's page, with
//! their forms (CSRF, refused input coming back, state changes).
//!
//! With `KUNDENPULS_HTML_DIR` set, the pages are also written there, to run the Nu HTML checker
//! over them.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use kundenpuls::entities::{department, employee, invitation, response, round};
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::helpers::{PASSWORD, TestApp, csrf_in, form, location, seed_org};

const HR: &str = "hr@example.de";
const LEADERSHIP: &str = "chefin@example.de";

/// A wall-clock time in the company zone (the default, Europe/Berlin) as the form sends it.
fn local(offset: Duration) -> String {
    (Utc::now() + offset)
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn dump(name: &str, html: &str) {
    if let Ok(dir) = std::env::var("KUNDENPULS_HTML_DIR") {
        std::fs::create_dir_all(&dir).expect("HTML directory");
        std::fs::write(format!("{dir}/{name}.html"), html).expect("HTML file");
    }
}

async fn as_hr(t: &TestApp) {
    t.add_staff(HR, Role::Admin).await;
    let login = t.login(HR, PASSWORD).await;
    assert_eq!(login.status(), Status::SeeOther);
}

/// A page's HTML with the entities minijinja writes for `/` and `'` turned back, so that
/// assertions read like the page does (and the HTML stays valid, for the checker).
async fn get_page(t: &TestApp, path: &str) -> (Status, String) {
    let response = t.client.get(path).dispatch().await;
    let status = response.status();
    let html = response.into_string().await.unwrap_or_default();
    (status, decoded(&html))
}

fn decoded(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&#x27;", "'")
}

async fn post<'a>(t: &'a TestApp, path: &str, fields: &[(&str, &str)]) -> LocalResponse<'a> {
    t.client
        .post(path.to_owned())
        .header(ContentType::Form)
        .body(form(fields))
        .dispatch()
        .await
}

/// The CSRF token of the page HR is looking at.
async fn csrf(t: &TestApp) -> String {
    let (status, html) = get_page(t, "/admin/rounds").await;
    assert_eq!(status, Status::Ok);
    csrf_in(&html)
}

/// Posts the new-round form; `opens`/`closes` are offsets from now, `extra` adds or replaces
/// fields.
async fn create_round<'a>(
    t: &'a TestApp,
    title: &str,
    opens: Duration,
    closes: Duration,
    extra: &[(&str, &str)],
) -> LocalResponse<'a> {
    let token = csrf(t).await;
    let (opens, closes) = (local(opens), local(closes));
    let mut fields = vec![
        ("csrf", token.as_str()),
        ("title", title),
        ("opens_at", opens.as_str()),
        ("closes_at", closes.as_str()),
        ("selection", "auto"),
        ("pulse_size", "8"),
    ];
    // A field given in `extra` replaces the default one: a form sends each field once.
    fields.retain(|(name, _)| !extra.iter().any(|(other, _)| other == name));
    fields.extend_from_slice(extra);
    post(t, "/admin/rounds", &fields).await
}

fn round_id_of(location: &str) -> i32 {
    location
        .strip_prefix("/admin/rounds/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a round page: {location}"))
}

async fn add_employees(t: &TestApp, department_id: i32, prefix: &str, count: usize) {
    let now = Utc::now();
    for n in 0..count {
        employee::ActiveModel {
            email: Set(format!("{prefix}.{n}@example.de")),
            name: Set(format!("{prefix} {n}")),
            department_id: Set(department_id),
            locale: Set("de".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&t.app.db)
        .await
        .unwrap();
    }
}

/// `count` employees of `department_id` answer the round: what the survey form will record.
async fn answer(t: &TestApp, round_id: i32, department_id: i32, count: u64) {
    let ids: Vec<String> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .filter(invitation::Column::RoundId.eq(round_id))
        .filter(invitation::Column::DepartmentId.eq(department_id))
        .limit(count)
        .into_tuple()
        .all(&t.app.db)
        .await
        .unwrap();
    assert_eq!(ids.len() as u64, count);
    for id in ids {
        invitation::ActiveModel {
            id: Set(id),
            answered: Set(true),
            ..Default::default()
        }
        .update(&t.app.db)
        .await
        .unwrap();
        response::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            round_id: Set(round_id),
            department_id: Set(department_id),
            pending: Set(false),
        }
        .insert(&t.app.db)
        .await
        .unwrap();
    }
}

/// The text of the table row whose header starts with `header`, tags removed.
fn row(html: &str, header: &str) -> Option<String> {
    let start = html.find(&format!("<th scope=\"row\">{header}"))?;
    let end = html[start..].find("</tr>")? + start;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[rocket::async_test]
async fn every_admin_page_is_for_hr_only() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Vertrieb / Innendienst"], 3).await;
    let view = kundenpuls::lifecycle::create(
        &t.app,
        &kundenpuls::survey::round::RoundDraft {
            title: "Puls Juni".into(),
            opens_at: local(Duration::days(2)).replace('T', " "),
            closes_at: local(Duration::days(9)).replace('T', " "),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let pages = [
        "/admin/departments".to_owned(),
        "/admin/employees".to_owned(),
        "/admin/rounds".to_owned(),
        format!("/admin/rounds/{}", view.id),
    ];

    for page in &pages {
        let response = t.client.get(page.as_str()).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{page}");
        assert!(
            location(&response).starts_with("/login?next=%2Fadmin"),
            "{page}"
        );
    }

    t.add_staff(LEADERSHIP, Role::Viewer).await;
    assert_eq!(
        t.login(LEADERSHIP, PASSWORD).await.status(),
        Status::SeeOther
    );
    for page in &pages {
        let (status, _) = get_page(&t, page).await;
        assert_eq!(status, Status::Forbidden, "{page}");
    }
    let (_, dashboard) = get_page(&t, "/dashboard").await;
    assert!(
        !dashboard.contains("href=\"/admin/rounds\""),
        "no admin links for viewers"
    );
    let token = csrf_in(&dashboard);
    let refused = post(
        &t,
        &format!("/admin/rounds/{}/cancel", view.id),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(
        refused.status(),
        Status::Forbidden,
        "viewers change nothing"
    );

    as_hr(&t).await;
    for (page, heading) in pages.iter().zip([
        "<h1>Abteilungen</h1>",
        "<h1>Mitarbeitende</h1>",
        "<h1>Befragungsrunden</h1>",
        "<h1>Puls Juni</h1>",
    ]) {
        let (status, html) = get_page(&t, page).await;
        assert_eq!(status, Status::Ok, "{page}");
        assert!(html.contains(heading), "{page}: {html}");
        assert!(html.contains("<html lang=\"de\">"));
        for link in ["/admin/departments", "/admin/employees", "/admin/rounds"] {
            assert!(
                html.contains(&format!("href=\"{link}\"")),
                "nav link {link}"
            );
        }
        assert!(
            !html.contains(" style="),
            "{page}: the CSP forbids inline styles"
        );
        assert!(!html.contains("<script"), "{page}: no scripts needed");
    }
    let (_, rounds) = get_page(&t, "/admin/rounds").await;
    assert!(rounds.contains("aria-current=\"page\">Runden</a>"));
}

#[rocket::async_test]
async fn hr_creates_a_round_through_the_form_and_finds_it_in_the_list() {
    let t = TestApp::spawn().await;
    seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        3,
    )
    .await;
    as_hr(&t).await;

    let (_, blank) = get_page(&t, "/admin/rounds").await;
    dump("rounds", &blank);
    assert!(
        blank.contains("Europe/Berlin"),
        "the form names the time zone"
    );
    assert!(blank.contains("type=\"datetime-local\""));
    assert!(blank.contains("value=\"8\""), "pulse size 8 by default");
    assert!(
        blank.contains("Kundenfokus") && blank.contains("value=\"recommend\""),
        "questions grouped by pillar, in German"
    );
    assert!(blank.contains("value=\"Vertrieb / Innendienst\""));

    let created = create_round(
        &t,
        "Puls Vertrieb",
        Duration::days(1),
        Duration::days(8),
        &[("departments", "Vertrieb")],
    )
    .await;
    assert_eq!(created.status(), Status::SeeOther);
    let id = round_id_of(location(&created));

    let (status, page) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    assert_eq!(status, Status::Ok);
    dump("round_scheduled", &page);
    assert!(page.contains("Die Runde wurde angelegt."), "{page}");
    assert!(page.contains("geplant"));
    assert!(page.contains("<li>Vertrieb</li>"), "the target is listed");
    assert!(
        page.contains("\u{a0}Uhr</time>"),
        "times as German writes them: {page}"
    );
    assert!(
        page.contains("Runde bearbeiten"),
        "a scheduled round can be edited"
    );
    assert!(page.contains("Runde abbrechen"));
    assert!(
        !page.contains("Jetzt beenden"),
        "nothing to close before it opens"
    );

    let (_, list) = get_page(&t, "/admin/rounds").await;
    let line = row(&list, &format!("<a href=\"/admin/rounds/{id}\">")).expect("listed");
    assert!(line.contains("Puls Vertrieb geplant"), "{line}");
    assert!(line.ends_with("0 / 0"), "{line}");

    // Explicitly chosen questions are asked as chosen.
    let chosen = create_round(
        &t,
        "Nur zwei Fragen",
        Duration::days(1),
        Duration::days(8),
        &[
            ("selection", "choose"),
            ("questions", "recommend"),
            ("questions", "cf_goals_customer_value"),
        ],
    )
    .await;
    assert_eq!(chosen.status(), Status::SeeOther);
    let chosen_id = round_id_of(location(&chosen));
    let view = kundenpuls::survey::round::get(&t.app.db, &t.app.settings, chosen_id)
        .await
        .unwrap();
    assert_eq!(view.questions, vec!["cf_goals_customer_value", "recommend"]);
    assert!(
        view.departments.is_empty(),
        "no department ticked: everyone"
    );
}

#[rocket::async_test]
async fn a_refused_round_form_comes_back_with_the_reason_and_what_hr_typed() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 3).await;
    as_hr(&t).await;

    let refused = create_round(
        &t,
        "Puls <Herbst>",
        Duration::days(8),
        Duration::days(1),
        &[("departments", "Technik")],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    dump("rounds_refused", &html);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("bevor sie beginnt"),
        "the domain's reason, in German: {html}"
    );
    assert!(
        html.contains("value=\"Puls &lt;Herbst&gt;\""),
        "the title is kept"
    );
    assert!(html.contains(&format!("value=\"{}\"", local(Duration::days(8)))));
    assert!(
        html.contains("value=\"Technik\" checked"),
        "the ticked department stays ticked"
    );
    assert_eq!(round::Entity::find().count(&t.app.db).await.unwrap(), 0);

    let none_chosen = create_round(
        &t,
        "Ohne Fragen",
        Duration::days(1),
        Duration::days(8),
        &[("selection", "choose")],
    )
    .await;
    assert_eq!(none_chosen.status(), Status::UnprocessableEntity);
    let html = none_chosen.into_string().await.unwrap();
    assert!(html.contains("keine angekreuzt"), "{html}");

    let too_small = create_round(
        &t,
        "Mini",
        Duration::days(1),
        Duration::days(8),
        &[("pulse_size", "2")],
    )
    .await;
    assert_eq!(too_small.status(), Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn the_round_forms_without_csrf_are_refused() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    as_hr(&t).await;
    let (opens, closes) = (local(Duration::days(1)), local(Duration::days(8)));
    let fields = [
        ("title", "Ohne Token"),
        ("opens_at", opens.as_str()),
        ("closes_at", closes.as_str()),
    ];
    let refused = post(&t, "/admin/rounds", &fields).await;
    assert_eq!(refused.status(), Status::Forbidden);
    let mut forged = fields.to_vec();
    forged.push(("csrf", "forged"));
    assert_eq!(
        post(&t, "/admin/rounds", &forged).await.status(),
        Status::Forbidden
    );
    assert_eq!(round::Entity::find().count(&t.app.db).await.unwrap(), 0);

    let created = create_round(&t, "Echt", Duration::days(1), Duration::days(8), &[]).await;
    let id = round_id_of(location(&created));
    for action in ["cancel", "edit"] {
        let response = post(&t, &format!("/admin/rounds/{id}/{action}"), &fields).await;
        assert_eq!(response.status(), Status::Forbidden, "{action}");
    }
    let view = kundenpuls::survey::round::get(&t.app.db, &t.app.settings, id)
        .await
        .unwrap();
    assert_eq!(view.title, "Echt");
    assert_eq!(view.state, kundenpuls::vocab::RoundState::Scheduled);
}

#[rocket::async_test]
async fn participation_shows_only_units_at_or_above_the_threshold() {
    let t = TestApp::spawn().await;
    let ids = seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        2,
    )
    .await;
    // Vertrieb 6 + Innendienst 2 (folded into Vertrieb), Technik 7; threshold 5.
    add_employees(&t, ids["Vertrieb"], "vertrieb-neu", 4).await;
    add_employees(&t, ids["Technik"], "technik-neu", 5).await;
    as_hr(&t).await;

    let created = create_round(
        &t,
        "Puls sofort",
        Duration::hours(-1),
        Duration::days(7),
        &[],
    )
    .await;
    assert_eq!(created.status(), Status::SeeOther);
    let id = round_id_of(location(&created));
    answer(&t, id, ids["Technik"], 3).await;
    answer(&t, id, ids["Vertrieb / Innendienst"], 1).await;

    let (status, html) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    assert_eq!(status, Status::Ok);
    dump("round_open", &html);
    assert!(
        html.contains("offen"),
        "an opening time in the past opens at once"
    );
    assert!(html.contains("<strong>4 / 15</strong>"), "{html}");
    assert_eq!(
        row(&html, "Technik").as_deref(),
        Some("Technik 3 7 43 %"),
        "{html}"
    );
    assert_eq!(
        row(&html, "Vertrieb").as_deref(),
        Some("Vertrieb inkl. kleinerer Einheiten 1 8 13 %")
    );
    assert!(
        !html.contains("Vertrieb / Innendienst"),
        "a unit of 2 never shows on its own"
    );
    assert!(
        html.contains("weniger als 5 Eingeladenen"),
        "the threshold is explained"
    );
    assert!(html.contains("Jetzt beenden"));
    assert!(
        !html.contains("Runde bearbeiten"),
        "an open round is not edited"
    );

    let (_, list) = get_page(&t, "/admin/rounds").await;
    let line = row(&list, &format!("<a href=\"/admin/rounds/{id}\">")).unwrap();
    assert!(line.ends_with("4 / 15"), "{line}");
}

#[rocket::async_test]
async fn hr_closes_an_open_round_now() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 5).await;
    as_hr(&t).await;
    let created = create_round(&t, "Puls", Duration::hours(-1), Duration::days(7), &[]).await;
    let id = round_id_of(location(&created));

    let token = csrf(&t).await;
    let closed = post(
        &t,
        &format!("/admin/rounds/{id}/close"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(closed.status(), Status::SeeOther);
    assert_eq!(location(&closed), format!("/admin/rounds/{id}"));
    let (_, html) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    dump("round_closed", &html);
    assert!(html.contains("Die Runde wurde beendet."), "{html}");
    assert!(html.contains("abgeschlossen"));
    assert!(!html.contains("Jetzt beenden") && !html.contains("Runde abbrechen"));

    let again = post(
        &t,
        &format!("/admin/rounds/{id}/close"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(
        again.status(),
        Status::SeeOther,
        "a second click does no harm"
    );
    let (_, html) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    assert!(html.contains("nicht mehr offen"));
}

#[rocket::async_test]
async fn cancelling_an_open_round_asks_to_confirm_the_responses_it_deletes() {
    let t = TestApp::spawn().await;
    let ids = seed_org(&t.app.db, &["Vertrieb"], 5).await;
    as_hr(&t).await;

    // A scheduled round without responses is cancelled at once.
    let planned = create_round(&t, "Geplant", Duration::days(1), Duration::days(7), &[]).await;
    let planned = round_id_of(location(&planned));
    let token = csrf(&t).await;
    let cancelled = post(
        &t,
        &format!("/admin/rounds/{planned}/cancel"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(cancelled.status(), Status::SeeOther);
    let (_, html) = get_page(&t, &format!("/admin/rounds/{planned}")).await;
    assert!(html.contains("abgebrochen"), "{html}");

    let open = create_round(&t, "Offen", Duration::hours(-1), Duration::days(7), &[]).await;
    let open = round_id_of(location(&open));
    answer(&t, open, ids["Vertrieb"], 2).await;
    let path = format!("/admin/rounds/{open}/cancel");

    let ask = post(&t, &path, &[("csrf", &token)]).await;
    assert_eq!(ask.status(), Status::Ok);
    let html = ask.into_string().await.unwrap();
    dump("round_cancel_confirm", &html);
    assert!(html.contains("Dies löscht 2 Antworten"), "{html}");
    assert!(html.contains("name=\"confirm_responses\" value=\"2\""));

    let wrong = post(&t, &path, &[("csrf", &token), ("confirm_responses", "1")]).await;
    assert_eq!(wrong.status(), Status::Ok, "a stale number asks again");
    let still_open = kundenpuls::survey::round::get(&t.app.db, &t.app.settings, open)
        .await
        .unwrap();
    assert_eq!(still_open.state, kundenpuls::vocab::RoundState::Open);

    let confirmed = post(&t, &path, &[("csrf", &token), ("confirm_responses", "2")]).await;
    assert_eq!(confirmed.status(), Status::SeeOther);
    assert_eq!(location(&confirmed), format!("/admin/rounds/{open}"));
    let (_, html) = get_page(&t, &format!("/admin/rounds/{open}")).await;
    assert!(html.contains("2 Antworten wurden gelöscht"), "{html}");
    assert_eq!(
        response::Entity::find()
            .filter(response::Column::RoundId.eq(open))
            .count(&t.app.db)
            .await
            .unwrap(),
        0
    );

    let closed_again = post(&t, &path, &[("csrf", &token)]).await;
    assert_eq!(
        closed_again.status(),
        Status::Conflict,
        "a cancelled round stays so"
    );
}

#[rocket::async_test]
async fn hr_edits_a_scheduled_round_through_its_prefilled_form() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 3).await;
    as_hr(&t).await;
    let created = create_round(
        &t,
        "Entwurf",
        Duration::days(1),
        Duration::days(8),
        &[("departments", "Technik")],
    )
    .await;
    let id = round_id_of(location(&created));
    let (_, html) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    assert!(html.contains("value=\"Entwurf\""), "prefilled title");
    assert!(
        html.contains("value=\"Technik\" checked"),
        "prefilled target"
    );
    assert!(
        html.contains("value=\"recommend\" checked"),
        "prefilled questions"
    );

    let token = csrf_in(&html);
    let (opens, closes) = (local(Duration::days(2)), local(Duration::days(9)));
    let edit = format!("/admin/rounds/{id}/edit");
    let saved = post(
        &t,
        &edit,
        &[
            ("csrf", &token),
            ("title", "Puls Technik"),
            ("opens_at", &opens),
            ("closes_at", &closes),
            ("departments", "Technik"),
            ("departments", "Vertrieb"),
            ("selection", "auto"),
            ("pulse_size", "10"),
        ],
    )
    .await;
    assert_eq!(saved.status(), Status::SeeOther);
    let (_, html) = get_page(&t, &format!("/admin/rounds/{id}")).await;
    assert!(html.contains("<h1>Puls Technik</h1>"));
    assert!(html.contains("Die Änderungen wurden gespeichert."));
    assert!(
        html.contains("Fragen (11)"),
        "10 scored items and the comment: {html}"
    );

    let refused = post(
        &t,
        &edit,
        &[
            ("csrf", &token),
            ("title", "Geändert"),
            ("opens_at", &closes),
            ("closes_at", &opens),
        ],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    dump("round_edit_refused", &html);
    assert!(html.contains("bevor sie beginnt"));
    assert!(html.contains("value=\"Geändert\""));
    assert!(
        html.contains("<h1>Puls Technik</h1>"),
        "the stored round is unchanged"
    );
}

#[rocket::async_test]
async fn employee_search_finds_people_by_name_or_email_within_a_department() {
    let t = TestApp::spawn().await;
    let ids = seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        3,
    )
    .await;
    let leaver = employee::Entity::find()
        .filter(employee::Column::Email.eq("technik.1@example.de"))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut leaver: employee::ActiveModel = leaver.into();
    leaver.active = Set(false);
    leaver.update(&t.app.db).await.unwrap();
    as_hr(&t).await;

    let emails = |html: &str| -> Vec<String> {
        let mut found: Vec<String> = html
            .split("<td>")
            .skip(1)
            .filter_map(|cell| cell.split_once("</td>").map(|(text, _)| text.to_owned()))
            .filter(|text| text.ends_with("@example.de"))
            .collect();
        found.sort();
        found
    };

    let (status, html) = get_page(&t, "/admin/employees?q=VERTRIEB.").await;
    assert_eq!(status, Status::Ok);
    dump("employees", &html);
    assert_eq!(
        emails(&html),
        vec![
            "vertrieb.0@example.de",
            "vertrieb.1@example.de",
            "vertrieb.2@example.de"
        ],
        "case-insensitive, in the e-mail"
    );
    assert!(
        html.contains("<td>Vertrieb</td>"),
        "the department path is shown"
    );

    let (_, html) = get_page(&t, "/admin/employees?q=dienst%202").await;
    assert_eq!(emails(&html), vec!["innendienst.2@example.de"], "by name");
    assert!(html.contains("<td>Vertrieb / Innendienst</td>"));

    let vertrieb = ids["Vertrieb"];
    let (_, html) = get_page(&t, &format!("/admin/employees?department={vertrieb}")).await;
    let found = emails(&html);
    assert_eq!(
        found.len(),
        6,
        "Vertrieb and the department below it: {found:?}"
    );
    assert!(found.iter().all(|e| !e.starts_with("technik")));
    assert!(html.contains(&format!("<option value=\"{vertrieb}\" selected>")));

    let technik = ids["Technik"];
    let (_, html) = get_page(&t, &format!("/admin/employees?department={technik}")).await;
    assert_eq!(emails(&html).len(), 2, "active only by default");
    let (_, html) = get_page(
        &t,
        &format!("/admin/employees?department={technik}&status=inactive"),
    )
    .await;
    assert_eq!(emails(&html), vec!["technik.1@example.de"]);
    assert!(html.contains("inaktiv"));
    let (_, html) = get_page(
        &t,
        &format!("/admin/employees?department={technik}&status=all"),
    )
    .await;
    assert_eq!(emails(&html).len(), 3);

    let (_, html) = get_page(&t, "/admin/employees?q=%25").await;
    assert!(html.contains("Niemand passt"), "% is not a wildcard");
}

#[rocket::async_test]
async fn employee_pages_hold_fifty_and_their_links_keep_the_filters() {
    let t = TestApp::spawn().await;
    let ids = seed_org(&t.app.db, &["Vertrieb", "Technik"], 2).await;
    add_employees(&t, ids["Technik"], "technik-team", 58).await;
    as_hr(&t).await;
    let technik = ids["Technik"];

    let (_, first) = get_page(
        &t,
        &format!("/admin/employees?q=technik&department={technik}"),
    )
    .await;
    dump("employees_paged", &first);
    assert_eq!(first.matches("@example.de</td>").count(), 50);
    assert!(first.contains("1–50 von 60"), "{first}");
    assert!(first.contains("Seite 1 von 2"));
    let next = format!(
        "href=\"/admin/employees?q=technik&amp;department={technik}&amp;status=active&amp;page=2\""
    );
    assert!(first.contains(&next), "{first}");

    let (_, second) = get_page(
        &t,
        &format!("/admin/employees?q=technik&department={technik}&status=active&page=2"),
    )
    .await;
    assert_eq!(second.matches("@example.de</td>").count(), 10);
    assert!(second.contains("rel=\"prev\""));
    assert!(!second.contains("rel=\"next\""));

    let (status, past_the_end) = get_page(&t, "/admin/employees?page=99&status=bogus").await;
    assert_eq!(status, Status::Ok, "unreadable parameters fall back");
    assert!(past_the_end.contains("Seite 2 von 2"));
}

#[rocket::async_test]
async fn the_department_page_counts_active_employees_directly_and_below() {
    let t = TestApp::spawn().await;
    let ids = seed_org(
        &t.app.db,
        &[
            "Vertrieb",
            "Vertrieb / Innendienst",
            "Vertrieb / Innendienst / Hotline",
            "Technik",
            "Alt",
        ],
        2,
    )
    .await;
    let leaver = employee::Entity::find()
        .filter(employee::Column::Email.eq("hotline.0@example.de"))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut leaver: employee::ActiveModel = leaver.into();
    leaver.active = Set(false);
    leaver.update(&t.app.db).await.unwrap();
    let mut alt: department::ActiveModel = department::Entity::find_by_id(ids["Alt"])
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    alt.retired_at = Set(Some(Utc::now()));
    alt.update(&t.app.db).await.unwrap();
    as_hr(&t).await;

    let (status, html) = get_page(&t, "/admin/departments").await;
    assert_eq!(status, Status::Ok);
    dump("departments", &html);
    let rows: HashMap<&str, String> = [
        "Vertrieb",
        "Vertrieb / Innendienst",
        "Vertrieb / Innendienst / Hotline",
        "Technik",
        "Alt",
    ]
    .into_iter()
    .map(|path| {
        let marker = format!("<span class=\"sr-only\">{path}</span>");
        let start = html
            .find(&marker)
            .unwrap_or_else(|| panic!("{path}: {html}"));
        let end = html[start..].find("</tr>").unwrap() + start;
        let cells: Vec<&str> = html[start..end]
            .split("<td class=\"num\">")
            .skip(1)
            .map(|cell| cell.split('<').next().unwrap())
            .collect();
        (path, cells.join(" "))
    })
    .collect();
    assert_eq!(rows["Vertrieb"], "2 5");
    assert_eq!(rows["Vertrieb / Innendienst"], "2 3");
    assert_eq!(rows["Vertrieb / Innendienst / Hotline"], "1 1");
    assert_eq!(rows["Technik"], "2 2");
    let alt_row = &html[html.find("<span class=\"sr-only\">Alt</span>").unwrap()..];
    assert!(
        alt_row[..alt_row.find("</tr>").unwrap()].contains("aufgelöst"),
        "retired departments are marked"
    );
    assert!(
        html.find("sr-only\">Vertrieb / Innendienst / Hotline<")
            .unwrap()
            > html.find("sr-only\">Vertrieb / Innendienst<").unwrap()
    );
    assert!(
        html.contains("class=\"lvl-2\""),
        "the tree is indented by level"
    );
}
