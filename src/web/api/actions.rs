//! `/api/v1/actions`: Maßnahmen for scripts and HR systems, with the rules of the pages. Any
//! token may call; admin tokens and company-wide viewers act everywhere, a scoped viewer in
//! its subtree (403 outside), as `action::store` decides for the `Who` of the token, whose
//! name goes into the log. Refusals are said in the client's `Accept-Language` by the one
//! error responder (`web::errors`), like every error under `/api`.

use chrono::Utc;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, patch, post};

use super::actions_wire::{
    ActionDetail, ActionPatchInput, ActionView, LogEntry, NewActionInput, NoteInput,
};
use super::error::{ActionStatusParam, ApiError, LangParam};
use super::reports::CsvFile;
use crate::action::Who;
use crate::action::rules;
use crate::action::store::{self, Filter, Limits, NewAction, Patch, Update};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::problem::Problem;
use crate::web::actions::export;
use crate::web::guards::ApiCaller;
use crate::web::request::AcceptLanguage;

fn limits(app: &App) -> Limits {
    Limits::of(&app.settings, Utc::now())
}

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(problem)
}

/// The query of the list and its CSV; the API lists every status unless asked otherwise.
fn filter(
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
) -> AppResult<Filter> {
    Filter {
        department,
        owner,
        overdue: overdue.unwrap_or(false),
        ..Filter::default()
    }
    .with_status(status.filter(|s| !s.is_empty()).unwrap_or("all"))
    .map_err(unprocessable)
}

async fn detail(app: &App, who: &Who, id: i32) -> AppResult<ActionDetail> {
    let (record, events) = store::get(&app.db, who, id).await?;
    Ok(ActionDetail {
        action: ActionView::of(&record, limits(app).today),
        log: events.iter().map(LogEntry::from).collect(),
    })
}

/// The actions the token may see, the most urgent first: open ones by due date, then closed
/// ones, the latest change first.
#[utoipa::path(
    operation_id = "list_actions",
    tag = "actions",
    params(
        ("department" = Option<i32>, Query, description = "A department with its subtree; it must lie within the token's scope"),
        ("status" = Option<ActionStatusParam>, Query, description = "`planned`, `running`, `done`, `dropped`, `open` (planned or running) or `all` (default)"),
        ("owner" = Option<i32>, Query, description = "The owner's staff user id"),
        ("overdue" = Option<bool>, Query, description = "Only open actions after their due date"),
    ),
    responses(
        (status = 200, body = Vec<ActionView>),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such department", body = ApiError),
        (status = 422, description = "Unknown status; the message says why", body = ApiError),
    )
)]
#[get("/actions?<department>&<status>&<owner>&<overdue>")]
pub async fn list(
    caller: ApiCaller,
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
    app: &State<App>,
) -> AppResult<Json<Vec<ActionView>>> {
    let filter = filter(department, status, owner, overdue)?;
    let today = limits(app).today;
    let records = store::list(&app.db, &Who::from(&caller.0), &filter, today).await?;
    Ok(Json(
        records.iter().map(|r| ActionView::of(r, today)).collect(),
    ))
}

/// One action with its log.
#[utoipa::path(
    operation_id = "get_action",
    tag = "actions",
    params(("id" = i32, Path, description = "The action")),
    responses(
        (status = 200, body = ActionDetail),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The action's department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such action", body = ApiError),
    )
)]
#[get("/actions/<id>")]
pub async fn show(caller: ApiCaller, id: i32, app: &State<App>) -> AppResult<Json<ActionDetail>> {
    Ok(Json(detail(app, &Who::from(&caller.0), id).await?))
}

/// Starts an action on a closed round's result for a department: status `planned`, the first
/// log line written with the token's name. A department holds at most `actions_open_limit`
/// open actions (planned or running).
#[utoipa::path(
    operation_id = "create_action",
    tag = "actions",
    request_body = NewActionInput,
    responses(
        (status = 201, body = ActionView),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such department or round", body = ApiError),
        (status = 409, description = "The department has as many open actions as it may; the message says how many", body = ApiError),
        (status = 422, description = "Invalid input (title, texts, date, owner, subject, a round not closed); the message says why", body = ApiError),
    )
)]
#[post("/actions", format = "json", data = "<input>")]
pub async fn create(
    caller: ApiCaller,
    input: Json<NewActionInput>,
    app: &State<App>,
) -> AppResult<(Status, Json<ActionView>)> {
    let input = input.into_inner();
    let who = Who::from(&caller.0);
    let limits = limits(app);
    let new = NewAction {
        department_id: input.department_id,
        round_id: input.round_id,
        subject: store::subject_of(&app.db, input.question_key.as_deref(), input.pillar).await?,
        title: input.title,
        why: input.why,
        owner_id: input.owner_id,
        due_on: rules::parse_date(&input.due_on).map_err(unprocessable)?,
        visible: input.visible,
    };
    let action = store::create(&app.db, limits, &who, new).await?;
    let (record, _) = store::get(&app.db, &who, action.id).await?;
    Ok((Status::Created, Json(ActionView::of(&record, limits.today))))
}

/// Changes an action: the fields given change, the others stay (the log names what changed);
/// `status` moves it, with `outcome` (needed to close) and `note`; a `note` alone is added to
/// the log. All of it or nothing.
#[utoipa::path(
    operation_id = "update_action",
    tag = "actions",
    params(("id" = i32, Path, description = "The action")),
    request_body = ActionPatchInput,
    responses(
        (status = 200, body = ActionDetail),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The action's department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such action", body = ApiError),
        (status = 409, description = "Reopening would exceed the department's limit of open actions", body = ApiError),
        (status = 422, description = "Invalid input (title, texts, date, owner, the same status, closing without outcome); the message says why", body = ApiError),
    )
)]
#[patch("/actions/<id>", format = "json", data = "<input>")]
pub async fn update(
    caller: ApiCaller,
    id: i32,
    input: Json<ActionPatchInput>,
    app: &State<App>,
) -> AppResult<Json<ActionDetail>> {
    let input = input.into_inner();
    let who = Who::from(&caller.0);
    let update = Update {
        patch: Patch {
            title: input.title,
            why: input.why,
            owner_id: input.owner_id,
            due_on: input
                .due_on
                .as_deref()
                .map(rules::parse_date)
                .transpose()
                .map_err(unprocessable)?,
            visible: input.visible,
        },
        status: input.status,
        outcome: input.outcome,
        note: input.note,
    };
    store::update(&app.db, limits(app), &who, id, update).await?;
    Ok(Json(detail(app, &who, id).await?))
}

/// Adds a note to the action's log.
#[utoipa::path(
    operation_id = "add_action_note",
    tag = "actions",
    params(("id" = i32, Path, description = "The action")),
    request_body = NoteInput,
    responses(
        (status = 201, body = LogEntry),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The action's department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such action", body = ApiError),
        (status = 422, description = "An empty or too long note; the message says why", body = ApiError),
    )
)]
#[post("/actions/<id>/notes", format = "json", data = "<input>")]
pub async fn note(
    caller: ApiCaller,
    id: i32,
    input: Json<NoteInput>,
    app: &State<App>,
) -> AppResult<(Status, Json<LogEntry>)> {
    let line = store::add_note(&app.db, &Who::from(&caller.0), id, &input.note).await?;
    Ok((Status::Created, Json(LogEntry::from(&line))))
}

/// The list as CSV for German Excel: UTF-8 with byte order mark, `;`, CRLF, one row per
/// action within the token's scope; a cell a spreadsheet would read as a formula starts with
/// `'`. Headers and words in `lang`, else the `Accept-Language`.
#[utoipa::path(
    operation_id = "get_actions_csv",
    tag = "actions",
    params(
        ("department" = Option<i32>, Query, description = "A department with its subtree; it must lie within the token's scope"),
        ("status" = Option<ActionStatusParam>, Query, description = "`planned`, `running`, `done`, `dropped`, `open` or `all` (default)"),
        ("owner" = Option<i32>, Query, description = "The owner's staff user id"),
        ("overdue" = Option<bool>, Query, description = "Only open actions after their due date"),
        ("lang" = Option<LangParam>, Query, description = "Language of headers and words: `de` or `en` (default: `Accept-Language`)"),
    ),
    responses(
        (status = 200, description = "The CSV file, as an attachment named `kundenpuls-massnahmen-<date>.csv` or `kundenpuls-actions-<date>.csv`", body = String, content_type = "text/csv; charset=utf-8"),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The department lies outside the token's scope", body = ApiError),
        (status = 404, description = "No such department", body = ApiError),
        (status = 422, description = "Unknown status or language", body = ApiError),
    )
)]
#[get("/actions.csv?<department>&<status>&<owner>&<overdue>&<lang>")]
#[allow(clippy::too_many_arguments)]
pub async fn csv(
    caller: ApiCaller,
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
    lang: Option<&str>,
    language: AcceptLanguage,
    app: &State<App>,
) -> AppResult<CsvFile> {
    let locale = match lang {
        Some(lang) => Locale::parse(lang)
            .ok_or_else(|| unprocessable(Problem::new("problem_unknown_lang").arg("lang", lang)))?,
        None => language.0,
    };
    let filter = filter(department, status, owner, overdue)?;
    export::csv_file(app, &Who::from(&caller.0), &filter, locale).await
}
