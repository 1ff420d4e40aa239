//! `POST /api/v1/employees/import`: an HR system pushes its CSV export or a spreadsheet.

use std::collections::HashMap;

use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::{State, post};

use super::error::ApiError;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::org::import::{self as employee_import, DeclaredFormat, ImportOptions, ImportReport};
use crate::problem::Problem;
use crate::web::guards::ApiAdmin;
use crate::web::request::AcceptLanguage;

/// The largest file accepted: 100,000 employees take about 6 MiB.
pub const MAX_IMPORT_MIB: u64 = 64;

/// A file as the request body, its bytes as they are.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(#[allow(dead_code)] Vec<u8>);

/// Imports employees from a CSV file (UTF-8, UTF-16 with BOM or Windows-1252; `;`, `,` or tab)
/// or a spreadsheet (XLSX, ODS: post it with its own content type). Headers in German or English
/// (`E-Mail`, `Vorname`, `Nachname`, `Abteilung`, `Sprache`, …); other columns are ignored and
/// listed in the report. The whole file is applied or nothing.
///
/// Options: `encoding` (CSV: utf-8, utf-16le, utf-16be, windows-1252; detected by default),
/// `sheet` (spreadsheets: the first by default), `map.FIELD=HEADER` for unusual headers
/// (`map.email=Dienstliche E-Mail`; fields email, name, first_name, last_name, department,
/// locale).
///
/// Any of these may also be sent as `application/octet-stream` (what generated clients send
/// for a file): the content tells CSV from a workbook.
///
/// The report is the answer either way and says how the file was read (`read`): 200 when
/// applied (or a clean dry run), 422 with every bad line when the file was rejected and nothing
/// written.
#[utoipa::path(operation_id = "import_employees", tag = "employees", request_body(description = "The staff list: CSV text (UTF-8, Windows-1252 or UTF-16; `,` or `;`), or an XLSX or ODS workbook", content((String = "text/csv"), (FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (FileBody = "application/vnd.oasis.opendocument.spreadsheet"), (FileBody = "application/octet-stream"))), params(("rename" = Option<Vec<String>>, Query, description = "A department renamed since the last import, `OLD=NEW`; repeat for several"), ("map" = Option<HashMap<String, String>>, Query, style = DeepObject, description = "Unusual headers: `map.email=Dienstliche E-Mail`")), responses((status = 200, body = ImportReport), (status = 422, description = "Rejected: every bad line with its number; nothing written", body = ImportReport), (status = 400, description = "Unreadable upload or option", body = ApiError), (status = 401, description = "No valid bearer token", body = ApiError), (status = 403, description = "An admin token is needed", body = ApiError)))]
#[post(
    "/employees/import?<dry_run>&<deactivate_missing>&<rename>&<encoding>&<sheet>&<map>",
    data = "<body>"
)]
#[allow(clippy::too_many_arguments)]
pub async fn import_employees(
    _admin: ApiAdmin,
    dry_run: Option<bool>,
    deactivate_missing: Option<bool>,
    rename: Vec<String>,
    encoding: Option<String>,
    sheet: Option<String>,
    map: HashMap<String, String>,
    content_type: Option<&ContentType>,
    body: Data<'_>,
    language: AcceptLanguage,
    app: &State<App>,
) -> AppResult<(Status, Json<ImportReport>)> {
    let renames = rename
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
                .ok_or_else(|| {
                    AppError::BadRequest(Problem::new("problem_rename_form").arg("pair", pair))
                })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let bytes = body
        .open(MAX_IMPORT_MIB.mebibytes())
        .into_bytes()
        .await
        .map_err(|err| {
            AppError::BadRequest(Problem::new("problem_upload_unreadable").arg("reason", err))
        })?;
    if !bytes.is_complete() {
        return Err(AppError::BadRequest(
            Problem::new("problem_upload_too_large").arg("mib", MAX_IMPORT_MIB),
        ));
    }
    let options = ImportOptions {
        dry_run: dry_run.unwrap_or(false),
        deactivate_missing: deactivate_missing.unwrap_or(false),
        renames,
        default_locale: app.settings.default_locale,
        encoding,
        sheet,
        mapping: {
            let mut mapping: Vec<(String, String)> = map.into_iter().collect();
            mapping.sort();
            mapping
        },
        declared: content_type
            .map(|content_type| DeclaredFormat::from_content_type(&content_type.to_string())),
    };
    let mut report = employee_import::import_employees(
        &app.db,
        &bytes.into_inner(),
        &options,
        &employee_import::ignore_progress,
    )
    .await?;
    report.say(language.0);
    let status = if report.is_ok() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    Ok((status, Json(report)))
}
