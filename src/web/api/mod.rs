//! The JSON API under `/api/v1`, for scripts and HR systems, authenticated by bearer token.

pub mod rounds;

use rocket::serde::json::Json;
use rocket::{State, get};
use serde::Serialize;

use super::guards::ApiCaller;
use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::survey::catalog;

/// Who the token belongs to: lets a script check its token before it does anything.
#[get("/me")]
pub fn me(caller: ApiCaller) -> Json<Principal> {
    Json(caller.0)
}

#[derive(Serialize)]
pub struct QuestionOut {
    key: String,
    pillar: Option<String>,
    scale: String,
    reverse_coded: bool,
    core: bool,
    active: bool,
    text_de: String,
    text_en: String,
}

/// The question catalog in both languages.
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
