//! `/admin/departments`: the department tree with its head counts.

use rocket::{State, get};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::org::{self, Headcount, department};
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// `templates/pages/admin_departments.html`.
#[derive(Serialize)]
struct DepartmentsPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    departments: &'a [department::TreeEntry],
    headcount: Headcount,
}

#[get("/admin/departments")]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let departments = department::tree_with_headcounts(&app.db).await?;
    let headcount = org::headcount(&app.db).await?;
    Page::render(
        templates,
        "admin_departments",
        principal.locale,
        DepartmentsPage {
            user: &principal,
            csrf: &csrf.0,
            nav: "departments",
            departments: &departments,
            headcount,
        },
    )
}
