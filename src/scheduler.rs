//! The background loop beside the web server: creates the next round of each schedule, opens
//! rounds when they are due (queueing their invitations), queues due reminders and closes
//! rounds when their time is up. Sending is the mail worker's. Every step
//! is idempotent and safe with several instances on one database, so a restart, a catch-up
//! after downtime or a second instance changes nothing twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::App;
use crate::error::AppResult;
use crate::lifecycle;
use crate::mail;
use crate::survey::{round, schedule};

/// How often the loop looks for due work; a round opens at most this late.
pub const INTERVAL: Duration = Duration::from_secs(20);

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Tick {
    pub planned: Vec<i32>,
    pub opened: Vec<i32>,
    pub closed: Vec<i32>,
    pub missed: Vec<i32>,
    /// Reminder mails queued for those who have not answered.
    pub reminders_queued: u64,
    /// Mails to owners of actions due today that nobody updated.
    pub actions_due_queued: u64,
}

/// Runs until the process ends. Errors are logged and retried at the next tick.
pub async fn run(app: App) {
    let mut interval = tokio::time::interval(INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match tick(&app, Utc::now()).await {
            Ok(done) if done != Tick::default() => tracing::info!(?done, "scheduler"),
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "scheduler tick failed"),
        }
        // Another instance may have changed the company's look.
        if let Err(err) = app.brand.refresh(&app.db).await {
            tracing::error!(error = %err, "reading the brand failed");
        }
    }
}

/// One pass over due work at `now`.
pub async fn tick(app: &App, now: DateTime<Utc>) -> AppResult<Tick> {
    let mut done = Tick {
        planned: schedule::plan_rounds(&app.db, &app.settings, now).await?,
        ..Tick::default()
    };
    let (to_open, to_close) = round::due(&app.db, now).await?;
    for id in to_open {
        if lifecycle::skip_if_missed(app, id, now).await? {
            tracing::warn!(
                round = id,
                "round missed: the service was not running while it was open"
            );
            done.missed.push(id);
        } else if lifecycle::open(app, id, now).await? {
            done.opened.push(id);
        }
    }
    for id in to_close {
        if lifecycle::close(app, id, now).await? {
            done.closed.push(id);
        }
    }
    done.reminders_queued =
        mail::outbox::enqueue_due_reminders(&app.db, &app.settings, now).await?;
    done.actions_due_queued = mail::action_due::enqueue_due(&app.db, &app.settings, now).await?;
    Ok(done)
}
