//! The list of actions as CSV for Excel: `/actions.csv` for staff (the list page's query and
//! defaults, linked from the page), and the same file for the API's token door. The writing is
//! `action::csv`'s; the rows are the store's, within the reader's scope.

use chrono::Utc;
use rocket::{State, get};

use super::pages::list_filter;
use crate::action::Who;
use crate::action::csv::{self, CsvOptions};
use crate::action::store::{self, Filter, Limits};
use crate::app::App;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::web::api::reports::CsvFile;
use crate::web::guards::StaffUser;

/// The actions `who` may see that pass `filter`, as the file to download.
pub async fn csv_file(app: &App, who: &Who, filter: &Filter, locale: Locale) -> AppResult<CsvFile> {
    let today = Limits::of(&app.settings, Utc::now()).today;
    let records = store::list(&app.db, who, filter, today).await?;
    Ok(CsvFile {
        filename: csv::filename(locale, today),
        body: csv::write(
            &records,
            CsvOptions {
                locale,
                today,
                timezone: app.settings.timezone,
            },
        ),
    })
}

#[get("/actions.csv?<department>&<status>&<owner>&<overdue>")]
pub async fn download(
    staff: StaffUser,
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
    app: &State<App>,
) -> AppResult<CsvFile> {
    let (filter, _) = list_filter(department, status, owner, overdue)?;
    let principal = &staff.principal;
    csv_file(app, &Who::from(principal), &filter, principal.locale).await
}
