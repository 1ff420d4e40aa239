//! Chart pictures for staff: `GET /charts/trend.<svg|png>?department=<id>`,
//! `/charts/rounds/<id>/heatmap.<svg|png>`, `/charts/rounds/<id>/participation.<svg|png>`,
//! each with an optional `width` (320–1600). Private to the viewer (the scope decides what is
//! drawn), cached five minutes by the browser, with an ETag from the picture's content hash.

use std::sync::Arc;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket::{State, get};
use sha2::{Digest, Sha256};

use super::view;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::report::charts::{Chart, Format, HeatmapView, Rendered, WIDTH};
use crate::report::query::Reader;
use crate::web::guards::StaffUser;

pub const MIN_WIDTH: u32 = 320;
pub const MAX_WIDTH: u32 = 1600;

/// The width a picture is drawn at.
fn width_of(asked: Option<u32>) -> u32 {
    asked.unwrap_or(WIDTH).clamp(MIN_WIDTH, MAX_WIDTH)
}

/// `trend.svg` → ("trend", Svg).
fn split(file: &str) -> AppResult<(&str, Format)> {
    let (name, extension) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let format = Format::parse(extension).ok_or(AppError::NotFound)?;
    Ok((name, format))
}

/// The ETag a client sent back, if any.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(IfNoneMatch(
            req.headers().get_one("If-None-Match").map(str::to_owned),
        ))
    }
}

pub struct Picture {
    rendered: Arc<Rendered>,
    etag: String,
    not_modified: bool,
}

impl<'r> Responder<'r, 'static> for Picture {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let content_type = ContentType::parse_flexible(self.rendered.format.content_type())
            .ok_or(Status::InternalServerError)?;
        let mut response = Response::build();
        response
            .header(content_type)
            .header(Header::new("Cache-Control", "private, max-age=300"))
            .header(Header::new("ETag", self.etag))
            // What is drawn depends on who is logged in.
            .header(Header::new("Vary", "Cookie"));
        if self.not_modified {
            response.status(Status::NotModified);
        } else {
            let bytes = self.rendered.bytes.clone();
            response.sized_body(bytes.len(), std::io::Cursor::new(bytes));
        }
        Ok(response.finalize())
    }
}

async fn draw(
    app: &App,
    chart: Chart,
    format: Format,
    width: Option<u32>,
    if_none_match: IfNoneMatch,
) -> AppResult<Picture> {
    let size = chart.size(width_of(width));
    let rendered = app.charts.render(chart, format, size).await?;
    let hash = Sha256::digest(&rendered.bytes);
    let etag = format!(
        "\"{}\"",
        hash[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let not_modified = if_none_match
        .0
        .is_some_and(|sent| sent.split(',').any(|tag| tag.trim() == etag));
    Ok(Picture {
        rendered,
        etag,
        not_modified,
    })
}

/// The trend of a department (or the reader's top without one).
#[get("/charts/<file>?<department>&<width>")]
pub async fn trend(
    file: &str,
    department: Option<i32>,
    width: Option<u32>,
    staff: StaffUser,
    app: &State<App>,
    if_none_match: IfNoneMatch,
) -> AppResult<Picture> {
    let (name, format) = split(file)?;
    if name != "trend" {
        return Err(AppError::NotFound);
    }
    let reader = Reader::of(&staff.principal);
    let chart = view::trend_chart(&app.reports, reader, department).await?;
    draw(app, chart, format, width, if_none_match).await
}

/// The heatmap or the participation chart of one round; the heatmap's `view` (`pillars`,
/// `items`) and `level` (how many levels below the reader's top) as on the round page.
#[get("/charts/rounds/<id>/<file>?<width>&<view>&<level>")]
#[allow(clippy::too_many_arguments)]
pub async fn round_chart(
    id: i32,
    file: &str,
    width: Option<u32>,
    view: Option<&str>,
    level: Option<usize>,
    staff: StaffUser,
    app: &State<App>,
    if_none_match: IfNoneMatch,
) -> AppResult<Picture> {
    let (name, format) = split(file)?;
    let reader = Reader::of(&staff.principal);
    let chart = match name {
        "heatmap" => {
            let choice = view::HeatmapChoice {
                view: HeatmapView::parse(view).ok_or(AppError::NotFound)?,
                level,
            };
            let drawn = width_of(width);
            view::heatmap_chart(&app.reports, reader, id, choice, drawn).await?
        }
        "participation" => view::participation_chart(&app.reports, reader, id).await?,
        _ => return Err(AppError::NotFound),
    };
    draw(app, chart, format, width, if_none_match).await
}
