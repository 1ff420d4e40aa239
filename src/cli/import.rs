//! `kundenpuls import employees FILE`: the same import as the upload form and the API.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::App;
use crate::i18n::{self, Locale};
use crate::org::import::{self, DeclaredFormat, ImportOptions, ImportReport, Progress, Stage};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import employees from a CSV (UTF-8, UTF-16 or Windows-1252; `;`, `,` or tab), XLSX or
    /// ODS file with the columns e-mail, name (or first and last name), department and
    /// optionally locale, headers in German or English. The whole file is applied or nothing:
    /// every bad line is reported with its number.
    Employees {
        file: PathBuf,
        /// Show what would be created, updated and deactivated; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Deactivate active employees missing from the file (they are never deleted).
        #[arg(long)]
        deactivate_missing: bool,
        /// A department HR renamed: OLD=NEW (paths). It keeps its history. May be repeated.
        #[arg(long, value_parser = parse_rename)]
        rename: Vec<(String, String)>,
        /// The CSV's encoding (utf-8, utf-16le, utf-16be, windows-1252); detected by default.
        #[arg(long)]
        encoding: Option<String>,
        /// The spreadsheet's sheet to read (XLSX, ODS); the first by default.
        #[arg(long)]
        sheet: Option<String>,
        /// An unusual header: FIELD=HEADER, e.g. email="Dienstliche E-Mail". Fields: email,
        /// name, first_name, last_name, department, locale. May be repeated.
        #[arg(long = "map", value_parser = parse_map)]
        map: Vec<(String, String)>,
    },
}

fn parse_rename(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
        .filter(|(old, new)| !old.is_empty() && !new.is_empty())
        .ok_or_else(|| format!("`{value}` is not OLD=NEW"))
}

fn parse_map(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(field, header)| (field.trim().to_owned(), header.trim().to_owned()))
        .filter(|(field, header)| !field.is_empty() && !header.is_empty())
        .ok_or_else(|| format!("`{value}` is not FIELD=HEADER"))
}

/// Files this large get a progress bar; small ones finish before it would be seen.
const PROGRESS_FROM_BYTES: usize = 256 * 1024;

pub async fn run(app: &App, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Employees {
        file,
        dry_run,
        deactivate_missing,
        rename,
        encoding,
        sheet,
        map,
    } = command;
    let input = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = ImportOptions {
        dry_run,
        deactivate_missing,
        renames: rename,
        default_locale: app.settings.default_locale,
        encoding,
        sheet,
        mapping: map,
        declared: Some(DeclaredFormat::from_file_name(&file.to_string_lossy())),
    };
    let bar = (input.len() >= PROGRESS_FROM_BYTES).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Mutex::new(bar)
    });
    let progress = |step: Progress| {
        if let Some(bar) = &bar {
            let bar = bar.lock().expect("progress bar lock");
            bar.set_message(match step.stage {
                Stage::Validating => "checking",
                Stage::Writing => "writing",
            });
            bar.set_length(step.total);
            bar.set_position(step.done);
        }
    };
    let mut report = import::import_employees(&app.db, &input, &options, &progress).await?;
    report.say(app.settings.default_locale);
    if let Some(bar) = &bar {
        bar.lock().expect("progress bar lock").finish_and_clear();
    }
    print_report(&report, app.settings.default_locale);
    if !report.is_ok() {
        anyhow::bail!(
            "{} rejected: {} problem(s); nothing was imported",
            file.display(),
            report.errors.len()
        );
    }
    Ok(())
}

fn print_report(report: &ImportReport, locale: Locale) {
    if let Some(read) = &report.read {
        let how = match (&read.encoding, &read.delimiter, &read.sheet) {
            (Some(encoding), Some(delimiter), _) => {
                format!(
                    "{}, {encoding}, delimiter {delimiter}",
                    read.format.to_uppercase()
                )
            }
            (_, _, Some(sheet)) => format!("{}, sheet {sheet}", read.format.to_uppercase()),
            _ => read.format.to_uppercase(),
        };
        println!("read as {how}");
        for column in &read.columns {
            println!("  {:<10} ← {}", column.field, column.header);
        }
        if !read.ignored_columns.is_empty() {
            println!("  ignored columns: {}", read.ignored_columns.join(", "));
        }
    }
    for error in &report.errors {
        if error.line == 0 {
            eprintln!("{}", error.message);
        } else {
            eprintln!(
                "{}",
                i18n::text(locale, "import_line_message")
                    .replace("{line}", &error.line.to_string())
                    .replace("{message}", &error.message)
            );
        }
    }
    if !report.is_ok() {
        return;
    }
    let verb = if report.dry_run { "would be" } else { "were" };
    println!(
        "{} rows: {} {verb} created, {} updated, {} deactivated, {} unchanged",
        report.rows, report.created, report.updated, report.deactivated, report.unchanged
    );
    for path in &report.departments_created {
        println!("  new department: {path}");
    }
    for rename in &report.departments_renamed {
        println!("  renamed department: {} → {}", rename.from, rename.to);
    }
    for path in &report.departments_reopened {
        println!("  department in use again: {path}");
    }
    if report.dry_run {
        println!("dry run: nothing was written");
    }
}
