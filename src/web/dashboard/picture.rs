//! A chart on a page as a `<picture>`: one drawing per range of viewport widths, so that a
//! phone gets a chart laid out for its width instead of a desktop chart shrunk until its text
//! is unreadable.
//!
//! Why `<source media>` and not `srcset` with width descriptors and `sizes`: with width
//! descriptors the browser multiplies the slot by the device's pixel ratio, so a phone with a
//! ratio of 3 showing the chart 284 px wide would fetch the 1,600 px drawing and show its text
//! at a fifth of its size. The pictures are SVG and sharp at any ratio; what must follow the
//! viewport is the layout, which is what a media condition chooses.

use serde::Serialize;

use crate::report::charts::{Chart, WIDTH};

/// One drawing and the viewports it is for.
#[derive(Debug, Clone, Serialize)]
pub struct ChartSource {
    pub media: String,
    pub src: String,
    pub width: u32,
    pub height: u32,
}

/// What a page needs to show a chart: the drawings by viewport, the default one and its text
/// equivalent.
#[derive(Debug, Clone, Serialize)]
pub struct ChartPicture {
    pub sources: Vec<ChartSource>,
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

/// `(largest viewport width, drawing width)`, narrowest first; wider viewports get [`WIDTH`].
///
/// A chart in a dashboard card is shown `min(viewport, 1024) − 76` px wide (`main`'s padding,
/// the card's padding and border, the picture's border: `app.css`), and stretched to it
/// (`.chart img { width: 100% }`). Each drawing is at most that wide over its range, so its text
/// is never shrunk, except the narrowest: charts are drawn at least 320 px wide, which a 360 px
/// phone shows at 284 px (0.89), and the charts' text is sized for that.
const BREAKPOINTS: [(u32, u32); 4] = [(439, 320), (559, 360), (719, 480), (879, 640)];

/// The picture of `chart`, served at `path` (`/charts/trend.svg`, with or without a query).
pub fn picture(chart: &Chart, path: &str) -> ChartPicture {
    let separator = if path.contains('?') { '&' } else { '?' };
    let sources = BREAKPOINTS
        .iter()
        .map(|&(viewport, width)| {
            let size = chart.size(width);
            ChartSource {
                media: format!("(max-width: {viewport}px)"),
                src: format!("{path}{separator}width={width}"),
                width: size.width,
                height: size.height,
            }
        })
        .collect();
    let size = chart.size(WIDTH);
    ChartPicture {
        sources,
        src: path.to_owned(),
        width: size.width,
        height: size.height,
        alt: chart.description(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::report::charts;

    #[test]
    fn every_viewport_gets_a_drawing_no_wider_than_it_shows_bar_the_narrowest() {
        let chart = charts::trend(&[], "Vertrieb", Locale::De);
        let picture = picture(&chart, "/charts/trend.svg?department=7");
        assert_eq!(picture.src, "/charts/trend.svg?department=7");
        assert_eq!(
            picture.sources[0].src,
            "/charts/trend.svg?department=7&width=320"
        );
        assert_eq!(picture.sources[0].media, "(max-width: 439px)");
        let shown = |viewport: u32| viewport.min(1024) - 76;
        let mut from = 360;
        for &(to, width) in &BREAKPOINTS {
            // Over the whole range the drawing is shown at no less than 0.88 of its size.
            assert!(
                f64::from(shown(from)) / f64::from(width) >= 0.88,
                "{from}–{to}"
            );
            from = to + 1;
        }
        assert!(
            shown(from) >= WIDTH,
            "the default drawing is not shrunk from {from} px on"
        );
        let plain = super::picture(&chart, "/charts/trend.svg");
        assert_eq!(plain.sources[1].src, "/charts/trend.svg?width=360");
        assert!(plain.alt.starts_with("Kundenorientierung"));
    }
}
