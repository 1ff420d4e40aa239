//! `/admin/staff`: the staff accounts (role, scope, state, last login) with their changes, and
//! the API tokens with their revocation. Every change answers with the page again, saying what
//! happened or, in HR's language, why not.

use chrono::{DateTime, Utc};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{State, get, post};
use serde::Serialize;

use crate::app::App;
use crate::auth::staff::{self, AccountProblem};
use crate::auth::{Principal, api_token};
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::org::department;
use crate::problem::Problem;
use crate::templates::Templates;
use crate::vocab::Role;
use crate::web::csrf::{CsrfForm, CsrfToken, NoFields};
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// What the last change did, shown above the lists after the redirect.
const DONE: [&str; 5] = ["role", "deactivated", "reactivated", "password", "revoked"];

/// `templates/pages/admin_staff.html`.
#[derive(Serialize)]
struct StaffPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    accounts: Vec<AccountView<'a>>,
    tokens: Vec<TokenView<'a>>,
    /// The paths a viewer can be limited to.
    departments: Vec<String>,
    done: Option<&'a str>,
    error: Option<&'a str>,
}

/// A staff account; the page writes its times in the reader's style.
#[derive(Serialize)]
struct AccountView<'a> {
    id: i32,
    email: &'a str,
    role: Role,
    department: Option<&'a str>,
    active: bool,
    last_login: Option<DateTime<Utc>>,
    is_me: bool,
}

/// An API token; the page writes its times in the reader's style.
#[derive(Serialize)]
struct TokenView<'a> {
    id: i32,
    name: &'a str,
    role: Role,
    department: Option<&'a str>,
    created: DateTime<Utc>,
    last_used: Option<DateTime<Utc>>,
    revoked: Option<DateTime<Utc>>,
}

async fn page(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    done: Option<&str>,
    error: Option<&str>,
) -> AppResult<Page> {
    let accounts = staff::list(&app.db).await?;
    let tokens = api_token::list(&app.db).await?;
    let departments: Vec<String> = department::tree_with_headcounts(&app.db)
        .await?
        .into_iter()
        .filter(|entry| !entry.retired)
        .map(|entry| entry.path)
        .collect();
    let accounts = accounts
        .iter()
        .map(|a| AccountView {
            id: a.id,
            email: &a.email,
            role: a.role,
            department: a.department.as_deref(),
            active: a.active,
            last_login: a.last_login_at,
            is_me: a.email == principal.name,
        })
        .collect();
    let tokens = tokens
        .iter()
        .map(|token| TokenView {
            id: token.id,
            name: &token.name,
            role: token.role,
            department: token.department.as_deref(),
            created: token.created_at,
            last_used: token.last_used_at,
            revoked: token.revoked_at,
        })
        .collect();
    Page::render(
        templates,
        "admin_staff",
        principal.locale,
        StaffPage {
            user: principal,
            csrf: &csrf.0,
            nav: "staff",
            accounts,
            tokens,
            departments,
            done: done.filter(|d| DONE.contains(d)),
            error,
        },
    )
}

#[get("/admin/staff?<done>")]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    done: Option<&str>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    page(app, templates, &admin.0.principal, &csrf, done, None).await
}

/// The page again with the reason a change was refused, in the admin's language.
async fn refused(
    app: &App,
    templates: &Templates,
    admin: &AdminUser,
    csrf: &CsrfToken,
    problem: AccountProblem,
) -> AppResult<Page> {
    let locale = admin.0.principal.locale;
    let message = i18n::problem(locale, &problem.problem());
    let status = match problem {
        AccountProblem::LastAdmin => Status::Conflict,
        _ => Status::UnprocessableEntity,
    };
    Ok(page(
        app,
        templates,
        &admin.0.principal,
        csrf,
        None,
        Some(&message),
    )
    .await?
    .with_status(status))
}

/// After a change: the list, or the login when the admin changed their own account (their
/// session has ended with it).
fn after(admin: &AdminUser, id: i32, done: &str) -> Redirect {
    if admin.0.user.id == id {
        Redirect::to(format!("/login?next=%2Fadmin%2Fstaff%3Fdone%3D{done}"))
    } else {
        Redirect::to(format!("/admin/staff?done={done}"))
    }
}

#[derive(Debug, FromForm)]
pub struct RoleForm {
    role: String,
    /// A department path; empty: the whole company.
    #[field(default = String::new())]
    department: String,
}

#[post("/admin/staff/<id>/role", data = "<form>")]
pub async fn change_role(
    admin: AdminUser,
    id: i32,
    form: CsrfForm<RoleForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let role: Role = form
        .role
        .parse()
        .map_err(|err: crate::vocab::UnknownWord| {
            AppError::BadRequest(Problem::new("problem_unknown_role").arg("role", err.value))
        })?;
    let department = Some(form.department.as_str()).filter(|d| !d.trim().is_empty());
    match staff::change_role(&app.db, id, role, department).await? {
        Ok(_) => Ok(Ok(after(&admin, id, "role"))),
        Err(problem) => Ok(Err(refused(app, templates, &admin, &csrf, problem).await?)),
    }
}

#[derive(Debug, FromForm)]
pub struct ActiveForm {
    active: bool,
}

#[post("/admin/staff/<id>/active", data = "<form>")]
pub async fn set_active(
    admin: AdminUser,
    id: i32,
    form: CsrfForm<ActiveForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let active = form.into_inner().active;
    match staff::set_active(&app.db, id, active).await? {
        Ok(_) => Ok(Ok(after(
            &admin,
            id,
            if active { "reactivated" } else { "deactivated" },
        ))),
        Err(problem) => Ok(Err(refused(app, templates, &admin, &csrf, problem).await?)),
    }
}

#[derive(Debug, FromForm)]
pub struct PasswordForm {
    password: String,
}

#[post("/admin/staff/<id>/password", data = "<form>")]
pub async fn set_password(
    admin: AdminUser,
    id: i32,
    form: CsrfForm<PasswordForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let password = form.into_inner().password;
    match staff::set_password(&app.db, id, &password).await? {
        Ok(_) => Ok(Ok(after(&admin, id, "password"))),
        Err(problem) => Ok(Err(refused(app, templates, &admin, &csrf, problem).await?)),
    }
}

#[post("/admin/tokens/<id>/revoke", data = "<form>")]
pub async fn revoke_token(
    _admin: AdminUser,
    id: i32,
    form: CsrfForm<NoFields>,
    app: &State<App>,
) -> AppResult<Redirect> {
    let CsrfForm(NoFields) = form;
    api_token::revoke(&app.db, id).await?;
    Ok(Redirect::to("/admin/staff?done=revoked"))
}
