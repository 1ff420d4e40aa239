//! Hostile employee files: small spreadsheets that claim huge sheets, zip bombs, cells of
//! megabytes, department paths of thousands of levels, control characters. Each is refused with
//! a clear error, and while it is read the heap never grows by more than 200 MB. The heap is
//! measured by counting every allocation of this test binary (its own process, so no other
//! test's allocations count); the tests take turns.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kundenpuls::i18n::Locale;
use kundenpuls::org::import::{ImportOptions, ImportReport, ignore_progress, import_employees};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sea_orm::DatabaseConnection;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the service may hold beyond what it held before the file came in.
const HEAP_BOUND: usize = 200 * 1024 * 1024;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn database() -> DatabaseConnection {
    let db = kundenpuls::db::connect("sqlite::memory:").await.unwrap();
    kundenpuls::db::migrate(&db).await.unwrap();
    db
}

/// A dry run of `file`, and the most the heap grew while it ran.
fn dry_run(
    db: &DatabaseConnection,
    rt: &tokio::runtime::Runtime,
    file: &[u8],
) -> (ImportReport, usize) {
    let mut options = ImportOptions::new(Locale::De);
    options.dry_run = true;
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut report = rt
        .block_on(import_employees(db, file, &options, &ignore_progress))
        .expect("a report, not a failure");
    let grown = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    // Said as an English-speaking door would say it.
    report.say(Locale::En);
    (report, grown)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/hostile/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the fixture is in the repository")
}

/// The one error of a refused file, its line and message.
fn refused(report: &ImportReport) -> (u64, String) {
    assert!(!report.is_ok(), "refused: {report:?}");
    let error = &report.errors[0];
    (error.line, error.message.clone())
}

#[test]
fn small_spreadsheets_that_claim_huge_sheets_are_refused_in_bounded_memory() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let db = rt.block_on(database());
    for (name, line, says) in [
        // A1 and XFD1048576: column 16,384 is beyond what an employee file has.
        ("far-cells.xlsx", 1_048_576, "column 16384"),
        ("bomb.xlsx", 0, "unpacks to more than 160 MB"),
        ("shared-strings.xlsx", 0, "more than 2000000 texts"),
        ("repeats.ods", 2, "cells up to this row"),
        ("far-cell.ods", 1_000_002, "cells up to this row"),
    ] {
        let (report, grown) = dry_run(&db, &rt, &fixture(name));
        let (at, message) = refused(&report);
        assert_eq!(at, line, "{name}: {message}");
        assert!(message.contains(says), "{name}: {message}");
        assert!(
            grown < HEAP_BOUND,
            "{name}: the heap grew by {} MB",
            grown >> 20
        );
    }
}

#[test]
fn a_cell_of_fifty_megabytes_and_a_path_of_ten_thousand_levels_are_refused_by_line() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let db = rt.block_on(database());

    let mut one_line = b"email;name;department\n".to_vec();
    one_line.extend(std::iter::repeat_n(b'a', 50 * 1024 * 1024));
    let (report, grown) = dry_run(&db, &rt, &one_line);
    let (line, message) = refused(&report);
    assert_eq!(line, 2);
    assert!(message.contains("52428800 characters"), "{message}");
    assert!(message.len() < 200, "the cell is not echoed");
    assert!(grown < HEAP_BOUND, "the heap grew by {} MB", grown >> 20);

    // The 10,000 levels: too long a cell before it is a path at all.
    let deep = vec!["Ebene"; 10_000].join(" / ");
    let csv =
        format!("email;name;department\na@example.de;Anna;Vertrieb\nb@example.de;Ben;{deep}\n");
    let (report, _) = dry_run(&db, &rt, csv.as_bytes());
    let (line, message) = refused(&report);
    assert_eq!(line, 3);
    assert!(message.contains("79997 characters"), "{message}");
    // 2,000 short levels fit in a cell, and are refused as a path.
    let deep = vec!["E"; 2_000].join("/");
    let csv =
        format!("email;name;department\na@example.de;Anna;Vertrieb\nb@example.de;Ben;{deep}\n");
    let (report, _) = dry_run(&db, &rt, csv.as_bytes());
    let (line, message) = refused(&report);
    assert_eq!(line, 3);
    assert!(
        message.contains("2000 levels") && message.contains("at most 12"),
        "{message}"
    );
    assert!(message.len() < 300, "the path is not echoed: {message}");
}

#[test]
fn control_characters_in_spreadsheet_cells_are_refused_as_in_csv() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let db = rt.block_on(database());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["E-Mail", "Name", "Abteilung"],
        ["anna@example.de", "Anna\u{1b}[31m Rot", "Vertrieb"],
        ["ben@example.de", "Ben", "Technik\nIntern"],
        ["cem@example.de", "Cem", "Technik"],
    ];
    for (row, cells) in rows.iter().enumerate() {
        for (column, text) in cells.iter().enumerate() {
            sheet
                .write_string(row as u32, column as u16, *text)
                .unwrap();
        }
    }
    let (report, _) = dry_run(&db, &rt, &book.save_to_buffer().unwrap());
    let lines: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                2,
                "Column “Name” (Anna[31m Rot): The value holds a control character (U+001B)."
            ),
            (
                3,
                "Column “Abteilung” (Ben): The value holds a control character (U+000A)."
            ),
        ]
    );
    let csv = "email;name;department\nanna@example.de;Anna\u{7};Vertrieb\n";
    let (report, _) = dry_run(&db, &rt, csv.as_bytes());
    assert_eq!(
        refused(&report),
        (
            2,
            "Column “name” (Anna): The value holds a control character (U+0007).".to_owned()
        )
    );
}

/// An ODS file of `rows`, each `(repeat, cells)` with cells `(repeat, text)`; empty text is an
/// empty cell.
fn ods(rows: &[(u32, Vec<(u32, String)>)]) -> Vec<u8> {
    use std::io::Write;
    let mut content = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body>\
         <office:spreadsheet><table:table table:name=\"Liste\">",
    );
    for (repeat, cells) in rows {
        content.push_str(&format!(
            "<table:table-row table:number-rows-repeated=\"{repeat}\">"
        ));
        for (span, text) in cells {
            if text.is_empty() {
                content.push_str(&format!(
                    "<table:table-cell table:number-columns-repeated=\"{span}\"/>"
                ));
            } else {
                content.push_str(&format!(
                    "<table:table-cell table:number-columns-repeated=\"{span}\" \
                     office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>"
                ));
            }
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// An XLSX file with text `cells` at any `(row, column)`.
fn xlsx(cells: &[(u32, u16, String)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, column, text) in cells {
        sheet.write_string(*row, *column, text).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn generated_spreadsheets_of_any_shape_end_in_a_report_within_the_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let db = rt.block_on(database());
    let text = "[a-zA-Z0-9@. äöß/\u{0}\u{7}\n-]{0,12}";
    let ods_rows = proptest::collection::vec(
        (
            prop_oneof![Just(1u32), 1u32..5, 1u32..2_000_000],
            proptest::collection::vec(
                (prop_oneof![Just(1u32), 1u32..20, 1u32..20_000], text),
                0..6,
            ),
        ),
        0..8,
    );
    let xlsx_cells = proptest::collection::vec(
        (
            prop_oneof![0u32..5, 0u32..1_048_576],
            prop_oneof![0u16..5, 0u16..16_384],
            text,
        ),
        0..12,
    );
    // Seeded: the same cases on every run; a failure names its case.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 96,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    runner
        .run(&(ods_rows, xlsx_cells), |(rows, cells)| {
            for file in [ods(&rows), xlsx(&cells)] {
                let (report, grown) = dry_run(&db, &rt, &file);
                prop_assert!(grown < HEAP_BOUND, "grew by {} MB", grown >> 20);
                for error in &report.errors {
                    prop_assert!(!error.message.is_empty());
                    prop_assert!(error.message.len() < 1_000, "{}", error.message);
                }
            }
            Ok(())
        })
        .unwrap();
}
