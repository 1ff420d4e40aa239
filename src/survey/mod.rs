//! Surveys: the question catalog, the pulse drawn from it, rounds and the schedules that plan
//! them.

pub mod cadence;
pub mod catalog;
pub mod pulse;
pub mod round;
pub mod schedule;
pub mod viewer;
