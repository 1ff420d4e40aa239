//! Surveys: the question catalog, and (in later features) rounds, schedules and pulses.

pub mod catalog;
