//! `/api/v1/schedules`: recurring rounds.

use chrono::Utc;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, delete, get, post};
use serde::Deserialize;

use super::error::ApiError;
use crate::app::App;
use crate::error::AppResult;
use crate::i18n;
use crate::survey::cadence::Cadence;
use crate::survey::schedule::{self, ScheduleDraft, ScheduleView};
use crate::web::guards::{ApiAdmin, ApiCaller};
use crate::web::request::AcceptLanguage;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Blanks at either end are dropped; what remains is 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// `{"kind":"weekly","every_weeks":4,"weekday":"mon","time":"09:00","start":"2027-01-04"}`,
    /// `{"kind":"monthly","ordinal":"first","weekday":"mon","time":"09:00"}` or
    /// `{"kind":"cron","expression":"0 9 * * MON"}`.
    pub cadence: Cadence,
    /// How long each round stays open: "14d", "2w", "36h", "90m".
    #[schema(pattern = r"^\s*[0-9]{1,6}\s*(w|d|h|m|min)\s*$", example = "14d")]
    pub duration: String,
    /// Department paths ("Vertrieb / Nord"); none is the whole company.
    #[serde(default)]
    pub departments: Vec<String>,
    /// Questions per round; at least as many as the catalogue's pillars need.
    #[schema(minimum = 1, maximum = 30)]
    #[serde(default, deserialize_with = "crate::whole_number::optional_whole")]
    pub pulse_size: Option<usize>,
    /// An IANA time zone ("Europe/Berlin"); the company's when not given.
    #[schema(example = "Europe/Berlin")]
    pub timezone: Option<String>,
}

/// Active schedules with their next three opening times.
#[utoipa::path(operation_id = "list_schedules", tag = "schedules", responses((status = 200, body = Vec<ScheduleView>), (status = 401, description = "No valid bearer token", body = ApiError)))]
#[get("/schedules")]
pub async fn list(caller: ApiCaller, app: &State<App>) -> AppResult<Json<Vec<ScheduleView>>> {
    let mut schedules = schedule::list(&app.db, caller.0.locale, Utc::now()).await?;
    // A department-scoped viewer sees the schedules that reach its part of the company.
    if let Some(scope) = caller.0.department_id {
        let all = crate::org::department::all(&app.db).await?;
        let scope = all
            .iter()
            .find(|d| d.id == scope)
            .map(|d| d.path.clone())
            .unwrap_or_default();
        schedules.retain(|s| {
            s.departments.is_empty()
                || s.departments
                    .iter()
                    .any(|target| crate::org::department::on_one_branch(target, &scope))
        });
    }
    Ok(Json(schedules))
}

/// Creates a schedule; the scheduler plans its rounds.
#[utoipa::path(operation_id = "create_schedule", tag = "schedules", request_body = ScheduleInput, responses((status = 201, body = ScheduleView), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 422, description = "Invalid input; the message says why", body = ApiError)))]
#[post("/schedules", format = "json", data = "<input>")]
pub async fn create(
    _admin: ApiAdmin,
    input: Json<ScheduleInput>,
    language: AcceptLanguage,
    app: &State<App>,
) -> AppResult<(Status, Json<ScheduleView>)> {
    let input = input.into_inner();
    let draft = ScheduleDraft {
        title: input.title,
        cadence: input.cadence,
        duration: input.duration,
        departments: input.departments,
        pulse_size: input.pulse_size,
        timezone: input.timezone,
    };
    let mut view = schedule::create(&app.db, &app.settings, &draft, Utc::now()).await?;
    i18n::say_notes(language.0, &mut view.notes);
    Ok((Status::Created, Json(view)))
}

/// Ends a schedule; its rounds that have not opened are removed.
#[utoipa::path(operation_id = "delete_schedule", tag = "schedules", responses((status = 204, description = "Ended"), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 404, description = "No such schedule", body = ApiError)))]
#[delete("/schedules/<id>")]
pub async fn remove(_admin: ApiAdmin, id: i32, app: &State<App>) -> AppResult<Status> {
    schedule::delete(&app.db, id).await?;
    Ok(Status::NoContent)
}
