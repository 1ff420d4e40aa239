//! The body of every error the API answers with.

use serde::Serialize;

/// The body of every error under `/api`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    /// What went wrong, in words a person can act on.
    pub error: String,
    /// The HTTP status code, repeated for clients that only keep the body.
    pub status: u16,
}
