//! Report figures turned into the charts crate's inputs, in the reader's language, and the
//! rendered pictures cached by a hash of everything drawn: new data, another language or
//! another size is another key, so a cached picture is never an old one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kundenpuls_charts as charts;
use sha2::{Digest, Sha256};

use super::results::GroupReport;
use super::stats::Shown;
use super::trend::{TrendRound, chart_data};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, messages, number, signed, text};
use crate::problem::Problem;
use crate::vocab::Pillar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
        }
    }

    pub fn parse(extension: &str) -> Option<Format> {
        match extension {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub enum Chart {
    /// The texts are boxed: with their month names they are larger than the other charts.
    Trend(charts::TrendData, Box<charts::TrendTexts>),
    Heatmap(charts::HeatmapData, charts::HeatmapTexts),
    Participation(Vec<charts::ParticipationBar>, charts::ParticipationTexts),
}

/// The default width of charts on pages and in mail.
pub const WIDTH: u32 = 800;

impl Chart {
    /// A size that fits the chart's rows at `width`.
    pub fn size(&self, width: u32) -> charts::Size {
        match self {
            // 16:9, taller where the texts wrap on a narrow chart.
            Chart::Trend(data, texts) => charts::trend_size(data, texts, width),
            Chart::Heatmap(data, texts) => charts::heatmap_size(data, texts, width),
            Chart::Participation(bars, _) => charts::participation_size(bars.len(), width),
        }
    }

    /// Whether the chart can be drawn `width` pixels wide (a heatmap of many departments may
    /// need more than the tallest picture drawn).
    pub fn fits(&self, width: u32) -> bool {
        match self {
            Chart::Heatmap(data, texts) => charts::heatmap_fits(data, texts, width),
            Chart::Trend(..) | Chart::Participation(..) => true,
        }
    }

    /// The text equivalent (`alt` of an image, the SVG's own `<desc>`).
    pub fn description(&self) -> String {
        match self {
            Chart::Trend(data, texts) => charts::trend_description(data, texts),
            Chart::Heatmap(data, texts) => charts::heatmap_description(data, texts),
            Chart::Participation(bars, texts) => charts::participation_description(bars, texts),
        }
    }

    fn draw(&self, format: Format, size: charts::Size) -> Result<Vec<u8>, charts::ChartError> {
        match (self, format) {
            (Chart::Trend(d, t), Format::Svg) => {
                charts::trend_svg(d, t, size).map(String::into_bytes)
            }
            (Chart::Trend(d, t), Format::Png) => charts::trend_png(d, t, size),
            (Chart::Heatmap(d, t), Format::Svg) => {
                charts::heatmap_svg(d, t, size).map(String::into_bytes)
            }
            (Chart::Heatmap(d, t), Format::Png) => charts::heatmap_png(d, t, size),
            (Chart::Participation(b, t), Format::Svg) => {
                charts::participation_svg(b, t, size).map(String::into_bytes)
            }
            (Chart::Participation(b, t), Format::Png) => charts::participation_png(b, t, size),
        }
    }

    fn key(&self, format: Format, size: charts::Size) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(format!("{self:?}|{format:?}|{size:?}").as_bytes());
        hasher.finalize().into()
    }
}

fn pillar_labels(locale: Locale) -> [String; 3] {
    Pillar::EACH.map(|p| text(locale, &format!("pillar_{p}")).to_owned())
}

/// The trend chart of one group.
pub fn trend(trend: &[TrendRound], group_name: &str, locale: Locale) -> Chart {
    let data = chart_data(trend, &pillar_labels(locale), text(locale, "chart_overall"));
    Chart::Trend(
        data,
        Box::new(charts::TrendTexts {
            title: text(locale, "chart_trend_title").replace("{group}", group_name),
            y_axis: text(locale, "chart_y_axis").to_owned(),
            axis_from: text(locale, "chart_axis_from").to_owned(),
            responses: text(locale, "chart_responses").to_owned(),
            band: text(locale, "chart_band").to_owned(),
            hidden: text(locale, "chart_hidden").to_owned(),
            significant: text(locale, "chart_significant").to_owned(),
            rise: text(locale, "chart_rise").to_owned(),
            fall: text(locale, "chart_fall").to_owned(),
            empty: text(locale, "chart_empty").to_owned(),
            dates: date_texts(locale),
            marks: charts::MarkTexts {
                start: text(locale, "chart_mark_start").to_owned(),
                end: text(locale, "chart_mark_end").to_owned(),
                subject: text(locale, "chart_mark_subject").to_owned(),
                started: text(locale, "chart_mark_started").to_owned(),
                ended: text(locale, "chart_mark_ended").to_owned(),
            },
        }),
    )
}

/// A trend with marks of what happened between its rounds (drawn as dashed lines with their
/// labels, named in the description). Report knows nothing of what is marked: the caller
/// brings the marks with their labels and titles. Another mark is another picture: the marks
/// are part of the chart's data and so of its cache key.
pub fn with_marks(chart: Chart, marks: Vec<charts::TrendMark>) -> Chart {
    match chart {
        Chart::Trend(mut data, texts) => {
            data.marks = marks;
            Chart::Trend(data, texts)
        }
        other => other,
    }
}

/// Month names and date patterns from the language's texts: a German chart says "Okt 26".
fn date_texts(locale: Locale) -> charts::DateTexts {
    let months = |prefix: &str| {
        std::array::from_fn(|i| text(locale, &format!("{prefix}_{}", i + 1)).to_owned())
    };
    charts::DateTexts {
        months_short: months("month_short"),
        months: months("month"),
        axis_month: text(locale, "chart_axis_month").to_owned(),
        axis_day: text(locale, "chart_axis_day").to_owned(),
        full: text(locale, "chart_date").to_owned(),
    }
}

/// The heatmap's columns: the pillars and the overall index, or one per Likert item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatmapView {
    #[default]
    Pillars,
    Items,
}

impl HeatmapView {
    /// The `view` query parameter; `None` for an unknown one.
    pub fn parse(value: Option<&str>) -> Option<HeatmapView> {
        match value {
            None | Some("pillars") => Some(HeatmapView::Pillars),
            Some("items") => Some(HeatmapView::Items),
            Some(_) => None,
        }
    }
}

/// A difference of this many index points (or percentage points of favourable answers) gets
/// the full colour: a gap of ten points is one leadership acts on.
pub const HEATMAP_SATURATION: f64 = 10.0;

/// What the heatmap compares: the reader's top (the company, or a scoped reader's own
/// department) and the departments below it with their level (1 = right below the top).
pub struct HeatmapRows<'a> {
    pub reference: Option<&'a GroupReport>,
    /// `None` for the company.
    pub reference_name: Option<&'a str>,
    pub rows: Vec<(usize, &'a GroupReport)>,
}

/// Departments against the reader's top in one round: one row per department, one column per
/// pillar (and the overall index) or per item, each cell with its value and its difference to
/// the top. Only figures the results show are used: a hidden figure stays a hidden cell, and a
/// difference needs both figures shown.
pub fn heatmap(
    rows: &HeatmapRows<'_>,
    view: HeatmapView,
    round_title: &str,
    locale: Locale,
) -> Chart {
    let (columns, figures): (Vec<charts::HeatmapColumn>, Figures) = match view {
        HeatmapView::Pillars => pillar_columns(locale),
        HeatmapView::Items => item_columns(rows, locale),
    };
    let other = rows.reference.map(&figures).unwrap_or_default();
    let row = |level: usize, group: &GroupReport, reference: bool| {
        let own = figures(group);
        charts::HeatmapRow {
            name: group.name.clone(),
            full_name: group.path.clone(),
            level,
            reference,
            cells: own
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let against = (!reference)
                        .then(|| other.get(i).copied().flatten())
                        .flatten();
                    heatmap_cell(*value, against, view, locale)
                })
                .collect(),
        }
    };
    let mut out: Vec<charts::HeatmapRow> = Vec::with_capacity(rows.rows.len() + 1);
    if let Some(reference) = rows.reference {
        let mut top = row(0, reference, true);
        if reference.department_id.is_none() {
            top.name = text(locale, "dashboard_scope_all").to_owned();
            top.full_name = top.name.clone();
        }
        out.push(top);
    }
    out.extend(
        rows.rows
            .iter()
            .map(|(level, group)| row(*level, group, false)),
    );
    Chart::Heatmap(
        charts::HeatmapData {
            columns,
            rows: out,
            saturation: HEATMAP_SATURATION,
        },
        heatmap_texts(rows.reference_name, view, round_title, locale),
    )
}

/// A group's figures for the columns, `None` where hidden.
type Figures = Box<dyn Fn(&GroupReport) -> Vec<Option<f64>>>;

fn pillar_columns(locale: Locale) -> (Vec<charts::HeatmapColumn>, Figures) {
    let mut columns: Vec<charts::HeatmapColumn> = pillar_labels(locale)
        .into_iter()
        .map(|label| charts::HeatmapColumn {
            full: label.clone(),
            label,
        })
        .collect();
    let overall = text(locale, "chart_overall").to_owned();
    columns.push(charts::HeatmapColumn {
        label: overall.clone(),
        full: overall,
    });
    let figures = |g: &GroupReport| {
        let mut row: Vec<Option<f64>> = g
            .pillars
            .iter()
            .map(|p| p.index.as_shown().map(|i| i.index))
            .collect();
        row.push(g.overall.as_shown().map(|o| o.index));
        row
    };
    (columns, Box::new(figures))
}

/// One column per Likert item the round asked, in its order, labelled with the item's short
/// name (the whole text where a question has none, e.g. one added to the catalogue later).
fn item_columns(rows: &HeatmapRows<'_>, locale: Locale) -> (Vec<charts::HeatmapColumn>, Figures) {
    let items = rows
        .reference
        .or(rows.rows.first().map(|(_, g)| *g))
        .map(|g| g.items.clone())
        .unwrap_or_default();
    let columns = items
        .iter()
        .map(|item| charts::HeatmapColumn {
            label: messages(locale)
                .get(&format!("item_short_{}", item.key))
                .cloned()
                .unwrap_or_else(|| item.text.clone()),
            full: item.text.clone(),
        })
        .collect();
    let keys: Vec<i32> = items.iter().map(|i| i.question_id).collect();
    let figures = move |g: &GroupReport| {
        keys.iter()
            .map(|id| {
                g.items
                    .iter()
                    .find(|i| i.question_id == *id)
                    .and_then(|i| i.figures.as_shown())
                    .map(|f| f.favourable_pct)
            })
            .collect()
    };
    (columns, Box::new(figures))
}

fn heatmap_cell(
    value: Option<f64>,
    reference: Option<f64>,
    view: HeatmapView,
    locale: Locale,
) -> charts::HeatmapCell {
    // Indices with one decimal, as everywhere on the pages; shares of answers whole.
    let decimals = match view {
        HeatmapView::Pillars => 1,
        HeatmapView::Items => 0,
    };
    match value {
        None => charts::HeatmapCell::Hidden,
        Some(value) => charts::HeatmapCell::Shown {
            value: number(value, decimals, locale),
            delta: reference.map(|reference| charts::Delta {
                points: value - reference,
                text: signed(value - reference, decimals, locale),
            }),
        },
    }
}

fn heatmap_texts(
    reference: Option<&str>,
    view: HeatmapView,
    round_title: &str,
    locale: Locale,
) -> charts::HeatmapTexts {
    let say = |key: &str| {
        let (key, name) = match reference {
            None => (format!("{key}_company"), ""),
            Some(name) => (key.to_owned(), name),
        };
        text(locale, &key).replace("{name}", name)
    };
    let title_key = match view {
        HeatmapView::Pillars => "chart_heatmap_title_pillars",
        HeatmapView::Items => "chart_heatmap_title_items",
    };
    let ticks = [-HEATMAP_SATURATION, 0.0, HEATMAP_SATURATION].map(|t| signed(t, 0, locale));
    charts::HeatmapTexts {
        title: text(locale, title_key)
            .replace("{compared}", &say("chart_heatmap_compared"))
            .replace("{round}", round_title),
        below: say("chart_heatmap_below"),
        above: say("chart_heatmap_above"),
        ticks,
        reference: say("chart_heatmap_reference"),
        hidden: text(locale, "chart_hidden").to_owned(),
        delta: say("chart_heatmap_delta"),
        empty: text(locale, "chart_heatmap_empty").to_owned(),
    }
}

/// Participation per group the reader may see (participation is an output too: small groups
/// count in their parent, see `report::participation`).
pub fn participation(
    part: &super::participation::Participation,
    round_title: &str,
    locale: Locale,
) -> Chart {
    let bars = part
        .units
        .iter()
        .map(|unit| charts::ParticipationBar {
            label: unit.path.clone(),
            answered: unit.counts.answered,
            invited: unit.counts.invited,
        })
        .collect();
    Chart::Participation(
        bars,
        charts::ParticipationTexts {
            title: text(locale, "chart_participation_title").replace("{round}", round_title),
            percent: text(locale, "chart_percent").to_owned(),
            empty: text(locale, "chart_participation_empty").to_owned(),
        },
    )
}

/// A drawn chart.
#[derive(Debug)]
pub struct Rendered {
    pub format: Format,
    pub bytes: Vec<u8>,
    pub description: String,
}

/// Pictures drawn, by the hash of what they show. Bounded; any entry may go.
#[derive(Default)]
pub struct ChartCache {
    entries: Mutex<HashMap<[u8; 32], Arc<Rendered>>>,
}

const CACHED_CHARTS: usize = 256;

impl ChartCache {
    /// Draws `chart` (off the async threads: drawing is CPU work) unless the same picture was
    /// drawn before.
    pub async fn render(
        &self,
        chart: Chart,
        format: Format,
        size: charts::Size,
    ) -> AppResult<Arc<Rendered>> {
        let key = chart.key(format, size);
        if let Some(hit) = self.entries.lock().expect("chart cache").get(&key) {
            return Ok(Arc::clone(hit));
        }
        let rendered = tokio::task::spawn_blocking(move || {
            let bytes = chart.draw(format, size)?;
            Ok::<_, charts::ChartError>(Rendered {
                format,
                bytes,
                description: chart.description(),
            })
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|err| AppError::BadRequest(Problem::new("problem_chart").arg("reason", err)))?;
        let rendered = Arc::new(rendered);
        let mut entries = self.entries.lock().expect("chart cache");
        if entries.len() >= CACHED_CHARTS
            && let Some(evict) = entries.keys().next().copied()
        {
            entries.remove(&evict);
        }
        entries.insert(key, Arc::clone(&rendered));
        Ok(rendered)
    }
}

/// Whether any figure of this trend is shown (an empty chart says so in words).
pub fn has_figures(trend: &[TrendRound]) -> bool {
    trend.iter().any(|r| matches!(r.overall, Shown::Shown(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::HiddenReason;
    use crate::report::trend::RoundLabel;

    fn hidden_round(id: i32) -> TrendRound {
        TrendRound {
            round: RoundLabel {
                id,
                title: format!("R{id}"),
                date: format!("2026-0{id}-01"),
            },
            responses: Shown::hidden(HiddenReason::NotEnoughAnswers),
            pillars: vec![Shown::hidden(HiddenReason::NotEnoughAnswers); 3],
            overall: Shown::hidden(HiddenReason::NotEnoughAnswers),
            changes: vec![None; 3],
        }
    }

    #[test]
    fn texts_follow_the_reader_language() {
        let rounds = vec![hidden_round(1)];
        let Chart::Trend(data, de) = trend(&rounds, "Vertrieb", Locale::De) else {
            unreachable!()
        };
        let Chart::Trend(_, en) = trend(&rounds, "Sales", Locale::En) else {
            unreachable!()
        };
        assert_eq!(data.pillars[0].label, "Kundenfokus");
        assert!(de.title.contains("Vertrieb") && de.title.starts_with("Kundenorientierung"));
        assert!(en.title.contains("Sales") && en.title.starts_with("Customer"));
        assert!(!has_figures(&rounds));
    }

    #[test]
    fn heatmap_texts_name_the_reference_in_both_languages() {
        for locale in [Locale::De, Locale::En] {
            for reference in [None, Some("Vertrieb")] {
                for view in [HeatmapView::Pillars, HeatmapView::Items] {
                    let texts = heatmap_texts(reference, view, "Puls", locale);
                    let all = [
                        &texts.title,
                        &texts.below,
                        &texts.above,
                        &texts.reference,
                        &texts.delta,
                    ];
                    for said in all {
                        assert!(!said.contains('{'), "{locale}: {said}");
                        if let Some(name) = reference {
                            assert!(said.contains(name), "{locale}: {said}");
                        }
                    }
                    assert!(texts.title.ends_with("(Puls)"), "{}", texts.title);
                }
            }
        }
        let de = heatmap_texts(None, HeatmapView::Pillars, "Puls", Locale::De);
        assert_eq!(de.ticks, ["\u{2212}10", "0", "+10"]);
        assert_eq!(de.below, "unter dem Unternehmen");
        assert_eq!(
            heatmap_cell(Some(62.5), Some(66.6), HeatmapView::Pillars, Locale::De),
            charts::HeatmapCell::Shown {
                value: "62,5".into(),
                delta: Some(charts::Delta {
                    points: 62.5 - 66.6,
                    text: "\u{2212}4,1".into(),
                }),
            }
        );
        assert_eq!(
            heatmap_cell(None, Some(66.6), HeatmapView::Items, Locale::De),
            charts::HeatmapCell::Hidden
        );
    }

    #[test]
    fn another_picture_is_another_key() {
        let rounds = vec![hidden_round(1)];
        let a = trend(&rounds, "Vertrieb", Locale::De);
        let b = trend(&rounds, "Vertrieb", Locale::En);
        let size = a.size(WIDTH);
        assert_ne!(a.key(Format::Svg, size), b.key(Format::Svg, size));
        assert_ne!(a.key(Format::Svg, size), a.key(Format::Png, size));
        assert_eq!(a.key(Format::Svg, size), a.clone().key(Format::Svg, size));
    }

    #[test]
    fn marks_are_drawn_said_and_part_of_the_key() {
        let rounds = vec![hidden_round(1)];
        let mark = |kind| charts::TrendMark {
            label: "1".into(),
            title: "Kundentermine".into(),
            kind,
            date: charts::RoundDate {
                year: 2026,
                month: 2,
                day: 3,
            },
        };
        let plain = trend(&rounds, "Vertrieb", Locale::De);
        let marked = with_marks(plain.clone(), vec![mark(charts::MarkKind::Start)]);
        let ended = with_marks(
            plain.clone(),
            vec![mark(charts::MarkKind::Start), mark(charts::MarkKind::End)],
        );
        let size = plain.size(WIDTH);
        assert_ne!(plain.key(Format::Svg, size), marked.key(Format::Svg, size));
        assert_ne!(marked.key(Format::Svg, size), ended.key(Format::Svg, size));
        for locale in [Locale::De, Locale::En] {
            let Chart::Trend(_, texts) = trend(&rounds, "Vertrieb", locale) else {
                unreachable!()
            };
            let m = &texts.marks;
            for said in [&m.start, &m.end, &m.subject, &m.started, &m.ended] {
                assert!(!said.is_empty(), "{locale}");
            }
            assert!(m.subject.contains("{label}") && m.subject.contains("{title}"));
            assert!(m.started.contains("{date}") && m.ended.contains("{date}"));
        }
    }

    #[test]
    fn a_trend_draws_at_every_width_a_page_may_ask_for() {
        let shown = |id: i32| {
            let moments =
                crate::report::stats::Moments::from_values([40.0, 60.0, 70.0, 55.0, 65.0]);
            let index = crate::report::stats::show_pillar(&moments, 5);
            TrendRound {
                round: RoundLabel {
                    id,
                    title: format!("R{id}"),
                    date: format!("2026-{id:02}-01"),
                },
                responses: Shown::Shown(5),
                pillars: vec![index.clone(), index.clone(), index.clone()],
                overall: crate::report::stats::show_overall(&[index.clone(), index.clone(), index]),
                changes: vec![None; 3],
            }
        };
        let rounds: Vec<TrendRound> = (1..=12).map(shown).collect();
        for locale in [Locale::De, Locale::En] {
            let chart = trend(&rounds, "Vertrieb / Innendienst", locale);
            for width in [320, 400, 440, 800, 1600] {
                let size = chart.size(width);
                assert!(
                    chart.draw(Format::Svg, size).is_ok(),
                    "{locale} at {width}×{}",
                    size.height
                );
            }
        }
    }

    #[tokio::test]
    async fn an_empty_trend_draws_a_message_and_is_cached() {
        let cache = ChartCache::default();
        let chart = trend(&[hidden_round(1)], "Vertrieb", Locale::En);
        let size = chart.size(WIDTH);
        let first = cache
            .render(chart.clone(), Format::Svg, size)
            .await
            .unwrap();
        let svg = String::from_utf8(first.bytes.clone()).unwrap();
        assert!(svg.contains("No closed round with enough answers yet."));
        let second = cache.render(chart, Format::Svg, size).await.unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }
}
