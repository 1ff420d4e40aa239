//! Cross-site request forgery protection for every state-changing form. Rocket has none built
//! in: a random token lives in a private (encrypted, authenticated) cookie and must come back in
//! the form's hidden `csrf` field. A form posted from another site cannot know it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rocket::data::{self, Data, FromData};
use rocket::form::{self, DataField, Form, FromForm, Options, ValueField};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use subtle::ConstantTimeEq;

const COOKIE: &str = "kp_csrf";
/// The name of the hidden form field that carries the token.
pub const FIELD: &str = "csrf";

/// The token to put into a form's hidden field; issued with the page that shows the form.
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = std::convert::Infallible;

    /// Once per request: a survey submission asks twice (its body's check and its handler),
    /// and each time the cookie was decrypted again.
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Issued(token) = req.local_cache(|| issue(req));
        Outcome::Success(CsrfToken(token.clone()))
    }
}

/// The request's token, as its first guard found or made it.
struct Issued(String);

/// The token of the browser's cookie, or a new one set in a new cookie.
fn issue(req: &Request<'_>) -> Issued {
    let jar = req.cookies();
    if let Some(existing) = jar.get_private(COOKIE) {
        return Issued(existing.value().to_owned());
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    jar.add_private(
        Cookie::build((COOKIE, token.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(super::request::uses_https(req)),
    );
    Issued(token)
}

/// A form of `T` that is accepted only with the right CSRF token; a request without it is
/// refused with 403 before the handler runs.
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[derive(Debug)]
pub enum CsrfFormError<'r> {
    Token,
    Form(form::Errors<'r>),
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r> FromData<'r> for CsrfForm<T> {
    type Error = CsrfFormError<'r>;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match Form::<WithToken<T>>::from_data(req, data).await {
            Outcome::Success(form) => {
                let WithToken { token, inner } = form.into_inner();
                if token_matches(req.cookies(), token.as_deref()) {
                    Outcome::Success(CsrfForm(inner))
                } else {
                    tracing::warn!(
                        path = %super::request_log::redact(req.uri().path().as_str()),
                        "form refused: CSRF token missing or wrong"
                    );
                    Outcome::Error((Status::Forbidden, CsrfFormError::Token))
                }
            }
            Outcome::Error((status, errors)) => {
                Outcome::Error((status, CsrfFormError::Form(errors)))
            }
            Outcome::Forward(forward) => Outcome::Forward(forward),
        }
    }
}

fn token_matches(jar: &CookieJar<'_>, presented: Option<&str>) -> bool {
    match (jar.get_private(COOKIE), presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.value().as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

/// `T`'s fields plus the `csrf` field, so that forms keep flat field names.
struct WithToken<T> {
    token: Option<String>,
    inner: T,
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r>> FromForm<'r> for WithToken<T> {
    type Context = (Option<String>, T::Context);

    fn init(opts: Options) -> Self::Context {
        (None, T::init(opts))
    }

    fn push_value(ctxt: &mut Self::Context, field: ValueField<'r>) {
        if field.name.as_name() == FIELD {
            ctxt.0 = Some(field.value.to_owned());
        } else {
            T::push_value(&mut ctxt.1, field);
        }
    }

    async fn push_data(ctxt: &mut Self::Context, field: DataField<'r, '_>) {
        T::push_data(&mut ctxt.1, field).await;
    }

    fn push_error(ctxt: &mut Self::Context, error: form::Error<'r>) {
        T::push_error(&mut ctxt.1, error);
    }

    fn finalize((token, inner): Self::Context) -> form::Result<'r, Self> {
        Ok(WithToken {
            token,
            inner: T::finalize(inner)?,
        })
    }
}

/// A form that carries nothing but its CSRF token: logout, confirmation buttons.
pub struct NoFields;

#[rocket::async_trait]
impl<'r> FromForm<'r> for NoFields {
    type Context = ();

    fn init(_opts: Options) -> Self::Context {}

    fn push_value(_ctxt: &mut Self::Context, _field: ValueField<'r>) {}

    async fn push_data(_ctxt: &mut Self::Context, _field: DataField<'r, '_>) {}

    fn finalize(_ctxt: Self::Context) -> form::Result<'r, Self> {
        Ok(NoFields)
    }
}
