//! Participation per department for one round: a horizontal bar per department on a 0–100 %
//! axis, with "answered / invited · percentage" written beside it.
//!
//! Which units appear is the caller's decision (the report folds units with fewer invited than
//! the threshold into their parent); the chart draws what it is given.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::style::{
    self, AXIS, ChartError, Drawing, GRID, Keep, MUTED_TEXT, PAD, Size, TEXT, TITLE_HEIGHT,
    drawing_error, okabe_ito,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipationBar {
    pub label: String,
    pub answered: u64,
    pub invited: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParticipationTexts {
    pub title: String,
    /// How a percentage is written, with `{}` for the number: "{} %" in German, "{}%" in
    /// English.
    pub percent: String,
    /// Shown instead of the chart when nobody was invited.
    pub empty: String,
}

pub fn participation_svg(
    bars: &[ParticipationBar],
    texts: &ParticipationTexts,
    size: Size,
) -> Result<String, ChartError> {
    style::render_svg(&Participation::new(bars, texts)?, size)
}

pub fn participation_png(
    bars: &[ParticipationBar],
    texts: &ParticipationTexts,
    size: Size,
) -> Result<Vec<u8>, ChartError> {
    style::render_png(&Participation::new(bars, texts)?, size)
}

/// A size at which `bars` departments get comfortable rows (30 px), for a given width.
pub fn participation_size(bars: usize, width: u32) -> Size {
    let height = TITLE_HEIGHT + AXIS_HEIGHT + PAD + 8 + 30 * bars as i32;
    Size::new(
        width,
        (height as u32).clamp(Size::MIN_HEIGHT, Size::MAX_SIDE),
    )
}

pub fn participation_description(bars: &[ParticipationBar], texts: &ParticipationTexts) -> String {
    if is_empty(bars) {
        return format!("{}. {}", texts.title, texts.empty);
    }
    let mut parts = vec![texts.title.clone()];
    parts.extend(bars.iter().map(|bar| {
        format!(
            "{}: {} / {} ({})",
            bar.label,
            bar.answered,
            bar.invited,
            percentage(bar, texts)
        )
    }));
    parts.join(". ") + "."
}

/// The share as a whole number that never claims 100 % before everyone answered nor 0 % after
/// someone did.
fn whole_percent(answered: u64, invited: u64) -> Option<u64> {
    if invited == 0 {
        return None;
    }
    let rounded = (answered as f64 * 100.0 / invited as f64).round() as u64;
    Some(match rounded {
        100 if answered < invited => 99,
        0 if answered > 0 => 1,
        other => other,
    })
}

fn percentage(bar: &ParticipationBar, texts: &ParticipationTexts) -> String {
    match whole_percent(bar.answered, bar.invited) {
        Some(pct) => texts.percent.replace("{}", &pct.to_string()),
        None => "–".to_string(),
    }
}

fn is_empty(bars: &[ParticipationBar]) -> bool {
    bars.iter().all(|bar| bar.invited == 0)
}

const AXIS_HEIGHT: i32 = 24;
const LABEL_FONT: f64 = 13.0;
const MAX_ROW: i32 = 34;
const MIN_ROW: i32 = 14;
const TRACK: RGBColor = RGBColor(0xE8, 0xE8, 0xE8);

struct Participation<'a> {
    bars: &'a [ParticipationBar],
    texts: &'a ParticipationTexts,
}

impl<'a> Participation<'a> {
    fn new(
        bars: &'a [ParticipationBar],
        texts: &'a ParticipationTexts,
    ) -> Result<Self, ChartError> {
        if let Some(bar) = bars.iter().find(|bar| bar.answered > bar.invited) {
            return Err(ChartError::InvalidData(format!(
                "\"{}\" has more answers ({}) than invitations ({})",
                bar.label, bar.answered, bar.invited
            )));
        }
        Ok(Participation { bars, texts })
    }

    fn value_text(&self, bar: &ParticipationBar) -> String {
        format!(
            "{} / {} · {}",
            bar.answered,
            bar.invited,
            percentage(bar, self.texts)
        )
    }
}

impl Drawing for Participation<'_> {
    fn title(&self) -> &str {
        &self.texts.title
    }

    fn description(&self) -> String {
        participation_description(self.bars, self.texts)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (width, height) = area.dim_in_pixel();
        let (width, height) = (width as i32, height as i32);
        if is_empty(self.bars) {
            return style::draw_empty(area, &self.texts.title, &self.texts.empty);
        }
        let too_small = |reason: &str| Size::new(width as u32, height as u32).invalid(reason);
        let label_width =
            (style::widest_text(area, self.bars.iter().map(|b| &b.label), LABEL_FONT)? + 12)
                .min((width - 2 * PAD) * 7 / 20);
        let value_width = style::widest_text(
            area,
            self.bars.iter().map(|b| self.value_text(b)),
            LABEL_FONT,
        )? + 12;
        let track_left = PAD + label_width;
        let track_right = width - PAD - value_width;
        let top = TITLE_HEIGHT + 4;
        let axis_top = height - PAD - AXIS_HEIGHT;
        let row = ((axis_top - top) / self.bars.len() as i32).min(MAX_ROW);
        if row < MIN_ROW {
            return Err(too_small(
                "too low for this many departments (see participation_size)",
            ));
        }
        if track_right - track_left < 80 {
            return Err(too_small("too narrow for the bars"));
        }
        let bars_bottom = top + row * self.bars.len() as i32;
        let x_of =
            |share: f64| track_left + (share * f64::from(track_right - track_left)).round() as i32;

        style::draw_title(area, &self.texts.title, width)?;
        let tick_style = style::font(11.0, MUTED_TEXT, HPos::Center, VPos::Top);
        for tick in [0u64, 25, 50, 75, 100] {
            let x = x_of(tick as f64 / 100.0);
            area.draw(&PathElement::new(
                vec![(x, top), (x, bars_bottom)],
                GRID.stroke_width(1),
            ))
            .map_err(drawing_error)?;
            let label = self.texts.percent.replace("{}", &tick.to_string());
            style::draw_text(area, &label, &tick_style, (x, bars_bottom + 5))?;
        }
        area.draw(&PathElement::new(
            vec![(track_left, bars_bottom), (track_right, bars_bottom)],
            AXIS.stroke_width(1),
        ))
        .map_err(drawing_error)?;

        let label_style = style::font(LABEL_FONT, TEXT, HPos::Left, VPos::Center);
        let value_style = style::font(LABEL_FONT, TEXT, HPos::Left, VPos::Center);
        let inset = (row / 5).max(2);
        for (i, bar) in self.bars.iter().enumerate() {
            let y0 = top + i as i32 * row;
            let middle = y0 + row / 2;
            let label = style::fit(area, &bar.label, LABEL_FONT, label_width - 10, Keep::End)?;
            style::draw_text(area, &label, &label_style, (PAD, middle))?;
            area.draw(&Rectangle::new(
                [(track_left, y0 + inset), (track_right, y0 + row - inset)],
                TRACK.filled(),
            ))
            .map_err(drawing_error)?;
            if bar.invited > 0 && bar.answered > 0 {
                let share = bar.answered as f64 / bar.invited as f64;
                // At least a sliver, so that "someone answered" is visible next to "nobody".
                let right = x_of(share).max(track_left + 2);
                area.draw(&Rectangle::new(
                    [(track_left, y0 + inset), (right, y0 + row - inset)],
                    okabe_ito::BLUE.filled(),
                ))
                .map_err(drawing_error)?;
            }
            style::draw_text(
                area,
                &self.value_text(bar),
                &value_style,
                (track_right + 8, middle),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::test_support::{attr, elements, png_size, texts};

    fn bars() -> Vec<ParticipationBar> {
        [
            ("Company (other units)", 12, 20),
            ("Sales", 36, 50),
            ("Sales/North", 9, 9),
            ("Service", 0, 14),
            ("Engineering", 199, 200),
        ]
        .into_iter()
        .map(|(label, answered, invited)| ParticipationBar {
            label: label.to_string(),
            answered,
            invited,
        })
        .collect()
    }

    fn texts_de() -> ParticipationTexts {
        ParticipationTexts {
            title: "Beteiligung – Runde Mai 2026".into(),
            percent: "{} %".into(),
            empty: "In dieser Runde wurde niemand eingeladen.".into(),
        }
    }

    const SIZE: Size = Size::new(800, 260);

    #[test]
    fn each_bar_writes_answered_invited_and_the_share() {
        let svg = participation_svg(&bars(), &texts_de(), SIZE).unwrap();
        let written = texts(&svg);
        for expected in [
            "Beteiligung – Runde Mai 2026",
            "Sales",
            "12 / 20 · 60 %",
            "36 / 50 · 72 %",
            "9 / 9 · 100 %",
            "0 / 14 · 0 %",
            "199 / 200 · 99 %",
            "0 %",
            "50 %",
            "100 %",
        ] {
            assert!(
                written.iter().any(|t| t == expected),
                "{expected} in {written:?}"
            );
        }
    }

    #[test]
    fn bar_lengths_are_proportional_to_the_share() {
        let svg = participation_svg(&bars(), &texts_de(), SIZE).unwrap();
        let widths: Vec<i32> = elements(&svg, "rect")
            .into_iter()
            .filter(|r| attr(r, "fill") == Some("#0072B2"))
            .map(|r| attr(r, "width").unwrap().parse().unwrap())
            .collect();
        // Service answered nothing: no bar. Sales/North is complete.
        assert_eq!(widths.len(), 4);
        let full = widths[2] as f64;
        assert!((widths[0] as f64 / full - 0.60).abs() < 0.01, "{widths:?}");
        assert!((widths[1] as f64 / full - 0.72).abs() < 0.01, "{widths:?}");
    }

    #[test]
    fn shares_near_the_ends_are_not_rounded_onto_them() {
        assert_eq!(whole_percent(199, 200), Some(99));
        assert_eq!(whole_percent(1, 300), Some(1));
        assert_eq!(whole_percent(0, 300), Some(0));
        assert_eq!(whole_percent(300, 300), Some(100));
        assert_eq!(whole_percent(0, 0), None);
        let english = ParticipationTexts {
            percent: "{}%".into(),
            ..texts_de()
        };
        let description = participation_description(&bars(), &english);
        assert!(
            description.contains("Sales: 36 / 50 (72%)"),
            "{description}"
        );
    }

    #[test]
    fn png_has_the_signature_and_the_requested_size() {
        let png = participation_png(&bars(), &texts_de(), SIZE).unwrap();
        assert_eq!(png_size(&png), (800, 260));
    }

    #[test]
    fn nobody_invited_draws_the_message() {
        let svg = participation_svg(&[], &texts_de(), SIZE).unwrap();
        assert!(svg.contains("In dieser Runde wurde niemand eingeladen."));
        assert_eq!(
            participation_description(&[], &texts_de()),
            "Beteiligung – Runde Mai 2026. In dieser Runde wurde niemand eingeladen."
        );
    }

    #[test]
    fn more_answers_than_invitations_is_refused() {
        let mut bad = bars();
        bad[1].answered = 51;
        let err = participation_svg(&bad, &texts_de(), SIZE).unwrap_err();
        assert!(err.to_string().contains("Sales"), "{err}");
    }

    #[test]
    #[ignore = "writes files for a visual check"]
    fn write_samples() {
        let dir = std::env::temp_dir();
        let png = participation_png(&bars(), &texts_de(), SIZE).unwrap();
        std::fs::write(dir.join("kundenpuls-participation.png"), png).unwrap();
    }

    #[test]
    fn the_suggested_size_fits_many_departments() {
        let many: Vec<ParticipationBar> = (0..120)
            .map(|i| ParticipationBar {
                label: format!("Department {i}"),
                answered: i,
                invited: 120,
            })
            .collect();
        let size = participation_size(many.len(), 800);
        assert!(participation_png(&many, &texts_de(), size).is_ok());
        assert!(participation_svg(&many, &texts_de(), SIZE).is_err());
    }
}
