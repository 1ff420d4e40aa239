//! The figures of one round as CSV, exactly as the threshold and complementary suppression let
//! every other output show them: a pure writer over [`RoundResults`], no database.
//!
//! One row per group × measure: participation, responses, each pillar index (over the round's
//! items and over the core items), the overall index, every Likert item (n, mean,
//! % favourable, % unfavourable, % can't judge) and the 0–10 item's net score. A hidden figure
//! is an empty cell with the reason in the note column, never a count.
//!
//! Two dialects: plain RFC 4180 (`,`, decimal point, UTF-8, CRLF) for scripts, and one for
//! German Excel (UTF-8 byte order mark, `;`, decimal comma). Text cells that a spreadsheet
//! would read as a formula (`=`, `+`, `-`, `@`, tab, CR at the start) get a leading `'` in both
//! dialects: department names and question texts are typed by people.

use ::csv::{QuoteStyle, Terminator, WriterBuilder};

use super::query::RoundResults;
use super::results::GroupReport;
use super::stats::{HiddenReason, Interval, Shown};
use crate::i18n::{self, Locale};

/// The UTF-8 byte order mark: Excel reads a CSV as UTF-8 only when it starts with one.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// German Excel: BOM, `;` and decimal comma. Otherwise RFC 4180 with `,`.
    pub excel: bool,
    /// The language of the headers, measures and notes.
    pub locale: Locale,
}

/// The columns, in order: the text key of each header.
const COLUMNS: [&str; 13] = [
    "export_col_group",
    "export_col_path",
    "export_col_measure",
    "export_col_key",
    "export_col_n",
    "export_col_value",
    "export_col_ci_low",
    "export_col_ci_high",
    "export_col_favourable",
    "export_col_unfavourable",
    "export_col_cant_judge",
    "export_col_invited",
    "export_col_note",
];

/// One row's figures; `None` is an empty cell.
#[derive(Default)]
struct Figures {
    n: Option<u64>,
    value: Option<Number>,
    ci: Option<Interval>,
    favourable: Option<f64>,
    unfavourable: Option<f64>,
    cant_judge: Option<f64>,
    invited: Option<u64>,
    note: Option<&'static str>,
}

#[derive(Clone, Copy)]
enum Number {
    Count(u64),
    /// Written with this many decimals.
    Decimal(f64, usize),
}

/// Percentages, indices and net scores: one decimal; means of 1–5: two.
const ONE: usize = 1;
const TWO: usize = 2;

/// A writer into memory in one of the two dialects, the BOM already written for German Excel.
/// Every CSV kundenpuls writes starts here (the results, the actions), so the dialects stay
/// one.
pub fn writer(excel: bool) -> ::csv::Writer<Vec<u8>> {
    let mut out = Vec::new();
    if excel {
        out.extend_from_slice(BOM);
    }
    WriterBuilder::new()
        .delimiter(if excel { b';' } else { b',' })
        .terminator(Terminator::CRLF)
        .quote_style(QuoteStyle::Necessary)
        .from_writer(out)
}

/// The whole file, BOM included when `options.excel`. An open round has no figures yet: the
/// file is then the header row alone.
pub fn write(results: &RoundResults, options: CsvOptions) -> Vec<u8> {
    let locale = options.locale;
    let mut writer = writer(options.excel);
    let header: Vec<&str> = COLUMNS.iter().map(|key| i18n::text(locale, key)).collect();
    writer
        .write_record(&header)
        .expect("writing to memory cannot fail");
    for group in &results.groups {
        for (measure, key, figures) in rows(group, locale) {
            let record = record(group, &measure, &key, &figures, options);
            writer
                .write_record(&record)
                .expect("writing to memory cannot fail");
        }
    }
    writer.into_inner().expect("flushing to memory cannot fail")
}

fn hidden_note(reason: HiddenReason, locale: Locale) -> &'static str {
    let key = match reason {
        HiddenReason::NotEnoughAnswers => "export_hidden_not_enough_answers",
        HiddenReason::NotEnoughItemAnswers => "export_hidden_not_enough_item_answers",
        HiddenReason::PillarMissing => "export_hidden_pillar_missing",
        HiddenReason::ComplementarySuppression => "export_hidden_complementary_suppression",
        HiddenReason::RoundOpen => "export_hidden_round_open",
    };
    i18n::text(locale, key)
}

/// A shown figure through `shown`, a hidden one as empty cells with its reason.
fn figures<T>(value: &Shown<T>, locale: Locale, shown: impl FnOnce(&T) -> Figures) -> Figures {
    match value {
        Shown::Shown(value) => shown(value),
        Shown::Hidden { reason } => Figures {
            note: Some(hidden_note(*reason, locale)),
            ..Figures::default()
        },
    }
}

fn rows(group: &GroupReport, locale: Locale) -> Vec<(String, String, Figures)> {
    let text = |key: &str| i18n::text(locale, key);
    let mut rows = Vec::new();
    rows.push((
        text("export_measure_participation").to_owned(),
        "participation".to_owned(),
        figures(&group.participation, locale, |p| Figures {
            n: Some(p.answered),
            value: Some(Number::Decimal(p.rate_pct, ONE)),
            invited: Some(p.invited),
            ..Figures::default()
        }),
    ));
    rows.push((
        text("export_measure_responses").to_owned(),
        "responses".to_owned(),
        figures(&group.responses, locale, |n| Figures {
            n: Some(*n),
            value: Some(Number::Count(*n)),
            ..Figures::default()
        }),
    ));
    for (basis, measure, core) in [
        ("pillar", "export_measure_pillar", false),
        ("pillar_core", "export_measure_pillar_core", true),
    ] {
        for pillar in &group.pillars {
            let name = text(&format!("pillar_{}", pillar.key));
            let index = if core { &pillar.core } else { &pillar.index };
            rows.push((
                text(measure).replace("{pillar}", name),
                format!("{basis}.{}", pillar.key),
                figures(index, locale, |i| Figures {
                    n: Some(i.n),
                    value: Some(Number::Decimal(i.index, ONE)),
                    ci: i.ci95,
                    ..Figures::default()
                }),
            ));
        }
    }
    rows.push((
        text("export_measure_overall").to_owned(),
        "overall".to_owned(),
        figures(&group.overall, locale, |o| Figures {
            value: Some(Number::Decimal(o.index, ONE)),
            ci: o.ci95,
            ..Figures::default()
        }),
    ));
    for item in &group.items {
        rows.push((
            text("export_measure_item").replace("{text}", &item.text),
            format!("item.{}", item.key),
            figures(&item.figures, locale, |f| Figures {
                n: Some(f.n),
                value: Some(Number::Decimal(f.mean, TWO)),
                favourable: Some(f.favourable_pct),
                unfavourable: Some(f.unfavourable_pct),
                cant_judge: Some(f.cant_judge_pct),
                ..Figures::default()
            }),
        ));
    }
    for net in &group.net_scores {
        rows.push((
            text("export_measure_net").replace("{text}", &net.text),
            format!("net_score.{}", net.key),
            figures(&net.figures, locale, |f| Figures {
                n: Some(f.n),
                value: Some(Number::Decimal(f.net_score, ONE)),
                cant_judge: Some(f.cant_judge_pct),
                ..Figures::default()
            }),
        ));
    }
    rows
}

fn record(
    group: &GroupReport,
    measure: &str,
    key: &str,
    figures: &Figures,
    options: CsvOptions,
) -> Vec<String> {
    let number = |value: Option<Number>| match value {
        None => String::new(),
        Some(Number::Count(n)) => n.to_string(),
        Some(Number::Decimal(x, places)) => decimal(x, places, options.excel),
    };
    let pct = |value: Option<f64>| number(value.map(|x| Number::Decimal(x, ONE)));
    let count = |value: Option<u64>| number(value.map(Number::Count));
    vec![
        text_cell(&group.name),
        text_cell(&group.path),
        text_cell(measure),
        text_cell(key),
        count(figures.n),
        number(figures.value),
        pct(figures.ci.map(|ci| ci.low)),
        pct(figures.ci.map(|ci| ci.high)),
        pct(figures.favourable),
        pct(figures.unfavourable),
        pct(figures.cant_judge),
        count(figures.invited),
        figures.note.map(text_cell).unwrap_or_default(),
    ]
}

/// `x` with `places` decimals; a decimal comma for German Excel. Never `-0.0`.
fn decimal(x: f64, places: usize, comma: bool) -> String {
    let mut s = format!("{x:.places$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s.remove(0);
    }
    if comma { s.replace('.', ",") } else { s }
}

/// A text cell that a spreadsheet will not run as a formula.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::{GroupReport, ItemReport, NetReport, Participation, PillarReport};
    use crate::report::stats::{Histogram, Moments, NetHistogram, PillarIndex, show_overall};
    use crate::report::trend::RoundLabel;
    use crate::vocab::{Pillar, RoundState};

    fn label() -> RoundLabel {
        RoundLabel {
            id: 7,
            title: "Oktober".into(),
            date: "2026-10-05".into(),
        }
    }

    fn shown_group() -> GroupReport {
        // Six respondents, scores 50, 75, 75, 75, 100, 100 in every pillar.
        let moments = Moments::from_values([50.0, 75.0, 75.0, 75.0, 100.0, 100.0]);
        let index = Shown::Shown(PillarIndex::from_moments(&moments).unwrap());
        let pillars: Vec<PillarReport> = Pillar::EACH
            .into_iter()
            .map(|key| PillarReport {
                key,
                index: index.clone(),
                core: index.clone(),
                change: None,
            })
            .collect();
        let overall = show_overall(&[index.clone(), index.clone(), index.clone()]);
        let histogram =
            Histogram::from_answers([Some(1), Some(4), Some(4), Some(5), Some(5), None], false)
                .unwrap();
        let net =
            NetHistogram::from_answers([Some(10), Some(9), Some(9), Some(8), Some(3), Some(0)])
                .unwrap();
        GroupReport {
            department_id: Some(1),
            parent_id: None,
            path: "Vertrieb".into(),
            name: "Vertrieb".into(),
            depth: 0,
            participation: Shown::Shown(Participation {
                invited: 8,
                answered: 6,
                rate_pct: 75.0,
            }),
            responses: Shown::Shown(6),
            pillars,
            overall,
            items: vec![ItemReport {
                question_id: 1,
                key: "cf_goals_customer_value".into(),
                pillar: Some(Pillar::CustomerFocus),
                text: "=Ziele; \"Kunden\"".into(),
                reverse_coded: false,
                core: true,
                figures: Shown::Shown(histogram.figures().unwrap()),
            }],
            net_scores: vec![NetReport {
                question_id: 2,
                key: "recommend".into(),
                text: "Empfehlung".into(),
                figures: Shown::Shown(net.figures().unwrap()),
            }],
            comments: Shown::hidden(HiddenReason::NotEnoughAnswers),
        }
    }

    fn hidden_group(reason: HiddenReason) -> GroupReport {
        let mut group = shown_group();
        group.department_id = Some(2);
        group.parent_id = Some(1);
        group.path = "Vertrieb / Recht".into();
        group.name = "Recht".into();
        group.depth = 1;
        group.participation = Shown::hidden(reason);
        group.responses = Shown::hidden(reason);
        for pillar in &mut group.pillars {
            pillar.index = Shown::hidden(reason);
            pillar.core = Shown::hidden(reason);
        }
        group.overall = Shown::hidden(reason);
        for item in &mut group.items {
            item.figures = Shown::hidden(reason);
        }
        for net in &mut group.net_scores {
            net.figures = Shown::hidden(reason);
        }
        group
    }

    fn results(groups: Vec<GroupReport>) -> RoundResults {
        RoundResults {
            round: label(),
            state: RoundState::Closed,
            previous: None,
            anonymity_threshold: 5,
            comment_threshold: 10,
            groups,
        }
    }

    fn parse(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
        ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    fn row<'a>(rows: &'a [Vec<String>], path: &str, key: &str) -> &'a [String] {
        rows.iter()
            .find(|r| r[1] == path && r[3] == key)
            .unwrap_or_else(|| panic!("no row {path} {key}"))
    }

    #[test]
    fn plain_csv_is_rfc_4180_with_a_decimal_point() {
        let bytes = write(
            &results(vec![shown_group()]),
            CsvOptions {
                excel: false,
                locale: Locale::En,
            },
        );
        assert!(!bytes.starts_with(BOM));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("Group,Department path,Measure,Key,n,Value,"));
        assert!(text.ends_with("\r\n"));
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "CRLF line ends"
        );
        let rows = parse(&bytes, b',');
        assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
        // 2 + 3 + 3 + 1 + 1 + 1 measures.
        assert_eq!(rows.len(), 1 + 11);

        let participation = row(&rows, "Vertrieb", "participation");
        assert_eq!(participation[4], "6");
        assert_eq!(participation[5], "75.0");
        assert_eq!(participation[11], "8");
        assert_eq!(participation[12], "");

        let pillar = row(&rows, "Vertrieb", "pillar.customer_focus");
        assert_eq!(pillar[2], "Customer focus index (0–100)");
        assert_eq!(pillar[4], "6");
        assert_eq!(pillar[5], "79.2");
        let low: f64 = pillar[6].parse().unwrap();
        let high: f64 = pillar[7].parse().unwrap();
        assert!(low < 79.2 && 79.2 < high);
        assert_eq!(row(&rows, "Vertrieb", "overall")[5], "79.2");

        // Answers 1, 4, 4, 5, 5 and one "can't judge": mean 19 / 5.
        let item = row(&rows, "Vertrieb", "item.cf_goals_customer_value");
        assert_eq!(item[4], "5");
        assert_eq!(item[5], "3.80");
        assert_eq!(item[8], "80.0");
        assert_eq!(item[9], "20.0");
        assert_eq!(item[10], "16.7");
        // A text a spreadsheet would run as a formula is defused; quotes survive the round trip.
        assert_eq!(item[2], "'=Ziele; \"Kunden\" (mean 1–5)");

        // 10, 9, 9 promoters, 8 passive, 3 and 0 detractors: (3 − 2) / 6.
        let net = row(&rows, "Vertrieb", "net_score.recommend");
        assert_eq!(net[4], "6");
        assert_eq!(net[5], "16.7");
        assert_eq!(net[12], "");
    }

    #[test]
    fn excel_csv_has_a_bom_semicolons_and_decimal_commas_in_german() {
        let bytes = write(
            &results(vec![shown_group()]),
            CsvOptions {
                excel: true,
                locale: Locale::De,
            },
        );
        assert!(bytes.starts_with(BOM));
        let body = &bytes[BOM.len()..];
        let text = std::str::from_utf8(body).unwrap();
        assert!(text.starts_with("Gruppe;Abteilungspfad;Kennzahl;Schlüssel;n;Wert;"));
        let rows = parse(body, b';');
        assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
        let item = row(&rows, "Vertrieb", "item.cf_goals_customer_value");
        assert_eq!(item[5], "3,80");
        assert_eq!(item[8], "80,0");
        assert_eq!(
            row(&rows, "Vertrieb", "pillar_core.values")[2],
            "Index Gelebte Werte, Kernfragen (0–100)"
        );
        assert_eq!(row(&rows, "Vertrieb", "participation")[5], "75,0");
    }

    #[test]
    fn a_hidden_group_has_empty_figures_and_a_note_but_no_count() {
        for reason in [
            HiddenReason::NotEnoughAnswers,
            HiddenReason::ComplementarySuppression,
        ] {
            let bytes = write(
                &results(vec![shown_group(), hidden_group(reason)]),
                CsvOptions {
                    excel: false,
                    locale: Locale::En,
                },
            );
            let rows = parse(&bytes, b',');
            let hidden: Vec<&Vec<String>> =
                rows.iter().filter(|r| r[1] == "Vertrieb / Recht").collect();
            assert_eq!(hidden.len(), 11);
            for r in hidden {
                assert!(
                    r[4..12].iter().all(String::is_empty),
                    "{reason:?}: figures in {r:?}"
                );
                assert!(r[12].contains("not enough answers"), "{r:?}");
                // Only the measure's label ("0–100", "1–5") has digits.
                assert!(
                    r.iter()
                        .enumerate()
                        .filter(|(i, _)| *i != 2)
                        .all(|(_, cell)| !cell.chars().any(|c| c.is_ascii_digit())),
                    "no number in {r:?}"
                );
            }
        }
    }

    #[test]
    fn an_open_round_is_the_header_alone() {
        let mut open = results(Vec::new());
        open.state = RoundState::Open;
        let bytes = write(
            &open,
            CsvOptions {
                excel: true,
                locale: Locale::En,
            },
        );
        let rows = parse(&bytes[BOM.len()..], b';');
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][0], "Group");
    }

    #[test]
    fn decimals_round_and_never_show_minus_zero() {
        assert_eq!(decimal(-0.04, 1, false), "0.0");
        assert_eq!(decimal(-12.26, 1, true), "-12,3");
        assert_eq!(decimal(3.456, 2, true), "3,46");
        assert_eq!(text_cell("-Vertrieb"), "'-Vertrieb");
        assert_eq!(text_cell("Vertrieb - Nord"), "Vertrieb - Nord");
    }
}
