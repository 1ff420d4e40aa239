//! `/api/v1/tokens`: the admins' view of API tokens and their revocation (creating one stays
//! on the command line and the admin page, where the token is shown once to a person).

use rocket::serde::json::Json;
use rocket::{State, delete, get};

use super::error::ApiError;
use crate::app::App;
use crate::auth::api_token::{self, TokenInfo};
use crate::error::AppResult;
use crate::web::guards::ApiAdmin;

/// Every token: name, role, scope, created, last used (to the minute), revoked.
#[utoipa::path(operation_id = "list_tokens", tag = "tokens", responses((status = 200, body = Vec<TokenInfo>), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError)))]
#[get("/tokens")]
pub async fn list(_admin: ApiAdmin, app: &State<App>) -> AppResult<Json<Vec<TokenInfo>>> {
    Ok(Json(api_token::list(&app.db).await?))
}

/// Revokes a token: its next request is refused. Revoking a revoked token changes nothing;
/// a token may revoke itself.
#[utoipa::path(operation_id = "revoke_token", tag = "tokens", responses((status = 200, body = TokenInfo), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError), (status = 404, description = "No such token", body = ApiError)))]
#[delete("/tokens/<id>")]
pub async fn revoke(_admin: ApiAdmin, id: i32, app: &State<App>) -> AppResult<Json<TokenInfo>> {
    Ok(Json(api_token::revoke(&app.db, id).await?))
}
