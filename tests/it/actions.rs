//! Maßnahmen as a team lead, HR and a board member use them: started from a weak or falling
//! figure in a few clicks, kept within the department's limit, changed only within one's scope,
//! every change in the log with its author, and nothing lost when the input is wrong.

use chrono::{Duration, Utc};
use kundenpuls::action::Who;
use kundenpuls::action::rules::Subject;
use kundenpuls::action::store;
use kundenpuls::auth::staff;
use kundenpuls::entities::{action, action_event, question};
use kundenpuls::error::AppError;
use kundenpuls::i18n::Locale;
use kundenpuls::vocab::{ActionStatus, Pillar, Role};
use rocket::http::{ContentType, Status};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::action_fixture::{
    HR, SALES_LEAD, TECH_LEAD, add_scoped, admin_who, count_actions, limits, new_action, owner_id,
    sales_fell, today,
};
use crate::helpers::{PASSWORD, TestApp, csrf_in, form, location};
use crate::results_fixture::{closed_round, same};

/// The page with the entities minijinja writes for `/`, `'` and `&` turned back.
pub(crate) async fn page(t: &TestApp, path: &str) -> (Status, String) {
    let response = t.client.get(path.to_owned()).dispatch().await;
    let status = response.status();
    let html = response.into_string().await.unwrap_or_default();
    (
        status,
        html.replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
            .replace('\u{a0}', " "),
    )
}

async fn login(t: &TestApp, email: &str) {
    assert_eq!(t.login(email, PASSWORD).await.status(), Status::SeeOther);
}

fn leadership_item(questions: &[question::Model]) -> i32 {
    questions
        .iter()
        .find(|q| q.key == "ld_leadership_customer_centred")
        .unwrap()
        .id
}

/// The value of the form field `name` on `html` (an input's value or a textarea's text).
fn field(html: &str, name: &str) -> String {
    let input = format!("name=\"{name}\" value=\"");
    if let Some(start) = html.find(&input) {
        let start = start + input.len();
        return html[start..start + html[start..].find('"').unwrap()].to_owned();
    }
    let textarea = format!("name=\"{name}\"");
    let start = html
        .find(&textarea)
        .unwrap_or_else(|| panic!("no field {name}"));
    let start = start + html[start..].find('>').unwrap() + 1;
    html[start..start + html[start..].find("</textarea>").unwrap()].to_owned()
}

/// The selected option's value of the select `name`.
fn selected(html: &str, name: &str) -> String {
    let start = html.find(&format!("name=\"{name}\"")).unwrap();
    let select = &html[start..start + html[start..].find("</select>").unwrap()];
    let at = select.find(" selected").expect("an option is selected");
    let option = &select[..at];
    let value = option.rfind("value=\"").unwrap() + 7;
    option[value..value + option[value..].find('"').unwrap()].to_owned()
}

async fn post(t: &TestApp, path: &str, fields: &[(&str, &str)]) -> (Status, String, String) {
    let response = t
        .client
        .post(path.to_owned())
        .header(ContentType::Form)
        .body(form(fields))
        .dispatch()
        .await;
    let status = response.status();
    let to = location(&response).to_owned();
    let html = response.into_string().await.unwrap_or_default();
    (
        status,
        to,
        html.replace("&#x27;", "'").replace("&#x2f;", "/"),
    )
}

#[rocket::async_test]
async fn a_team_lead_starts_an_action_from_the_falling_figure_in_three_clicks() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    login(&t, SALES_LEAD).await;
    let questions = question::Entity::find().all(&t.app.db).await.unwrap();
    let item = leadership_item(&questions);

    // Click 1: on the department's page, beside the weak item.
    let (status, html) = page(&t, &format!("/dashboard/departments/{sales}")).await;
    assert_eq!(status, Status::Ok);
    let link = format!("/actions/new?department={sales}&round={october}&question={item}");
    assert!(
        html.contains(&link),
        "no action link beside the weak item: {html}"
    );
    let pillar_link = format!("/actions/new?department={sales}&round={october}&pillar=leadership");
    assert!(
        html.contains(&pillar_link),
        "no action link beside the fall"
    );
    assert!(html.contains("0 von höchstens 3 offenen Maßnahmen"));

    // Click 2: the form, prefilled with the finding as the page shows it.
    let (status, form_html) = page(&t, &link).await;
    assert_eq!(status, Status::Ok);
    let why = field(&form_html, "why");
    assert!(why.starts_with("Runde „Oktober“: „"), "{why}");
    assert!(why.contains("0 % günstig in Vertrieb"), "{why}");
    // A team lead sees their own area, not the company: nothing to compare with there.
    assert!(!why.contains("Unternehmen"), "{why}");
    let title = field(&form_html, "title");
    assert!(title.ends_with("– Vertrieb"), "{title}");
    assert_eq!(selected(&form_html, "subject"), format!("item:{item}"));
    let owner = selected(&form_html, "owner");
    assert_eq!(
        owner,
        owner_id(&t, SALES_LEAD).await.to_string(),
        "the lead owns it"
    );
    let due = field(&form_html, "due");
    assert_eq!(
        due,
        (today(&t) + Duration::days(56))
            .format("%Y-%m-%d")
            .to_string()
    );

    // Click 3: create it as proposed.
    let csrf = csrf_in(&form_html);
    let (status, to, _) = post(
        &t,
        "/actions",
        &[
            ("csrf", &csrf),
            ("department", &sales.to_string()),
            ("round", &october.to_string()),
            ("subject", &format!("item:{item}")),
            ("title", &title),
            ("why", &why),
            ("owner", &owner),
            ("due", &due),
            ("visible", "true"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert!(
        to.starts_with("/actions/") && to.ends_with("?done=created"),
        "{to}"
    );

    let (status, html) = page(&t, &to).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Die Maßnahme ist angelegt."));
    assert!(html.contains(&title));
    assert!(html.contains(">geplant<"));
    assert!(
        html.contains("angelegt</strong> · von vertrieb@example.de"),
        "{html}"
    );
    assert!(html.contains("Runde „Oktober“"));

    // It is on the department's page and in the lists, with its owner.
    let (_, html) = page(&t, &format!("/dashboard/departments/{sales}")).await;
    assert!(html.contains(&title) && html.contains("1 von höchstens 3 offenen Maßnahmen"));
    let (_, html) = page(&t, "/actions").await;
    assert!(html.contains(&title) && html.contains(SALES_LEAD));
    let text = crate::helpers::visible_text(&html);
    for english in ["Create action", "Owner", "planned", "Due", "Status"] {
        assert!(!text.contains(english), "{english:?} on a German page");
    }
}

#[rocket::async_test]
async fn english_readers_read_actions_in_english() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    add_scoped(&t, SALES_LEAD, None, Locale::En).await;
    login(&t, SALES_LEAD).await;
    let (status, html) = page(
        &t,
        &format!("/actions/new?department={sales}&round={october}&pillar=leadership"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let why = field(&html, "why");
    assert!(
        why.starts_with("Round “Oktober”: Leadership example in Vertrieb at 25.0 of 100."),
        "{why}"
    );
    assert!(
        why.contains("−50.0 points against “September” (significant)."),
        "{why}"
    );
    assert!(html.contains("Create action"));
    let text = crate::helpers::visible_text(&html);
    for german in ["Maßnahme", "Verantwortlich", "Fällig"] {
        assert!(!text.contains(german), "{german:?} on an English page");
    }
}

#[rocket::async_test]
async fn the_limit_of_open_actions_is_said_plainly_and_kept_under_races() {
    let t = TestApp::spawn_with(&[("actions_open_limit", 2.into())]).await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;

    // Five people press "create" at the same moment: two get in.
    let who = admin_who();
    let tries = (0..5).map(|_| {
        store::create(
            &t.app.db,
            limits(&t),
            &who,
            new_action(sales, october, hr, &t),
        )
    });
    let results = futures::future::join_all(tries).await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, 2, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(refused, AppError::Conflict(p) if p.key() == "problem_action_limit"),
            "{refused:?}"
        );
    }
    assert_eq!(count_actions(&t).await, 2);

    // Through the form: refused with the reason, the typed values kept, nothing written.
    login(&t, HR).await;
    let (_, form_html) = page(
        &t,
        &format!("/actions/new?department={sales}&round={october}&pillar=leadership"),
    )
    .await;
    assert!(form_html.contains("Diese Abteilung hat 2 offene Maßnahmen, die Höchstzahl."));
    let csrf = csrf_in(&form_html);
    let due = (today(&t) + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let fields = |title: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("department", sales.to_string()),
            ("round", october.to_string()),
            ("subject", "pillar:leadership".to_owned()),
            ("title", title.to_owned()),
            ("why", "warum".to_owned()),
            ("owner", hr.to_string()),
            ("due", due.clone()),
        ]
    };
    let third = fields("Dritte Maßnahme");
    let third: Vec<(&str, &str)> = third.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&t, "/actions", &third).await;
    assert_eq!(status, Status::Conflict);
    assert!(
        html.contains("Vertrieb hat schon 2 offene Maßnahmen, die Höchstzahl."),
        "{html}"
    );
    assert!(
        html.contains("value=\"Dritte Maßnahme\""),
        "typed title kept"
    );
    assert_eq!(count_actions(&t).await, 2);

    // Another department has its own limit.
    let mut elsewhere = new_action(ids["Technik"], october, hr, &t);
    elsewhere.title = "Technik".into();
    store::create(&t.app.db, limits(&t), &admin_who(), elsewhere)
        .await
        .expect("Technik has room");

    // Completing one makes room; reopening it then is refused.
    let first = action::Entity::find()
        .filter(action::Column::DepartmentId.eq(sales))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let (status, to, _) = post(
        &t,
        &format!("/actions/{}/status", first.id),
        &[
            ("csrf", &csrf),
            ("status", "done"),
            ("outcome", "Zwei Kundentage mit dem Team"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{to}");
    let (status, _, _) = post(&t, "/actions", &third).await;
    assert_eq!(status, Status::SeeOther);
    let (status, _, html) = post(
        &t,
        &format!("/actions/{}/status", first.id),
        &[("csrf", &csrf), ("status", "running")],
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("hat schon 2 offene Maßnahmen"));
}

#[rocket::async_test]
async fn a_viewer_acts_only_within_their_subtree() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let (sales, north, tech) = (ids["Vertrieb"], ids["Vertrieb / Nord"], ids["Technik"]);
    let tech_lead = add_scoped(&t, TECH_LEAD, Some("Technik"), Locale::De).await;
    let sales_lead = add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    let sales_action = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(sales, october, sales_lead, &t),
    )
    .await
    .unwrap();

    login(&t, TECH_LEAD).await;
    let (_, html) = page(&t, "/actions?status=all").await;
    let csrf = csrf_in(&html);
    assert!(
        !html.contains("Führung hört zu"),
        "another team's action listed"
    );
    let (status, _) = page(&t, &format!("/actions/{}", sales_action.id)).await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = page(
        &t,
        &format!("/actions/new?department={sales}&round={october}"),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let due = (today(&t) + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    for (path, fields) in [
        (
            "/actions".to_owned(),
            vec![
                ("csrf", csrf.as_str()),
                ("department", &*sales.to_string()),
                ("round", &*october.to_string()),
                ("subject", "pillar:values"),
                ("title", "Übergriff"),
                ("why", ""),
                ("owner", &*tech_lead.to_string()),
                ("due", due.as_str()),
            ],
        ),
        (
            format!("/actions/{}/status", sales_action.id),
            vec![
                ("csrf", csrf.as_str()),
                ("status", "dropped"),
                ("outcome", "weg"),
            ],
        ),
        (
            format!("/actions/{}/note", sales_action.id),
            vec![("csrf", csrf.as_str()), ("note", "hallo")],
        ),
    ] {
        let fields: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, _) = post(&t, &path, &fields).await;
        assert_eq!(status, Status::Forbidden, "{path}");
    }
    assert_eq!(count_actions(&t).await, 1);
    let log = action_event::Entity::find().count(&t.app.db).await.unwrap();
    assert_eq!(log, 1, "only the creation is logged");

    // The sales lead acts for their team below, too; a Technik owner is refused there.
    let below = Who {
        name: SALES_LEAD.into(),
        role: Role::Viewer,
        scope: Some(sales),
    };
    store::create(
        &t.app.db,
        limits(&t),
        &below,
        new_action(north, october, sales_lead, &t),
    )
    .await
    .expect("a lead acts for the team below");
    let refused = store::create(
        &t.app.db,
        limits(&t),
        &below,
        new_action(north, october, tech_lead, &t),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, AppError::Unprocessable(p) if p.key() == "problem_action_owner_scope")
    );
    let upwards = Who {
        scope: Some(north),
        ..below
    };
    let refused = store::create(
        &t.app.db,
        limits(&t),
        &upwards,
        new_action(sales, october, sales_lead, &t),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden));
    let _ = tech;
}

#[rocket::async_test]
async fn bad_input_is_refused_with_its_reason_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    let (ids, september, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;
    let gone = add_scoped(&t, "weg@example.de", None, Locale::De).await;
    staff::set_active(&t.app.db, gone, false)
        .await
        .unwrap()
        .unwrap();
    login(&t, HR).await;
    let (_, html) = page(
        &t,
        &format!("/actions/new?department={sales}&round={october}"),
    )
    .await;
    let csrf = csrf_in(&html);
    let yesterday = (today(&t) - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let later = (today(&t) + Duration::days(9))
        .format("%Y-%m-%d")
        .to_string();
    let base = |field: &str, value: &str| -> Vec<(String, String)> {
        let mut fields = vec![
            ("csrf".to_owned(), csrf.clone()),
            ("department".to_owned(), sales.to_string()),
            ("round".to_owned(), october.to_string()),
            ("subject".to_owned(), "pillar:leadership".to_owned()),
            ("title".to_owned(), "Zuhören".to_owned()),
            ("why".to_owned(), "weil".to_owned()),
            ("owner".to_owned(), hr.to_string()),
            ("due".to_owned(), later.clone()),
        ];
        fields.retain(|(k, _)| k != field);
        fields.push((field.to_owned(), value.to_owned()));
        fields
    };
    let cases = [
        (base("due", &yesterday), "liegt in der Vergangenheit"),
        (
            base("due", "1.2.2027"),
            "ist kein Datum; bitte als JJJJ-MM-TT",
        ),
        (base("title", "   "), "Eine Maßnahme braucht einen Titel."),
        (
            base("subject", ""),
            "Bitte wählen Sie, worauf die Maßnahme antwortet",
        ),
        (
            base("owner", &gone.to_string()),
            "Der Zugang von weg@example.de ist deaktiviert",
        ),
        (
            base("why", &"x".repeat(4001)),
            "Das Feld „Warum (der Befund)“ hat mehr als 4000 Zeichen.",
        ),
        (base("round", &september.to_string()), "Zuhören"),
    ];
    for (fields, said) in &cases[..6] {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, _, html) = post(&t, "/actions", &fields).await;
        assert_eq!(status, Status::UnprocessableEntity, "{said}");
        assert!(html.contains(said), "{said}: {html}");
    }
    assert_eq!(count_actions(&t).await, 0);

    // An open round is no finding yet.
    let draft = crate::results_fixture::company_draft(&t, "November");
    let open = kundenpuls::lifecycle::create(&t.app, &draft, Utc::now())
        .await
        .unwrap();
    let mut fields = base("round", &open.id.to_string());
    fields.retain(|(k, _)| k != "csrf");
    fields.push(("csrf".into(), csrf.clone()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _, html) = post(&t, "/actions", &fields).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Die Runde „November“ ist noch nicht abgeschlossen"));

    // Closing without saying what came of it.
    let made = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(sales, october, hr, &t),
    )
    .await
    .unwrap();
    let (status, _, html) = post(
        &t,
        &format!("/actions/{}/status", made.id),
        &[("csrf", &csrf), ("status", "done"), ("outcome", " ")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("schreiben Sie bitte kurz, was daraus geworden ist"));
    let kept = action::Entity::find_by_id(made.id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, ActionStatus::Planned);
}

#[rocket::async_test]
async fn every_change_is_logged_with_its_author_and_what_goes_away_is_marked() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let lead = add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    let questions = question::Entity::find().all(&t.app.db).await.unwrap();
    let item = leadership_item(&questions);
    let mut new = new_action(sales, october, lead, &t);
    new.subject = Subject::Item(item);
    let made = store::create(&t.app.db, limits(&t), &admin_who(), new)
        .await
        .unwrap();
    assert_eq!(
        made.pillar,
        Some(Pillar::Leadership),
        "an item's pillar is kept"
    );

    login(&t, SALES_LEAD).await;
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    let csrf = csrf_in(&html);
    let (status, _, _) = post(
        &t,
        &format!("/actions/{}/status", made.id),
        &[
            ("csrf", &csrf),
            ("status", "running"),
            ("note", "Erster Termin steht"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (status, _, _) = post(
        &t,
        &format!("/actions/{}/note", made.id),
        &[("csrf", &csrf), ("note", "Team hat Ideen gesammelt")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let later = (today(&t) + Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    let (status, _, _) = post(
        &t,
        &format!("/actions/{}/edit", made.id),
        &[
            ("csrf", &csrf),
            ("title", "Führung hört zu"),
            ("why", "Vorbild der Führung gefallen"),
            ("owner", &lead.to_string()),
            ("due", &later),
            ("visible", "true"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);

    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    for line in [
        "angelegt</strong> · von hr@example.de",
        "Stand: läuft</strong> · von vertrieb@example.de",
        "Erster Termin steht",
        "Notiz</strong> · von vertrieb@example.de",
        "Team hat Ideen gesammelt",
        "geändert: Fällig am</strong> · von vertrieb@example.de",
    ] {
        assert!(html.contains(line), "{line:?} not in the log: {html}");
    }
    assert_eq!(
        action_event::Entity::find().count(&t.app.db).await.unwrap(),
        4
    );

    // The owner leaves and the item leaves the catalog: the action stays, marked.
    staff::set_active(&t.app.db, lead, false)
        .await
        .unwrap()
        .unwrap();
    let mut retired: question::ActiveModel = questions
        .iter()
        .find(|q| q.id == item)
        .unwrap()
        .clone()
        .into();
    retired.active = Set(false);
    retired.update(&t.app.db).await.unwrap();
    login(&t, HR).await;
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    assert!(html.contains("ohne Verantwortliche"));
    assert!(html.contains("Der Zugang von vertrieb@example.de ist deaktiviert."));
    assert!(html.contains("nicht mehr im Fragenkatalog"));
    let (_, html) = page(&t, "/actions?overdue=false").await;
    assert!(html.contains("Führung hört zu") && html.contains("ohne Verantwortliche"));
    // Handing it over works although the old owner is inactive.
    t.add_staff("neu@example.de", Role::Viewer).await;
    let new_owner = owner_id(&t, "neu@example.de").await;
    let (_, edit) = page(&t, &format!("/actions/{}/edit", made.id)).await;
    let csrf = csrf_in(&edit);
    let (status, _, html) = post(
        &t,
        &format!("/actions/{}/edit", made.id),
        &[
            ("csrf", &csrf),
            ("title", "Führung hört zu"),
            ("why", "Vorbild der Führung gefallen"),
            ("owner", &new_owner.to_string()),
            ("due", &later),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    assert!(!html.contains("ohne Verantwortliche"));
    assert!(
        html.contains("geändert: Verantwortlich, Sichtbarkeit"),
        "{html}"
    );
}

#[rocket::async_test]
async fn the_action_page_says_whether_the_figure_moved_beyond_noise() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = sales_fell(&t).await;
    let sales = ids["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;
    let made = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(sales, october, hr, &t),
    )
    .await
    .unwrap();
    login(&t, HR).await;
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    assert!(
        html.contains("Noch keine spätere Runde zeigt diesen Wert"),
        "{html}"
    );
    assert!(html.contains(">25,0<"), "the start's core index");

    // The next round answers as before: no change that chance would not explain.
    let mut mixed = same(3, 2, 5);
    mixed.extend(same(3, 3, 5));
    closed_round(
        &t,
        "November",
        -1,
        &[("Vertrieb", mixed), ("Technik", same(6, 5, 10))],
    )
    .await;
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    assert!(
        html.contains("Keine nachweisbare Veränderung: +12,5 Punkte seit „Oktober“ liegen im Rahmen des Zufalls."),
        "{html}"
    );
    // Then it rises clearly.
    closed_round(
        &t,
        "Dezember",
        -2,
        &[("Vertrieb", same(6, 4, 8)), ("Technik", same(6, 5, 10))],
    )
    .await;
    let (_, html) = page(&t, &format!("/actions/{}", made.id)).await;
    assert!(
        html.contains("Gestiegen: +50,0 Punkte seit „Oktober“"),
        "{html}"
    );
    assert!(html.contains(">75,0<"));

    // A department too small to show: nothing compared, nothing revealed.
    let north = ids["Vertrieb / Nord"];
    let small = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(north, october, hr, &t),
    )
    .await
    .unwrap();
    let (_, html) = page(&t, &format!("/actions/{}", small.id)).await;
    assert!(
        html.contains("zu wenige Antworten, um den Wert zu zeigen"),
        "{html}"
    );
}
