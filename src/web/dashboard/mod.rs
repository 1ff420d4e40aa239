//! The leadership dashboard for staff (viewers and admins): the overview of the reader's top,
//! a department's page, a round's page, and the charts those pages show. `view` turns what
//! `report` allows the reader to see (scope and anonymity applied there) into the pages' data.

pub mod charts;
pub mod pages;
pub mod picture;
pub mod view;

use rocket::{Route, routes};

pub fn routes() -> Vec<Route> {
    routes![
        pages::overview,
        pages::department,
        pages::round,
        charts::trend,
        charts::round_chart,
    ]
}
