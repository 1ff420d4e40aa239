//! Logging. Installed before Rocket starts, because Rocket installs its own logger only when
//! none is set, and its own request lines would print survey links (and their tokens).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
        .finish()
        // Outside the filter the operator sets: `KUNDENPULS_LOG=trace` must not switch these on.
        .with(filter_fn(|meta| !carries_request_data(meta.target())))
        .try_init();
}

/// Log targets whose lines carry what a request carried: Rocket's request lines (the path, so
/// survey links), its form parser (field values, so passwords), its guard and outcome details
/// (the targets ending in `::_`, also under our own modules: errors with the request's data),
/// and the HTTP libraries underneath. None of it is written at any level; `web::request_log`
/// writes one line per request with the token cut out.
fn carries_request_data(target: &str) -> bool {
    const SILENT: [&str; 7] = [
        "rocket::server",
        "rocket::form",
        "rocket::request",
        "rocket::response",
        "hyper",
        "hyper_util",
        "h2",
    ];
    target.ends_with("::_")
        || SILENT.iter().any(|silent| {
            target
                .strip_prefix(silent)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

#[cfg(test)]
mod tests {
    use super::carries_request_data;

    #[test]
    fn request_data_stays_out_whatever_the_level() {
        for target in [
            "rocket::server",
            "rocket::server::_",
            "rocket::form::parser",
            "kundenpuls::web::staff::_",
            "hyper::proto::h1::io",
            "h2",
        ] {
            assert!(carries_request_data(target), "{target}");
        }
        for target in [
            "rocket::launch",
            "kundenpuls::request",
            "kundenpuls::web::staff",
            "hyperloop",
            "h2o",
        ] {
            assert!(!carries_request_data(target), "{target}");
        }
    }
}
