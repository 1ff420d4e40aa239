//! Staff pages: login, logout, and the landing pages of admins (HR) and viewers (leadership).

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{State, get, post, uri};
use serde::Serialize;

use super::client::ClientAddress;
use super::csrf::{CsrfForm, CsrfToken, NoFields};
use super::guards::StaffUser;
use super::page::Page;
use super::session;
use crate::app::App;
use crate::auth::staff;
use crate::auth::throttle::LoginThrottle;
use crate::error::AppResult;
use crate::i18n::{self, Locale};
use crate::templates::Templates;
use crate::vocab::Role;

#[derive(FromForm)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Where to go after login: only a path on this site, never another host. Only visible ASCII
/// passes: browsers drop tabs and line breaks from a location, so `/\t/evil.example` would
/// become `//evil.example`, and Rocket cannot build a redirect to such a path at all.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|next| {
        next.starts_with('/')
            && !next.starts_with("//")
            && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
            && rocket::http::uri::Origin::parse(next).is_ok()
    })
}

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin",
        Role::Viewer => "/dashboard",
    }
}

#[get("/")]
pub fn home(user: Option<StaffUser>) -> Redirect {
    match user {
        Some(user) => Redirect::to(home_of(user.principal.role)),
        None => Redirect::to(uri!(login_page(next = Option::<String>::None))),
    }
}

#[get("/login?<next>")]
pub fn login_page(
    next: Option<String>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    login_form(
        templates,
        app.settings.default_locale,
        &csrf,
        "",
        safe_next(next.as_deref()),
        None,
    )
}

/// `templates/pages/login.html`.
#[derive(Serialize)]
struct LoginPage<'a> {
    /// `null`: nobody is signed in yet, so the layout shows no navigation.
    user: (),
    csrf: &'a str,
    email: &'a str,
    next: Option<&'a str>,
    error: Option<&'a str>,
}

fn login_form(
    templates: &Templates,
    locale: Locale,
    csrf: &CsrfToken,
    email: &str,
    next: Option<&str>,
    error: Option<&str>,
) -> AppResult<Page> {
    Page::render(
        templates,
        "login",
        locale,
        LoginPage {
            user: (),
            csrf: &csrf.0,
            email,
            next,
            error,
        },
    )
}

#[post("/login", data = "<form>")]
pub async fn login(
    form: CsrfForm<LoginForm>,
    client: ClientAddress,
    csrf: CsrfToken,
    jar: &CookieJar<'_>,
    app: &State<App>,
    templates: &State<Templates>,
    throttle: &State<LoginThrottle>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let locale = app.settings.default_locale;
    let next = safe_next(form.next.as_deref());
    if !throttle.attempt(client.0, &form.email) {
        tracing::warn!("login throttled");
        let page = login_form(
            templates,
            locale,
            &csrf,
            &form.email,
            next,
            Some(i18n::text(locale, "error_429")),
        )?;
        return Ok(Err(page.with_status(Status::TooManyRequests)));
    }
    match staff::authenticate(&app.db, &form.email, &form.password).await? {
        Some(user) => {
            session::start(jar, &user, app.settings.uses_https());
            let role = user.role;
            tracing::info!(user_id = user.id, "staff login");
            Ok(Ok(Redirect::to(next.unwrap_or(home_of(role)).to_owned())))
        }
        None => {
            tracing::info!("failed staff login");
            let page = login_form(
                templates,
                locale,
                &csrf,
                &form.email,
                next,
                Some(i18n::text(locale, "login_failed")),
            )?;
            Ok(Err(page.with_status(Status::Unauthorized)))
        }
    }
}

/// Logging out changes state, so it is a POST with the CSRF token like every other form.
/// Ends the session for good: the account's session version moves on, so a copy of the cookie
/// (a shared computer, a proxy's log) is refused too. The account's sessions on other devices
/// end with it.
#[post("/logout", data = "<form>")]
pub async fn logout(
    form: CsrfForm<NoFields>,
    user: Option<StaffUser>,
    jar: &CookieJar<'_>,
    app: &State<App>,
) -> AppResult<Redirect> {
    let CsrfForm(NoFields) = form;
    if let Some(user) = user {
        staff::end_sessions(&app.db, user.user.id).await?;
    }
    session::end(jar);
    Ok(Redirect::to(uri!(login_page(
        next = Option::<String>::None
    ))))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin")), Some("/admin"));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("/\t/evil.example")), None);
        assert_eq!(safe_next(Some("/\n/evil.example")), None);
        assert_eq!(safe_next(Some("/ /x")), None);
        assert_eq!(
            safe_next(Some("/dashboard/rounds/3?round=2")),
            Some("/dashboard/rounds/3?round=2")
        );
        assert_eq!(safe_next(None), None);
    }
}
