//! The services every door (web, CLI, scheduler) works with: settings, database, secrets, the
//! report caches and the submission writer. The one context every service above the domain
//! modules takes (`crate::lifecycle`, the doors); the modules below take only the parts they use.

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;

use crate::answer::intake::Intake;
use crate::brand;
use crate::config::Settings;
use crate::db;
use crate::report::charts::ChartCache;
use crate::report::context::Reports;
use crate::secrets::Secrets;

#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub secrets: Arc<Secrets>,
    /// What reports read from, with the aggregates of closed rounds once read.
    pub reports: Reports,
    /// Charts drawn, by a hash of what they show.
    pub charts: Arc<ChartCache>,
    /// Where employees' answers go in: the submission writer, started here with the app so
    /// that every door (web, demo, tests) stores through the same one.
    pub intake: Intake,
    /// The company's name, logo and colour as pages and mails show them.
    pub brand: brand::Current,
}

impl App {
    /// Connects, applies pending migrations and loads (or first generates) the secrets.
    pub async fn start(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database_url).await.with_context(|| {
            format!(
                "cannot open the database at {}",
                redact_url(&settings.database_url)
            )
        })?;
        db::migrate(&db)
            .await
            .context("cannot migrate the database")?;
        // Rounds closed before responses were stored in unlinkable groups (an upgrade) are
        // settled once, before any door opens.
        crate::answer::unlink::settle_closed_rounds(&db)
            .await
            .context("cannot settle the responses of closed rounds")?;
        let secrets = Secrets::load_or_create(&db)
            .await
            .context("cannot read the deployment secrets")?;
        let current = brand::Current::default();
        current.set(
            brand::load(&db)
                .await
                .context("cannot read the company's name, logo and colour")?,
        );
        let intake = Intake::start(&db, &settings.database_url, settings.anonymity_threshold).await;
        let settings = Arc::new(settings);
        Ok(App {
            intake,
            reports: Reports::new(db.clone(), Arc::clone(&settings)),
            settings,
            db,
            secrets: Arc::new(secrets),
            charts: Arc::new(ChartCache::default()),
            brand: current,
        })
    }
}

/// A database URL fit for a log line: without its password.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
