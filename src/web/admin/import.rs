//! `/admin/import`: HR uploads the employee file, sees a preview (a dry run of the real import)
//! and confirms it; the confirmed import applies exactly the previewed file.

use chrono::Utc;
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::serde::json::json;
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post};

use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::import::{self, DeclaredFormat, ImportOptions, ImportReport};
use crate::org::pending_import::{self, PendingOptions};
use crate::problem::Problem;
use crate::templates::Templates;
use crate::web::csrf::{CsrfForm, CsrfToken, NoFields};
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// The largest file accepted, the same as through the API.
const MAX_BYTES: u64 = crate::web::api::employees::MAX_IMPORT_MIB * 1024 * 1024;

#[derive(FromForm)]
pub struct Upload<'r> {
    file: TempFile<'r>,
    deactivate_missing: bool,
    /// One `OLD=NEW` per line.
    #[field(default = String::new())]
    renames: String,
    /// The CSV's encoding; empty detects it.
    #[field(default = String::new())]
    encoding: String,
    /// The spreadsheet's sheet; empty reads the first.
    #[field(default = String::new())]
    sheet: String,
    /// Unusual headers, one `FIELD=HEADER` per line.
    #[field(default = String::new())]
    mapping: String,
}

/// `KEY=VALUE` lines (renames, column mapping); the offending line when one is not.
fn parse_renames(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.split_once('=')
                .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
                .filter(|(old, new)| !old.is_empty() && !new.is_empty())
                .ok_or_else(|| line.to_owned())
        })
        .collect()
}

fn render(
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    body: serde_json::Value,
) -> AppResult<Page> {
    let mut ctx = json!({ "user": principal, "csrf": csrf.0, "nav": "import" });
    if let (Some(ctx), Some(body)) = (ctx.as_object_mut(), body.as_object()) {
        ctx.extend(body.clone());
    }
    Page::render(templates, "admin_import", principal.locale, ctx)
}

fn blank() -> serde_json::Value {
    json!({ "report": null, "pending": null, "applied": false, "error": null, "file_name": null,
            "deactivate_missing": false, "renames": "", "encoding": "", "sheet": "",
            "mapping": "" })
}

#[get("/admin/import")]
pub fn form(admin: AdminUser, csrf: CsrfToken, templates: &State<Templates>) -> AppResult<Page> {
    render(templates, &admin.0.principal, &csrf, blank())
}

#[post("/admin/import", data = "<upload>")]
pub async fn preview(
    admin: AdminUser,
    upload: CsrfForm<Upload<'_>>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = &admin.0.principal;
    let upload = upload.into_inner();
    // Rocket keeps the name without its extension; the part's content type tells a
    // spreadsheet (and the content decides in the end).
    let declared = upload
        .file
        .content_type()
        .map(|content_type| DeclaredFormat::from_content_type(&content_type.to_string()));
    let extension = match declared {
        Some(DeclaredFormat::Spreadsheet) => "xlsx",
        _ => "csv",
    };
    let mut file_name = upload
        .file
        .name()
        .map(|name| format!("{name}.{extension}"))
        .unwrap_or_else(|| format!("upload.{extension}"));
    let mut again = blank();
    again["deactivate_missing"] = json!(upload.deactivate_missing);
    again["renames"] = json!(upload.renames);
    again["encoding"] = json!(upload.encoding);
    again["sheet"] = json!(upload.sheet);
    again["mapping"] = json!(upload.mapping);
    let (renames, mapping) = match (
        parse_renames(&upload.renames),
        parse_renames(&upload.mapping),
    ) {
        (Ok(renames), Ok(mapping)) => (renames, mapping),
        (Err(line), _) => {
            again["error"] = json!(format!("`{line}`: OLD=NEW"));
            return Ok(render(templates, principal, &csrf, again)?
                .with_status(Status::UnprocessableEntity));
        }
        (_, Err(line)) => {
            again["error"] = json!(format!("`{line}`: FIELD=HEADER"));
            return Ok(render(templates, principal, &csrf, again)?
                .with_status(Status::UnprocessableEntity));
        }
    };
    let non_empty = |text: &str| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
    if upload.file.len() > MAX_BYTES {
        return Err(AppError::BadRequest(
            Problem::new("problem_upload_too_large").arg("mib", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let mut content = Vec::new();
    upload
        .file
        .open()
        .await
        .map_err(AppError::internal)?
        .read_to_end(&mut content)
        .await
        .map_err(AppError::internal)?;
    let options = PendingOptions {
        deactivate_missing: upload.deactivate_missing,
        renames,
        encoding: non_empty(&upload.encoding),
        sheet: non_empty(&upload.sheet),
        mapping,
        declared,
    };
    let mut report = run(app, &content, &options, true).await?;
    report.say(principal.locale);
    if let Some(read) = &report.read
        && read.format != "csv"
        && !file_name.ends_with(&format!(".{}", read.format))
    {
        file_name = format!(
            "{}.{}",
            file_name
                .rsplit_once('.')
                .map_or(file_name.as_str(), |(stem, _)| stem),
            read.format
        );
    }
    again["report"] = json!(report);
    again["rejected"] = json!(rejected(&report, principal.locale));
    again["file_name"] = json!(file_name);
    if !report.is_ok() {
        return Ok(
            render(templates, principal, &csrf, again)?.with_status(Status::UnprocessableEntity)
        );
    }
    let id = pending_import::keep(
        &app.db,
        admin.0.user.id,
        &file_name,
        content,
        &options,
        Utc::now(),
    )
    .await?;
    again["pending"] = json!(id);
    render(templates, principal, &csrf, again)
}

async fn run(
    app: &App,
    content: &[u8],
    options: &PendingOptions,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let options = ImportOptions {
        dry_run,
        deactivate_missing: options.deactivate_missing,
        renames: options.renames.clone(),
        default_locale: app.settings.default_locale,
        encoding: options.encoding.clone(),
        sheet: options.sheet.clone(),
        mapping: options.mapping.clone(),
        declared: options.declared,
    };
    import::import_employees(&app.db, content, &options, &import::ignore_progress).await
}

/// The sentence above a refused file's problems: how many, on how many lines.
fn rejected(report: &ImportReport, locale: Locale) -> Option<String> {
    let problems = report.errors.len();
    let lines: std::collections::BTreeSet<u64> = report
        .errors
        .iter()
        .map(|error| error.line)
        .filter(|line| *line > 0)
        .collect();
    let problem = match (problems, lines.len()) {
        (0, _) => return None,
        (1, _) => Problem::new("import_rejected_one"),
        (_, 0 | 1) => Problem::new("import_rejected_several").arg("problems", problems),
        (_, lines) => Problem::new("import_rejected_lines")
            .arg("problems", problems)
            .arg("lines", lines),
    };
    Some(crate::i18n::problem(locale, &problem))
}

#[post("/admin/import/<id>/apply", data = "<form>")]
pub async fn apply(
    admin: AdminUser,
    id: &str,
    form: CsrfForm<NoFields>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let CsrfForm(NoFields) = form;
    let principal = &admin.0.principal;
    let Some(pending) = pending_import::find(&app.db, id, admin.0.user.id, Utc::now()).await?
    else {
        let mut page = blank();
        page["error"] = json!(crate::i18n::text(principal.locale, "import_expired"));
        return Ok(render(templates, principal, &csrf, page)?.with_status(Status::NotFound));
    };
    let mut report = run(app, &pending.content, &pending.options, false).await?;
    report.say(principal.locale);
    let mut page = blank();
    page["file_name"] = json!(pending.file_name);
    page["applied"] = json!(report.is_ok());
    let status = if report.is_ok() {
        pending_import::discard(&app.db, id).await?;
        Status::Ok
    } else {
        // The organisation changed since the preview (e.g. a second import): show what is wrong now.
        Status::UnprocessableEntity
    };
    page["report"] = json!(report);
    page["rejected"] = json!(rejected(&report, principal.locale));
    Ok(render(templates, principal, &csrf, page)?.with_status(status))
}

#[cfg(test)]
mod tests {
    use super::parse_renames;

    #[test]
    fn renames_are_one_per_line() {
        assert_eq!(
            parse_renames("Vertrieb = Sales\n\n IT=Technik ").unwrap(),
            vec![
                ("Vertrieb".into(), "Sales".into()),
                ("IT".into(), "Technik".into())
            ]
        );
        assert_eq!(parse_renames("kaputt").unwrap_err(), "kaputt");
    }
}
