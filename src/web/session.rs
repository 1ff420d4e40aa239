//! Staff sessions in a private cookie: encrypted and authenticated with the deployment's
//! `secret_key`, so they survive restarts and work across instances without a session table.
//! The cookie carries the account's session version: raising it in the database (logout,
//! deactivation, a new password, another role or scope) ends every session issued before,
//! and a copied cookie with it.

use chrono::{Duration, Utc};
use rocket::http::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};

const COOKIE: &str = "kp_session";
/// A working day; after it the user logs in again.
const LIFETIME_HOURS: i64 = 10;

#[derive(Serialize, Deserialize)]
struct SessionData {
    user_id: i32,
    /// Cookies of an earlier version (or from before versions existed) are refused.
    version: i32,
    expires_at: i64,
}

/// Who a session cookie says is logged in, to be checked against the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub user_id: i32,
    pub version: i32,
}

pub fn start(jar: &CookieJar<'_>, user: &crate::entities::staff_user::Model, secure: bool) {
    let data = SessionData {
        user_id: user.id,
        version: user.session_version,
        expires_at: (Utc::now() + Duration::hours(LIFETIME_HOURS)).timestamp(),
    };
    let value = serde_json::to_string(&data).expect("session data serialises");
    jar.add_private(
        Cookie::build((COOKIE, value))
            .path("/")
            .http_only(true)
            // Lax, not Strict: a staff member following a link to the dashboard from a mail
            // arrives logged in. Forms are protected by their CSRF token.
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(rocket::time::Duration::hours(LIFETIME_HOURS)),
    );
}

pub fn end(jar: &CookieJar<'_>) {
    jar.remove_private(Cookie::build(COOKIE).path("/"));
}

/// The session the cookie holds, if it is present, genuine and not expired.
pub fn current(jar: &CookieJar<'_>) -> Option<Session> {
    let cookie = jar.get_private(COOKIE)?;
    let data: SessionData = serde_json::from_str(cookie.value()).ok()?;
    (data.expires_at > Utc::now().timestamp()).then_some(Session {
        user_id: data.user_id,
        version: data.version,
    })
}
