//! `kundenpuls demo`: fills an empty database with the demo company and prints how to look at
//! it.

use std::time::Instant;

use chrono::Utc;
use clap::Args;

use crate::app::App;

#[derive(Args)]
pub struct DemoArgs {
    /// Seed of the made-up company and its answers: the same seed tells the same story.
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    seed: u64,
}

pub async fn run(app: &App, args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let built = crate::demo::build(app, args.seed, Utc::now()).await?;
    println!(
        "Demo company ready in {:.1} s: {} employees in {} departments, {} closed rounds and {} open round, {} responses.",
        started.elapsed().as_secs_f64(),
        built.employees,
        built.departments,
        built.closed_rounds,
        built.open_rounds,
        built.responses,
    );
    println!(
        "Dashboard: {}/dashboard",
        app.settings.base_url.as_str().trim_end_matches('/')
    );
    println!("Login: {} / {}", built.email, built.password);
    println!(
        "The password is shown only now. No mail was sent: the demo's mail is cancelled in the outbox."
    );
    println!("Start the service with `kundenpuls serve` to look around.");
    Ok(())
}
