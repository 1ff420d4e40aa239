//! The JSON API under `/api/v1`, for scripts and HR systems, authenticated by bearer token.

pub mod actions;
pub mod actions_wire;
pub mod contract;
pub mod employees;
pub mod error;
pub mod openapi;
pub mod reports;
pub mod rounds;
pub mod schedules;
pub mod tokens;

use rocket::serde::json::Json;
use rocket::{State, get};
use serde::Serialize;

use self::error::ApiError;

use super::guards::ApiCaller;
use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::survey::catalog;
use crate::vocab::{Pillar, Scale};

/// Who the token belongs to: lets a script check its token before it does anything.
#[utoipa::path(operation_id = "whoami", tag = "auth", responses((status = 200, body = Principal), (status = 401, description = "No valid bearer token", body = ApiError)))]
#[get("/me")]
pub fn me(caller: ApiCaller) -> Json<Principal> {
    Json(caller.0)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionOut {
    key: String,
    pillar: Option<Pillar>,
    scale: Scale,
    reverse_coded: bool,
    core: bool,
    active: bool,
    text_de: String,
    text_en: String,
}

/// The question catalog in both languages.
#[utoipa::path(operation_id = "list_questions", tag = "questions", responses((status = 200, body = Vec<QuestionOut>), (status = 401, description = "No valid bearer token", body = ApiError)))]
#[get("/questions")]
pub async fn questions(_caller: ApiCaller, app: &State<App>) -> AppResult<Json<Vec<QuestionOut>>> {
    let questions = catalog::all(&app.db).await?;
    Ok(Json(
        questions
            .into_iter()
            .map(|question| QuestionOut {
                key: question.key,
                pillar: question.pillar,
                scale: question.scale,
                reverse_coded: question.reverse_coded,
                core: question.core,
                active: question.active,
                text_de: question.text_de,
                text_en: question.text_en,
            })
            .collect(),
    ))
}
