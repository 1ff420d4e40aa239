//! `/admin/departments`: the department tree with its head counts.

use rocket::serde::json::json;
use rocket::{State, get};

use crate::app::App;
use crate::error::AppResult;
use crate::org::{self, department};
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::AdminUser;
use crate::web::page::Page;

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
        json!({
            "user": principal,
            "csrf": csrf.0,
            "nav": "departments",
            "departments": departments,
            "headcount": headcount,
        }),
    )
}
