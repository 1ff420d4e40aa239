//! What an import tells its caller: where it is while it runs, and the report at the end.

use serde::Serialize;

use super::table::{FileReading, LineError};
use crate::i18n::Locale;

/// The outcome of an import. When `errors` is not empty nothing was written and the counts are
/// zero; callers answer 422 or exit non-zero.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Employees that were not in the database.
    pub created: u64,
    /// Employees whose name, department or locale changed, or who were reactivated.
    pub updated: u64,
    /// Active employees absent from the file, deactivated (only with `deactivate_missing`).
    pub deactivated: u64,
    /// Employees in the file that needed no change.
    pub unchanged: u64,
    /// Paths of the departments created, parents before their children.
    pub departments_created: Vec<String>,
    /// The renames HR asked for, as applied (paths normalized).
    pub departments_renamed: Vec<DepartmentRename>,
    /// Retired departments that the file (or a rename) uses again; they are active again.
    pub departments_reopened: Vec<String>,
    /// Every problem found, by line; empty when the import went through (or would, in a dry run).
    pub errors: Vec<LineError>,
    /// Whether this was a dry run (nothing written even when `errors` is empty).
    pub dry_run: bool,
    /// Data rows in the file (the header and empty lines not counted).
    pub rows: u64,
    /// How the file was read (format, encoding, delimiter or sheet, columns); absent when the
    /// file could not be read as a table at all.
    pub read: Option<FileReading>,
}

impl ImportReport {
    /// Says every problem in `locale` (each door calls this with its reader's language).
    pub fn say(&mut self, locale: Locale) {
        for error in &mut self.errors {
            error.say(locale);
        }
    }

    /// True when the file was accepted.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentRename {
    pub from: String,
    pub to: String,
}

/// The stage an import is in, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Checking the file's rows; `total` is the number of data rows.
    Validating,
    /// Writing employees; `total` is the number of employees created, updated and deactivated.
    Writing,
}

/// `done` of `total` in `stage`. Each stage reports `done == total` once at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// A progress callback for callers that show none.
pub fn ignore_progress(_: Progress) {}
