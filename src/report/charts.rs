//! Report figures turned into the charts crate's inputs, in the reader's language, and the
//! rendered pictures cached by a hash of everything drawn: new data, another language or
//! another size is another key, so a cached picture is never an old one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kundenpuls_charts as charts;
use sha2::{Digest, Sha256};

use super::query::RoundResults;
use super::stats::Shown;
use super::trend::{TrendRound, chart_data};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, text};
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
            Chart::Heatmap(data, _) => charts::heatmap_size(data.rows.len(), width),
            Chart::Participation(bars, _) => charts::participation_size(bars.len(), width),
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
        }),
    )
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

/// Departments × pillars (and the overall index) of one round: the groups one level below
/// the reader's top, or the top alone when it has none.
pub fn heatmap(results: &RoundResults, locale: Locale) -> Chart {
    let top_depth = results
        .groups
        .iter()
        .filter_map(|g| g.department_id.map(|_| g.depth))
        .min();
    let rows: Vec<_> = results
        .groups
        .iter()
        .filter(|g| g.department_id.is_some() && Some(g.depth) == top_depth)
        .collect();
    let mut columns: Vec<String> = pillar_labels(locale).to_vec();
    columns.push(text(locale, "chart_overall").to_owned());
    let cells = rows
        .iter()
        .map(|g| {
            let mut row: Vec<Option<f64>> = g
                .pillars
                .iter()
                .map(|p| p.index.as_shown().map(|i| i.index))
                .collect();
            row.push(g.overall.as_shown().map(|o| o.index));
            row
        })
        .collect();
    Chart::Heatmap(
        charts::HeatmapData {
            rows: rows.iter().map(|g| g.name.clone()).collect(),
            columns,
            cells,
            scale: (0.0, 100.0),
        },
        charts::HeatmapTexts {
            title: text(locale, "chart_heatmap_title").replace("{round}", &results.round.title),
            hidden: text(locale, "chart_hidden").to_owned(),
            empty: text(locale, "chart_empty").to_owned(),
        },
    )
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
