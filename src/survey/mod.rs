//! Surveys: the question catalog, and (in later features) rounds, schedules and pulses.

pub mod cadence;
pub mod catalog;
pub mod local_time;
pub mod pulse;
pub mod round;
pub mod schedule;
