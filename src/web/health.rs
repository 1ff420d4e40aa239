//! `GET /health` for load balancers and monitoring: no login, checks the database.

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get};

use crate::app::App;
use crate::db;

#[get("/health")]
pub async fn health(app: &State<App>) -> (Status, Json<Value>) {
    match db::ping(&app.db).await {
        Ok(()) => (
            Status::Ok,
            Json(json!({ "status": "ok", "database": "ok" })),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                Status::ServiceUnavailable,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
