//! The web door: Rocket routes per audience, thin over the domain modules.

pub mod account;
pub mod actions;
pub mod admin;
pub mod api;
pub mod assets;
pub mod brand;
pub mod client;
pub mod csrf;
pub mod dashboard;
pub mod errors;
pub mod guards;
pub mod headers;
pub mod health;
pub mod page;
pub mod request;
pub mod request_log;
pub mod session;
pub mod staff;
pub mod survey;

use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{Build, Rocket, catchers, routes};

use crate::app::App;
use crate::auth::throttle::LoginThrottle;
use crate::templates::Templates;

/// The whole web application on top of `app`. `figment` carries Rocket's own settings (address,
/// port, limits); a `secret_key` in it wins over the generated one.
pub fn build(app: App, figment: Figment) -> Rocket<Build> {
    let figment = if app.settings.secret_key_configured {
        figment
    } else {
        figment.merge(("secret_key", app.secrets.secret_key.clone()))
    }
    // Without a trusted proxy in front, a client-supplied X-Real-IP must not count as its address.
    .join(("ip_header", false))
    // Employee files uploaded in the admin area; the API takes the same size.
    .join(("limits.file", "64 MiB"))
    .join(("limits.data-form", "64 MiB"));
    let https = app.settings.uses_https();
    let templates = Templates::load(app.settings.timezone).with_brand(app.brand.clone());
    let throttle = LoginThrottle::new(app.settings.rate_limit_login_per_minute);
    rocket::custom(figment)
        .manage(app)
        .manage(templates)
        .manage(throttle)
        // An empty Shield replaces Rocket's default one; SecurityHeaders sets every header.
        .attach(Shield::new())
        .attach(headers::SecurityHeaders { https })
        .attach(request_log::RequestLog)
        .attach(api::contract::QueryContract)
        .mount(
            "/",
            routes![
                health::health,
                assets::asset,
                brand::logo,
                brand::stylesheet,
                brand::icon,
                brand::icon_at_the_usual_place,
                staff::home,
                staff::login_page,
                staff::login,
                staff::logout,
                account::page,
                account::change_password,
                api::reports::dashboard_results_csv,
            ],
        )
        .attach(survey::stage())
        .mount("/", admin::routes())
        .mount("/", dashboard::routes())
        .mount("/", actions::routes())
        .mount(
            "/api/v1",
            routes![
                api::me,
                api::questions,
                api::rounds::list,
                api::rounds::create,
                api::rounds::show,
                api::rounds::update,
                api::rounds::close,
                api::rounds::cancel,
                api::schedules::list,
                api::schedules::create,
                api::schedules::remove,
                api::tokens::list,
                api::tokens::revoke,
                api::employees::import_employees,
                api::reports::results,
                api::reports::results_csv,
                api::reports::trend,
                api::reports::department_trend,
                api::actions::list,
                api::actions::show,
                api::actions::create,
                api::actions::update,
                api::actions::note,
                api::actions::csv,
                api::openapi::document,
            ],
        )
        .register("/", catchers![errors::any])
}
