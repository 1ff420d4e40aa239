//! `/admin/import`: HR uploads the employee file, sees a preview (a dry run of the real import)
//! and confirms it; the confirmed import applies exactly the previewed file.

use chrono::Utc;
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post};
use serde::Serialize;

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

/// `templates/pages/admin_import.html`: the upload form with the options as HR gave them, and
/// the report of a preview or of the import.
#[derive(Serialize)]
struct ImportPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    report: Option<ImportReport>,
    /// The sentence above a refused file's problems.
    rejected: Option<String>,
    /// The id of the previewed file, kept to be applied.
    pending: Option<String>,
    applied: bool,
    error: Option<String>,
    file_name: Option<&'a str>,
    deactivate_missing: bool,
    renames: &'a str,
    encoding: &'a str,
    sheet: &'a str,
    mapping: &'a str,
}

impl<'a> ImportPage<'a> {
    /// The empty upload form.
    fn blank(principal: &'a Principal, csrf: &'a CsrfToken) -> Self {
        ImportPage {
            user: principal,
            csrf: &csrf.0,
            nav: "import",
            report: None,
            rejected: None,
            pending: None,
            applied: false,
            error: None,
            file_name: None,
            deactivate_missing: false,
            renames: "",
            encoding: "",
            sheet: "",
            mapping: "",
        }
    }

    /// The report of `report` on the page, with the sentence above its problems.
    fn show_report(&mut self, report: ImportReport) {
        self.rejected = rejected(&report, self.user.locale);
        self.report = Some(report);
    }
}

fn render(templates: &Templates, page: ImportPage<'_>) -> AppResult<Page> {
    Page::render(templates, "admin_import", page.user.locale, page)
}

#[get("/admin/import")]
pub fn form(admin: AdminUser, csrf: CsrfToken, templates: &State<Templates>) -> AppResult<Page> {
    render(templates, ImportPage::blank(&admin.0.principal, &csrf))
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
    let mut again = ImportPage {
        deactivate_missing: upload.deactivate_missing,
        renames: &upload.renames,
        encoding: &upload.encoding,
        sheet: &upload.sheet,
        mapping: &upload.mapping,
        ..ImportPage::blank(principal, &csrf)
    };
    let (renames, mapping) = match (
        parse_renames(&upload.renames),
        parse_renames(&upload.mapping),
    ) {
        (Ok(renames), Ok(mapping)) => (renames, mapping),
        (Err(line), _) => {
            again.error = Some(format!("`{line}`: OLD=NEW"));
            return Ok(render(templates, again)?.with_status(Status::UnprocessableEntity));
        }
        (_, Err(line)) => {
            again.error = Some(format!("`{line}`: FIELD=HEADER"));
            return Ok(render(templates, again)?.with_status(Status::UnprocessableEntity));
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
    let accepted = report.is_ok();
    again.show_report(report);
    again.file_name = Some(&file_name);
    if !accepted {
        return Ok(render(templates, again)?.with_status(Status::UnprocessableEntity));
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
    again.pending = Some(id);
    render(templates, again)
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

/// A previewed file again, from the start page: the same dry run and the button to apply it,
/// for as long as it waits.
#[get("/admin/import/<id>")]
pub async fn review(
    admin: AdminUser,
    id: &str,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = &admin.0.principal;
    let Some(pending) = pending_import::find(&app.db, id, admin.0.user.id, Utc::now()).await?
    else {
        return expired(templates, principal, &csrf);
    };
    let lines = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect::<String>()
    };
    let renames = lines(&pending.options.renames);
    let mapping = lines(&pending.options.mapping);
    let mut report = run(app, &pending.content, &pending.options, true).await?;
    report.say(principal.locale);
    let accepted = report.is_ok();
    let mut page = ImportPage {
        file_name: Some(&pending.file_name),
        deactivate_missing: pending.options.deactivate_missing,
        renames: &renames,
        encoding: pending.options.encoding.as_deref().unwrap_or(""),
        sheet: pending.options.sheet.as_deref().unwrap_or(""),
        mapping: &mapping,
        ..ImportPage::blank(principal, &csrf)
    };
    page.show_report(report);
    if !accepted {
        // The organisation changed since the preview: what is wrong now, and no button.
        return Ok(render(templates, page)?.with_status(Status::UnprocessableEntity));
    }
    page.pending = Some(id.to_owned());
    render(templates, page)
}

/// The upload form saying that the previewed file is gone (applied, or older than an hour).
fn expired(templates: &Templates, principal: &Principal, csrf: &CsrfToken) -> AppResult<Page> {
    let page = ImportPage {
        error: Some(crate::i18n::text(principal.locale, "import_expired").to_owned()),
        ..ImportPage::blank(principal, csrf)
    };
    Ok(render(templates, page)?.with_status(Status::NotFound))
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
        return expired(templates, principal, &csrf);
    };
    let mut report = run(app, &pending.content, &pending.options, false).await?;
    report.say(principal.locale);
    let mut page = ImportPage {
        file_name: Some(&pending.file_name),
        applied: report.is_ok(),
        ..ImportPage::blank(principal, &csrf)
    };
    let status = if report.is_ok() {
        pending_import::discard(&app.db, id).await?;
        Status::Ok
    } else {
        // The organisation changed since the preview (e.g. a second import): show what is wrong now.
        Status::UnprocessableEntity
    };
    page.show_report(report);
    Ok(render(templates, page)?.with_status(status))
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
