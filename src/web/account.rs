//! `/account`: every staff member's own account; for now, changing the password. The other
//! sessions of the account end with the change; this one goes on with a new cookie.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::{State, get, post};
use serde::Serialize;

use super::csrf::{CsrfForm, CsrfToken};
use super::guards::StaffUser;
use super::page::Page;
use super::session;
use crate::app::App;
use crate::auth::Principal;
use crate::auth::staff::{self, AccountProblem};
use crate::error::AppResult;
use crate::i18n;
use crate::templates::Templates;

/// `templates/pages/account.html`.
#[derive(Serialize)]
struct AccountPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    done: bool,
    error: Option<&'a str>,
}

fn render(
    templates: &Templates,
    user: &StaffUser,
    csrf: &CsrfToken,
    done: bool,
    error: Option<&str>,
) -> AppResult<Page> {
    Page::render(
        templates,
        "account",
        user.principal.locale,
        AccountPage {
            user: &user.principal,
            csrf: &csrf.0,
            nav: "account",
            done,
            error,
        },
    )
}

#[get("/account?<done>")]
pub fn page(
    user: StaffUser,
    csrf: CsrfToken,
    done: Option<bool>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    render(templates, &user, &csrf, done.unwrap_or(false), None)
}

#[derive(Debug, FromForm)]
pub struct NewPasswordForm {
    current: String,
    password: String,
    repeat: String,
}

#[post("/account/password", data = "<form>")]
pub async fn change_password(
    user: StaffUser,
    form: CsrfForm<NewPasswordForm>,
    csrf: CsrfToken,
    jar: &CookieJar<'_>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<rocket::response::Redirect, Page>> {
    let form = form.into_inner();
    let locale = user.principal.locale;
    let problem = if !staff::check_password(&user.user, &form.current).await? {
        Some(AccountProblem::WrongCurrentPassword)
    } else if form.password != form.repeat {
        Some(AccountProblem::PasswordsDiffer)
    } else {
        match staff::set_password(&app.db, user.user.id, &form.password).await? {
            Ok(changed) => {
                // This browser goes on with the new version; every other session has ended.
                session::start(jar, &changed, app.settings.uses_https());
                return Ok(Ok(rocket::response::Redirect::to("/account?done=true")));
            }
            Err(problem) => Some(problem),
        }
    };
    let message = problem.map(|p| i18n::problem(locale, &p.problem()));
    let page = render(templates, &user, &csrf, false, message.as_deref())?;
    Ok(Err(page.with_status(Status::UnprocessableEntity)))
}
