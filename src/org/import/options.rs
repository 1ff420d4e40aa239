//! What the caller of an import chooses: HR's options, and what the sender says the file is.

use serde::Serialize;

use crate::i18n::Locale;

/// What HR chose for this import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Compute the full report but write nothing.
    pub dry_run: bool,
    /// Deactivate active employees that are not in the file. Employees are never deleted.
    pub deactivate_missing: bool,
    /// Departments HR renamed since the last import, as `(old path, new path)`, applied in this
    /// order before the file's paths are matched. The department keeps its id (and with it its
    /// history); its subtree moves along. Without a rename a new path is a new department.
    pub renames: Vec<(String, String)>,
    /// The locale of rows whose `locale` column is missing or empty.
    pub default_locale: Locale,
    /// The CSV's text encoding by label (`utf-8`, `utf-16le`, `utf-16be`, `windows-1252`, …);
    /// `None` detects it.
    pub encoding: Option<String>,
    /// The spreadsheet's sheet to read; `None` reads the first.
    pub sheet: Option<String>,
    /// Unusual headers, as `(field, header)`: `("email", "Dienstliche E-Mail")`.
    pub mapping: Vec<(String, String)>,
    /// What the sender says the file is (content type or file name); the content decides when
    /// it is clearly a spreadsheet.
    pub declared: Option<DeclaredFormat>,
}

impl ImportOptions {
    /// A plain import: writes, deactivates nobody, renames nothing.
    pub fn new(default_locale: Locale) -> Self {
        ImportOptions {
            dry_run: false,
            deactivate_missing: false,
            renames: Vec::new(),
            default_locale,
            encoding: None,
            sheet: None,
            mapping: Vec::new(),
            declared: None,
        }
    }
}

/// What a file says it is, from its content type (API) or its name (form, CLI). The content has
/// the last word: a spreadsheet saved under `.csv` is still read as a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredFormat {
    Csv,
    Spreadsheet,
}

/// The content type of XLSX files.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The content type of ODS files.
pub const ODS_CONTENT_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

impl DeclaredFormat {
    /// By a file name's extension: `.xlsx`, `.xlsm`, `.xls`, `.ods` are spreadsheets, anything
    /// else is taken for CSV.
    pub fn from_file_name(name: &str) -> Self {
        let extension = name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_ascii_lowercase());
        match extension.as_deref() {
            Some("xlsx" | "xlsm" | "xls" | "ods") => DeclaredFormat::Spreadsheet,
            _ => DeclaredFormat::Csv,
        }
    }

    /// By a content type (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: &str) -> Self {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            XLSX_CONTENT_TYPE | ODS_CONTENT_TYPE | "application/vnd.ms-excel" => {
                DeclaredFormat::Spreadsheet
            }
            _ => DeclaredFormat::Csv,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_formats_come_from_names_and_content_types() {
        assert_eq!(
            DeclaredFormat::from_file_name("Mitarbeiter.XLSX"),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_file_name("liste.ods"),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_file_name("liste.csv"),
            DeclaredFormat::Csv
        );
        assert_eq!(
            DeclaredFormat::from_content_type(XLSX_CONTENT_TYPE),
            DeclaredFormat::Spreadsheet
        );
        assert_eq!(
            DeclaredFormat::from_content_type("text/csv; charset=windows-1252"),
            DeclaredFormat::Csv
        );
    }
}
