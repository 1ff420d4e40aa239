//! What guards, catchers and fairings need from any request: the app that serves it.

use rocket::Request;
use rocket::request::{self, FromRequest};

use crate::app::App;
use crate::i18n::Locale;

pub fn app<'r>(req: &'r Request<'_>) -> &'r App {
    req.rocket().state::<App>().expect("App is managed")
}

/// Whether cookies must be `Secure`: the service is reached over HTTPS.
pub fn uses_https(req: &Request<'_>) -> bool {
    app(req).settings.uses_https()
}

/// The language of the signed-in staff user, once a guard has found one (kept in the request's
/// local cache for the error pages of the same request).
pub struct ReaderLocale(pub Option<Locale>);

/// What is wrong with an API request's query by the OpenAPI document (`web::api::contract`),
/// for the API's guards to refuse it with.
pub struct QueryProblem(pub Option<crate::problem::Problem>);

/// The first language of an `Accept-Language` header that is German or English, by quality.
pub fn accepted_locale(header: &str) -> Option<Locale> {
    let mut ranges: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, range)| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (quality > 0.0).then_some((quality, position, tag))
        })
        .collect();
    // Highest quality first; equal qualities keep the client's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().find_map(|(_, _, tag)| {
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        Locale::parse(&primary)
    })
}

/// The language an API client asked for (`Accept-Language`), else `default_locale`.
pub struct AcceptLanguage(pub Locale);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AcceptLanguage {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(AcceptLanguage(asked_locale(req)))
    }
}

/// The first of `de`/`en` the request's `Accept-Language` accepts, else `default_locale`.
pub fn asked_locale(req: &Request<'_>) -> Locale {
    req.headers()
        .get_one("Accept-Language")
        .and_then(accepted_locale)
        .unwrap_or(app(req).settings.default_locale)
}
