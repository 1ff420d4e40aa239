//! Stages 1–2: the file's bytes as a table. A CSV is decoded to text (the encoding chosen, or
//! found by its byte order mark, else UTF-8 or Windows-1252) and split into records by its
//! delimiter, each with the physical line it starts on; a spreadsheet goes to `spreadsheet.rs`.

use std::borrow::Cow;

use encoding_rs::Encoding;

use super::options::{DeclaredFormat, ImportOptions};
use super::spreadsheet;
use super::table::{FileReading, LineError, OLE_MAGIC, RawRow, RawTable, TableGuard, empty_file};
use crate::org::department::shorten;
use crate::problem::Problem;

const PDF_MAGIC: &[u8] = b"%PDF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Stages 1–2: the file as a table, CSV or spreadsheet.
pub(super) fn read_input(
    input: &[u8],
    options: &ImportOptions,
) -> Result<(RawTable, FileReading), LineError> {
    if input.starts_with(PDF_MAGIC) {
        return Err(LineError::new(0, Problem::new("import_pdf")));
    }
    if input.starts_with(ZIP_MAGIC) || input.starts_with(OLE_MAGIC) {
        return spreadsheet::read(input, options.sheet.as_deref());
    }
    if options.declared == Some(DeclaredFormat::Spreadsheet) && !input.is_empty() {
        return Err(LineError::new(0, Problem::new("import_not_a_spreadsheet")));
    }
    let forced = match options.encoding.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(label) => Some(encoding_by_label(label)?),
    };
    let (text, encoding) = decode(input, forced)?;
    if text.contains('\0') {
        return Err(LineError::new(0, Problem::new("import_binary")));
    }
    let (table, delimiter) = read_table(&text)?;
    let reading = FileReading {
        format: "csv".into(),
        encoding: Some(encoding),
        delimiter: Some(match delimiter {
            b'\t' => "tab".into(),
            other => char::from(other).to_string(),
        }),
        ..FileReading::default()
    };
    Ok((table, reading))
}

/// The encodings HR may choose, by any WHATWG label (`utf-8`, `utf-16le`, `utf-16be`,
/// `windows-1252`, `cp1252`, `latin1`, …) or `ansi`.
fn encoding_by_label(label: &str) -> Result<&'static Encoding, LineError> {
    let label = label.trim();
    if label.eq_ignore_ascii_case("ansi") {
        return Ok(encoding_rs::WINDOWS_1252);
    }
    if label.eq_ignore_ascii_case("utf-16") {
        return Ok(encoding_rs::UTF_16LE);
    }
    Encoding::for_label_no_replacement(label.as_bytes()).ok_or_else(|| {
        LineError::new(
            0,
            Problem::new("import_unknown_encoding").arg("label", shorten(label, 40)),
        )
    })
}

/// Stage 1 (CSV): the file as text, and the name of the encoding used. Without a choice: a byte
/// order mark decides (UTF-8, UTF-16 LE/BE); else valid UTF-8 is UTF-8 and anything else is
/// Windows-1252, which is what German Excel writes as "CSV (Trennzeichen-getrennt)".
fn decode<'a>(
    input: &'a [u8],
    forced: Option<&'static Encoding>,
) -> Result<(Cow<'a, str>, String), LineError> {
    let bom = Encoding::for_bom(input);
    let encoding = match (forced, bom) {
        (Some(encoding), _) => encoding,
        (None, Some((encoding, _))) => encoding,
        (None, None) => match std::str::from_utf8(input) {
            Ok(text) => return Ok((Cow::Borrowed(text), "UTF-8".into())),
            Err(_) => encoding_rs::WINDOWS_1252,
        },
    };
    let (body, with_bom) = match bom {
        Some((bom_encoding, length)) if bom_encoding == encoding => (&input[length..], true),
        _ => (input, false),
    };
    let name = if with_bom {
        format!("{} with BOM", encoding.name())
    } else {
        encoding.name().to_owned()
    };
    if encoding == encoding_rs::UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(text) => Ok((Cow::Borrowed(text), name)),
            Err(err) => Err(LineError::new(
                line_of_offset(body, err.valid_up_to()),
                Problem::new("import_not_utf8"),
            )),
        };
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .map(|text| (text, name))
        .ok_or_else(|| {
            LineError::new(
                0,
                Problem::new("import_not_valid_text").arg("encoding", encoding.name()),
            )
        })
}

fn line_of_offset(input: &[u8], offset: usize) -> u64 {
    let newlines = input[..offset].iter().filter(|&&b| b == b'\n').count();
    newlines as u64 + 1
}

/// Stage 2 (CSV): records and their lines, and the delimiter. Excel's `sep=;` first line names
/// the delimiter; otherwise it is taken from the header line (German Excel writes `;`, most
/// others `,`, "Unicode text" a tab).
pub(super) fn read_table(text: &str) -> Result<(RawTable, u8), LineError> {
    let (body, first_line, delimiter) = match sep_line(text) {
        Some((delimiter, rest)) => (rest, 2, delimiter),
        None => (text, 1, detect_delimiter(text)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut lines = LineCounter::new(body, first_line);
    let mut rows = Vec::new();
    let mut guard = TableGuard::default();
    for record in reader.records() {
        let record = record.map_err(|err| csv_error(err, first_line))?;
        let line = record
            .position()
            .map_or(0, |position| lines.line_of_record_at(position.byte()));
        let fields: Vec<&str> = record.iter().collect();
        guard.admit(line, &fields)?;
        rows.push(RawRow {
            line,
            fields: fields.into_iter().map(str::to_owned).collect(),
        });
    }
    let table = RawTable::from_rows(rows).ok_or_else(empty_file)?;
    Ok((table, delimiter))
}

/// Excel's `sep=X` first line: the delimiter and the text after that line.
fn sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.trim_end_matches('\r').trim().trim_matches('"');
    let delimiter = first
        .strip_prefix("sep=")
        .or_else(|| first.strip_prefix("SEP="))?;
    match delimiter.as_bytes() {
        [byte] if byte.is_ascii() => Some((*byte, rest)),
        [] => Some((b'\t', rest)),
        _ => None,
    }
}

/// Physical line numbers of records. csv's own `Position::line` does not count the blank lines
/// it skips, and its byte offset points at the end of the previous record: the record really
/// starts after the line breaks that follow.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Counting in `text`, whose first line is line `first_line` of the file.
    fn new(text: &'a str, first_line: u64) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: first_line,
        }
    }

    /// The line of the record whose csv position is `byte`; records come in file order, so
    /// counting goes on from the previous one.
    fn line_of_record_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let newlines = self.text[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

fn csv_error(err: csv::Error, first_line: u64) -> LineError {
    let line = err
        .position()
        .map_or(0, |position| position.line() + first_line - 1);
    LineError::new(line, Problem::new("import_bad_csv_line"))
}

/// The delimiter (`;`, `,` or tab) that occurs most often outside quotes in the first non-blank
/// line; `,` when none does.
fn detect_delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let (mut commas, mut semicolons, mut tabs, mut quoted) = (0usize, 0usize, 0usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if tabs > semicolons && tabs > commas {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::org::import::tests::{check, lines, parse, reading_of};
    use crate::org::import::{ignore_progress, parse_file};

    #[test]
    fn a_bom_is_dropped_and_the_header_still_matches() {
        let parsed = parse(b"\xEF\xBB\xBFemail,name,department\na@example.de,Anna,Vertrieb\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.employees[0].email, "a@example.de");
    }

    #[test]
    fn text_that_is_not_utf8_is_read_as_windows_1252_unless_utf8_is_chosen() {
        // "Jürgen Groß" in Windows-1252.
        let bytes = b"email,name,department\nj@example.de,J\xFCrgen Gro\xDF,IT\n";
        let (text, encoding) = decode(bytes, None).expect("windows-1252");
        assert_eq!(encoding, "windows-1252");
        assert!(text.contains("Jürgen Groß"), "{text}");
        let error = decode(bytes, Some(encoding_rs::UTF_8)).expect_err("not UTF-8");
        assert_eq!(error.line, 2);
        assert!(error.en().contains("UTF-8"), "{error}");
    }

    #[test]
    fn semicolons_and_commas_are_both_understood() {
        assert_eq!(detect_delimiter("email;name;department\n"), b';');
        assert_eq!(detect_delimiter("email,name,department\n"), b',');
        assert_eq!(detect_delimiter("email\tname, first\tdepartment\n"), b'\t');
        assert_eq!(detect_delimiter("\n\n\"e,mail\";name;department\n"), b';');
        let (rows, errors) = check("email;name;department\na@example.de;Müller, Anna;IT\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "Müller, Anna");
    }

    #[test]
    fn quoted_fields_may_hold_delimiters_and_quotes() {
        let (rows, errors) = check(
            "email,name,department\n\"a@example.de\",\"Müller, \"\"Anni\"\" Anna\",\"Vertrieb / Innendienst\"\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "Müller, \"Anni\" Anna");
        assert_eq!(rows[0].department, "Vertrieb / Innendienst");
    }

    /// UTF-16 bytes with a byte order mark, as Excel's "Unicode text" writes them.
    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let pair = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            bytes.extend_from_slice(&pair);
        }
        bytes
    }

    #[test]
    fn every_encoding_gives_the_same_umlauts() {
        let text =
            "E-Mail\tName\tAbteilung\r\njoerg@x.de\tJörg Weiß-Özdemir\tGeschäftsführung/Straße\r\n";
        let (windows_1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend_from_slice(text.as_bytes());
        let cases: [(Vec<u8>, &str); 5] = [
            (text.as_bytes().to_vec(), "UTF-8"),
            (utf8_bom, "UTF-8 with BOM"),
            (utf16(text, false), "UTF-16LE with BOM"),
            (utf16(text, true), "UTF-16BE with BOM"),
            (windows_1252.into_owned(), "windows-1252"),
        ];
        for (bytes, encoding) in cases {
            let (parsed, reading) = reading_of(&bytes, &ImportOptions::new(Locale::De));
            assert!(parsed.errors.is_empty(), "{encoding}: {:?}", parsed.errors);
            assert_eq!(reading.encoding.as_deref(), Some(encoding));
            assert_eq!(reading.delimiter.as_deref(), Some("tab"));
            assert_eq!(parsed.employees[0].name, "Jörg Weiß-Özdemir", "{encoding}");
            assert_eq!(
                parsed.employees[0].department, "Geschäftsführung / Straße",
                "{encoding}"
            );
        }
    }

    #[test]
    fn a_chosen_encoding_wins_and_an_unknown_one_is_explained() {
        // Valid UTF-8 that HR says is Windows-1252 reads as mojibake: HR's choice counts.
        let bytes = "email;name;department\na@x.de;Jörg;IT\n".as_bytes();
        let chosen = ImportOptions {
            encoding: Some("Windows-1252".into()),
            ..ImportOptions::new(Locale::De)
        };
        let (parsed, reading) = reading_of(bytes, &chosen);
        assert_eq!(reading.encoding.as_deref(), Some("windows-1252"));
        assert_eq!(parsed.employees[0].name, "JÃ¶rg");
        // UTF-16 without a byte order mark is found only when chosen.
        let text = "email;name;department\na@x.de;Jörg;IT\n";
        let no_bom = utf16(text, false)[2..].to_vec();
        let parsed = parse(&no_bom);
        assert!(
            parsed.errors[0].en().contains("binary"),
            "{:?}",
            parsed.errors
        );
        let chosen = ImportOptions {
            encoding: Some("utf-16le".into()),
            ..ImportOptions::new(Locale::De)
        };
        let (parsed, reading) = reading_of(&no_bom, &chosen);
        assert_eq!(reading.encoding.as_deref(), Some("UTF-16LE"));
        assert_eq!(parsed.employees[0].name, "Jörg");
        let unknown = ImportOptions {
            encoding: Some("klingon".into()),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(bytes, &unknown, &ignore_progress);
        assert!(
            parsed.errors[0]
                .en()
                .contains("“klingon” is not a known encoding")
        );
    }

    #[test]
    fn excels_sep_line_names_the_delimiter_and_line_numbers_stay_right() {
        let (parsed, reading) = reading_of(
            b"sep=,\r\nemail,name,department\r\na@x.de,A;x,IT\r\nkaputt,B,IT\r\n",
            &ImportOptions::new(Locale::De),
        );
        assert_eq!(reading.delimiter.as_deref(), Some(","));
        assert_eq!(lines(&parsed.errors), vec![4]);
        assert!(parsed.errors[0].en().contains("“kaputt”"));
        assert_eq!(parsed.errors.len(), 1);
        let (parsed, _) = reading_of(
            b"\"sep=;\"\nemail;name;department\n\nb@x.de;;IT\n",
            &ImportOptions::new(Locale::De),
        );
        assert_eq!(lines(&parsed.errors), vec![4]);
    }

    #[test]
    fn pdfs_binary_files_and_declared_spreadsheets_that_are_not_are_refused() {
        let pdf = parse(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n");
        assert!(pdf.errors[0].en().contains("is a PDF"), "{:?}", pdf.errors);
        assert!(pdf.reading.is_none());
        let binary = parse(b"\x00\x01\x02\x03email\x00name\n");
        assert!(
            binary.errors[0].en().contains("binary"),
            "{:?}",
            binary.errors
        );
        let zip_but_not_a_sheet = parse(b"PK\x03\x04 not really a zip");
        assert!(
            zip_but_not_a_sheet.errors[0]
                .en()
                .contains("cannot be read as XLSX or ODS"),
            "{:?}",
            zip_but_not_a_sheet.errors
        );
        let declared = ImportOptions {
            declared: Some(DeclaredFormat::Spreadsheet),
            ..ImportOptions::new(Locale::De)
        };
        let parsed = parse_file(
            b"email,name,department\na@x.de,A,IT\n",
            &declared,
            &ignore_progress,
        );
        assert!(
            parsed.errors[0].en().contains("is not one"),
            "{:?}",
            parsed.errors
        );
    }

    #[test]
    fn empty_files_and_files_without_employees_are_refused() {
        assert_eq!(lines(&parse(b"").errors), vec![1]);
        assert_eq!(lines(&parse(b"\xEF\xBB\xBF\n\n").errors), vec![1]);
        let header_only = parse(b"email,name,department\n\n");
        assert_eq!(lines(&header_only.errors), vec![1]);
        assert!(header_only.errors[0].en().contains("no employees"));
    }

    #[test]
    fn empty_lines_are_skipped_but_counted_in_line_numbers() {
        let (rows, errors) = check("email,name,department\n\na@x.de,A,IT\n,,\n\nb@x.de,B,IT\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [3, 6]);

        let (rows, errors) =
            check("\r\n\r\nemail;name;department\r\n\r\na@x.de;A;IT\r\n\r\n\r\nb@x.de;;IT\r\n");
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [5]);
        assert_eq!(lines(&errors), vec![8]);
    }

    #[test]
    fn line_numbers_count_newlines_inside_quoted_fields() {
        let text = "email;name;department;notiz\n\
                    a@x.de;Anna;IT;\"erste\nZeile\"\n\
                    not-an-email;B;IT;\n\
                    c@x.de;C;IT;\"C\r\n\r\nD\"\n\
                    d@x.de;;IT;\n\
                    e@x.de;\"Eva\nMaria\";IT;\n";
        let (rows, errors) = check(text);
        assert_eq!(rows[0].name, "Anna");
        assert_eq!(lines(&errors), vec![4, 8, 9]);
        assert_eq!(
            errors[2].en(),
            "Column “name” (EvaMaria): The value holds a control character (U+000A).",
            "a line break inside a quoted name is a control character like any other"
        );
    }

    #[test]
    fn an_unclosed_quote_is_pointed_at() {
        let (_, errors) = check("email,name,department\na@x.de,\"Anna,IT\nb@x.de,B,IT\n");
        assert_eq!(lines(&errors), vec![2]);
        assert!(errors[0].en().contains("closing quote"), "{errors:?}");
    }
}
