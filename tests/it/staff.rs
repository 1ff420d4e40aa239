//! Staff access as HR and leadership meet it: login, logout, roles, CSRF, throttling, headers.

use kundenpuls::vocab::Role;
use rocket::figment::value::Value;
use rocket::http::{ContentType, Status};

use crate::helpers::{PASSWORD, TestApp, csrf_in, form, location};

#[rocket::async_test]
async fn an_admin_logs_in_reaches_the_admin_area_and_logs_out() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;

    let anonymous = t.client.get("/admin").dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert_eq!(location(&anonymous), "/login?next=%2Fadmin");

    let login = t.login("HR@example.de", PASSWORD).await;
    assert_eq!(
        login.status(),
        Status::SeeOther,
        "e-mail compares case-insensitively"
    );
    assert_eq!(location(&login), "/admin");

    let admin = t.client.get("/admin").dispatch().await;
    assert_eq!(admin.status(), Status::Ok);
    let html = admin.into_string().await.unwrap();
    assert!(html.contains("<h1>Verwaltung</h1>"), "{html}");
    assert!(html.contains("Angemeldet als hr@example.de"));
    assert!(
        html.contains("Mitarbeiterliste importieren"),
        "an empty company is led to the import"
    );
    let questions = t.client.get("/admin/questions").dispatch().await;
    let catalog = questions.into_string().await.unwrap();
    assert!(
        catalog.contains("Fragenkatalog (26)"),
        "the seeded catalog is listed"
    );
    assert!(catalog.contains("cf_goals_customer_value"));

    let csrf = csrf_in(&html);
    let logout = t
        .client
        .post("/logout")
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf)]))
        .dispatch()
        .await;
    assert_eq!(logout.status(), Status::SeeOther);
    assert_eq!(location(&logout), "/login");
    let after = t.client.get("/admin").dispatch().await;
    assert_eq!(
        after.status(),
        Status::SeeOther,
        "logged out: back to the login"
    );
}

#[rocket::async_test]
async fn a_login_form_posted_without_or_with_a_wrong_csrf_token_is_refused() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;

    for body in [
        form(&[("email", "hr@example.de"), ("password", PASSWORD)]),
        form(&[
            ("csrf", "forged"),
            ("email", "hr@example.de"),
            ("password", PASSWORD),
        ]),
    ] {
        let response = t
            .client
            .post("/login")
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Forbidden);
        assert!(response.cookies().get_private("kp_session").is_none());
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("Formular konnte nicht angenommen werden"),
            "{html}"
        );
    }
    let admin = t.client.get("/admin").dispatch().await;
    assert_eq!(admin.status(), Status::SeeOther, "no session was started");
}

#[rocket::async_test]
async fn logout_without_the_csrf_token_does_not_log_out() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );

    let forged = t
        .client
        .post("/logout")
        .header(ContentType::Form)
        .body("")
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::Forbidden);
    assert_eq!(t.client.get("/admin").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_wrong_password_shows_the_form_again_with_the_email_kept() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    let response = t.login("hr@example.de", "falsches-passwort").await;
    assert_eq!(response.status(), Status::Unauthorized);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("E-Mail-Adresse oder Passwort stimmen nicht."));
    assert!(html.contains("value=\"hr@example.de\""));

    let unknown = t.login("nobody@example.de", PASSWORD).await;
    assert_eq!(
        unknown.status(),
        Status::Unauthorized,
        "same answer for unknown e-mails"
    );
}

#[rocket::async_test]
async fn a_viewer_lands_on_the_results_and_may_not_enter_the_admin_area() {
    let t = TestApp::spawn().await;
    t.add_staff("chefin@example.de", Role::Viewer).await;
    let login = t.login("chefin@example.de", PASSWORD).await;
    assert_eq!(location(&login), "/dashboard");

    let dashboard = t.client.get("/dashboard").dispatch().await;
    assert_eq!(dashboard.status(), Status::Ok);
    let html = dashboard.into_string().await.unwrap();
    assert!(html.contains("Gesamtes Unternehmen"));
    assert!(html.contains("weniger als 5 Antworten"));
    assert!(
        !html.contains("href=\"/admin\""),
        "no admin link for viewers"
    );

    let admin = t.client.get("/admin").dispatch().await;
    assert_eq!(admin.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn login_redirects_only_to_local_paths() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    // A tab or a line break is dropped by browsers: "/\t/evil" would become "//evil".
    for next in [
        "//evil.example/phish",
        "/\t/evil.example",
        "/\r\n/evil.example",
    ] {
        let page = t
            .client
            .get(format!(
                "/login?next={}",
                next.replace('\t', "%09").replace("\r\n", "%0D%0A")
            ))
            .dispatch()
            .await;
        assert_eq!(page.status(), Status::Ok, "{next:?}");
        assert!(!page.into_string().await.unwrap().contains("evil.example"));
        let csrf = t.csrf().await;
        let response = t
            .client
            .post("/login")
            .header(ContentType::Form)
            .body(form(&[
                ("csrf", &csrf),
                ("email", "hr@example.de"),
                ("password", PASSWORD),
                ("next", next),
            ]))
            .dispatch()
            .await;
        assert_eq!(location(&response), "/admin", "{next:?}");
    }
}

/// One login attempt from `peer`, which says it forwards for `forwarded_for`.
async fn login_via(
    t: &TestApp,
    peer: &str,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> Status {
    let csrf = t.csrf().await;
    t.client
        .post("/login")
        .remote(peer.parse().unwrap())
        .header(rocket::http::Header::new(
            "X-Forwarded-For",
            forwarded_for.to_owned(),
        ))
        .header(ContentType::Form)
        .body(form(&[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
        ]))
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn behind_the_companys_proxy_one_clients_storm_locks_out_nobody_else() {
    let t = TestApp::spawn_with(&[
        ("rate_limit_login_per_minute", Value::from(3u32)),
        ("trusted_proxies", Value::from("10.0.0.0/8")),
    ])
    .await;
    t.add_staff("hr@example.de", Role::Admin).await;
    // Every login reaches the service through the proxy 10.0.0.1; one client guesses away.
    let mut refused = 0;
    for n in 0..20 {
        let status = login_via(
            &t,
            "10.0.0.1:40000",
            "198.51.100.66",
            &format!("guess{n}@example.de"),
            "wrong-password-1",
        )
        .await;
        if status == Status::TooManyRequests {
            refused += 1;
        }
    }
    assert_eq!(refused, 17, "the guessing client is held at 3 a minute");
    // A colleague behind the same proxy logs in at once.
    assert_eq!(
        login_via(
            &t,
            "10.0.0.1:40001",
            "198.51.100.7",
            "hr@example.de",
            PASSWORD
        )
        .await,
        Status::SeeOther
    );
    // A client that reaches the service directly cannot pick its address by the header.
    for n in 0..3 {
        login_via(
            &t,
            "203.0.113.9:5000",
            &format!("192.0.2.{n}"),
            &format!("direct{n}@example.de"),
            "wrong-password-1",
        )
        .await;
    }
    assert_eq!(
        login_via(
            &t,
            "203.0.113.9:5000",
            "192.0.2.200",
            "direct9@example.de",
            "wrong-password-1"
        )
        .await,
        Status::TooManyRequests
    );
}

#[rocket::async_test]
async fn login_attempts_beyond_the_limit_are_throttled() {
    let t = TestApp::spawn_with(&[("rate_limit_login_per_minute", Value::from(3u32))]).await;
    t.add_staff("hr@example.de", Role::Admin).await;
    for _ in 0..3 {
        assert_eq!(
            t.login("hr@example.de", "wrong-password").await.status(),
            Status::Unauthorized
        );
    }
    let throttled = t.login("hr@example.de", PASSWORD).await;
    assert_eq!(
        throttled.status(),
        Status::TooManyRequests,
        "even the right password waits"
    );
    assert!(
        throttled
            .into_string()
            .await
            .unwrap()
            .contains("Zu viele Versuche")
    );
}

#[rocket::async_test]
async fn pages_carry_security_headers_and_are_not_cached() {
    let t = TestApp::spawn().await;
    let page = t.client.get("/login").dispatch().await;
    let headers = page.headers();
    let csp = headers.get_one("Content-Security-Policy").expect("CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers.get_one("X-Frame-Options"), Some("DENY"));
    assert_eq!(headers.get_one("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(headers.get_one("Referrer-Policy"), Some("no-referrer"));
    assert_eq!(headers.get_one("Cache-Control"), Some("no-store"));

    let css = t.client.get("/static/app.css").dispatch().await;
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(ContentType::CSS));
}

#[rocket::async_test]
async fn the_session_cookie_is_private_http_only_and_same_site() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    let login = t.login("hr@example.de", PASSWORD).await;
    let set_cookie: Vec<&str> = login.headers().get("Set-Cookie").collect();
    let session = set_cookie
        .iter()
        .find(|cookie| cookie.starts_with("kp_session="))
        .expect("session cookie set");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        !session.contains("user_id"),
        "the value is encrypted: {session}"
    );
}

#[rocket::async_test]
async fn unknown_pages_get_a_friendly_404_page() {
    let t = TestApp::spawn().await;
    let response = t.client.get("/gibt-es-nicht").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("Diese Seite gibt es nicht.")
    );
}

#[rocket::async_test]
async fn health_checks_the_database_without_a_login() {
    let t = TestApp::spawn().await;
    let response = t.client.get("/health").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}
