//! Maßnahmen over `/api/v1/actions` and as CSV: what an HR system and a team's script do, with
//! the rules of the pages (scope, limit, input) and refusals said in the client's language.

use chrono::Duration;
use kundenpuls::action::store;
use kundenpuls::auth::api_token;
use kundenpuls::entities::{action, action_event};
use kundenpuls::i18n::Locale;
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::action_fixture::{
    HR, SALES_LEAD, TECH_LEAD, add_scoped, admin_who, count_actions, limits, new_action, owner_id,
    sales_fell, today,
};
use crate::helpers::{PASSWORD, TestApp, bearer};

const BOM: &[u8] = b"\xEF\xBB\xBF";

async fn token(t: &TestApp, name: &str, role: Role, scope: Option<&str>) -> String {
    api_token::create(&t.app.db, name, role, scope)
        .await
        .expect("token")
        .token
}

fn due_in(t: &TestApp, days: i64) -> String {
    (today(t) + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn json_of(response: LocalResponse<'_>) -> (Status, Value) {
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    let value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    (status, value)
}

async fn get(t: &TestApp, uri: &str, token: &str) -> (Status, Value) {
    json_of(
        t.client
            .get(uri.to_owned())
            .header(bearer(token))
            .dispatch()
            .await,
    )
    .await
}

/// A JSON request with a body and the client's language.
async fn send(
    t: &TestApp,
    patch: bool,
    uri: &str,
    token: &str,
    language: &str,
    body: String,
) -> (Status, Value) {
    let request = if patch {
        t.client.patch(uri.to_owned())
    } else {
        t.client.post(uri.to_owned())
    };
    json_of(
        request
            .header(bearer(token))
            .header(Header::new("Accept-Language", language.to_owned()))
            .header(ContentType::JSON)
            .body(body)
            .dispatch()
            .await,
    )
    .await
}

async fn post(t: &TestApp, uri: &str, token: &str, body: Value) -> (Status, Value) {
    send(t, false, uri, token, "de", body.to_string()).await
}

async fn patch(t: &TestApp, uri: &str, token: &str, body: Value) -> (Status, Value) {
    send(t, true, uri, token, "de", body.to_string()).await
}

async fn log_lines(t: &TestApp, id: i32) -> u64 {
    action_event::Entity::find()
        .filter(action_event::Column::ActionId.eq(id))
        .count(&t.app.db)
        .await
        .unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[rocket::async_test]
async fn an_admin_token_lists_creates_changes_and_notes_with_its_name_in_the_log() {
    let t = TestApp::spawn().await;
    let (ids_of, _, october) = sales_fell(&t).await;
    let sales = ids_of["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;
    let admin = token(&t, "hr-system", Role::Admin, None).await;
    let due = due_in(&t, 30);

    let (status, created) = post(
        &t,
        "/api/v1/actions",
        &admin,
        json!({
            "department_id": sales,
            "round_id": october,
            "question_key": "ld_leadership_customer_centred",
            "title": "  Führung hört zu  ",
            "why": "Vorbild der Führung gefallen",
            "owner_id": hr,
            "due_on": due,
        }),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["title"], "Führung hört zu");
    assert_eq!(created["department"]["id"], sales);
    assert_eq!(created["department"]["path"], "Vertrieb");
    assert_eq!(created["round"]["id"], october);
    assert_eq!(created["round"]["title"], "Oktober");
    assert_eq!(created["subject"]["kind"], "item");
    assert_eq!(
        created["subject"]["question_key"],
        "ld_leadership_customer_centred"
    );
    assert_eq!(created["subject"]["pillar"], "leadership");
    assert_eq!(created["owner"]["email"], HR);
    assert_eq!(created["owner"]["active"], true);
    assert_eq!(created["due_on"], due.as_str());
    assert_eq!(created["status"], "planned");
    assert_eq!(created["visible"], true, "visible unless said otherwise");
    assert_eq!(created["outcome"], Value::Null);
    for flag in ["overdue", "without_owner", "subject_retired"] {
        assert_eq!(created[flag], false, "{flag}");
    }
    assert!(created["created_at"].as_str().unwrap().contains('T'));

    // A pillar as the subject, visible to nobody but leadership.
    let (status, pillar) = post(
        &t,
        "/api/v1/actions",
        &admin,
        json!({
            "department_id": ids_of["Technik"], "round_id": october, "pillar": "values",
            "title": "Werte-Workshop", "owner_id": hr, "due_on": due_in(&t, 10), "visible": false,
        }),
    )
    .await;
    assert_eq!(status, Status::Created, "{pillar}");
    assert_eq!(pillar["subject"]["kind"], "pillar");
    assert_eq!(pillar["subject"]["question_key"], Value::Null);
    assert_eq!(pillar["visible"], false);

    let (status, list) = get(&t, "/api/v1/actions", &admin).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        ids(&list),
        [pillar["id"].as_i64().unwrap(), id],
        "the one due first first"
    );
    let (_, list) = get(
        &t,
        &format!("/api/v1/actions?department={sales}&owner={hr}"),
        &admin,
    )
    .await;
    assert_eq!(ids(&list), [id]);

    // An edit names only what changes; the rest stays.
    let (status, changed) = patch(
        &t,
        &format!("/api/v1/actions/{id}"),
        &admin,
        json!({"title": "Führung hört hin"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{changed}");
    assert_eq!(changed["title"], "Führung hört hin");
    assert_eq!(changed["why"], "Vorbild der Führung gefallen");
    assert_eq!(changed["due_on"], due.as_str());
    assert_eq!(changed["visible"], true);
    let last = changed["log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "edited");
    assert_eq!(last["note"], "title");
    assert_eq!(last["author"], "hr-system");

    // Running, then done with what came of it.
    let (status, running) = patch(
        &t,
        &format!("/api/v1/actions/{id}"),
        &admin,
        json!({"status": "running", "note": "Erster Termin steht"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{running}");
    assert_eq!(running["status"], "running");
    let (status, done) = patch(
        &t,
        &format!("/api/v1/actions/{id}"),
        &admin,
        json!({"status": "done", "outcome": "Zwei Kundentage mit dem Team", "visible": false}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["outcome"], "Zwei Kundentage mit dem Team");
    assert_eq!(done["visible"], false);

    let (status, note) = post(
        &t,
        &format!("/api/v1/actions/{id}/notes"),
        &admin,
        json!({"note": "Im Frühjahr wiederholen"}),
    )
    .await;
    assert_eq!(status, Status::Created, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["author"], "hr-system");
    assert_eq!(note["note"], "Im Frühjahr wiederholen");

    let (status, detail) = get(&t, &format!("/api/v1/actions/{id}"), &admin).await;
    assert_eq!(status, Status::Ok);
    let kinds: Vec<&str> = detail["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["created", "edited", "status", "edited", "status", "note"]
    );
    assert_eq!(detail["log"][0]["status"], "planned");
    assert_eq!(detail["log"][2]["note"], "Erster Termin steht");
    assert_eq!(detail["log"][4]["status"], "done");

    for (query, expected) in [
        ("status=open", vec![pillar["id"].as_i64().unwrap()]),
        ("status=done", vec![id]),
        ("status=all", vec![pillar["id"].as_i64().unwrap(), id]),
        ("overdue=true", vec![]),
    ] {
        let (status, list) = get(&t, &format!("/api/v1/actions?{query}"), &admin).await;
        assert_eq!(status, Status::Ok, "{query}");
        assert_eq!(ids(&list), expected, "{query}");
    }
    // A status outside the document's list is refused before the handler, with the list.
    let (status, refused) = get(&t, "/api/v1/actions?status=offen", &admin).await;
    assert_eq!(status, Status::BadRequest);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("status=offen“: erwartet wird einer der Werte planned, running, done, dropped, open, all"),
        "{refused}"
    );
    let (status, _) = get(&t, "/api/v1/actions/999999", &admin).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn a_scoped_viewer_token_acts_in_its_subtree_and_nothing_is_written_outside() {
    let t = TestApp::spawn().await;
    let (ids_of, _, october) = sales_fell(&t).await;
    let (north, tech) = (ids_of["Vertrieb / Nord"], ids_of["Technik"]);
    let sales_lead = add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    let tech_lead = add_scoped(&t, TECH_LEAD, Some("Technik"), Locale::De).await;
    let tech_action = store::create(
        &t.app.db,
        limits(&t),
        &admin_who(),
        new_action(tech, october, tech_lead, &t),
    )
    .await
    .unwrap();
    let sales = token(&t, "vertrieb-skript", Role::Viewer, Some("Vertrieb")).await;

    // In its subtree: a team below it.
    let (status, created) = post(
        &t,
        "/api/v1/actions",
        &sales,
        json!({
            "department_id": north, "round_id": october, "pillar": "leadership",
            "title": "Nord hört zu", "owner_id": sales_lead, "due_on": due_in(&t, 20),
        }),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, _) = patch(
        &t,
        &format!("/api/v1/actions/{id}"),
        &sales,
        json!({"status": "running"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, list) = get(&t, "/api/v1/actions", &sales).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ids(&list), [id], "only its subtree is listed");
    assert!(!list.to_string().contains("Technik"));

    // Outside: refused, and nothing written.
    let before = count_actions(&t).await;
    let (status, refused) = post(
        &t,
        "/api/v1/actions",
        &sales,
        json!({
            "department_id": tech, "round_id": october, "pillar": "leadership",
            "title": "Übergriff", "owner_id": tech_lead, "due_on": due_in(&t, 20),
        }),
    )
    .await;
    assert_eq!(status, Status::Forbidden, "{refused}");
    assert_eq!(refused["status"], 403);
    assert_eq!(count_actions(&t).await, before);

    let lines = log_lines(&t, tech_action.id).await;
    let foreign = format!("/api/v1/actions/{}", tech_action.id);
    assert_eq!(get(&t, &foreign, &sales).await.0, Status::Forbidden);
    let (status, _) = patch(
        &t,
        &foreign,
        &sales,
        json!({"title": "Übernommen", "status": "dropped", "outcome": "x"}),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = post(
        &t,
        &format!("{foreign}/notes"),
        &sales,
        json!({"note": "von außen"}),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let kept = action::Entity::find_by_id(tech_action.id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (kept.title, kept.status, kept.outcome),
        (tech_action.title, tech_action.status, tech_action.outcome),
        "the foreign action is untouched"
    );
    assert_eq!(log_lines(&t, tech_action.id).await, lines);
    let (status, _) = get(&t, &format!("/api/v1/actions?department={tech}"), &sales).await;
    assert_eq!(status, Status::Forbidden);
}

#[rocket::async_test]
async fn the_limit_answers_409_in_the_client_s_language_and_a_refused_patch_writes_nothing() {
    let t = TestApp::spawn_with(&[("actions_open_limit", 1.into())]).await;
    let (ids_of, _, october) = sales_fell(&t).await;
    let sales = ids_of["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;
    let admin = token(&t, "hr-system", Role::Admin, None).await;
    let body = |title: &str| {
        json!({
            "department_id": sales, "round_id": october, "pillar": "leadership",
            "title": title, "owner_id": hr, "due_on": due_in(&t, 20),
        })
        .to_string()
    };
    let (status, first) = send(&t, false, "/api/v1/actions", &admin, "de", body("Eins")).await;
    assert_eq!(status, Status::Created);

    let (status, german) = send(&t, false, "/api/v1/actions", &admin, "de-DE", body("Zwei")).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(german["status"], 409);
    assert_eq!(
        german["error"],
        "Vertrieb hat schon 1 offene Maßnahmen, die Höchstzahl. Schließen Sie eine ab oder \
         verwerfen Sie sie, bevor Sie eine neue beginnen."
    );
    let (status, english) = send(
        &t,
        false,
        "/api/v1/actions",
        &admin,
        "en-GB,en;q=0.9",
        body("Zwei"),
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert!(
        english["error"]
            .as_str()
            .unwrap()
            .starts_with("Vertrieb already has 1 open actions, the maximum."),
        "{english}"
    );
    assert_eq!(count_actions(&t).await, 1);

    // Closing the first makes room for a second; reopening the first then exceeds the limit,
    // and the title changed in the same request stays as it was.
    let first = first["id"].as_i64().unwrap();
    let uri = format!("/api/v1/actions/{first}");
    let (status, _) = patch(
        &t,
        &uri,
        &admin,
        json!({"status": "dropped", "outcome": "Team umgebaut"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, _) = send(&t, false, "/api/v1/actions", &admin, "de", body("Zwei")).await;
    assert_eq!(status, Status::Created);
    let lines = log_lines(&t, first as i32).await;
    let (status, refused) = patch(
        &t,
        &uri,
        &admin,
        json!({"title": "Eins, wieder", "status": "running"}),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{refused}");
    let (_, kept) = get(&t, &uri, &admin).await;
    assert_eq!(kept["title"], "Eins");
    assert_eq!(kept["status"], "dropped");
    assert_eq!(log_lines(&t, first as i32).await, lines);
}

#[rocket::async_test]
async fn bad_input_is_refused_with_its_reason_in_german_and_english_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    let (ids_of, _, october) = sales_fell(&t).await;
    let sales = ids_of["Vertrieb"];
    t.add_staff(HR, Role::Admin).await;
    let hr = owner_id(&t, HR).await;
    let admin = token(&t, "hr-system", Role::Admin, None).await;
    let valid = json!({
        "department_id": sales, "round_id": october, "pillar": "leadership",
        "title": "Führung hört zu", "owner_id": hr, "due_on": due_in(&t, 20),
    });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body.to_string()
    };
    let yesterday = due_in(&t, -1);
    let cases = [
        (
            with("title", json!("   ")),
            "Eine Maßnahme braucht einen Titel.",
            "An action needs a title.",
        ),
        (with("title", json!("x".repeat(201))), "200", "200"),
        (
            with("due_on", json!("5.12.2026")),
            "„5.12.2026“ ist kein Datum; bitte als JJJJ-MM-TT eingeben",
            "“5.12.2026” is not a date; please enter it as YYYY-MM-DD",
        ),
        (
            with("due_on", json!(yesterday)),
            "liegt in der Vergangenheit",
            "lies in the past",
        ),
        (
            with("question_key", json!("ld_leadership_customer_centred")),
            "Bitte wählen Sie, worauf die Maßnahme antwortet",
            "Please choose what the action responds to",
        ),
        (
            {
                let mut body = valid.clone();
                body.as_object_mut().unwrap().remove("pillar");
                body["question_key"] = json!("gibt_es_nicht");
                body.to_string()
            },
            "„gibt_es_nicht“ ist keine Frage des Fragenkatalogs.",
            "“gibt_es_nicht” is not a question of the catalogue.",
        ),
        (
            with("why", json!("a\u{0}b")),
            "enthält Steuerzeichen",
            "control characters",
        ),
    ];
    for (body, german, english) in cases {
        for (language, expected) in [("de", german), ("en", english)] {
            let (status, refused) =
                send(&t, false, "/api/v1/actions", &admin, language, body.clone()).await;
            assert_eq!(status, Status::UnprocessableEntity, "{body}: {refused}");
            assert_eq!(refused["status"], 422);
            assert!(
                refused["error"].as_str().unwrap().contains(expected),
                "{language} {body}: {refused}"
            );
        }
    }
    assert_eq!(count_actions(&t).await, 0);

    // Bodies that are not what the schema says: 400 (422 is the domain's, with its reason),
    // with the problem body all the same.
    for (body, expected) in [
        ("{".to_owned(), Status::BadRequest),
        (with("title", json!(7)), Status::BadRequest),
        (with("colour", json!("rot")), Status::BadRequest),
        (with("pillar", json!("mut")), Status::BadRequest),
    ] {
        let (status, refused) = send(&t, false, "/api/v1/actions", &admin, "de", body).await;
        assert_eq!(status, expected);
        assert_eq!(refused["status"], expected.code);
    }
    assert_eq!(count_actions(&t).await, 0);

    // Changes: a closing without outcome, an outcome without a status, the same status.
    let (_, created) = send(
        &t,
        false,
        "/api/v1/actions",
        &admin,
        "de",
        valid.to_string(),
    )
    .await;
    let uri = format!("/api/v1/actions/{}", created["id"]);
    let id = created["id"].as_i64().unwrap() as i32;
    let lines = log_lines(&t, id).await;
    for (body, german, english) in [
        (
            json!({"status": "done", "title": "Anders"}),
            "schreiben Sie bitte kurz, was daraus geworden ist",
            "please say briefly what came of it",
        ),
        (
            json!({"outcome": "gut"}),
            "Ein Ergebnis gehört zum Abschluss einer Maßnahme",
            "An outcome belongs to closing an action",
        ),
        (
            json!({"status": "planned"}),
            "Die Maßnahme ist schon „geplant“.",
            "“planned”",
        ),
        (
            json!({"due_on": "2027-13-01"}),
            "ist kein Datum",
            "is not a date",
        ),
    ] {
        for (language, expected) in [("de", german), ("en", english)] {
            let (status, refused) = send(&t, true, &uri, &admin, language, body.to_string()).await;
            assert_eq!(status, Status::UnprocessableEntity, "{body}: {refused}");
            assert!(
                refused["error"].as_str().unwrap().contains(expected),
                "{language} {body}: {refused}"
            );
        }
    }
    let (status, refused) = post(&t, &format!("{uri}/notes"), &admin, json!({"note": "  "})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(refused["error"], "Die Notiz ist leer.");
    let (_, kept) = get(&t, &uri, &admin).await;
    assert_eq!(kept["title"], "Führung hört zu");
    assert_eq!(kept["status"], "planned");
    assert_eq!(log_lines(&t, id).await, lines);
}

#[rocket::async_test]
async fn the_openapi_document_describes_the_actions() {
    let t = TestApp::spawn().await;
    let response = t.client.get("/api/v1/openapi.json").dispatch().await;
    let doc: Value = response.into_json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/actions", &["get", "post"][..]),
        ("/actions/{id}", &["get", "patch"][..]),
        ("/actions/{id}/notes", &["post"][..]),
        ("/actions.csv", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                paths[path].get(*method).is_some(),
                "{method} {path} is described"
            );
        }
    }
    let codes = |path: &str, method: &str| -> Vec<String> {
        paths[path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        codes("/actions", "post"),
        ["201", "400", "401", "403", "404", "409", "422"]
    );
    assert_eq!(
        codes("/actions/{id}", "patch"),
        ["200", "400", "401", "403", "404", "409", "422"]
    );
    let schemas = &doc["components"]["schemas"];
    let input = &schemas["NewActionInput"]["properties"];
    assert_eq!(input["title"]["maxLength"], 200);
    assert_eq!(input["title"]["minLength"], 1);
    assert_eq!(input["why"]["maxLength"], 4000);
    assert_eq!(input["due_on"]["format"], "date");
    let view = &schemas["ActionView"]["properties"];
    assert_eq!(view["due_on"]["format"], "date");
    for field in [
        "department",
        "round",
        "subject",
        "owner",
        "overdue",
        "without_owner",
        "subject_retired",
    ] {
        assert!(view.get(field).is_some(), "{field}");
    }
    let statuses = schemas["ActionStatus"].to_string();
    for status in ["planned", "running", "done", "dropped"] {
        assert!(statuses.contains(status), "{statuses}");
    }
}

/// The CSV's rows, after its byte order mark, split at `;`.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "German Excel needs the BOM");
    let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
    assert!(text.ends_with("\r\n"), "CRLF");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[rocket::async_test]
async fn the_csv_is_for_german_excel_within_the_reader_s_scope() {
    let t = TestApp::spawn().await;
    let (ids_of, _, october) = sales_fell(&t).await;
    let sales_lead = add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    let tech_lead = add_scoped(&t, TECH_LEAD, Some("Technik"), Locale::De).await;
    let mut formula = new_action(ids_of["Vertrieb"], october, sales_lead, &t);
    formula.title = "=HYPERLINK(\"http://evil.example\";\"Klick\")".into();
    store::create(&t.app.db, limits(&t), &admin_who(), formula)
        .await
        .unwrap();
    let mut tech = new_action(ids_of["Technik"], october, tech_lead, &t);
    tech.title = "Technik-Sprechstunde".into();
    store::create(&t.app.db, limits(&t), &admin_who(), tech)
        .await
        .unwrap();

    let admin = token(&t, "hr-system", Role::Admin, None).await;
    let response = t
        .client
        .get("/api/v1/actions.csv")
        .header(bearer(&admin))
        .header(Header::new("Accept-Language", "de"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.headers().get_one("Content-Type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = response
        .headers()
        .get_one("Content-Disposition")
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("kundenpuls-massnahmen-"),
        "{disposition}"
    );
    let bytes = response.into_bytes().await.unwrap();
    let header = std::str::from_utf8(&bytes[BOM.len()..])
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        header,
        "Titel;Abteilung;Bezug;Stand;Verantwortlich;Fällig am;Überfällig;Sichtbar;\
         Ausgangsrunde;Ergebnis;Angelegt;Zuletzt geändert"
    );
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 3, "{rows:?}");
    let neutralised = rows
        .iter()
        .find(|r| r[1] == "Vertrieb")
        .expect("the sales row");
    assert_eq!(
        neutralised[0], "'=HYPERLINK(\"http://evil.example\";\"Klick\")",
        "a formula is text"
    );
    assert_eq!(neutralised[2], "Säule „Vorbild der Führung“");
    assert_eq!(neutralised[3], "geplant");
    assert_eq!(neutralised[4], SALES_LEAD);
    assert_eq!(neutralised[6], "nein");
    assert_eq!(neutralised[8], "Oktober");

    // English headers for an English reader.
    let response = t
        .client
        .get("/api/v1/actions.csv?lang=en")
        .header(bearer(&admin))
        .dispatch()
        .await;
    let rows = csv_rows(&response.into_bytes().await.unwrap());
    assert_eq!(rows[0][0], "Title");
    assert_eq!(rows[0][5], "Due on");
    assert!(rows.iter().any(|r| r[3] == "planned"));

    // A scoped token sees its subtree only.
    let scoped = token(&t, "vertrieb-skript", Role::Viewer, Some("Vertrieb")).await;
    let response = t
        .client
        .get("/api/v1/actions.csv")
        .header(bearer(&scoped))
        .dispatch()
        .await;
    let body = response.into_bytes().await.unwrap();
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(!String::from_utf8_lossy(&body).contains("Technik"));

    // A staff member downloads the list as the page shows it.
    assert_eq!(
        t.login(SALES_LEAD, PASSWORD).await.status(),
        Status::SeeOther
    );
    let page = t
        .client
        .get("/actions?status=all")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"&#x2f;actions.csv?status=all\" download>Als CSV herunterladen</a>"),
        "{page}"
    );
    let response = t.client.get("/actions.csv?status=all").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let rows = csv_rows(&response.into_bytes().await.unwrap());
    assert_eq!(rows.len(), 2, "the lead's subtree: {rows:?}");
    assert_eq!(rows[0][0], "Titel");
    let response = t.client.get("/actions.csv?status=done").dispatch().await;
    assert_eq!(csv_rows(&response.into_bytes().await.unwrap()).len(), 1);
    let response = t
        .client
        .get(format!("/actions.csv?department={}", ids_of["Technik"]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
}
