//! Departments against a reference group (the company, or a scoped reader's own department)
//! for one round: one row per department in tree order, indented by level, one column per
//! pillar or per item. Each cell writes its value and its difference to the reference row and
//! is coloured by that difference on a diverging scale (orange below, purple above, grey-white
//! at 0), so that good and bad stand apart whatever the absolute level. A hidden cell is grey,
//! hatched and writes no number.
//!
//! Numbers arrive as text: the caller formats them in the reader's language (decimal comma,
//! real minus sign). Columns that do not fit the width side by side wrap into blocks under
//! each other, each repeating the row labels, so a phone gets the same cells at a readable
//! size and a taller picture.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, VPos};

use crate::style::{
    self, ChartError, Drawing, Keep, LegendItem, LegendText, MUTED_TEXT, PAD, Size, Swatch, TEXT,
    drawing_error,
};

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapData {
    /// Left to right.
    pub columns: Vec<HeatmapColumn>,
    /// Top to bottom: the reference row first, then the departments in tree order.
    pub rows: Vec<HeatmapRow>,
    /// A difference of this many points or more gets the scale's full colour.
    pub saturation: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapColumn {
    /// Drawn above the column: short.
    pub label: String,
    /// Said in the description: the pillar's name or the item's whole text.
    pub full: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRow {
    /// Drawn at the left, indented by `level`: the department's own name.
    pub name: String,
    /// Said in the description: the department's whole path.
    pub full_name: String,
    /// 0 for the reference row, 1 for the departments right below it, and so on.
    pub level: usize,
    /// The row every difference is taken against: framed, not coloured.
    pub reference: bool,
    pub cells: Vec<HeatmapCell>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeatmapCell {
    /// Below the anonymity threshold or suppressed with it: no number at all.
    Hidden,
    Shown {
        /// The value as the reader writes it, e.g. "62,5".
        value: String,
        /// The difference to the reference row; `None` in the reference row itself and where
        /// the reference's figure is hidden.
        delta: Option<Delta>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// In points, for the colour.
    pub points: f64,
    /// As the reader writes it, e.g. "−4,1".
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapTexts {
    pub title: String,
    /// Left end of the scale, e.g. "below the company".
    pub below: String,
    /// Right end of the scale, e.g. "above the company".
    pub above: String,
    /// The scale's ends and middle as the reader writes them, e.g. ["−10", "0", "+10"].
    pub ticks: [String; 3],
    /// Legend entry of the framed reference row, e.g. "the company (reference)".
    pub reference: String,
    /// Legend entry and description of a hidden cell.
    pub hidden: String,
    /// In the description before a difference, e.g. "difference to the company".
    pub delta: String,
    /// Shown instead of the chart when no cell has a figure.
    pub empty: String,
}

pub fn heatmap_svg(
    data: &HeatmapData,
    texts: &HeatmapTexts,
    size: Size,
) -> Result<String, ChartError> {
    style::render_svg(&Heatmap::new(data, texts)?, size)
}

pub fn heatmap_png(
    data: &HeatmapData,
    texts: &HeatmapTexts,
    size: Size,
) -> Result<Vec<u8>, ChartError> {
    style::render_png(&Heatmap::new(data, texts)?, size)
}

/// The size at which the chart is drawn `width` pixels wide: as tall as its blocks of rows
/// need (capped at [`Size::MAX_SIDE`]; a chart that needs more does not fit, see
/// [`heatmap_fits`]).
pub fn heatmap_size(data: &HeatmapData, texts: &HeatmapTexts, width: u32) -> Size {
    let fallback = Size::new(width, Size::MIN_HEIGHT.max(width * 9 / 16));
    match needed_height(data, texts, width) {
        Some(height) => Size::new(width, height.clamp(Size::MIN_HEIGHT, Size::MAX_SIDE)),
        None => fallback,
    }
}

/// Whether the chart can be drawn `width` pixels wide within [`Size::MAX_SIDE`].
pub fn heatmap_fits(data: &HeatmapData, texts: &HeatmapTexts, width: u32) -> bool {
    needed_height(data, texts, width).is_none_or(|h| h <= Size::MAX_SIDE)
}

fn needed_height(data: &HeatmapData, texts: &HeatmapTexts, width: u32) -> Option<u32> {
    let chart = Heatmap::new(data, texts).ok()?;
    if is_empty(data) {
        return None;
    }
    crate::register_fonts();
    let mut scratch = String::new();
    let area = SVGBackend::with_string(&mut scratch, (width, Size::MIN_HEIGHT)).into_drawing_area();
    let layout = Layout::measure(&area, &chart, width as i32).ok()?;
    Some(layout.height as u32)
}

/// Every shown cell with its value and difference, every hidden cell named as hidden, rows by
/// their whole path.
pub fn heatmap_description(data: &HeatmapData, texts: &HeatmapTexts) -> String {
    if is_empty(data) {
        return format!("{}. {}", texts.title, texts.empty);
    }
    let mut parts = vec![texts.title.clone()];
    for row in &data.rows {
        let cells: Vec<String> = data
            .columns
            .iter()
            .zip(&row.cells)
            .map(|(column, cell)| match cell {
                HeatmapCell::Hidden => format!("{} {}", column.full, texts.hidden),
                HeatmapCell::Shown { value, delta: None } => format!("{} {value}", column.full),
                HeatmapCell::Shown {
                    value,
                    delta: Some(delta),
                } => format!("{} {value} ({} {})", column.full, texts.delta, delta.text),
            })
            .collect();
        let name = if row.reference {
            format!("{} ({})", row.full_name, texts.reference)
        } else {
            row.full_name.clone()
        };
        parts.push(format!("{name}: {}", cells.join(", ")));
    }
    parts.join(". ") + "."
}

fn is_empty(data: &HeatmapData) -> bool {
    !data
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .any(|c| matches!(c, HeatmapCell::Shown { .. }))
}

fn validate(data: &HeatmapData) -> Result<(), ChartError> {
    for row in &data.rows {
        if row.cells.len() != data.columns.len() {
            return Err(ChartError::InvalidData(format!(
                "\"{}\" has {} cells for {} columns",
                row.name,
                row.cells.len(),
                data.columns.len()
            )));
        }
        let not_a_number = row.cells.iter().any(
            |c| matches!(c, HeatmapCell::Shown { delta: Some(d), .. } if !d.points.is_finite()),
        );
        if not_a_number {
            return Err(ChartError::InvalidData(format!(
                "\"{}\" has a difference that is not a number",
                row.name
            )));
        }
    }
    if !(data.saturation.is_finite() && data.saturation > 0.0) {
        return Err(ChartError::InvalidData(format!(
            "the colour scale saturates at {}",
            data.saturation
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The colours

/// ColorBrewer's PuOr, orange (below) to purple (above), which stays two-sided for readers
/// with any common colour-vision deficiency. Its orange half as published; its purple stops
/// are taken from the published purple ramp at the lightness (CIE L*) of the orange stop the
/// same distance from the middle, so that +5 looks as strong as −5 (the published purple half
/// is darker than the orange one).
const PU_OR: [(u8, u8, u8); 9] = [
    (0xB3, 0x58, 0x06),
    (0xE0, 0x82, 0x14),
    (0xFD, 0xB8, 0x63),
    (0xFE, 0xE0, 0xB6),
    (0xF7, 0xF7, 0xF7),
    (0xE2, 0xE4, 0xEF),
    (0xC5, 0xC3, 0xDF),
    (0x9C, 0x93, 0xC2),
    (0x79, 0x67, 0xA7),
];

/// The neutral middle: a cell that is just like the reference, or has nothing to compare.
pub const NEUTRAL: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);

/// The colour of a difference of `points`, full at `±saturation`.
pub fn diverging(points: f64, saturation: f64) -> RGBColor {
    let t = if points.is_finite() && saturation > 0.0 {
        (points / saturation).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let scaled = (t + 1.0) / 2.0 * (PU_OR.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(PU_OR.len() - 2);
    let f = scaled - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (PU_OR[i], PU_OR[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn fill_of(cell_delta: Option<&Delta>, saturation: f64) -> RGBColor {
    cell_delta.map_or(NEUTRAL, |d| diverging(d.points, saturation))
}

// ---------------------------------------------------------------------------------------------
// The layout

/// Plotters' sizes are line heights (see `trend::TEXT_SIZE`): 17 is a 13.7 px font, 12.2 px
/// on a phone that shows a 320 px drawing at 284 px.
const TEXT_SIZE: f64 = crate::trend::TEXT_SIZE;
const LINE: i32 = 19;
const ROW_HEIGHT: i32 = 2 * LINE + 6;
const INDENT: i32 = 14;
const CELL_PADDING: i32 = 12;
const MAX_COLUMN: i32 = 132;
/// Rotated headers longer than this are shortened.
const MAX_ROTATED: i32 = 230;
const GRADIENT_HEIGHT: i32 = 14;
const BLOCK_GAP: i32 = 22;
const LEGEND: LegendText = LegendText {
    size: TEXT_SIZE,
    lines: 2,
};

struct Heatmap<'a> {
    data: &'a HeatmapData,
    texts: &'a HeatmapTexts,
}

impl<'a> Heatmap<'a> {
    fn new(data: &'a HeatmapData, texts: &'a HeatmapTexts) -> Result<Self, ChartError> {
        validate(data)?;
        Ok(Heatmap { data, texts })
    }
}

/// Column headers: side by side on up to two lines where every label fits, else turned to
/// read upwards.
enum Headers {
    Flat(Vec<Vec<String>>),
    Turned(Vec<String>),
}

impl Headers {
    fn height(&self, texts_width: i32) -> i32 {
        match self {
            Headers::Flat(lines) => lines.iter().map(Vec::len).max().unwrap_or(1) as i32 * LINE + 8,
            Headers::Turned(_) => texts_width.min(MAX_ROTATED) + 10,
        }
    }
}

struct Layout {
    width: i32,
    title: Vec<String>,
    /// Top of the colour scale.
    scale_top: i32,
    /// The ends' meanings: on one line, or two when they do not fit side by side.
    meanings_on_two_lines: bool,
    legend_top: i32,
    label_width: i32,
    column_width: i32,
    /// Columns per block.
    per_block: usize,
    headers: Headers,
    header_height: i32,
    grid_top: i32,
    block_height: i32,
    height: i32,
}

impl Layout {
    fn measure<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        chart: &Heatmap<'_>,
        width: i32,
    ) -> Result<Layout, ChartError> {
        let data = chart.data;
        let texts = chart.texts;
        let inner = width - 2 * PAD;
        let title = style::title_lines(area, &texts.title, width, 4)?;
        let scale_top = style::title_height(title.len()) + 6;
        let scale_width = scale_width(inner);
        let meanings = style::text_width(area, &texts.below, TEXT_SIZE)?
            + style::text_width(area, &texts.above, TEXT_SIZE)?
            + 24;
        let meanings_on_two_lines = meanings > scale_width;
        let meaning_lines = if meanings_on_two_lines { 2 } else { 1 };
        let legend_top = scale_top + GRADIENT_HEIGHT + LINE * (1 + meaning_lines) + 8;
        let legend = style::legend_layout(area, &legend_items(texts), inner, LEGEND)?;

        let widest_label = data.rows.iter().try_fold(0, |widest, row| {
            Ok::<_, ChartError>(
                widest.max(indent(row) + style::text_width(area, &row.name, TEXT_SIZE)?),
            )
        })?;
        // How many columns a block holds is decided with the names given two fifths of the
        // width at most; the names then take what those columns leave, so that a phone
        // shortens as few of them as it can.
        let wanted_label = widest_label + 10;
        let widest_cell = widest_cell_text(area, data)?;
        let min_column = widest_cell + CELL_PADDING;
        let room = inner - wanted_label.min(inner * 2 / 5).max(inner / 4);
        let columns = data.columns.len().max(1);
        let fit = (room / min_column).max(1) as usize;
        let blocks = columns.div_ceil(fit);
        let per_block = columns.div_ceil(blocks);
        let label_width = wanted_label
            .min(inner - per_block as i32 * min_column)
            .max(inner / 4);
        let column_width = ((inner - label_width) / per_block as i32).min(MAX_COLUMN);
        if column_width < min_column.min(inner - label_width) {
            return Err(Size::new(width as u32, 0).invalid("too narrow for a cell"));
        }
        let headers = headers(area, data, column_width)?;
        let turned_width = style::widest_text(
            area,
            data.columns.iter().map(|c| c.label.as_str()),
            TEXT_SIZE,
        )?;
        let header_height = headers.height(turned_width);
        let grid_top = legend_top + legend.height + 14;
        let block_height = header_height + ROW_HEIGHT * data.rows.len() as i32;
        let height =
            grid_top + blocks as i32 * block_height + (blocks as i32 - 1) * BLOCK_GAP + PAD;
        Ok(Layout {
            width,
            title,
            scale_top,
            meanings_on_two_lines,
            legend_top,
            label_width,
            column_width,
            per_block,
            headers,
            header_height,
            grid_top,
            block_height,
            height,
        })
    }

    fn block_top(&self, block: usize) -> i32 {
        self.grid_top + block as i32 * (self.block_height + BLOCK_GAP)
    }

    /// The cell of `row` in the `slot`-th column of `block`.
    fn cell(&self, block: usize, slot: usize, row: usize) -> ((i32, i32), (i32, i32)) {
        let x0 = PAD + self.label_width + slot as i32 * self.column_width;
        let y0 = self.block_top(block) + self.header_height + row as i32 * ROW_HEIGHT;
        ((x0, y0), (x0 + self.column_width, y0 + ROW_HEIGHT))
    }
}

fn scale_width(inner: i32) -> i32 {
    inner.min(360)
}

fn indent(row: &HeatmapRow) -> i32 {
    row.level.saturating_sub(1) as i32 * INDENT
}

fn widest_cell_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &HeatmapData,
) -> Result<i32, ChartError> {
    let texts = data
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .flat_map(|c| match c {
            HeatmapCell::Hidden => vec![],
            HeatmapCell::Shown { value, delta } => {
                let mut t = vec![value.as_str()];
                t.extend(delta.as_ref().map(|d| d.text.as_str()));
                t
            }
        });
    Ok(style::widest_text(area, texts, TEXT_SIZE)?.max(24))
}

fn headers<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &HeatmapData,
    column_width: i32,
) -> Result<Headers, ChartError> {
    let max = column_width - 6;
    let mut flat = Vec::with_capacity(data.columns.len());
    for column in &data.columns {
        let lines = style::wrap(area, &column.label, TEXT_SIZE, max, 2)?;
        if lines.iter().any(|l| l.ends_with('…')) {
            let turned = data
                .columns
                .iter()
                .map(|c| style::fit(area, &c.label, TEXT_SIZE, MAX_ROTATED, Keep::Start))
                .collect::<Result<_, _>>()?;
            return Ok(Headers::Turned(turned));
        }
        flat.push(lines);
    }
    Ok(Headers::Flat(flat))
}

fn legend_items(texts: &HeatmapTexts) -> Vec<LegendItem> {
    vec![
        LegendItem {
            swatch: Swatch::Frame,
            label: texts.reference.clone(),
        },
        LegendItem {
            swatch: Swatch::Hidden,
            label: texts.hidden.clone(),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Drawing

impl Drawing for Heatmap<'_> {
    fn title(&self) -> &str {
        &self.texts.title
    }

    fn description(&self) -> String {
        heatmap_description(self.data, self.texts)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (width, height) = area.dim_in_pixel();
        if is_empty(self.data) {
            return style::draw_empty(area, &self.texts.title, &self.texts.empty);
        }
        let l = Layout::measure(area, self, width as i32)?;
        if l.height > height as i32 {
            return Err(Size::new(width, height).invalid(format!(
                "{} px high are needed for this many departments (see heatmap_size)",
                l.height
            )));
        }
        style::draw_title_lines(area, &l.title)?;
        self.draw_scale(area, &l)?;
        style::draw_legend(
            area,
            &legend_items(self.texts),
            (PAD, l.legend_top),
            l.width - 2 * PAD,
            LEGEND,
        )?;
        let columns: Vec<usize> = (0..self.data.columns.len()).collect();
        for (block, slots) in columns.chunks(l.per_block).enumerate() {
            self.draw_block(area, &l, block, slots)?;
        }
        Ok(())
    }
}

impl Heatmap<'_> {
    /// The gradient from "below" to "above", its ends and middle written under it.
    fn draw_scale<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> Result<(), ChartError> {
        let saturation = self.data.saturation;
        let scale_width = scale_width(l.width - 2 * PAD);
        let (x, y) = (PAD, l.scale_top);
        let steps = 72;
        for i in 0..steps {
            let x0 = x + scale_width * i / steps;
            let x1 = x + scale_width * (i + 1) / steps;
            let t = (f64::from(i) + 0.5) / f64::from(steps) * 2.0 - 1.0;
            area.draw(&Rectangle::new(
                [(x0, y), (x1, y + GRADIENT_HEIGHT)],
                diverging(t * saturation, saturation).filled(),
            ))
            .map_err(drawing_error)?;
        }
        let ticks_y = y + GRADIENT_HEIGHT + 3;
        for (tick, (h, at)) in self.texts.ticks.iter().zip([
            (HPos::Left, x),
            (HPos::Center, x + scale_width / 2),
            (HPos::Right, x + scale_width),
        ]) {
            let tick_style = style::font(TEXT_SIZE, MUTED_TEXT, h, VPos::Top);
            style::draw_text(area, tick, &tick_style, (at, ticks_y))?;
        }
        let below = style::font(TEXT_SIZE, TEXT, HPos::Left, VPos::Top);
        let above = style::font(TEXT_SIZE, TEXT, HPos::Right, VPos::Top);
        let meaning_y = ticks_y + LINE;
        let right = x + scale_width;
        let inner = l.width - 2 * PAD;
        let below_text = style::fit(
            area,
            &format!("◀ {}", self.texts.below),
            TEXT_SIZE,
            inner,
            Keep::Start,
        )?;
        let above_text = style::fit(
            area,
            &format!("{} ▶", self.texts.above),
            TEXT_SIZE,
            inner,
            Keep::Start,
        )?;
        style::draw_text(area, &below_text, &below, (x, meaning_y))?;
        let above_y = meaning_y + if l.meanings_on_two_lines { LINE } else { 0 };
        style::draw_text(area, &above_text, &above, (right, above_y))
    }

    fn draw_block<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        l: &Layout,
        block: usize,
        columns: &[usize],
    ) -> Result<(), ChartError> {
        let top = l.block_top(block);
        let header_bottom = top + l.header_height - 6;
        for (slot, &column) in columns.iter().enumerate() {
            let ((x0, _), (x1, _)) = l.cell(block, slot, 0);
            let centre = (x0 + x1) / 2;
            match &l.headers {
                Headers::Flat(lines) => {
                    let header = style::font(TEXT_SIZE, TEXT, HPos::Center, VPos::Bottom);
                    for (i, line) in lines[column].iter().rev().enumerate() {
                        let y = header_bottom - i as i32 * LINE;
                        style::draw_text(area, line, &header, (centre, y))?;
                    }
                }
                Headers::Turned(labels) => {
                    let header = style::font(TEXT_SIZE, TEXT, HPos::Left, VPos::Center)
                        .transform(FontTransform::Rotate270);
                    style::draw_text(area, &labels[column], &header, (centre, header_bottom))?;
                }
            }
        }
        let label_style = style::font(TEXT_SIZE, TEXT, HPos::Left, VPos::Center);
        for (r, row) in self.data.rows.iter().enumerate() {
            let ((_, y0), (_, y1)) = l.cell(block, 0, r);
            let x = PAD + indent(row);
            let room = l.label_width - indent(row) - 8;
            // A row has room for two lines: a long name wraps before it is shortened.
            let lines = style::wrap(area, &row.name, TEXT_SIZE, room, 2)?;
            let first = (y0 + y1) / 2 - (lines.len() as i32 - 1) * LINE / 2;
            for (i, line) in lines.iter().enumerate() {
                style::draw_text(area, line, &label_style, (x, first + i as i32 * LINE))?;
            }
            for (slot, &column) in columns.iter().enumerate() {
                self.draw_cell(area, l.cell(block, slot, r), row, &row.cells[column])?;
            }
        }
        Ok(())
    }

    fn draw_cell<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        ((x0, y0), (x1, y1)): ((i32, i32), (i32, i32)),
        row: &HeatmapRow,
        cell: &HeatmapCell,
    ) -> Result<(), ChartError> {
        // One pixel of white between cells keeps neighbouring colours apart.
        let (from, to) = ((x0 + 1, y0 + 1), (x1 - 1, y1 - 1));
        let centre_x = (x0 + x1) / 2;
        let HeatmapCell::Shown { value, delta } = cell else {
            return style::draw_hidden_box(area, from, to);
        };
        let fill = if row.reference {
            WHITE
        } else {
            fill_of(delta.as_ref(), self.data.saturation)
        };
        area.draw(&Rectangle::new([from, to], fill.filled()))
            .map_err(drawing_error)?;
        if row.reference {
            area.draw(&Rectangle::new([from, to], TEXT.stroke_width(2)))
                .map_err(drawing_error)?;
        }
        let ink = style::text_on(fill);
        let text = style::font(TEXT_SIZE, ink, HPos::Center, VPos::Center);
        match delta {
            Some(delta) => {
                let middle = (y0 + y1) / 2;
                style::draw_text(area, value, &text, (centre_x, middle - LINE / 2))?;
                style::draw_text(area, &delta.text, &text, (centre_x, middle + LINE / 2))
            }
            None => style::draw_text(area, value, &text, (centre_x, (y0 + y1) / 2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::test_support::{attr, elements, png_size, texts};

    fn shown(value: &str, delta: Option<(f64, &str)>) -> HeatmapCell {
        HeatmapCell::Shown {
            value: value.into(),
            delta: delta.map(|(points, text)| Delta {
                points,
                text: text.into(),
            }),
        }
    }

    fn row(name: &str, level: usize, cells: Vec<HeatmapCell>) -> HeatmapRow {
        HeatmapRow {
            name: name.rsplit('/').next().unwrap().into(),
            full_name: name.into(),
            level,
            reference: level == 0,
            cells,
        }
    }

    fn data() -> HeatmapData {
        use HeatmapCell::Hidden;
        HeatmapData {
            columns: ["Customer focus", "Values", "Leadership", "Overall index"]
                .map(|c| HeatmapColumn {
                    label: c.into(),
                    full: c.into(),
                })
                .to_vec(),
            rows: vec![
                row(
                    "Company",
                    0,
                    vec![
                        shown("68.4", None),
                        shown("71.0", None),
                        shown("63.2", None),
                        shown("67.5", None),
                    ],
                ),
                row(
                    "Sales",
                    1,
                    vec![
                        shown("74.0", Some((5.6, "+5.6"))),
                        shown("70.5", Some((-0.5, "−0.5"))),
                        shown("66.0", Some((2.8, "+2.8"))),
                        shown("70.2", Some((2.7, "+2.7"))),
                    ],
                ),
                row("Sales/North", 2, vec![Hidden, Hidden, Hidden, Hidden]),
                row(
                    "Service",
                    1,
                    vec![
                        shown("80.0", Some((11.6, "+11.6"))),
                        shown("55.0", Some((-16.0, "−16.0"))),
                        shown("63.2", Some((0.0, "0.0"))),
                        shown("66.1", Some((-1.4, "−1.4"))),
                    ],
                ),
                row(
                    "Engineering",
                    1,
                    vec![
                        shown("61.0", Some((-7.4, "−7.4"))),
                        Hidden,
                        shown("58.9", Some((-4.3, "−4.3"))),
                        Hidden,
                    ],
                ),
            ],
            saturation: 10.0,
        }
    }

    fn texts_en() -> HeatmapTexts {
        HeatmapTexts {
            title: "Departments compared with the company: index per pillar".into(),
            below: "below the company".into(),
            above: "above the company".into(),
            ticks: ["−10".into(), "0".into(), "+10".into()],
            reference: "framed: the company, the reference".into(),
            hidden: "fewer answers than the anonymity threshold".into(),
            delta: "difference".into(),
            empty: "No department has enough answers in this round.".into(),
        }
    }

    fn svg_at(width: u32) -> String {
        let size = heatmap_size(&data(), &texts_en(), width);
        heatmap_svg(&data(), &texts_en(), size).unwrap()
    }

    #[test]
    fn the_scale_is_neutral_at_zero_symmetric_and_saturating() {
        assert_eq!(diverging(0.0, 10.0), NEUTRAL);
        assert_eq!(diverging(f64::NAN, 10.0), NEUTRAL);
        assert_eq!(diverging(10.0, 10.0), diverging(25.0, 10.0));
        assert_eq!(diverging(-10.0, 10.0), diverging(-99.0, 10.0));
        assert_ne!(
            diverging(9.0, 10.0),
            diverging(10.0, 10.0),
            "not saturated before"
        );
        // Perceived lightness, CIE L* (0 black – 100 white).
        let lightness = |c: RGBColor| {
            let y = style::relative_luminance(c);
            if y > 0.008_856 {
                116.0 * y.cbrt() - 16.0
            } else {
                903.3 * y
            }
        };
        let neutral = lightness(NEUTRAL);
        for step in 1..=20 {
            let d = f64::from(step) * 0.5;
            let (below, above) = (diverging(-d, 10.0), diverging(d, 10.0));
            // Below is orange (more red than blue), above purple (more blue than red).
            assert!(
                below.0 > below.2 && above.2 > above.0,
                "{d}: {below:?} {above:?}"
            );
            // Equal distances from 0 look equally strong.
            let (lb, la) = (neutral - lightness(below), neutral - lightness(above));
            assert!((lb - la).abs() < 2.5, "{d}: {lb} against {la}");
        }
        for sign in [-1.0, 1.0] {
            let mut previous = 0.0;
            for step in 1..=10 {
                let l = neutral - lightness(diverging(sign * f64::from(step), 10.0));
                assert!(
                    l > previous,
                    "stronger with the difference at {sign} × {step}"
                );
                previous = l;
            }
        }
    }

    #[test]
    fn text_on_every_colour_of_the_scale_has_a_contrast_of_at_least_4_5() {
        for step in -120..=120 {
            let fill = diverging(f64::from(step) / 10.0, 10.0);
            let ratio = style::contrast(style::text_on(fill), fill);
            assert!(ratio >= 4.5, "{step}: {fill:?} {ratio}");
        }
        for fill in [WHITE, NEUTRAL, style::HIDDEN_FILL] {
            assert!(style::contrast(style::text_on(fill), fill) >= 4.5);
        }
    }

    #[test]
    fn cells_write_value_and_difference_and_hidden_cells_no_number() {
        let svg = svg_at(800);
        let written = texts(&svg);
        for value in [
            "68.4", "74.0", "+5.6", "−0.5", "80.0", "+11.6", "−16.0", "61.0", "−7.4",
        ] {
            assert!(written.iter().any(|t| t == value), "{value} in {written:?}");
        }
        // 20 cells, 6 hidden: 14 values and 10 differences (the reference row has none).
        let numbers = written
            .iter()
            .filter(|t| {
                t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '+' || c == '−')
            })
            .count();
        assert_eq!(
            numbers,
            14 + 10 + 3,
            "cells and the scale's three ticks: {written:?}"
        );
        let hatched = elements(&svg, "rect")
            .into_iter()
            .filter(|r| attr(r, "fill") == Some("#EEEEEE"))
            .count();
        assert_eq!(hatched, 6 + 1, "hidden cells and the legend swatch");
        for label in ["below the company", "above the company", "Overall index"] {
            assert!(
                written.iter().any(|t| t.contains(label)),
                "{label} in {written:?}"
            );
        }
        assert!(
            svg.contains("<title>Departments compared with the company: index per pillar</title>")
        );
    }

    #[test]
    fn cells_are_coloured_by_their_difference_and_the_reference_is_white() {
        let svg = svg_at(800);
        let fills: Vec<&str> = elements(&svg, "rect")
            .into_iter()
            .filter_map(|r| attr(r, "fill"))
            .collect();
        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        for points in [11.6, -16.0, 5.6, -7.4] {
            let colour = hex(diverging(points, 10.0));
            assert!(fills.contains(&colour.as_str()), "{points}: {colour}");
        }
        assert!(fills.contains(&hex(NEUTRAL).as_str()), "0.0 is neutral");
        assert_eq!(
            fills.iter().filter(|f| **f == "#FFFFFF").count(),
            1 + 4,
            "the background and the reference row"
        );
    }

    #[test]
    fn rows_are_indented_by_level() {
        let svg = svg_at(800);
        let x_of = |name: &str| -> i32 {
            let at = svg
                .find(&format!(">{name}<"))
                .or_else(|| svg.find(&format!(">\n{name}\n<")))
                .unwrap();
            let open = &svg[svg[..at].rfind("<text ").unwrap()..at];
            attr(open, "x").unwrap().parse().unwrap()
        };
        assert_eq!(x_of("Company"), x_of("Sales"));
        assert_eq!(x_of("North"), x_of("Sales") + INDENT);
        assert_eq!(x_of("Engineering"), x_of("Sales"));
    }

    #[test]
    fn a_phone_gets_blocks_of_columns_with_readable_cells() {
        let mut many = data();
        many.columns = (1..=12)
            .map(|i| HeatmapColumn {
                label: format!("Item {i}"),
                full: format!("Item number {i} in full"),
            })
            .collect();
        for row in &mut many.rows {
            row.cells = (0..12).map(|i| row.cells[i % 4].clone()).collect();
        }
        let narrow = heatmap_size(&many, &texts_en(), 320);
        let wide = heatmap_size(&many, &texts_en(), 1200);
        assert!(narrow.height > wide.height, "{narrow:?} {wide:?}");
        let svg = heatmap_svg(&many, &texts_en(), narrow).unwrap();
        let north = texts(&svg).iter().filter(|t| *t == "North").count();
        assert!(north >= 3, "every block repeats the rows: {north}");
        assert!(heatmap_png(&many, &texts_en(), narrow).is_ok());
        // Every text is at least 17 (a 13.7 px font).
        for text in elements(&svg, "text") {
            let size: f64 = attr(text, "font-size")
                .unwrap()
                .trim_end_matches("px")
                .parse()
                .unwrap();
            assert!(size >= 13.7, "{text}");
        }
    }

    #[test]
    fn png_has_the_signature_and_the_size() {
        let size = heatmap_size(&data(), &texts_en(), 640);
        let png = heatmap_png(&data(), &texts_en(), size).unwrap();
        assert_eq!(png_size(&png), (640, size.height));
    }

    #[test]
    fn all_cells_hidden_draws_the_message() {
        let mut data = data();
        for row in &mut data.rows {
            row.cells.iter_mut().for_each(|c| *c = HeatmapCell::Hidden);
        }
        let size = heatmap_size(&data, &texts_en(), 800);
        let svg = heatmap_svg(&data, &texts_en(), size).unwrap();
        assert!(svg.contains("No department has enough answers in this round."));
        assert!(!svg.contains("North"));
        let nothing = HeatmapData {
            columns: vec![],
            rows: vec![],
            saturation: 10.0,
        };
        assert!(heatmap_png(&nothing, &texts_en(), Size::new(800, 300)).is_ok());
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let mut bad = data();
        bad.rows[1].cells.pop();
        assert!(matches!(
            heatmap_svg(&bad, &texts_en(), Size::new(800, 900)),
            Err(ChartError::InvalidData(_))
        ));
        let mut bad = data();
        bad.saturation = 0.0;
        assert!(heatmap_svg(&bad, &texts_en(), Size::new(800, 900)).is_err());
        assert!(
            heatmap_svg(&data(), &texts_en(), Size::new(800, 200)).is_err(),
            "too low for the rows"
        );
    }

    #[test]
    fn many_departments_fit_or_say_they_do_not() {
        let rows = 60;
        let mut many = data();
        many.rows = (0..rows)
            .map(|i| {
                let mut r = data().rows[1 + i % 4].clone();
                r.name = format!("Customer Service Team number {i} with a name much longer than any chart can show whole, even on two lines of a wide picture drawn for a large screen");
                r.full_name = format!("Region {}/{}", i % 4, r.name);
                r.level = 1 + i % 3;
                r
            })
            .collect();
        let size = heatmap_size(&many, &texts_en(), 800);
        assert!(heatmap_fits(&many, &texts_en(), 800));
        let svg = heatmap_svg(&many, &texts_en(), size).unwrap();
        // A long name wraps onto the row's second line and is shortened there.
        let written = texts(&svg);
        let first = written
            .iter()
            .position(|t| t.starts_with("Customer Service Team number 0 "))
            .expect("the first line");
        assert!(written[first + 1].ends_with('…'), "{written:?}");
        assert!(
            heatmap_description(&many, &texts_en())
                .contains("Region 3/Customer Service Team number 59 with a name much longer than any chart can show whole, even on two lines of a wide picture drawn for a large screen: ")
        );
        many.rows = (0..200).map(|i| many.rows[i % rows].clone()).collect();
        assert!(!heatmap_fits(&many, &texts_en(), 320));
    }

    #[test]
    fn the_description_names_every_cell() {
        let description = heatmap_description(&data(), &texts_en());
        assert!(description.starts_with(
            "Departments compared with the company: index per pillar. Company (framed: the company, the reference): Customer focus 68.4, Values 71.0"
        ), "{description}");
        assert!(description.contains(
            "Sales: Customer focus 74.0 (difference +5.6), Values 70.5 (difference −0.5)"
        ));
        assert!(description.contains(
            "Sales/North: Customer focus fewer answers than the anonymity threshold, Values fewer answers"
        ));
        assert!(description.contains(
            "Engineering: Customer focus 61.0 (difference −7.4), Values fewer answers than the anonymity threshold, Leadership 58.9 (difference −4.3), Overall index fewer answers than the anonymity threshold."
        ));
    }

    #[test]
    #[ignore = "writes files for a visual check"]
    fn write_samples() {
        let dir = std::env::temp_dir();
        for width in [320, 800] {
            let size = heatmap_size(&data(), &texts_en(), width);
            let png = heatmap_png(&data(), &texts_en(), size).unwrap();
            std::fs::write(dir.join(format!("kundenpuls-heatmap-{width}.png")), png).unwrap();
            let svg = heatmap_svg(&data(), &texts_en(), size).unwrap();
            std::fs::write(dir.join(format!("kundenpuls-heatmap-{width}.svg")), svg).unwrap();
        }
    }
}
