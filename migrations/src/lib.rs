//! The schema of kundenpuls and its seeded question catalog.
//!
//! Every migration runs on SQLite and PostgreSQL, unchanged where SQLite has the statement
//! (it cannot drop a foreign key: that migration rebuilds the table there). Later features add
//! migrations; none edits an applied one.

pub use sea_orm_migration::prelude::*;

pub mod catalog;
mod m20261127_000001_schema;
mod m20261127_000002_question_catalog;
mod m20261127_000003_pending_imports;
mod m20261127_000004_mail_outbox;
mod m20261127_000005_round_results;
mod m20261127_000006_mail_pacing;
mod m20261204_000007_round_tree;
mod m20261204_000008_unlinkable_responses;
mod m20261204_000009_staff_lifecycle;
mod m20261205_000010_actions;
mod m20261205_000011_answers_question_key;
mod m20261205_000012_invitations_claim_in_place;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_schema::Migration),
            Box::new(m20261127_000002_question_catalog::Migration),
            Box::new(m20261127_000003_pending_imports::Migration),
            Box::new(m20261127_000004_mail_outbox::Migration),
            Box::new(m20261127_000005_round_results::Migration),
            Box::new(m20261127_000006_mail_pacing::Migration),
            Box::new(m20261204_000007_round_tree::Migration),
            Box::new(m20261204_000008_unlinkable_responses::Migration),
            Box::new(m20261204_000009_staff_lifecycle::Migration),
            Box::new(m20261205_000010_actions::Migration),
            Box::new(m20261205_000011_answers_question_key::Migration),
            Box::new(m20261205_000012_invitations_claim_in_place::Migration),
        ]
    }
}
