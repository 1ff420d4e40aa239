//! Stylesheets embedded from `templates/static/`, cacheable because they change only with a
//! new release.

use rocket::get;
use rocket::http::{ContentType, Header};
use rocket::response::Responder;

use crate::templates;

#[derive(Responder)]
pub struct Asset {
    body: &'static str,
    content_type: ContentType,
    cache: Header<'static>,
}

#[get("/static/<name>")]
pub fn asset(name: &str) -> Option<Asset> {
    let content_type = match name.rsplit_once('.')?.1 {
        "css" => ContentType::CSS,
        "js" => ContentType::JavaScript,
        "svg" => ContentType::SVG,
        _ => return None,
    };
    Some(Asset {
        body: templates::static_file(name)?,
        content_type,
        cache: Header::new("Cache-Control", "public, max-age=3600"),
    })
}
