//! `kundenpuls demo`: a made-up company with a year of survey history, so that people can see
//! what the dashboard shows before their own first round has closed.
//!
//! The data (`company`, `story`) is pure and seeded; `build` writes it through the same
//! services the real doors use. The database is marked as a demo database in the `settings`
//! table, and the demo refuses any database that holds data it did not create: made-up answers
//! must never mix with a real company's. None of the demo's mail is sent.

mod build;
pub mod company;
pub mod story;

pub use build::{Built, DEMO_EMAIL, build};

/// The story the demo tells when no other seed is asked for.
pub const DEFAULT_SEED: u64 = 2026;
