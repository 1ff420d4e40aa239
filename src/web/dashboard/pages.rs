//! `GET /dashboard`, `/dashboard/departments/<id>`, `/dashboard/rounds/<id>`.

use rocket::{State, get};
use serde::Serialize;

use super::view;
use crate::action::Who;
use crate::action::store::{self, Filter};
use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::report::charts::HeatmapView;
use crate::report::query::Reader;
use crate::templates::Templates;
use crate::vocab::RoundState;
use crate::web::actions::view::{self as actions_view, ActionLine};
use crate::web::csrf::CsrfToken;
use crate::web::guards::StaffUser;
use crate::web::page::Page;

/// `templates/pages/dashboard.html`, `dashboard_department.html` and `dashboard_round.html`:
/// the reader's figures as [`view`] builds them for each page.
#[derive(Serialize)]
struct DashboardPage<'a, V> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    view: &'a V,
}

/// `templates/pages/dashboard_department.html`: the department's figures and its actions.
#[derive(Serialize)]
struct DepartmentDashboardPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    view: &'a view::DepartmentPage,
    actions: DepartmentActions,
}

/// The department's open actions, and where a new one starts.
#[derive(Serialize)]
struct DepartmentActions {
    lines: Vec<ActionLine>,
    open: u64,
    limit: u32,
    /// `None` without a closed round of the department to start from.
    create_href: Option<String>,
}

async fn department_actions(
    app: &App,
    principal: &Principal,
    page: &view::DepartmentPage,
) -> AppResult<DepartmentActions> {
    let today = chrono::Utc::now()
        .with_timezone(&app.settings.timezone)
        .date_naive();
    let filter = Filter {
        department: Some(page.department_id),
        open: true,
        ..Filter::default()
    };
    let records = store::list(&app.db, &Who::from(principal), &filter, today).await?;
    let closed = page.group.is_some() && page.state == Some(RoundState::Closed);
    Ok(DepartmentActions {
        lines: records
            .iter()
            .map(|r| actions_view::line(r, principal.locale, today))
            .collect(),
        open: store::open_in(&app.db, page.department_id).await?,
        limit: app.settings.actions_open_limit,
        create_href: page.round.as_ref().filter(|_| closed).map(|round| {
            format!(
                "/actions/new?department={}&round={}",
                page.department_id, round.id
            )
        }),
    })
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
            nav: "dashboard",
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
    let actions = department_actions(app, &staff.principal, &view).await?;
    Page::render(
        templates,
        "dashboard_department",
        reader.locale,
        DepartmentDashboardPage {
            user: &staff.principal,
            csrf: &csrf.0,
            nav: "dashboard",
            view: &view,
            actions,
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
            nav: "dashboard",
            view: &view,
        },
    )
}
