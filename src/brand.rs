//! The company's own look: its name, an optional logo and an accent colour, set by an admin and
//! shown on every page and mail. Kept in the `settings` table (keys `brand.*`) so that every
//! instance on one database shows the same; an instance reads it at start, after its own
//! change, and when the scheduler loop finds `brand.version` changed by another instance.
//!
//! Checked before it is kept: a name of at most [`NAME_MAX`] characters, a colour that text can
//! be read in (WCAG AA, [`MIN_CONTRAST`] against every background it stands on), a logo that is
//! a PNG, JPEG or WebP picture of sensible size. SVG is refused: it can carry script.

use std::sync::{Arc, RwLock};

use base64::Engine as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db;
use crate::entities::setting;
use crate::error::AppResult;
use crate::problem::Problem;

pub const NAME_MAX: usize = 100;
pub const LOGO_MAX_BYTES: usize = 256 * 1024;
/// A logo's sides in pixels: big enough to be sharp at 2× in the header, small enough that a
/// page never loads a poster.
pub const LOGO_MIN_SIDE: usize = 16;
pub const LOGO_MAX_SIDE: usize = 2048;
/// WCAG 2.1 AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// The product's own blue, used while no colour is chosen.
pub const DEFAULT_ACCENT: Colour = Colour(0x0b, 0x5f, 0xa5);
/// What text in the accent colour stands on, and what stands on it: the white of cards and of
/// button labels, and the grey of the page.
const BACKGROUNDS: [Colour; 2] = [Colour(0xff, 0xff, 0xff), Colour(0xf3, 0xf5, 0xf8)];

const KEY_NAME: &str = "brand.name";
const KEY_ACCENT: &str = "brand.accent";
const KEY_LOGO: &str = "brand.logo";
const KEY_LOGO_TYPE: &str = "brand.logo_type";
const KEY_VERSION: &str = "brand.version";

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// `#0b5fa5` or `0B5FA5`, as a colour picker or a style guide gives it.
    pub fn parse(input: &str) -> Option<Colour> {
        let hex = input.trim().trim_start_matches('#');
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour(channel(0)?, channel(2)?, channel(4)?))
    }

    /// `#0b5fa5`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// The WCAG contrast ratio between two colours, 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        // The charts' formula: one home for WCAG contrast.
        kundenpuls_charts::contrast_rgb([self.0, self.1, self.2], [other.0, other.1, other.2])
    }
}

/// The uploaded logo, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// The company's name; empty while none is set.
    pub name: String,
    pub accent: Option<Colour>,
    pub logo: Option<Logo>,
    /// Changes with every change of the brand: the cache key of the stylesheet, logo and icon.
    pub version: String,
}

/// What pages and mails show of the brand (`brand` in every template).
#[derive(Debug, Clone, Serialize)]
pub struct BrandView {
    /// The company's name, or the product's while none is set.
    pub name: String,
    pub company: Option<String>,
    pub logo: Option<LogoView>,
    /// The stylesheet with the accent colour, while one is chosen.
    pub stylesheet: Option<String>,
    /// `#0b5fa5`: for mails, which cannot load a stylesheet.
    pub accent: String,
    pub icon: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogoView {
    pub src: String,
    /// At the header's height of 32 px, so the page does not jump when the picture arrives.
    pub width: u32,
    pub height: u32,
}

impl Brand {
    pub fn accent_or_default(&self) -> Colour {
        self.accent.unwrap_or(DEFAULT_ACCENT)
    }

    pub fn view(&self) -> BrandView {
        let version = if self.version.is_empty() {
            "0"
        } else {
            &self.version
        };
        let company = Some(self.name.clone()).filter(|name| !name.is_empty());
        BrandView {
            name: company.clone().unwrap_or_else(|| "kundenpuls".to_owned()),
            company,
            logo: self.logo.as_ref().map(|logo| LogoView {
                src: format!("/brand/logo?v={version}"),
                width: (logo.width * 32).div_ceil(logo.height.max(1)),
                height: 32,
            }),
            stylesheet: self.accent.map(|_| format!("/brand/style.css?v={version}")),
            accent: self.accent_or_default().hex(),
            icon: format!("/favicon.svg?v={version}"),
        }
    }

    /// The stylesheet that gives pages the accent colour.
    pub fn stylesheet(&self) -> String {
        format!(
            ":root {{ --accent: {}; }}\n",
            self.accent_or_default().hex()
        )
    }

    /// The tab icon: the name's first letter, white on the accent colour.
    pub fn icon_svg(&self) -> String {
        let letter: String = self
            .name
            .chars()
            .find(|c| c.is_alphanumeric())
            .unwrap_or('k')
            .to_uppercase()
            .collect();
        let letter = match letter.as_str() {
            "&" | "<" | ">" => "k".to_owned(),
            _ => letter,
        };
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
             <rect width=\"32\" height=\"32\" rx=\"7\" fill=\"{}\"/>\
             <text x=\"16\" y=\"23\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"20\" \
             font-weight=\"700\" text-anchor=\"middle\" fill=\"#ffffff\">{letter}</text></svg>",
            self.accent_or_default().hex()
        )
    }
}

/// A name as it is kept: trimmed, at most [`NAME_MAX`] characters, no control characters.
pub fn check_name(input: &str) -> Result<String, Problem> {
    let name = input.trim();
    if name.chars().count() > NAME_MAX {
        return Err(Problem::new("problem_brand_name_too_long").arg("max", NAME_MAX));
    }
    if name.chars().any(char::is_control) {
        return Err(Problem::new("problem_brand_name_control"));
    }
    Ok(name.to_owned())
}

/// An accent colour that text can be read in everywhere it is used; empty is the product's.
pub fn check_accent(input: &str) -> Result<Option<Colour>, Problem> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    let colour = Colour::parse(input).ok_or_else(|| {
        Problem::new("problem_brand_colour_unreadable").arg("input", input.trim())
    })?;
    let worst = BACKGROUNDS
        .iter()
        .map(|background| colour.contrast(*background))
        .fold(f64::INFINITY, f64::min);
    if worst < MIN_CONTRAST {
        return Err(Problem::new("problem_brand_colour_contrast")
            .arg("colour", colour.hex())
            .number("ratio", worst, 1)
            .number("min", MIN_CONTRAST, 1));
    }
    Ok(Some(colour))
}

/// A logo as uploaded: its kind read from its bytes (never from its name), its size from its
/// header.
pub fn check_logo(bytes: &[u8]) -> Result<Logo, Problem> {
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(Problem::new("problem_logo_too_large")
            .arg("kib", bytes.len().div_ceil(1024))
            .arg("max", LOGO_MAX_BYTES / 1024));
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => return Err(Problem::new("problem_logo_type")),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| Problem::new("problem_logo_unreadable"))?;
    let sides = LOGO_MIN_SIDE..=LOGO_MAX_SIDE;
    if !sides.contains(&size.width) || !sides.contains(&size.height) {
        return Err(Problem::new("problem_logo_dimensions")
            .arg("width", size.width)
            .arg("height", size.height)
            .arg("min", LOGO_MIN_SIDE)
            .arg("max", LOGO_MAX_SIDE));
    }
    Ok(Logo {
        content_type,
        bytes: bytes.into(),
        width: size.width as u32,
        height: size.height as u32,
    })
}

/// What happens to the logo with a change.
pub enum LogoChange {
    Keep,
    Remove,
    Replace(Logo),
}

/// Reads the brand from the database.
pub async fn load(db: &impl ConnectionTrait) -> AppResult<Brand> {
    let rows = setting::Entity::find()
        .filter(setting::Column::Key.starts_with("brand."))
        .all(db)
        .await?;
    let value = |key: &str| rows.iter().find(|r| r.key == key).map(|r| r.value.as_str());
    // A value written by this module is valid; one that is not (edited by hand) is left out
    // rather than breaking every page.
    let logo = value(KEY_LOGO)
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .and_then(|bytes| check_logo(&bytes).ok());
    if value(KEY_LOGO).is_some() && logo.is_none() {
        tracing::warn!("the stored logo is not a valid picture; showing none");
    }
    Ok(Brand {
        name: value(KEY_NAME).unwrap_or_default().to_owned(),
        accent: value(KEY_ACCENT).and_then(Colour::parse),
        logo,
        version: value(KEY_VERSION).unwrap_or_default().to_owned(),
    })
}

/// Keeps a checked name, colour and logo change in one transaction; the brand as kept.
pub async fn save(
    db: &DatabaseConnection,
    name: String,
    accent: Option<Colour>,
    logo: LogoChange,
) -> AppResult<Brand> {
    let txn = db::begin_write(db).await?;
    let current = load(&txn).await?;
    let logo = match logo {
        LogoChange::Keep => current.logo,
        LogoChange::Remove => None,
        LogoChange::Replace(logo) => Some(logo),
    };
    let mut hash = Sha256::new();
    for part in [
        name.as_bytes(),
        accent.map(Colour::hex).unwrap_or_default().as_bytes(),
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    if let Some(logo) = &logo {
        hash.update(&logo.bytes);
    }
    let version: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let encoded = logo
        .as_ref()
        .map(|logo| base64::engine::general_purpose::STANDARD.encode(&logo.bytes));
    let values = [
        (KEY_NAME, Some(name.clone())),
        (KEY_ACCENT, accent.map(Colour::hex)),
        (KEY_LOGO, encoded),
        (
            KEY_LOGO_TYPE,
            logo.as_ref().map(|l| l.content_type.to_owned()),
        ),
        (KEY_VERSION, Some(version.clone())),
    ];
    for (key, value) in values {
        match value {
            Some(value) => {
                setting::Entity::insert(setting::ActiveModel {
                    key: Set(key.to_owned()),
                    value: Set(value),
                })
                .on_conflict(
                    OnConflict::column(setting::Column::Key)
                        .update_column(setting::Column::Value)
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            }
            None => {
                setting::Entity::delete_by_id(key.to_owned())
                    .exec(&txn)
                    .await?;
            }
        }
    }
    txn.commit().await?;
    tracing::info!(%version, "brand changed");
    Ok(Brand {
        name,
        accent,
        logo,
        version,
    })
}

/// The brand this instance shows, shared by the web pages and the mail worker.
#[derive(Clone, Default)]
pub struct Current(Arc<RwLock<Arc<Brand>>>);

impl Current {
    pub fn get(&self) -> Arc<Brand> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set(&self, brand: Brand) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(brand);
    }

    /// Reads the brand again when another instance changed it (one small query otherwise).
    pub async fn refresh(&self, db: &DatabaseConnection) -> AppResult<()> {
        let version = setting::Entity::find_by_id(KEY_VERSION.to_owned())
            .one(db)
            .await?
            .map(|row| row.value)
            .unwrap_or_default();
        if version != self.get().version {
            self.set(load(db).await?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_read_as_pickers_and_style_guides_write_them() {
        assert_eq!(Colour::parse("#0B5FA5"), Some(DEFAULT_ACCENT));
        assert_eq!(Colour::parse(" 0b5fa5 "), Some(DEFAULT_ACCENT));
        assert_eq!(Colour::parse("#0b5fa"), None);
        assert_eq!(Colour::parse("blue"), None);
        assert_eq!(DEFAULT_ACCENT.hex(), "#0b5fa5");
    }

    #[test]
    fn contrast_follows_wcag() {
        let white = Colour(255, 255, 255);
        let black = Colour(0, 0, 0);
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes AA on white (4.54:1).
        assert!((Colour(0x76, 0x76, 0x76).contrast(white) - 4.54).abs() < 0.01);
    }

    #[test]
    fn an_accent_must_be_readable_on_white_and_on_the_page() {
        assert_eq!(check_accent(""), Ok(None));
        assert_eq!(check_accent("#0b5fa5"), Ok(Some(DEFAULT_ACCENT)));
        assert_eq!(check_accent("#7a1f5c"), Ok(Some(Colour(0x7a, 0x1f, 0x5c))));
        // 4.54:1 on white, but 4.2:1 on the page's grey.
        let grey = check_accent("#767676").unwrap_err();
        assert_eq!(grey.key(), "problem_brand_colour_contrast");
        let light = check_accent("#ffcc00").unwrap_err();
        assert_eq!(
            light.to_string(),
            "problem_brand_colour_contrast (colour: #ffcc00, ratio: 1.3, min: 4.5)"
        );
        assert_eq!(
            check_accent("rot").unwrap_err().key(),
            "problem_brand_colour_unreadable"
        );
    }

    /// A PNG of `width` × `height`: signature and header are all a size reader looks at.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        bytes.extend(13u32.to_be_bytes());
        bytes.extend(b"IHDR");
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn a_logo_is_a_picture_of_sensible_size_whatever_its_name_says() {
        let logo = check_logo(&png(400, 100)).expect("a PNG logo");
        assert_eq!(
            (logo.content_type, logo.width, logo.height),
            ("image/png", 400, 100)
        );
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        assert_eq!(check_logo(svg).unwrap_err().key(), "problem_logo_type");
        assert_eq!(
            check_logo(b"%PDF-1.7").unwrap_err().key(),
            "problem_logo_type"
        );
        assert_eq!(
            check_logo(&png(8000, 100)).unwrap_err().key(),
            "problem_logo_dimensions"
        );
        let mut big = png(400, 100);
        big.resize(LOGO_MAX_BYTES + 1, 0);
        assert_eq!(
            check_logo(&big).unwrap_err().to_string(),
            "problem_logo_too_large (kib: 257, max: 256)"
        );
    }

    #[test]
    fn pages_show_the_product_until_a_company_is_named() {
        let plain = Brand::default().view();
        assert_eq!(plain.name, "kundenpuls");
        assert!(plain.company.is_none() && plain.stylesheet.is_none() && plain.logo.is_none());
        assert_eq!(plain.accent, "#0b5fa5");
        let brand = Brand {
            name: "Muster & Söhne GmbH".into(),
            accent: Some(Colour(0x7a, 0x1f, 0x5c)),
            logo: Some(check_logo(&png(400, 100)).unwrap()),
            version: "abc".into(),
        };
        let view = brand.view();
        assert_eq!(view.name, "Muster & Söhne GmbH");
        assert_eq!(view.stylesheet.as_deref(), Some("/brand/style.css?v=abc"));
        let logo = view.logo.unwrap();
        assert_eq!(
            (logo.src.as_str(), logo.width, logo.height),
            ("/brand/logo?v=abc", 128, 32)
        );
        assert_eq!(brand.stylesheet(), ":root { --accent: #7a1f5c; }\n");
        assert!(brand.icon_svg().contains(">M</text>") && brand.icon_svg().contains("#7a1f5c"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Muster GmbH "), Ok("Muster GmbH".to_owned()));
        assert_eq!(check_name(""), Ok(String::new()));
        assert_eq!(
            check_name(&"x".repeat(NAME_MAX + 1)).unwrap_err().key(),
            "problem_brand_name_too_long"
        );
        assert_eq!(
            check_name("Muster\u{0}GmbH").unwrap_err().key(),
            "problem_brand_name_control"
        );
    }
}
