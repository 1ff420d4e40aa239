//! `/api/v1/rounds`: HR's rounds for scripts and HR systems.

use chrono::Utc;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, put};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::lifecycle;
use crate::mail::outbox::{SendLog, send_log};
use crate::mail::pace::{MailPace, round_status};
use crate::report::query::Reader;
use crate::survey::round::{self, Cancelled, RoundDraft, RoundView};
use crate::survey::viewer;
use crate::vocab::Role;
use crate::web::guards::{ApiAdmin, ApiCaller};
use crate::web::request::AcceptLanguage;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// Blanks at either end are dropped; what remains is 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// RFC 3339, or "YYYY-MM-DD HH:MM" in the company time zone.
    #[schema(min_length = 16, example = "2027-03-01 09:00")]
    pub opens_at: String,
    #[schema(min_length = 16, example = "2027-03-15 09:00")]
    pub closes_at: String,
    /// Department paths ("Vertrieb / Nord"); none is the whole company.
    #[serde(default)]
    pub departments: Vec<String>,
    /// Question keys from `/questions`; `null` lets the pulse rotation choose.
    pub questions: Option<Vec<String>>,
    /// Questions chosen by the rotation; at least as many as the catalogue's pillars need.
    #[schema(minimum = 1, maximum = 30)]
    #[serde(default, deserialize_with = "crate::whole_number::optional_whole")]
    pub pulse_size: Option<usize>,
}

impl From<RoundInput> for RoundDraft {
    fn from(input: RoundInput) -> Self {
        RoundDraft {
            title: input.title,
            opens_at: input.opens_at,
            closes_at: input.closes_at,
            departments: input.departments,
            questions: input.questions,
            pulse_size: input.pulse_size,
        }
    }
}

/// Every round, newest first, with participation as numbers. A viewer token sees the rounds
/// that reached its scope, with participation only where enough were invited.
#[utoipa::path(operation_id = "list_rounds", tag = "rounds", responses((status = 200, body = Vec<RoundView>), (status = 401, description = "No valid bearer token", body = ApiError)))]
#[get("/rounds")]
pub async fn list(caller: ApiCaller, app: &State<App>) -> AppResult<Json<Vec<RoundView>>> {
    let rounds = round::list(&app.db, &app.settings).await?;
    Ok(Json(visible_rounds(app, &caller, rounds).await?))
}

/// The rounds as the caller may see them: all for an admin, the viewer's part for a viewer.
async fn visible_rounds(
    app: &App,
    caller: &ApiCaller,
    rounds: Vec<RoundView>,
) -> AppResult<Vec<RoundView>> {
    if caller.0.role == Role::Admin {
        return Ok(rounds);
    }
    viewer::rounds_for_viewer(&app.reports, Reader::of(&caller.0), rounds).await
}

/// Creates a round; one whose opening time has come opens at once.
#[utoipa::path(operation_id = "create_round", tag = "rounds", request_body = RoundInput, responses((status = 201, body = RoundView), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 422, description = "Invalid input; the message says why", body = ApiError)))]
#[post("/rounds", format = "json", data = "<input>")]
pub async fn create(
    _admin: ApiAdmin,
    input: Json<RoundInput>,
    language: AcceptLanguage,
    app: &State<App>,
) -> AppResult<(Status, Json<RoundView>)> {
    let draft = RoundDraft::from(input.into_inner());
    let mut view = lifecycle::create(app, &draft, Utc::now()).await?;
    i18n::say_notes(language.0, &mut view.notes);
    Ok((Status::Created, Json(view)))
}

/// One round; for an admin with its mail. A viewer sees a round that reached its scope, as in
/// the list, and never the send log (it names recipients).
#[utoipa::path(operation_id = "get_round", tag = "rounds", responses((status = 200, body = RoundDetail), (status = 401, description = "No valid bearer token", body = ApiError), (status = 404, description = "No such round, or none the token may see", body = ApiError)))]
#[get("/rounds/<id>")]
pub async fn show(caller: ApiCaller, id: i32, app: &State<App>) -> AppResult<Json<RoundDetail>> {
    let view = round::get(&app.db, &app.settings, id).await?;
    if caller.0.role != Role::Admin {
        let round = visible_rounds(app, &caller, vec![view])
            .await?
            .pop()
            .ok_or(AppError::NotFound)?;
        return Ok(Json(RoundDetail {
            round,
            mail: None,
            pace: None,
        }));
    }
    Ok(Json(RoundDetail {
        round: view,
        mail: Some(send_log(&app.db, id).await?),
        pace: Some(round_status(&app.db, &app.settings, id, Utc::now()).await?),
    }))
}

/// Changes a round that has not opened yet.
#[utoipa::path(operation_id = "update_round", tag = "rounds", request_body = RoundInput, responses((status = 200, body = RoundView), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 404, description = "No such round", body = ApiError), (status = 409, description = "Not possible in the round's state", body = ApiError), (status = 422, description = "Invalid input; the message says why", body = ApiError)))]
#[put("/rounds/<id>", format = "json", data = "<input>")]
pub async fn update(
    _admin: ApiAdmin,
    id: i32,
    input: Json<RoundInput>,
    language: AcceptLanguage,
    app: &State<App>,
) -> AppResult<Json<RoundView>> {
    let draft = RoundDraft::from(input.into_inner());
    let mut view = lifecycle::update(app, id, &draft, Utc::now()).await?;
    i18n::say_notes(language.0, &mut view.notes);
    Ok(Json(view))
}

/// Closes an open round now; its links stop working.
#[utoipa::path(operation_id = "close_round", tag = "rounds", responses((status = 200, body = RoundView), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 404, description = "No such round", body = ApiError), (status = 409, description = "Not possible in the round's state", body = ApiError)))]
#[post("/rounds/<id>/close")]
pub async fn close(_admin: ApiAdmin, id: i32, app: &State<App>) -> AppResult<Json<RoundView>> {
    if !lifecycle::close(app, id, Utc::now()).await? {
        return Err(AppError::Conflict(
            crate::problem::Problem::new("problem_round_not_open").arg("id", id),
        ));
    }
    Ok(Json(round::get(&app.db, &app.settings, id).await?))
}

/// A round with its mail: counts per state, and the invitations that are not delivered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub round: RoundView,
    /// Admins only: the send log names recipients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<SendLog>,
    /// The invitations by state, when the last one is expected to leave at the current pace,
    /// and whether the relay is holding the sending back. Admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pace: Option<MailPace>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// The number of responses that will be deleted, as a confirmation.
    pub confirm_responses: Option<u64>,
}

/// Cancels a scheduled or open round. An open round's responses are deleted with it, so a
/// round with responses needs `confirm_responses` equal to their number.
#[utoipa::path(operation_id = "cancel_round", tag = "rounds", request_body(content = Option<CancelInput>), responses((status = 200, body = Cancelled), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 404, description = "No such round", body = ApiError), (status = 409, description = "Not possible in the round's state", body = ApiError)))]
#[post("/rounds/<id>/cancel", data = "<input>")]
pub async fn cancel(
    _admin: ApiAdmin,
    id: i32,
    input: Option<Json<CancelInput>>,
    app: &State<App>,
) -> AppResult<Json<Cancelled>> {
    let confirm = input.and_then(|input| input.into_inner().confirm_responses);
    Ok(Json(lifecycle::cancel(app, id, confirm, Utc::now()).await?))
}
