//! Leadership reports over the API (`/api/v1/rounds/{id}/results`, `…/results.csv`,
//! `/api/v1/trend`, `/api/v1/departments/{id}/trend`) and the CSV download of the dashboard
//! (`/dashboard/rounds/{id}/results.csv`).
//!
//! Every figure comes from `report::query`, which applies the anonymity threshold,
//! complementary suppression and the caller's department scope; this door only translates.

use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Request, State, get};
use serde::Serialize;

use super::error::{ApiError, FormatParam, LangParam};
use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::department as departments;
use crate::problem::Problem;
use crate::report::csv::{self as export, CsvOptions};
use crate::report::query::{self, Reader, RoundResults};
use crate::report::trend::TrendRound;
use crate::vocab::Pillar;
use crate::web::guards::{ApiCaller, StaffUser};

/// The reader behind a principal, in the language asked for (`lang=de|en`) or the principal's.
fn reader(principal: &Principal, lang: Option<&str>) -> AppResult<Reader> {
    let mut reader = Reader::of(principal);
    if let Some(lang) = lang {
        reader.locale = Locale::parse(lang).ok_or_else(|| {
            AppError::Unprocessable(Problem::new("problem_unknown_lang").arg("lang", lang))
        })?;
    }
    Ok(reader)
}

/// The results of one round for every group the caller may see: the whole company and each
/// department (with its subtree) for an unscoped token, the token's subtree for a scoped viewer.
///
/// Results appear only when a round closes: for a round that is scheduled, open or cancelled
/// the answer is 200 with its `state` and an empty `groups` list. Every figure is
/// `{"status":"shown","value":…}` or `{"status":"hidden","value":{"reason":…}}`; a hidden
/// figure never carries a count.
#[utoipa::path(
    operation_id = "get_round_results",
    tag = "reports",
    params(
        ("id" = i32, Path, description = "The round"),
        ("lang" = Option<LangParam>, Query, description = "Language of group and question texts: `de` or `en` (default: the token's)"),
    ),
    responses(
        (status = 200, description = "The round's results; `groups` is empty until the round is closed", body = RoundResults),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 404, description = "No such round", body = ApiError),
        (status = 422, description = "Unknown language", body = ApiError),
    )
)]
#[get("/rounds/<id>/results?<lang>")]
pub async fn results(
    caller: ApiCaller,
    id: i32,
    lang: Option<&str>,
    app: &State<App>,
) -> AppResult<Json<RoundResults>> {
    let reader = reader(&caller.0, lang)?;
    Ok(Json(query::round_results(&app.reports, reader, id).await?))
}

/// One group's trend over the closed rounds: pillar indices over the core items (in the order
/// of `pillars`) and the overall index, each round gated by the threshold as that round's
/// results are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// The group: a department with its subtree, or `null` for the whole company.
    pub department_id: Option<i32>,
    /// The department's path; empty for the whole company.
    pub path: String,
    pub anonymity_threshold: u32,
    /// The pillar keys, in the order of every round's `pillars`.
    pub pillars: Vec<Pillar>,
    /// Oldest first; a round in which the group had no invitations is left out.
    pub rounds: Vec<TrendRound>,
}

async fn trend_of(app: &App, principal: &Principal, group: Option<i32>) -> AppResult<Trend> {
    let reader = Reader::of(principal);
    let all = departments::all(&app.db).await?;
    let group = query::resolve_group(&all, reader, group)?;
    let rounds = query::trend(&app.reports, reader, group).await?;
    Ok(Trend {
        department_id: group,
        path: group
            .and_then(|id| all.iter().find(|d| d.id == id))
            .map_or_else(String::new, |d| d.path.clone()),
        anonymity_threshold: app.settings.anonymity_threshold,
        pillars: Pillar::EACH.to_vec(),
        rounds,
    })
}

/// The trend of the caller's top: the whole company, or a scoped token's department.
#[utoipa::path(
    operation_id = "get_trend",
    tag = "reports",
    responses(
        (status = 200, body = Trend),
        (status = 401, description = "No valid bearer token", body = ApiError),
    )
)]
#[get("/trend")]
pub async fn trend(caller: ApiCaller, app: &State<App>) -> AppResult<Json<Trend>> {
    Ok(Json(trend_of(app, &caller.0, None).await?))
}

/// The trend of one department with its subtree.
#[utoipa::path(
    operation_id = "get_department_trend",
    tag = "reports",
    params(("id" = i32, Path, description = "The department")),
    responses(
        (status = 200, body = Trend),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 403, description = "The department is outside the token's department scope", body = ApiError),
        (status = 404, description = "No such department", body = ApiError),
    )
)]
#[get("/departments/<id>/trend")]
pub async fn department_trend(
    caller: ApiCaller,
    id: i32,
    app: &State<App>,
) -> AppResult<Json<Trend>> {
    Ok(Json(trend_of(app, &caller.0, Some(id)).await?))
}

/// A CSV file to download.
pub struct CsvFile {
    pub filename: String,
    pub body: Vec<u8>,
}

impl<'r> Responder<'r, 'static> for CsvFile {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = (
            ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            self.body,
        )
            .respond_to(req)?;
        response.set_header(Header::new(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", self.filename),
        ));
        Ok(response)
    }
}

/// `kundenpuls-<round title>-<opening date>.csv`, ASCII only so that no browser or mail client
/// mangles it; the round's id when its title has no letters or digits.
pub fn filename(results: &RoundResults) -> String {
    let mut slug = String::new();
    for c in results.round.title.to_lowercase().chars() {
        match c {
            'ä' => slug.push_str("ae"),
            'ö' => slug.push_str("oe"),
            'ü' => slug.push_str("ue"),
            'ß' => slug.push_str("ss"),
            c if c.is_ascii_alphanumeric() => slug.push(c),
            _ if !slug.is_empty() && !slug.ends_with('-') => slug.push('-'),
            _ => {}
        }
    }
    let slug: String = slug.chars().take(60).collect();
    let slug = slug.trim_end_matches('-');
    let name = if slug.is_empty() {
        format!("round-{}", results.round.id)
    } else {
        slug.to_owned()
    };
    format!("kundenpuls-{name}-{}.csv", results.round.date)
}

/// `excel=true` or `format=excel`: German Excel; `format=csv` or nothing: RFC 4180.
fn wants_excel(excel: Option<bool>, format: Option<&str>) -> AppResult<bool> {
    let format_excel = match format.map(|f| f.trim().to_ascii_lowercase()) {
        None => false,
        Some(f) if f == "excel" => true,
        Some(f) if f == "csv" => false,
        Some(f) => {
            return Err(AppError::Unprocessable(
                Problem::new("problem_unknown_format").arg("format", f),
            ));
        }
    };
    Ok(excel.unwrap_or(false) || format_excel)
}

async fn csv_file(
    app: &App,
    principal: &Principal,
    id: i32,
    excel: Option<bool>,
    format: Option<&str>,
    lang: Option<&str>,
) -> AppResult<CsvFile> {
    let excel = wants_excel(excel, format)?;
    let reader = reader(principal, lang)?;
    let results = query::round_results(&app.reports, reader, id).await?;
    Ok(CsvFile {
        filename: filename(&results),
        body: export::write(
            &results,
            CsvOptions {
                excel,
                locale: reader.locale,
            },
        ),
    })
}

/// The round's figures as CSV, one row per group × measure, with the threshold applied as in
/// the JSON results: a hidden figure is an empty cell with the reason in the note column.
/// `excel=true` (or `format=excel`) writes for German Excel: UTF-8 with byte order mark, `;`
/// and decimal comma; otherwise RFC 4180 with `,` and a decimal point. Headers are in the
/// token's language or `lang`. A round that has not closed gives the header row alone.
#[utoipa::path(
    operation_id = "get_round_results_csv",
    tag = "reports",
    params(
        ("id" = i32, Path, description = "The round"),
        ("excel" = Option<bool>, Query, description = "German Excel: BOM, `;`, decimal comma"),
        ("format" = Option<FormatParam>, Query, description = "`csv` (default) or `excel` (same as `excel=true`)"),
        ("lang" = Option<LangParam>, Query, description = "Language of headers and texts: `de` or `en` (default: the token's)"),
    ),
    responses(
        (status = 200, description = "The CSV file, as an attachment named `kundenpuls-<round>-<date>.csv`", body = String, content_type = "text/csv; charset=utf-8"),
        (status = 401, description = "No valid bearer token", body = ApiError),
        (status = 404, description = "No such round", body = ApiError),
        (status = 422, description = "Unknown format or language", body = ApiError),
    )
)]
#[get("/rounds/<id>/results.csv?<excel>&<format>&<lang>")]
pub async fn results_csv(
    caller: ApiCaller,
    id: i32,
    excel: Option<bool>,
    format: Option<&str>,
    lang: Option<&str>,
    app: &State<App>,
) -> AppResult<CsvFile> {
    csv_file(app, &caller.0, id, excel, format, lang).await
}

/// The same CSV for a logged-in staff member (admin or viewer, within the viewer's scope), in
/// the user's language unless `lang` says otherwise.
#[get("/dashboard/rounds/<id>/results.csv?<excel>&<format>&<lang>")]
pub async fn dashboard_results_csv(
    user: StaffUser,
    id: i32,
    excel: Option<bool>,
    format: Option<&str>,
    lang: Option<&str>,
    app: &State<App>,
) -> AppResult<CsvFile> {
    csv_file(app, &user.principal, id, excel, format, lang).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::trend::RoundLabel;

    fn named(id: i32, title: &str) -> RoundResults {
        RoundResults {
            round: RoundLabel {
                id,
                title: title.into(),
                date: "2026-10-05".into(),
            },
            state: crate::vocab::RoundState::Closed,
            previous: None,
            anonymity_threshold: 5,
            comment_threshold: 10,
            groups: Vec::new(),
        }
    }

    #[test]
    fn filenames_are_plain_ascii() {
        assert_eq!(
            filename(&named(3, "Puls Q4 / Größe \"ü\"")),
            "kundenpuls-puls-q4-groesse-ue-2026-10-05.csv"
        );
        assert_eq!(
            filename(&named(3, "»«")),
            "kundenpuls-round-3-2026-10-05.csv"
        );
    }

    #[test]
    fn excel_is_asked_for_by_flag_or_format() {
        assert!(!wants_excel(None, None).unwrap());
        assert!(wants_excel(Some(true), None).unwrap());
        assert!(wants_excel(None, Some("Excel")).unwrap());
        assert!(!wants_excel(Some(false), Some("csv")).unwrap());
        assert!(wants_excel(None, Some("xls")).is_err());
    }
}
