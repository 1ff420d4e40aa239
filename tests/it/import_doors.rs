//! The employee import through its other doors: the API and the command line share the one
//! code path of `org::import`.

use kundenpuls::auth::Role;
use kundenpuls::entities::employee;
use rocket::http::{ContentType, Status};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::helpers::{TestApp, bearer};

const FILE: &str = "email;name;department;locale\n\
                    jürgen.groß@example.de;Jürgen Groß;Vertrieb / Innendienst;de\n\
                    anna@example.de;Anna Weiß;Vertrieb / Außendienst;en\n\
                    ole@example.de;Ole Øster;Technik;\n";

async fn post_csv(t: &TestApp, token: &str, query: &str, body: &str) -> (Status, Value) {
    let response = t
        .client
        .post(format!("/api/v1/employees/import{query}"))
        .header(ContentType::CSV)
        .header(bearer(token))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

#[rocket::async_test]
async fn an_hr_system_imports_through_the_api_and_gets_a_report() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;

    let (status, dry) = post_csv(&t, &admin, "?dry_run=true", FILE).await;
    assert_eq!(status, Status::Ok, "{dry}");
    assert_eq!(dry["created"], 3);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        employee::Entity::find().count(&t.app.db).await.unwrap(),
        0,
        "a dry run writes nothing"
    );

    let (status, report) = post_csv(&t, &admin, "", FILE).await;
    assert_eq!(status, Status::Ok, "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(report["errors"], serde_json::json!([]));

    let (_, again) = post_csv(&t, &admin, "", FILE).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
}

#[rocket::async_test]
async fn a_broken_file_is_rejected_whole_with_every_bad_line() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;
    let broken = "email,name,department\nok@example.de,Okay,Technik\nkaputt,Kein Name,Technik\nok@example.de,Doppelt,Technik\n";
    let (status, report) = post_csv(&t, &admin, "", broken).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4]);
    assert_eq!(
        employee::Entity::find().count(&t.app.db).await.unwrap(),
        0,
        "all or nothing"
    );
}

#[rocket::async_test]
async fn only_admins_import() {
    let t = TestApp::spawn().await;
    let viewer = t.token(Role::Viewer).await;
    let (status, _) = post_csv(&t, &viewer, "", FILE).await;
    assert_eq!(status, Status::Forbidden);
    let anonymous = t
        .client
        .post("/api/v1/employees/import")
        .header(ContentType::CSV)
        .body(FILE)
        .dispatch()
        .await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
}
