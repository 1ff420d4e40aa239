//! Errors as the user meets them: JSON under `/api`, a page in the user's language elsewhere,
//! always with the right status code. Internal details go to the log, never to the client.

use rocket::http::{Header, Status};
use rocket::response::{self, Redirect, Responder};
use rocket::serde::json::Json;
use rocket::{Request, catch};
use serde::Serialize;

use super::api::contract::{allowed_methods, names_an_impossible_id};
use super::api::error::{ApiError, content_type as problem_json};
use super::page::Page;
use super::request::{QueryProblem, ReaderLocale, app};
use super::request_log;
use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::templates::Templates;

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if let AppError::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "request failed");
        }
        let status = self.status();
        // Variants with their own words say them, in the reader's language; the others get the
        // status's standard text.
        let message = self
            .problem()
            .map(|problem| i18n::problem(locale(req), problem));
        respond(req, status, message, Source::Handler)
    }
}

/// Who answers with an error: a handler (or its guards, with a reason of its own), or Rocket's
/// routing, whose 404 and 422 under `/api` mean something more precise.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Handler,
    Routing,
}

fn is_api(req: &Request<'_>) -> bool {
    req.uri().path().starts_with("/api/")
}

/// The language of an error: under `/api` the first of `de`/`en` the client accepts; on a page
/// the signed-in staff user's language; otherwise the configured default.
fn locale(req: &Request<'_>) -> Locale {
    if is_api(req) {
        return super::request::asked_locale(req);
    }
    req.local_cache(|| ReaderLocale(None))
        .0
        .unwrap_or(app(req).settings.default_locale)
}

/// `templates/pages/error.html`.
#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    message: String,
    /// `null`: the layout shows no navigation on an error page.
    user: (),
}

fn respond(
    req: &Request<'_>,
    status: Status,
    message: Option<String>,
    source: Source,
) -> response::Result<'static> {
    if is_api(req) {
        // A path the document declares, asked with a method it does not: 405 and what is
        // allowed, as HTTP says, instead of "not found".
        // So is a method Rocket does not know at all (`QUERY`): refused with 400 before routing.
        let unknown_method = status == Status::BadRequest && !request_log::was_taken_in(req);
        let allowed = (status == Status::NotFound || unknown_method)
            .then(|| allowed_methods(req.uri().path().as_str()))
            .flatten()
            .filter(|methods| unknown_method || !methods.contains(&req.method()));
        let status = if allowed.is_some() {
            Status::MethodNotAllowed
        } else {
            routing_status(req, status, source)
        };
        let message = message.unwrap_or_else(|| api_message(status).to_owned());
        let mut response = Json(ApiError::new(status, message)).respond_to(req)?;
        response.set_status(status);
        response.set_header(problem_json());
        if status == Status::Unauthorized {
            response.set_header(Header::new("WWW-Authenticate", "Bearer"));
        }
        if let Some(methods) = allowed {
            let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            response.set_header(Header::new("Allow", names.join(", ")));
        }
        return Ok(response);
    }
    if status == Status::Unauthorized {
        // A page that needs a login sends the browser to the login form and back afterwards.
        let next = req.uri().path().to_string();
        let target = format!("/login?next={}", urlencode(&next));
        return Redirect::to(target).respond_to(req);
    }
    let locale = locale(req);
    let message = message.unwrap_or_else(|| default_message(locale, status).to_owned());
    let templates = req
        .rocket()
        .state::<Templates>()
        .expect("templates are managed");
    let page = Page::render(
        templates,
        "error",
        locale,
        ErrorPage {
            status: status.code,
            message,
            user: (),
        },
    )
    .map_err(|_| Status::InternalServerError)?
    .with_status(status);
    page.respond_to(req)
}

fn api_message(status: Status) -> &'static str {
    match status.code {
        400 => {
            "the request is malformed: a parameter or the body cannot be read (a body is JSON, sent with Content-Type: application/json)"
        }
        401 => "a valid API token is required: send `Authorization: Bearer <token>`",
        403 => "this token is not allowed to do this",
        404 => "not found",
        405 => "this method is not allowed here; the Allow header lists those that are",
        413 => "the request body is too large",
        422 => "the request body is invalid",
        429 => "too many requests; wait a minute and try again",
        503 => "the service is unavailable",
        _ => "internal error",
    }
}

fn default_message(locale: Locale, status: Status) -> &'static str {
    let key = match status.code {
        400 => "error_400",
        403 => "error_403",
        404 => "error_404",
        413 => "error_413",
        422 => "error_422",
        429 => "error_429",
        _ => "error_500",
    };
    i18n::text(locale, key)
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// One catcher for every status: a guard's error, an unmatched route, a malformed request body.
#[catch(default)]
pub fn any(status: Status, _req: &Request<'_>) -> ErrorResponse {
    ErrorResponse(status)
}

pub struct ErrorResponse(Status);

impl<'r> Responder<'r, 'static> for ErrorResponse {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let message = match self.0.code {
            // The CSRF check of a form: say what happened in words a user can act on.
            403 if req.method() != rocket::http::Method::Get && !is_api(req) => {
                Some(i18n::text(locale(req), "error_csrf").to_owned())
            }
            // A query the document does not allow: say which parameter and what it may be.
            400 if is_api(req) => req
                .local_cache(|| QueryProblem(None))
                .0
                .as_ref()
                .map(|problem| i18n::problem(locale(req), problem)),
            _ => None,
        };
        respond(req, self.0, message, Source::Routing)
    }
}

/// What Rocket's routing refusals under `/api` mean. An id that is no 32-bit number: no such
/// resource (404). Any other parameter, query or body Rocket could not read: a malformed
/// request (400), so that 422 always carries the domain's reason. A declared method on a
/// declared path that no route took: the body was not sent as JSON (400).
fn routing_status(req: &Request<'_>, status: Status, source: Source) -> Status {
    if source != Source::Routing {
        return status;
    }
    let path = req.uri().path();
    match status.code {
        422 if names_an_impossible_id(path.as_str()) => Status::NotFound,
        422 => Status::BadRequest,
        404 if allowed_methods(path.as_str()).is_some_and(|m| m.contains(&req.method())) => {
            Status::BadRequest
        }
        _ => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::request::accepted_locale;

    #[test]
    fn the_best_accepted_language_of_ours_wins() {
        assert_eq!(accepted_locale("de-DE,de;q=0.9,en;q=0.8"), Some(Locale::De));
        assert_eq!(
            accepted_locale("fr, en-GB;q=0.8, de;q=0.7"),
            Some(Locale::En)
        );
        assert_eq!(accepted_locale("de;q=0.2, en;q=0.9"), Some(Locale::En));
        assert_eq!(accepted_locale("en;q=0, de"), Some(Locale::De));
        assert_eq!(accepted_locale("fr, it"), None);
        assert_eq!(accepted_locale("*"), None);
    }
}
