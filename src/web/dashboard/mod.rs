//! The leadership dashboard for staff (viewers and admins): the overview of the reader's top,
//! a department's page, a round's page, and the charts those pages show. Thin over
//! `report::dashboard`, which applies the scope and the anonymity rules.

pub mod charts;
pub mod pages;

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
