//! `kundenpuls import employees FILE`: the same import as the upload form and the API.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::App;
use crate::org::import::{self, ImportOptions, ImportReport, Progress, Stage};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import employees from a CSV file (columns email, name, department, locale). The whole
    /// file is applied or nothing: every bad line is reported with its number.
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
    },
}

fn parse_rename(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(old, new)| (old.trim().to_owned(), new.trim().to_owned()))
        .filter(|(old, new)| !old.is_empty() && !new.is_empty())
        .ok_or_else(|| format!("`{value}` is not OLD=NEW"))
}

/// Files this large get a progress bar; small ones finish before it would be seen.
const PROGRESS_FROM_BYTES: usize = 256 * 1024;

pub async fn run(app: &App, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Employees {
        file,
        dry_run,
        deactivate_missing,
        rename,
    } = command;
    let input = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = ImportOptions {
        dry_run,
        deactivate_missing,
        renames: rename,
        default_locale: app.settings.default_locale,
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
    let report = import::import_csv(&app.db, &input, &options, &progress).await?;
    if let Some(bar) = &bar {
        bar.lock().expect("progress bar lock").finish_and_clear();
    }
    print_report(&report);
    if !report.is_ok() {
        anyhow::bail!(
            "{} rejected: {} bad line(s); nothing was imported",
            file.display(),
            report.errors.len()
        );
    }
    Ok(())
}

fn print_report(report: &ImportReport) {
    for error in &report.errors {
        eprintln!("{error}");
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
