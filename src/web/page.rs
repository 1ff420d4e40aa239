//! HTML pages rendered from `templates/pages/`.

use rocket::Request;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::templates::Templates;

pub struct Page {
    status: Status,
    html: String,
}

impl Page {
    pub fn render(
        templates: &Templates,
        name: &str,
        locale: Locale,
        ctx: impl Serialize,
    ) -> AppResult<Page> {
        let html = templates
            .render(&format!("pages/{name}.html"), locale, ctx)
            .map_err(AppError::internal)?;
        Ok(Page {
            status: Status::Ok,
            html,
        })
    }

    pub fn into_html(self) -> String {
        self.html
    }

    /// A page rendered elsewhere (the survey's prepared blank form).
    pub fn from_html(html: String) -> Page {
        Page {
            status: Status::Ok,
            html,
        }
    }

    pub fn with_status(mut self, status: Status) -> Page {
        self.status = status;
        self
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = (ContentType::HTML, self.html).respond_to(req)?;
        response.set_status(self.status);
        Ok(response)
    }
}
