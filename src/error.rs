//! One error type for every door. The web layer answers it as JSON under `/api` and as a page
//! elsewhere; the CLI prints its message. What the user did wrong is a [`Problem`], said in the
//! reader's language by the door.

use rocket::http::Status;

use crate::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(Problem),
    #[error("please log in")]
    Unauthorized,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(Problem),
    #[error("{0}")]
    Unprocessable(Problem),
    #[error("too many attempts; please wait a minute and try again")]
    TooManyRequests,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> Status {
        match self {
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden => Status::Forbidden,
            AppError::NotFound => Status::NotFound,
            AppError::Conflict(_) => Status::Conflict,
            AppError::Unprocessable(_) => Status::UnprocessableEntity,
            AppError::TooManyRequests => Status::TooManyRequests,
            AppError::Internal(_) => Status::InternalServerError,
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// What the user can act on, for the variants that say more than their status.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            AppError::BadRequest(problem)
            | AppError::Conflict(problem)
            | AppError::Unprocessable(problem) => Some(problem),
            _ => None,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::internal(err)
    }
}

pub type AppResult<T> = Result<T, AppError>;
