//! `GET /health` for load balancers and monitoring: no login, checks the database.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get};
use serde::Serialize;

use crate::app::App;
use crate::db;

/// The body of `/health`. The fields are in the order the body has always had them.
#[derive(Serialize)]
pub struct Health {
    database: &'static str,
    status: &'static str,
}

#[get("/health")]
pub async fn health(app: &State<App>) -> (Status, Json<Health>) {
    match db::ping(&app.db).await {
        Ok(()) => (
            Status::Ok,
            Json(Health {
                database: "ok",
                status: "ok",
            }),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                Status::ServiceUnavailable,
                Json(Health {
                    database: "unreachable",
                    status: "unavailable",
                }),
            )
        }
    }
}
