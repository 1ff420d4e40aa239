//! Pure drawing functions for kundenpuls' reports: data in, SVG or PNG out. No database, no
//! web; everything here is testable alone.
//!
//! - [`trend`]: one department over rounds (pillars, overall index, 95 % bands, responses,
//!   gaps for hidden rounds, rings on significant changes, a y axis fitted to the data, and
//!   optional marks of what happened between rounds, such as actions started and ended),
//! - [`heatmap`]: departments against the company for one round, by pillar or by item,
//!   coloured by the difference on a diverging scale,
//! - [`participation`]: answered / invited per department for one round,
//! - [`style`]: what they share (palette, markers, sizes, errors, the two outputs).
//!
//! Every chart takes its texts from the caller, so the language is the caller's choice, and
//! draws what it is given: the anonymity threshold is applied before (hidden figures arrive as
//! `None`). A chart without data draws a message instead of failing. Each has a
//! `*_description` that is also embedded as the SVG's `<desc>`, for screen readers and as the
//! `alt` of a PNG in mail. Drawing is CPU work: call it from `spawn_blocking`.
//!
//! Text is drawn with a bundled open font (DejaVu Sans, see `fonts/DejaVuSans-LICENSE.txt`)
//! registered through plotters' `ab_glyph` backend, so no system fonts or fontconfig are
//! needed on the server.

use std::sync::Once;

pub mod heatmap;
pub mod participation;
mod raster;
pub mod style;
pub mod trend;

pub use heatmap::{
    Delta, HeatmapCell, HeatmapColumn, HeatmapData, HeatmapRow, HeatmapTexts, heatmap_description,
    heatmap_fits, heatmap_png, heatmap_size, heatmap_svg,
};
pub use participation::{
    ParticipationBar, ParticipationTexts, participation_description, participation_png,
    participation_size, participation_svg,
};
pub use style::{ChartError, Size, contrast_rgb};
pub use trend::{
    DateTexts, MarkKind, MarkTexts, RoundDate, Significant, TrendData, TrendLine, TrendMark,
    TrendPoint, TrendTexts, axis_labels, trend_description, trend_png, trend_size, trend_svg,
};

use plotters::style::{FontStyle, register_font};

/// The family name under which the bundled font is registered.
pub const FONT_FAMILY: &str = "sans-serif";

pub(crate) static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Makes the bundled font available to plotters. Safe to call from anywhere, any number of
/// times; every drawing function calls it first.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the bundled DejaVu Sans font is a valid TrueType font");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn text_is_drawn_with_the_bundled_font_into_svg() {
        register_fonts();
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (200, 40)).into_drawing_area();
            area.fill(&WHITE).unwrap();
            area.draw_text(
                "Kundenfokus – Größe",
                &TextStyle::from((FONT_FAMILY, 14).into_font()),
                (5, 10),
            )
            .unwrap();
            area.present().unwrap();
        }
        assert!(svg.contains("Kundenfokus – Größe"), "{svg}");
    }

    #[test]
    fn text_is_rasterised_into_png_without_system_fonts() {
        register_fonts();
        let (width, height) = (120u32, 30u32);
        let mut pixels = vec![0u8; (width * height * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
            area.fill(&WHITE).unwrap();
            area.draw_text(
                "Trend",
                &TextStyle::from((FONT_FAMILY, 20).into_font()).color(&BLACK),
                (5, 5),
            )
            .unwrap();
            area.present().unwrap();
        }
        assert!(
            pixels.iter().any(|&channel| channel < 128),
            "some text pixels are dark"
        );
    }
}
