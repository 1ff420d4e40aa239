//! The company's look as files: the logo, the stylesheet with the accent colour and the tab
//! icon. Public, because the login page and the employees' survey show them too. Their URLs
//! carry the brand's version, so a change shows at once and an unchanged brand is cached.

use rocket::http::{ContentType, Header};
use rocket::response::{Redirect, Responder};
use rocket::{State, get};

use crate::app::App;

#[derive(Responder)]
pub struct BrandFile {
    body: Vec<u8>,
    content_type: ContentType,
    cache: Header<'static>,
}

impl BrandFile {
    fn new(body: Vec<u8>, content_type: ContentType, versioned: bool) -> Self {
        // A versioned URL never changes its content; an unversioned one (a bookmark, the
        // browser's own /favicon.ico) is checked again soon.
        let cache = if versioned {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        BrandFile {
            body,
            content_type,
            cache: Header::new("Cache-Control", cache),
        }
    }
}

#[get("/brand/logo?<v>")]
pub fn logo(v: Option<&str>, app: &State<App>) -> Option<BrandFile> {
    let brand = app.brand.get();
    let logo = brand.logo.as_ref()?;
    let content_type = ContentType::parse_flexible(logo.content_type)?;
    Some(BrandFile::new(
        logo.bytes.to_vec(),
        content_type,
        v.is_some(),
    ))
}

#[get("/brand/style.css?<v>")]
pub fn stylesheet(v: Option<&str>, app: &State<App>) -> BrandFile {
    let css = app.brand.get().stylesheet();
    BrandFile::new(css.into_bytes(), ContentType::CSS, v.is_some())
}

#[get("/favicon.svg?<v>")]
pub fn icon(v: Option<&str>, app: &State<App>) -> BrandFile {
    let svg = app.brand.get().icon_svg();
    BrandFile::new(svg.into_bytes(), ContentType::SVG, v.is_some())
}

/// Where browsers look for an icon on pages that name none (an API document, a CSV).
#[get("/favicon.ico")]
pub fn icon_at_the_usual_place() -> Redirect {
    Redirect::permanent("/favicon.svg")
}
