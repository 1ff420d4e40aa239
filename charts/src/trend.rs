//! The trend chart of one department: one line per pillar and the overall index over rounds,
//! shaded 95 % bands, the number of responses under each round, gaps where a round was below
//! the anonymity threshold, and a ring where a change against the previous round is
//! significant.
//!
//! A gap is a `None` point: the line stops before it and starts again after it, so no segment
//! joins two shown rounds across a hidden one (the slope would hint at the hidden value).
//!
//! The y axis is fitted to what is shown (values and bands, padded, in round steps, within
//! 0–100): the movement leadership looks for is a few points, which a fixed 0–100 axis flattens
//! into a line. An axis that does not start at 0 says so twice, with a break drawn on the axis
//! and a note above the plot, so that nobody reads a fall from 66 to 62 as a collapse.
//!
//! Rounds are labelled by month ("Okt 26"), by day where two rounds share a month
//! ("3. Okt 26"). Labels are thinned only where they would overlap and are never shortened.
//!
//! Marks (optional) show when something happened between the rounds, such as an action that
//! started or ended: a thin dashed grey line at its date, placed between the rounds in
//! proportion to the days, and its short label with a sign (▶ start, ■ end) in a row of its own
//! above the plot, where neither the legend nor the rings can meet it. Labels that would
//! overlap are written as one, in the order of their lines. A date before the first round or
//! after the last is drawn at the edge of the plot; the description says the real date. A
//! chart without marks is drawn exactly as before marks existed.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::style::{
    self, AXIS, BAND_OPACITY, ChartError, Drawing, GRID, HIDDEN_FILL, Keep, LegendItem, LegendText,
    LineStyle, MUTED_TEXT, OVERALL_STYLE, PAD, RING_RADIUS, Size, Swatch, TEXT, drawing_error,
};

/// The local day a round opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoundDate {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

/// A change against the previous round that the caller's test found significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Significant {
    Rise,
    Fall,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendPoint {
    /// 0–100.
    pub value: f64,
    /// The 95 % confidence interval `(low, high)`; a band is drawn where it is given.
    pub ci95: Option<(f64, f64)>,
    /// Set only where the change from the previous round is significant: the point gets a
    /// ring. The chart does not test; it draws what the caller decided.
    pub significant: Option<Significant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendLine {
    pub label: String,
    /// One entry per round; `None` where the figure is hidden (or missing).
    pub points: Vec<Option<TrendPoint>>,
}

/// Whether a mark is where something started or where it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    Start,
    End,
}

impl MarkKind {
    /// The sign drawn after the mark's label and in the legend.
    pub fn sign(self) -> &'static str {
        match self {
            MarkKind::Start => "▶",
            MarkKind::End => "■",
        }
    }
}

/// A day on the x axis worth seeing beside the figures, e.g. an action that started.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendMark {
    /// Short, drawn above the plot with the kind's sign: "1" → "1▶". Marks of one thing (its
    /// start and its end) share a label.
    pub label: String,
    /// What the mark is about, for the description (not drawn).
    pub title: String,
    pub kind: MarkKind,
    /// The local day it happened.
    pub date: RoundDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendData {
    /// The x axis, oldest first.
    pub rounds: Vec<RoundDate>,
    /// Responses per round, written under the round; `None` writes "–".
    pub responses: Vec<Option<u64>>,
    pub overall: TrendLine,
    pub pillars: Vec<TrendLine>,
    /// Drawn where they fall between the rounds; none draws the chart as without them.
    pub marks: Vec<TrendMark>,
}

/// How dates are written, in the reader's language. Patterns take `{day}`, `{month}`, `{yy}`
/// (two-digit year) and `{year}`.
#[derive(Debug, Clone, PartialEq)]
pub struct DateTexts {
    /// Short month names, January first ("Jan", …, "Okt", …), for the axis.
    pub months_short: [String; 12],
    /// Month names, January first, for the description.
    pub months: [String; 12],
    /// A round on the axis, e.g. "{month} {yy}" → "Okt 26".
    pub axis_month: String,
    /// A round on the axis when another round falls in the same month, e.g.
    /// "{day}. {month} {yy}" → "3. Okt 26".
    pub axis_day: String,
    /// A round in the description, e.g. "{day}. {month} {year}" → "3. Oktober 2026".
    pub full: String,
}

impl DateTexts {
    fn fill(pattern: &str, date: RoundDate, month: &str) -> String {
        pattern
            .replace("{day}", &date.day.to_string())
            .replace("{yy}", &format!("{:02}", date.year.rem_euclid(100)))
            .replace("{year}", &date.year.to_string())
            .replace("{month}", month)
    }

    fn month(names: &[String; 12], date: RoundDate) -> &str {
        // Dates are checked before anything is drawn or described; out of range reads "?".
        date.month
            .checked_sub(1)
            .and_then(|i| names.get(i as usize))
            .map_or("?", String::as_str)
    }

    /// The label of a round on the axis.
    pub fn axis(&self, date: RoundDate, month_shared: bool) -> String {
        let pattern = if month_shared {
            &self.axis_day
        } else {
            &self.axis_month
        };
        Self::fill(pattern, date, Self::month(&self.months_short, date))
    }

    /// A round's date written out, for the description.
    pub fn full(&self, date: RoundDate) -> String {
        Self::fill(&self.full, date, Self::month(&self.months, date))
    }
}

/// The axis labels of these rounds: month and year, day, month and year where another round
/// falls in the same month.
pub fn axis_labels(rounds: &[RoundDate], dates: &DateTexts) -> Vec<String> {
    rounds
        .iter()
        .map(|date| {
            let shared = rounds
                .iter()
                .filter(|other| (other.year, other.month) == (date.year, date.month))
                .count()
                > 1;
            dates.axis(*date, shared)
        })
        .collect()
}

/// Everything the chart writes, in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendTexts {
    pub title: String,
    /// Above the plot, e.g. "Index (0–100)".
    pub y_axis: String,
    /// Beside the y axis label when the axis does not start at 0; `{}` is where it starts,
    /// e.g. "axis starts at {}, not 0".
    pub axis_from: String,
    /// Heads the row of counts, e.g. "n" or "Antworten".
    pub responses: String,
    /// Legend entry of the shaded band, e.g. "95 % confidence interval".
    pub band: String,
    /// Legend entry and description of a gap, e.g. "fewer answers than the threshold".
    pub hidden: String,
    /// Legend entry of the ring, and the description's last sentence when a point has one,
    /// e.g. "ring: significant change against the previous round (Welch's t-test, p < 0.05)".
    pub significant: String,
    /// Said after a ringed point's value in the description, e.g. "significant rise".
    pub rise: String,
    pub fall: String,
    /// Shown instead of the chart when no round has a figure.
    pub empty: String,
    pub dates: DateTexts,
    pub marks: MarkTexts,
}

/// What the chart says about its marks, in the reader's language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MarkTexts {
    /// Legend entries beside the signs, e.g. "action started", "action ended".
    pub start: String,
    pub end: String,
    /// Names the thing marked in the description, with `{label}` and `{title}`, e.g.
    /// "Action {label} “{title}”".
    pub subject: String,
    /// Its start and its end in the description, with `{date}`, e.g. "started on {date}".
    pub started: String,
    pub ended: String,
}

pub fn trend_svg(data: &TrendData, texts: &TrendTexts, size: Size) -> Result<String, ChartError> {
    style::render_svg(&TrendChart::new(data, texts)?, size)
}

pub fn trend_png(data: &TrendData, texts: &TrendTexts, size: Size) -> Result<Vec<u8>, ChartError> {
    style::render_png(&TrendChart::new(data, texts)?, size)
}

/// The size at which the chart is drawn `width` pixels wide: 16:9, or taller where the title,
/// the notes and the legend wrap onto more lines (a narrow chart), so that the plot keeps a
/// readable height.
pub fn trend_size(data: &TrendData, texts: &TrendTexts, width: u32) -> Size {
    let wide = (width * 9 / 16).max(MIN_HEIGHT);
    let Ok(chart) = TrendChart::new(data, texts) else {
        // Invalid data is refused when drawn; its size does not matter.
        return Size::new(width, wide);
    };
    if is_empty(data) {
        return Size::new(width, wide);
    }
    crate::register_fonts();
    let mut scratch = String::new();
    let area = SVGBackend::with_string(&mut scratch, (width, wide)).into_drawing_area();
    let height = match Chrome::measure(&area, &chart, width as i32) {
        Ok(chrome) => (chrome.height() + MIN_PLOT).max(wide as i32) as u32,
        Err(_) => wide,
    };
    Size::new(width, height.min(Size::MAX_SIDE))
}

/// The text equivalent of the chart (the SVG's `<desc>`, an `alt` for the PNG): every line's
/// value per round with its date written out, hidden rounds named as such, significant changes
/// named, and the responses.
pub fn trend_description(data: &TrendData, texts: &TrendTexts) -> String {
    if is_empty(data) {
        return format!("{}. {}", texts.title, texts.empty);
    }
    let dates: Vec<String> = data.rounds.iter().map(|d| texts.dates.full(*d)).collect();
    let mut parts = vec![texts.title.clone()];
    for line in std::iter::once(&data.overall).chain(&data.pillars) {
        let values: Vec<String> = dates
            .iter()
            .zip(&line.points)
            .map(|(date, point)| format!("{date}: {}", point_words(point.as_ref(), texts)))
            .collect();
        parts.push(format!("{} – {}", line.label, values.join("; ")));
    }
    let counts: Vec<String> = dates
        .iter()
        .zip(&data.responses)
        .map(|(date, n)| match n {
            Some(n) => format!("{date}: {n}"),
            None => format!("{date}: –"),
        })
        .collect();
    parts.push(format!("{} – {}", texts.responses, counts.join("; ")));
    parts.extend(mark_sentences(data, texts));
    if has_significant(data) {
        parts.push(texts.significant.clone());
    }
    parts.join(". ") + "."
}

/// One sentence per thing marked, in the order of their first mark: "Action 1 “…” started on
/// …, ended on …". Marks drawn at an edge of the plot are said with their real date.
fn mark_sentences(data: &TrendData, texts: &TrendTexts) -> Vec<String> {
    let mut labels: Vec<&str> = Vec::new();
    for mark in &data.marks {
        if !labels.contains(&mark.label.as_str()) {
            labels.push(&mark.label);
        }
    }
    labels
        .into_iter()
        .map(|label| {
            let marks: Vec<&TrendMark> = data.marks.iter().filter(|m| m.label == label).collect();
            let subject = texts
                .marks
                .subject
                .replace("{label}", label)
                .replace("{title}", &marks[0].title);
            let when: Vec<String> = marks
                .iter()
                .map(|m| {
                    let pattern = match m.kind {
                        MarkKind::Start => &texts.marks.started,
                        MarkKind::End => &texts.marks.ended,
                    };
                    pattern.replace("{date}", &texts.dates.full(m.date))
                })
                .collect();
            format!("{subject} {}", when.join(", "))
        })
        .collect()
}

fn point_words(point: Option<&TrendPoint>, texts: &TrendTexts) -> String {
    let Some(point) = point else {
        return texts.hidden.clone();
    };
    let mut words = style::whole(point.value);
    if let Some((low, high)) = point.ci95 {
        words += &format!(" ({}–{})", style::whole(low), style::whole(high));
    }
    match point.significant {
        Some(Significant::Rise) => words + ", " + &texts.rise,
        Some(Significant::Fall) => words + ", " + &texts.fall,
        None => words,
    }
}

fn all_lines(data: &TrendData) -> impl Iterator<Item = &TrendLine> {
    std::iter::once(&data.overall).chain(&data.pillars)
}

fn is_empty(data: &TrendData) -> bool {
    !all_lines(data).any(|line| line.points.iter().any(Option::is_some))
}

fn has_significant(data: &TrendData) -> bool {
    all_lines(data).any(|line| {
        line.points
            .iter()
            .flatten()
            .any(|p| p.significant.is_some())
    })
}

fn validate(data: &TrendData) -> Result<(), ChartError> {
    let rounds = data.rounds.len();
    if data.responses.len() != rounds {
        return Err(ChartError::InvalidData(format!(
            "{} response counts for {rounds} rounds",
            data.responses.len()
        )));
    }
    if let Some(date) = data
        .rounds
        .iter()
        .chain(data.marks.iter().map(|m| &m.date))
        .find(|d| !(1..=12).contains(&d.month) || !(1..=31).contains(&d.day))
    {
        return Err(ChartError::InvalidData(format!(
            "a round or mark dated {}-{}-{} is not a day of the calendar",
            date.year, date.month, date.day
        )));
    }
    for line in all_lines(data) {
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

// ---------------------------------------------------------------------------------------------
// Where marks fall

/// Days since 1 January 1970 (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
fn days(date: RoundDate) -> i64 {
    let (month, day) = (i64::from(date.month), i64::from(date.day));
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Where `date` falls on the x axis, in rounds: 0 is the first round's column centre, 1 the
/// second's, between two rounds in proportion to the days. Before the first round and after
/// the last the typical distance between rounds counts (30 days with one round), and the
/// place stops at the edge of the plot, half a column out.
pub(crate) fn mark_position(rounds: &[RoundDate], date: RoundDate) -> f64 {
    let Some((first, last)) = rounds.first().zip(rounds.last()) else {
        return 0.0;
    };
    let at = days(date) as f64;
    let (first_day, last_day) = (days(*first) as f64, days(*last) as f64);
    let n = rounds.len();
    let typical = if n > 1 && last_day > first_day {
        (last_day - first_day) / (n - 1) as f64
    } else {
        30.0
    };
    if at <= first_day {
        return (-(first_day - at) / typical).max(-0.5);
    }
    if at >= last_day {
        return ((n - 1) as f64 + (at - last_day) / typical).min(n as f64 - 0.5);
    }
    match rounds
        .windows(2)
        .position(|w| days(w[0]) as f64 <= at && at < days(w[1]) as f64)
    {
        Some(i) => {
            let (from, to) = (days(rounds[i]) as f64, days(rounds[i + 1]) as f64);
            i as f64 + (at - from) / (to - from)
        }
        // Rounds out of order (the caller sorts them): the nearest round.
        None => rounds
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| (days(**r) as f64 - at).abs() as i64)
            .map_or(0.0, |(i, _)| i as f64),
    }
}

// ---------------------------------------------------------------------------------------------
// The y axis

/// The values the y axis spans and the distance between its ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct YRange {
    pub low: f64,
    pub high: f64,
    pub step: f64,
}

impl YRange {
    pub(crate) fn starts_at_zero(&self) -> bool {
        self.low <= 0.0
    }

    pub(crate) fn ticks(&self) -> Vec<f64> {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count)
            .map(|i| self.low + i as f64 * self.step)
            .collect()
    }
}

/// Never less than this many points from the bottom of the axis to its top: a flat line on a
/// 2-point axis would turn noise into drama.
const MIN_SPAN: f64 = 10.0;
/// Room above and below the data, as a share of its spread but at least [`MIN_PAD`] points.
const PAD_SHARE: f64 = 0.1;
const MIN_PAD: f64 = 2.0;
/// Round steps between ticks, and at most this many intervals on the axis.
const STEPS: [f64; 4] = [2.0, 5.0, 10.0, 20.0];
const MAX_INTERVALS: f64 = 6.0;

/// The y axis for these values (points and band ends): padded, in round steps, within 0–100.
/// An axis that would start within one step of 0 starts at 0.
pub(crate) fn y_range(values: impl IntoIterator<Item = f64>) -> YRange {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for value in values.into_iter().filter(|v| v.is_finite()) {
        let value = value.clamp(0.0, 100.0);
        min = min.min(value);
        max = max.max(value);
    }
    if min > max {
        return YRange {
            low: 0.0,
            high: 100.0,
            step: 20.0,
        };
    }
    let pad = ((max - min) * PAD_SHARE).max(MIN_PAD);
    let (mut low, mut high) = (min - pad, max + pad);
    if high - low < MIN_SPAN {
        let middle = (low + high) / 2.0;
        (low, high) = (middle - MIN_SPAN / 2.0, middle + MIN_SPAN / 2.0);
    }
    // A window pushed past either end slides back inside rather than shrinking.
    if high > 100.0 {
        (low, high) = ((low - (high - 100.0)).max(0.0), 100.0);
    }
    if low < 0.0 {
        (low, high) = (0.0, (high - low).min(100.0));
    }
    let step = STEPS
        .into_iter()
        .find(|step| (high / step).ceil() - (low / step).floor() <= MAX_INTERVALS)
        .unwrap_or(20.0);
    let low = (low / step).floor() * step;
    YRange {
        low: if low <= step { 0.0 } else { low },
        high: ((high / step).ceil() * step).min(100.0),
        step,
    }
}

fn shown_values(data: &TrendData) -> impl Iterator<Item = f64> + '_ {
    all_lines(data)
        .flat_map(|line| line.points.iter().flatten())
        .flat_map(|p| {
            let (low, high) = p.ci95.unwrap_or((p.value, p.value));
            [p.value, low, high]
        })
}

// ---------------------------------------------------------------------------------------------
// Drawing

struct TrendChart<'a> {
    data: &'a TrendData,
    texts: &'a TrendTexts,
    range: YRange,
    labels: Vec<String>,
}

impl<'a> TrendChart<'a> {
    fn new(data: &'a TrendData, texts: &'a TrendTexts) -> Result<Self, ChartError> {
        validate(data)?;
        Ok(TrendChart {
            data,
            texts,
            range: y_range(shown_values(data)),
            labels: axis_labels(&data.rounds, &texts.dates),
        })
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

    /// The y axis label, with the note when the axis does not start at 0.
    fn header(&self) -> String {
        if self.range.starts_at_zero() {
            self.texts.y_axis.clone()
        } else {
            let from = self
                .texts
                .axis_from
                .replace("{}", &style::whole(self.range.low));
            format!("{} · {from}", self.texts.y_axis)
        }
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
        if has_significant(self.data) {
            items.push(LegendItem {
                swatch: Swatch::Ring(TEXT),
                label: self.texts.significant.clone(),
            });
        }
        items.push(LegendItem {
            swatch: Swatch::Glyph("–".to_string()),
            label: self.texts.hidden.clone(),
        });
        for (kind, label) in [
            (MarkKind::Start, &self.texts.marks.start),
            (MarkKind::End, &self.texts.marks.end),
        ] {
            if self.data.marks.iter().any(|m| m.kind == kind) {
                items.push(LegendItem {
                    swatch: Swatch::Glyph(kind.sign().to_string()),
                    label: label.clone(),
                });
            }
        }
        items
    }
}

/// The size of every text but the title. Plotters' sizes are line heights: an SVG gets
/// `size / 1.24` as its `font-size`, so 17 is a 13.7 px font. Pages pick a picture drawn for
/// the reader's width, which a phone may show at 0.89 of its size (320 drawn, 284 shown at
/// 360 px): 12.2 px there, and more wherever the picture is not shrunk.
pub(crate) const TEXT_SIZE: f64 = 17.0;
const LEGEND: LegendText = LegendText {
    size: TEXT_SIZE,
    lines: 3,
};
/// Height of a row of text under the plot and of a line of the note above it.
const ROW: i32 = 22;
/// Free space between texts in a row: closer than this they read as one.
const LABEL_GAP: i32 = 10;
/// Between the lowest value's line and the x axis when the axis is broken.
const BREAK_GAP: i32 = 14;
/// The plot's least height in [`trend_size`].
const MIN_PLOT: i32 = 180;
const MIN_HEIGHT: u32 = 240;

/// A mark's line: thin, dashed, in the axis' grey, 3.5:1 on white, enough for a line (WCAG's
/// 3:1 for graphics) and quieter than every figure's colour.
const MARK_LINE: LineStyle = LineStyle {
    color: AXIS,
    width: 1,
    dash: style::Dash::Dashed { dash: 4, gap: 3 },
    marker: style::Marker::Circle,
};
/// The row of mark labels above the plot, where a chart has marks.
const MARK_ROW: i32 = ROW;
/// The least distance of a mark's line from the plot's edges: at the edge it would vanish in
/// the y axis.
const MARK_INSET: i32 = 4;

/// What surrounds the plot at a width: the title's and the note's lines, the row of mark
/// labels and the legend.
struct Chrome {
    title: Vec<String>,
    header: Vec<String>,
    marks: bool,
    legend_height: i32,
}

impl Chrome {
    fn measure<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        chart: &TrendChart,
        width: i32,
    ) -> Result<Chrome, ChartError> {
        let inner = width - 2 * PAD;
        Ok(Chrome {
            // A department's path can be long; on a phone it takes three lines.
            title: style::title_lines(area, &chart.texts.title, width, 3)?,
            header: style::wrap(area, &chart.header(), TEXT_SIZE, inner, 3)?,
            marks: !chart.data.marks.is_empty(),
            legend_height: style::legend_layout(area, &chart.legend(), inner, LEGEND)?.height,
        })
    }

    /// Top of the plot: below the title, the note and the marks' labels, with room for the top
    /// tick's text.
    fn plot_top(&self) -> i32 {
        self.marks_top() + if self.marks { MARK_ROW } else { 0 } + 10
    }

    /// Top of the row of mark labels, right under the note.
    fn marks_top(&self) -> i32 {
        self.header_top() + self.header.len() as i32 * ROW
    }

    fn header_top(&self) -> i32 {
        style::title_height(self.title.len())
    }

    /// The x axis, `height` − what goes below it: the round labels, the counts, the legend.
    fn axis_at(&self, height: i32) -> i32 {
        height - PAD - self.legend_height - 10 - 2 * ROW - 8
    }

    /// Everything but the plot.
    fn height(&self) -> i32 {
        self.plot_top() + (PAD + self.legend_height + 10 + 2 * ROW + 8)
    }
}

/// Where everything goes, in pixels.
struct Layout {
    left: i32,
    right: i32,
    top: i32,
    /// The lowest value's line: the x axis, or above it by the break.
    plot_bottom: i32,
    /// The x axis.
    bottom: i32,
    range: YRange,
    rounds: usize,
    /// Width of one round's column.
    step: f64,
    /// Every how many rounds a label / a count is written (1 = all), counted from the latest.
    label_every: usize,
    count_every: usize,
    /// The edges texts under the plot stay within.
    bounds: (i32, i32),
    chrome: Chrome,
    legend_top: i32,
    /// Where each mark's line is, in the order of the marks.
    mark_xs: Vec<i32>,
    /// The labels above the plot: centre and text, those that would overlap written as one.
    mark_labels: Vec<(i32, String)>,
}

impl Layout {
    fn x(&self, round: usize) -> i32 {
        self.left + ((round as f64 + 0.5) * self.step).round() as i32
    }

    fn y(&self, value: f64) -> i32 {
        let YRange { low, high, .. } = self.range;
        let share = (value.clamp(low, high) - low) / (high - low);
        self.plot_bottom - (share * f64::from(self.plot_bottom - self.top)).round() as i32
    }

    fn labelled(&self, round: usize, every: usize) -> bool {
        (self.rounds - 1 - round).is_multiple_of(every)
    }
}

/// The centre at which a text of `width` pixels around `x` is drawn: moved inwards at the
/// chart's edges rather than cut by them.
fn placed(x: i32, width: i32, (from, to): (i32, i32)) -> i32 {
    let half = width / 2;
    x.clamp(from + half, (to - half).max(from + half))
}

/// Every how many rounds a text is written, counted from the latest, so that no two written
/// texts come closer than [`LABEL_GAP`] where they are drawn. Texts are thinned, never cut.
fn thinning(xs: &[i32], widths: &[i32], bounds: (i32, i32)) -> usize {
    let n = xs.len();
    (1..n.max(1))
        .find(|&every| {
            let extents: Vec<(i32, i32)> = (0..n)
                .filter(|i| (n - 1 - i).is_multiple_of(every))
                .map(|i| {
                    let centre = placed(xs[i], widths[i], bounds);
                    (centre - widths[i] / 2, centre + widths[i] - widths[i] / 2)
                })
                .collect();
            extents.windows(2).all(|w| w[0].1 + LABEL_GAP <= w[1].0)
        })
        .unwrap_or(n.max(1))
}

fn layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &TrendChart,
    size: (i32, i32),
) -> Result<Layout, ChartError> {
    let (width, height) = size;
    let data = chart.data;
    let ticks = chart.range.ticks();
    let widest_tick = style::widest_text(area, ticks.iter().map(|t| style::whole(*t)), TEXT_SIZE)?;
    let left_column = widest_tick
        .max(style::text_width(area, &chart.texts.responses, TEXT_SIZE)?)
        .min(width / 3)
        + 10;
    let (left, right) = (PAD + left_column, width - PAD);
    let chrome = Chrome::measure(area, chart, width)?;
    let legend_top = height - PAD - chrome.legend_height;
    let bottom = chrome.axis_at(height);
    let top = chrome.plot_top();
    let plot_bottom = if chart.range.starts_at_zero() {
        bottom
    } else {
        bottom - BREAK_GAP
    };
    if plot_bottom - top < 60 || right - left < 100 {
        return Err(Size::new(width as u32, height as u32)
            .invalid("too small for the plot, its labels and legend"));
    }
    let rounds = data.rounds.len();
    let step = f64::from(right - left) / rounds as f64;
    let xs: Vec<i32> = (0..rounds)
        .map(|i| left + ((i as f64 + 0.5) * step).round() as i32)
        .collect();
    let bounds = (PAD, width - PAD);
    let widths = |texts: &[String]| -> Result<Vec<i32>, ChartError> {
        texts
            .iter()
            .map(|t| style::text_width(area, t, TEXT_SIZE))
            .collect()
    };
    let label_widths = widths(&chart.labels)?;
    let count_widths = widths(&counts(data))?;
    let mark_xs: Vec<i32> = data
        .marks
        .iter()
        .map(|m| {
            let x = left + ((mark_position(&data.rounds, m.date) + 0.5) * step).round() as i32;
            x.clamp(left + MARK_INSET, right - MARK_INSET)
        })
        .collect();
    let mark_labels = mark_labels(area, &data.marks, &mark_xs, bounds)?;
    Ok(Layout {
        left,
        right,
        top,
        plot_bottom,
        bottom,
        range: chart.range,
        rounds,
        step,
        label_every: thinning(&xs, &label_widths, bounds),
        count_every: thinning(&xs, &count_widths, bounds),
        bounds,
        chrome,
        legend_top,
        mark_xs,
        mark_labels,
    })
}

/// The marks' labels ("1▶") from left to right, centred over their lines; labels that would
/// come closer than [`LABEL_GAP`] are joined into one ("1■ 2▶"), centred over all their lines,
/// so none is cut or drawn over another.
fn mark_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    marks: &[TrendMark],
    xs: &[i32],
    bounds: (i32, i32),
) -> Result<Vec<(i32, String)>, ChartError> {
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&i| xs[i]);
    // Each group: its lines' leftmost and rightmost x and its text.
    let mut groups: Vec<(i32, i32, String)> = Vec::new();
    let extent = |(from, to, text): &(i32, i32, String)| -> Result<(i32, i32, i32), ChartError> {
        let width = style::text_width(area, text, TEXT_SIZE)?;
        let centre = placed((from + to) / 2, width, bounds);
        Ok((centre, centre - width / 2, centre + width - width / 2))
    };
    for i in order {
        let mut group = (
            xs[i],
            xs[i],
            format!("{}{}", marks[i].label, marks[i].kind.sign()),
        );
        while let Some(last) = groups.last() {
            let (_, _, last_right) = extent(last)?;
            let (_, left, _) = extent(&group)?;
            if last_right + LABEL_GAP <= left {
                break;
            }
            let last = groups.pop().expect("a last group");
            group = (last.0, group.1, format!("{} {}", last.2, group.2));
        }
        groups.push(group);
    }
    groups
        .iter()
        .map(|g| Ok((extent(g)?.0, g.2.clone())))
        .collect()
}

fn counts(data: &TrendData) -> Vec<String> {
    data.responses
        .iter()
        .map(|n| n.map_or("–".to_string(), |n| n.to_string()))
        .collect()
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
        style::draw_title_lines(area, &l.chrome.title)?;
        let header_style = style::font(TEXT_SIZE, MUTED_TEXT, HPos::Left, VPos::Top);
        for (i, line) in l.chrome.header.iter().enumerate() {
            let y = l.chrome.header_top() + i as i32 * ROW;
            style::draw_text(area, line, &header_style, (PAD, y))?;
        }
        self.draw_hidden_columns(area, &l)?;
        self.draw_axes(area, &l)?;
        self.draw_marks(area, &l)?;
        self.draw_bands(area, &l)?;
        self.draw_lines_and_markers(area, &l)?;
        self.draw_rows_below(area, &l)?;
        style::draw_legend(
            area,
            &self.legend(),
            (PAD, l.legend_top),
            width - 2 * PAD,
            LEGEND,
        )
    }
}

impl TrendChart<'_> {
    /// Rounds without any figure get a faint column, so the gap reads as deliberate.
    fn draw_hidden_columns<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
        let half = (l.step / 2.0).round() as i32;
        for round in 0..l.rounds {
            if self.lines().all(|(line, _)| line.points[round].is_none()) {
                area.draw(&Rectangle::new(
                    [(l.x(round) - half, l.top), (l.x(round) + half, l.bottom)],
                    HIDDEN_FILL.filled(),
                ))
                .map_err(drawing_error)?;
            }
        }
        Ok(())
    }

    fn draw_axes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
        let tick_style = style::font(TEXT_SIZE, MUTED_TEXT, HPos::Right, VPos::Center);
        for tick in l.range.ticks() {
            let y = l.y(tick);
            area.draw(&PathElement::new(
                vec![(l.left, y), (l.right, y)],
                GRID.stroke_width(1),
            ))
            .map_err(drawing_error)?;
            style::draw_text(area, &style::whole(tick), &tick_style, (l.left - 6, y))?;
        }
        for segment in [
            vec![(l.left, l.bottom), (l.right, l.bottom)],
            vec![(l.left, l.top), (l.left, l.bottom)],
        ] {
            area.draw(&PathElement::new(segment, AXIS.stroke_width(1)))
                .map_err(drawing_error)?;
        }
        if !l.range.starts_at_zero() {
            draw_axis_break(area, l.left, (l.plot_bottom + l.bottom) / 2)?;
        }
        Ok(())
    }

    /// The marks: a thin dashed grey line from under its label to the x axis, behind the bands
    /// and lines, and the labels in their row above the plot.
    fn draw_marks<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
        if l.mark_xs.is_empty() {
            return Ok(());
        }
        let top = l.chrome.marks_top();
        for &x in &l.mark_xs {
            style::draw_polyline(area, &[(x, top + MARK_ROW - 2), (x, l.bottom)], &MARK_LINE)?;
        }
        let label_style = style::font(TEXT_SIZE, MUTED_TEXT, HPos::Center, VPos::Top);
        for (x, label) in &l.mark_labels {
            style::draw_text(area, label, &label_style, (*x, top + 1))?;
        }
        Ok(())
    }

    fn draw_bands<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
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
        Ok(())
    }

    fn draw_lines_and_markers<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
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
                let Some(point) = point else { continue };
                let at = (l.x(round), l.y(point.value));
                let r = if line_style == OVERALL_STYLE {
                    radius + 1
                } else {
                    radius
                };
                style::draw_marker(area, at, line_style.marker, line_style.color, r)?;
                if point.significant.is_some() {
                    area.draw(&Circle::new(
                        at,
                        RING_RADIUS,
                        line_style.color.stroke_width(2),
                    ))
                    .map_err(drawing_error)?;
                }
            }
        }
        Ok(())
    }

    /// The round labels and the counts under the plot.
    fn draw_rows_below<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
        let label_y = l.bottom + 6;
        let count_y = label_y + ROW;
        let label_style = style::font(TEXT_SIZE, TEXT, HPos::Center, VPos::Top);
        let count_style = style::font(TEXT_SIZE, MUTED_TEXT, HPos::Center, VPos::Top);
        let counts = counts(self.data);
        for (round, (label, count)) in self.labels.iter().zip(&counts).enumerate() {
            let x = l.x(round);
            if l.labelled(round, l.label_every) {
                area.draw(&PathElement::new(
                    vec![(x, l.bottom), (x, l.bottom + 3)],
                    AXIS.stroke_width(1),
                ))
                .map_err(drawing_error)?;
                let at = placed(x, style::text_width(area, label, TEXT_SIZE)?, l.bounds);
                style::draw_text(area, label, &label_style, (at, label_y))?;
            }
            if l.labelled(round, l.count_every) {
                let at = placed(x, style::text_width(area, count, TEXT_SIZE)?, l.bounds);
                style::draw_text(area, count, &count_style, (at, count_y))?;
            }
        }
        // Its column is at most a third of the chart; only a heading longer than that (not
        // "n" or "Antworten") is shortened.
        let heading = style::fit(
            area,
            &self.texts.responses,
            TEXT_SIZE,
            l.left - PAD - 8,
            Keep::Start,
        )?;
        style::draw_text(
            area,
            &heading,
            &style::font(TEXT_SIZE, MUTED_TEXT, HPos::Right, VPos::Top),
            (l.left - 6, count_y),
        )
    }
}

/// The break in an axis that does not start at 0: the axis is interrupted and two slanted
/// strokes cross the gap, the usual sign that a stretch of the scale is left out.
fn draw_axis_break<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    y: i32,
) -> Result<(), ChartError> {
    area.draw(&Rectangle::new(
        [(x - 1, y - 3), (x + 1, y + 3)],
        WHITE.filled(),
    ))
    .map_err(drawing_error)?;
    for dy in [-3, 3] {
        area.draw(&PathElement::new(
            vec![(x - 6, y + dy + 3), (x + 6, y + dy - 3)],
            TEXT.stroke_width(2),
        ))
        .map_err(drawing_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::test_support::{attr, elements, png_size, points, texts};

    fn names(list: [&str; 12]) -> [String; 12] {
        list.map(String::from)
    }

    fn dates_en() -> DateTexts {
        DateTexts {
            months_short: names([
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]),
            months: names([
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ]),
            axis_month: "{month} {yy}".into(),
            axis_day: "{day} {month} {yy}".into(),
            full: "{day} {month} {year}".into(),
        }
    }

    fn dates_de() -> DateTexts {
        DateTexts {
            months_short: names([
                "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
            ]),
            months: names([
                "Januar",
                "Februar",
                "März",
                "April",
                "Mai",
                "Juni",
                "Juli",
                "August",
                "September",
                "Oktober",
                "November",
                "Dezember",
            ]),
            axis_month: "{month} {yy}".into(),
            axis_day: "{day}. {month} {yy}".into(),
            full: "{day}. {month} {year}".into(),
        }
    }

    fn texts_en() -> TrendTexts {
        TrendTexts {
            title: "Sales – customer-centricity over time".into(),
            y_axis: "Index (0–100)".into(),
            axis_from: "axis starts at {}, not 0".into(),
            responses: "n".into(),
            band: "95 % confidence interval".into(),
            hidden: "fewer answers than the threshold".into(),
            significant:
                "ring: significant change against the previous round (Welch's t-test, p < 0.05)"
                    .into(),
            rise: "significant rise".into(),
            fall: "significant fall".into(),
            empty: "No round has enough answers yet.".into(),
            dates: dates_en(),
            marks: MarkTexts {
                start: "action started".into(),
                end: "action ended".into(),
                subject: "Action {label} “{title}”".into(),
                started: "started on {date}".into(),
                ended: "ended on {date}".into(),
            },
        }
    }

    fn texts_de() -> TrendTexts {
        TrendTexts {
            title: "Vertrieb – Kundenorientierung im Verlauf".into(),
            y_axis: "Index (0–100)".into(),
            axis_from: "Achse beginnt bei {}, nicht bei 0".into(),
            responses: "Antworten".into(),
            band: "95-%-Konfidenzintervall".into(),
            hidden: "zu wenige Antworten".into(),
            significant: "Ring: signifikante Veränderung zur Vorrunde (Welch-t-Test, p < 0,05)"
                .into(),
            rise: "deutlicher Anstieg".into(),
            fall: "deutlicher Rückgang".into(),
            empty: "Noch keine Runde mit genug Antworten.".into(),
            dates: dates_de(),
            marks: MarkTexts {
                start: "Maßnahme begonnen".into(),
                end: "Maßnahme beendet".into(),
                subject: "Maßnahme {label} „{title}“".into(),
                started: "begann am {date}".into(),
                ended: "endete am {date}".into(),
            },
        }
    }

    fn day(year: i32, month: u32, day: u32) -> RoundDate {
        RoundDate { year, month, day }
    }

    fn point(value: f64) -> Option<TrendPoint> {
        Some(TrendPoint {
            value,
            ci95: None,
            significant: None,
        })
    }

    fn with_band(value: f64, half: f64) -> Option<TrendPoint> {
        Some(TrendPoint {
            value,
            ci95: Some((value - half, value + half)),
            significant: None,
        })
    }

    /// Five monthly rounds, July to November 2026; the third is hidden everywhere.
    fn five_rounds() -> TrendData {
        TrendData {
            rounds: (7..=11).map(|month| day(2026, month, 6)).collect(),
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
            marks: Vec::new(),
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

    /// `<text>` elements as (x, text).
    fn placed_texts(svg: &str) -> Vec<(i32, String)> {
        elements(svg, "text")
            .into_iter()
            .zip(texts(svg))
            .map(|(element, text)| (attr(element, "x").unwrap().parse().unwrap(), text))
            .collect()
    }

    fn width_of(text: &str) -> i32 {
        crate::register_fonts();
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
        style::text_width(&area, text, TEXT_SIZE).unwrap()
    }

    const SIZE: Size = Size::new(900, 480);

    #[test]
    fn svg_has_title_round_labels_counts_legend_and_a_fitted_axis() {
        let svg = trend_svg(&five_rounds(), &texts_en(), SIZE).unwrap();
        let written = texts(&svg);
        for expected in [
            "Sales – customer-centricity over time",
            "Index (0–100) · axis starts at 50, not 0",
            "Jul 26",
            "Oct 26",
            "Nov 26",
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
            "50",
            "80",
        ] {
            assert!(
                written.iter().any(|t| t == expected),
                "{expected} in {written:?}"
            );
        }
        for absent in ["0", "100", "2026-07"] {
            assert!(!written.iter().any(|t| t == absent), "{absent} drawn");
        }
        assert!(svg.contains("<title>Sales – customer-centricity over time</title>"));
        assert!(svg.contains(
            "<desc>Sales – customer-centricity over time. Overall index – 6 July 2026: 62 (57–67); 6 August 2026: 64"
        ));
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn the_y_range_is_fitted_to_values_60_to_70() {
        let range = y_range([60.0, 63.5, 70.0]);
        assert_eq!(
            range,
            YRange {
                low: 55.0,
                high: 75.0,
                step: 5.0
            }
        );
        assert!(!range.starts_at_zero());
        assert_eq!(range.ticks(), vec![55.0, 60.0, 65.0, 70.0, 75.0]);
    }

    #[test]
    fn the_y_range_includes_the_bands() {
        let data = TrendData {
            rounds: vec![day(2026, 9, 1), day(2026, 10, 1)],
            responses: vec![Some(20), Some(22)],
            overall: TrendLine {
                label: "Overall".into(),
                points: vec![with_band(60.0, 8.0), with_band(70.0, 9.0)],
            },
            pillars: vec![],
            marks: Vec::new(),
        };
        let range = y_range(shown_values(&data));
        assert!(range.low <= 52.0 && range.high >= 79.0, "{range:?}");
        assert!(range.low > 0.0, "still fitted: {range:?}");
        let l = layout_of(&data, SIZE);
        assert!(l.y(79.0) >= l.top && l.y(52.0) <= l.plot_bottom);
    }

    #[test]
    fn the_y_range_stays_within_0_and_100() {
        let top = y_range([97.0, 99.0, 104.0]);
        assert_eq!(top.high, 100.0, "{top:?}");
        assert!(top.low > 80.0 && top.high - top.low >= MIN_SPAN, "{top:?}");
        let bottom = y_range([-6.0, 2.0, 8.0]);
        assert_eq!(bottom.low, 0.0, "{bottom:?}");
        assert!(bottom.starts_at_zero());
        let wide = y_range([12.0, 88.0]);
        assert_eq!((wide.low, wide.high, wide.step), (0.0, 100.0, 20.0));
        for range in [top, bottom, wide, y_range([33.0]), y_range([0.0, 100.0])] {
            assert!(range.low >= 0.0 && range.high <= 100.0, "{range:?}");
            assert!(STEPS.contains(&range.step), "{range:?}");
            assert_eq!(range.low % range.step, 0.0, "round ticks: {range:?}");
            assert!((range.high - range.low) / range.step <= MAX_INTERVALS);
        }
    }

    #[test]
    fn a_single_round_gets_a_sensible_axis() {
        let alone = y_range([50.0]);
        assert!(alone.low < 50.0 && alone.high > 50.0, "{alone:?}");
        assert!(alone.high - alone.low >= MIN_SPAN);
        assert!(alone.ticks().len() >= 3, "{alone:?}");
        let banded = y_range([50.0, 44.0, 56.0]);
        assert!(banded.low <= 44.0 && banded.high >= 56.0, "{banded:?}");
    }

    #[test]
    fn a_cut_axis_is_marked_and_said_and_a_full_one_is_not() {
        let data = five_rounds();
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        assert_eq!(l.plot_bottom, l.bottom - BREAK_GAP);
        assert_eq!(l.y(50.0), l.plot_bottom);
        let middle = (l.plot_bottom + l.bottom) / 2;
        let strokes: Vec<Vec<(i32, i32)>> = elements(&svg, "polyline")
            .into_iter()
            .filter(|p| attr(p, "stroke") == Some("#212121"))
            .map(points)
            .filter(|pts| {
                pts.iter()
                    .all(|&(x, y)| (x - l.left).abs() <= 6 && (y - middle).abs() <= 6)
            })
            .collect();
        assert_eq!(strokes.len(), 2, "two strokes across the axis: {strokes:?}");

        let mut full = five_rounds();
        full.overall.points[0] = with_band(20.0, 15.0);
        let svg = trend_svg(&full, &texts_en(), SIZE).unwrap();
        let written = texts(&svg);
        assert!(written.iter().any(|t| t == "Index (0–100)"), "{written:?}");
        assert!(written.iter().any(|t| t == "0"), "{written:?}");
        assert!(!svg.contains("axis starts at"));
        let l = layout_of(&full, SIZE);
        assert_eq!(l.plot_bottom, l.bottom);
    }

    #[test]
    fn rounds_are_labelled_by_month_in_the_readers_language() {
        let rounds = [day(2026, 10, 5), day(2026, 11, 2), day(2027, 3, 1)];
        assert_eq!(
            axis_labels(&rounds, &dates_de()),
            vec!["Okt 26", "Nov 26", "Mär 27"]
        );
        assert_eq!(
            axis_labels(&rounds, &dates_en()),
            vec!["Oct 26", "Nov 26", "Mar 27"]
        );
        assert_eq!(dates_de().full(rounds[0]), "5. Oktober 2026");
        assert_eq!(dates_en().full(rounds[2]), "1 March 2027");
        assert_eq!(axis_labels(&[day(2009, 1, 9)], &dates_en()), vec!["Jan 09"]);
    }

    #[test]
    fn rounds_in_the_same_month_are_told_apart_by_day() {
        let rounds = [
            day(2026, 10, 5),
            day(2026, 10, 19),
            day(2026, 11, 2),
            day(2027, 10, 4),
        ];
        assert_eq!(
            axis_labels(&rounds, &dates_de()),
            vec!["5. Okt 26", "19. Okt 26", "Nov 26", "Okt 27"]
        );
        assert_eq!(
            axis_labels(&rounds, &dates_en()),
            vec!["5 Oct 26", "19 Oct 26", "Nov 26", "Oct 27"]
        );
    }

    #[test]
    fn german_charts_carry_no_english_month_or_text() {
        let svg = trend_svg(&five_rounds(), &texts_de(), SIZE).unwrap();
        let written = texts(&svg);
        for expected in [
            "Antworten",
            "95-%-Konfidenzintervall",
            "zu wenige Antworten",
            "Okt 26",
            "Index (0–100) · Achse beginnt bei 50, nicht bei 0",
        ] {
            assert!(written.iter().any(|t| t == expected), "{expected}");
        }
        assert!(!written.iter().any(|t| t.contains("Oct")), "{written:?}");
        let description = trend_description(&five_rounds(), &texts_de());
        assert!(
            description.contains("Overall index – 6. Juli 2026: 62 (57–67); 6. August 2026: 64"),
            "{description}"
        );
        assert!(description.contains("6. September 2026: zu wenige Antworten"));
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

    /// Rings: `<circle>`s drawn as outlines.
    fn rings(svg: &str) -> Vec<(i32, i32, String)> {
        elements(svg, "circle")
            .into_iter()
            .filter(|c| attr(c, "fill") == Some("none"))
            .map(|c| {
                (
                    attr(c, "cx").unwrap().parse().unwrap(),
                    attr(c, "cy").unwrap().parse().unwrap(),
                    attr(c, "stroke").unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn only_significant_changes_are_ringed_and_explained() {
        let plain = five_rounds();
        let svg = trend_svg(&plain, &texts_en(), SIZE).unwrap();
        assert!(
            rings(&svg).is_empty(),
            "nothing significant, nothing ringed"
        );
        assert!(!texts(&svg).iter().any(|t| t.starts_with("ring:")));
        assert!(!trend_description(&plain, &texts_en()).contains("significant"));

        let mut data = five_rounds();
        data.pillars[0].points[1].as_mut().unwrap().significant = Some(Significant::Rise);
        data.pillars[2].points[4].as_mut().unwrap().significant = Some(Significant::Fall);
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let in_plot: Vec<(i32, i32, String)> = rings(&svg)
            .into_iter()
            .filter(|&(_, y, _)| y <= l.bottom)
            .collect();
        assert_eq!(
            in_plot,
            vec![
                (l.x(1), l.y(58.0), "#0072B2".to_string()),
                (l.x(4), l.y(73.0), "#009E73".to_string()),
            ]
        );
        let written = texts(&svg);
        let legend = style::xml_escape(&texts_en().significant);
        assert!(written.iter().any(|t| t == &legend), "legend: {written:?}");
        let description = trend_description(&data, &texts_en());
        assert!(
            description
                .contains("Customer focus – 6 July 2026: 55; 6 August 2026: 58, significant rise;"),
            "{description}"
        );
        assert!(description.contains("6 November 2026: 73, significant fall."));
        assert!(description.ends_with(&format!("{}.", texts_en().significant)));
    }

    /// The pictures as drawn before marks existed (`charts/tests/golden/`): a chart without
    /// marks must stay byte for byte what it was. `KUNDENPULS_WRITE_GOLDEN=1` writes them anew
    /// after a deliberate change of the drawing.
    #[test]
    fn a_chart_without_marks_is_drawn_as_before() {
        let mut rise = five_rounds();
        rise.pillars[0].points[1].as_mut().unwrap().significant = Some(Significant::Rise);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        for (name, data, texts, width) in [
            ("trend-en-900.svg", rise.clone(), texts_en(), 900),
            ("trend-de-320.svg", rise, texts_de(), 320),
        ] {
            let svg = trend_svg(&data, &texts, trend_size(&data, &texts, width)).unwrap();
            let path = dir.join(name);
            if std::env::var_os("KUNDENPULS_WRITE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &svg).unwrap();
            }
            let before = std::fs::read_to_string(&path).unwrap();
            assert!(svg == before, "{name} differs from the golden picture");
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
        for line in &mut data.pillars {
            line.points = vec![None, None, None, None, point(48.0)];
        }
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        assert!(l.range.low <= 40.0 && l.range.high >= 60.0, "{:?}", l.range);
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
        assert!(
            l.y(60.0) > l.top && l.y(40.0) < l.bottom,
            "the band is inside the plot"
        );
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
            marks: Vec::new(),
        };
        let svg = trend_svg(&nothing, &texts_en(), SIZE).unwrap();
        assert!(svg.contains("No round has enough answers yet."));
        assert_eq!(
            trend_description(&nothing, &texts_en()),
            "Sales – customer-centricity over time. No round has enough answers yet."
        );
    }

    fn mark(label: &str, kind: MarkKind, date: RoundDate) -> TrendMark {
        TrendMark {
            label: label.into(),
            title: format!("Action {label}"),
            kind,
            date,
        }
    }

    /// Five rounds (6 July to 6 November 2026) with action 1 from 20 August to 20 October and
    /// action 2 started after the last round.
    fn five_rounds_with_marks() -> TrendData {
        TrendData {
            marks: vec![
                mark("1", MarkKind::Start, day(2026, 8, 20)),
                mark("1", MarkKind::End, day(2026, 10, 20)),
                mark("2", MarkKind::Start, day(2026, 11, 12)),
            ],
            ..five_rounds()
        }
    }

    /// The dashed grey vertical lines of an SVG (many pieces at one x, unlike the axis and
    /// its ticks): (x, top, bottom).
    fn mark_lines(svg: &str) -> Vec<(i32, i32, i32)> {
        let mut lines: Vec<(i32, i32, i32, usize)> = Vec::new();
        for element in elements(svg, "polyline") {
            if attr(element, "stroke") != Some("#888888") {
                continue;
            }
            let p = points(element);
            if p.len() != 2 || p[0].0 != p[1].0 {
                continue;
            }
            let (x, from, to) = (p[0].0, p[0].1.min(p[1].1), p[0].1.max(p[1].1));
            match lines.iter_mut().find(|l| l.0 == x) {
                Some(line) => *line = (x, line.1.min(from), line.2.max(to), line.3 + 1),
                None => lines.push((x, from, to, 1)),
            }
        }
        let mut dashed: Vec<(i32, i32, i32)> = lines
            .into_iter()
            .filter(|l| l.3 >= 5)
            .map(|(x, top, bottom, _)| (x, top, bottom))
            .collect();
        dashed.sort_unstable();
        dashed
    }

    #[test]
    fn marks_fall_between_the_rounds_by_their_date() {
        let rounds: Vec<RoundDate> = (7..=11).map(|month| day(2026, month, 6)).collect();
        assert_eq!(mark_position(&rounds, day(2026, 7, 6)), 0.0);
        assert_eq!(mark_position(&rounds, day(2026, 11, 6)), 4.0);
        // 14 of the 31 days from 6 August to 6 September.
        let between = mark_position(&rounds, day(2026, 8, 20));
        assert!((between - (1.0 + 14.0 / 31.0)).abs() < 1e-9, "{between}");
        // Six days after the last round, with rounds 30.75 days apart.
        let after = mark_position(&rounds, day(2026, 11, 12));
        assert!((after - (4.0 + 6.0 / 30.75)).abs() < 1e-9, "{after}");
        // Outside the rounds: at the edge of the plot, half a column out, never beyond.
        assert_eq!(mark_position(&rounds, day(2025, 1, 1)), -0.5);
        assert_eq!(mark_position(&rounds, day(2027, 3, 1)), 4.5);
        assert_eq!(mark_position(&[day(2026, 7, 6)], day(2026, 7, 21)), 0.5);
        assert_eq!(days(day(1970, 1, 1)), 0);
        assert_eq!(days(day(2026, 3, 1)) - days(day(2026, 2, 28)), 1);
        assert_eq!(days(day(2024, 3, 1)) - days(day(2024, 2, 28)), 2);
    }

    #[test]
    fn marks_are_thin_dashed_lines_with_numbered_labels_above_the_plot() {
        let data = five_rounds_with_marks();
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let between = |p: f64| l.left + ((p + 0.5) * l.step).round() as i32;
        let expected = vec![
            between(1.0 + 14.0 / 31.0),
            between(3.0 + 14.0 / 31.0),
            between(4.0 + 6.0 / 30.75),
        ];
        let lines = mark_lines(&svg);
        assert_eq!(
            lines.iter().map(|l| l.0).collect::<Vec<_>>(),
            expected,
            "{lines:?}"
        );
        for (_, top, bottom) in &lines {
            assert_eq!(*bottom, l.bottom, "down to the x axis");
            assert!(*top < l.top, "from the label row");
        }
        let dashed = elements(&svg, "polyline")
            .into_iter()
            .filter(|e| attr(e, "stroke") == Some("#888888"))
            .count();
        assert!(dashed > 3 * 10, "dashed, not solid: {dashed} pieces");
        let labels: Vec<(i32, String)> = placed_texts(&svg)
            .into_iter()
            .filter(|(_, t)| t.ends_with('▶') || t.ends_with('■'))
            .filter(|(_, t)| t.chars().count() > 1)
            .collect();
        assert_eq!(
            labels,
            vec![
                (expected[0], "1▶".to_string()),
                (expected[1], "1■".to_string()),
                (expected[2], "2▶".to_string()),
            ]
        );
        // Above the plot, below the note, clear of a ring on the highest point.
        for text in elements(&svg, "text")
            .into_iter()
            .filter(|e| attr(e, "x").is_some_and(|x| expected.contains(&x.parse().unwrap())))
        {
            let y: i32 = attr(text, "y").unwrap().parse().unwrap();
            assert!(y >= l.chrome.marks_top(), "{text}");
            assert!(y + 18 <= l.top - RING_RADIUS, "{text}");
            assert_eq!(attr(text, "fill"), Some("#5F5F5F"), "{text}");
            let size: f64 = attr(text, "font-size").unwrap().parse().unwrap();
            assert!(size >= TEXT_SIZE / 1.24 - 0.1, "{text}");
        }
        let written = texts(&svg);
        for legend in ["▶", "action started", "■", "action ended"] {
            assert!(written.iter().any(|t| t == legend), "{legend}: {written:?}");
        }
        // The rest of the chart is as without marks, one row lower.
        let plain = layout_of(&five_rounds(), SIZE);
        assert_eq!(l.top, plain.top + MARK_ROW);
        assert_eq!(l.legend_top, plain.legend_top);
    }

    #[test]
    fn a_mark_outside_the_rounds_is_drawn_at_the_edge_and_said_with_its_date() {
        let data = TrendData {
            marks: vec![
                mark("1", MarkKind::Start, day(2025, 12, 1)),
                mark("1", MarkKind::End, day(2027, 2, 1)),
            ],
            ..five_rounds()
        };
        let svg = trend_svg(&data, &texts_en(), SIZE).unwrap();
        let l = layout_of(&data, SIZE);
        let xs: Vec<i32> = mark_lines(&svg).iter().map(|l| l.0).collect();
        // Beside the y axis rather than on it.
        assert_eq!(xs, vec![l.left + MARK_INSET, l.right - MARK_INSET]);
        let description = trend_description(&data, &texts_en());
        assert!(
            description.contains(
                "Action 1 “Action 1” started on 1 December 2025, ended on 1 February 2027."
            ),
            "{description}"
        );
    }

    #[test]
    fn labels_that_would_overlap_are_written_as_one() {
        let data = TrendData {
            marks: vec![
                mark("2", MarkKind::Start, day(2026, 9, 2)),
                mark("1", MarkKind::End, day(2026, 9, 1)),
                mark("3", MarkKind::Start, day(2026, 7, 6)),
            ],
            ..five_rounds()
        };
        for width in [320, 900] {
            let size = trend_size(&data, &texts_de(), width);
            let svg = trend_svg(&data, &texts_de(), size).unwrap();
            let labels: Vec<String> = texts(&svg)
                .into_iter()
                .filter(|t| t.contains('▶') || t.contains('■'))
                .filter(|t| t.len() > 3)
                .collect();
            assert!(labels.contains(&"1■ 2▶".to_string()), "{width}: {labels:?}");
            assert_eq!(mark_lines(&svg).len(), 3, "every mark keeps its line");
        }
    }

    #[test]
    fn the_description_names_every_marked_action_once() {
        let data = five_rounds_with_marks();
        let description = trend_description(&data, &texts_de());
        assert!(
            description.contains(
                "Maßnahme 1 „Action 1“ begann am 20. August 2026, endete am 20. Oktober 2026. \
                 Maßnahme 2 „Action 2“ begann am 12. November 2026."
            ),
            "{description}"
        );
        let plain = trend_description(&five_rounds(), &texts_de());
        assert!(!plain.contains("Maßnahme"));
        assert!(description.starts_with(plain.trim_end_matches('.')));
        let svg = trend_svg(&data, &texts_de(), SIZE).unwrap();
        assert!(
            svg.contains("begann am 20. August 2026"),
            "in the SVG's desc"
        );
    }

    #[test]
    fn marks_keep_the_contrast_and_their_signs_are_in_the_font() {
        use ab_glyph::Font;
        assert!(style::contrast(MARK_LINE.color, WHITE) >= 3.0);
        assert!(style::contrast(MUTED_TEXT, WHITE) >= 4.5);
        let font = ab_glyph::FontRef::try_from_slice(crate::FONT).unwrap();
        for kind in [MarkKind::Start, MarkKind::End] {
            let sign = kind.sign().chars().next().unwrap();
            assert_ne!(font.glyph_id(sign).0, 0, "{sign} in DejaVu Sans");
        }
    }

    #[test]
    fn a_mark_with_a_date_off_the_calendar_is_refused() {
        let mut data = five_rounds_with_marks();
        data.marks[0].date.day = 0;
        let err = trend_svg(&data, &texts_en(), SIZE).unwrap_err();
        assert!(err.to_string().contains("2026-8-0"), "{err}");
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
            significant: None,
        });
        assert!(trend_svg(&data, &texts_en(), SIZE).is_err());

        let mut data = five_rounds();
        data.rounds[1].month = 13;
        let err = trend_svg(&data, &texts_en(), SIZE).unwrap_err();
        assert!(err.to_string().contains("2026-13-6"), "{err}");
        assert!(trend_svg(&five_rounds(), &texts_en(), Size::new(100, 100)).is_err());
    }

    /// Checks the round labels written into `svg`: whole (each one a computed label, none
    /// shortened), the latest among them, and no two closer than the gap.
    fn assert_labels_whole_and_apart(svg: &str, data: &TrendData, texts: &TrendTexts) -> usize {
        let labels = axis_labels(&data.rounds, &texts.dates);
        let mut written: Vec<(i32, String)> = placed_texts(svg)
            .into_iter()
            .filter(|(_, t)| labels.contains(t))
            .collect();
        assert!(
            !texts_of(svg).iter().any(|t| t.contains('…')),
            "nothing shortened: {:?}",
            texts_of(svg)
        );
        assert_eq!(
            written.last().map(|(_, t)| t.as_str()),
            labels.last().map(String::as_str),
            "the latest round is labelled"
        );
        written.sort_by_key(|(x, _)| *x);
        for pair in written.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let a_right = a.0 + width_of(&a.1) - width_of(&a.1) / 2;
            let b_left = b.0 - width_of(&b.1) / 2;
            assert!(a_right + LABEL_GAP <= b_left, "{a:?} and {b:?} overlap");
        }
        for (x, label) in &written {
            let half = width_of(label) / 2;
            assert!(
                x - half >= PAD && x + half <= svg_width(svg) - PAD,
                "{label} at {x}"
            );
        }
        written.len()
    }

    fn texts_of(svg: &str) -> Vec<String> {
        texts(svg)
    }

    fn svg_width(svg: &str) -> i32 {
        attr(elements(svg, "svg")[0], "width")
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn at_320_pixels_labels_are_thinned_never_cut() {
        for (data, texts) in [
            (seventy_eight_rounds(), texts_en()),
            (seventy_eight_rounds(), texts_de()),
            (twelve_months(), texts_de()),
            (five_rounds(), texts_de()),
            (
                five_rounds(),
                TrendTexts {
                    title: "Kundenorientierung im Verlauf: Kundenservice / Beschwerdemanagement"
                        .into(),
                    ..texts_de()
                },
            ),
        ] {
            let size = trend_size(&data, &texts, 320);
            let svg = trend_svg(&data, &texts, size).unwrap();
            let written = assert_labels_whole_and_apart(&svg, &data, &texts);
            assert!(written >= 2, "{written} labels at 320 px");
            // Legend texts wrap instead of being cut: every word of the longest is there.
            let all = texts_of(&svg).join(" ");
            for word in texts.hidden.split_whitespace() {
                assert!(all.contains(word), "{word} in {all}");
            }
        }
    }

    #[test]
    fn labels_are_thinned_only_when_they_would_overlap() {
        let data = twelve_months();
        let svg = trend_svg(&data, &texts_en(), Size::new(1200, 675)).unwrap();
        assert_eq!(assert_labels_whole_and_apart(&svg, &data, &texts_en()), 12);
        let svg = trend_svg(&seventy_eight_rounds(), &texts_en(), SIZE).unwrap();
        let written = assert_labels_whole_and_apart(&svg, &seventy_eight_rounds(), &texts_en());
        assert!((5..78).contains(&written), "{written} labels");
        let l = layout_of(&seventy_eight_rounds(), SIZE);
        assert!(l.step * l.count_every as f64 >= 30.0, "counts apart");
        assert!(
            texts(&svg).contains(&"54".to_string()),
            "latest count written"
        );
    }

    #[test]
    fn every_text_stays_12_pixels_high_on_a_phone() {
        // The 320 px picture in the 284 px a 360 px phone gives it.
        let shrink = 284.0 / 320.0;
        for data in [seventy_eight_rounds(), five_rounds_with_marks()] {
            let svg = trend_svg(&data, &texts_de(), trend_size(&data, &texts_de(), 320)).unwrap();
            let text_elements = elements(&svg, "text");
            assert!(text_elements.len() > 20);
            for text in text_elements {
                let size: f64 = attr(text, "font-size").unwrap().parse().unwrap();
                assert!(size * shrink >= 12.0, "{text}");
            }
        }
    }

    #[test]
    fn a_narrow_chart_is_drawn_taller_so_its_plot_keeps_its_height() {
        let data = five_rounds();
        let wide = trend_size(&data, &texts_de(), 800);
        assert_eq!(wide, Size::new(800, 450));
        let narrow = trend_size(&data, &texts_de(), 320);
        assert!(narrow.height > 320 * 9 / 16, "{narrow:?}");
        let l = layout_of(&data, narrow);
        assert!(
            l.plot_bottom - l.top >= MIN_PLOT - 1,
            "plot {}",
            l.plot_bottom - l.top
        );
        for width in [320, 360, 400, 480, 640, 800, 1600] {
            for texts in [texts_de(), texts_en()] {
                let size = trend_size(&seventy_eight_rounds(), &texts, width);
                assert!(
                    trend_svg(&seventy_eight_rounds(), &texts, size).is_ok(),
                    "{width}"
                );
            }
        }
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
            "R&D <Nord> – 6 July 2026: 55; 6 August 2026: 58; 6 September 2026: fewer answers than the threshold; 6 October 2026: 60"
        ), "{description}");
        assert!(
            description.ends_with("n – 6 July 2026: 41; 6 August 2026: 38; 6 September 2026: –; 6 October 2026: 44; 6 November 2026: 47."),
            "{description}"
        );
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
        let mut marked = five_rounds();
        marked.pillars[0].points[1].as_mut().unwrap().significant = Some(Significant::Rise);
        let actions = TrendData {
            marks: five_rounds_with_marks().marks,
            ..marked.clone()
        };
        for (name, data, texts, width) in [
            ("trend", marked.clone(), texts_en(), 900),
            ("trend-de-320", marked, texts_de(), 320),
            ("trend-marks-800", actions.clone(), texts_de(), 800),
            ("trend-marks-360", actions, texts_de(), 360),
            ("trend-78-marks-320", weekly_with_actions(), texts_de(), 320),
            ("trend-78-marks-800", weekly_with_actions(), texts_en(), 800),
            ("trend-78", seventy_eight_rounds(), texts_en(), 900),
            ("trend-78-320", seventy_eight_rounds(), texts_de(), 320),
        ] {
            let size = trend_size(&data, &texts, width);
            let png = trend_png(&data, &texts, size).unwrap();
            std::fs::write(dir.join(format!("kundenpuls-{name}.png")), png).unwrap();
            let svg = trend_svg(&data, &texts, size).unwrap();
            std::fs::write(dir.join(format!("kundenpuls-{name}.svg")), svg).unwrap();
        }
        let mut empty = five_rounds();
        empty.overall.points = vec![None; 5];
        empty.pillars.clear();
        let png = trend_png(&empty, &texts_en(), Size::new(640, 300)).unwrap();
        std::fs::write(dir.join("kundenpuls-trend-empty.png"), png).unwrap();
    }

    /// The 78 weekly rounds with four actions, two of them ended, one ended the week the next
    /// started.
    fn weekly_with_actions() -> TrendData {
        let data = seventy_eight_rounds();
        let at = |i: usize| data.rounds[i];
        TrendData {
            marks: vec![
                mark("1", MarkKind::Start, at(10)),
                mark("1", MarkKind::End, at(30)),
                mark("2", MarkKind::Start, at(31)),
                mark("2", MarkKind::End, at(50)),
                mark("3", MarkKind::Start, at(52)),
                mark("4", MarkKind::Start, at(76)),
            ],
            ..data.clone()
        }
    }

    /// Twelve monthly rounds of 2026, the overall index alone.
    fn twelve_months() -> TrendData {
        TrendData {
            rounds: (1..=12).map(|month| day(2026, month, 12)).collect(),
            responses: (0..12).map(|i| Some(30 + i)).collect(),
            overall: TrendLine {
                label: "Overall index".into(),
                points: (0..12)
                    .map(|i| with_band(60.0 + f64::from(i % 4), 3.0))
                    .collect(),
            },
            pillars: vec![],
            marks: Vec::new(),
        }
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
        // Mondays from 5 January 2026 on: 31 days a month is close enough for labels, and
        // several rounds share each month.
        let monday = |i: usize| {
            let days = 4 + 7 * i as u32;
            let (year, rest) = (2026 + (days / 364) as i32, days % 364);
            day(year, (rest / 31 + 1).min(12), rest % 31 + 1)
        };
        TrendData {
            rounds: (0..rounds).map(monday).collect(),
            responses: (0..rounds)
                .map(|i| (!hidden(i)).then_some(40 + (i as u64 * 7) % 25))
                .collect(),
            overall: line("Overall index", 0.0),
            pillars: vec![
                line("Customer focus", 0.8),
                line("Values", 1.6),
                line("Leadership", 2.4),
            ],
            marks: Vec::new(),
        }
    }
}
