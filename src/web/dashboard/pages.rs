//! `GET /dashboard`, `/dashboard/departments/<id>`, `/dashboard/rounds/<id>`.

use rocket::{State, get};
use serde::Serialize;

use super::view;
use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::report::charts::HeatmapView;
use crate::report::query::Reader;
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::StaffUser;
use crate::web::page::Page;

/// `templates/pages/dashboard.html`, `dashboard_department.html` and `dashboard_round.html`:
/// the reader's figures as [`view`] builds them for each page.
#[derive(Serialize)]
struct DashboardPage<'a, V> {
    user: &'a Principal,
    csrf: &'a str,
    view: &'a V,
}

/// The company overview, or a scoped viewer's department: the latest closed round.
#[get("/dashboard")]
pub async fn overview(
    staff: StaffUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let reader = Reader::of(&staff.principal);
    let view = view::overview(&app.reports, reader).await?;
    Page::render(
        templates,
        "dashboard",
        reader.locale,
        DashboardPage {
            user: &staff.principal,
            csrf: &csrf.0,
            view: &view,
        },
    )
}

/// One department of one round (default: the latest closed one).
#[get("/dashboard/departments/<id>?<round>")]
pub async fn department(
    id: i32,
    round: Option<i32>,
    staff: StaffUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let reader = Reader::of(&staff.principal);
    let view = view::department_page(&app.reports, reader, id, round).await?;
    Page::render(
        templates,
        "dashboard_department",
        reader.locale,
        DashboardPage {
            user: &staff.principal,
            csrf: &csrf.0,
            view: &view,
        },
    )
}

/// One round for the reader's top: every group as a tree.
#[get("/dashboard/rounds/<id>?<view>&<level>")]
pub async fn round(
    id: i32,
    view: Option<&str>,
    level: Option<usize>,
    staff: StaffUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let reader = Reader::of(&staff.principal);
    let heatmap = view::HeatmapChoice {
        view: HeatmapView::parse(view).ok_or(AppError::NotFound)?,
        level,
    };
    let view = view::round_page(&app.reports, reader, id, heatmap).await?;
    Page::render(
        templates,
        "dashboard_round",
        reader.locale,
        DashboardPage {
            user: &staff.principal,
            csrf: &csrf.0,
            view: &view,
        },
    )
}
