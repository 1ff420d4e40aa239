//! What guards, catchers and fairings need from any request: the app that serves it.

use rocket::Request;

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
