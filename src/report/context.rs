//! What every report reads from: the database, the settings it honours (thresholds, time zone)
//! and the aggregates of closed rounds once read. The doors hold one in their `App`; reports
//! take it rather than the whole `App`, so that nothing here depends on the doors' context.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::aggregate::Cache;
use crate::config::Settings;

#[derive(Clone)]
pub struct Reports {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Closed rounds' aggregates once read (they never change).
    pub aggregates: Arc<Cache>,
}

impl Reports {
    pub fn new(db: DatabaseConnection, settings: Arc<Settings>) -> Self {
        Reports {
            db,
            settings,
            aggregates: Arc::new(Cache::default()),
        }
    }
}
