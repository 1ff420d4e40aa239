//! What leadership and HR may see, with the anonymity threshold applied to every figure.
//!
//! `aggregate` writes what a round leaves at close and reads it back; `suppress` decides which
//! groups may show a figure; `results` and `trend` build what every output shows from both;
//! `stats` and `participation` are the pure figures underneath.

pub mod aggregate;
pub mod charts;
pub mod context;
pub mod csv;
pub mod highlights;
pub mod participation;
pub mod query;
pub mod results;
pub mod stats;
pub mod story;
pub mod suppress;
pub mod trend;
