//! Staff accounts over their lifetime: sessions that end when they should (logout, deactivation,
//! a new password, new rights) even for a copied cookie, the last admin kept, API tokens listed
//! and revoked, passwords that cannot be guessed.

use kundenpuls::auth::staff::{self, AccountProblem};
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Cookie, Header, Status};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, bearer, csrf_in, form, location};

/// The session cookie as the browser holds it (encrypted), to be replayed later.
fn session_cookie(t: &TestApp) -> String {
    t.client
        .cookies()
        .get("kp_session")
        .expect("logged in")
        .value()
        .to_owned()
}

/// `path` with exactly `cookie` as the session, as a copied cookie would be sent.
async fn with_cookie(t: &TestApp, path: &str, cookie: &str) -> Status {
    t.client
        .get(path.to_owned())
        .cookie(Cookie::new("kp_session", cookie.to_owned()))
        .dispatch()
        .await
        .status()
}

async fn user_id(t: &TestApp, email: &str) -> i32 {
    staff::find_by_email(&t.app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[rocket::async_test]
async fn a_cookie_copied_before_logout_is_refused_after_it() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    let copied = session_cookie(&t);
    assert_eq!(with_cookie(&t, "/admin", &copied).await, Status::Ok);
    let html = t
        .client
        .get("/admin")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let logout = t
        .client
        .post("/logout")
        .header(ContentType::Form)
        .body(form(&[("csrf", &csrf_in(&html))]))
        .dispatch()
        .await;
    assert_eq!(logout.status(), Status::SeeOther);
    assert_eq!(
        with_cookie(&t, "/admin", &copied).await,
        Status::SeeOther,
        "the copy leads to the login"
    );
    // Logging in again gives a working session.
    t.login("hr@example.de", PASSWORD).await;
    assert_eq!(t.client.get("/admin").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_deactivated_users_open_session_is_refused_on_its_next_click() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    t.add_staff("chefin@example.de", Role::Viewer).await;
    t.login("chefin@example.de", PASSWORD).await;
    assert_eq!(
        t.client.get("/dashboard").dispatch().await.status(),
        Status::Ok
    );

    let id = user_id(&t, "chefin@example.de").await;
    staff::set_active(&t.app.db, id, false)
        .await
        .unwrap()
        .unwrap();
    let next = t.client.get("/dashboard").dispatch().await;
    assert_eq!(next.status(), Status::SeeOther);
    assert!(location(&next).starts_with("/login"), "{}", location(&next));
    assert_eq!(
        t.login("chefin@example.de", PASSWORD).await.status(),
        Status::Unauthorized,
        "and no new login"
    );

    staff::set_active(&t.app.db, id, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        t.login("chefin@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    assert_eq!(
        t.client.get("/dashboard").dispatch().await.status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn a_new_password_or_new_rights_end_the_sessions_from_before() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    t.add_staff("leitung@example.de", Role::Viewer).await;
    let id = user_id(&t, "leitung@example.de").await;

    t.login("leitung@example.de", PASSWORD).await;
    let before = session_cookie(&t);
    staff::change_role(&t.app.db, id, Role::Admin, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        with_cookie(&t, "/dashboard", &before).await,
        Status::SeeOther
    );
    t.login("leitung@example.de", PASSWORD).await;
    assert_eq!(
        t.client.get("/admin").dispatch().await.status(),
        Status::Ok,
        "the new role applies from the next login"
    );

    let before = session_cookie(&t);
    let new_password = "Tanne Fluss Kompass Wolke";
    staff::set_password(&t.app.db, id, new_password)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(with_cookie(&t, "/admin", &before).await, Status::SeeOther);
    assert_eq!(
        t.login("leitung@example.de", PASSWORD).await.status(),
        Status::Unauthorized
    );
    assert_eq!(
        t.login("leitung@example.de", new_password).await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn the_last_admin_cannot_deactivate_or_demote_themselves() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    let hr = user_id(&t, "hr@example.de").await;
    for refused in [
        staff::set_active(&t.app.db, hr, false).await.unwrap(),
        staff::change_role(&t.app.db, hr, Role::Viewer, None)
            .await
            .unwrap(),
    ] {
        let problem = refused.unwrap_err();
        assert_eq!(problem, AccountProblem::LastAdmin);
        assert!(
            problem.to_string().contains("last active admin"),
            "{problem}"
        );
    }
    // With a second admin, one of them may go; then the other is the last.
    t.add_staff("personal@example.de", Role::Admin).await;
    let second = user_id(&t, "personal@example.de").await;
    staff::set_active(&t.app.db, hr, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        staff::set_active(&t.app.db, second, false)
            .await
            .unwrap()
            .unwrap_err(),
        AccountProblem::LastAdmin
    );
    // A scope is for viewers.
    assert_eq!(
        staff::change_role(&t.app.db, second, Role::Admin, Some("Vertrieb"))
            .await
            .unwrap()
            .unwrap_err(),
        AccountProblem::ScopeForAdmin
    );
}

#[rocket::async_test]
async fn a_revoked_token_is_refused_on_its_next_request() {
    let t = TestApp::spawn().await;
    let admin = t.token(Role::Admin).await;
    let export = kundenpuls::auth::api_token::create(&t.app.db, "bi-export", Role::Viewer, None)
        .await
        .unwrap();
    let me = |token: String| {
        let client = &t.client;
        async move {
            client
                .get("/api/v1/me")
                .header(bearer(&token))
                .dispatch()
                .await
                .status()
        }
    };
    assert_eq!(me(export.token.clone()).await, Status::Ok);

    let listed: Value = t
        .client
        .get("/api/v1/tokens")
        .header(bearer(&admin))
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "bi-export")
        .expect("listed")
        .clone();
    assert_eq!(row["role"], "viewer");
    assert!(row["last_used_at"].is_string(), "used a moment ago: {row}");
    assert!(row["revoked_at"].is_null());
    assert!(
        !listed.to_string().contains(&export.token),
        "the token itself is never shown again"
    );

    let viewer_tries = t
        .client
        .delete(format!("/api/v1/tokens/{}", export.record.id))
        .header(bearer(&export.token))
        .dispatch()
        .await;
    assert_eq!(viewer_tries.status(), Status::Forbidden);

    let revoked = t
        .client
        .delete(format!("/api/v1/tokens/{}", export.record.id))
        .header(bearer(&admin))
        .dispatch()
        .await;
    assert_eq!(revoked.status(), Status::Ok);
    let revoked: Value = revoked.into_json().await.unwrap();
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(me(export.token.clone()).await, Status::Unauthorized);
    assert_eq!(me(admin.clone()).await, Status::Ok, "others keep working");

    let missing = t
        .client
        .delete("/api/v1/tokens/999999")
        .header(bearer(&admin))
        .dispatch()
        .await;
    assert_eq!(missing.status(), Status::NotFound);
    // A token presented with something appended is another token.
    let appended = t
        .client
        .get("/api/v1/me")
        .header(Header::new("Authorization", format!("Bearer {admin}x")))
        .dispatch()
        .await;
    assert_eq!(appended.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn passwords_that_are_short_common_or_the_email_are_refused() {
    let t = TestApp::spawn().await;
    for (password, says) in [
        ("Sommer2026!", "password_too_short"),
        ("passwort1234", "password_too_guessable"),
        ("anna.schmidt@example.de", "password_too_guessable"),
    ] {
        let err = staff::add(
            &t.app.db,
            staff::NewStaffUser {
                email: "anna.schmidt@example.de",
                password,
                role: Role::Viewer,
                department: None,
                locale: kundenpuls::i18n::Locale::De,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.problem().map(|p| p.key()),
            Some(says),
            "{password}: {err}"
        );
    }
}

async fn page_as(t: &TestApp, path: &str) -> (Status, String) {
    let response = t.client.get(path.to_owned()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

async fn post_form(t: &TestApp, path: &str, fields: &[(&str, &str)]) -> (Status, String, String) {
    let response = t
        .client
        .post(path.to_owned())
        .header(ContentType::Form)
        .body(form(fields))
        .dispatch()
        .await;
    let status = response.status();
    let to = response
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_owned();
    (status, to, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn hr_manages_access_on_the_staff_page() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    t.add_staff("chefin@example.de", Role::Viewer).await;
    kundenpuls::auth::api_token::create(&t.app.db, "lohnsystem", Role::Admin, None)
        .await
        .unwrap();
    t.login("hr@example.de", PASSWORD).await;
    let (status, html) = page_as(&t, "/admin/staff").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("<h1>Zugänge</h1>"), "{html}");
    assert!(html.contains("chefin@example.de") && html.contains("Ergebnisse lesen"));
    assert!(
        html.contains("Letzte Anmeldung: nie"),
        "the viewer never logged in"
    );
    assert!(html.contains("lohnsystem") && html.contains("Widerrufen"));
    let csrf = csrf_in(&html);

    // The last admin deactivating themselves is told why not, in German.
    let hr = user_id(&t, "hr@example.de").await;
    let (status, _, html) = post_form(
        &t,
        &format!("/admin/staff/{hr}/active"),
        &[("csrf", &csrf), ("active", "false")],
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("letzte aktive Verwaltungszugang"), "{html}");

    let chefin = user_id(&t, "chefin@example.de").await;
    let (status, to, _) = post_form(
        &t,
        &format!("/admin/staff/{chefin}/active"),
        &[("csrf", &csrf), ("active", "false")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (Status::SeeOther, "/admin/staff?done=deactivated")
    );
    let (_, html) = page_as(&t, "/admin/staff?done=deactivated").await;
    assert!(html.contains("Der Zugang ist deaktiviert"), "{html}");
    assert!(html.contains("Wieder aktivieren"));

    // A weak password is refused with the reason; a good one is set.
    let (status, _, html) = post_form(
        &t,
        &format!("/admin/staff/{chefin}/password"),
        &[("csrf", &csrf), ("password", "passwort1234")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("zu leicht zu erraten"), "{html}");
    let (status, _, _) = post_form(
        &t,
        &format!("/admin/staff/{chefin}/role"),
        &[
            ("csrf", &csrf),
            ("role", "viewer"),
            ("department", "Gibt es nicht"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);

    let token = kundenpuls::auth::api_token::list(&t.app.db).await.unwrap()[0].id;
    let (status, to, _) = post_form(
        &t,
        &format!("/admin/tokens/{token}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (Status::SeeOther, "/admin/staff?done=revoked")
    );
    let (_, html) = page_as(&t, "/admin/staff").await;
    assert!(html.contains("widerrufen am"), "{html}");
}

#[rocket::async_test]
async fn a_viewer_may_not_open_the_staff_page_but_changes_their_own_password() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    t.add_staff("chefin@example.de", Role::Viewer).await;
    t.login("chefin@example.de", PASSWORD).await;
    assert_eq!(page_as(&t, "/admin/staff").await.0, Status::Forbidden);

    let (status, html) = page_as(&t, "/account").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Passwort ändern"), "{html}");
    let csrf = csrf_in(&html);
    let copied = session_cookie(&t);

    let (status, _, html) = post_form(
        &t,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", "falsch-falsch-falsch"),
            ("password", "Tanne Fluss Kompass Wolke"),
            ("repeat", "Tanne Fluss Kompass Wolke"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("Das bisherige Passwort stimmt nicht."),
        "{html}"
    );
    let (status, _, html) = post_form(
        &t,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("password", "Tanne Fluss Kompass Wolke"),
            ("repeat", "Tanne Fluss Kompass Wolken"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("stimmen nicht überein"), "{html}");

    let (status, to, _) = post_form(
        &t,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("password", "Tanne Fluss Kompass Wolke"),
            ("repeat", "Tanne Fluss Kompass Wolke"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (Status::SeeOther, "/account?done=true")
    );
    let (status, html) = page_as(&t, "/account?done=true").await;
    assert_eq!(status, Status::Ok, "this browser stays logged in");
    assert!(html.contains("Ihr neues Passwort gilt"));
    assert_eq!(
        with_cookie(&t, "/dashboard", &copied).await,
        Status::SeeOther,
        "the session from before the change (another device) has ended"
    );
}
