//! Maßnahmen for staff: the lists (the company's, or a department's), the form that starts one
//! from a finding, and an action's page with its status, notes, log and measured effect; the
//! list as CSV (`export`).
//! `view` turns what `action` keeps into the pages' data; the rules are in `action`.

pub mod export;
pub mod pages;
pub mod view;

use rocket::{Route, routes};

pub fn routes() -> Vec<Route> {
    routes![
        pages::list,
        pages::new,
        pages::create,
        pages::show,
        pages::edit_form,
        pages::edit,
        pages::status,
        pages::note,
        export::download,
    ]
}
