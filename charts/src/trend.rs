//! The trend chart of one department: one line per pillar and the overall index over rounds
//! (0–100), shaded 95 % bands, the number of responses under each round, and gaps where a round
//! was below the anonymity threshold.
//!
//! A gap is a `None` point: the line stops before it and starts again after it, so no segment
//! joins two shown rounds across a hidden one (the slope would hint at the hidden value).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::style::{
    self, AXIS, BAND_OPACITY, ChartError, Drawing, GRID, HIDDEN_FILL, Keep, LegendItem, LineStyle,
    MUTED_TEXT, OVERALL_STYLE, PAD, Size, Swatch, TEXT, TITLE_HEIGHT, drawing_error,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendPoint {
    /// 0–100; drawn clipped to the axis.
    pub value: f64,
    /// The 95 % confidence interval `(low, high)`; a band is drawn where it is given.
    pub ci95: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendLine {
    pub label: String,
    /// One entry per round; `None` where the figure is hidden (or missing).
    pub points: Vec<Option<TrendPoint>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendData {
    /// The x axis, oldest first.
    pub rounds: Vec<String>,
    /// Responses per round, written under the round; `None` writes "–".
    pub responses: Vec<Option<u64>>,
    pub overall: TrendLine,
    pub pillars: Vec<TrendLine>,
}

/// Everything the chart writes, in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendTexts {
    pub title: String,
    /// Above the y axis, e.g. "Index (0–100)".
    pub y_axis: String,
    /// Heads the row of counts, e.g. "n" or "Antworten".
    pub responses: String,
    /// Legend entry of the shaded band, e.g. "95 % confidence interval".
    pub band: String,
    /// Legend entry and description of a gap, e.g. "fewer answers than the threshold".
    pub hidden: String,
    /// Shown instead of the chart when no round has a figure.
    pub empty: String,
}

pub fn trend_svg(data: &TrendData, texts: &TrendTexts, size: Size) -> Result<String, ChartError> {
    style::render_svg(&TrendChart::new(data, texts)?, size)
}

pub fn trend_png(data: &TrendData, texts: &TrendTexts, size: Size) -> Result<Vec<u8>, ChartError> {
    style::render_png(&TrendChart::new(data, texts)?, size)
}

/// The text equivalent of the chart (the SVG's `<desc>`, an `alt` for the PNG): every line's
/// value per round, hidden rounds named as such, and the responses.
pub fn trend_description(data: &TrendData, texts: &TrendTexts) -> String {
    if is_empty(data) {
        return format!("{}. {}", texts.title, texts.empty);
    }
    let mut parts = vec![texts.title.clone()];
    for line in std::iter::once(&data.overall).chain(&data.pillars) {
        let values: Vec<String> = data
            .rounds
            .iter()
            .zip(&line.points)
            .map(|(round, point)| match point {
                Some(TrendPoint {
                    value,
                    ci95: Some((low, high)),
                }) => format!(
                    "{round} {} ({}–{})",
                    style::whole(*value),
                    style::whole(*low),
                    style::whole(*high)
                ),
                Some(point) => format!("{round} {}", style::whole(point.value)),
                None => format!("{round} {}", texts.hidden),
            })
            .collect();
        parts.push(format!("{}: {}", line.label, values.join(", ")));
    }
    let counts: Vec<String> = data
        .rounds
        .iter()
        .zip(&data.responses)
        .map(|(round, n)| match n {
            Some(n) => format!("{round} {n}"),
            None => format!("{round} –"),
        })
        .collect();
    parts.push(format!("{}: {}", texts.responses, counts.join(", ")));
    parts.join(". ") + "."
}

fn is_empty(data: &TrendData) -> bool {
    !std::iter::once(&data.overall)
        .chain(&data.pillars)
        .any(|line| line.points.iter().any(Option::is_some))
}

fn validate(data: &TrendData) -> Result<(), ChartError> {
    let rounds = data.rounds.len();
    if data.responses.len() != rounds {
        return Err(ChartError::InvalidData(format!(
            "{} response counts for {rounds} rounds",
            data.responses.len()
        )));
    }
    for line in std::iter::once(&data.overall).chain(&data.pillars) {
        if line.points.len() != rounds {
            return Err(ChartError::InvalidData(format!(
                "line \"{}\" has {} points for {rounds} rounds",
                line.label,
                line.points.len()
            )));
        }
        for point in line.points.iter().flatten() {
            let ci_ok = point
                .ci95
                .is_none_or(|(low, high)| low.is_finite() && high.is_finite() && low <= high);
            if !point.value.is_finite() || !ci_ok {
                return Err(ChartError::InvalidData(format!(
                    "line \"{}\" has a value that is not a number or an inverted interval",
                    line.label
                )));
            }
        }
    }
    Ok(())
}

struct TrendChart<'a> {
    data: &'a TrendData,
    texts: &'a TrendTexts,
}

impl<'a> TrendChart<'a> {
    fn new(data: &'a TrendData, texts: &'a TrendTexts) -> Result<Self, ChartError> {
        validate(data)?;
        Ok(TrendChart { data, texts })
    }

    fn lines(&self) -> impl Iterator<Item = (&'a TrendLine, LineStyle)> + use<'a> {
        // Pillars first so that the overall index is drawn on top.
        let data = self.data;
        data.pillars
            .iter()
            .enumerate()
            .map(|(i, line)| (line, style::pillar_style(i)))
            .chain(std::iter::once((&data.overall, OVERALL_STYLE)))
    }

    fn legend(&self) -> Vec<LegendItem> {
        let mut items = vec![LegendItem {
            swatch: Swatch::Line(OVERALL_STYLE),
            label: self.data.overall.label.clone(),
        }];
        items.extend(
            self.data
                .pillars
                .iter()
                .enumerate()
                .map(|(i, line)| LegendItem {
                    swatch: Swatch::Line(style::pillar_style(i)),
                    label: line.label.clone(),
                }),
        );
        let has_band = self
            .lines()
            .any(|(line, _)| line.points.iter().flatten().any(|p| p.ci95.is_some()));
        if has_band {
            items.push(LegendItem {
                swatch: Swatch::Band(OVERALL_STYLE.color),
                label: self.texts.band.clone(),
            });
        }
        items.push(LegendItem {
            swatch: Swatch::Glyph("–".to_string()),
            label: self.texts.hidden.clone(),
        });
        items
    }
}

const TICK_FONT: f64 = 12.0;
const COUNT_FONT: f64 = 11.0;
const ROW: i32 = 17;

/// Where everything goes, in pixels.
struct Layout {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    rounds: usize,
    /// Width of one round's column.
    step: f64,
    /// Every how many rounds a label / a count is written (1 = all), counted from the latest.
    label_every: usize,
    count_every: usize,
    legend_top: i32,
}

impl Layout {
    fn x(&self, round: usize) -> i32 {
        self.left + ((round as f64 + 0.5) * self.step).round() as i32
    }

    fn y(&self, value: f64) -> i32 {
        let value = value.clamp(0.0, 100.0);
        self.bottom - (value / 100.0 * f64::from(self.bottom - self.top)).round() as i32
    }

    fn labelled(&self, round: usize, every: usize) -> bool {
        (self.rounds - 1 - round).is_multiple_of(every)
    }
}

fn layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &TrendChart,
    size: (i32, i32),
) -> Result<Layout, ChartError> {
    let (width, height) = size;
    let (data, texts) = (chart.data, chart.texts);
    let left_column = style::text_width(area, "100", TICK_FONT)?
        .max(style::text_width(area, &texts.responses, COUNT_FONT)?)
        .min(width / 5)
        + 10;
    let (left, right) = (PAD + left_column, width - PAD);
    let (_, legend_height) = style::legend_layout(area, &chart.legend(), width - 2 * PAD)?;
    let legend_top = height - PAD - legend_height;
    let bottom = legend_top - 10 - 2 * ROW - 6;
    let top = TITLE_HEIGHT + ROW + 6;
    if bottom - top < 60 || right - left < 100 {
        return Err(Size::new(width as u32, height as u32)
            .invalid("too small for the plot, its labels and legend"));
    }
    let rounds = data.rounds.len();
    let step = f64::from(right - left) / rounds as f64;
    let label_width = style::widest_text(area, &data.rounds, TICK_FONT)?;
    let count_width = style::widest_text(
        area,
        data.responses
            .iter()
            .map(|n| n.map_or("–".to_string(), |n| n.to_string())),
        COUNT_FONT,
    )?;
    let every = |text_width: i32| ((f64::from(text_width + 16) / step).ceil() as usize).max(1);
    Ok(Layout {
        left,
        right,
        top,
        bottom,
        rounds,
        step,
        // Long labels are shortened rather than thinned beyond a quarter of the rounds.
        label_every: every(label_width).min(rounds.div_ceil(4).max(1)),
        count_every: every(count_width),
        legend_top,
    })
}

/// Runs of consecutive shown points: `(first round, points)`.
fn runs(points: &[Option<TrendPoint>]) -> Vec<(usize, Vec<TrendPoint>)> {
    let mut runs: Vec<(usize, Vec<TrendPoint>)> = Vec::new();
    let mut open = false;
    for (round, point) in points.iter().enumerate() {
        match (point, open) {
            (Some(point), true) => runs.last_mut().expect("an open run").1.push(*point),
            (Some(point), false) => {
                runs.push((round, vec![*point]));
                open = true;
            }
            (None, _) => open = false,
        }
    }
    runs
}

impl Drawing for TrendChart<'_> {
    fn title(&self) -> &str {
        &self.texts.title
    }

    fn description(&self) -> String {
        trend_description(self.data, self.texts)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (width, height) = area.dim_in_pixel();
        let (width, height) = (width as i32, height as i32);
        if is_empty(self.data) {
            return style::draw_empty(area, &self.texts.title, &self.texts.empty);
        }
        let l = layout(area, self, (width, height))?;
        let (data, texts) = (self.data, self.texts);
        style::draw_title(area, &texts.title, width)?;
        let y_axis = style::fit(area, &texts.y_axis, TICK_FONT, width - 2 * PAD, Keep::Start)?;
        style::draw_text(
            area,
            &y_axis,
            &style::font(TICK_FONT, MUTED_TEXT, HPos::Left, VPos::Top),
            (PAD, TITLE_HEIGHT),
        )?;

        // Rounds without any figure get a faint column, so the gap reads as deliberate.
        let half = (l.step / 2.0).round() as i32;
        for round in 0..l.rounds {
            let hidden = self.lines().all(|(line, _)| line.points[round].is_none());
            if hidden {
                area.draw(&Rectangle::new(
                    [(l.x(round) - half, l.top), (l.x(round) + half, l.bottom)],
                    HIDDEN_FILL.filled(),
                ))
                .map_err(drawing_error)?;
            }
        }

        let tick_style = style::font(TICK_FONT, MUTED_TEXT, HPos::Right, VPos::Center);
        for tick in (0..=100).step_by(20) {
            let y = l.y(f64::from(tick));
            area.draw(&PathElement::new(
                vec![(l.left, y), (l.right, y)],
                GRID.stroke_width(1),
            ))
            .map_err(drawing_error)?;
            style::draw_text(area, &tick.to_string(), &tick_style, (l.left - 6, y))?;
        }
        area.draw(&PathElement::new(
            vec![(l.left, l.bottom), (l.right, l.bottom)],
            AXIS.stroke_width(1),
        ))
        .map_err(drawing_error)?;

        for (line, line_style) in self.lines() {
            for (first, points) in runs(&line.points) {
                let bands: Vec<(i32, (f64, f64))> = points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.ci95.map(|ci| (l.x(first + i), ci)))
                    .collect();
                // A band only where the whole run has intervals: a half band would mislead.
                if bands.len() != points.len() {
                    continue;
                }
                let fill = line_style.color.mix(BAND_OPACITY).filled();
                if let [(x, (low, high))] = bands[..] {
                    area.draw(&Rectangle::new(
                        [(x - 4, l.y(high)), (x + 4, l.y(low))],
                        fill,
                    ))
                    .map_err(drawing_error)?;
                    continue;
                }
                let outline: Vec<(i32, i32)> = bands
                    .iter()
                    .map(|&(x, (_, high))| (x, l.y(high)))
                    .chain(bands.iter().rev().map(|&(x, (low, _))| (x, l.y(low))))
                    .collect();
                area.draw(&Polygon::new(outline, fill))
                    .map_err(drawing_error)?;
            }
        }
        for (line, line_style) in self.lines() {
            for (first, points) in runs(&line.points) {
                let pixels: Vec<(i32, i32)> = points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (l.x(first + i), l.y(p.value)))
                    .collect();
                style::draw_polyline(area, &pixels, &line_style)?;
            }
        }
        let radius = ((l.step / 4.0).floor() as i32).clamp(2, 4);
        for (line, line_style) in self.lines() {
            for (round, point) in line.points.iter().enumerate() {
                if let Some(point) = point {
                    let at = (l.x(round), l.y(point.value));
                    let r = if line_style == OVERALL_STYLE {
                        radius + 1
                    } else {
                        radius
                    };
                    style::draw_marker(area, at, line_style.marker, line_style.color, r)?;
                }
            }
        }

        let label_y = l.bottom + 6;
        let count_y = label_y + ROW;
        let label_style = style::font(TICK_FONT, TEXT, HPos::Center, VPos::Top);
        let label_width = (l.step * l.label_every as f64) as i32 - 6;
        let count_style = style::font(COUNT_FONT, MUTED_TEXT, HPos::Center, VPos::Top);
        for round in 0..l.rounds {
            let x = l.x(round);
            if l.labelled(round, l.label_every) {
                area.draw(&PathElement::new(
                    vec![(x, l.bottom), (x, l.bottom + 3)],
                    AXIS.stroke_width(1),
                ))
                .map_err(drawing_error)?;
                let label =
                    style::fit(area, &data.rounds[round], TICK_FONT, label_width, Keep::End)?;
                // The outermost labels are moved inwards rather than cut by the edge.
                let half = style::text_width(area, &label, TICK_FONT)? / 2;
                let x = x.clamp(PAD + half, (width - PAD - half).max(PAD + half));
                style::draw_text(area, &label, &label_style, (x, label_y))?;
            }
            if l.labelled(round, l.count_every) {
                let count = data.responses[round].map_or("–".to_string(), |n| n.to_string());
                style::draw_text(area, &count, &count_style, (x, count_y))?;
            }
        }
        let responses = style::fit(
            area,
            &texts.responses,
            COUNT_FONT,
            l.left - PAD - 8,
            Keep::Start,
        )?;
        style::draw_text(
            area,
            &responses,
            &style::font(COUNT_FONT, MUTED_TEXT, HPos::Right, VPos::Top),
            (l.left - 6, count_y),
        )?;

        style::draw_legend(area, &self.legend(), (PAD, l.legend_top), width - 2 * PAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::test_support::{attr, elements, png_size, points, texts};

    fn texts_en() -> TrendTexts {
        TrendTexts {
            title: "Sales – customer-centricity over time".into(),
            y_axis: "Index (0–100)".into(),
            responses: "n".into(),
            band: "95 % confidence interval".into(),
            hidden: "fewer answers than the threshold".into(),
            empty: "No round has enough answers yet.".into(),
        }
    }

    fn point(value: f64) -> Option<TrendPoint> {
        Some(TrendPoint { value, ci95: None })
    }

    fn with_band(value: f64, half: f64) -> Option<TrendPoint> {
        Some(TrendPoint {
            value,
            ci95: Some((value - half, value + half)),
        })
    }

    /// Five rounds; the third is hidden everywhere.
    fn five_rounds() -> TrendData {
        TrendData {
            rounds: ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
                .map(String::from)
                .to_vec(),
            responses: vec![Some(41), Some(38), None, Some(44), Some(47)],
            overall: TrendLine {
                label: "Overall index".into(),
                points: vec![
                    with_band(62.0, 5.0),
                    with_band(64.0, 5.5),
                    None,
                    with_band(67.0, 4.5),
                    with_band(70.0, 4.0),
                ],
            },
            pillars: ["Customer focus", "Values", "Leadership"]
                .iter()
                .enumerate()
                .map(|(i, label)| TrendLine {
                    label: label.to_string(),
                    points: vec![
                        point(55.0 + 5.0 * i as f64),
                        point(58.0 + 5.0 * i as f64),
                        None,
                        point(60.0 + 5.0 * i as f64),
                        point(63.0 + 5.0 * i as f64),
                    ],
                })
                .collect(),
        }
    }

    fn layout_of(data: &TrendData, size: Size) -> Layout {
        crate::register_fonts();
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        let texts = texts_en();
        let chart = TrendChart::new(data, &texts).unwrap();
        layout(&area, &chart, (size.width as i32, size.height as i32)).unwrap()
    }

    const SIZE: Size = Size::new(900, 480);

    #[test]
    fn svg_has_title_round_labels_counts_legend_and_axis() {
        let svg = trend_svg(&five_rounds(), &texts_en(), SIZE).unwrap();
        let written = texts(&svg);
        for expected in [
            "Sales – customer-centricity over time",
            "Index (0–100)",
            "2026-01",
            "2026-05",
            "41",
            "47",
            "–",
            "n",
            "Overall index",
            "Customer focus",
            "Values",
            "Leadership",
            "95 % confidence interval",
            "fewer answers than the threshold",
            "0",
            "100",
        ] {
            assert!(
                written.iter().any(|t| t == expected),
                "{expected} in {written:?}"
            );
        }
        assert!(svg.contains("<title>Sales – customer-centricity over time</title>"));
        assert!(svg.contains(
            "<desc>Sales – customer-centricity over time. Overall index: 2026-01 62 (57–67)"
        ));
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn a_hidden_round_has_no_segment_and_no_point() {
        let data = five_rounds();
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let hidden_x = l.x(2);
        let in_plot = |pts: &[(i32, i32)]| pts.iter().all(|&(_, y)| y <= l.bottom);
        let mut overall_runs = Vec::new();
        for line in elements(&svg, "polyline") {
            let pts = points(line);
            if !in_plot(&pts) || pts.iter().all(|&(_, y)| y == pts[0].1) {
                continue; // the legend below the plot, grid lines
            }
            let min = pts.iter().map(|p| p.0).min().unwrap();
            let max = pts.iter().map(|p| p.0).max().unwrap();
            assert!(
                max < hidden_x || min > hidden_x,
                "a segment crosses the hidden round: {line}"
            );
            if attr(line, "stroke") == Some("#000000") {
                overall_runs.push((min, max));
            }
        }
        overall_runs.sort();
        assert_eq!(overall_runs, vec![(l.x(0), l.x(1)), (l.x(3), l.x(4))]);
        // Markers: four per line, none at the hidden round.
        let markers: Vec<i32> = elements(&svg, "circle")
            .iter()
            .filter(|c| attr(c, "fill") == Some("#000000"))
            .filter(|c| attr(c, "cy").unwrap().parse::<i32>().unwrap() <= l.bottom)
            .map(|c| attr(c, "cx").unwrap().parse().unwrap())
            .collect();
        assert_eq!(markers, vec![l.x(0), l.x(1), l.x(3), l.x(4)]);
        for polygon in elements(&svg, "polygon") {
            let pts = points(polygon);
            if in_plot(&pts) && pts.len() > 3 {
                let min = pts.iter().map(|p| p.0).min().unwrap();
                let max = pts.iter().map(|p| p.0).max().unwrap();
                assert!(
                    max < hidden_x || min > hidden_x,
                    "band across the gap: {polygon}"
                );
            }
        }
    }

    #[test]
    fn the_overall_line_carries_a_shaded_band_around_it() {
        let data = five_rounds();
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let bands: Vec<Vec<(i32, i32)>> = elements(&svg, "polygon")
            .into_iter()
            .filter(|p| attr(p, "fill") == Some("#000000") && attr(p, "opacity") == Some("0.16"))
            .map(points)
            .collect();
        assert_eq!(bands.len(), 2, "one band per run");
        let first = &bands.iter().find(|b| b[0].0 == l.x(0)).unwrap();
        // Upper edge at 67, lower at 57 for the first round (62 ± 5).
        assert!(first.contains(&(l.x(0), l.y(67.0))) && first.contains(&(l.x(0), l.y(57.0))));
    }

    #[test]
    fn a_single_shown_round_gets_a_marker_and_a_short_band() {
        let mut data = five_rounds();
        data.overall.points = vec![None, None, None, None, with_band(50.0, 10.0)];
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let in_plot = |r: &&str| {
            let y: i32 = attr(r, "y").unwrap().parse().unwrap();
            let x: i32 = attr(r, "x").unwrap().parse().unwrap();
            y <= l.bottom && (l.x(4) - 4..=l.x(4)).contains(&x)
        };
        let band = elements(&svg, "rect")
            .into_iter()
            .find(|r| attr(r, "opacity") == Some("0.16") && in_plot(r))
            .expect("a band rectangle at the last round");
        let top: i32 = attr(band, "y").unwrap().parse().unwrap();
        assert_eq!(top, l.y(60.0));
    }

    #[test]
    fn png_has_the_signature_and_the_requested_size() {
        let png = trend_png(&five_rounds(), &texts_en(), Size::new(640, 360)).unwrap();
        assert_eq!(png_size(&png), (640, 360));
    }

    #[test]
    fn no_round_with_enough_answers_draws_the_message() {
        let mut data = five_rounds();
        data.overall.points = vec![None; 5];
        for line in &mut data.pillars {
            line.points = vec![None; 5];
        }
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        assert!(texts(&svg).contains(&"No round has enough answers yet.".to_string()));
        assert_eq!(elements(&svg, "circle").len(), 0);
        let png = trend_png(&data, &texts_en(), SIZE).unwrap();
        assert_eq!(png_size(&png), (900, 480));

        let nothing = TrendData {
            rounds: vec![],
            responses: vec![],
            overall: TrendLine {
                label: "Overall".into(),
                points: vec![],
            },
            pillars: vec![],
        };
        let svg = trend_svg(&nothing, &texts_en(), SIZE).unwrap();
        assert!(svg.contains("No round has enough answers yet."));
        assert_eq!(
            trend_description(&nothing, &texts_en()),
            "Sales – customer-centricity over time. No round has enough answers yet."
        );
    }

    #[test]
    fn data_that_does_not_fit_together_is_refused() {
        let mut data = five_rounds();
        data.pillars[1].points.pop();
        let err = trend_svg(&data, &texts_en(), SIZE).unwrap_err();
        assert!(matches!(err, ChartError::InvalidData(_)), "{err}");
        assert!(err.to_string().contains("Values"), "{err}");

        let mut data = five_rounds();
        data.responses.push(Some(3));
        assert!(trend_png(&data, &texts_en(), SIZE).is_err());

        let mut data = five_rounds();
        data.overall.points[0] = Some(TrendPoint {
            value: f64::NAN,
            ci95: None,
        });
        assert!(trend_svg(&data, &texts_en(), SIZE).is_err());
        assert!(trend_svg(&five_rounds(), &texts_en(), Size::new(100, 100)).is_err());
    }

    #[test]
    fn many_rounds_thin_labels_and_counts_but_keep_the_latest() {
        let rounds = 78;
        let data = TrendData {
            rounds: (0..rounds).map(|i| format!("R{:02}", i + 1)).collect(),
            responses: (0..rounds).map(|i| Some(100 + i as u64)).collect(),
            overall: TrendLine {
                label: "Overall".into(),
                points: (0..rounds)
                    .map(|i| with_band(50.0 + (i % 10) as f64, 3.0))
                    .collect(),
            },
            pillars: vec![],
        };
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let written = texts(&svg);
        assert!(
            written.contains(&"R78".to_string()),
            "latest round labelled"
        );
        assert!(written.contains(&"177".to_string()), "latest count written");
        let labels = written.iter().filter(|t| t.starts_with('R')).count();
        assert!((5..rounds).contains(&labels), "{labels} labels");
        // Ticks and counts never overlap: consecutive written counts are apart by their width.
        let l = layout_of(&data, SIZE);
        assert!(l.step * l.count_every as f64 >= 30.0);
    }

    #[test]
    fn labels_are_escaped_and_kept_whole_in_the_description() {
        let mut data = five_rounds();
        data.pillars[0].label = "R&D <Nord>".into();
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        assert!(svg.contains("R&amp;D &lt;Nord&gt;"));
        assert!(!svg.contains("R&D <Nord>"));
        let description = trend_description(&data, &texts_en());
        assert!(description.contains(
            "R&D <Nord>: 2026-01 55, 2026-02 58, 2026-03 fewer answers than the threshold, 2026-04 60"
        ), "{description}");
        assert!(
            description.ends_with("n: 2026-01 41, 2026-02 38, 2026-03 –, 2026-04 44, 2026-05 47.")
        );
    }

    #[test]
    fn german_texts_are_drawn_as_given() {
        let german = TrendTexts {
            title: "Vertrieb – Kundenorientierung im Verlauf".into(),
            y_axis: "Index (0–100)".into(),
            responses: "Antworten".into(),
            band: "95-%-Konfidenzintervall".into(),
            hidden: "zu wenige Antworten".into(),
            empty: "Noch keine Runde mit genug Antworten.".into(),
        };
        let svg = trend_svg(&five_rounds(), &german, SIZE).unwrap();
        let written = texts(&svg);
        for expected in [
            "Antworten",
            "95-%-Konfidenzintervall",
            "zu wenige Antworten",
        ] {
            assert!(written.iter().any(|t| t == expected), "{expected}");
        }
    }

    #[test]
    fn runs_split_at_gaps() {
        let p = point(1.0);
        let found: Vec<(usize, usize)> = runs(&[p, p, None, p, None, None, p, p, p])
            .into_iter()
            .map(|(first, points)| (first, points.len()))
            .collect();
        assert_eq!(found, vec![(0, 2), (3, 1), (6, 3)]);
        assert!(runs(&[None, None]).is_empty());
    }

    /// Writes sample pictures for a person to look at: `cargo test -p kundenpuls-charts --
    /// --ignored write_samples`.
    #[test]
    #[ignore = "writes files for a visual check"]
    fn write_samples() {
        let dir = std::env::temp_dir();
        let png = trend_png(&five_rounds(), &texts_en(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-trend.png"), png).unwrap();
        let svg = trend_svg(&five_rounds(), &texts_en(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-trend.svg"), svg).unwrap();
        let png = trend_png(&seventy_eight_rounds(), &texts_en(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-trend-78.png"), png).unwrap();
        let mut empty = five_rounds();
        empty.overall.points = vec![None; 5];
        empty.pillars.clear();
        let png = trend_png(&empty, &texts_en(), Size::new(640, 300)).unwrap();
        std::fs::write(dir.join("kundenpuls-trend-empty.png"), png).unwrap();
    }

    /// 78 weekly rounds with three pillars, bands on every line and a few hidden rounds.
    fn seventy_eight_rounds() -> TrendData {
        let rounds = 78;
        let wave = |i: usize, shift: f64| 60.0 + 8.0 * ((i as f64 / 9.0) + shift).sin();
        let hidden = |i: usize| i % 17 == 5;
        let line = |label: &str, shift: f64| TrendLine {
            label: label.into(),
            points: (0..rounds)
                .map(|i| {
                    (!hidden(i))
                        .then(|| with_band(wave(i, shift), 4.0))
                        .flatten()
                })
                .collect(),
        };
        TrendData {
            rounds: (0..rounds)
                .map(|i| format!("{}-W{:02}", 2025 + i / 52, i % 52 + 1))
                .collect(),
            responses: (0..rounds)
                .map(|i| (!hidden(i)).then_some(40 + (i as u64 * 7) % 25))
                .collect(),
            overall: line("Overall index", 0.0),
            pillars: vec![
                line("Customer focus", 0.8),
                line("Values", 1.6),
                line("Leadership", 2.4),
            ],
        }
    }
}
