//! The PNG backend: plotters' bitmap backend with our own text layout.
//!
//! plotters 0.3.7 rasterises `ab_glyph` text by placing every glyph at its pen position
//! without the glyph's left side bearing, truncated to whole pixels, so PNG words get uneven
//! gaps ("th e", "confi dence"). PNGs go into leadership mail, so this backend lays text out
//! with `ab_glyph` itself — advances, kerning and bearings at sub-pixel positions — and hands
//! everything else to `BitMapBackend` unchanged. Widths are measured exactly as plotters
//! measures them, so layouts computed with `estimate_text_size` still fit. SVG is unaffected:
//! there the viewer lays the text out.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use crate::FONT;

type Error = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

fn font() -> &'static FontRef<'static> {
    static PARSED: OnceLock<FontRef<'static>> = OnceLock::new();
    PARSED.get_or_init(|| {
        FontRef::try_from_slice(FONT)
            .expect("the bundled DejaVu Sans font is a valid TrueType font")
    })
}

pub(crate) struct PngBackend<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> PngBackend<'a> {
    pub(crate) fn new(inner: BitMapBackend<'a>) -> Self {
        PngBackend { inner }
    }
}

impl DrawingBackend for PngBackend<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Error> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        if !matches!(style.transform(), FontTransform::None) {
            // The charts draw no rotated text; should one appear, plotters' way still works.
            return self.inner.draw_text(text, style, pos);
        }
        let font = font();
        // The same scale plotters uses for measuring, so widths agree with the layout.
        let scale = PxScale::from(style.size() as f32);
        let scaled = font.as_scaled(scale);
        let width = advance_width(&scaled, text);
        // plotters' text box is size / 1.24 high; anchors follow that box, except that a
        // centred text centres its capitals (numbers in cells sit in the middle).
        let height = style.size() as f32 / 1.24;
        let x0 = pos.0 as f32
            - match style.anchor().h_pos {
                HPos::Left => 0.0,
                HPos::Center => width / 2.0,
                HPos::Right => width,
            };
        let baseline = match style.anchor().v_pos {
            VPos::Top => pos.1 as f32 + scaled.ascent(),
            VPos::Center => pos.1 as f32 + cap_height(&scaled) / 2.0,
            VPos::Bottom => pos.1 as f32 - height + scaled.ascent(),
        };
        let (w, h) = self.get_size();
        let mut caret = x0;
        let mut previous: Option<GlyphId> = None;
        let mut failed = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            caret += scaled.h_advance(id);
            let Some(outlined) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
            outlined.draw(|gx, gy, coverage| {
                let (x, y) = (left + gx as i32, top + gy as i32);
                if coverage <= 0.0 || x < 0 || y < 0 || x >= w as i32 || y >= h as i32 {
                    return;
                }
                let pixel = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                if let Err(e) = self.inner.draw_pixel((x, y), pixel) {
                    failed.get_or_insert(e);
                }
            });
        }
        failed.map_or(Ok(()), Err)
    }
}

fn advance_width<F: Font, S: ScaleFont<F>>(scaled: &S, text: &str) -> f32 {
    let mut width = 0.0;
    let mut previous: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            width += scaled.kern(previous, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

fn cap_height<F: Font, S: ScaleFont<F>>(scaled: &S) -> f32 {
    let id = scaled.glyph_id('H');
    scaled
        .font()
        .outline(id)
        .map_or(scaled.ascent() * 0.8, |outline| {
            outline.bounds.height().abs() * scaled.v_scale_factor()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{self, TEXT};

    /// Renders one text on white and returns the buffer.
    fn render(
        text: &str,
        size: f64,
        anchor: (HPos, VPos),
        at: (i32, i32),
        (w, h): (u32, u32),
    ) -> Vec<u8> {
        crate::register_fonts();
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let area = PngBackend::new(BitMapBackend::with_buffer(&mut pixels, (w, h)))
                .into_drawing_area();
            let text_style = style::font(size, TEXT, anchor.0, anchor.1);
            area.draw_text(text, &text_style, at).unwrap();
            area.present().unwrap();
        }
        pixels
    }

    fn ink_columns(pixels: &[u8], (w, h): (u32, u32)) -> Vec<bool> {
        (0..w)
            .map(|x| (0..h).any(|y| pixels[((y * w + x) * 3) as usize] < 160))
            .collect()
    }

    fn ink_rows(pixels: &[u8], (w, h): (u32, u32)) -> Vec<bool> {
        (0..h)
            .map(|y| (0..w).any(|x| pixels[((y * w + x) * 3) as usize] < 160))
            .collect()
    }

    #[test]
    fn repeated_letters_are_evenly_spaced() {
        let size = (200, 40);
        let pixels = render("iiiiiiii", 24.0, (HPos::Left, VPos::Top), (10, 5), size);
        let columns = ink_columns(&pixels, size);
        // Start of each ink run.
        let starts: Vec<usize> = (1..columns.len())
            .filter(|&x| columns[x] && !columns[x - 1])
            .collect();
        assert_eq!(starts.len(), 8, "{starts:?}");
        let gaps: Vec<usize> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        let (min, max) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
        assert!(max - min <= 1, "uneven spacing {gaps:?}");
    }

    #[test]
    fn glyphs_keep_their_left_side_bearing() {
        // "1" sits well right of its pen position in DejaVu Sans; drawing it at the pen
        // position is what made PNG words uneven.
        let size = (160, 90);
        let pixels = render("1", 60.0, (HPos::Left, VPos::Top), (10, 5), size);
        let columns = ink_columns(&pixels, size);
        let first_ink = columns.iter().position(|&ink| ink).unwrap() as f32;
        let scaled = font().as_scaled(PxScale::from(60.0));
        let bearing = scaled.h_side_bearing(scaled.glyph_id('1'));
        assert!(
            bearing > 4.0,
            "the test needs a glyph with a visible bearing"
        );
        assert!(
            (first_ink - (10.0 + bearing)).abs() <= 1.5,
            "ink starts at {first_ink}, pen 10 + bearing {bearing}"
        );
    }

    #[test]
    fn anchors_place_the_text_where_the_layout_expects_it() {
        let size = (300, 60);
        // Right-anchored text ends at the anchor.
        let pixels = render("Antworten", 16.0, (HPos::Right, VPos::Top), (250, 5), size);
        let columns = ink_columns(&pixels, size);
        let last = columns.iter().rposition(|&ink| ink).unwrap() as i32;
        assert!((247..=251).contains(&last), "ends at {last}");
        // Centred capitals are centred on the anchor.
        let pixels = render("HEH", 20.0, (HPos::Center, VPos::Center), (150, 30), size);
        let rows = ink_rows(&pixels, size);
        let top = rows.iter().position(|&ink| ink).unwrap() as i32;
        let bottom = rows.iter().rposition(|&ink| ink).unwrap() as i32;
        assert!(((top + bottom) / 2 - 30).abs() <= 1, "rows {top}..{bottom}");
        let columns = ink_columns(&pixels, size);
        let left = columns.iter().position(|&ink| ink).unwrap() as i32;
        let right = columns.iter().rposition(|&ink| ink).unwrap() as i32;
        assert!(
            ((left + right) / 2 - 150).abs() <= 2,
            "columns {left}..{right}"
        );
    }

    #[test]
    fn measured_and_drawn_widths_agree() {
        crate::register_fonts();
        let size = (400, 40);
        let text = "Kundenorientierung 72 %";
        let pixels = render(text, 14.0, (HPos::Left, VPos::Top), (10, 5), size);
        let columns = ink_columns(&pixels, size);
        let left = columns.iter().position(|&ink| ink).unwrap() as i32;
        let right = columns.iter().rposition(|&ink| ink).unwrap() as i32;
        let mut buffer = vec![255u8; 400 * 40 * 3];
        let area = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        let measured = style::text_width(&area, text, 14.0).unwrap();
        assert!(
            (right - left + 1 - measured).abs() <= 3,
            "drawn {}..{right}, measured {measured}",
            left
        );
    }
}
