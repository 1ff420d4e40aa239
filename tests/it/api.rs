//! The API door: bearer tokens, roles and JSON errors.

use kundenpuls::auth::api_token;
use kundenpuls::vocab::Role;
use rocket::http::{Header, Status};

use crate::helpers::{PASSWORD, TestApp};

fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

#[rocket::async_test]
async fn the_api_needs_a_valid_bearer_token() {
    let t = TestApp::spawn().await;
    let missing = t.client.get("/api/v1/me").dispatch().await;
    assert_eq!(missing.status(), Status::Unauthorized);
    assert_eq!(
        missing.headers().get_one("WWW-Authenticate"),
        Some("Bearer")
    );
    let body: serde_json::Value = missing.into_json().await.unwrap();
    assert_eq!(body["status"], 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );

    let forged = t
        .client
        .get("/api/v1/me")
        .header(bearer("kp_not-a-real-token"))
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::Unauthorized);

    let created = api_token::create(&t.app.db, "hr-system", Role::Admin, None)
        .await
        .unwrap();
    let me = t
        .client
        .get("/api/v1/me")
        .header(bearer(&created.token))
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Ok);
    let body: serde_json::Value = me.into_json().await.unwrap();
    assert_eq!(body["name"], "hr-system");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["kind"], "token");
}

#[rocket::async_test]
async fn tokens_are_stored_only_as_hashes() {
    let t = TestApp::spawn().await;
    let created = api_token::create(&t.app.db, "script", Role::Viewer, None)
        .await
        .unwrap();
    assert_ne!(created.record.token_hash, created.token);
    assert_eq!(created.record.token_hash, api_token::hash(&created.token));
    assert_eq!(created.record.token_hash.len(), 64);
}

#[rocket::async_test]
async fn a_browser_session_does_not_open_the_api() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    let me = t.client.get("/api/v1/me").dispatch().await;
    assert_eq!(
        me.status(),
        Status::Unauthorized,
        "cookies are no API credential (no CSRF hole)"
    );
}

#[rocket::async_test]
async fn api_errors_are_json() {
    let t = TestApp::spawn().await;
    let response = t.client.get("/api/v1/does-not-exist").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["status"], 404);
}

#[rocket::async_test]
async fn the_catalog_is_readable_in_both_languages() {
    let t = TestApp::spawn().await;
    let created = api_token::create(&t.app.db, "reader", Role::Viewer, None)
        .await
        .unwrap();
    let response = t
        .client
        .get("/api/v1/questions")
        .header(bearer(&created.token))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let questions: Vec<serde_json::Value> = response.into_json().await.unwrap();
    assert_eq!(questions.len(), 26);
    let recommend = questions.iter().find(|q| q["key"] == "recommend").unwrap();
    assert_eq!(recommend["scale"], "nps11");
    assert!(recommend["text_de"].as_str().unwrap().contains("empfehlen"));
    assert!(recommend["text_en"].as_str().unwrap().contains("recommend"));
}

#[rocket::async_test]
async fn the_api_is_described_by_an_openapi_document() {
    let t = TestApp::spawn().await;
    let response = t.client.get("/api/v1/openapi.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let doc: serde_json::Value = response.into_json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/me",
        "/questions",
        "/rounds",
        "/rounds/{id}",
        "/rounds/{id}/close",
        "/rounds/{id}/cancel",
        "/schedules",
        "/schedules/{id}",
        "/employees/import",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["RoundView"].is_object());
}
