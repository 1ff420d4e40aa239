//! The body of every error the API answers with: problem details (RFC 9457), sent as
//! `application/problem+json`.

use rocket::http::{ContentType, Status};
use serde::Serialize;

/// The body of every error under `/api`: problem details (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// The status code's phrase, e.g. `Not Found`.
    pub title: String,
    /// The HTTP status code, repeated for clients that only keep the body.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong here, in words a person can act on (in `de` or `en` by
    /// `Accept-Language`).
    pub detail: String,
    /// The same as `detail`, kept for clients of the first version of this API.
    pub error: String,
}

impl ApiError {
    pub fn new(status: Status, detail: String) -> Self {
        ApiError {
            kind: "about:blank",
            title: status.reason_lossy().to_owned(),
            status: status.code,
            error: detail.clone(),
            detail,
        }
    }
}

/// The values the document allows for `lang`, which the handlers check again (a request that
/// ignores the document still gets a reason).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only
pub enum LangParam {
    De,
    En,
}

/// The values the document allows for a CSV's `format`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only
pub enum FormatParam {
    Csv,
    Excel,
}

/// The values the document allows for the `status` filter of actions.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only
pub enum ActionStatusParam {
    Planned,
    Running,
    Done,
    Dropped,
    Open,
    All,
}

/// `application/problem+json`.
pub fn content_type() -> ContentType {
    ContentType::new("application", "problem+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_problem_details() {
        let body =
            serde_json::to_value(ApiError::new(Status::NotFound, "no such round".into())).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank", "title": "Not Found", "status": 404,
                "detail": "no such round", "error": "no such round"
            })
        );
    }
}
