//! The admin area (HR): organisation, rounds, schedules, imports. Every route needs an admin.

mod departments;
mod employees;
mod import;
mod rounds;
mod schedules;
mod staff;

use rocket::{Route, State, get, routes};
use serde::Serialize;

use super::csrf::CsrfToken;
use super::guards::AdminUser;
use super::page::Page;
use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::org::{self, Headcount};
use crate::survey::catalog::{self, PillarGroup, QuestionView};
use crate::templates::Templates;

pub fn routes() -> Vec<Route> {
    routes![
        overview,
        departments::index,
        employees::index,
        rounds::index,
        rounds::create,
        rounds::show,
        rounds::update,
        rounds::close,
        rounds::cancel,
        import::form,
        import::preview,
        import::apply,
        schedules::index,
        schedules::create,
        schedules::end,
        staff::index,
        staff::change_role,
        staff::set_active,
        staff::set_password,
        staff::revoke_token,
    ]
}

/// `templates/pages/admin.html`: the organisation's size and the question catalog.
#[derive(Serialize)]
struct AdminPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    headcount: Headcount,
    pillars: &'a [PillarGroup],
    other_questions: &'a [QuestionView],
    question_count: usize,
}

#[get("/admin")]
pub async fn overview(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let locale = principal.locale;
    let headcount = org::headcount(&app.db).await?;
    let catalog = catalog::all(&app.db).await?;
    let grouped = catalog::grouped(&catalog, locale);
    Page::render(
        templates,
        "admin",
        locale,
        AdminPage {
            user: &principal,
            csrf: &csrf.0,
            nav: "admin",
            headcount,
            pillars: &grouped.pillars,
            other_questions: &grouped.other,
            question_count: catalog.len(),
        },
    )
}
