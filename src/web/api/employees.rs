//! `POST /api/v1/employees/import`: an HR system pushes its CSV export.

use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, post};

use super::openapi::ApiError;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::org::import::{self as employee_import, ImportOptions, ImportReport};
use crate::web::guards::ApiAdmin;

/// The largest file accepted: 100,000 employees take about 6 MiB.
pub const MAX_IMPORT_MIB: u64 = 64;

/// Imports employees from a CSV file (`email,name,department,locale`; `,` or `;`). The whole
/// file is applied or nothing.
///
/// The report is the answer either way: 200 when applied (or a clean dry run), 422 with every
/// bad line when the file was rejected and nothing written.
#[utoipa::path(operation_id = "import_employees", tag = "employees", request_body(content = String, content_type = "text/csv"), responses((status = 200, body = ImportReport), (status = 422, description = "Rejected: every bad line with its number; nothing written", body = ImportReport), (status = 400, description = "Unreadable upload or option", body = ApiError), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError)))]
#[post(
    "/employees/import?<dry_run>&<deactivate_missing>&<rename>",
    format = "text/csv",
    data = "<body>"
)]
pub async fn import_csv(
    _admin: ApiAdmin,
    dry_run: Option<bool>,
    deactivate_missing: Option<bool>,
    rename: Vec<String>,
    body: Data<'_>,
    app: &State<App>,
) -> AppResult<(Status, Json<ImportReport>)> {
    let renames = rename
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
                .ok_or_else(|| AppError::BadRequest(format!("rename `{pair}` is not OLD=NEW")))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let bytes = body
        .open(MAX_IMPORT_MIB.mebibytes())
        .into_bytes()
        .await
        .map_err(|err| AppError::BadRequest(format!("cannot read the upload: {err}")))?;
    if !bytes.is_complete() {
        return Err(AppError::BadRequest(format!(
            "the file is larger than {MAX_IMPORT_MIB} MiB"
        )));
    }
    let options = ImportOptions {
        dry_run: dry_run.unwrap_or(false),
        deactivate_missing: deactivate_missing.unwrap_or(false),
        renames,
        default_locale: app.settings.default_locale,
    };
    let report = employee_import::import_csv(
        &app.db,
        &bytes.into_inner(),
        &options,
        &employee_import::ignore_progress,
    )
    .await?;
    let status = if report.is_ok() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    Ok((status, Json(report)))
}
