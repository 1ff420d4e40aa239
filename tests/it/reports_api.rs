//! Leadership reports through the API and the CSV download: the figures the fixture implies,
//! the threshold and the department scope in every body, JSON and CSV alike.

use std::collections::HashMap;

use chrono::Utc;
use kundenpuls::auth::api_token;
use kundenpuls::entities::employee;
use kundenpuls::lifecycle;
use kundenpuls::vocab::Role;
use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, bearer, location, seed_org};
use crate::results_fixture::{closed_round, company_draft, same};

const BOM: &str = "\u{feff}";

/// The CSV rows of one group: participation, responses, 3 + 3 pillar indices, overall, the
/// fixture's 4 Likert items and 1 net score.
const MEASURES: usize = 2 + 6 + 1 + 4 + 1;

/// Vertrieb (8 invited) with its team Recht (3 invited: below the threshold of 5) and
/// Technik (8 invited).
async fn org(t: &TestApp) -> HashMap<String, i32> {
    let ids = seed_org(&t.app.db, &["Vertrieb", "Vertrieb / Recht", "Technik"], 8).await;
    let recht = employee::Entity::find()
        .filter(employee::Column::DepartmentId.eq(ids["Vertrieb / Recht"]))
        .all(&t.app.db)
        .await
        .unwrap();
    for person in recht.into_iter().skip(3) {
        let mut inactive: employee::ActiveModel = person.into();
        inactive.active = Set(false);
        inactive.update(&t.app.db).await.unwrap();
    }
    ids
}

/// Vertrieb's own 6 answer 4 (and 9), Recht's 2 answer 2 (and 3), Technik's 7 answer 5 (and 10).
async fn october(t: &TestApp) -> i32 {
    closed_round(
        t,
        "Oktober",
        0,
        &[
            ("Vertrieb", same(6, 4, 9)),
            ("Vertrieb / Recht", same(2, 2, 3)),
            ("Technik", same(7, 5, 10)),
        ],
    )
    .await
}

async fn json(response: LocalResponse<'_>) -> (Status, String, Value) {
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    let value = serde_json::from_str(&body).unwrap_or(Value::Null);
    (status, body, value)
}

async fn get(t: &TestApp, uri: &str, token: &str) -> (Status, String, Value) {
    json(t.client.get(uri).header(bearer(token)).dispatch().await).await
}

fn group<'a>(results: &'a Value, path: &str) -> &'a Value {
    results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["path"] == path)
        .unwrap_or_else(|| panic!("no group {path:?}"))
}

fn paths(results: &Value) -> Vec<&str> {
    results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["path"].as_str().unwrap())
        .collect()
}

/// The value of a shown figure.
fn shown(figure: &Value) -> &Value {
    assert_eq!(figure["status"], "shown", "{figure}");
    &figure["value"]
}

fn item<'a>(group: &'a Value, key: &str) -> &'a Value {
    group["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no item {key}"))
}

fn close(value: &Value, expected: f64) {
    let actual = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is a number"));
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}

/// `"field":N` with exactly the number N (not 20 or 2.5).
fn has_count(body: &str, field: &str, n: u64) -> bool {
    let pattern = format!("\"{field}\":{n}");
    body.match_indices(&pattern).any(|(at, _)| {
        !body[at + pattern.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    })
}

/// The numbers in `value` whose key is not one of `allowed`.
fn numbers_except<'a>(value: &'a Value, allowed: &[&str], key: &'a str, out: &mut Vec<String>) {
    match value {
        Value::Number(n) if !allowed.contains(&key) => out.push(format!("{key}: {n}")),
        Value::Array(items) => {
            for item in items {
                numbers_except(item, allowed, key, out);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                numbers_except(field, allowed, key, out);
            }
        }
        _ => {}
    }
}

/// Every figure of a group hidden, with a reason and nothing else: the only numbers left are
/// ids and the depth in the tree.
fn all_hidden(group: &Value) {
    let text = group.to_string();
    assert!(!text.contains("\"shown\""), "{text}");
    let mut numbers = Vec::new();
    numbers_except(
        group,
        &["department_id", "parent_id", "depth", "question_id"],
        "",
        &mut numbers,
    );
    assert!(numbers.is_empty(), "figures {numbers:?} in {text}");
    assert_eq!(group["responses"]["status"], "hidden");
    assert_eq!(group["responses"]["value"]["reason"], "not_enough_answers");
    assert_eq!(
        group["participation"]["value"]["reason"],
        "not_enough_answers"
    );
}

#[rocket::async_test]
async fn results_json_has_the_fixture_figures_and_hides_the_small_team() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let id = october(&t).await;
    for role in [Role::Admin, Role::Viewer] {
        let token = t.token(role).await;
        let (status, body, results) =
            get(&t, &format!("/api/v1/rounds/{id}/results"), &token).await;
        assert_eq!(status, Status::Ok, "{body}");
        assert_eq!(results["state"], "closed");
        assert_eq!(results["round"]["id"], id);
        assert_eq!(results["round"]["title"], "Oktober");
        assert_eq!(results["anonymity_threshold"], 5);
        assert_eq!(
            paths(&results),
            vec!["", "Technik", "Vertrieb", "Vertrieb / Recht"]
        );

        // The company: 15 of 19 answered.
        let company = group(&results, "");
        assert_eq!(company["department_id"], Value::Null);
        assert_eq!(shown(&company["responses"]), 15);
        let participation = shown(&company["participation"]);
        assert_eq!(participation["invited"], 19);
        assert_eq!(participation["answered"], 15);
        close(&participation["rate_pct"], 1500.0 / 19.0);
        // 6 × 4, 2 × 2, 7 × 5.
        let goals = shown(&item(company, "cf_goals_customer_value")["figures"]);
        assert_eq!(goals["n"], 15);
        close(&goals["mean"], 63.0 / 15.0);
        close(&goals["favourable_pct"], 1300.0 / 15.0);
        close(&goals["unfavourable_pct"], 200.0 / 15.0);
        close(&goals["cant_judge_pct"], 0.0);
        // Reverse coded: 4 → 2, 2 → 4, 5 → 1.
        let hinder = shown(&item(company, "cf_processes_hinder_customers")["figures"]);
        assert_eq!(hinder["distribution"], serde_json::json!([7, 6, 0, 2, 0]));
        // Core items: 6 × 75, 2 × 25, 7 × 100 = 80 in every pillar; over the round's items
        // customer focus averages each respondent's goals and turned hinder to 50.
        let pillars = company["pillars"].as_array().unwrap();
        assert_eq!(pillars[0]["key"], "customer_focus");
        close(&shown(&pillars[0]["core"])["index"], 80.0);
        close(&shown(&pillars[0]["index"])["index"], 50.0);
        close(&shown(&pillars[1]["index"])["index"], 80.0);
        close(&shown(&pillars[2]["index"])["index"], 80.0);
        close(&shown(&company["overall"])["index"], 70.0);
        // Promoters 6 + 7, detractors 2.
        let net = shown(&company["net_scores"][0]["figures"]);
        assert_eq!(company["net_scores"][0]["key"], "recommend");
        close(&net["net_score"], 1100.0 / 15.0);

        // Vertrieb with its team: 8 of 11; Technik 7 of 8.
        let sales = group(&results, "Vertrieb");
        assert_eq!(shown(&sales["responses"]), 8);
        assert_eq!(shown(&sales["participation"])["invited"], 11);
        close(
            &shown(&item(sales, "cf_goals_customer_value")["figures"])["mean"],
            28.0 / 8.0,
        );
        let technik = group(&results, "Technik");
        assert_eq!(shown(&technik["responses"]), 7);
        close(
            &shown(&item(technik, "cf_goals_customer_value")["figures"])["mean"],
            5.0,
        );

        // Recht (2 of 3): listed, every figure hidden, no count of it anywhere in the body.
        all_hidden(group(&results, "Vertrieb / Recht"));
        assert!(has_count(&body, "n", 15), "the search finds shown counts");
        for (field, n) in [("n", 2), ("answered", 2), ("invited", 3), ("value", 2)] {
            assert!(!has_count(&body, field, n), "\"{field}\":{n} in the body");
        }
    }
}

#[rocket::async_test]
async fn a_scoped_viewer_token_sees_only_its_subtree() {
    let t = TestApp::spawn().await;
    let ids = org(&t).await;
    let id = october(&t).await;
    let sales = api_token::create(&t.app.db, "sales", Role::Viewer, Some("Vertrieb"))
        .await
        .unwrap()
        .token;

    let (status, body, results) = get(&t, &format!("/api/v1/rounds/{id}/results"), &sales).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(paths(&results), vec!["Vertrieb", "Vertrieb / Recht"]);
    assert!(!body.contains("Technik"));
    assert_eq!(shown(&group(&results, "Vertrieb")["responses"]), 8);
    all_hidden(group(&results, "Vertrieb / Recht"));

    // Another department's trend answers as a missing one; its own and its team's are answered.
    let (status, _, error) = get(
        &t,
        &format!("/api/v1/departments/{}/trend", ids["Technik"]),
        &sales,
    )
    .await;
    assert_eq!(status, Status::NotFound);
    let (_, _, missing) = get(&t, "/api/v1/departments/999999/trend", &sales).await;
    assert_eq!(error, missing);
    let (status, _, trend) = get(
        &t,
        &format!("/api/v1/departments/{}/trend", ids["Vertrieb"]),
        &sales,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(trend["department_id"], ids["Vertrieb"]);
    assert_eq!(trend["rounds"].as_array().unwrap().len(), 1);
    assert_eq!(shown(&trend["rounds"][0]["responses"]), 8);

    // The token's top is its department, not the company.
    let (status, _, top) = get(&t, "/api/v1/trend", &sales).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(top["department_id"], ids["Vertrieb"]);
    assert_eq!(top["path"], "Vertrieb");

    // The CSV shows the same subtree.
    let response = t
        .client
        .get(format!("/api/v1/rounds/{id}/results.csv?lang=en"))
        .header(bearer(&sales))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let csv = response.into_string().await.unwrap();
    assert!(!csv.contains("Technik"));
    assert!(!csv.contains("Whole company"));
    let groups: std::collections::BTreeSet<String> = parse(&csv, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        vec!["Vertrieb", "Vertrieb / Recht"]
    );
}

#[rocket::async_test]
async fn unknown_rounds_and_departments_are_json_404s() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let token = t.token(Role::Viewer).await;
    for uri in [
        "/api/v1/rounds/9999/results",
        "/api/v1/rounds/9999/results.csv",
        "/api/v1/rounds/9999/results.csv?excel=true",
        "/api/v1/departments/9999/trend",
    ] {
        let (status, _, error) = get(&t, uri, &token).await;
        assert_eq!(status, Status::NotFound, "{uri}");
        assert_eq!(error["status"], 404, "{uri}");
    }
    // Without a token: 401, before anything is looked up.
    let anonymous = t.client.get("/api/v1/rounds/1/results").dispatch().await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
    let anonymous = t.client.get("/api/v1/trend").dispatch().await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn a_round_that_has_not_closed_has_its_state_and_no_groups() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let app = &t.app;
    let now = Utc::now();
    let draft = company_draft(&t, "November");
    let id = lifecycle::create(app, &draft, now).await.unwrap().id;
    let token = t.token(Role::Admin).await;
    let uri = format!("/api/v1/rounds/{id}/results");

    let (status, _, scheduled) = get(&t, &uri, &token).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(scheduled["state"], "scheduled");
    assert_eq!(scheduled["groups"], serde_json::json!([]));

    assert!(lifecycle::open(app, id, now).await.unwrap());
    let (status, _, open) = get(&t, &uri, &token).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(open["state"], "open");
    assert_eq!(open["groups"], serde_json::json!([]));

    let response = t
        .client
        .get(format!("/api/v1/rounds/{id}/results.csv"))
        .header(bearer(&token))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let csv = response.into_string().await.unwrap();
    assert_eq!(parse(&csv, b',').len(), 1, "the header alone: {csv}");
}

#[rocket::async_test]
async fn trends_follow_the_closed_rounds_and_hide_the_small_team() {
    let t = TestApp::spawn().await;
    let ids = org(&t).await;
    closed_round(
        &t,
        "September",
        4,
        &[
            ("Vertrieb", same(6, 2, 5)),
            ("Vertrieb / Recht", same(2, 2, 3)),
            ("Technik", same(7, 2, 5)),
        ],
    )
    .await;
    october(&t).await;
    let token = t.token(Role::Viewer).await;

    let (status, _, company) = get(&t, "/api/v1/trend", &token).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(company["department_id"], Value::Null);
    assert_eq!(company["path"], "");
    assert_eq!(
        company["pillars"],
        serde_json::json!(["customer_focus", "leadership", "values"])
    );
    let rounds = company["rounds"].as_array().unwrap();
    let titles: Vec<&str> = rounds
        .iter()
        .map(|r| r["round"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["September", "Oktober"]);
    // September: everyone answered 2 → 25 on every core item; October: 80 (see above).
    close(&shown(&rounds[0]["overall"])["index"], 25.0);
    close(&shown(&rounds[1]["pillars"][0])["index"], 80.0);
    close(&shown(&rounds[1]["overall"])["index"], 80.0);
    assert_eq!(shown(&rounds[1]["responses"]), 15);

    let (status, body, small) = get(
        &t,
        &format!("/api/v1/departments/{}/trend", ids["Vertrieb / Recht"]),
        &token,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(small["rounds"].as_array().unwrap().len(), 2);
    assert!(!body.contains("\"shown\""), "{body}");
    assert!(!body.contains("\"n\""), "{body}");
    assert!(!has_count(&body, "value", 2));
}

fn parse(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn csv_row<'a>(rows: &'a [Vec<String>], path: &str, key: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[1] == path && r[3] == key)
        .unwrap_or_else(|| panic!("no row {path} {key}"))
}

#[rocket::async_test]
async fn the_csv_parses_back_for_excel_and_for_scripts() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let id = october(&t).await;
    let token = t.token(Role::Viewer).await;
    let date = kundenpuls::report::query::round_results(
        &t.app.reports,
        kundenpuls::report::query::Reader {
            scope: None,
            locale: kundenpuls::i18n::Locale::De,
        },
        id,
    )
    .await
    .unwrap()
    .round
    .date;

    for uri in [
        format!("/api/v1/rounds/{id}/results.csv?excel=true"),
        format!("/api/v1/rounds/{id}/results.csv?format=excel"),
    ] {
        let response = t.client.get(&uri).header(bearer(&token)).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{uri}");
        assert_eq!(
            response.headers().get_one("Content-Type"),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(
            response.headers().get_one("Content-Disposition"),
            Some(format!("attachment; filename=\"kundenpuls-oktober-{date}.csv\"").as_str())
        );
        let body = response.into_string().await.unwrap();
        let text = body.strip_prefix(BOM).expect("a UTF-8 BOM for Excel");
        let rows = parse(text, b';');
        // The token speaks the default language, German.
        assert_eq!(
            &rows[0][..6],
            [
                "Gruppe",
                "Abteilungspfad",
                "Kennzahl",
                "Schlüssel",
                "n",
                "Wert"
            ]
        );
        assert!(rows.iter().all(|r| r.len() == rows[0].len()));
        let goals = csv_row(&rows, "", "item.cf_goals_customer_value");
        assert_eq!(goals[0], "Gesamtes Unternehmen");
        assert_eq!(goals[4], "15");
        assert_eq!(goals[5], "4,20");
        assert_eq!(goals[8], "86,7");
        assert_eq!(goals[9], "13,3");
        assert_eq!(csv_row(&rows, "", "overall")[5], "70,0");
        assert_eq!(csv_row(&rows, "", "pillar_core.customer_focus")[5], "80,0");
        assert_eq!(csv_row(&rows, "", "net_score.recommend")[5], "73,3");
        let participation = csv_row(&rows, "Vertrieb", "participation");
        assert_eq!(
            (participation[4].as_str(), participation[11].as_str()),
            ("8", "11")
        );
        assert_eq!(participation[5], "72,7");

        // Recht: a row per measure, every figure empty, the reason in words, no count.
        let small: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "Vertrieb / Recht").collect();
        assert_eq!(small.len(), MEASURES);
        assert_eq!(rows.iter().filter(|r| r[1] == "Technik").count(), MEASURES);
        for row in small {
            assert!(row[4..12].iter().all(String::is_empty), "{row:?}");
            assert_eq!(row[12], "nicht genug Antworten");
        }
        for line in text.lines().filter(|l| l.contains("Vertrieb / Recht")) {
            for n in ["2", "3"] {
                assert!(!line.split(';').any(|cell| cell == n), "a count in {line}");
            }
        }
    }

    // For scripts: RFC 4180 with `,`, a decimal point, no BOM; English on request.
    let response = t
        .client
        .get(format!("/api/v1/rounds/{id}/results.csv?lang=en"))
        .header(bearer(&token))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let body = response.into_string().await.unwrap();
    assert!(!body.starts_with(BOM));
    assert!(body.contains("\r\n"));
    let rows = parse(&body, b',');
    assert_eq!(rows[0][0], "Group");
    let goals = csv_row(&rows, "", "item.cf_goals_customer_value");
    assert_eq!(goals[0], "Whole company");
    assert_eq!(goals[5], "4.20");
    assert_eq!(
        csv_row(&rows, "Vertrieb / Recht", "responses")[12],
        "not enough answers"
    );

    let (status, _, error) = get(
        &t,
        &format!("/api/v1/rounds/{id}/results.csv?format=xls"),
        &token,
    )
    .await;
    assert_eq!(
        status,
        Status::BadRequest,
        "a format the document does not list"
    );
    assert!(
        error["error"].as_str().unwrap().contains("csv, excel"),
        "{error}"
    );
}

#[rocket::async_test]
async fn staff_download_the_csv_from_the_dashboard() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let id = october(&t).await;
    let uri = format!("/dashboard/rounds/{id}/results.csv?excel=true");

    let anonymous = t.client.get(&uri).dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert!(location(&anonymous).starts_with("/login?next="));

    t.add_staff("chefin@example.de", Role::Viewer).await;
    assert_eq!(
        t.login("chefin@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    let response = t.client.get(&uri).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.headers().get_one("Content-Type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = response.headers().get_one("Content-Disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"kundenpuls-oktober-"),
        "{disposition}"
    );
    let body = response.into_string().await.unwrap();
    let rows = parse(body.strip_prefix(BOM).unwrap(), b';');
    // The staff user's language is German.
    assert_eq!(rows[0][0], "Gruppe");
    assert_eq!(csv_row(&rows, "Technik", "responses")[4], "7");

    let missing = t
        .client
        .get("/dashboard/rounds/9999/results.csv")
        .dispatch()
        .await;
    assert_eq!(missing.status(), Status::NotFound);
}

#[rocket::async_test]
async fn the_openapi_document_describes_the_report_routes() {
    let t = TestApp::spawn().await;
    let document = t.client.get("/api/v1/openapi.json").dispatch().await;
    assert_eq!(document.status(), Status::Ok);
    let document: Value = document.into_json().await.unwrap();
    for path in [
        "/rounds/{id}/results",
        "/rounds/{id}/results.csv",
        "/trend",
        "/departments/{id}/trend",
    ] {
        assert!(document["paths"][path]["get"].is_object(), "{path}");
    }
    let schemas = &document["components"]["schemas"];
    assert!(schemas["RoundResults"].is_object());
    assert!(schemas["Shown_PillarIndex"]["oneOf"].is_array());
}
