//! Stages 1–2 for spreadsheets: the first sheet, or the one HR named, as a table whose row
//! numbers are the ones Excel shows. Numbers and dates in cells become text (`17`,
//! `2024-03-01`).
//!
//! A spreadsheet is a packed file that can claim any size: a 1.5 KB XLSX with cells A1 and
//! XFD1048576 spans 17 billion cells, and an ODS row can repeat itself a million times. Nothing
//! here allocates by what a file claims. The archive is unpacked once into nothing, with a bound
//! on what comes out; XLSX and XLSB sheets are read cell by cell into a sparse table; an ODS
//! file's tables are measured from its XML (repeats included) before calamine expands them; the
//! table guard counts every cell and character kept. Old binary XLS files are refused: their
//! reader expands every sheet to its full grid when the file is opened.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader, Sheets};

use super::table::{
    FileReading, LineError, MAX_CELLS, MAX_COLUMNS, OLE_MAGIC, RawRow, RawTable, TableGuard,
    check_cell_length, empty_file,
};
use crate::org::department::shorten;
use crate::problem::Problem;

/// Bytes a spreadsheet may unpack to, all its parts together: the sheet of 100,000 employees
/// with a dozen columns is about 60 MB of XML.
pub const MAX_UNPACKED_BYTES: u64 = 160 * 1024 * 1024;
/// Parts of the archive: a workbook has a few dozen.
const MAX_PARTS: usize = 10_000;

pub(super) fn read(
    input: &[u8],
    wanted: Option<&str>,
) -> Result<(RawTable, FileReading), LineError> {
    if input.starts_with(OLE_MAGIC) {
        return Err(LineError::new(0, Problem::new("import_old_excel")));
    }
    check_unpacked_size(input)?;
    if looks_like_ods(input) {
        measure_ods(input)?;
    }
    count_shared_strings(input)?;
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(input))
        .map_err(|_| LineError::new(0, Problem::new("import_unreadable_package")))?;
    let names = book.sheet_names();
    let sheet = choose_sheet(&names, wanted)?;
    let (format, table) = match &mut book {
        Sheets::Xlsx(xlsx) => {
            let mut cells = xlsx
                .worksheet_cells_reader(&sheet)
                .map_err(|err| unreadable(&sheet, err))?;
            let table = sparse_table(|| {
                let cell = cells.next_cell().map_err(|err| unreadable(&sheet, err))?;
                Ok(cell.map(|cell| (cell.get_position(), cell_ref_text(cell.get_value()))))
            })?;
            ("xlsx", table)
        }
        Sheets::Xlsb(xlsb) => {
            let mut cells = xlsb
                .worksheet_cells_reader(&sheet)
                .map_err(|err| unreadable(&sheet, err))?;
            let table = sparse_table(|| {
                let cell = cells.next_cell().map_err(|err| unreadable(&sheet, err))?;
                Ok(cell.map(|cell| (cell.get_position(), cell_ref_text(cell.get_value()))))
            })?;
            ("xlsb", table)
        }
        Sheets::Ods(ods) => {
            // Measured above: calamine's grid for each table stays within MAX_CELLS.
            let range = ods
                .worksheet_range(&sheet)
                .map_err(|err| unreadable(&sheet, err))?;
            let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
            let mut guard = TableGuard::default();
            let mut rows = Vec::new();
            for (index, cells) in range.rows().enumerate() {
                let line = first_row + index as u64 + 1;
                let fields: Vec<String> = cells.iter().map(cell_text).collect();
                guard.admit(line, &fields)?;
                rows.push(RawRow { line, fields });
            }
            ("ods", RawTable::from_rows(rows).ok_or_else(empty_file)?)
        }
        Sheets::Xls(_) => {
            return Err(LineError::new(0, Problem::new("import_old_excel")));
        }
    };
    let reading = FileReading {
        format: format.into(),
        sheet: Some(sheet),
        ..FileReading::default()
    };
    Ok((table, reading))
}

fn unreadable(sheet: &str, err: impl std::fmt::Display) -> LineError {
    tracing::info!(sheet, error = %err, "a sheet of an import cannot be read");
    LineError::new(
        0,
        Problem::new("import_sheet_unreadable").arg("sheet", sheet),
    )
}

fn choose_sheet(names: &[String], wanted: Option<&str>) -> Result<String, LineError> {
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted.map(str::trim).filter(|name| !name.is_empty()) {
        None => names.first().cloned().ok_or_else(empty_file),
        Some(wanted) => names
            .iter()
            .find(|name| name.as_str() == wanted)
            .or_else(|| {
                names
                    .iter()
                    .find(|name| name.trim().to_lowercase() == wanted.to_lowercase())
            })
            .cloned()
            .ok_or_else(|| {
                LineError::new(
                    0,
                    Problem::new("import_no_such_sheet")
                        .arg("sheet", shorten(wanted, 80))
                        .arg("sheets", quoted(names)),
                )
            }),
    }
}

/// Unpacks every part of the archive into nothing, counting: a zip bomb is refused after
/// [`MAX_UNPACKED_BYTES`], not after it filled the memory.
fn check_unpacked_size(input: &[u8]) -> Result<(), LineError> {
    let not_readable = || LineError::new(0, Problem::new("import_unreadable_package"));
    let mut archive = zip::ZipArchive::new(Cursor::new(input)).map_err(|_| not_readable())?;
    if archive.len() > MAX_PARTS {
        return Err(LineError::new(
            0,
            Problem::new("import_too_many_parts").arg("parts", archive.len()),
        ));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(|_| not_readable())?;
        let left = MAX_UNPACKED_BYTES - total;
        let unpacked = std::io::copy(&mut part.take(left + 1), &mut std::io::sink())
            .map_err(|_| not_readable())?;
        total += unpacked;
        if total > MAX_UNPACKED_BYTES {
            return Err(LineError::new(
                0,
                Problem::new("import_unpacks_too_large")
                    .arg("mb", MAX_UNPACKED_BYTES / (1024 * 1024)),
            ));
        }
    }
    Ok(())
}

/// The texts an XLSX workbook shares between its cells, counted as a stream before calamine
/// loads them all: a sheet cannot use more than [`MAX_CELLS`] of them, and millions of tiny
/// texts (within the unpacked bound) would take several times their size in memory.
fn count_shared_strings(input: &[u8]) -> Result<(), LineError> {
    use quick_xml::events::Event;

    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(input)) else {
        return Ok(());
    };
    let Ok(part) = archive.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    let mut count = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "si" => {
                count += 1;
                if count > MAX_CELLS {
                    return Err(LineError::new(
                        0,
                        Problem::new("import_too_many_texts").arg("max", MAX_CELLS),
                    ));
                }
            }
            // What is wrong with the part, calamine says when it reads it.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
        buf.clear();
    }
}

fn looks_like_ods(input: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(input))
        .is_ok_and(|mut archive| archive.by_name("content.xml").is_ok())
}

/// A sheet read cell by cell (`next_cell` gives each cell's position and text) as a table.
fn sparse_table(
    mut next_cell: impl FnMut() -> Result<Option<((u32, u32), String)>, LineError>,
) -> Result<RawTable, LineError> {
    let mut sparse = Sparse::default();
    while let Some(((row, column), text)) = next_cell()? {
        sparse.add(row, column, text)?;
    }
    sparse.into_table()
}

/// The cells with content of a sheet read cell by cell, kept by row; only filled cells take
/// memory, wherever they are.
#[derive(Default)]
struct Sparse {
    rows: BTreeMap<u32, Vec<(u32, String)>>,
    cells: usize,
}

impl Sparse {
    fn add(&mut self, row: u32, column: u32, text: String) -> Result<(), LineError> {
        if text.is_empty() {
            return Ok(());
        }
        let line = u64::from(row) + 1;
        check_cell_length(line, &text)?;
        if column as usize >= MAX_COLUMNS {
            return Err(LineError::new(
                line,
                Problem::new("import_cell_beyond_columns")
                    .arg("column", u64::from(column) + 1)
                    .arg("text", shorten(&text, 40))
                    .arg("max", MAX_COLUMNS),
            ));
        }
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(LineError::new(
                line,
                Problem::new("import_too_many_cells").arg("max", MAX_CELLS),
            ));
        }
        self.rows.entry(row).or_default().push((column, text));
        Ok(())
    }

    /// Rows as the sheet has them: each as wide as the widest (a sheet is a rectangle), cells
    /// in column order with empty ones between.
    fn into_table(self) -> Result<RawTable, LineError> {
        let width = self
            .rows
            .values()
            .flat_map(|cells| cells.iter().map(|(column, _)| *column as usize + 1))
            .max()
            .unwrap_or(0);
        let mut guard = TableGuard::default();
        let mut rows = Vec::with_capacity(self.rows.len());
        for (row, cells) in self.rows {
            let line = u64::from(row) + 1;
            // Counted before the row is made: its width times the rows is what is held.
            guard.admit_width(line, width)?;
            let mut fields = vec![String::new(); width];
            for (column, text) in cells {
                fields[column as usize] = text;
            }
            rows.push(RawRow { line, fields });
        }
        RawTable::from_rows(rows).ok_or_else(empty_file)
    }
}

/// What calamine would allocate for each table of an ODS file: rows from the first to the last
/// with content (repeats counted) times columns from the first to the last with content. Read
/// from `content.xml` as a stream, before calamine parses it.
#[derive(Debug, Default, PartialEq, Eq)]
struct OdsExtent {
    first_row: Option<u64>,
    last_row: u64,
    first_column: Option<u64>,
    last_column: u64,
}

impl OdsExtent {
    fn cells(&self) -> u64 {
        match (self.first_row, self.first_column) {
            (Some(first_row), Some(first_column)) => {
                (self.last_row - first_row + 1).saturating_mul(self.last_column - first_column + 1)
            }
            _ => 0,
        }
    }
}

fn measure_ods(input: &[u8]) -> Result<(), LineError> {
    use quick_xml::events::{BytesStart, Event};

    let unreadable = |err: &dyn std::fmt::Display| {
        tracing::info!(error = %err, "an ODS file of an import cannot be read");
        LineError::new(0, Problem::new("import_ods_unreadable"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(input)).map_err(|err| unreadable(&err))?;
    let content = archive
        .by_name("content.xml")
        .map_err(|err| unreadable(&err))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let repeats = |element: &BytesStart, name: &str| -> u64 {
        element
            .attributes()
            .with_checks(false)
            .flatten()
            .find(|attr| attr.key.as_ref() == name)
            .and_then(|attr| attr.value.trim().parse().ok())
            .unwrap_or(1u64)
            .max(1)
    };
    let has_content = |element: &BytesStart| {
        element
            .attributes()
            .with_checks(false)
            .flatten()
            .any(|attr| matches!(attr.key.as_ref(), "office:value-type" | "table:formula"))
    };
    let mut buf = Vec::new();
    let mut table_name = String::new();
    let mut extent = OdsExtent::default();
    let (mut row, mut row_repeats, mut column, mut row_has_content) = (0u64, 1u64, 0u64, false);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| unreadable(&err))?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" => {
                    table_name = e
                        .attributes()
                        .with_checks(false)
                        .flatten()
                        .find(|attr| attr.key.as_ref() == "table:name")
                        .map(|attr| attr.value.into_owned())
                        .unwrap_or_default();
                    extent = OdsExtent::default();
                    row = 0;
                }
                "table:table-row" => {
                    row_repeats = repeats(e, "table:number-rows-repeated");
                    column = 0;
                    row_has_content = false;
                    if matches!(event, Event::Empty(_)) {
                        row = row.saturating_add(row_repeats);
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let span = repeats(e, "table:number-columns-repeated");
                    if has_content(e) {
                        row_has_content = true;
                        extent.first_column =
                            Some(extent.first_column.map_or(column, |c| c.min(column)));
                        extent.last_column =
                            extent.last_column.max(column.saturating_add(span - 1));
                    }
                    column = column.saturating_add(span);
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "table:table-row" => {
                    if row_has_content {
                        extent.first_row.get_or_insert(row);
                        extent.last_row = row.saturating_add(row_repeats - 1);
                        let cells = extent.cells();
                        if cells > MAX_CELLS as u64 {
                            return Err(LineError::new(
                                row.min(u64::from(u32::MAX)) + 1,
                                Problem::new("import_sheet_spans_too_many")
                                    .arg("sheet", shorten(&table_name, 40))
                                    .arg("cells", cells)
                                    .arg("max", MAX_CELLS),
                            ));
                        }
                    }
                    row = row.saturating_add(row_repeats);
                }
                "table:table" => extent = OdsExtent::default(),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// A cell as text: whole numbers without `.0` (personnel numbers), dates as ISO dates.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", *value as i64)
        }
        Data::Float(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => match value.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.to_string(),
            None => value.as_f64().to_string(),
        },
        Data::Error(error) => error.to_string(),
    }
}

fn cell_ref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(text) => (*text).to_owned(),
        other => cell_text(&Data::from(other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::org::import::tests::{lines, parse, reading_of};
    use crate::org::import::{ImportOptions, ignore_progress, parse_file};

    /// An XLSX file written by rust_xlsxwriter: a first sheet `Deckblatt` with a note, and the
    /// employees on `Mitarbeitende` starting in row 3 (two empty rows above), with a number and a date
    /// column and a blank row.
    fn workbook() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let cover = book.add_worksheet().set_name("Deckblatt").expect("name");
        cover
            .write_string(0, 0, "Export aus dem HR-System")
            .expect("cell");
        let sheet = book
            .add_worksheet()
            .set_name("Mitarbeitende")
            .expect("name");
        let date = Format::new().set_num_format("dd.mm.yyyy");
        let header = [
            "Personalnummer",
            "E-Mail",
            "Name",
            "Abteilung",
            "Eintritt",
            "Sprache",
        ];
        for (col, text) in header.iter().enumerate() {
            sheet.write_string(2, col as u16, *text).expect("cell");
        }
        let rows = [
            (17.0, "anna@x.de", "Anna Weiß", "Vertrieb / Süd", "de"),
            (
                18.0,
                "bert@x.de",
                "Bert Groß",
                "Geschäftsführung",
                "Englisch",
            ),
            (19.0, "kaputt", "Cem Öztürk", "IT", "de"),
        ];
        let mut row = 3;
        for (number, email, name, department, locale) in rows {
            if row == 5 {
                row += 1; // a blank row in between
            }
            sheet.write_number(row, 0, number).expect("cell");
            sheet.write_string(row, 1, email).expect("cell");
            sheet.write_string(row, 2, name).expect("cell");
            sheet.write_string(row, 3, department).expect("cell");
            let day = ExcelDateTime::from_ymd(2020, 3, 1).expect("date");
            sheet
                .write_datetime_with_format(row, 4, &day, &date)
                .expect("cell");
            sheet.write_string(row, 5, locale).expect("cell");
            row += 1;
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn an_xlsx_sheet_is_read_with_excels_row_numbers() {
        let sheet = ImportOptions {
            sheet: Some("mitarbeitende".into()),
            ..ImportOptions::new(Locale::De)
        };
        let bytes = workbook();
        let (parsed, reading) = reading_of(&bytes, &sheet);
        assert_eq!(reading.format, "xlsx");
        assert_eq!(reading.sheet.as_deref(), Some("Mitarbeitende"));
        assert_eq!(reading.encoding, None);
        assert_eq!(reading.ignored_columns, ["Personalnummer", "Eintritt"]);
        // Rows 1–2 are empty, the header is row 3 and row 6 is blank: Excel's numbers count.
        assert_eq!(lines(&parsed.errors), vec![7], "{:?}", parsed.errors);
        assert!(parsed.errors[0].en().contains("“kaputt”"));
        assert_eq!(parsed.employees[0].name, "Anna Weiß");
        assert_eq!(parsed.employees[0].department, "Vertrieb / Süd");
        assert_eq!(parsed.employees[1].locale, Locale::En);
        assert_eq!(
            parsed.employees.iter().map(|e| e.line).collect::<Vec<_>>(),
            [4, 5]
        );
    }

    #[test]
    fn an_unknown_sheet_and_a_cover_sheet_are_explained() {
        let missing = ImportOptions {
            sheet: Some("Tabelle1".into()),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(&workbook(), &missing, &ignore_progress);
        assert_eq!(
            parsed.errors[0].en(),
            "The file has no sheet “Tabelle1”; its sheets are \"Deckblatt\", \"Mitarbeitende\"."
        );
        // The first sheet is a cover without employees: the header found is named.
        let parsed = parse(&workbook());
        assert!(
            parsed.errors[0]
                .en()
                .contains("found \"Export aus dem HR-System\""),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn cells_become_text_without_surprises() {
        use calamine::Data;
        assert_eq!(cell_text(&Data::Float(4711.0)), "4711");
        assert_eq!(cell_text(&Data::Float(0.5)), "0.5");
        assert_eq!(cell_text(&Data::Int(-3)), "-3");
        assert_eq!(cell_text(&Data::Bool(true)), "true");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
