//! `/admin/employees`: search, filter and page through the employees.

use rocket::{State, get};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::org::department;
use crate::org::employees::{self, EmployeePage, EmployeeQuery, StatusFilter};
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// `templates/pages/admin_employees.html`: the filters as given, and one page of the result.
#[derive(Serialize)]
struct EmployeesPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    q: &'a str,
    department: Option<i32>,
    status: StatusFilter,
    departments: &'a [department::TreeEntry],
    result: &'a EmployeePage,
    /// The positions of the page's first and last row in the whole result, from 1.
    first: u64,
    last: u64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// Query parameters arrive as typed into the address bar, so anything unreadable falls back to
/// the default instead of failing the page.
#[get("/admin/employees?<q>&<department>&<status>&<page>")]
#[allow(clippy::too_many_arguments)]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    q: Option<&str>,
    department: Option<&str>,
    status: Option<&str>,
    page: Option<&str>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let query = EmployeeQuery {
        text: q.unwrap_or_default().trim().to_owned(),
        department_id: department.and_then(|d| d.trim().parse().ok()),
        status: status.and_then(StatusFilter::parse).unwrap_or_default(),
        page: page.and_then(|p| p.trim().parse().ok()).unwrap_or(1),
    };
    let result = employees::search(&app.db, &query).await?;
    let departments = department::tree_with_headcounts(&app.db).await?;
    let link = |page: u64| page_link(&query, page);
    Page::render(
        templates,
        "admin_employees",
        principal.locale,
        EmployeesPage {
            user: &principal,
            csrf: &csrf.0,
            nav: "employees",
            q: &query.text,
            department: query.department_id,
            status: query.status,
            departments: &departments,
            result: &result,
            first: (result.page - 1) * employees::PAGE_SIZE + 1,
            last: (result.page - 1) * employees::PAGE_SIZE + result.rows.len() as u64,
            prev_url: (result.page > 1).then(|| link(result.page - 1)),
            next_url: (result.page < result.pages).then(|| link(result.page + 1)),
        },
    )
}

/// A link to another page of the same search, keeping every filter.
fn page_link(query: &EmployeeQuery, page: u64) -> String {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("q", &query.text);
    if let Some(id) = query.department_id {
        params.append_pair("department", &id.to_string());
    }
    params.append_pair("status", query.status.as_str());
    params.append_pair("page", &page.to_string());
    format!("/admin/employees?{}", params.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let query = EmployeeQuery {
            text: "müller & co".into(),
            department_id: Some(7),
            status: StatusFilter::All,
            page: 1,
        };
        assert_eq!(
            page_link(&query, 3),
            "/admin/employees?q=m%C3%BCller+%26+co&department=7&status=all&page=3"
        );
    }
}
