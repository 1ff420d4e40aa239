//! What the charts share: sizes and errors, the colour-blind-safe palette with markers and
//! dashes (so colour is never the only cue), a sequential scale, text fitting, the legend, the
//! empty-chart message and the two outputs — an SVG string and PNG bytes — from one drawing
//! routine.

use std::fmt;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::raster::PngBackend;
use crate::{FONT_FAMILY, register_fonts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartError {
    /// The requested picture is too small to be readable or too large to allocate.
    InvalidSize {
        width: u32,
        height: u32,
        reason: String,
    },
    /// The data does not fit together (e.g. a line with more points than rounds).
    InvalidData(String),
    Drawing(String),
    Encoding(String),
}

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartError::InvalidSize {
                width,
                height,
                reason,
            } => write!(f, "chart size {width}×{height}: {reason}"),
            ChartError::InvalidData(reason) => write!(f, "chart data: {reason}"),
            ChartError::Drawing(reason) => write!(f, "drawing the chart: {reason}"),
            ChartError::Encoding(reason) => write!(f, "encoding the PNG: {reason}"),
        }
    }
}

impl std::error::Error for ChartError {}

pub(crate) fn drawing_error(error: impl fmt::Display) -> ChartError {
    ChartError::Drawing(error.to_string())
}

/// Pixel size of a chart; the same for SVG (user units) and PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    pub const MIN_WIDTH: u32 = 320;
    pub const MIN_HEIGHT: u32 = 160;
    /// Bounds the PNG buffer (4096² × 3 bytes = 48 MiB) when a size comes from a request.
    pub const MAX_SIDE: u32 = 4096;

    pub const fn new(width: u32, height: u32) -> Self {
        Size { width, height }
    }

    pub(crate) fn check(self) -> Result<(), ChartError> {
        let reason = if self.width < Self::MIN_WIDTH || self.height < Self::MIN_HEIGHT {
            format!(
                "at least {}×{} is needed to stay readable",
                Self::MIN_WIDTH,
                Self::MIN_HEIGHT
            )
        } else if self.width > Self::MAX_SIDE || self.height > Self::MAX_SIDE {
            format!("at most {} per side", Self::MAX_SIDE)
        } else {
            return Ok(());
        };
        Err(self.invalid(reason))
    }

    pub(crate) fn invalid(self, reason: impl Into<String>) -> ChartError {
        ChartError::InvalidSize {
            width: self.width,
            height: self.height,
            reason: reason.into(),
        }
    }
}

/// The Okabe–Ito palette: eight colours that stay distinct under the common colour-vision
/// deficiencies.
pub mod okabe_ito {
    use plotters::style::RGBColor;

    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
}

pub const TEXT: RGBColor = RGBColor(0x21, 0x21, 0x21);
pub const MUTED_TEXT: RGBColor = RGBColor(0x5F, 0x5F, 0x5F);
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Background of what is hidden by the anonymity threshold.
pub const HIDDEN_FILL: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
pub const HATCH: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
    Cross,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed { dash: u32, gap: u32 },
}

/// How one line is told apart: colour, width, dash and marker together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineStyle {
    pub color: RGBColor,
    pub width: u32,
    pub dash: Dash,
    pub marker: Marker,
}

/// The overall index: the heaviest line, solid black with round markers.
pub const OVERALL_STYLE: LineStyle = LineStyle {
    color: okabe_ito::BLACK,
    width: 3,
    dash: Dash::Solid,
    marker: Marker::Circle,
};

/// Pillar lines in order; more than five pillars repeat the cycle.
pub const PILLAR_STYLES: [LineStyle; 5] = [
    LineStyle {
        color: okabe_ito::BLUE,
        width: 2,
        dash: Dash::Dashed { dash: 12, gap: 5 },
        marker: Marker::Triangle,
    },
    LineStyle {
        color: okabe_ito::VERMILLION,
        width: 2,
        dash: Dash::Dashed { dash: 3, gap: 4 },
        marker: Marker::Square,
    },
    LineStyle {
        color: okabe_ito::BLUISH_GREEN,
        width: 2,
        dash: Dash::Solid,
        marker: Marker::Diamond,
    },
    LineStyle {
        color: okabe_ito::REDDISH_PURPLE,
        width: 2,
        dash: Dash::Dashed { dash: 7, gap: 3 },
        marker: Marker::Cross,
    },
    LineStyle {
        color: okabe_ito::ORANGE,
        width: 2,
        dash: Dash::Dashed { dash: 16, gap: 4 },
        marker: Marker::Circle,
    },
];

pub fn pillar_style(index: usize) -> LineStyle {
    PILLAR_STYLES[index % PILLAR_STYLES.len()]
}

/// Viridis at nine stops: perceptually uniform, readable in greyscale and for the common
/// colour-vision deficiencies.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2C, 0x7A),
    (0x3B, 0x52, 0x8B),
    (0x2C, 0x72, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x28, 0xAE, 0x80),
    (0x5E, 0xC9, 0x62),
    (0xAD, 0xDC, 0x30),
    (0xFD, 0xE7, 0x25),
];

/// The sequential scale at `t` in 0..=1 (clamped).
pub fn sequential(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let scaled = t * (VIRIDIS.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(VIRIDIS.len() - 2);
    let f = scaled - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub(crate) fn relative_luminance(color: RGBColor) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(color.0) + 0.7152 * channel(color.1) + 0.0722 * channel(color.2)
}

/// The WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// [`contrast`] of two sRGB colours given as red, green and blue: for checks outside drawing
/// (a company's accent colour against the pages' backgrounds).
pub fn contrast_rgb(a: [u8; 3], b: [u8; 3]) -> f64 {
    contrast(RGBColor(a[0], a[1], a[2]), RGBColor(b[0], b[1], b[2]))
}

/// Black or white, whichever has the higher WCAG contrast on `background`.
pub fn text_on(background: RGBColor) -> RGBColor {
    let l = relative_luminance(background);
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        okabe_ito::BLACK
    } else {
        WHITE
    }
}

/// A whole number for labels: charts show indices and shares without decimals, which also
/// spares the caller the decimal comma/point question.
pub fn whole(value: f64) -> String {
    let rounded = value.round();
    // Avoids "-0".
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded:.0}")
    }
}

// ---------------------------------------------------------------------------------------------
// Text

pub(crate) fn font(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    // Built field by field: `TextStyle::color` borrows the colour for the style's lifetime.
    TextStyle {
        font: (FONT_FAMILY, size).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
) -> Result<i32, ChartError> {
    if text.is_empty() {
        return Ok(0);
    }
    let style = font(size, TEXT, HPos::Left, VPos::Top);
    let (width, _) = area
        .estimate_text_size(text, &style)
        .map_err(drawing_error)?;
    Ok(width as i32)
}

pub(crate) fn widest_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    texts: impl IntoIterator<Item = impl AsRef<str>>,
    size: f64,
) -> Result<i32, ChartError> {
    texts.into_iter().try_fold(0, |widest, text| {
        Ok(widest.max(text_width(area, text.as_ref(), size)?))
    })
}

pub(crate) fn draw_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    at: (i32, i32),
) -> Result<(), ChartError> {
    if text.is_empty() {
        return Ok(());
    }
    area.draw_text(text, style, at).map_err(drawing_error)
}

/// Which end of a too long text to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Titles and names: "Kundenorientier…".
    Start,
    /// Department paths, whose last part is the most specific: "…/Vertrieb/Nord".
    End,
}

/// `text` shortened with "…" until it fits `max_width` pixels.
pub(crate) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    max_width: i32,
    keep: Keep,
) -> Result<String, ChartError> {
    if text_width(area, text, size)? <= max_width {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    // Longest prefix/suffix that fits, by bisection over the character count.
    let (mut lo, mut hi) = (0usize, chars.len());
    let candidate = |n: usize| -> String {
        match keep {
            Keep::Start => chars[..n].iter().collect::<String>() + "…",
            Keep::End => "…".to_string() + &chars[chars.len() - n..].iter().collect::<String>(),
        }
    };
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(area, &candidate(mid), size)? <= max_width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(candidate(lo))
}

/// Words of `text` on at most `max_lines` lines of `max_width`; the last line is shortened
/// with "…" when the rest does not fit.
pub(crate) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    max_width: i32,
    max_lines: usize,
) -> Result<Vec<String>, ChartError> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if let Some(last) = lines.last_mut() {
            let tried = format!("{last} {word}");
            if text_width(area, &tried, size)? <= max_width {
                *last = tried;
                continue;
            }
        }
        lines.push(word.to_string());
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(rest);
    }
    lines
        .into_iter()
        .map(|line| fit(area, &line, size, max_width, Keep::Start))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shapes

pub(crate) fn draw_polyline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(i32, i32)],
    style: &LineStyle,
) -> Result<(), ChartError> {
    if points.len() < 2 {
        return Ok(());
    }
    let stroke = style.color.stroke_width(style.width);
    match style.dash {
        Dash::Solid => area.draw(&PathElement::new(points.to_vec(), stroke)),
        Dash::Dashed { dash, gap } => area.draw(&DashedPathElement::new(
            points.iter().copied(),
            dash,
            gap,
            stroke,
        )),
    }
    .map_err(drawing_error)
}

pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    marker: Marker,
    color: RGBColor,
    radius: i32,
) -> Result<(), ChartError> {
    let r = radius;
    let fill = color.filled();
    match marker {
        Marker::Circle => area.draw(&Circle::new((x, y), r, fill)),
        Marker::Square => area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], fill)),
        Marker::Triangle => area.draw(&Polygon::new(
            vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
            fill,
        )),
        Marker::Diamond => area.draw(&Polygon::new(
            vec![
                (x, y - r - 1),
                (x + r + 1, y),
                (x, y + r + 1),
                (x - r - 1, y),
            ],
            fill,
        )),
        Marker::Cross => {
            let stroke = color.stroke_width(2);
            area.draw(&PathElement::new(
                vec![(x - r, y - r), (x + r, y + r)],
                stroke,
            ))
            .and_then(|()| {
                area.draw(&PathElement::new(
                    vec![(x - r, y + r), (x + r, y - r)],
                    stroke,
                ))
            })
        }
    }
    .map_err(drawing_error)
}

/// The diagonal hatch lines ("/") of a rectangle, clipped to it, `spacing` pixels apart.
pub(crate) fn hatch_segments(
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    spacing: i32,
) -> Vec<[(i32, i32); 2]> {
    let mut segments = Vec::new();
    let mut k = x0 + y0 + spacing;
    while k < x1 + y1 {
        // Points of x + y = k inside the rectangle.
        let from_x = x0.max(k - y1);
        let to_x = x1.min(k - y0);
        if from_x < to_x {
            segments.push([(from_x, k - from_x), (to_x, k - to_x)]);
        }
        k += spacing;
    }
    segments
}

/// What the anonymity threshold hides looks the same in every chart: grey, hatched.
pub(crate) fn draw_hidden_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
) -> Result<(), ChartError> {
    area.draw(&Rectangle::new([from, to], HIDDEN_FILL.filled()))
        .map_err(drawing_error)?;
    for [a, b] in hatch_segments(from, to, 7) {
        area.draw(&PathElement::new(vec![a, b], HATCH.stroke_width(1)))
            .map_err(drawing_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Legend

pub(crate) enum Swatch {
    Line(LineStyle),
    /// A shaded band (confidence interval) of this colour.
    Band(RGBColor),
    /// The grey hatch of hidden figures.
    Hidden,
    /// A short text, e.g. "–" for a gap.
    Glyph(String),
    /// An open ring, as drawn around a marked point.
    Ring(RGBColor),
    /// A white box with a dark frame, as the heatmap's reference row.
    Frame,
}

pub(crate) struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

/// How a legend writes its labels: the font size and on how many lines a long label may
/// wrap before its last line is shortened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LegendText {
    pub size: f64,
    pub lines: usize,
}

impl LegendText {
    /// From one row of items to the next.
    fn row(self) -> i32 {
        (self.size * 1.5).round() as i32
    }

    /// From one line of a wrapped label to the next: closer than rows, so that the lines read
    /// as one item.
    fn line(self) -> i32 {
        (self.size * 1.2).round() as i32
    }

    fn item_height(self, lines: usize) -> i32 {
        self.row() + (lines.max(1) as i32 - 1) * self.line()
    }
}

const SWATCH_WIDTH: i32 = 30;

/// Where each legend item goes and its label's lines.
pub(crate) struct LegendLayout {
    pub items: Vec<((i32, i32), Vec<String>)>,
    pub height: i32,
}

/// Legend items flowed into rows of `width` pixels; a label too long for a row wraps onto
/// further lines rather than being cut, up to `text.lines`.
pub(crate) fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    width: i32,
    text: LegendText,
) -> Result<LegendLayout, ChartError> {
    let label_max = width - SWATCH_WIDTH - 6;
    let mut placed = Vec::with_capacity(items.len());
    // The current row: its left edge so far, its top and its height.
    let (mut x, mut top, mut row_height) = (0, 0, 0);
    for item in items {
        let lines = wrap(area, &item.label, text.size, label_max, text.lines)?;
        let widest = widest_text(area, &lines, text.size)?;
        let item_width = SWATCH_WIDTH + 6 + widest + 18;
        if x > 0 && x + item_width > width {
            top += row_height;
            x = 0;
            row_height = 0;
        }
        row_height = row_height.max(text.item_height(lines.len()));
        placed.push(((x, top), lines));
        x += item_width;
    }
    let height = top + row_height;
    Ok(LegendLayout {
        items: placed,
        height,
    })
}

pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    (left, top): (i32, i32),
    width: i32,
    text: LegendText,
) -> Result<(), ChartError> {
    let layout = legend_layout(area, items, width, text)?;
    let row = text.row();
    let label_style = font(text.size, TEXT, HPos::Left, VPos::Center);
    for (item, ((dx, dy), lines)) in items.iter().zip(layout.items) {
        let (x, y) = (left + dx, top + dy + row / 2);
        match &item.swatch {
            Swatch::Line(style) => {
                draw_polyline(area, &[(x, y), (x + SWATCH_WIDTH, y)], style)?;
                draw_marker(
                    area,
                    (x + SWATCH_WIDTH / 2, y),
                    style.marker,
                    style.color,
                    4,
                )?;
            }
            Swatch::Band(color) => {
                area.draw(&Rectangle::new(
                    [(x, y - 6), (x + SWATCH_WIDTH, y + 6)],
                    color.mix(BAND_OPACITY).filled(),
                ))
                .map_err(drawing_error)?;
            }
            Swatch::Hidden => draw_hidden_box(area, (x, y - 7), (x + SWATCH_WIDTH, y + 7))?,
            Swatch::Glyph(glyph) => {
                let style = font(text.size + 2.0, MUTED_TEXT, HPos::Center, VPos::Center);
                draw_text(area, glyph, &style, (x + SWATCH_WIDTH / 2, y))?;
            }
            Swatch::Frame => {
                let (from, to) = ((x, y - 8), (x + SWATCH_WIDTH, y + 8));
                area.draw(&Rectangle::new([from, to], TEXT.stroke_width(2)))
                    .map_err(drawing_error)?;
            }
            Swatch::Ring(color) => {
                area.draw(&Circle::new(
                    (x + SWATCH_WIDTH / 2, y),
                    RING_RADIUS,
                    color.stroke_width(2),
                ))
                .map_err(drawing_error)?;
            }
        }
        for (i, line) in lines.iter().enumerate() {
            draw_text(
                area,
                line,
                &label_style,
                (x + SWATCH_WIDTH + 6, y + i as i32 * text.line()),
            )?;
        }
    }
    Ok(())
}

/// Radius of the ring that marks a point (a significant change in the trend).
pub const RING_RADIUS: i32 = 8;

/// Opacity of confidence bands: light enough that lines on top stay legible.
pub const BAND_OPACITY: f64 = 0.16;

// ---------------------------------------------------------------------------------------------
// Whole charts

pub(crate) const PAD: i32 = 16;
pub(crate) const TITLE_FONT: f64 = 20.0;
/// From the top edge to below the title.
pub(crate) const TITLE_HEIGHT: i32 = 34;

pub(crate) fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    width: i32,
) -> Result<(), ChartError> {
    let title = fit(area, title, TITLE_FONT, width - 2 * PAD, Keep::Start)?;
    draw_text(
        area,
        &title,
        &font(TITLE_FONT, TEXT, HPos::Left, VPos::Top),
        (PAD, PAD - 4),
    )
}

/// Distance between the lines of a title that wraps.
pub(crate) const TITLE_LINE: i32 = 26;

/// The title's lines at `width`: wrapped rather than shortened, up to `max_lines`.
pub(crate) fn title_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    width: i32,
    max_lines: usize,
) -> Result<Vec<String>, ChartError> {
    wrap(area, title, TITLE_FONT, width - 2 * PAD, max_lines)
}

/// Below the title of `lines` lines, where [`TITLE_HEIGHT`] is for one.
pub(crate) fn title_height(lines: usize) -> i32 {
    TITLE_HEIGHT + (lines.max(1) as i32 - 1) * TITLE_LINE
}

pub(crate) fn draw_title_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
) -> Result<(), ChartError> {
    let style = font(TITLE_FONT, TEXT, HPos::Left, VPos::Top);
    for (i, line) in lines.iter().enumerate() {
        draw_text(area, line, &style, (PAD, PAD - 4 + i as i32 * TITLE_LINE))?;
    }
    Ok(())
}

/// A chart without data draws its title and a message instead of failing: a page or a mail
/// then still has a picture that says why it is empty.
pub(crate) fn draw_empty<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    message: &str,
) -> Result<(), ChartError> {
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    draw_title(area, title, width)?;
    let frame = ((PAD, TITLE_HEIGHT + 4), (width - PAD, height - PAD));
    area.draw(&Rectangle::new([frame.0, frame.1], GRID.stroke_width(1)))
        .map_err(drawing_error)?;
    let lines = wrap(area, message, 16.0, width - 4 * PAD, 3)?;
    let middle = (frame.0.1 + frame.1.1) / 2;
    let first = middle - (lines.len() as i32 - 1) * 11;
    let style = font(16.0, MUTED_TEXT, HPos::Center, VPos::Center);
    for (i, line) in lines.iter().enumerate() {
        draw_text(area, line, &style, (width / 2, first + i as i32 * 22))?;
    }
    Ok(())
}

/// One drawing routine for both outputs.
pub(crate) trait Drawing {
    fn title(&self) -> &str;
    fn description(&self) -> String;
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// The SVG with `role="img"`, `<title>` and `<desc>`, so that screen readers get the chart as
/// one image with a text equivalent.
pub(crate) fn render_svg(chart: &impl Drawing, size: Size) -> Result<String, ChartError> {
    size.check()?;
    register_fonts();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        area.fill(&WHITE).map_err(drawing_error)?;
        chart.draw(&area)?;
        area.present().map_err(drawing_error)?;
    }
    Ok(with_title_and_desc(
        &svg,
        chart.title(),
        &chart.description(),
    ))
}

pub(crate) fn render_png(chart: &impl Drawing, size: Size) -> Result<Vec<u8>, ChartError> {
    size.check()?;
    register_fonts();
    let mut pixels = vec![255u8; size.width as usize * size.height as usize * 3];
    {
        let area = PngBackend::new(BitMapBackend::with_buffer(
            &mut pixels,
            (size.width, size.height),
        ))
        .into_drawing_area();
        chart.draw(&area)?;
        area.present().map_err(drawing_error)?;
    }
    encode_png(&pixels, size)
}

fn encode_png(rgb: &[u8], size: Size) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size.width, size.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let encoding = |e: png::EncodingError| ChartError::Encoding(e.to_string());
    let mut writer = encoder.write_header().map_err(encoding)?;
    writer.write_image_data(rgb).map_err(encoding)?;
    writer.finish().map_err(encoding)?;
    Ok(out)
}

pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn with_title_and_desc(svg: &str, title: &str, description: &str) -> String {
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|e| start + e))
    else {
        return svg.to_string();
    };
    let mut out = String::with_capacity(svg.len() + title.len() + description.len() + 64);
    out.push_str(&svg[..open_end]);
    out.push_str(" role=\"img\">\n<title>");
    out.push_str(&xml_escape(title));
    out.push_str("</title>\n<desc>");
    out.push_str(&xml_escape(description));
    out.push_str("</desc>");
    out.push_str(&svg[open_end + 1..]);
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Reading the charts back: the PNG header and the SVG elements plotters writes.

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    pub fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }

    /// Every `<name …/>` element as its attribute text.
    pub fn elements<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
        let open = format!("<{name} ");
        svg.match_indices(&open)
            .map(|(at, _)| {
                let rest = &svg[at..];
                &rest[..rest.find('>').unwrap()]
            })
            .collect()
    }

    pub fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
        let key = format!(" {name}=\"");
        let start = element.find(&key)? + key.len();
        let len = element[start..].find('"')?;
        Some(&element[start..start + len])
    }

    pub fn points(element: &str) -> Vec<(i32, i32)> {
        attr(element, "points")
            .unwrap_or_default()
            .split_whitespace()
            .map(|pair| {
                let (x, y) = pair.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    /// The texts of all `<text>` elements.
    pub fn texts(svg: &str) -> Vec<String> {
        svg.match_indices("<text ")
            .map(|(at, _)| {
                let rest = &svg[at..];
                let start = rest.find('>').unwrap() + 1;
                let end = rest.find("</text>").unwrap();
                rest[start..end].trim().to_string()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_outside_the_bounds_are_refused() {
        assert!(Size::new(800, 450).check().is_ok());
        assert!(matches!(
            Size::new(100, 450).check(),
            Err(ChartError::InvalidSize { .. })
        ));
        assert!(Size::new(5000, 450).check().is_err());
        let message = Size::new(10, 10).check().unwrap_err().to_string();
        assert!(message.starts_with("chart size 10×10"), "{message}");
    }

    #[test]
    fn the_sequential_scale_runs_dark_to_light() {
        assert_eq!(sequential(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(sequential(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(sequential(-3.0), sequential(0.0));
        assert_eq!(sequential(f64::NAN), sequential(0.0));
        let mut previous = -1.0;
        for step in 0..=100 {
            let l = relative_luminance(sequential(f64::from(step) / 100.0));
            assert!(l >= previous - 1e-3, "monotone lightness at {step}");
            previous = l;
        }
    }

    #[test]
    fn cell_text_takes_the_colour_with_more_contrast() {
        assert_eq!(text_on(sequential(0.0)), WHITE);
        assert_eq!(text_on(sequential(1.0)), okabe_ito::BLACK);
        assert_eq!(text_on(HIDDEN_FILL), okabe_ito::BLACK);
    }

    #[test]
    fn pillar_styles_differ_in_more_than_colour() {
        for (i, a) in PILLAR_STYLES.iter().enumerate() {
            for b in &PILLAR_STYLES[i + 1..] {
                assert_ne!(a.color, b.color);
                assert!(a.marker != b.marker || a.dash != b.dash);
            }
            assert!(a.marker != OVERALL_STYLE.marker || a.width != OVERALL_STYLE.width);
        }
    }

    #[test]
    fn whole_numbers_have_no_negative_zero() {
        assert_eq!(whole(-0.3), "0");
        assert_eq!(whole(72.5), "73");
        assert_eq!(whole(-12.6), "-13");
    }

    #[test]
    fn hatch_lines_stay_inside_the_box() {
        let segments = hatch_segments((10, 20), (50, 40), 7);
        assert!(!segments.is_empty());
        for [(ax, ay), (bx, by)] in segments {
            for (x, y) in [(ax, ay), (bx, by)] {
                assert!((10..=50).contains(&x) && (20..=40).contains(&y), "{x},{y}");
            }
            assert_eq!(ax + ay, bx + by, "diagonal");
        }
    }

    #[test]
    fn long_texts_are_shortened_at_the_chosen_end() {
        register_fonts();
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (400, 100)).into_drawing_area();
        let path = "Vertrieb/Region Nord/Außendienst Hamburg";
        let end = fit(&area, path, 12.0, 120, Keep::End).unwrap();
        assert!(end.starts_with('…') && end.ends_with("Hamburg"), "{end}");
        assert!(text_width(&area, &end, 12.0).unwrap() <= 120);
        let start = fit(&area, path, 12.0, 120, Keep::Start).unwrap();
        assert!(
            start.starts_with("Vertrieb") && start.ends_with('…'),
            "{start}"
        );
        assert_eq!(fit(&area, "kurz", 12.0, 120, Keep::End).unwrap(), "kurz");
        let lines = wrap(
            &area,
            "Führung als Vorbild für Kundenorientierung",
            12.0,
            90,
            2,
        )
        .unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("Führung") && !lines[0].ends_with('…'),
            "{lines:?}"
        );
        assert!(lines[1].ends_with('…'), "the rest is shortened: {lines:?}");
        for line in &lines {
            assert!(text_width(&area, line, 12.0).unwrap() <= 90, "{line}");
        }
        assert_eq!(wrap(&area, "Werte", 12.0, 90, 2).unwrap(), vec!["Werte"]);
    }

    #[test]
    fn svg_gets_a_role_title_and_escaped_description() {
        let svg = "<svg width=\"1\" height=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>\n";
        let out = with_title_and_desc(svg, "A & B", "x < y");
        assert!(out.starts_with(
            "<svg width=\"1\" height=\"1\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n<title>A &amp; B</title>\n<desc>x &lt; y</desc>"
        ), "{out}");
        assert!(out.ends_with("</svg>\n"));
    }
}
