//! Request guards that tell who is asking: a staff member by session cookie (pages) or an API
//! client by bearer token (`/api/v1`). The API accepts no cookies, so it needs no CSRF token.

use rocket::http::Status;
use rocket::outcome::{Outcome, try_outcome};
use rocket::request::{self, FromRequest, Request};

use super::request::{QueryProblem, ReaderLocale, app};
use super::session;
use crate::auth::{Principal, api_token, staff};
use crate::entities::staff_user;
use crate::error::AppError;

/// A logged-in staff member, admin or viewer.
pub struct StaffUser {
    pub principal: Principal,
    pub user: staff_user::Model,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for StaffUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Some(session) = session::current(req.cookies()) else {
            return Outcome::Error((Status::Unauthorized, AppError::Unauthorized));
        };
        let app = app(req);
        let user = match staff::find(&app.db, session.user_id).await {
            // A session ends with logout, deactivation, a new password or new rights: the
            // account's version moved on, and a cookie from before is worth nothing.
            Ok(Some(user)) if user.active && user.session_version == session.version => user,
            Ok(_) => return Outcome::Error((Status::Unauthorized, AppError::Unauthorized)),
            Err(err) => return Outcome::Error((err.status(), err)),
        };
        match staff::principal(&user, app.settings.default_locale) {
            Ok(principal) => {
                // An error page later in this request speaks the user's language.
                req.local_cache(|| ReaderLocale(Some(principal.locale)));
                Outcome::Success(StaffUser { principal, user })
            }
            Err(err) => Outcome::Error((err.status(), err)),
        }
    }
}

/// A logged-in admin (HR).
pub struct AdminUser(pub StaffUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AdminUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let staff = try_outcome!(req.guard::<StaffUser>().await);
        match staff.principal.require_admin() {
            Ok(()) => Outcome::Success(AdminUser(staff)),
            Err(err) => Outcome::Error((err.status(), err)),
        }
    }
}

/// An API client that presented a valid bearer token.
pub struct ApiCaller(pub Principal);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiCaller {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let presented = req
            .headers()
            .get_one("Authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(presented) = presented else {
            return Outcome::Error((Status::Unauthorized, AppError::Unauthorized));
        };
        let app = app(req);
        match api_token::authenticate(&app.db, presented, app.settings.default_locale).await {
            Ok(Some(principal)) => {
                // A query the document does not allow, found before routing.
                if let Some(problem) = &req.local_cache(|| QueryProblem(None)).0 {
                    let err = AppError::BadRequest(problem.clone());
                    return Outcome::Error((Status::BadRequest, err));
                }
                Outcome::Success(ApiCaller(principal))
            }
            Ok(None) => Outcome::Error((Status::Unauthorized, AppError::Unauthorized)),
            Err(err) => Outcome::Error((err.status(), err)),
        }
    }
}

/// An API client with an admin token.
pub struct ApiAdmin(pub Principal);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiAdmin {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let ApiCaller(principal) = try_outcome!(req.guard::<ApiCaller>().await);
        match principal.require_admin() {
            Ok(()) => Outcome::Success(ApiAdmin(principal)),
            Err(err) => Outcome::Error((err.status(), err)),
        }
    }
}
