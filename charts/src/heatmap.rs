//! Departments × pillars for one round: each cell coloured on a colour-blind-safe sequential
//! scale with its value written in it; a hidden cell is grey, hatched and shows "–".

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::style::{
    self, ChartError, Drawing, Keep, LegendItem, MUTED_TEXT, PAD, Size, Swatch, TEXT, TITLE_HEIGHT,
    drawing_error,
};

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapData {
    /// Departments, top to bottom.
    pub rows: Vec<String>,
    /// Pillars (and the overall index), left to right.
    pub columns: Vec<String>,
    /// `cells[row][column]`; `None` where the figure is hidden.
    pub cells: Vec<Vec<Option<f64>>>,
    /// The values at the two ends of the colour scale. Keep it fixed (e.g. 0–100) across
    /// rounds and departments so that one colour means one value everywhere.
    pub scale: (f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapTexts {
    pub title: String,
    /// Legend entry and description of a hidden cell, e.g. "fewer answers than the threshold".
    pub hidden: String,
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

/// A size at which `rows` departments get comfortable rows (28 px), for a given width.
pub fn heatmap_size(rows: usize, width: u32) -> Size {
    let height = TITLE_HEIGHT + HEADER_HEIGHT + LEGEND_HEIGHT + PAD + 12 + 28 * rows as i32;
    Size::new(
        width,
        (height as u32).clamp(Size::MIN_HEIGHT, Size::MAX_SIDE),
    )
}

pub fn heatmap_description(data: &HeatmapData, texts: &HeatmapTexts) -> String {
    if is_empty(data) {
        return format!("{}. {}", texts.title, texts.empty);
    }
    let mut parts = vec![texts.title.clone()];
    for (row, cells) in data.rows.iter().zip(&data.cells) {
        let values: Vec<String> = data
            .columns
            .iter()
            .zip(cells)
            .map(|(column, cell)| match cell {
                Some(value) => format!("{column} {}", style::whole(*value)),
                None => format!("{column} {}", texts.hidden),
            })
            .collect();
        parts.push(format!("{row}: {}", values.join(", ")));
    }
    parts.join(". ") + "."
}

fn is_empty(data: &HeatmapData) -> bool {
    !data.cells.iter().flatten().any(Option::is_some)
}

fn validate(data: &HeatmapData) -> Result<(), ChartError> {
    if data.cells.len() != data.rows.len() {
        return Err(ChartError::InvalidData(format!(
            "{} rows of cells for {} departments",
            data.cells.len(),
            data.rows.len()
        )));
    }
    for (row, cells) in data.rows.iter().zip(&data.cells) {
        if cells.len() != data.columns.len() {
            return Err(ChartError::InvalidData(format!(
                "\"{row}\" has {} cells for {} columns",
                cells.len(),
                data.columns.len()
            )));
        }
        if cells.iter().flatten().any(|v| !v.is_finite()) {
            return Err(ChartError::InvalidData(format!(
                "\"{row}\" has a value that is not a number"
            )));
        }
    }
    let (low, high) = data.scale;
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(ChartError::InvalidData(format!(
            "the colour scale {low}–{high} is empty"
        )));
    }
    Ok(())
}

const HEADER_FONT: f64 = 13.0;
const HEADER_HEIGHT: i32 = 42;
const LEGEND_HEIGHT: i32 = 34;
const LABEL_FONT: f64 = 13.0;
const MAX_ROW: i32 = 36;
const MIN_ROW: i32 = 14;
const MIN_COLUMN: i32 = 28;
const GRADIENT_WIDTH: i32 = 180;

struct Heatmap<'a> {
    data: &'a HeatmapData,
    texts: &'a HeatmapTexts,
}

impl<'a> Heatmap<'a> {
    fn new(data: &'a HeatmapData, texts: &'a HeatmapTexts) -> Result<Self, ChartError> {
        validate(data)?;
        Ok(Heatmap { data, texts })
    }

    fn colour(&self, value: f64) -> RGBColor {
        let (low, high) = self.data.scale;
        style::sequential((value - low) / (high - low))
    }
}

struct Layout {
    /// Left edge of the first column, top edge of the first row.
    cells_left: i32,
    cells_top: i32,
    column_width: i32,
    row_height: i32,
    legend_top: i32,
}

impl Layout {
    fn cell(&self, row: usize, column: usize) -> ((i32, i32), (i32, i32)) {
        let x0 = self.cells_left + column as i32 * self.column_width;
        let y0 = self.cells_top + row as i32 * self.row_height;
        ((x0, y0), (x0 + self.column_width, y0 + self.row_height))
    }
}

fn layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &HeatmapData,
    (width, height): (i32, i32),
) -> Result<Layout, ChartError> {
    let too_small = |reason: &str| Size::new(width as u32, height as u32).invalid(reason);
    let widest_label = data.rows.iter().try_fold(0, |widest, row| {
        Ok::<_, ChartError>(widest.max(style::text_width(area, row, LABEL_FONT)?))
    })?;
    let label_width = (widest_label + 12).min((width - 2 * PAD) * 2 / 5);
    let cells_left = PAD + label_width;
    let column_width = (width - PAD - cells_left) / data.columns.len() as i32;
    let cells_top = TITLE_HEIGHT + HEADER_HEIGHT;
    let lowest_legend = height - PAD - LEGEND_HEIGHT;
    let row_height = ((lowest_legend - 12 - cells_top) / data.rows.len() as i32).min(MAX_ROW);
    // The legend follows the cells rather than the bottom edge, so it reads as theirs.
    let legend_top = lowest_legend.min(cells_top + row_height * data.rows.len() as i32 + 16);
    if row_height < MIN_ROW {
        return Err(too_small(
            "too low for this many departments (see heatmap_size)",
        ));
    }
    if column_width < MIN_COLUMN {
        return Err(too_small("too narrow for this many columns"));
    }
    Ok(Layout {
        cells_left,
        cells_top,
        column_width,
        row_height,
        legend_top,
    })
}

impl Drawing for Heatmap<'_> {
    fn title(&self) -> &str {
        &self.texts.title
    }

    fn description(&self) -> String {
        heatmap_description(self.data, self.texts)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (width, height) = area.dim_in_pixel();
        let (width, height) = (width as i32, height as i32);
        if is_empty(self.data) {
            return style::draw_empty(area, &self.texts.title, &self.texts.empty);
        }
        let data = self.data;
        let l = layout(area, data, (width, height))?;
        style::draw_title(area, &self.texts.title, width)?;

        let header_style = style::font(HEADER_FONT, TEXT, HPos::Center, VPos::Bottom);
        for (column, name) in data.columns.iter().enumerate() {
            let ((x0, _), (x1, _)) = l.cell(0, column);
            let lines = style::wrap(area, name, HEADER_FONT, l.column_width - 6, 2)?;
            let bottom = l.cells_top - 6;
            for (i, line) in lines.iter().rev().enumerate() {
                let y = bottom - i as i32 * 16;
                style::draw_text(area, line, &header_style, ((x0 + x1) / 2, y))?;
            }
        }

        let label_style = style::font(LABEL_FONT, TEXT, HPos::Left, VPos::Center);
        let value_size = (f64::from(l.row_height) * 0.5).clamp(9.0, 14.0);
        for (row, name) in data.rows.iter().enumerate() {
            let ((_, y0), (_, y1)) = l.cell(row, 0);
            let label = style::fit(area, name, LABEL_FONT, l.cells_left - PAD - 10, Keep::End)?;
            style::draw_text(area, &label, &label_style, (PAD, (y0 + y1) / 2))?;
            for (column, cell) in data.cells[row].iter().enumerate() {
                let ((x0, y0), (x1, y1)) = l.cell(row, column);
                // One pixel of white between cells keeps neighbouring colours apart.
                let (from, to) = ((x0 + 1, y0 + 1), (x1 - 1, y1 - 1));
                let centre = ((x0 + x1) / 2, (y0 + y1) / 2);
                match cell {
                    Some(value) => {
                        let fill = self.colour(*value);
                        area.draw(&Rectangle::new([from, to], fill.filled()))
                            .map_err(drawing_error)?;
                        let text = style::font(
                            value_size,
                            style::text_on(fill),
                            HPos::Center,
                            VPos::Center,
                        );
                        style::draw_text(area, &style::whole(*value), &text, centre)?;
                    }
                    None => {
                        style::draw_hidden_box(area, from, to)?;
                        let text = style::font(value_size + 2.0, TEXT, HPos::Center, VPos::Center);
                        style::draw_text(area, "–", &text, centre)?;
                    }
                }
            }
        }

        // The scale: a gradient with its two ends and middle labelled.
        let (low, high) = data.scale;
        let (gx, gy) = (PAD, l.legend_top);
        let steps = 60;
        for i in 0..steps {
            let x0 = gx + GRADIENT_WIDTH * i / steps;
            let x1 = gx + GRADIENT_WIDTH * (i + 1) / steps;
            let t = (f64::from(i) + 0.5) / f64::from(steps);
            area.draw(&Rectangle::new(
                [(x0, gy), (x1, gy + 12)],
                style::sequential(t).filled(),
            ))
            .map_err(drawing_error)?;
        }
        let tick_style = style::font(11.0, MUTED_TEXT, HPos::Center, VPos::Top);
        for (t, value) in [(0.0, low), (0.5, (low + high) / 2.0), (1.0, high)] {
            let x = gx + (f64::from(GRADIENT_WIDTH) * t).round() as i32;
            style::draw_text(area, &style::whole(value), &tick_style, (x, gy + 15))?;
        }
        let hidden = [LegendItem {
            swatch: Swatch::Hidden,
            label: self.texts.hidden.clone(),
        }];
        let legend_left = gx + GRADIENT_WIDTH + 28;
        style::draw_legend(
            area,
            &hidden,
            (legend_left, gy - 4),
            width - PAD - legend_left,
            style::LegendText::ONE_LINE,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::test_support::{attr, elements, png_size, texts};

    fn data() -> HeatmapData {
        HeatmapData {
            rows: ["Company", "Sales", "Sales/North", "Service", "Engineering"]
                .map(String::from)
                .to_vec(),
            columns: ["Customer focus", "Values", "Leadership", "Overall index"]
                .map(String::from)
                .to_vec(),
            cells: vec![
                vec![Some(68.4), Some(71.0), Some(63.2), Some(67.5)],
                vec![Some(74.0), Some(70.5), Some(66.0), Some(70.2)],
                vec![None, None, None, None],
                vec![Some(100.0), Some(0.0), Some(55.0), Some(51.7)],
                vec![Some(61.0), None, Some(58.9), None],
            ],
            scale: (0.0, 100.0),
        }
    }

    fn texts_en() -> HeatmapTexts {
        HeatmapTexts {
            title: "Round 2026-05: pillars by department".into(),
            hidden: "– fewer answers than the threshold".into(),
            empty: "No department has enough answers in this round.".into(),
        }
    }

    const SIZE: Size = Size::new(800, 420);

    #[test]
    fn every_shown_value_is_written_and_hidden_cells_show_a_dash() {
        let svg = heatmap_svg(&data(), &texts_en(), SIZE).unwrap();
        let written = texts(&svg);
        for value in ["68", "71", "63", "74", "100", "0", "55", "52", "61", "59"] {
            assert!(written.iter().any(|t| t == value), "{value} in {written:?}");
        }
        let dashes = written.iter().filter(|t| *t == "–").count();
        assert_eq!(dashes, 6, "one per hidden cell");
        for label in [
            "Company",
            "Sales/North",
            "Customer focus",
            "Leadership",
            "Overall index",
        ] {
            assert!(written.iter().any(|t| t == label), "{label} in {written:?}");
        }
        assert!(
            written
                .iter()
                .any(|t| t == "– fewer answers than the threshold")
        );
        assert!(svg.contains("<title>Round 2026-05: pillars by department</title>"));
    }

    #[test]
    fn colours_follow_the_scale_and_hidden_cells_are_grey() {
        let svg = heatmap_svg(&data(), &texts_en(), SIZE).unwrap();
        let fills: Vec<&str> = elements(&svg, "rect")
            .into_iter()
            .filter_map(|r| attr(r, "fill"))
            .collect();
        assert!(fills.contains(&"#FDE725"), "100 is the light end");
        assert!(fills.contains(&"#440154"), "0 is the dark end");
        assert_eq!(
            fills.iter().filter(|f| **f == "#EEEEEE").count(),
            6 + 1,
            "hidden cells and the legend swatch"
        );
        // The 0 cell writes white, the 100 cell black.
        let white_values = texts_with_fill(&svg, "#FFFFFF");
        assert!(white_values.contains(&"0".to_string()), "{white_values:?}");
        let black_values = texts_with_fill(&svg, "#000000");
        assert!(
            black_values.contains(&"100".to_string()),
            "{black_values:?}"
        );
    }

    fn texts_with_fill(svg: &str, fill: &str) -> Vec<String> {
        svg.match_indices("<text ")
            .filter_map(|(at, _)| {
                let rest = &svg[at..];
                let open = &rest[..rest.find('>').unwrap()];
                (attr(open, "fill") == Some(fill)).then(|| {
                    rest[open.len() + 1..rest.find("</text>").unwrap()]
                        .trim()
                        .to_string()
                })
            })
            .collect()
    }

    #[test]
    fn png_has_the_signature_and_the_requested_size() {
        let png = heatmap_png(&data(), &texts_en(), SIZE).unwrap();
        assert_eq!(png_size(&png), (800, 420));
    }

    #[test]
    fn all_cells_hidden_draws_the_message() {
        let mut data = data();
        for row in &mut data.cells {
            row.iter_mut().for_each(|cell| *cell = None);
        }
        let svg = heatmap_svg(&data, &texts_en(), SIZE).unwrap();
        assert!(svg.contains("No department has enough answers in this round."));
        assert!(!svg.contains("Sales/North"));
        let nothing = HeatmapData {
            rows: vec![],
            columns: vec![],
            cells: vec![],
            scale: (0.0, 100.0),
        };
        assert!(heatmap_png(&nothing, &texts_en(), SIZE).is_ok());
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let mut bad = data();
        bad.cells[1].pop();
        assert!(matches!(
            heatmap_svg(&bad, &texts_en(), SIZE),
            Err(ChartError::InvalidData(_))
        ));
        let mut bad = data();
        bad.scale = (50.0, 50.0);
        assert!(heatmap_svg(&bad, &texts_en(), SIZE).is_err());
        let mut bad = data();
        bad.rows.push("Extra".into());
        assert!(heatmap_svg(&bad, &texts_en(), SIZE).is_err());
    }

    #[test]
    fn many_departments_fit_the_suggested_size_with_paths_shortened_from_the_front() {
        let rows = 120;
        let data = HeatmapData {
            rows: (0..rows)
                .map(|i| {
                    format!(
                        "Company/Region {}/Division {}/Customer Service/Team number {i}",
                        i % 4,
                        i % 12
                    )
                })
                .collect(),
            columns: data().columns,
            cells: (0..rows)
                .map(|i| {
                    (0..4)
                        .map(|c| (i % 7 != c).then_some(((i * 13 + c * 7) % 100) as f64))
                        .collect()
                })
                .collect(),
            scale: (0.0, 100.0),
        };
        let size = heatmap_size(rows, 800);
        assert!(size.height <= Size::MAX_SIDE);
        let svg = heatmap_svg(&data, &texts_en(), size).unwrap();
        assert!(
            texts(&svg)
                .iter()
                .any(|t| t.starts_with('…') && t.ends_with("Team number 119"))
        );
        assert!(
            heatmap_svg(&data, &texts_en(), SIZE).is_err(),
            "too low for 120 rows"
        );
    }

    #[test]
    fn description_names_hidden_cells() {
        let description = heatmap_description(&data(), &texts_en());
        assert!(description.starts_with(
            "Round 2026-05: pillars by department. Company: Customer focus 68, Values 71"
        ));
        assert!(
            description.contains(
                "Engineering: Customer focus 61, Values – fewer answers than the threshold"
            )
        );
    }

    #[test]
    #[ignore = "writes files for a visual check"]
    fn write_samples() {
        let dir = std::env::temp_dir();
        let png = heatmap_png(&data(), &texts_en(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-heatmap.png"), png).unwrap();
        let svg = heatmap_svg(&data(), &texts_en(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-heatmap.svg"), svg).unwrap();
    }
}
