//! The admin area (HR): organisation, rounds, schedules, imports. Every route needs an admin.

mod brand;
mod departments;
mod employees;
mod import;
mod questions;
mod rounds;
mod schedules;
mod staff;
mod start;

use rocket::{Route, routes};

pub fn routes() -> Vec<Route> {
    routes![
        start::start,
        brand::page,
        brand::save,
        questions::index,
        departments::index,
        employees::index,
        rounds::index,
        rounds::create,
        rounds::show,
        rounds::update,
        rounds::close,
        rounds::cancel,
        import::form,
        import::preview,
        import::review,
        import::apply,
        schedules::index,
        schedules::create,
        schedules::end,
        staff::index,
        staff::change_role,
        staff::set_active,
        staff::set_password,
        staff::revoke_token,
    ]
}
