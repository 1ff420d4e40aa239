//! Logging. Installed before Rocket starts, because Rocket installs its own logger only when
//! none is set, and its own request lines would print survey links (and their tokens).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Rocket's per-request lines ("GET /s/<token>", "No matching routes for …") are silenced;
/// `web::request_log` writes request lines with the token part of paths removed.
const DEFAULT_FILTER: &str = "info,rocket=warn,rocket::launch=info,rocket::launch_=info,rocket::server=off,sqlx=warn,hyper=warn";

pub fn init() {
    let filter = EnvFilter::try_from_env("KUNDENPULS_LOG")
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // A second call (tests start many apps in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
