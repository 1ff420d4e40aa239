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

/// What a generated client meets where the document ends: problem details for every error,
/// 405 with `Allow` for an undeclared method, 404 for an id no resource can have, 400 for a
/// query or body it cannot read, in the caller's language.
#[rocket::async_test]
async fn the_api_answers_as_its_document_says_where_requests_go_wrong() {
    let t = TestApp::spawn().await;
    let token = api_token::create(&t.app.db, "client", Role::Admin, None)
        .await
        .unwrap()
        .token;
    let problem_json = rocket::http::ContentType::new("application", "problem+json");

    // TRACE is declared for no path. (QUERY, a method Rocket does not know, cannot be sent by
    // the local client; schemathesis sends it in tests/api/run.)
    let response = t
        .client
        .req(rocket::http::Method::Trace, "/api/v1/rounds")
        .header(bearer(&token))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(response.headers().get_one("Allow"), Some("GET, HEAD, POST"));
    assert_eq!(response.content_type(), Some(problem_json.clone()));
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Method Not Allowed");
    assert_eq!(body["status"], 405);
    let closing = t
        .client
        .get("/api/v1/rounds/1/close")
        .header(bearer(&token))
        .dispatch()
        .await;
    assert_eq!(closing.status(), Status::MethodNotAllowed);
    assert_eq!(closing.headers().get_one("Allow"), Some("POST"));

    // Ids beyond 32 bits name nothing that can exist.
    for path in ["/api/v1/rounds/99999999999", "/api/v1/rounds/1x/results"] {
        let response = t.client.get(path).header(bearer(&token)).dispatch().await;
        assert_eq!(response.status(), Status::NotFound, "{path}");
        assert_eq!(response.content_type(), Some(problem_json.clone()));
    }

    // A body that is not JSON, or none at all: 400, not "not found".
    let no_body = t
        .client
        .post("/api/v1/rounds")
        .header(bearer(&token))
        .dispatch()
        .await;
    assert_eq!(no_body.status(), Status::BadRequest);
    let broken = t
        .client
        .post("/api/v1/rounds")
        .header(bearer(&token))
        .header(rocket::http::ContentType::JSON)
        .body("{\"title\": ")
        .dispatch()
        .await;
    assert_eq!(broken.status(), Status::BadRequest);

    // A query the document does not allow, said in the caller's language.
    let twice = t
        .client
        .get("/api/v1/actions?owner=1&owner=2")
        .header(bearer(&token))
        .header(Header::new("Accept-Language", "de"))
        .dispatch()
        .await;
    assert_eq!(twice.status(), Status::BadRequest);
    let body: serde_json::Value = twice.into_json().await.unwrap();
    assert_eq!(
        body["detail"],
        "Der Parameter „owner“ ist mehrfach angegeben; er darf nur einmal vorkommen."
    );
    for (query, detail) in [
        (
            "/api/v1/actions?owner=2147483648",
            "“owner=2147483648”: a whole number (32 bit) is expected.",
        ),
        (
            "/api/v1/actions?overdue=null",
            "“overdue=null”: true or false is expected.",
        ),
        (
            "/api/v1/rounds/1/results?lang=fr",
            "“lang=fr”: one of de, en is expected.",
        ),
    ] {
        let response = t
            .client
            .get(query)
            .header(bearer(&token))
            .header(Header::new("Accept-Language", "en"))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::BadRequest, "{query}");
        let body: serde_json::Value = response.into_json().await.unwrap();
        assert_eq!(body["detail"], detail);
    }

    // 8.0 is the whole number 8 in JSON: a JavaScript client's round is taken.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let round = serde_json::json!({
        "title": "Puls aus einem Skript",
        "opens_at": (now + chrono::Duration::days(1)).format("%Y-%m-%d %H:%M").to_string(),
        "closes_at": (now + chrono::Duration::days(8)).format("%Y-%m-%d %H:%M").to_string(),
        "pulse_size": 8.0,
    });
    crate::helpers::seed_org(&t.app.db, &["Vertrieb"], 5).await;
    let created = t
        .client
        .post("/api/v1/rounds")
        .header(bearer(&token))
        .header(rocket::http::ContentType::JSON)
        .body(round.to_string())
        .dispatch()
        .await;
    assert_eq!(created.status(), Status::Created);
    let half = t
        .client
        .post("/api/v1/rounds")
        .header(bearer(&token))
        .header(rocket::http::ContentType::JSON)
        .body({
            let mut half = round.clone();
            half["pulse_size"] = serde_json::json!(8.5);
            half.to_string()
        })
        .dispatch()
        .await;
    assert_eq!(half.status(), Status::BadRequest);
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
